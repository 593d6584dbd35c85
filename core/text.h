// Strict parsing of the small texts users type: integers, length lists ("40,80,256") and
// length ranges ("3..40" or "16"). One grammar for the command line, study files and task
// specs. Errors are std::invalid_argument naming `what` and the offending text.
// Exports parse_int64(), parse_length_list(), parse_length_range(), format_length_range().
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace goose::core {

// The whole of `text` as a base-10 integer (an optional leading '-'); no spaces, no suffix.
int64_t parse_int64(const std::string& text, const std::string& what);

// "40,80,256" -> {40, 80, 256}; "" -> {}. Every item a positive integer.
std::vector<int64_t> parse_length_list(const std::string& text, const std::string& what);

// "3..40" -> {3, 40}; "16" -> {16, 16}. Requires 1 <= A <= B.
std::pair<int64_t, int64_t> parse_length_range(const std::string& text, const std::string& what);
// The inverse: "3..40", or "16" when min == max.
std::string format_length_range(int64_t min_len, int64_t max_len);

}  // namespace goose::core
