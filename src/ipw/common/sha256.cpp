#include "ipw/common/sha256.h"

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace ipw {
namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_MD_CTX, CtxFree>;

Ctx new_ctx() {
  Ctx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return nullptr;
  return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, digest.data(), &len) != 1) return {};
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  Ctx ctx = new_ctx();
  std::string hex;
  if (ctx && EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1) hex = finish_hex(ctx.get());
  if (hex.empty()) throw std::runtime_error("sha256: OpenSSL's digest failed");
  return hex;
}

Expected<std::string, std::string> sha256_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unexpected(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  Ctx ctx = new_ctx();
  if (!ctx) return unexpected(std::string("OpenSSL SHA-256 is unavailable"));
  std::vector<char> chunk(std::size_t{1} << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (EVP_DigestUpdate(ctx.get(), chunk.data(), static_cast<std::size_t>(in.gcount())) != 1) {
      return unexpected(fmt::format("SHA-256 of '{}' failed", path));
    }
  }
  if (in.bad()) return unexpected(fmt::format("read error in '{}'", path));
  std::string hex = finish_hex(ctx.get());
  if (hex.empty()) return unexpected(fmt::format("SHA-256 of '{}' failed", path));
  return hex;
}

}  // namespace ipw
