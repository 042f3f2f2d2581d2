#include "ipw/monitor/sample_hub.h"

#include <pthread.h>

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

namespace ipw::monitor {
namespace {

using RealClock = std::chrono::steady_clock;

constexpr std::int64_t kRateWindowNs = 10'000'000'000;  // read rate over the last 10 s
constexpr std::size_t kRateMaxReads = 4096;
// The rate is reported from this many reads on: the first reads come back to back at start
// (one on start, one for the first subscriber), and two of them once read as 11,861 Hz.
constexpr std::size_t kRateMinReads = 5;

std::int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool has_any(const telemetry::Reading& r) {
  return r.energy_j || r.power_w || r.temperature_c || r.memory_mb;
}

}  // namespace

SampleHub::SampleHub(std::vector<std::unique_ptr<telemetry::Collector>> collectors, HubOptions options,
                     const Clock& clock)
    : options_(options), clock_(clock) {
  if (collectors.empty()) throw std::invalid_argument("ipw monitor: no telemetry source");
  std::set<std::string> names;
  for (auto& c : collectors) {
    if (!c) throw std::invalid_argument("ipw monitor: null collector");
    Slot s;
    s.first_domain = static_cast<int>(domains_.size());
    s.update_period_ns = std::max<std::int64_t>(0, c->update_period_ns());
    std::vector<bool> summable(c->domains().size(), false);
    for (std::size_t i : c->summable_domains()) {
      if (i < summable.size()) summable[i] = true;
    }
    for (std::size_t i = 0; i < c->domains().size(); ++i) {
      const telemetry::DomainInfo& d = c->domains()[i];
      if (!names.insert(d.domain).second) {
        throw std::invalid_argument("ipw monitor: domain \"" + d.domain + "\" is reported by two sources");
      }
      domains_.push_back({d, s.update_period_ns, summable[i], c->name()});
    }
    s.collector = std::move(c);
    slots_.push_back(std::move(s));
  }
  MutexLock l(mu_);
  for (const HubDomain& d : domains_) totals_.emplace_back(d.info);
  latest_.assign(domains_.size(), telemetry::Reading{});
}

SampleHub::~SampleHub() { shutdown(); }

void SampleHub::start() {
  if (thread_.joinable()) throw std::logic_error("SampleHub::start called twice");
  thread_ = std::thread([this] { run(); });
  // Named, so `top -H` shows it and tests can read its scheduling (/proc/*/task/*/comm);
  // named here, not by the thread itself, so the name is there when start() returns.
  ::pthread_setname_np(thread_.native_handle(), kThreadName);
}

void SampleHub::shutdown() {
  std::vector<std::shared_ptr<ClientQueue>> clients;
  {
    MutexLock l(mu_);
    stop_ = true;
    clients.swap(clients_);
  }
  cv_.notify_all();
  for (auto& c : clients) c->close();
  if (thread_.joinable()) thread_.join();
  MutexLock r(read_mu_);
  if (collectors_started_) {
    for (Slot& s : slots_) s.collector->stop();
    collectors_started_ = false;
  }
}

std::shared_ptr<ClientQueue> SampleHub::subscribe(const std::string& peer, std::int64_t interval_ns) {
  auto q = std::make_shared<ClientQueue>(peer, options_.client_buffer, std::max<std::int64_t>(0, interval_ns));
  {
    MutexLock l(mu_);
    if (stop_) {
      q->close();
      return q;
    }
    clients_.push_back(q);
  }
  cv_.notify_all();
  return q;
}

void SampleHub::unsubscribe(const std::shared_ptr<ClientQueue>& q) {
  {
    MutexLock l(mu_);
    clients_.erase(std::remove(clients_.begin(), clients_.end(), q), clients_.end());
  }
  q->close();
  cv_.notify_all();
}

void SampleHub::set_drop_callback(std::function<void(const std::shared_ptr<ClientQueue>&)> cb) {
  MutexLock l(mu_);
  on_drop_ = std::move(cb);
}

int SampleHub::clients() const {
  MutexLock l(mu_);
  return static_cast<int>(clients_.size());
}

std::int64_t SampleHub::current_interval_ns() const {
  MutexLock l(mu_);
  return interval_ns();
}

void SampleHub::keep_alive(std::chrono::milliseconds wait) {
  MutexLock l(mu_);
  lease_until_ = RealClock::now() + std::chrono::nanoseconds(options_.lease_ns);
  cv_.notify_all();
  const auto deadline = RealClock::now() + wait;
  // Sampling stays on while someone waits for the first read: a lease shorter than the
  // hub thread's wake-up (a short --scrape-lease-s on a loaded host) must not expire
  // before that read and leave the scrape waiting for nothing.
  ++first_read_waiters_;
  while (!stop_ && reads_ == 0) {
    if (cv_.wait_until(l.native(), deadline) == std::cv_status::timeout) break;
  }
  --first_read_waiters_;
}

bool SampleHub::active() const {
  return options_.always_sample || !clients_.empty() || first_read_waiters_ > 0 || RealClock::now() < lease_until_;
}

std::int64_t SampleHub::interval_ns() const {
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (const auto& c : clients_) {
    if (c->interval_ns() > 0) best = std::min(best, c->interval_ns());
  }
  if (best == std::numeric_limits<std::int64_t>::max()) best = options_.default_interval_ns;
  return std::max(best, options_.min_interval_ns);
}

void SampleHub::run() {
  std::vector<RealClock::time_point> due(slots_.size());
  std::vector<bool> failed(slots_.size(), false);
  while (true) {
    std::int64_t interval = 0;
    bool resumed = false;
    {
      MutexLock l(mu_);
      while (!stop_ && !active()) {
        if (sampling_) {
          sampling_ = false;
          // Nothing is charged across the pause: counter wraps in it are unknowable.
          for (EnergyTotal& t : totals_) t.pause();
          spdlog::info("ipw monitor: no client; sampling paused");
        }
        if (lease_until_ > RealClock::now()) {
          cv_.wait_until(l.native(), lease_until_);
        } else {
          cv_.wait(l.native());
        }
      }
      if (stop_) return;
      if (!sampling_) {
        sampling_ = true;
        resumed = true;
      }
      interval = interval_ns();
    }
    if (resumed) {
      if (!collectors_started_) {
        MutexLock r(read_mu_);
        const std::int64_t t0 = clock_.now_ns();
        for (Slot& s : slots_) s.collector->start(t0);
        collectors_started_ = true;
      }
      spdlog::info("ipw monitor: sampling every {:.1f} ms", static_cast<double>(interval) * 1e-6);
      std::fill(due.begin(), due.end(), RealClock::now());
    }
    const auto now = RealClock::now();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (failed[i]) continue;
      const auto period = std::chrono::nanoseconds(std::max(interval, slots_[i].update_period_ns));
      if (due[i] > now + period) due[i] = now + period;  // a faster client just arrived
      if (due[i] > now) continue;
      try {
        read_slot(i);
      } catch (const std::exception& e) {
        // A source that throws has a bug; stop reading it rather than stop serving.
        failed[i] = true;
        spdlog::error("ipw monitor: source {} failed and is no longer read: {}",
                      slots_[i].collector->name(), e.what());
        continue;
      }
      due[i] += period;
      if (due[i] <= now) due[i] = now + period;  // after a stall, skip ahead rather than burst
    }
    auto next = now + std::chrono::hours(1);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!failed[i]) next = std::min(next, due[i]);
    }
    MutexLock l(mu_);
    if (!stop_) cv_.wait_until(l.native(), next);
  }
}

