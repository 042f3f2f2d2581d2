#pragma once
// Splitting a workload across machines: `ipw profile --shard I/N` runs the items
// whose id hashes to I (mod N), so N processes started with 0/N … N-1/N cover every
// item exactly once, whatever order they run in and whichever host runs which
// (docs/cluster.md). By id, not by position: a shard keeps its items when the list
// around them changes length (--max-queries), and two sweeps agree on the split.
#include <cstdint>
#include <string>

namespace ipw::workload {

struct Shard {
  int index = 0;  // 0-based, as Slurm numbers array tasks
  int count = 1;  // 1: the whole workload
  bool whole() const { return count == 1; }
};

// "I/N" with 0 <= I < N; "" is the whole workload. Throws ipw::UsageError naming
// the accepted form otherwise.
Shard parse_shard(const std::string& spec);
std::string to_string(const Shard& s);  // "I/N", or "" for the whole workload

// Which shard of `count` an item id belongs to: the first 8 bytes of the id's
// SHA-256, mod count (the same on every platform and build).
int shard_of(const std::string& item_id, int count);

}  // namespace ipw::workload
