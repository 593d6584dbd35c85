// Backtracking matcher for the regex dialect, written separately from automata/regex.cpp:
// continuation-passing search; optional loop iterations must consume input, which keeps
// stars over empty-matching bodies finite without changing the language.
#include "tests/support/backtrack_matcher.h"

#include <functional>
#include <stdexcept>

namespace goose::testing {

struct BacktrackMatcher::Node {
  enum Type { Symbol, Sequence, Choice, Loop } type = Sequence;
  bool negated = false;       // Symbol: match alphabet symbols NOT in `members`
  bool members[256] = {};     // Symbol
  int lo = 0, hi = -1;        // Loop bounds, hi -1 = unbounded
  std::vector<std::unique_ptr<Node>> kids;
};

namespace {

using Node = BacktrackMatcher::Node;
using Cont = std::function<bool(size_t)>;

struct MiniParser {
  const std::string& s;
  size_t i = 0;
  bool named[256] = {};

  [[noreturn]] void error(const char* what) {
    throw std::runtime_error(std::string("backtrack matcher: ") + what + " in \"" + s + "\"");
  }
  bool more() const { return i < s.size(); }
  char peek() const { return s[i]; }

  std::unique_ptr<Node> choice() {
    auto n = std::make_unique<Node>();
    n->type = Node::Choice;
    n->kids.push_back(sequence());
    while (more() && peek() == '|') {
      ++i;
      n->kids.push_back(sequence());
    }
    return n;
  }
  std::unique_ptr<Node> sequence() {
    auto n = std::make_unique<Node>();
    n->type = Node::Sequence;
    while (more() && peek() != '|' && peek() != ')') n->kids.push_back(postfix());
    return n;
  }
  int integer() {
    if (!more() || !isdigit(static_cast<unsigned char>(peek()))) error("bad count");
    int v = 0;
    while (more() && isdigit(static_cast<unsigned char>(peek()))) v = v * 10 + (s[i++] - '0');
    return v;
  }
  std::unique_ptr<Node> postfix() {
    auto n = primary();
    while (more()) {
      int lo, hi;
      const char c = peek();
      if (c == '*') {
        lo = 0, hi = -1, ++i;
      } else if (c == '+') {
        lo = 1, hi = -1, ++i;
      } else if (c == '?') {
        lo = 0, hi = 1, ++i;
      } else if (c == '{') {
        ++i;
        lo = hi = integer();
        if (more() && peek() == ',') {
          ++i;
          hi = (more() && peek() == '}') ? -1 : integer();
        }
        if (!more() || peek() != '}') error("bad braces");
        ++i;
      } else {
        break;
      }
      auto loop = std::make_unique<Node>();
      loop->type = Node::Loop;
      loop->lo = lo;
      loop->hi = hi;
      loop->kids.push_back(std::move(n));
      n = std::move(loop);
    }
    return n;
  }
  char literal() {
    if (peek() == '\\') {
      if (i + 1 >= s.size()) error("trailing backslash");
      i += 2;
      return s[i - 1];
    }
    return s[i++];
  }
  std::unique_ptr<Node> primary() {
    const char c = peek();
    if (c == '(') {
      ++i;
      auto n = choice();
      if (!more() || peek() != ')') error("missing )");
      ++i;
      return n;
    }
    auto n = std::make_unique<Node>();
    n->type = Node::Symbol;
    if (c == '.') {
      ++i;
      n->negated = true;
      return n;
    }
    if (c == '[') {
      ++i;
      if (more() && peek() == '^') {
        n->negated = true;
        ++i;
      }
      bool any = false;
      while (more() && peek() != ']') {
        const unsigned char a = static_cast<unsigned char>(literal());
        unsigned char b = a;
        if (i + 1 < s.size() && peek() == '-' && s[i + 1] != ']') {
          ++i;
          if (!more()) error("bad range");
          b = static_cast<unsigned char>(literal());
        }
        for (unsigned x = a; x <= b; ++x) n->members[x] = named[x] = true;
        any = true;
      }
      if (!more() || !any) error("bad class");
      ++i;
      return n;
    }
    if (c == '*' || c == '+' || c == '?' || c == '{' || c == '}' || c == ']' || c == ')')
      error("unexpected operator");
    const unsigned char x = static_cast<unsigned char>(literal());
    n->members[x] = named[x] = true;
    return n;
  }
};

struct Search {
  const std::string& text;
  const bool* alphabet;

  bool symbol_ok(const Node& n, size_t pos) const {
    if (pos >= text.size()) return false;
    const unsigned char c = static_cast<unsigned char>(text[pos]);
    return alphabet[c] && (n.negated ? !n.members[c] : n.members[c]);
  }

  bool match(const Node& n, size_t pos, const Cont& k) const {
    switch (n.type) {
      case Node::Symbol:
        return symbol_ok(n, pos) && k(pos + 1);
      case Node::Sequence:
        return sequence(n, 0, pos, k);
      case Node::Choice:
        for (const auto& kid : n.kids)
          if (match(*kid, pos, k)) return true;
        return false;
      case Node::Loop:
        return loop(n, 0, pos, k);
    }
    return false;
  }
  bool sequence(const Node& n, size_t idx, size_t pos, const Cont& k) const {
    if (idx == n.kids.size()) return k(pos);
    return match(*n.kids[idx], pos, [&](size_t p) { return sequence(n, idx + 1, p, k); });
  }
  bool loop(const Node& n, int count, size_t pos, const Cont& k) const {
    const Node& body = *n.kids[0];
    if (count < n.lo)
      return match(body, pos, [&](size_t p) { return loop(n, count + 1, p, k); });
    if (k(pos)) return true;
    if (n.hi >= 0 && count >= n.hi) return false;
    return match(body, pos, [&](size_t p) { return p > pos && loop(n, count + 1, p, k); });
  }
};

}  // namespace

BacktrackMatcher::BacktrackMatcher(const std::string& pattern, const std::string& alphabet) {
  MiniParser parser{pattern};
  root_ = parser.choice();
  if (parser.more()) throw std::runtime_error("backtrack matcher: unbalanced ) in " + pattern);
  if (alphabet.empty()) {
    for (int c = 0; c < 256; ++c)
      if (parser.named[c]) alphabet_ += static_cast<char>(c);
  } else {
    alphabet_ = alphabet;
  }
  for (char c : alphabet_) in_alphabet_[static_cast<unsigned char>(c)] = true;
}

BacktrackMatcher::~BacktrackMatcher() = default;

bool BacktrackMatcher::matches(const std::string& text) const {
  Search search{text, in_alphabet_};
  return search.match(*root_, 0, [&](size_t p) { return p == text.size(); });
}

}  // namespace goose::testing
