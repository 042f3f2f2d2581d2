#include "ipw/telemetry/sysfs_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ipw/common/text.h"

namespace ipw::telemetry {
namespace {

constexpr std::size_t kMaxAttributeBytes = 64 * 1024;  // sysfs attributes are < 1 page

FsError make_error(int err, const std::string& path) {
  return FsError{err, path + ": " + std::strerror(err)};
}

// Reads a whole small file from an open descriptor, starting at offset 0.
Expected<std::string, FsError> pread_all(int fd, const std::string& path) {
  std::string out;
  char buf[4096];
  off_t offset = 0;
  while (out.size() < kMaxAttributeBytes) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(make_error(errno, path));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    offset += n;
  }
  return out;
}

}  // namespace

DirSysfsReader::DirSysfsReader(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

DirSysfsReader::~DirSysfsReader() {
  for (auto& [path, f] : fds_) ::close(f.fd);
}

std::string DirSysfsReader::describe_path(const std::string& rel_path) const {
  if (rel_path.empty()) return root_;
  return root_ == "/" ? "/" + rel_path : root_ + "/" + rel_path;
}

Expected<std::string, FsError> DirSysfsReader::read(const std::string& rel_path) const {
  const std::string path = describe_path(rel_path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unexpected(make_error(errno, path));
  auto text = pread_all(fd, path);
  ::close(fd);
  return text;
}

Expected<std::string, FsError> DirSysfsReader::read_hot(const std::string& rel_path) const {
  const std::string path = describe_path(rel_path);
  std::lock_guard lock(mu_);
  // One stat per read (about a microsecond) notices a file replaced under the open one.
  struct stat now {};
  if (::stat(path.c_str(), &now) != 0) {
    const int err = errno;
    if (auto it = fds_.find(path); it != fds_.end()) {
      ::close(it->second.fd);
      fds_.erase(it);
    }
    return unexpected(make_error(err, path));
  }
  auto it = fds_.find(path);
  if (it != fds_.end() && (it->second.dev != now.st_dev || it->second.ino != now.st_ino)) {
    ::close(it->second.fd);
    fds_.erase(it);
    it = fds_.end();
  }
  if (it == fds_.end()) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return unexpected(make_error(errno, path));
    struct stat opened {};
    if (::fstat(fd, &opened) != 0) opened = now;
    it = fds_.emplace(path, Open{fd, opened.st_dev, opened.st_ino}).first;
  }
  auto text = pread_all(it->second.fd, path);
  if (!text) {  // device gone: reopen next time
    ::close(it->second.fd);
    fds_.erase(it);
  }
  return text;
}

std::vector<std::string> DirSysfsReader::list(const std::string& rel_dir) const {
  std::vector<std::string> names;
  DIR* dir = ::opendir(describe_path(rel_dir).c_str());
  if (dir == nullptr) return names;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

bool DirSysfsReader::exists(const std::string& rel_path) const {
  struct stat st {};
  return ::stat(describe_path(rel_path).c_str(), &st) == 0;
}

std::string sysfs_root_from_env() {
  const char* env = std::getenv("IPW_SYSFS_ROOT");
  return (env != nullptr && *env != '\0') ? std::string(env) : std::string("/sys");
}

std::shared_ptr<const SysfsReader> default_sysfs_reader() {
  return std::make_shared<DirSysfsReader>(sysfs_root_from_env());
}

Expected<unsigned long long, std::string> parse_sysfs_u64(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos)
    return unexpected("not an unsigned integer: '" + t + "'");
  errno = 0;
  const unsigned long long v = std::strtoull(t.c_str(), nullptr, 10);
  if (errno == ERANGE) return unexpected("integer out of range: '" + t + "'");
  return v;
}

Expected<long long, std::string> parse_sysfs_i64(const std::string& text) {
  const std::string t = trim(text);
  const std::size_t digits_from = (!t.empty() && t[0] == '-') ? 1 : 0;
  if (t.size() <= digits_from ||
      t.find_first_not_of("0123456789", digits_from) != std::string::npos)
    return unexpected("not an integer: '" + t + "'");
  errno = 0;
  const long long v = std::strtoll(t.c_str(), nullptr, 10);
  if (errno == ERANGE) return unexpected("integer out of range: '" + t + "'");
  return v;
}

}  // namespace ipw::telemetry
