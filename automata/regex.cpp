// The regex dialect of regex.h: a recursive-descent parser to a RegexNode tree (with size
// and nesting caps so hostile patterns fail cleanly), Thompson's construction, and the
// regex -> minimal DFA pipeline. Alphabets are sorted by unsigned character value.
#include "automata/regex.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

namespace goose::automata {

namespace {

constexpr int kMaxRepeat = 1000;           // largest m or n in {m,n}
constexpr long long kMaxNfaStates = 100000;  // Thompson states a pattern may need
constexpr int kMaxNesting = 500;           // parentheses and stacked operators

std::string show_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", u);
  return buf;
}

bool char_less(char a, char b) {
  return static_cast<unsigned char>(a) < static_cast<unsigned char>(b);
}

struct Parsed {
  std::unique_ptr<RegexNode> node;
  long long size = 2;  // NFA states Thompson's construction will use
  int depth = 1;
};

std::unique_ptr<RegexNode> make(RegexNode::Kind kind) {
  auto n = std::make_unique<RegexNode>();
  n->kind = kind;
  return n;
}

class Parser {
 public:
  // alphabet == nullptr: first pass, which only records the symbols the pattern names.
  Parser(const std::string& pattern, const std::array<bool, 256>* alphabet,
         const std::vector<char>* alphabet_list, bool alphabet_given)
      : p_(pattern), alpha_(alphabet), alpha_list_(alphabet_list), given_(alphabet_given) {
    used_.fill(false);
  }

  Parsed parse() {
    Parsed r = alternation();
    if (i_ < p_.size()) {
      // alternation() stops only at ')' or the end.
      fail("unbalanced parenthesis: unmatched ')'", i_);
    }
    return r;
  }

  const std::array<bool, 256>& used() const { return used_; }

 private:
  [[noreturn]] void fail(const std::string& what, size_t pos) const {
    throw std::invalid_argument("regex: " + what + " at column " + std::to_string(pos + 1));
  }

  void check_size(long long size, size_t pos) const {
    if (size > kMaxNfaStates)
      fail("pattern too large (its NFA would exceed " + std::to_string(kMaxNfaStates) +
               " states)",
           pos);
  }
  void check_depth(int depth, size_t pos) const {
    if (depth > kMaxNesting)
      fail("pattern nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)",
           pos);
  }

  bool at(char c) const { return i_ < p_.size() && p_[i_] == c; }

  Parsed alternation() {
    const size_t begin = i_;
    std::vector<Parsed> alts;
    alts.push_back(concatenation());
    while (at('|')) {
      ++i_;
      alts.push_back(concatenation());
    }
    if (alts.size() == 1) return std::move(alts[0]);
    Parsed r;
    r.node = make(RegexNode::Kind::Alt);
    r.size = 2;
    r.depth = 1;
    for (auto& a : alts) {
      r.size += a.size;
      r.depth = std::max(r.depth, a.depth + 1);
      r.node->children.push_back(std::move(a.node));
    }
    check_size(r.size, begin);
    check_depth(r.depth, begin);
    return r;
  }

  Parsed concatenation() {
    const size_t begin = i_;
    std::vector<Parsed> parts;
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') parts.push_back(repetition());
    if (parts.empty()) {
      Parsed r;
      r.node = make(RegexNode::Kind::Empty);
      return r;
    }
    if (parts.size() == 1) return std::move(parts[0]);
    Parsed r;
    r.node = make(RegexNode::Kind::Concat);
    r.size = 0;
    for (auto& part : parts) {
      r.size += part.size;
      r.depth = std::max(r.depth, part.depth + 1);
      r.node->children.push_back(std::move(part.node));
    }
    check_size(r.size, begin);
    check_depth(r.depth, begin);
    return r;
  }

