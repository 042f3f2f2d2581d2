#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ipw/workload/dataset.h"

namespace ipw::workload {
namespace {

class DiskReader final : public FileReader {
 public:
  std::string read(const std::string& path) const override {
    // A directory opens fine on Linux and only fails on the first read; say so plainly.
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw DatasetError("cannot read " + path + ": is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DatasetError("cannot read " + path + ": " + std::strerror(errno));
    std::string bytes;
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
      bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (in.bad()) throw DatasetError("cannot read " + path + ": I/O error");
    return bytes;
  }
};

}  // namespace

const FileReader& disk_reader() {
  static const DiskReader reader;
  return reader;
}

}  // namespace ipw::workload
