// CPU cost of one sampler read, without the thread wake-up around it
// (docs/BENCHMARKS.md, "Telemetry: sampler overhead"): Sampler::sample_now()
// over the same collectors as sampler_overhead_bench — a constant, RAPL over a
// fake 4-zone sysfs tree, the fake NVML library. Multiplied by the rate it is
// ipw's own share of the sampling thread's CPU; the rest is the machine's cost
// of waking a thread that often.
//
// usage: sampler_read_cost_bench [google-benchmark flags]
// The fake NVML is looked for at ../lib/fake_nvml/libnvidia-ml.so.1 next to this
// binary (IPW_NVML_LIBRARY overrides).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "ipw/telemetry/nvml_collector.h"
#include "ipw/telemetry/rapl_collector.h"
#include "ipw/telemetry/sampler.h"

namespace {

namespace fs = std::filesystem;
using ipw::telemetry::Collector;

class ConstantCollector final : public Collector {
 public:
  std::string name() const override { return "constant"; }
  const std::vector<ipw::telemetry::DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t, std::vector<ipw::telemetry::Reading>& out) override {
    out.assign(1, ipw::telemetry::Reading{});
    out[0].energy_j = 1.0;
  }

 private:
  std::vector<ipw::telemetry::DomainInfo> domains_{
      {"c0", "constant", "system", ipw::telemetry::EnergySource::counter, 0.0}};
};

// A 4-zone powercap tree and a one-GPU fake NVML config, made once per process.
struct Fakes {
  fs::path root;
  std::string nvml_lib;
  Fakes() {
    std::string tmpl = (fs::temp_directory_path() / "ipw-bench-read-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root = tmpl;
    for (const auto& [dir, name] : {std::pair<const char*, const char*>{"intel-rapl:0", "package-0"},
                                    {"intel-rapl:0:0", "core"},
                                    {"intel-rapl:0:1", "dram"},
                                    {"intel-rapl:1", "psys"}}) {
      const fs::path z = root / "class/powercap" / dir;
      fs::create_directories(z);
      std::ofstream(z / "name") << name << "\n";
      std::ofstream(z / "energy_uj") << "123456789012\n";
      std::ofstream(z / "max_energy_range_uj") << "262143328850\n";
    }
    std::ofstream(root / "nvml.conf")
        << "gpu name=Fake_H100 uuid=GPU-bench energy_mj=1000000 power_mw=300000 instant_mw=310000\n";
    ::setenv("IPW_FAKE_NVML_CONFIG", (root / "nvml.conf").c_str(), 1);
    const char* env = std::getenv("IPW_NVML_LIBRARY");
    nvml_lib = env ? env
                   : (fs::canonical("/proc/self/exe").parent_path() / "../lib/fake_nvml/libnvidia-ml.so.1")
                         .string();
  }
  ~Fakes() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

const Fakes& fakes() {
  static const Fakes f;
  return f;
}

std::unique_ptr<Collector> make(const std::string& which) {
  if (which == "constant") return std::make_unique<ConstantCollector>();
  if (which == "rapl") {
    ipw::telemetry::HardwareOptions o;
    o.fs = std::make_shared<ipw::telemetry::DirSysfsReader>(fakes().root.string());
    o.detect_update_period = false;
    auto c = ipw::telemetry::make_rapl_collector(o);
    if (!c) throw std::runtime_error("rapl: " + ipw::telemetry::describe_failure(c.error()));
    return std::move(*c);
  }
  ipw::telemetry::NvmlOptions o;
  o.library_path = fakes().nvml_lib;
  o.read_cuda_env = false;
  o.common.detect_update_period = false;
  auto c = ipw::telemetry::make_nvml_collector(o);
  if (!c) throw std::runtime_error("nvml: " + ipw::telemetry::describe_failure(c.error()));
  return std::move(*c);
}

// One sample_now(): stamp, read, append to the trace and the sample store.
void sample_now(benchmark::State& state, const std::string& which) {
  std::vector<std::unique_ptr<Collector>> cs;
  cs.push_back(make(which));
  ipw::telemetry::Sampler s(std::move(cs), 10'000'000);
  for (auto _ : state) s.sample_now();
  state.counters["domains"] = static_cast<double>(s.domains().size());
}

void BM_SampleNow_Constant(benchmark::State& st) { sample_now(st, "constant"); }
void BM_SampleNow_Rapl4Zones(benchmark::State& st) { sample_now(st, "rapl"); }
void BM_SampleNow_FakeNvml(benchmark::State& st) { sample_now(st, "nvml"); }
BENCHMARK(BM_SampleNow_Constant);
BENCHMARK(BM_SampleNow_Rapl4Zones);
BENCHMARK(BM_SampleNow_FakeNvml);

}  // namespace

BENCHMARK_MAIN();
