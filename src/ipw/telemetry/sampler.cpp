#include "ipw/telemetry/sampler.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

namespace ipw::telemetry {
namespace {

using RealClock = std::chrono::steady_clock;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();

bool has_any(const Reading& r) {
  return r.energy_j || r.power_w || r.temperature_c || r.memory_mb;
}

}  // namespace

Sampler::Sampler(std::vector<std::unique_ptr<Collector>> collectors, std::int64_t period_ns,
                 const Clock& clock)
    : clock_(clock) {
  if (period_ns <= 0) throw std::invalid_argument("Sampler: period must be > 0 ns");
  std::set<std::string> names;
  for (auto& c : collectors) {
    if (!c) throw std::invalid_argument("Sampler: null collector");
    Slot s;
    s.first_domain = static_cast<int>(domains_.size());
    s.domain_count = static_cast<int>(c->domains().size());
    s.update_period_ns = std::max<std::int64_t>(0, c->update_period_ns());
    s.update_period_uncertainty_ns = std::max<std::int64_t>(0, c->update_period_uncertainty_ns());
    s.period_ns = std::max(period_ns, s.update_period_ns);
    s.latched = c->latches_counter();
    std::vector<bool> summable(c->domains().size(), false);
    for (std::size_t i : c->summable_domains()) {
      if (i < summable.size()) summable[i] = true;
    }
    for (std::size_t i = 0; i < c->domains().size(); ++i) {
      const DomainInfo& d = c->domains()[i];
      if (!names.insert(d.domain).second) {
        throw std::invalid_argument("Sampler: domain \"" + d.domain +
                                    "\" is reported by two collectors");
      }
      domains_.push_back(d);
      slot_of_domain_.push_back(static_cast<int>(slots_.size()));
      summable_.push_back(summable[i]);
    }
    s.collector = std::move(c);
    slots_.push_back(std::move(s));
  }
  MutexLock l(mu_);
  for (std::size_t d = 0; d < domains_.size(); ++d) {
    const Slot& s = slots_[static_cast<std::size_t>(slot_of_domain_[d])];
    traces_.emplace_back(domains_[d], TraceTiming{s.update_period_ns, s.period_ns, s.latched, s.update_period_uncertainty_ns});
  }
  last_read_ns_.assign(slots_.size(), kNever);
  failed_.assign(slots_.size(), false);
}

Sampler::~Sampler() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop() only fails if a collector misbehaves
  }
}

void Sampler::start() {
  {
    MutexLock l(mu_);
    if (started_) throw std::logic_error("Sampler::start called twice");
    started_ = true;
  }
  const std::int64_t t0 = clock_.now_ns();
  {
    MutexLock r(read_mu_);
    for (Slot& s : slots_) s.collector->start(t0);
    {
      MutexLock l(mu_);
      t0_ns_ = t0;
      running_ = true;
    }
    for (std::size_t i = 0; i < slots_.size(); ++i) read_slot(i);
  }
  thread_ = std::thread([this] { run(); });
}

void Sampler::stop() {
  if (!thread_.joinable()) return;
  {
    MutexLock c(ctl_mu_);
    stop_requested_ = true;
  }
  ctl_cv_.notify_all();
  thread_.join();
  read_all();  // the final sample brackets the last window
  {
    MutexLock l(mu_);
    running_ = false;
  }
  sample_cv_.notify_all();
}

bool Sampler::running() const {
  MutexLock l(mu_);
  return running_;
}

void Sampler::sample_now() { read_all(); }

void Sampler::read_all() {
  MutexLock r(read_mu_);
  for (std::size_t i = 0; i < slots_.size(); ++i) read_slot(i);
}

void Sampler::read_slot(std::size_t i) {
  ReadStamp stamp;
  if (fetch_slot(i, stamp)) store_slot(i, stamp, slots_[i].readings);
}

bool Sampler::fetch_slot(std::size_t i, ReadStamp& stamp) {
  Slot& s = slots_[i];
  {
    MutexLock l(mu_);
    if (failed_[i]) return false;
  }
  stamp.t_ns = clock_.now_ns();
  s.readings.assign(static_cast<std::size_t>(s.domain_count), Reading{});
  std::string error;
  try {
    s.collector->read(stamp.t_ns, s.readings);
    stamp.read_ns = std::max<std::int64_t>(0, clock_.now_ns() - stamp.t_ns);
    if (s.readings.size() != static_cast<std::size_t>(s.domain_count)) {
      error = "returned " + std::to_string(s.readings.size()) + " readings for " +
              std::to_string(s.domain_count) + " domains";
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (error.empty()) return true;
  {
    MutexLock l(mu_);
    // A collector that throws has a bug; stop reading it rather than end the run.
    failed_[i] = true;
    errors_.push_back(s.collector->name() + ": " + error);
  }
  sample_cv_.notify_all();
  return false;
}

void Sampler::store_slot(std::size_t i, ReadStamp stamp, const std::vector<Reading>& readings) {
  const Slot& s = slots_[i];
  {
    MutexLock l(mu_);
    for (int d = 0; d < s.domain_count; ++d) {
      const Reading& r = readings[static_cast<std::size_t>(d)];
      if (!has_any(r)) continue;  // nothing measured: store nothing, never zeros
      const Sample sample{stamp.t_ns, s.first_domain + d, r.energy_j, r.power_w, r.temperature_c, r.memory_mb,
                          stamp.read_ns};
      traces_[static_cast<std::size_t>(sample.domain_index)].append(sample);
      samples_.push_back(sample);
    }
    last_read_ns_[i] = stamp.t_ns;
  }
  sample_cv_.notify_all();
}

void Sampler::run() {
  // Scheduling uses real time (a test's fake Clock only stamps samples), at a
  // fixed rate per collector; after a stall we skip ahead rather than burst.
  std::vector<RealClock::time_point> due(slots_.size());
  const auto begin = RealClock::now();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    due[i] = begin + std::chrono::nanoseconds(slots_[i].period_ns);
  }
  while (true) {
    // No collectors: nothing to read, just wait for stop (an hour at a time).
    const auto next = due.empty() ? RealClock::now() + std::chrono::hours(1)
                                  : *std::min_element(due.begin(), due.end());
    {
      MutexLock c(ctl_mu_);
      while (!stop_requested_) {
        if (ctl_cv_.wait_until(c.native(), next) == std::cv_status::timeout) break;
      }
      if (stop_requested_) return;
    }
    const auto now = RealClock::now();
    MutexLock r(read_mu_);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (due[i] > now) continue;
      read_slot(i);
      const auto period = std::chrono::nanoseconds(slots_[i].period_ns);
      due[i] += period;
      if (due[i] <= now) due[i] = now + period;
    }
  }
}

