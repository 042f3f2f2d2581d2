// Sampler overhead (docs/BENCHMARKS.md): CPU time the sampling thread costs per
// second of sampling, at 100 Hz and 1 kHz, reading the RAPL collector over a
// fake sysfs tree (4 zones, regular files) and the NVML collector over the fake
// libnvidia-ml (tests/fake_nvml), through ipw's production code paths.
//
// Method: the process's CPU time (getrusage, user + system) over a window of
// N seconds while the main thread sleeps, so it is the sampler thread's time;
// repeated R times per configuration, medians reported. Prints a Markdown table.
//
// usage: sampler_overhead_bench [--seconds N] [--runs R] [--nvml PATH] [--only WORD]
// (--only: just the rows whose source contains WORD, e.g. "rapl")
// PATH defaults to ../lib/fake_nvml/libnvidia-ml.so.1 next to this binary.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "ipw/telemetry/nvml_collector.h"
#include "ipw/telemetry/rapl_collector.h"
#include "ipw/telemetry/sampler.h"

namespace {

namespace fs = std::filesystem;
using ipw::telemetry::Collector;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// package-0 with its core and dram subzones, plus psys: a typical laptop/desktop tree.
fs::path make_rapl_tree() {
  std::string tmpl = (fs::temp_directory_path() / "ipw-bench-sysfs-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const fs::path pc = fs::path(tmpl) / "class/powercap";
  auto zone = [&](const std::string& dir, const std::string& name) {
    write(pc / dir / "name", name + "\n");
    write(pc / dir / "energy_uj", "123456789012\n");
    write(pc / dir / "max_energy_range_uj", "262143328850\n");
  };
  zone("intel-rapl:0", "package-0");
  zone("intel-rapl:0:0", "core");
  zone("intel-rapl:0:1", "dram");
  zone("intel-rapl:1", "psys");
  return tmpl;
}

std::unique_ptr<Collector> rapl(const fs::path& root) {
  ipw::telemetry::HardwareOptions o;
  o.fs = std::make_shared<ipw::telemetry::DirSysfsReader>(root.string());
  o.detect_update_period = false;  // the sampler runs at exactly the requested rate
  auto c = ipw::telemetry::make_rapl_collector(o);
  if (!c) throw std::runtime_error("rapl: " + ipw::telemetry::describe_failure(c.error()));
  return std::move(*c);
}

std::unique_ptr<Collector> nvml(const std::string& lib) {
  ipw::telemetry::NvmlOptions o;
  o.library_path = lib;
  o.read_cuda_env = false;
  o.common.detect_update_period = false;
  auto c = ipw::telemetry::make_nvml_collector(o);
  if (!c) throw std::runtime_error("nvml: " + ipw::telemetry::describe_failure(c.error()));
  return std::move(*c);
}

// One domain that reports a constant: what the sampler itself costs per read.
class NullCollector final : public Collector {
 public:
  std::string name() const override { return "null"; }
  const std::vector<ipw::telemetry::DomainInfo>& domains() const override { return domains_; }
  void read(std::int64_t, std::vector<ipw::telemetry::Reading>& out) override {
    out.assign(1, ipw::telemetry::Reading{});
    out[0].energy_j = 1.0;
  }

 private:
  std::vector<ipw::telemetry::DomainInfo> domains_{{"null0", "constant", "system",
                                                    ipw::telemetry::EnergySource::counter, 0.0}};
};

struct Run {
  double cpu_fraction = 0;  // of one core
  double reads_per_s = 0;   // collector reads achieved (samples / domains)
};

Run measure(std::vector<std::unique_ptr<Collector>> cs, double hz, double seconds) {
  std::size_t domains = 0;
  for (const auto& c : cs) domains += c->domains().size();
  ipw::telemetry::Sampler s(std::move(cs), static_cast<std::int64_t>(1e9 / hz));
  s.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // past start-up allocations
  const std::size_t n0 = s.sample_count();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double cpu = cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::size_t n1 = s.sample_count();
  s.stop();
  return {cpu / wall, static_cast<double>(n1 - n0) / static_cast<double>(domains) / wall};
}

// The floor on this machine: a thread that only wakes at the rate, no ipw code.
Run measure_wakeups(double hz, double seconds) {
  std::atomic<bool> stop{false};
  std::atomic<long> wakes{0};
  std::thread t([&] {
    const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / hz));
    auto next = std::chrono::steady_clock::now() + period;
    while (!stop.load()) {
      std::this_thread::sleep_until(next);
      next += period;
      wakes.fetch_add(1);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long w0 = wakes.load();
  const double c0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double cpu = cpu_seconds() - c0;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long w1 = wakes.load();
  stop = true;
  t.join();
  return {cpu / wall, static_cast<double>(w1 - w0) / wall};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  int runs = 5;
  std::string only;
  std::string lib = (fs::canonical("/proc/self/exe").parent_path() / "../lib/fake_nvml/libnvidia-ml.so.1").string();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--nvml" && i + 1 < argc) {
      lib = argv[++i];
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--seconds N] [--runs R] [--nvml PATH] [--only WORD]\n", argv[0]);
      return 2;
    }
  }
  const fs::path tree = make_rapl_tree();
  // One fake GPU; its config is re-read by the fake library on every call.
  const fs::path conf = tree / "nvml.conf";
  write(conf, "gpu name=Fake_H100 uuid=GPU-bench energy_mj=1000000 power_mw=300000 instant_mw=310000\n");
  ::setenv("IPW_FAKE_NVML_CONFIG", conf.c_str(), 1);

