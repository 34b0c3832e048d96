#include "feedwatch/template.h"

#include <cstdio>

namespace feedwatch {

using nlohmann::json;

struct Template::Node {
  enum Kind { kText, kVar, kSection, kInverted } kind = kText;
  std::string text;               // literal text, or the name for the others
  std::vector<std::string> path;  // dotted name split; empty for "."
  std::vector<Node> children;     // sections
};

namespace {

constexpr std::string_view kZwsp = "\xE2\x80\x8B";  // U+200B ZERO WIDTH SPACE

bool IsControl(unsigned char c) { return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F; }

std::vector<std::string> SplitPath(const std::string& name) {
  std::vector<std::string> parts;
  if (name == ".") return parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::string Trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool ValidName(const std::string& n) {
  if (n.empty()) return false;
  if (n == ".") return true;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  }
  return n.front() != '.' && n.back() != '.' && n.find("..") == std::string::npos;
}

// Mustache lookup: the first context on the stack (innermost first) that has
// the first part of the name; the rest is followed from there.
const json* Lookup(const std::vector<const json*>& stack, const std::vector<std::string>& path) {
  if (path.empty()) return stack.back();
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    const json& ctx = **it;
    if (!ctx.is_object()) continue;
    auto f = ctx.find(path[0]);
    if (f == ctx.end()) continue;
    const json* cur = &*f;
    for (std::size_t i = 1; i < path.size(); ++i) {
      if (!cur->is_object()) return nullptr;
      auto g = cur->find(path[i]);
      if (g == cur->end()) return nullptr;
      cur = &*g;
    }
    return cur;
  }
  return nullptr;
}

bool Truthy(const json* v) {
  if (!v || v->is_null()) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  if (v->is_array() || v->is_object()) return !v->empty();
  return true;  // numbers, including 0 (a count of 0 is still a value)
}

void RenderNodes(const std::vector<Template::Node>& nodes, std::vector<const json*>& stack,
                 Escape how, std::string& out) {
  for (const Template::Node& n : nodes) {
    switch (n.kind) {
      case Template::Node::kText:
        out += n.text;
        break;
      case Template::Node::kVar: {
        const json* v = Lookup(stack, n.path);
        if (!v || v->is_null() || v->is_object() || v->is_array()) break;
        if (v->is_string())
          AppendEscaped(out, v->get_ref<const std::string&>(), how);
        else
          AppendEscaped(out, v->dump(), how);
        break;
      }
      case Template::Node::kSection: {
        const json* v = Lookup(stack, n.path);
        if (!Truthy(v)) break;
        if (v->is_array()) {
          for (const json& item : *v) {
            stack.push_back(&item);
            RenderNodes(n.children, stack, how, out);
            stack.pop_back();
          }
        } else {
          stack.push_back(v);
          RenderNodes(n.children, stack, how, out);
          stack.pop_back();
        }
        break;
      }
      case Template::Node::kInverted:
        if (!Truthy(Lookup(stack, n.path))) RenderNodes(n.children, stack, how, out);
        break;
    }
  }
}

}  // namespace

void AppendEscaped(std::string& out, std::string_view text, Escape how) {
  switch (how) {
    case Escape::kPlain:
      for (char c : text) {
        if (!IsControl(static_cast<unsigned char>(c))) out.push_back(c);
      }
      return;
    case Escape::kJson:
      for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"')
          out += "\\\"";
        else if (c == '\\')
          out += "\\\\";
        else if (c == '\n')
          out += "\\n";
        else if (c == '\t')
          out += "\\t";
        else if (c == '\r')
          out += "\\r";
        else if (u < 0x20 || u == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out.push_back(c);
        }
      }
      return;
    case Escape::kSlack:
      for (char c : BreakMentions(text)) {
        if (c == '&')
          out += "&amp;";
        else if (c == '<')
          out += "&lt;";
        else if (c == '>')
          out += "&gt;";
        else if (!IsControl(static_cast<unsigned char>(c)))
          out.push_back(c);
      }
      return;
    case Escape::kMarkdown:
      for (char c : BreakMentions(text)) {
        if (std::string_view("\\`*_~|>#[]()<-!").find(c) != std::string_view::npos) {
          out.push_back('\\');
          out.push_back(c);
        } else if (!IsControl(static_cast<unsigned char>(c))) {
          out.push_back(c);
        }
      }
      return;
    case Escape::kHtml:
      for (char c : text) {
        if (c == '&')
          out += "&amp;";
        else if (c == '<')
          out += "&lt;";
        else if (c == '>')
          out += "&gt;";
        else if (c == '"')
          out += "&quot;";
        else if (!IsControl(static_cast<unsigned char>(c)))
          out.push_back(c);
      }
      return;
  }
}

