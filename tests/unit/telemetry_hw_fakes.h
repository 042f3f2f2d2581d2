#pragma once
// Test doubles shared by the hardware collector tests: a fake sysfs tree in a
// temp directory, a reader that injects errno failures (tests run as root, so
// chmod cannot produce EACCES), and a clock that only moves when told to.
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "ipw/common/clock.h"
#include "ipw/telemetry/sysfs_reader.h"

namespace ipw::hwtest {

// A directory tree under /tmp removed at destruction.
class TempTree {
 public:
  TempTree() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ipw-hw-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
  }
  ~TempTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  // Writes in place (same inode), as a kernel attribute changes under an open fd.
  void write(const std::string& rel, const std::string& content) const {
    const auto p = std::filesystem::path(path(rel));
    std::filesystem::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::trunc);
    f << content;
  }
  void mkdir(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }
  void remove(const std::string& rel) const { std::filesystem::remove_all(path(rel)); }
  void symlink(const std::string& target_rel, const std::string& link_rel) const {
    std::filesystem::create_directories(std::filesystem::path(path(link_rel)).parent_path());
    std::filesystem::create_directory_symlink(path(target_rel), path(link_rel));
  }

 private:
  std::string root_;
};

// Wraps a real reader; reads of paths ending in a denied suffix fail with errno.
class FailingReader final : public telemetry::SysfsReader {
 public:
  explicit FailingReader(std::shared_ptr<const telemetry::SysfsReader> inner)
      : inner_(std::move(inner)) {}
  void fail(const std::string& rel_path, int err) { failures_[rel_path] = err; }

  Expected<std::string, telemetry::FsError> read(const std::string& rel) const override {
    if (auto it = failures_.find(rel); it != failures_.end())
      return unexpected(telemetry::FsError{
          it->second, inner_->describe_path(rel) + ": " + std::strerror(it->second)});
    return inner_->read(rel);
  }
  Expected<std::string, telemetry::FsError> read_hot(const std::string& rel) const override {
    if (failures_.count(rel) != 0) return read(rel);
    return inner_->read_hot(rel);
  }
  std::vector<std::string> list(const std::string& d) const override { return inner_->list(d); }
  bool exists(const std::string& p) const override { return inner_->exists(p); }
  std::string describe_path(const std::string& p) const override {
    return inner_->describe_path(p);
  }

 private:
  std::shared_ptr<const telemetry::SysfsReader> inner_;
  std::map<std::string, int> failures_;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t t_ns = 1'000'000'000) : t_ns_(t_ns) {}
  std::int64_t now_ns() const override { return t_ns_.load(); }
  void advance(std::int64_t ns) { t_ns_ += ns; }
  void set(std::int64_t ns) { t_ns_ = ns; }

 private:
  std::atomic<std::int64_t> t_ns_;
};

// RAII environment variable (restores the old value).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace ipw::hwtest
