#pragma once
// Shared by the fuzz targets: the input as text, and the input cut into chunks at
// points the input itself chooses (a stream parser must give the same result
// whatever the split, as a network splits bytes anywhere).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first byte picks a chunk length (1..64); the rest is the stream.
inline std::vector<std::string_view> chunks(std::string_view in) {
  std::vector<std::string_view> out;
  if (in.empty()) return out;
  const std::size_t step = 1 + static_cast<unsigned char>(in[0]) % 64;
  in.remove_prefix(1);
  for (std::size_t i = 0; i < in.size(); i += step) out.push_back(in.substr(i, step));
  return out;
}

// Stops the fuzzer with a message (a broken invariant is a finding like a crash).
[[noreturn]] void invariant_failed(const char* what);

// A stream parser's result must not depend on where the network split the bytes:
// `parse` (chunks -> comparable result) on the input's chunks and on it whole.
template <class Parse>
void check_split_invariance(std::string_view in, Parse parse, const char* what) {
  const auto parts = chunks(in);
  if (parts.empty()) return;
  const std::string whole(in.substr(1));
  if (parse(parts) != parse(std::vector<std::string_view>{whole})) invariant_failed(what);
}

}  // namespace ipw::fuzz
