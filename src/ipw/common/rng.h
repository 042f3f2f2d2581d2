#pragma once
// A small seeded PRNG (SplitMix64) for everything ipw draws (bootstrap resampling,
// routing simulations, --sample's subset, synthetic runs): the same seed gives the
// same draws on every machine and compiler, which std::mt19937 plus
// std::uniform_int_distribution does not guarantee (the distribution is
// implementation-defined).
#include <cstddef>
#include <cstdint>

namespace ipw {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform index in [0, n) by multiply-shift (Lemire); the bias is < n / 2^64,
  // far below anything a bootstrap can resolve.
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Uniform in [0, n) with no bias at all (rejection sampling): --sample's subsets, which
  // must stay the same for a seed, draw this way.
  std::uint64_t below_exact(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t r;
    do {
      r = next();
    } while (r >= limit);
    return r % n;
  }

  // Uniform double in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

}  // namespace ipw
