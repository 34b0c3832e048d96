#!/usr/bin/python3
"""Loads pages in headless Chromium over the DevTools protocol and reports,
as JSON on stdout, what a person would see and what the browser complained
about: for each page and width, its title, visible text, console errors,
uncaught exceptions, Content-Security-Policy violations, a few DOM facts,
and a screenshot saved under --out.

Usage: page_check.py --chromium /usr/bin/chromium --base http://127.0.0.1:PORT
                     --out DIR [--header 'Name: value'] PATH...
Only loopback addresses are ever loaded.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket  # Debian: python3-websocket

WIDTHS = {"desktop": (1280, 900, False), "phone": (390, 844, True)}

# What the page tells about itself, evaluated in the page.
FACTS = r"""(() => {
  const cs = getComputedStyle(document.body);
  const focusable = [...document.querySelectorAll('a[href],button,input,select,textarea')]
      .filter(e => e.tabIndex >= 0).length;
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  return JSON.stringify({
    title: document.title,
    text: document.body.innerText,
    background: cs.backgroundColor,
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
    svg_charts: document.querySelectorAll('svg.bars').length,
    forms: [...document.querySelectorAll('form')].map(f => (f.method || 'get').toLowerCase()),
    links: links,
    unsafe_links: links.filter(h => !/^(https?:\/\/|\/|#|\?)/i.test(h)),
    focusable: focusable,
    has_main: !!document.querySelector('main#main'),
    has_skip_link: !!document.querySelector('a.skip[href="#main"]'),
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    overflow_x: document.documentElement.scrollWidth > window.innerWidth + 1,
  });
})()"""


class Browser:
    def __init__(self, chromium, headers):
        self.profile = tempfile.mkdtemp(prefix="fw-chromium-")
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        pages = []
        while not pages:
            with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if not pages:
                time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method)
        if headers:
            self.call("Network.setExtraHTTPHeaders", {"headers": headers})

    def call(self, method, params=None):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for i, e in enumerate(self.events):
                if e["method"] == name:
                    del self.events[i]
                    return e
            self.ws.settimeout(max(0.1, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break
        raise RuntimeError("no %s within %ss" % (name, timeout))

    def drain(self, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.time()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def problems(events):
    out = {"console_errors": [], "exceptions": [], "csp_violations": [], "http_errors": []}
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out["console_errors"].append(" ".join(str(a.get("value", a.get("description", "")))
                                                  for a in p.get("args", [])))
        elif m == "Runtime.exceptionThrown":
            out["exceptions"].append(p["exceptionDetails"].get("text", "") + " " +
                                     p["exceptionDetails"].get("exception", {}).get("description", ""))
        elif m == "Log.entryAdded":
            entry = p.get("entry", {})
            text = entry.get("text", "")
            if "Content Security Policy" in text or entry.get("source") == "violation" and "CSP" in text:
                out["csp_violations"].append(text)
            elif entry.get("level") == "error":
                out["console_errors"].append(text)
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out["http_errors"].append(p.get("errorText", ""))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--dark", action="store_true", help="also load each page in dark mode")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    host = urllib.parse.urlparse(args.base).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("page_check: only loopback addresses are loaded, not " + host)
    headers = dict(h.split(": ", 1) for h in args.header)
    os.makedirs(args.out, exist_ok=True)
    browser = Browser(args.chromium, headers)
    results = []
    try:
        schemes = ["light", "dark"] if args.dark else ["light"]
        for path in args.paths:
            for width_name, (w, h, mobile) in WIDTHS.items():
                for scheme in schemes:
                    if scheme == "dark" and width_name != "desktop":
                        continue
                    browser.call("Emulation.setDeviceMetricsOverride",
                                 {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile})
                    browser.call("Emulation.setEmulatedMedia",
                                 {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
                    browser.events = []
                    browser.call("Page.navigate", {"url": args.base + path})
                    browser.wait_event("Page.loadEventFired")
                    browser.drain(0.3)  # late console messages
                    facts = json.loads(browser.call("Runtime.evaluate", {
                        "expression": FACTS, "returnByValue": True})["result"]["value"])
                    shot = browser.call("Page.captureScreenshot",
                                        {"format": "png", "captureBeyondViewport": True})
                    name = (path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")
                            or "overview") + "-" + width_name + ("-dark" if scheme == "dark" else "")
                    file = os.path.join(args.out, name + ".png")
                    with open(file, "wb") as f:
                        f.write(base64.b64decode(shot["data"]))
                    facts.update(problems(browser.events))
                    facts.update({"path": path, "width": width_name, "scheme": scheme,
                                  "screenshot": file})
                    results.append(facts)
    finally:
        browser.close()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