  struct Config {
    const char* name;
    bool with_rapl, with_nvml;
  };
  const Config configs[] = {{"floor: a thread waking at the rate (no ipw code)", false, false},
                            {"sampler only (1 constant domain)", false, false},
                            {"rapl (4 zones, fake sysfs)", true, false},
                            {"nvml (1 GPU, fake libnvidia-ml)", false, true},
                            {"rapl + nvml", true, true}};
  fmt::print("{} s per run, {} runs per row; CPU = user + system time of the process while the main thread "
             "sleeps.\n\n| source | rate | CPU per s of sampling (median) | % of one core (median) | min – max % "
             "| reads/s achieved | CPU per read |\n|---|---|---|---|---|---|---|\n",
             seconds, runs);
  for (const Config& cfg : configs) {
    if (!only.empty() && std::string(cfg.name).find(only) == std::string::npos) continue;
    for (double hz : {100.0, 1000.0}) {
      std::vector<double> frac, rate;
      for (int r = 0; r < runs; ++r) {
        if (std::string(cfg.name).rfind("floor", 0) == 0) {
          const Run m = measure_wakeups(hz, seconds);
          frac.push_back(m.cpu_fraction);
          rate.push_back(m.reads_per_s);
          continue;
        }
        std::vector<std::unique_ptr<Collector>> cs;
        if (cfg.with_rapl) cs.push_back(rapl(tree));
        if (cfg.with_nvml) cs.push_back(nvml(lib));
        if (cs.empty()) cs.push_back(std::make_unique<NullCollector>());
        const Run m = measure(std::move(cs), hz, seconds);
        frac.push_back(m.cpu_fraction);
        rate.push_back(m.reads_per_s);
      }
      const double f = median(frac), rr = median(rate);
      fmt::print("| {} | {:.0f} Hz | {:.2f} ms | {:.3f} % | {:.3f} – {:.3f} % | {:.0f} | {:.1f} µs |\n", cfg.name, hz,
                 f * 1e3, f * 100, *std::min_element(frac.begin(), frac.end()) * 100,
                 *std::max_element(frac.begin(), frac.end()) * 100, rr, rr > 0 ? f / rr * 1e6 : 0.0);
      std::fflush(stdout);
    }
  }
  fs::remove_all(tree);
  return 0;
}