void SampleHub::read_slot(std::size_t i) {
  auto batch = std::make_shared<HubBatch>();
  std::int64_t spent_ns = 0;
  {
    MutexLock r(read_mu_);
    Slot& s = slots_[i];
    const std::size_t n = s.collector->domains().size();
    s.scratch.assign(n, telemetry::Reading{});
    const auto began = RealClock::now();
    const std::int64_t t = clock_.now_ns();
    s.collector->read(t, s.scratch);
    spent_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(RealClock::now() - began).count();
    if (s.scratch.size() != n) throw std::runtime_error("returned the wrong number of readings");
    batch->t_ns = t + options_.clock_offset_ns;
    batch->t_unix_ns = unix_now_ns() + options_.clock_offset_ns;
    for (std::size_t d = 0; d < n; ++d) {
      if (has_any(s.scratch[d])) batch->readings.emplace_back(s.first_domain + static_cast<int>(d), s.scratch[d]);
    }
  }

  std::vector<std::shared_ptr<ClientQueue>> dropped;
  std::function<void(const std::shared_ptr<ClientQueue>&)> on_drop;
  {
    MutexLock l(mu_);
    batch->sequence = ++sequence_;
    for (const auto& [d, reading] : batch->readings) {
      totals_[static_cast<std::size_t>(d)].add(batch->t_ns, reading);
      latest_[static_cast<std::size_t>(d)] = reading;
    }
    ++reads_;
    read_ns_total_ += spent_ns;
    recent_reads_ns_.push_back(batch->t_ns);
    while (recent_reads_ns_.size() > kRateMaxReads ||
           (recent_reads_ns_.size() > 1 && batch->t_ns - recent_reads_ns_.front() > kRateWindowNs)) {
      recent_reads_ns_.pop_front();
    }
    std::shared_ptr<const HubBatch> shared = batch;
    for (auto it = clients_.begin(); it != clients_.end();) {
      if ((*it)->offer(shared)) {
        ++it;
      } else {
        if ((*it)->dropped()) dropped.push_back(*it);
        it = clients_.erase(it);
      }
    }
    dropped_ += dropped.size();
    on_drop = on_drop_;
  }
  cv_.notify_all();
  for (const auto& q : dropped) {
    spdlog::warn("ipw monitor: dropping slow client {}: {} batches unread (--client-buffer)", q->peer(),
                 q->capacity());
    if (on_drop) on_drop(q);
  }
}

