// Open-loop arrival schedules: the processes' mean gap and burstiness, seeds, and
// arrival traces with their errors.
#include "ipw/workload/arrivals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace ipw::workload {
namespace {

struct GapStats {
  double mean, cv;
};
GapStats gaps(const std::vector<double>& t) {
  std::vector<double> g;
  for (std::size_t i = 1; i < t.size(); ++i) g.push_back(t[i] - t[i - 1]);
  const double mean = std::accumulate(g.begin(), g.end(), 0.0) / static_cast<double>(g.size());
  double var = 0;
  for (double x : g) var += (x - mean) * (x - mean);
  var /= static_cast<double>(g.size() - 1);
  return {mean, std::sqrt(var) / mean};
}

TEST(Arrivals, ProcessesHaveTheirMeanGapAndBurstiness) {
  const auto poisson = gaps(arrival_offsets(parse_arrival_process("poisson"), 20, 20000, 1));
  EXPECT_NEAR(poisson.mean, 0.05, 1e-12);  // scaled to the rate exactly
  EXPECT_NEAR(poisson.cv, 1.0, 0.05);
  const auto bursty = gaps(arrival_offsets(parse_arrival_process("gamma:2"), 20, 20000, 1));
  EXPECT_NEAR(bursty.mean, 0.05, 1e-12);
  EXPECT_NEAR(bursty.cv, 2.0, 0.15);
  // A short schedule too: 300 arrivals at 20/s end at 299/20 s whatever was drawn.
  EXPECT_NEAR(arrival_offsets(parse_arrival_process("poisson"), 20, 300, 5).back(), 299.0 / 20, 1e-9);
  const auto steady = gaps(arrival_offsets(parse_arrival_process("constant"), 20, 100, 1));
  EXPECT_NEAR(steady.mean, 0.05, 1e-12);
  EXPECT_NEAR(steady.cv, 0.0, 1e-9);
}

TEST(Arrivals, TheSeedMakesTheScheduleReproducible) {
  const auto p = parse_arrival_process("poisson");
  EXPECT_EQ(arrival_offsets(p, 5, 50, 42), arrival_offsets(p, 5, 50, 42));
  EXPECT_NE(arrival_offsets(p, 5, 50, 42), arrival_offsets(p, 5, 50, 43));
  EXPECT_EQ(arrival_offsets(p, 5, 50, 42).front(), 0.0);
}

TEST(Arrivals, BadProcessesAndRatesAreRefused) {
  for (const char* bad : {"", "poison", "gamma:", "gamma:0", "gamma:-1", "gamma:x"}) {
    EXPECT_THROW(parse_arrival_process(bad), std::invalid_argument) << bad;
  }
  EXPECT_EQ(to_string(parse_arrival_process("gamma:2.5")), "gamma:2.5");
  EXPECT_THROW(arrival_offsets(parse_arrival_process("poisson"), 0, 10, 1), std::invalid_argument);
}

TEST(Arrivals, TracesGiveInstantsAndTokenCounts) {
  const auto t = parse_arrival_trace_csv("t_s,input_tokens,output_tokens\n0,10,20\n0.5,,7\n\n0.5,3,\n", "x.csv");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].t_s, 0.5);
  EXPECT_EQ(t[0].input_tokens, 10);
  EXPECT_FALSE(t[1].input_tokens);
  EXPECT_EQ(t[1].output_tokens, 7);
  EXPECT_FALSE(t[2].output_tokens);
}

TEST(Arrivals, TraceErrorsNameTheFileAndLine) {
  auto message = [](const std::string& text) {
    try {
      parse_arrival_trace_csv(text, "trace.csv");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("t_s\n0\nsoon\n").find("trace.csv:3: t_s 'soon'"), std::string::npos) << message("t_s\n0\nsoon\n");
  EXPECT_NE(message("t_s\n1\n0.5\n").find("trace.csv:3: t_s 0.5 is before"), std::string::npos);
  EXPECT_NE(message("time\n1\n").find("trace.csv:1: no t_s column"), std::string::npos);
  EXPECT_NE(message("t_s,output_tokens\n1,2.5\n").find("trace.csv:2: output_tokens '2.5'"), std::string::npos);
  EXPECT_NE(message("t_s\n").find("no arrivals"), std::string::npos);
  EXPECT_THROW(read_arrival_trace("/nonexistent/trace.csv"), std::invalid_argument);
}

}  // namespace
}  // namespace ipw::workload
