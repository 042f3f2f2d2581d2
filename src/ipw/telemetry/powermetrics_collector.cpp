#include "ipw/telemetry/powermetrics_collector.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace ipw::telemetry {

std::string powermetrics_command_line(const PowermetricsOptions& opts) {
  std::string cmd = opts.command;
  if (cmd.empty()) {
    const char* env = std::getenv("IPW_POWERMETRICS_COMMAND");
    cmd = (env != nullptr && *env != '\0') ? env : "powermetrics";
  }
  return cmd + " -f plist -i " + std::to_string(opts.interval_ms) +
         " --samplers cpu_power,gpu_power";
}

PowermetricsCollector::PowermetricsCollector(ChildProcess child, std::string command)
    : child_(std::move(child)), command_(std::move(command)) {
  reader_ = std::thread([this] { run(); });
}

PowermetricsCollector::~PowermetricsCollector() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  if (reader_.joinable()) reader_.join();
  child_.stop();
}

void PowermetricsCollector::run() {
  PlistStream stream;
  char buf[16384];
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    pollfd p{child_.fd(), POLLIN, 0};
    const int ready = ::poll(&p, 1, 50);  // wake up regularly to notice stop_
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(child_.fd(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;  // EOF: powermetrics exited
    stream.feed(buf, static_cast<std::size_t>(n));
    std::lock_guard lock(mu_);
    for (const auto& chunk : stream.take()) consume(chunk);
    cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  const std::string rest = stream.pending();
  if (error_.empty())
    error_ = rest.find_first_not_of(" \t\r\n") != std::string::npos
                 ? "powermetrics stream ended mid-output: " + rest.substr(0, 200)
                 : "powermetrics exited";
  ended_ = true;
  cv_.notify_all();
}

void PowermetricsCollector::consume(const PlistStream::Chunk& c) {
  if (ended_) return;
  if (!c.is_plist) {
    error_ = c.text;
    ended_ = true;  // text instead of samples: no trustworthy value from here on
    return;
  }
  auto plist = parse_plist(c.text);
  if (!plist) {
    error_ = plist.error();
    ended_ = true;
    return;
  }
  auto s = powermetrics_sample(*plist);
  if (!s) {
    error_ = s.error();
    ended_ = true;
    return;
  }
  const PowermetricsRail* rails[kRails] = {&s->cpu, &s->gpu, &s->ane, &s->combined};
  for (int r = 0; r < kRails; ++r) {
    if (rails[r]->energy_j) energy_j_[r] += *rails[r]->energy_j;
    power_w_[r] = rails[r]->power_w;
  }
  if (!first_) first_ = *s;
  ++samples_;
}

std::optional<SourceStatus> PowermetricsCollector::wait_first_sample(std::int64_t timeout_ns) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] { return first_ || ended_; });
  SourceStatus st;
  st.source = "powermetrics";
  if (first_) {
    const PowermetricsRail* rails[kRails] = {&first_->cpu, &first_->gpu, &first_->ane,
                                             &first_->combined};
    static const char* names[kRails] = {"cpu", "gpu0", "ane", "soc"};
    static const char* kinds[kRails] = {"cpu", "gpu", "soc", "soc"};
    static const char* devices[kRails] = {"Apple CPU clusters", "Apple GPU", "Apple Neural Engine",
                                          "Apple SoC (CPU+GPU+ANE)"};
    for (int r = 0; r < kRails; ++r) {
      if (!rails[r]->power_w) continue;
      rails_.push_back(static_cast<Rail>(r));
      DomainInfo d;
      d.domain = names[r];
      d.kind = kinds[r];
      d.device = devices[r];
      if (!first_->hw_model.empty()) d.device += " (" + first_->hw_model + ")";
      d.source = EnergySource::counter;
      domains_.push_back(std::move(d));
    }
    period_ns_ = first_->elapsed_ns;
    return std::nullopt;
  }
  st.found = true;
  if (!ended_) {
    st.reason = "no powermetrics sample within " +
                std::to_string(static_cast<double>(timeout_ns) * 1e-9) + " s";
    st.how_to_fix = "run `sudo powermetrics -f plist -n 1` by hand to see what it prints";
    return st;
  }
  const auto why = explain_powermetrics_text(error_);
  st.found = why.how_to_fix.find("macOS only") == std::string::npos;
  st.reason = why.reason;
  st.how_to_fix = why.how_to_fix;
  return st;
}