HubStatus SampleHub::status() const {
  MutexLock l(mu_);
  HubStatus s;
  for (std::size_t d = 0; d < domains_.size(); ++d) {
    DomainStatus ds;
    ds.domain = domains_[d];
    ds.energy_j = totals_[d].total_j();
    ds.energy_t_ns = totals_[d].last_t_ns();
    ds.has_energy = totals_[d].has_energy();
    ds.counter_resets = totals_[d].resets();
    ds.power_w = totals_[d].power_w();
    ds.temperature_c = latest_[d].temperature_c;
    ds.memory_mb = latest_[d].memory_mb;
    s.domains.push_back(std::move(ds));
  }
  s.reads = reads_;
  s.read_seconds = static_cast<double>(read_ns_total_) * 1e-9;
  if (recent_reads_ns_.size() >= kRateMinReads && recent_reads_ns_.back() > recent_reads_ns_.front()) {
    s.read_rate_hz = static_cast<double>(recent_reads_ns_.size() - 1) /
                     (static_cast<double>(recent_reads_ns_.back() - recent_reads_ns_.front()) * 1e-9);
  }
  s.interval_s = static_cast<double>(interval_ns()) * 1e-9;
  s.sampling = sampling_;
  s.clients = static_cast<int>(clients_.size());
  s.clients_dropped = dropped_;
  return s;
}

nlohmann::json SampleHub::describe_collectors() const {
  MutexLock r(read_mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const Slot& s : slots_) {
    out.push_back({{"collector", s.collector->name()},
                   {"update_period_s", static_cast<double>(s.update_period_ns) * 1e-9},
                   {"details", s.collector->describe()}});
  }
  return out;
}

}  // namespace ipw::monitor
