#include "ipw/workload/shard.h"

#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include "ipw/common/sha256.h"
#include "ipw/common/usage_error.h"

namespace ipw::workload {

Shard parse_shard(const std::string& spec) {
  if (spec.empty()) return {};
  const auto bad = [&](const std::string& why) {
    return UsageError(fmt::format(
        "--shard '{}': {} (expected I/N with 0 <= I < N, e.g. --shard 0/4 … --shard 3/4; Slurm array tasks "
        "can pass $SLURM_ARRAY_TASK_ID/N)",
        spec, why));
  };
  const auto slash = spec.find('/');
  if (slash == std::string::npos) throw bad("no '/'");
  const auto whole = [](std::string_view text, int& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
  };
  Shard s;
  if (!whole(std::string_view(spec).substr(0, slash), s.index) ||
      !whole(std::string_view(spec).substr(slash + 1), s.count)) {
    throw bad("I and N must be whole numbers");
  }
  if (s.count < 1) throw bad("N must be at least 1");
  if (s.index < 0 || s.index >= s.count) throw bad(fmt::format("I must be between 0 and {}", s.count - 1));
  return s;
}

std::string to_string(const Shard& s) { return s.whole() ? std::string() : fmt::format("{}/{}", s.index, s.count); }

int shard_of(const std::string& item_id, int count) {
  if (count <= 1) return 0;
  const std::string hex = sha256_hex(item_id);
  const std::uint64_t h = std::stoull(hex.substr(0, 16), nullptr, 16);
  return static_cast<int>(h % static_cast<std::uint64_t>(count));
}

}  // namespace ipw::workload
