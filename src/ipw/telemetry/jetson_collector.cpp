#include "ipw/telemetry/jetson_collector.h"

#include <algorithm>
#include <cctype>

#include "ipw/common/text.h"

namespace ipw::telemetry {
namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string domain_of(const std::string& label) {
  std::string out = "jetson-";
  for (char c : label)
    out += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return out;
}

// What a rail powers, from its conventional name.
std::string kind_of(const std::string& label, bool is_input) {
  const std::string u = upper(label);
  if (is_input) return "system";
  if (u.find("GPU") != std::string::npos) return "gpu";  // VDD_CPU_GPU_CV counts as gpu
  if (u.find("CPU") != std::string::npos) return "cpu";
  if (u.find("DDR") != std::string::npos || u.find("VDDRQ") != std::string::npos) return "dram";
  return "soc";
}

// VDD_IN (Orin, Xavier NX, TX2), POM_5V_IN (Nano), VIN_SYS_5V0 (module input).
bool is_input_label(const std::string& label) {
  const std::string u = upper(label);
  return u == "VDD_IN" || u == "POM_5V_IN" || u.rfind("VIN", 0) == 0 ||
         (u.size() > 3 && u.compare(u.size() - 3, 3, "_IN") == 0);
}

void finish(JetsonRail& r) {
  r.is_input = is_input_label(r.label);
  r.info.domain = domain_of(r.label);
  r.info.device = "INA3221 rail " + r.label;
  r.info.kind = kind_of(r.label, r.is_input);
  r.info.source = EnergySource::integrated;
  r.info.wrap_j = 0.0;
}

void discover_hwmon(const SysfsReader& fs, std::vector<JetsonRail>& out) {
  for (const auto& dev : fs.list("class/hwmon")) {
    const std::string dir = "class/hwmon/" + dev;
    const auto name = fs.read(dir + "/name");
    if (!name || trim(*name) != "ina3221") continue;
    for (int k = 1; k <= 3; ++k) {
      const std::string ch = std::to_string(k);
      const auto label = fs.read(dir + "/in" + ch + "_label");
      if (!label || !fs.exists(dir + "/curr" + ch + "_input")) continue;  // unconnected channel
      JetsonRail r;
      r.label = trim(*label);
      r.voltage_mv = dir + "/in" + ch + "_input";
      r.current_ma = dir + "/curr" + ch + "_input";
      finish(r);
      out.push_back(std::move(r));
    }
  }
}

void discover_iio(const SysfsReader& fs, std::vector<JetsonRail>& out) {
  for (const auto& dev : fs.list("bus/iio/devices")) {
    const std::string dir = "bus/iio/devices/" + dev;
    const auto name = fs.read(dir + "/name");
    if (!name || trim(*name) != "ina3221x") continue;
    for (int k = 0; k <= 2; ++k) {
      const std::string ch = std::to_string(k);
      const auto label = fs.read(dir + "/rail_name_" + ch);
      if (!label) continue;
      JetsonRail r;
      r.label = trim(*label);
      if (fs.exists(dir + "/in_power" + ch + "_input")) {
        r.power_mw = dir + "/in_power" + ch + "_input";
      } else if (fs.exists(dir + "/in_current" + ch + "_input") &&
                 fs.exists(dir + "/in_voltage" + ch + "_input")) {
        r.current_ma = dir + "/in_current" + ch + "_input";
        r.voltage_mv = dir + "/in_voltage" + ch + "_input";
      } else {
        continue;
      }
      finish(r);
      out.push_back(std::move(r));
    }
  }
}

std::optional<double> read_number(const SysfsReader& fs, const std::string& path) {
  const auto text = fs.read_hot(path);
  if (!text) return std::nullopt;
  const auto v = parse_sysfs_i64(*text);
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

}  // namespace

std::vector<JetsonRail> discover_jetson_rails(const SysfsReader& fs) {
  std::vector<JetsonRail> rails;
  discover_hwmon(fs, rails);
  discover_iio(fs, rails);
  // Two monitors can both carry a rail of the same name (AGX Xavier has two
  // INA3221s); keep domain names unique.
  for (std::size_t i = 0; i < rails.size(); ++i) {
    int dup = 1;
    for (std::size_t j = 0; j < i; ++j)
      if (rails[j].info.domain == rails[i].info.domain) ++dup;
    if (dup > 1) rails[i].info.domain += "-" + std::to_string(dup);
  }
  return rails;
}

std::optional<double> read_rail_power_w(const SysfsReader& fs, const JetsonRail& rail) {
  if (!rail.power_mw.empty()) {
    const auto mw = read_number(fs, rail.power_mw);
    return mw ? std::optional<double>(*mw * 1e-3) : std::nullopt;
  }
  const auto mv = read_number(fs, rail.voltage_mv);
  const auto ma = read_number(fs, rail.current_ma);
  if (!mv || !ma) return std::nullopt;
  return *mv * *ma * 1e-6;  // mV × mA = µW
}

JetsonCollector::JetsonCollector(std::shared_ptr<const SysfsReader> fs,
                                 std::vector<JetsonRail> rails)
    : fs_(std::move(fs)), rails_(std::move(rails)) {
  for (std::size_t i = 0; i < rails_.size(); ++i) {
    domains_.push_back(rails_[i].info);
    if (rails_[i].is_input && !input_rail_) input_rail_ = i;
  }
  DomainInfo total;
  total.domain = "system";
  total.kind = "system";
  total.source = EnergySource::integrated;
  total.device = input_rail_ ? "Jetson module input (" + rails_[*input_rail_].label + ")"
                             : "Jetson rails summed (no input rail)";
  domains_.push_back(std::move(total));
}

void JetsonCollector::read(std::int64_t /*t_ns*/, std::vector<Reading>& out) {
  out.assign(domains_.size(), Reading{});
  std::optional<double> sum = 0.0;
  for (std::size_t i = 0; i < rails_.size(); ++i) {
    out[i].power_w = read_rail_power_w(*fs_, rails_[i]);
    if (sum && out[i].power_w)
      *sum += *out[i].power_w;
    else
      sum.reset();  // a partial sum would silently under-report
  }
  out.back().power_w = input_rail_ ? out[*input_rail_].power_w : sum;
}

void JetsonCollector::measure_update_period(const Clock& clock, const Sleeper& sleep,
                                            const UpdatePeriodOptions& opts) {
  periods_.measure(*this, clock, sleep, opts, rails_.size());  // the total repeats the rails' timing
}

nlohmann::json JetsonCollector::describe() const {
  nlohmann::json rails = nlohmann::json::array();
  for (std::size_t i = 0; i < rails_.size(); ++i) {
    const auto& r = rails_[i];
    nlohmann::json j = {{"domain", r.info.domain}, {"label", r.label}, {"input_rail", r.is_input}};
    j["files"] = r.power_mw.empty() ? nlohmann::json{fs_->describe_path(r.voltage_mv),
                                                     fs_->describe_path(r.current_ma)}
                                    : nlohmann::json{fs_->describe_path(r.power_mw)};
    periods_.describe(i, j);
    rails.push_back(std::move(j));
  }
  return {{"source", "jetson"}, {"rails", rails}, {"total", domains_.back().device}};
}

SourceStatus probe_jetson(const SysfsReader& fs) {
  SourceStatus st;
  st.source = "jetson";
  const auto rails = discover_jetson_rails(fs);
  st.found = !rails.empty();
  if (!st.found) {
    st.reason = "no INA3221 power monitor under " + fs.describe_path("class/hwmon") + " or " +
                fs.describe_path("bus/iio/devices") + " (not a Jetson)";
    return st;
  }
  std::vector<std::string> bad;
  for (const auto& r : rails) {
    if (read_rail_power_w(fs, r))
      st.domains.push_back(r.info.domain);
    else
      bad.push_back(r.label);
  }
  st.readable = bad.empty();
  if (!bad.empty()) {
    st.reason = "cannot read rail(s):";
    for (const auto& b : bad) st.reason += " " + b;
    st.how_to_fix = "run as root or check permissions of the INA3221 sysfs files";
  } else {
    st.domains.push_back("system");
  }
  return st;
}

Expected<std::unique_ptr<JetsonCollector>, SourceStatus> make_jetson_collector(
    HardwareOptions opts) {
  if (!opts.fs) opts.fs = default_sysfs_reader();
  SourceStatus st = probe_jetson(*opts.fs);
  if (!st.readable) return unexpected(std::move(st));
  auto c = std::make_unique<JetsonCollector>(opts.fs, discover_jetson_rails(*opts.fs));
  if (opts.detect_update_period)
    c->measure_update_period(opts.clock_or_default(), opts.sleep_or_default(), opts.period);
  return c;
}

CollectorEntry jetson_registry_entry() {
  return {"jetson",
          "jetson",
          "NVIDIA Jetson INA3221 power rails (per rail and module total)",
          true,
          [](const std::string&) -> std::unique_ptr<Collector> {
            auto c = make_jetson_collector();
            if (!c) throw CollectorSpecError("jetson: " + describe_failure(c.error()));
            return std::move(*c);
          },
          [] { return probe_jetson(*default_sysfs_reader()); }};
}

}  // namespace ipw::telemetry
