#include "ipw/run/run_dir.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include <sys/stat.h>

#include "ipw/common/utc_time.h"

namespace ipw::run {
namespace {

std::string slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
    if (out.size() >= 40) break;
  }
  return out.empty() ? std::string("model") : out;
}

}  // namespace

std::string create_run_dir(const std::string& out_root, const std::string& model) {
  std::error_code ec;
  std::filesystem::create_directories(out_root, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot create output directory {}: {} (choose another with --out)", out_root,
                    ec.message()));
  }
  std::random_device rd;
  const std::string stem = utc_now("%Y%m%dT%H%M%SZ") + "-" + slug(model);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string dir =
        (std::filesystem::path(out_root) / fmt::format("{}-{:04x}", stem, rd() & 0xffffu)).string();
    // mkdir is atomic: if it succeeds the directory is ours, so two concurrent
    // runs can never share (and overwrite) a directory.
    if (::mkdir(dir.c_str(), 0755) == 0) return dir;
    if (errno != EEXIST) {
      throw std::runtime_error(fmt::format("cannot create run directory {}: {}", dir, std::strerror(errno)));
    }
  }
  throw std::runtime_error(fmt::format("cannot find a free run directory name under {}", out_root));
}

}  // namespace ipw::run
