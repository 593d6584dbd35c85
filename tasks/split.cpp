// Length ranges and splits (see split.h).
#include "tasks/split.h"

#include <stdexcept>

namespace goose::tasks {
namespace {

int64_t parse_length(const std::string& text, const std::string& whole) {
  size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw std::invalid_argument("length range '" + whole + "': '" + text + "' is not an integer");
  if (value < 1)
    throw std::invalid_argument("length range '" + whole + "': lengths must be at least 1");
  return value;
}

}  // namespace

std::string LengthRange::to_string() const {
  return min_len == max_len ? std::to_string(min_len)
                            : std::to_string(min_len) + "-" + std::to_string(max_len);
}

LengthRange parse_length_range(const std::string& text) {
  LengthRange range;
  size_t sep = text.find("..");
  size_t width = 2;
  if (sep == std::string::npos) {
    sep = text.find('-', 1);  // not the sign of a negative number
    width = 1;
  }
  if (sep == std::string::npos) {
    range.min_len = range.max_len = parse_length(text, text);
  } else {
    range.min_len = parse_length(text.substr(0, sep), text);
    range.max_len = parse_length(text.substr(sep + width), text);
  }
  if (range.min_len > range.max_len)
    throw std::invalid_argument("length range '" + text + "': minimum exceeds maximum");
  return range;
}

LengthSplit make_length_split(const LengthRange& train, const LengthRange& test, uint64_t seed) {
  for (const LengthRange* r : {&train, &test})
    if (r->min_len < 1 || r->min_len > r->max_len)
      throw std::invalid_argument("length split: bad range " + r->to_string());
  return LengthSplit{train, test, seed};
}

}  // namespace goose::tasks
