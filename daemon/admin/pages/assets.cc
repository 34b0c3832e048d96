// The pages' one style sheet and one script, inlined under each answer's
// CSP nonce: nothing is fetched from anywhere.
#include "page_kit.h"

namespace feedwatch::service::pages {

const char* const kStyle = R"css(
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--card:#f6f8fa;
--accent:#0b5cad;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--bar:#0b5cad;--mark:#fff3a3}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--fg:#e6e9ed;--muted:#9aa4af;--line:#2c333b;
--card:#171b21;--accent:#6cb6ff;--ok:#57d27a;--bad:#ff7b72;--warn:#e3b341;--bar:#6cb6ff;--mark:#5c4d00}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:4px 8px}
header{border-bottom:1px solid var(--line);padding:10px 16px;display:flex;flex-wrap:wrap;gap:8px 20px;align-items:baseline}
header .brand{font-weight:700;font-size:17px;color:var(--fg);text-decoration:none}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px}
nav a{text-decoration:none;padding:2px 0}nav a[aria-current=page]{font-weight:700;border-bottom:2px solid var(--accent)}
main{padding:12px 16px;max-width:1200px}
h1{font-size:22px;margin:6px 0 12px}h2{font-size:17px;margin:22px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .n{font-size:26px;font-weight:700}.card .l{color:var(--muted);font-size:13px}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}th a{color:var(--fg)}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}.small{font-size:13px}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.badge{display:inline-block;border:1px solid currentColor;border-radius:10px;padding:0 7px;font-size:12px;white-space:nowrap}
.bars rect{fill:var(--bar)}.bars rect.zero{fill:var(--line)}figure.chart{margin:0}
mark{background:var(--mark);color:inherit;padding:0 1px}
.err{word-break:break-word}
.url{word-break:break-all}
form.inline{display:inline}.pager p{margin:8px 0}
button{font:inherit;font-size:13px;padding:2px 10px;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
input[type=search]{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);min-width:16em;max-width:100%}
footer{padding:16px;color:var(--muted);font-size:13px;border-top:1px solid var(--line);margin-top:24px}
@media (max-width:640px){body{font-size:14px}main{padding:8px 10px}.hide-narrow{display:none}th,td{padding:5px 4px}
table.stack thead{display:none}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border-bottom:1px solid var(--line);padding:6px 0}table.stack td{border:0;padding:2px 0}
table.stack td::before{content:attr(data-label);display:inline-block;min-width:5.5em;color:var(--muted);font-size:12px}}
)css";

// Refreshes <main> every 30 s while the tab is visible and no form has the
// focus; without JavaScript the page is complete as served.
const char* const kScript =
    "(function(){var busy=false;setInterval(function(){"
    "if(busy||document.hidden)return;var a=document.activeElement;"
    "if(a&&a.closest&&a.closest('form'))return;busy=true;"
    "fetch(location.href,{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null})"
    ".then(function(t){busy=false;if(!t)return;var d=new "
    "DOMParser().parseFromString(t,'text/html');"
    "var m=d.getElementById('main'),o=document.getElementById('main');if(m&&o)o.replaceWith(m);})"
    ".catch(function(){busy=false;});},30000);})();";

}  // namespace feedwatch::service::pages
