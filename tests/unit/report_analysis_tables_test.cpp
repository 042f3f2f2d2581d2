// The terminal tables `ipw analyze` prints: cells never run together, and each line
// sits in the section it belongs to.
#include "ipw/report/analysis_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace ipw::report {
namespace {

using ::testing::ContainsRegex;

std::string printed(const std::function<void(std::FILE*)>& print) {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* f = ::open_memstream(&buf, &size);
  print(f);
  std::fclose(f);
  std::string out(buf, size);
  std::free(buf);
  return out;
}

TEST(AnalysisTables, AGroupRowKeepsASpaceBetweenCellsThatFillTheirWidth) {
  // The first run of the README's main job printed "0.0030.0005335–0.01691": a Wilson
  // interval of 17 characters filled its column and met the accuracy before it.
  metrics::GroupStats g;
  g.key = "a-source-name-that-is-long";
  g.queries = 1000;
  g.errors = 0;
  g.accuracy = 0.003;
  g.accuracy_ci95 = metrics::Interval{0.0005335, 0.01691};
  g.mean_energy_j = 123456.7;
  g.mean_power_w = 98765.4;
  g.ipw = 0.000012345;
  g.ipj = 0.000054321;
  const std::string out = printed([&](std::FILE* f) { print_groups(f, "source", {g}, false); });
  EXPECT_THAT(out, ContainsRegex(" 1000 +0 +0\\.003 +0\\.0005335–0\\.01691 +1\\.235e\\+05 +9\\.877e\\+04 "
                                 "+1\\.234e-05 +5\\.432e-05\n"));
}

TEST(AnalysisTables, InterTokenLatencyEndsTheLatencyRowsAndNothingSitsInTheEnergyModel) {
  // ITL and the error rate used to be printed under "energy model", after its formula.
  metrics::RunMetrics m;
  m.itl_s.n = 10;
  m.itl_s.mean = m.itl_s.p50 = m.itl_s.p90 = m.itl_s.p99 = 0.02;
  m.error_rate = 0.25;
  const std::string out = printed([&](std::FILE* f) { print_run_metrics(f, m, false); });
  const auto itl = out.find("ITL");
  ASSERT_NE(itl, std::string::npos) << out;
  EXPECT_LT(itl, out.find("uncertainty and robustness")) << out;
  EXPECT_EQ(out.find("error rate"), std::string::npos) << out;  // on the queries line instead
  const auto model = out.find("energy model");
  ASSERT_NE(model, std::string::npos) << out;
  EXPECT_EQ(out.find('\n', out.find('\n', model) + 1), std::string::npos) << "after the model: " << out.substr(model);
}

}  // namespace
}  // namespace ipw::report
