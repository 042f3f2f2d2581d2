#pragma once
// The seam between collectors and the kernel's sysfs. Production reads below a
// root directory (env IPW_SYSFS_ROOT, default /sys); tests point the root at a
// fake tree in a temp dir, or wrap the reader to inject errors such as EACCES
// (tests run as root, so chmod cannot simulate "permission denied").
#include <memory>
#include <mutex>

#include <sys/types.h>
#include <string>
#include <unordered_map>
#include <vector>

#include "ipw/common/expected.h"

namespace ipw::telemetry {

struct FsError {
  int errno_value = 0;  // ENOENT, EACCES, …
  std::string message;  // "<path>: <strerror>"
};

class SysfsReader {
 public:
  virtual ~SysfsReader() = default;
  // Contents of a file, path relative to the root ("class/powercap/intel-rapl:0/energy_uj").
  virtual Expected<std::string, FsError> read(const std::string& rel_path) const = 0;
  // The same, for a file re-read on every sample (energy_uj, power1_input); an
  // implementation may keep it open. Defaults to read().
  virtual Expected<std::string, FsError> read_hot(const std::string& rel_path) const {
    return read(rel_path);
  }
  // Entry names of a directory (no "." / ".."), sorted; empty when it does not exist.
  virtual std::vector<std::string> list(const std::string& rel_dir) const = 0;
  virtual bool exists(const std::string& rel_path) const = 0;
  // Absolute path, for messages shown to the user.
  virtual std::string describe_path(const std::string& rel_path) const = 0;
};

// Reads the real filesystem below `root`. Hot files (counters read at 100 Hz)
// are kept open and re-read with pread(…, 0): sysfs regenerates an attribute on
// every read at offset 0, and it saves an open/close per sample. A hot file
// replaced under ipw (same path, new inode: a driver reload, a remount) is
// reopened, so its counter is never read frozen from the old file.
class DirSysfsReader final : public SysfsReader {
 public:
  explicit DirSysfsReader(std::string root);
  ~DirSysfsReader() override;
  DirSysfsReader(const DirSysfsReader&) = delete;
  DirSysfsReader& operator=(const DirSysfsReader&) = delete;

  Expected<std::string, FsError> read(const std::string& rel_path) const override;
  Expected<std::string, FsError> read_hot(const std::string& rel_path) const override;
  std::vector<std::string> list(const std::string& rel_dir) const override;
  bool exists(const std::string& rel_path) const override;
  std::string describe_path(const std::string& rel_path) const override;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  mutable std::mutex mu_;
  struct Open {
    int fd;
    dev_t dev;
    ino_t ino;
  };
  mutable std::unordered_map<std::string, Open> fds_;  // guarded by mu_
};

// IPW_SYSFS_ROOT when set and non-empty, else "/sys".
std::string sysfs_root_from_env();
std::shared_ptr<const SysfsReader> default_sysfs_reader();

// Parse a sysfs integer attribute ("123456\n"). Error text names the content.
Expected<unsigned long long, std::string> parse_sysfs_u64(const std::string& text);
Expected<long long, std::string> parse_sysfs_i64(const std::string& text);
// Trimmed text of a sysfs attribute (names, labels).

}  // namespace ipw::telemetry
