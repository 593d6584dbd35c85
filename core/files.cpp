// Atomic writes by rename, JSON reading and writing, whole-line appends, directories.
#include "core/files.h"

#include "core/fault.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace goose::core {

namespace fs = std::filesystem;

std::string temp_path_for(const std::string& path) {
  const fs::path p(path);
  const std::string name = "." + p.filename().string() + ".tmp." + std::to_string(::getpid());
  return (p.parent_path() / name).string();
}

void rename_file(const std::string& from, const std::string& to) {
  fault_point("before-rename");
  std::error_code error;
  fs::rename(from, to, error);
  if (error) {
    std::remove(from.c_str());
    throw std::runtime_error("cannot rename " + from + " to " + to + ": " + error.message());
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = temp_path_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << content;
    out.flush();
    if (!out) {
      out.close();
      std::remove(tmp.c_str());
      throw std::runtime_error("cannot write " + tmp);
    }
  }
  rename_file(tmp, path);
}

void write_json_atomic(const std::string& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::json read_json(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + " is not valid JSON: " + e.what());
  }
}

void append_line(const std::string& path, const std::string& line) {
  // One fwrite of the whole line, then a flush: a killed run leaves whole lines only
  // (short of a crash inside the write itself).
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (!file) throw std::runtime_error("cannot append to " + path);
  const std::string text = line + "\n";
  if (fault_due("metrics-half-line")) {  // a kill in the middle of the write (tests)
    std::fwrite(text.data(), 1, text.size() / 2, file);
    std::fflush(file);
    die_now();
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  std::fflush(file);
  std::fclose(file);
  if (!ok) throw std::runtime_error("cannot append to " + path);
}

bool file_exists(const std::string& path) {
  std::error_code error;
  return fs::exists(path, error);
}

bool dir_is_empty(const std::string& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) return true;
  if (!fs::is_directory(dir, error)) return false;
  return fs::directory_iterator(dir, error) == fs::directory_iterator();
}

void make_dirs(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw std::invalid_argument("cannot create directory " + dir + ": " + error.message());
}

void remove_temporaries(const std::string& dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos) fs::remove(entry.path(), error);
  }
}

}  // namespace goose::core