void PowermetricsCollector::read(std::int64_t /*t_ns*/, std::vector<Reading>& out) {
  out.assign(rails_.size(), Reading{});
  std::lock_guard lock(mu_);
  if (ended_) return;  // the stream stopped: not measured, never stale or 0
  for (std::size_t i = 0; i < rails_.size(); ++i) {
    out[i].energy_j = energy_j_[rails_[i]];
    out[i].power_w = power_w_[rails_[i]];
  }
}

std::vector<std::size_t> PowermetricsCollector::summable_domains() const {
  for (std::size_t i = 0; i < rails_.size(); ++i)
    if (rails_[i] == kCombined) return {i};
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < rails_.size(); ++i) all.push_back(i);
  return all;
}

std::size_t PowermetricsCollector::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

std::string PowermetricsCollector::stream_error() const {
  std::lock_guard lock(mu_);
  return ended_ ? error_ : "";
}

nlohmann::json PowermetricsCollector::describe() const {
  std::lock_guard lock(mu_);
  nlohmann::json j = {{"source", "powermetrics"},
                      {"command", command_},
                      {"interval_s", static_cast<double>(period_ns_) * 1e-9},
                      {"samples", samples_}};
  if (first_ && !first_->hw_model.empty()) j["hw_model"] = first_->hw_model;
  if (ended_) j["stream_error"] = error_;
  return j;
}

Expected<std::unique_ptr<PowermetricsCollector>, SourceStatus> make_powermetrics_collector(
    PowermetricsOptions opts) {
  const std::string cmd = powermetrics_command_line(opts);
  auto child = ChildProcess::spawn(cmd);
  if (!child) {
    SourceStatus st;
    st.source = "powermetrics";
    st.reason = "cannot start `" + cmd + "`: " + child.error();
    return unexpected(std::move(st));
  }
  std::unique_ptr<PowermetricsCollector> c(new PowermetricsCollector(std::move(*child), cmd));
  if (auto failed = c->wait_first_sample(opts.first_sample_timeout_ns))
    return unexpected(std::move(*failed));
  return c;
}

SourceStatus probe_powermetrics(PowermetricsOptions opts) {
#ifndef __APPLE__
  const char* env = std::getenv("IPW_POWERMETRICS_COMMAND");
  if (opts.command.empty() && (env == nullptr || *env == '\0')) {
    SourceStatus st;
    st.source = "powermetrics";
    st.reason = "powermetrics exists only on macOS";
    return st;
  }
#endif
  auto c = make_powermetrics_collector(opts);
  if (!c) return c.error();
  SourceStatus st;
  st.source = "powermetrics";
  st.found = true;
  st.readable = true;
  for (const auto& d : (*c)->domains()) st.domains.push_back(d.domain);
  st.update_period_ns = (*c)->update_period_ns();
  return st;
}

CollectorEntry powermetrics_registry_entry() {
  return {"powermetrics",
          "powermetrics[:INTERVAL_MS]",
          "Apple Silicon CPU/GPU/ANE energy from `powermetrics -f plist` (needs root)",
          true,
          [](const std::string& arg) -> std::unique_ptr<Collector> {
            PowermetricsOptions o;
            if (!arg.empty()) {
              if (arg.find_first_not_of("0123456789") != std::string::npos || arg.size() > 6)
                throw CollectorSpecError("powermetrics: interval must be milliseconds, got '" +
                                         arg + "'");
              o.interval_ms = std::stoi(arg);
            }
            auto c = make_powermetrics_collector(o);
            if (!c) throw CollectorSpecError("powermetrics: " + describe_failure(c.error()));
            return std::move(*c);
          },
          [] { return probe_powermetrics(); }};
}

}  // namespace ipw::telemetry
