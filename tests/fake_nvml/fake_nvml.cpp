// A fake libnvidia-ml.so.1 for tests: exports the NVML functions ipw loads,
// with values scripted by a text file named in IPW_FAKE_NVML_CONFIG and re-read
// on every call (so a test changes values by rewriting the file). Format:
//
//   driver 550.54.15
//   init_rc 0                       # what nvmlInit_v2 returns
//   gpu name=NVIDIA_H100 uuid=GPU-1 energy_mj=1000 power_mw=300000 instant_mw=310000
//       temp_c=40 mem_used_mib=1024 mem_total_mib=81920 energy_rc=0 power_rc=0 instant_rc=0
//       rate_mw=0 step_ms=0
//
// (one `gpu` line per GPU; `_` in name becomes a space). With rate_mw and
// step_ms > 0 the energy counter advances by rate_mw every step_ms of real
// time since nvmlInit, in steps, like a real counter with an update period.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Gpu {
  std::map<std::string, std::string> kv;
  long long num(const std::string& k, long long dflt) const {
    auto it = kv.find(k);
    return it == kv.end() ? dflt : std::atoll(it->second.c_str());
  }
  std::string str(const std::string& k, const std::string& dflt) const {
    auto it = kv.find(k);
    return it == kv.end() ? dflt : it->second;
  }
};

struct Config {
  std::string driver = "550.00";
  int init_rc = 0;
  std::vector<Gpu> gpus;
};

std::mutex g_mu;
int g_live_inits = 0;
std::chrono::steady_clock::time_point g_t0;
int g_slots[64];

Config load() {
  Config c;
  const char* path = std::getenv("IPW_FAKE_NVML_CONFIG");
  if (path == nullptr) return c;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    if (word == "driver")
      in >> c.driver;
    else if (word == "init_rc")
      in >> c.init_rc;
    else if (word == "gpu") {
      Gpu g;
      while (in >> word) {
        const auto eq = word.find('=');
        if (eq != std::string::npos) g.kv[word.substr(0, eq)] = word.substr(eq + 1);
      }
      c.gpus.push_back(g);
    }
  }
  return c;
}

// Index of a handle, or -1 when it is not one of ours.
int index_of(void* handle) {
  for (int i = 0; i < 64; ++i)
    if (handle == &g_slots[i]) return i;
  return -1;
}

bool gpu_at(void* handle, Gpu& out) {
  const Config c = load();
  const int i = index_of(handle);
  if (i < 0 || i >= static_cast<int>(c.gpus.size())) return false;
  out = c.gpus[static_cast<std::size_t>(i)];
  return true;
}

int copy_string(const std::string& s, char* buf, unsigned len) {
  if (s.size() + 1 > len) return 7;  // NVML_ERROR_INSUFFICIENT_SIZE
  std::memcpy(buf, s.c_str(), s.size() + 1);
  return 0;
}

struct FieldValue {
  unsigned int field_id;
  unsigned int scope_id;
  long long timestamp;
  long long latency;
  int value_type;
  int nvml_return;
  union {
    double d;
    unsigned int ui;
    unsigned long long ull;
  } value;
};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int nvmlInit_v2() {
  std::lock_guard lock(g_mu);
  const Config c = load();
  if (c.init_rc != 0) return c.init_rc;
  if (g_live_inits++ == 0) g_t0 = std::chrono::steady_clock::now();
  return 0;
}

__attribute__((visibility("default"))) int nvmlShutdown() {
  std::lock_guard lock(g_mu);
  if (g_live_inits == 0) return 1;  // NVML_ERROR_UNINITIALIZED
  --g_live_inits;
  return 0;
}

// Test hook: nvmlInit calls not yet matched by nvmlShutdown.
__attribute__((visibility("default"))) int ipw_fake_nvml_live_inits() {
  std::lock_guard lock(g_mu);
  return g_live_inits;
}