std::int64_t Sampler::t0_ns() const {
  MutexLock l(mu_);
  return t0_ns_;
}

std::size_t Sampler::sample_count() const {
  MutexLock l(mu_);
  return samples_.size();
}

std::vector<Sample> Sampler::samples(std::size_t from_index) const {
  MutexLock l(mu_);
  if (from_index >= samples_.size()) return {};
  return {samples_.begin() + static_cast<std::ptrdiff_t>(from_index), samples_.end()};
}

bool Sampler::wait_for_sample_after(std::int64_t t_ns, std::int64_t timeout_ns) const {
  const auto deadline = RealClock::now() + std::chrono::nanoseconds(std::max<std::int64_t>(0, timeout_ns));
  MutexLock l(mu_);
  while (true) {
    bool bracketed = true;
    for (std::size_t i = 0; i < last_read_ns_.size(); ++i) {
      if (!failed_[i] && last_read_ns_[i] < t_ns) bracketed = false;
    }
    if (bracketed) return true;
    if (!running_) return false;
    if (sample_cv_.wait_until(l.native(), deadline) == std::cv_status::timeout) {
      // One last look: the read may have landed just as the wait expired.
      for (std::size_t i = 0; i < last_read_ns_.size(); ++i) {
        if (!failed_[i] && last_read_ns_[i] < t_ns) return false;
      }
      return true;
    }
  }
}

const Sampler::Slot& Sampler::slot_of(int domain_index) const {
  if (domain_index < 0 || static_cast<std::size_t>(domain_index) >= domains_.size()) {
    throw std::out_of_range("Sampler: no domain index " + std::to_string(domain_index));
  }
  return slots_[static_cast<std::size_t>(slot_of_domain_[static_cast<std::size_t>(domain_index)])];
}

WindowEnergy Sampler::energy(int domain_index, std::int64_t t0_ns, std::int64_t t1_ns) const {
  (void)slot_of(domain_index);  // validates the index
  MutexLock l(mu_);
  return traces_[static_cast<std::size_t>(domain_index)].energy_between(t0_ns, t1_ns);
}

std::optional<double> Sampler::cumulative_j(int domain_index, std::int64_t t_ns) const {
  (void)slot_of(domain_index);
  MutexLock l(mu_);
  return traces_[static_cast<std::size_t>(domain_index)].cumulative_j(t_ns);
}

bool Sampler::span_known(int domain_index, std::int64_t t0_ns, std::int64_t t1_ns) const {
  (void)slot_of(domain_index);
  MutexLock l(mu_);
  return traces_[static_cast<std::size_t>(domain_index)].span_known(t0_ns, t1_ns);
}

std::int64_t Sampler::read_through_ns() const {
  MutexLock l(mu_);
  std::optional<std::int64_t> through;
  for (std::size_t i = 0; i < last_read_ns_.size(); ++i) {
    if (!failed_[i]) through = std::min(through.value_or(last_read_ns_[i]), last_read_ns_[i]);
  }
  return through.value_or(std::numeric_limits<std::int64_t>::max());  // nothing is read: nothing to wait for
}

std::optional<double> Sampler::latest_power_w(int domain_index) const {
  (void)slot_of(domain_index);
  MutexLock l(mu_);
  return traces_[static_cast<std::size_t>(domain_index)].latest_power_w();
}

std::int64_t Sampler::period_ns(int domain_index) const { return slot_of(domain_index).period_ns; }

std::int64_t Sampler::update_period_ns(int domain_index) const {
  return slot_of(domain_index).update_period_ns;
}

bool Sampler::summable(int domain_index) const {
  (void)slot_of(domain_index);
  return summable_[static_cast<std::size_t>(domain_index)];
}

nlohmann::json Sampler::describe() const {
  // describe() may touch collector state, so it runs under the read lock.
  MutexLock r(read_mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const Slot& s : slots_) {
    nlohmann::json doms = nlohmann::json::array();
    for (int d = s.first_domain; d < s.first_domain + s.domain_count; ++d) {
      const DomainInfo& info = domains_[static_cast<std::size_t>(d)];
      doms.push_back({{"domain", info.domain},
                      {"device", info.device},
                      {"kind", info.kind},
                      {"source", to_string(info.source)},
                      {"wrap_j", info.wrap_j},
                      {"summable", static_cast<bool>(summable_[static_cast<std::size_t>(d)])}});
    }
    out.push_back({{"collector", s.collector->name()},
                   {"domains", doms},
                   {"sample_period_s", ns_to_s(s.period_ns)},
                   {"update_period_s", ns_to_s(s.update_period_ns)},
                   {"details", s.collector->describe()}});
  }
  return out;
}

std::vector<std::string> Sampler::errors() const {
  MutexLock l(mu_);
  return errors_;
}

}  // namespace ipw::telemetry
