#pragma once
// When requests arrive in an open-loop load run (`ipw profile --rate R`): the gaps
// between arrivals drawn from a named process, or the instants of a trace file.
// Every schedule is reproducible from its seed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::workload {

// poisson: exponential gaps (CV 1); gamma:CV: gamma gaps with that coefficient of
// variation (burstier above 1, as vLLM's --burstiness is 1/CV²); constant: equal gaps.
struct ArrivalProcess {
  enum class Kind { poisson, gamma, constant };
  Kind kind = Kind::poisson;
  double cv = 1.0;
};
// Throws ipw::UsageError naming the accepted forms.
ArrivalProcess parse_arrival_process(std::string_view spec);
std::string to_string(const ArrivalProcess& p);

// Offsets in seconds from the start of `count` arrivals at rate_per_s: the first
// at 0, the gaps drawn from the process and scaled so their mean is exactly
// 1/rate_per_s (the last arrival at (count − 1)/rate_per_s).
std::vector<double> arrival_offsets(const ArrivalProcess& p, double rate_per_s, std::size_t count,
                                    std::uint64_t seed);

// One arrival of a trace: seconds from the start, and the token counts it asks for
// (output_tokens sets the request's max_tokens).
struct TraceArrival {
  double t_s = 0;
  std::optional<int> input_tokens, output_tokens;
};
// Reads a CSV with a `t_s` column (seconds from the start, non-decreasing) and
// optional `input_tokens` and `output_tokens` columns. Throws ipw::UsageError
// naming the file and line of a missing column, a non-numeric or decreasing t_s,
// or a bad token count.
std::vector<TraceArrival> read_arrival_trace(const std::string& path);
std::vector<TraceArrival> parse_arrival_trace_csv(const std::string& text, const std::string& name);

// For `ipw route --arrival-trace`: arrival instants in seconds from a CSV's column
// `arrival_s` (or `t_s`; without a header row, the first column), in any order;
// returned sorted and shifted so the first is 0. Throws ipw::UsageError naming
// the line of a value that is not a finite number.
std::vector<double> parse_arrival_instants(const std::string& csv_text);

}  // namespace ipw::workload