__attribute__((visibility("default"))) const char* nvmlErrorString(int rc) {
  switch (rc) {
    case 0:
      return "Success";
    case 1:
      return "Uninitialized";
    case 3:
      return "Not Supported";
    case 4:
      return "Insufficient Permissions";
    case 9:
      return "Driver Not Loaded";
    case 15:
      return "GPU is lost";
    case 18:
      return "RM has detected an NVML/RM version mismatch.";
    default:
      return "Unknown Error";
  }
}

__attribute__((visibility("default"))) int nvmlDeviceGetCount_v2(unsigned* n) {
  std::lock_guard lock(g_mu);
  if (g_live_inits == 0) return 1;
  *n = static_cast<unsigned>(load().gpus.size());
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetHandleByIndex_v2(unsigned i, void** h) {
  std::lock_guard lock(g_mu);
  if (g_live_inits == 0) return 1;
  if (i >= load().gpus.size() || i >= 64) return 2;
  *h = &g_slots[i];
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetName(void* h, char* buf, unsigned len) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g)) return 2;
  std::string name = g.str("name", "Fake_GPU");
  for (auto& ch : name)
    if (ch == '_') ch = ' ';
  return copy_string(name, buf, len);
}

__attribute__((visibility("default"))) int nvmlDeviceGetUUID(void* h, char* buf, unsigned len) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g)) return 2;
  return copy_string(g.str("uuid", "GPU-" + std::to_string(index_of(h))), buf, len);
}

__attribute__((visibility("default"))) int nvmlSystemGetDriverVersion(char* buf, unsigned len) {
  std::lock_guard lock(g_mu);
  return copy_string(load().driver, buf, len);
}

__attribute__((visibility("default"))) int nvmlDeviceGetTotalEnergyConsumption(
    void* h, unsigned long long* mj) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g)) return 2;
  if (const long long rc = g.num("energy_rc", 0); rc != 0) return static_cast<int>(rc);
  long long energy = g.num("energy_mj", 0);
  const long long rate_mw = g.num("rate_mw", 0), step_ms = g.num("step_ms", 0);
  if (rate_mw > 0 && step_ms > 0) {
    const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - g_t0)
                             .count();
    energy += rate_mw * ((ms / step_ms) * step_ms) / 1000;
  }
  *mj = static_cast<unsigned long long>(energy);
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetPowerUsage(void* h, unsigned* mw) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g)) return 2;
  if (const long long rc = g.num("power_rc", 0); rc != 0) return static_cast<int>(rc);
  *mw = static_cast<unsigned>(g.num("power_mw", 100000));
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetFieldValues(void* h, int n,
                                                                    FieldValue* values) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g)) return 2;
  for (int i = 0; i < n; ++i) {
    FieldValue& v = values[i];
    if (v.field_id == 186) {  // NVML_FI_DEV_POWER_INSTANT
      v.nvml_return = static_cast<int>(g.num("instant_rc", 0));
      v.value_type = 1;  // unsigned int
      v.value.ui = static_cast<unsigned>(g.num("instant_mw", 100000));
    } else {
      v.nvml_return = 3;  // not supported
    }
  }
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetTemperature(void* h, int sensor,
                                                                    unsigned* c) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g) || sensor != 0) return 2;
  *c = static_cast<unsigned>(g.num("temp_c", 40));
  return 0;
}

struct Memory {
  unsigned long long total, free, used;
};

__attribute__((visibility("default"))) int nvmlDeviceGetMemoryInfo(void* h, Memory* m) {
  std::lock_guard lock(g_mu);
  Gpu g;
  if (!gpu_at(h, g)) return 2;
  const unsigned long long mib = 1024ULL * 1024ULL;
  m->total = static_cast<unsigned long long>(g.num("mem_total_mib", 81920)) * mib;
  m->used = static_cast<unsigned long long>(g.num("mem_used_mib", 0)) * mib;
  m->free = m->total - m->used;
  return 0;
}

}  // extern "C"
