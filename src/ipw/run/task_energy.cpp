#include "ipw/run/task_energy.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>

namespace ipw::run {

void IdleSpans::add(const IdleSpan& s) {
  if (s.t_end_ns <= s.t_start_ns) return;
  if (!spans_.empty() && spans_.back().t_end_ns == s.t_start_ns) {
    IdleSpan& last = spans_.back();
    last.t_end_ns = s.t_end_ns;
    last.energy_j = last.energy_j && s.energy_j ? std::optional<double>(*last.energy_j + *s.energy_j) : std::nullopt;
    return;
  }
  spans_.push_back(s);
}

std::vector<std::optional<double>> between_requests_j(const std::vector<TaskLifetime>& tasks,
                                                      const std::vector<IdleSpan>& idle) {
  // Every task open in a piece of idle time gets the same part of it (its energy over
  // the number open), so one running sum G of those parts answers every task: its
  // energy between requests is G(its end) − G(its start). Likewise a running count
  // of unknown parts says whether any part it shares is unknown.
  std::vector<std::int64_t> starts, ends, edges;
  for (const TaskLifetime& t : tasks) {
    starts.push_back(t.t_start_ns);
    ends.push_back(t.t_end_ns);
  }
  std::sort(starts.begin(), starts.end());
  std::sort(ends.begin(), ends.end());
  std::merge(starts.begin(), starts.end(), ends.begin(), ends.end(), std::back_inserter(edges));
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  // Tasks open throughout (x, y) when no edge lies inside it: started at or before x
  // and not ended by then.
  const auto open_in = [&](std::int64_t x) {
    const auto started = std::upper_bound(starts.begin(), starts.end(), x) - starts.begin();
    const auto ended = std::upper_bound(ends.begin(), ends.end(), x) - ends.begin();
    return static_cast<double>(started - ended);
  };
  struct Running {
    double sum_j = 0;
    long unknown = 0;
  };
  Running run;
  std::map<std::int64_t, Running> at;  // the running figures at each edge
  std::size_t next = 0;
  const auto record_through = [&](std::int64_t t) {
    for (; next < edges.size() && edges[next] <= t; ++next) at[edges[next]] = run;
  };
  for (const IdleSpan& s : idle) {
    record_through(s.t_start_ns);
    const double width = static_cast<double>(s.t_end_ns - s.t_start_ns);
    std::int64_t x = s.t_start_ns;
    while (x < s.t_end_ns) {
      const std::int64_t y =
          next < edges.size() && edges[next] < s.t_end_ns ? edges[next] : s.t_end_ns;
      const double open = open_in(x);
      if (open > 0) {
        if (s.energy_j) {
          run.sum_j += *s.energy_j * static_cast<double>(y - x) / width / open;
        } else {
          ++run.unknown;
        }
      }
      x = y;
      if (y < s.t_end_ns) record_through(y);  // an edge at the span's end is recorded after it
    }
  }
  record_through(std::numeric_limits<std::int64_t>::max());
  std::vector<std::optional<double>> out;
  out.reserve(tasks.size());
  for (const TaskLifetime& t : tasks) {
    const Running& a = at.at(t.t_start_ns);
    const Running& b = at.at(t.t_end_ns);
    out.push_back(b.unknown > a.unknown ? std::nullopt : std::optional<double>(b.sum_j - a.sum_j));
  }
  return out;
}

}  // namespace ipw::run
