#include <benchmark/benchmark.h>
#include "ipw/common/clock.h"
static void BM_SteadyClock(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ipw::steady_clock().now_ns());
}
BENCHMARK(BM_SteadyClock);
BENCHMARK_MAIN();
