// Strict parsers for integers, length lists and length ranges (see text.h).
#include "core/text.h"

#include <cerrno>
#include <cstdlib>
#include <stdexcept>

namespace goose::core {

int64_t parse_int64(const std::string& text, const std::string& what) {
  const bool digits_only =
      !text.empty() && text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0) == std::string::npos &&
      text != "-";
  errno = 0;
  const long long value = digits_only ? std::strtoll(text.c_str(), nullptr, 10) : 0;
  if (!digits_only || errno == ERANGE)
    throw std::invalid_argument(what + ": '" + text + "' is not an integer");
  return value;
}

std::vector<int64_t> parse_length_list(const std::string& text, const std::string& what) {
  std::vector<int64_t> out;
  if (text.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int64_t value = 0;
    try {
      value = parse_int64(item, what);
    } catch (const std::invalid_argument&) {
      value = 0;
    }
    if (value <= 0)
      throw std::invalid_argument("bad length list '" + text + "' for " + what + ": '" + item +
                                  "' is not a positive integer (e.g. 40,80,256)");
    out.push_back(value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::pair<int64_t, int64_t> parse_length_range(const std::string& text, const std::string& what) {
  const size_t dots = text.find("..");
  const std::string lo = dots == std::string::npos ? text : text.substr(0, dots);
  const std::string hi = dots == std::string::npos ? text : text.substr(dots + 2);
  const auto bad = [&] {
    return std::invalid_argument("bad length range '" + text + "' for " + what +
                                 " (expected A..B with 1 <= A <= B, or one length)");
  };
  if (lo.find(',') != std::string::npos || hi.find(',') != std::string::npos || lo.empty() || hi.empty())
    throw bad();
  std::vector<int64_t> lo_v, hi_v;
  try {
    lo_v = parse_length_list(lo, what);
    hi_v = parse_length_list(hi, what);
  } catch (const std::invalid_argument&) {
    throw bad();
  }
  if (lo_v[0] > hi_v[0]) throw bad();
  return {lo_v[0], hi_v[0]};
}

std::string format_length_range(int64_t min_len, int64_t max_len) {
  return min_len == max_len ? std::to_string(min_len)
                            : std::to_string(min_len) + ".." + std::to_string(max_len);
}

}  // namespace goose::core
