// Files that survive a kill: atomic writes (temporary name, then rename), JSON reading,
// whole-line appends, and small directory helpers. The run directory's layout is
// core/run_directory.h's. Exports write_file_atomic(), write_json_atomic(), read_json(),
// append_line(), temp_path_for(), rename_file(), file_exists(), dir_is_empty(), make_dirs().
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace goose::core {

// Writes `content` to DIR/.NAME.tmp.PID, flushes it, then renames it over `path`, so a
// reader (or a killed run) sees the old file or the new one, never half of one.
void write_file_atomic(const std::string& path, const std::string& content);
void write_json_atomic(const std::string& path, const nlohmann::json& value);
// Throws std::invalid_argument when the file is missing or is not JSON.
nlohmann::json read_json(const std::string& path);
std::string read_file(const std::string& path);
// Appends one line in a single write and flushes it (metrics.jsonl).
void append_line(const std::string& path, const std::string& line);

// A temporary path beside `path`, for writers (like torch archives) that take a file name.
std::string temp_path_for(const std::string& path);
// rename(2) with a clear error.
void rename_file(const std::string& from, const std::string& to);

bool file_exists(const std::string& path);
// True when `dir` does not exist or holds no entries.
bool dir_is_empty(const std::string& dir);
// Creates `dir` and its parents.
void make_dirs(const std::string& dir);
// Removes the temporaries (".NAME.tmp.PID") that writers killed mid-write left in `dir`.
void remove_temporaries(const std::string& dir);

}  // namespace goose::core