  int number(size_t brace) {
    const size_t begin = i_;
    long long v = 0;
    while (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '9') {
      v = std::min<long long>(v * 10 + (p_[i_] - '0'), 1LL << 40);
      ++i_;
    }
    if (i_ == begin) fail("malformed repeat (expected {m}, {m,} or {m,n})", brace);
    if (v > kMaxRepeat)
      fail("repeat count " + p_.substr(begin, i_ - begin) + " exceeds " +
               std::to_string(kMaxRepeat),
           begin);
    return static_cast<int>(v);
  }

  Parsed repetition() {
    Parsed r = atom();
    while (i_ < p_.size()) {
      const size_t op = i_;
      const char c = p_[i_];
      Parsed next;
      if (c == '*' || c == '+' || c == '?') {
        ++i_;
        next.node = make(c == '*'   ? RegexNode::Kind::Star
                         : c == '+' ? RegexNode::Kind::Plus
                                    : RegexNode::Kind::Optional);
        next.size = r.size + 2;
      } else if (c == '{') {
        ++i_;
        const int m = number(op);
        int n = m;
        if (at(',')) {
          ++i_;
          n = at('}') ? -1 : number(op);
        }
        if (!at('}')) fail("malformed repeat (expected {m}, {m,} or {m,n})", op);
        ++i_;
        if (n >= 0 && m > n)
          fail("bad repeat bounds {" + std::to_string(m) + "," + std::to_string(n) +
                   "} (minimum above maximum)",
               op);
        next.node = make(RegexNode::Kind::Repeat);
        next.node->min = m;
        next.node->max = n;
        next.size = 2 + m * r.size + (n < 0 ? 2 + r.size : (n - m) * (2 + r.size));
      } else {
        break;
      }
      next.depth = r.depth + 1;
      check_size(next.size, op);
      check_depth(next.depth, op);
      next.node->children.push_back(std::move(r.node));
      r = std::move(next);
    }
    return r;
  }

  // A symbol named by the pattern: recorded in the first pass, checked in the second.
  void add_symbol(std::vector<char>& set, char c, size_t pos) {
    // Alphabets must survive JSON (UTF-8), so symbols are single ASCII characters.
    if (static_cast<unsigned char>(c) >= 0x80)
      fail("symbol " + show_char(c) + " is not an ASCII character", pos);
    used_[static_cast<unsigned char>(c)] = true;
    if (!alpha_) return;
    if (!(*alpha_)[static_cast<unsigned char>(c)])
      fail("symbol " + show_char(c) + " is not in the alphabet", pos);
    set.push_back(c);
  }

  Parsed set_node(std::vector<char> set) {
    std::sort(set.begin(), set.end(), char_less);
    set.erase(std::unique(set.begin(), set.end()), set.end());
    Parsed r;
    r.node = make(RegexNode::Kind::Set);
    r.node->set = std::move(set);
    return r;
  }

  Parsed atom() {
    const size_t pos = i_;
    const char c = p_[i_];
    switch (c) {
      case '(': {
        if (++depth_ > kMaxNesting)
          fail("pattern nested too deeply (more than " + std::to_string(kMaxNesting) +
                   " levels)",
               pos);
        ++i_;
        Parsed inner = alternation();
        if (!at(')')) fail("unbalanced parenthesis: '(' is never closed", pos);
        ++i_;
        --depth_;
        return inner;
      }
      case '*':
      case '+':
      case '?':
      case '{':
        fail(std::string("dangling '") + c + "' (nothing to repeat)", pos);
      case '}':
      case ']':
        fail(std::string("unexpected '") + c + "' (escape it as \\" + c + ")", pos);
      case '\\': {
        if (i_ + 1 >= p_.size()) fail("trailing backslash", pos);
        i_ += 2;
        std::vector<char> set;
        add_symbol(set, p_[pos + 1], pos);
        return set_node(set);
      }
      case '.': {
        ++i_;
        if (alpha_ && alpha_list_->empty()) fail("'.' with an empty alphabet", pos);
        return set_node(alpha_ ? *alpha_list_ : std::vector<char>{});
      }
      case '[':
        return char_class();
      default: {
        ++i_;
        std::vector<char> set;
        add_symbol(set, c, pos);
        return set_node(set);
      }
    }
  }

