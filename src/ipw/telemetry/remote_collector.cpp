#include "ipw/telemetry/remote_collector.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/clock.h"
#include "ipw/common/usage_error.h"

namespace ipw::telemetry {
namespace {

using RealClock = std::chrono::steady_clock;

std::optional<double> lerp(const std::optional<double>& a, const std::optional<double>& b, double f) {
  if (!a || !b) return std::nullopt;
  return *a + (*b - *a) * f;
}

// A counter interpolated between two raw readings; a wrap between them (the
// later value smaller, by less than half the range) is undone and redone so
// the result is a raw value the local trace can unwrap in turn. `expected_j`, the
// advance the readings' power implies over the interval, settles how many wraps
// lie between them: a monitor delayed for longer than half a wrap period (a
// loaded machine) would otherwise look like a reset, or hide whole wraps.
std::optional<double> counter_between(const std::optional<double>& a, const std::optional<double>& b,
                                      double f, double wrap_j, std::optional<double> expected_j) {
  if (!a || !b) return std::nullopt;
  if (wrap_j > 0 && expected_j && *expected_j >= 0) {
    const double raw = *b - *a;
    const double wraps = std::round((*expected_j - raw) / wrap_j);
    const double advance = raw + wraps * wrap_j;
    // Power is a mean over the interval, not the counter: it only picks the count
    // of wraps, and only when it leaves no doubt.
    if (wraps >= 0 && std::abs(advance - *expected_j) <= wrap_j / 4) {
      return std::fmod(*a + advance * f, wrap_j);
    }
  }
  double hi = *b;
  if (hi < *a) {
    const double advance = hi + wrap_j - *a;
    if (wrap_j <= 0 || advance < 0 || advance > wrap_j / 2) {
      // A reset, not a wrap: hold the earlier value (the local trace sees the
      // reset at the next sample and flags it, as it would for a local sensor).
      return f >= 1.0 ? b : a;
    }
    hi += wrap_j;
  }
  double v = *a + (hi - *a) * f;
  if (wrap_j > 0 && v >= wrap_j) v -= wrap_j;
  return v;
}

}  // namespace

RemoteOptions remote_options_from_spec(const std::string& arg) {
  RemoteOptions o;
  std::string endpoint = arg;
  const auto q = arg.find('?');
  if (q != std::string::npos) {
    endpoint = arg.substr(0, q);
    const std::string query = arg.substr(q + 1);
    const std::string key = "interval_ms=";
    if (query.rfind(key, 0) != 0) {
      throw UsageError("remote: unknown option \"" + query + "\" (known: interval_ms=N)");
    }
    double ms = 0;
    try {
      std::size_t used = 0;
      ms = std::stod(query.substr(key.size()), &used);
      if (used != query.size() - key.size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw UsageError("remote: interval_ms must be a number, got \"" + query + "\"");
    }
    if (!(ms >= 1 && ms <= 60'000)) throw UsageError("remote: interval_ms must be in [1, 60000]");
    o.interval_ns = static_cast<std::int64_t>(ms * 1e6);
  }
  const auto colon = endpoint.rfind(':');
  const bool port_ok = colon != std::string::npos && colon + 1 < endpoint.size() &&
                       endpoint.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  if (colon == 0 || !port_ok || endpoint.substr(0, colon) == "[]") {
    throw UsageError("remote needs HOST:PORT (e.g. remote:gpu-box:50053), got \"" + arg + "\"");
  }
  o.endpoint = endpoint;
  if (const char* t = std::getenv("IPW_MONITOR_TOKEN")) o.token = t;
  return o;
}

RemoteCollector::RemoteCollector(std::unique_ptr<RemoteTransport> transport, RemoteOptions options,
                                 const Clock& clock)
    : transport_(std::move(transport)), options_(std::move(options)), clock_(clock) {
  if (!transport_) throw std::invalid_argument("RemoteCollector: null transport");
  auto d = transport_->describe();
  if (!d) {
    throw std::runtime_error(
        fmt::format("cannot reach ipw monitor at {}: {}", options_.endpoint, d.error()));
  }
  remote_ = std::move(d.value());
  if (remote_.domains.empty()) {
    throw std::runtime_error(fmt::format("ipw monitor at {} reports no telemetry domains", options_.endpoint));
  }
  const std::int64_t interval = std::max(options_.interval_ns, remote_.min_interval_ns);
  for (std::size_t i = 0; i < remote_.domains.size(); ++i) {
    const RemoteDomain& rd = remote_.domains[i];
    domains_.push_back(rd.info);
    if (options_.qualify_domains) domains_.back().domain = options_.endpoint + "/" + rd.info.domain;
    if (rd.summable) summable_.push_back(i);
    // The monitor never reads a source faster than it updates; neither do we.
    period_ns_ = std::max(period_ns_, std::max(interval, rd.update_period_ns));
  }
  // A local read at t waits for the first remote sample after t (up to one
  // remote period plus the trip). Reading locally at twice the remote period
  // keeps that wait from stretching every local interval past the trace's gap
  // threshold (3 periods), so `gap` keeps meaning "data was lost". Values stay
  // exact at each local instant; edges interpolate over 2 remote periods.
  period_ns_ *= 2;
  {
    MutexLock l(mu_);
    series_.resize(domains_.size());
    stream_interval_ns_ = interval;
  }
  if (!sync_burst("before", options_.before_exchanges)) {
    throw std::runtime_error(
        fmt::format("ipw monitor at {}: clock sync failed (see the log above)", options_.endpoint));
  }
  const OffsetEstimate e = offset();
  spdlog::info("remote telemetry {}: {} domain(s), clock offset {:+.6f} s ± {:.6f} s (rtt {:.3f} ms)",
               options_.endpoint, domains_.size(), ns_to_s(e.offset_ns), ns_to_s(e.uncertainty_ns),
               ns_to_s(e.rtt_ns) * 1e3);
}

RemoteCollector::~RemoteCollector() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() only logs
  }
}

bool RemoteCollector::sync_burst(const std::string& phase, int exchanges) {
  std::vector<SyncExchange> xs;
  std::string last_error;
  for (int i = 0; i < exchanges; ++i) {
    auto x = transport_->sync_clock(clock_);
    if (x) {
      xs.push_back(x.value());
    } else {
      last_error = x.error();
    }
  }
  if (xs.empty()) {
    spdlog::warn("remote telemetry {}: clock sync ({}) failed: {}", options_.endpoint, phase, last_error);
    return false;
  }
  MutexLock l(mu_);
  return clock_map_.add_burst(phase, xs);
}

void RemoteCollector::start(std::int64_t t0_ns) {
  if (started_.exchange(true)) return;
  {
    MutexLock l(mu_);
    t0_ns_ = t0_ns;
  }
  stream_thread_ = std::thread([this] { stream_loop(); });
  sync_thread_ = std::thread([this] { sync_loop(); });
}

bool RemoteCollector::wait_stop(std::int64_t ns) {
  MutexLock l(mu_);
  cv_.wait_for(l.native(), std::chrono::nanoseconds(ns), [this]() IPW_REQUIRES(mu_) { return stopping_; });
  return stopping_;
}

void RemoteCollector::stream_loop() {
  std::int64_t backoff = options_.reconnect_min_ns;
  bool first = true;
  while (true) {
    {
      MutexLock l(mu_);
      if (stopping_) return;
    }
    if (!first) {
      // A restarted monitor may run on another clock, or report other domains.
      auto d = transport_->describe();
      bool same = static_cast<bool>(d) && d.value().domains.size() == remote_.domains.size();
      for (std::size_t i = 0; same && i < remote_.domains.size(); ++i) {
        same = d.value().domains[i].info.domain == remote_.domains[i].info.domain;
      }
      if (d && !same) {
        spdlog::error("remote telemetry {}: the monitor now reports other domains; not reconnecting",
                      options_.endpoint);
        return;
      }
      if (!d || !sync_burst("reconnect", options_.during_exchanges)) {
        if (wait_stop(backoff)) return;
        backoff = std::min(backoff * 2, options_.reconnect_max_ns);
        continue;
      }
    }
    {
      MutexLock l(mu_);
      ++segment_;
      last_sequence_ = 0;
    }
    const std::string why = transport_->stream(
        options_.interval_ns, [this](RemoteBatch&& b) { on_batch(std::move(b)); });
    bool had_samples = false;
    {
      MutexLock l(mu_);
      had_samples = streaming_;
      if (streaming_) outages_.push_back({clock_.now_ns(), 0, why});
      streaming_ = false;
      if (stopping_) return;
    }
    cv_.notify_all();
    if (had_samples) {
      spdlog::warn("remote telemetry {}: stream lost ({}); reconnecting, affected queries are flagged 'gap'",
                   options_.endpoint, why);
      backoff = options_.reconnect_min_ns;
    } else if (first) {
      spdlog::warn("remote telemetry {}: stream failed ({}); retrying", options_.endpoint, why);
    }
    first = false;
    if (wait_stop(backoff)) return;
    backoff = std::min(backoff * 2, options_.reconnect_max_ns);
  }
}

void RemoteCollector::sync_loop() {
  while (!wait_stop(options_.sync_every_ns)) {
    bool live = false;
    {
      MutexLock l(mu_);
      live = streaming_;
    }
    if (live) sync_burst("during", options_.during_exchanges);
  }
}

void RemoteCollector::on_batch(RemoteBatch&& b) {
  {
    MutexLock l(mu_);
    if (!streaming_) {
      streaming_ = true;
      if (!outages_.empty() && outages_.back().to_ns == 0) {
        outages_.back().to_ns = clock_.now_ns();
        ++reconnects_;
        spdlog::info("remote telemetry {}: stream restored", options_.endpoint);
      }
    } else if (last_sequence_ > 0 && b.sequence > last_sequence_ + 1) {
      sequence_gaps_ += b.sequence - last_sequence_ - 1;
    }
    last_sequence_ = b.sequence;
    if (b.interval_ns > 0) stream_interval_ns_ = b.interval_ns;
    ++batches_;
    const std::int64_t t_local = clock_map_.to_local_ns(b.t_remote_ns);
    for (RemoteReading& r : b.readings) {
      if (r.domain < 0 || static_cast<std::size_t>(r.domain) >= series_.size()) continue;
      auto& s = series_[static_cast<std::size_t>(r.domain)];
      // A new offset estimate may move the mapping back by a few microseconds;
      // the series must stay in time order.
      std::int64_t t = t_local;
      if (!s.empty() && t <= s.back().t_local_ns) t = s.back().t_local_ns + 1;
      s.push_back({t, r.reading, segment_});
      while (s.size() > 2 && s.back().t_local_ns - s.front().t_local_ns > options_.keep_ns) s.pop_front();
    }
  }
  cv_.notify_all();
}

bool RemoteCollector::bracketed(std::int64_t t_ns) const {
  // Domains the monitor has not reported on this connection are not waited
  // for (a failed sensor on the monitor must not stall every read).
  for (const auto& s : series_) {
    if (s.empty() || s.back().segment != segment_) continue;
    if (s.back().t_local_ns < t_ns) return false;
  }
  return true;
}

std::optional<Reading> RemoteCollector::value_at(std::size_t d, std::int64_t t_ns) const {
  const auto& s = series_[d];
  const auto hi = std::lower_bound(s.begin(), s.end(), t_ns,
                                   [](const Point& p, std::int64_t t) { return p.t_local_ns < t; });
  if (hi == s.end()) return std::nullopt;
  if (hi->t_local_ns == t_ns) return hi->reading;
  if (hi == s.begin()) return std::nullopt;
  const Point& a = *(hi - 1);
  const Point& b = *hi;
  if (a.segment != b.segment) return std::nullopt;  // never bridge an outage
  const double f = static_cast<double>(t_ns - a.t_local_ns) / static_cast<double>(b.t_local_ns - a.t_local_ns);
  Reading r;
  std::optional<double> expected_j;
  if (a.reading.power_w && b.reading.power_w) {
    expected_j = (*a.reading.power_w + *b.reading.power_w) / 2 * static_cast<double>(b.t_local_ns - a.t_local_ns) * 1e-9;
  }
  r.energy_j = counter_between(a.reading.energy_j, b.reading.energy_j, f, domains_[d].wrap_j, expected_j);
  r.power_w = lerp(a.reading.power_w, b.reading.power_w, f);
  r.temperature_c = lerp(a.reading.temperature_c, b.reading.temperature_c, f);
  r.memory_mb = lerp(a.reading.memory_mb, b.reading.memory_mb, f);
  return r;
}

void RemoteCollector::read(std::int64_t t_ns, std::vector<Reading>& out) {
  out.assign(domains_.size(), Reading{});
  MutexLock l(mu_);
  if (!started_ || stopping_) return;
  // The sample after t is at most one period away, plus the trip here.
  const auto deadline = RealClock::now() + std::chrono::nanoseconds(stream_interval_ns_ + period_ns_ +
                                                                    options_.read_slack_ns);
  while (streaming_ && !stopping_ && !bracketed(t_ns)) {
    if (cv_.wait_until(l.native(), deadline) == std::cv_status::timeout) break;
  }
  bool missed = false;
  for (std::size_t d = 0; d < domains_.size(); ++d) {
    if (auto v = value_at(d, t_ns)) {
      out[d] = *v;
    } else {
      missed = true;
    }
  }
  if (missed && streaming_) ++misses_;
}

void RemoteCollector::stop() {
  if (stopped_.exchange(true)) return;
  {
    MutexLock l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  transport_->cancel_stream();
  if (stream_thread_.joinable()) stream_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
  if (!started_) return;
  transport_->reset_cancel();
  if (sync_burst("after", options_.during_exchanges)) {
    MutexLock l(mu_);
    const auto& bursts = clock_map_.bursts();
    const OffsetEstimate& first = bursts.front().best;
    const OffsetEstimate& last = bursts.back().best;
    spdlog::info("remote telemetry {}: clock offset after the run {:+.6f} s ± {:.6f} s (drift {:+.6f} s)",
                 options_.endpoint, ns_to_s(last.offset_ns), ns_to_s(last.uncertainty_ns),
                 ns_to_s(last.offset_ns - first.offset_ns));
  }
}

bool RemoteCollector::streaming() const {
  MutexLock l(mu_);
  return streaming_;
}

int RemoteCollector::reconnects() const {
  MutexLock l(mu_);
  return reconnects_;
}

OffsetEstimate RemoteCollector::offset() const {
  MutexLock l(mu_);
  return clock_map_.current();
}

nlohmann::json RemoteCollector::describe() const {
  MutexLock l(mu_);
  nlohmann::json outages = nlohmann::json::array();
  for (const Outage& o : outages_) {
    outages.push_back({{"from_s", ns_to_s(o.from_ns - t0_ns_)},
                       {"to_s", o.to_ns == 0 ? nlohmann::json() : nlohmann::json(ns_to_s(o.to_ns - t0_ns_))},
                       {"reason", o.reason}});
  }
  nlohmann::json update_periods = nlohmann::json::object();
  for (const RemoteDomain& d : remote_.domains) update_periods[d.info.domain] = ns_to_s(d.update_period_ns);
  return {{"endpoint", options_.endpoint},
          {"monitor",
           {{"version", remote_.version},
            {"host_name", remote_.host_name},
            {"telemetry_spec", remote_.telemetry_spec},
            {"sources", remote_.collectors},
            {"update_periods_s", update_periods}}},
          {"clock_sync", clock_map_.to_json()},
          {"stream",
           {{"interval_s", ns_to_s(stream_interval_ns_)},
            {"batches", batches_},
            {"skipped_batches", sequence_gaps_},
            {"unbracketed_reads", misses_},
            {"reconnects", reconnects_},
            {"outages", outages}}}};
}

std::unique_ptr<Collector> make_remote_collector(const std::string& arg, bool qualify_domains) {
  RemoteOptions o = remote_options_from_spec(arg);
  o.qualify_domains = qualify_domains;
  const RemoteTransportFactory factory = remote_transport_factory();
  if (!factory) {
    throw std::runtime_error("this ipw binary was built without remote telemetry (library ipw_monitor)");
  }
  auto transport = factory(o.endpoint, o.token);
  return std::make_unique<RemoteCollector>(std::move(transport), std::move(o));
}

}  // namespace ipw::telemetry