std::string Escaped(std::string_view text, Escape how) {
  std::string out;
  out.reserve(text.size() + 16);
  AppendEscaped(out, text, how);
  return out;
}

std::string BreakMentions(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    out.push_back(text[i]);
    if (text[i] != '@') continue;
    for (std::string_view word : {"everyone", "here", "channel", "all"}) {
      std::string_view rest = text.substr(i + 1, word.size());
      bool same = rest.size() == word.size();
      for (std::size_t k = 0; same && k < word.size(); ++k) {
        same = std::tolower(static_cast<unsigned char>(rest[k])) == word[k];
      }
      if (same) {
        out += kZwsp;
        break;
      }
    }
  }
  return out;
}

Result<Template> Template::Parse(std::string_view src) {
  struct Open {
    std::vector<Node>* list;
    std::string name;
    int line;
  };
  auto root = std::make_shared<std::vector<Node>>();
  std::vector<Open> open;
  std::vector<Node>* cur = root.get();
  int line = 1;
  std::size_t pos = 0;
  auto count_lines = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) line += src[i] == '\n';
  };
  auto fail = [&](const std::string& why) {
    return Status::Invalid("template line " + std::to_string(line) + ": " + why);
  };
  while (pos < src.size()) {
    std::size_t tag = src.find("{{", pos);
    if (tag == std::string_view::npos) tag = src.size();
    if (tag > pos) {
      Node t;
      t.text = std::string(src.substr(pos, tag - pos));
      cur->push_back(std::move(t));
      count_lines(pos, tag);
    }
    if (tag == src.size()) break;
    std::size_t end = src.find("}}", tag + 2);
    if (end == std::string_view::npos) return fail("'{{' is never closed with '}}'");
    std::string_view inner = src.substr(tag + 2, end - tag - 2);
    if (std::size_t nested = inner.find("{{");
        nested != std::string_view::npos || inner.find('\n') != std::string_view::npos) {
      end = std::min(nested, inner.find('\n'));
      return fail("'{{" + std::string(inner.substr(0, end)) + "' is not closed with '}}'");
    }
    std::size_t next = end + 2;
    if (!inner.empty() && inner[0] == '{') {
      return fail(
          "{{{…}}} (unescaped output) is not supported: feed text is always escaped for the sink");
    }
    char sigil = inner.empty() ? '\0' : inner[0];
    if (sigil == '!') {
      count_lines(tag, next);
      pos = next;
      continue;
    }
    if (sigil == '&')
      return fail("{{&…}} (unescaped output) is not supported: feed text is always escaped");
    if (sigil == '>' || sigil == '=')
      return fail(std::string("{{") + sigil + "…}} (partials, delimiters) is not supported");
    std::string name = Trim(sigil == '#' || sigil == '^' || sigil == '/' ? inner.substr(1) : inner);
    if (!ValidName(name))
      return fail("'" + std::string(inner) +
                  "' is not a field name (letters, digits, _ - and dots)");
    if (sigil == '#' || sigil == '^') {
      Node s;
      s.kind = sigil == '#' ? Node::kSection : Node::kInverted;
      s.text = name;
      s.path = SplitPath(name);
      cur->push_back(std::move(s));
      open.push_back({cur, name, line});
      cur = &cur->back().children;
    } else if (sigil == '/') {
      if (open.empty()) return fail("{{/" + name + "}} closes a section that was never opened");
      if (open.back().name != name) {
        return fail("{{/" + name + "}} does not close {{#" + open.back().name +
                    "}} (opened on line " + std::to_string(open.back().line) + ")");
      }
      cur = open.back().list;
      open.pop_back();
    } else {
      Node v;
      v.kind = Node::kVar;
      v.text = name;
      v.path = SplitPath(name);
      cur->push_back(std::move(v));
    }
    count_lines(tag, next);
    pos = next;
  }
  if (!open.empty()) {
    line = open.back().line;
    return fail("section {{#" + open.back().name + "}} is never closed");
  }
  Template t;
  t.nodes_ = std::move(root);
  return t;
}

std::string Template::Render(const json& context, Escape how) const {
  std::string out;
  if (!nodes_) return out;
  std::vector<const json*> stack{&context};
  RenderNodes(*nodes_, stack, how, out);
  return out;
}

}  // namespace feedwatch