  // One class member, possibly escaped; returns its character.
  char class_char(size_t open) {
    if (i_ >= p_.size()) fail("unterminated class (missing ']')", open);
    if (p_[i_] == '\\') {
      if (i_ + 1 >= p_.size()) fail("trailing backslash", i_);
      i_ += 2;
      return p_[i_ - 1];
    }
    return p_[i_++];
  }

  Parsed char_class() {
    const size_t open = i_++;
    bool negate = false;
    if (at('^')) {
      negate = true;
      ++i_;
    }
    if (at(']')) fail("empty class []", open);
    std::vector<char> members;
    while (true) {
      if (i_ >= p_.size()) fail("unterminated class (missing ']')", open);
      if (p_[i_] == ']') {
        ++i_;
        break;
      }
      const size_t item = i_;
      const char lo = class_char(open);
      if (at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        const char hi = class_char(open);
        const auto ulo = static_cast<unsigned char>(lo), uhi = static_cast<unsigned char>(hi);
        if (ulo > uhi) fail("bad range " + show_char(lo) + "-" + show_char(hi), item);
        // Ranges keep what the given alphabet has; without one they add every symbol.
        for (unsigned u = ulo; u <= uhi; ++u) {
          const char ch = static_cast<char>(u);
          if (!given_ || !alpha_ || (*alpha_)[u])
            add_symbol(members, ch, item);
        }
      } else {
        add_symbol(members, lo, item);
      }
    }
    if (!alpha_) return set_node({});
    std::vector<char> set;
    if (negate) {
      for (char a : *alpha_list_)
        if (std::find(members.begin(), members.end(), a) == members.end()) set.push_back(a);
      if (set.empty()) fail("class excludes every symbol of the alphabet", open);
    } else {
      set = members;
      if (set.empty()) fail("class matches no symbol of the alphabet", open);
    }
    return set_node(set);
  }

  const std::string& p_;
  const std::array<bool, 256>* alpha_;
  const std::vector<char>* alpha_list_;
  bool given_;
  std::array<bool, 256> used_;
  size_t i_ = 0;
  int depth_ = 0;
};

// Thompson fragments: one entry state, one exit state.
struct Fragment {
  int start, end;
};

class NfaBuilder {
 public:
  explicit NfaBuilder(const Regex& regex) {
    index_.fill(-1);
    for (size_t i = 0; i < regex.alphabet.size(); ++i) {
      index_[static_cast<unsigned char>(regex.alphabet[i])] = static_cast<int>(i);
      nfa_.alphabet.push_back(std::string(1, regex.alphabet[i]));
    }
  }

  Nfa build(const RegexNode& root) {
    Fragment f = fragment(root);
    nfa_.start = f.start;
    nfa_.accept = f.end;
    return std::move(nfa_);
  }

 private:
  int state() {
    if (nfa_.edges.size() >= static_cast<size_t>(kMaxNfaStates) * 2)
      throw std::invalid_argument("regex: NFA exceeds " + std::to_string(kMaxNfaStates * 2) +
                                  " states");
    nfa_.edges.emplace_back();
    return static_cast<int>(nfa_.edges.size()) - 1;
  }
  void eps(int from, int to) { nfa_.edges[from].push_back({Nfa::kEpsilon, to}); }

  Fragment fragment(const RegexNode& n) {
    using Kind = RegexNode::Kind;
    switch (n.kind) {
      case Kind::Empty: {
        Fragment f{state(), state()};
        eps(f.start, f.end);
        return f;
      }
      case Kind::Set: {
        Fragment f{state(), state()};
        for (char c : n.set) {
          const int sym = index_[static_cast<unsigned char>(c)];
          if (sym < 0)
            throw std::invalid_argument(std::string("regex: set symbol ") + show_char(c) +
                                        " is not in the regex's alphabet");
          nfa_.edges[f.start].push_back({sym, f.end});
        }
        return f;
      }
      case Kind::Concat: {
        if (n.children.empty()) return fragment(RegexNode{});
        Fragment f = fragment(*n.children[0]);
        for (size_t i = 1; i < n.children.size(); ++i) {
          Fragment g = fragment(*n.children[i]);
          eps(f.end, g.start);
          f.end = g.end;
        }
        return f;
      }
      case Kind::Alt: {
        Fragment f{state(), state()};
        for (const auto& child : n.children) {
          Fragment g = fragment(*child);
          eps(f.start, g.start);
          eps(g.end, f.end);
        }
        return f;
      }
      case Kind::Star:
      case Kind::Plus:
      case Kind::Optional: {
        Fragment f{state(), state()};
        Fragment g = fragment(child(n));
        eps(f.start, g.start);
        eps(g.end, f.end);
        if (n.kind != Kind::Optional) eps(g.end, g.start);
        if (n.kind != Kind::Plus) eps(f.start, f.end);
        return f;
      }
      case Kind::Repeat: {
        if (n.min < 0 || (n.max >= 0 && n.max < n.min))
          throw std::invalid_argument("regex: bad repeat bounds in syntax tree");
        Fragment f{state(), state()};
        int tail = f.start;
        for (int i = 0; i < n.min; ++i) {
          Fragment g = fragment(child(n));
          eps(tail, g.start);
          tail = g.end;
        }
        if (n.max < 0) {
          // Then any number more: a starred copy.
          Fragment g = fragment(child(n));
          eps(tail, g.start);
          eps(g.end, g.start);
          eps(g.end, f.end);
          eps(tail, f.end);
        } else {
          // Then up to max - min optional copies, each able to exit early.
          for (int i = n.min; i < n.max; ++i) {
            Fragment g = fragment(child(n));
            eps(tail, g.start);
            eps(tail, f.end);
            tail = g.end;
          }
          eps(tail, f.end);
        }
        return f;
      }
    }
    throw std::invalid_argument("regex: unknown node kind");
  }

  static const RegexNode& child(const RegexNode& n) {
    if (n.children.size() != 1)
      throw std::invalid_argument("regex: repetition node needs exactly one child");
    return *n.children[0];
  }

  Nfa nfa_;
  std::array<int, 256> index_;
};

}  // namespace

Regex parse_regex(const std::string& pattern, const std::string& alphabet) {
  std::array<bool, 256> in_alpha;
  in_alpha.fill(false);
  std::vector<char> list;
  const bool given = !alphabet.empty();
  if (given) {
    for (char c : alphabet) {
      if (static_cast<unsigned char>(c) >= 0x80)
        throw std::invalid_argument("regex: alphabet symbol " + show_char(c) +
                                    " is not an ASCII character");
      if (in_alpha[static_cast<unsigned char>(c)])
        throw std::invalid_argument("regex: alphabet \"" + alphabet + "\" repeats symbol " +
                                    show_char(c));
      in_alpha[static_cast<unsigned char>(c)] = true;
    }
  } else {
    // First pass: the symbols the pattern names make the alphabet.
    Parser first(pattern, nullptr, nullptr, false);
    first.parse();
    in_alpha = first.used();
  }
  for (int u = 0; u < 256; ++u)
    if (in_alpha[u]) list.push_back(static_cast<char>(u));
  Parser second(pattern, &in_alpha, &list, given);
  Regex regex;
  regex.alphabet = list;
  regex.root = second.parse().node;
  return regex;
}

Nfa regex_to_nfa(const Regex& regex) {
  if (!regex.root) throw std::invalid_argument("regex: empty syntax tree");
  return NfaBuilder(regex).build(*regex.root);
}

Dfa regex_to_dfa(const std::string& pattern, const std::string& alphabet) {
  return minimize(determinize(regex_to_nfa(parse_regex(pattern, alphabet))));
}

}  // namespace goose::automata
