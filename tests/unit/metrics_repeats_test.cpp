// Mean ± σ across repeats (--repeat N), checked against values worked out by hand.
#include "ipw/metrics/repeats.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "ipw/metrics/run_metrics.h"
#include "ipw/report/analysis_tables.h"

namespace ipw::metrics {
namespace {

run::QueryRecord repeat_row(int seq, int repeat, std::optional<bool> correct, std::optional<double> energy_j) {
  run::QueryRecord r;
  r.seq = seq;
  r.repeat = repeat;
  r.correct = correct;
  r.energy_j = energy_j;
  r.t_start_ns = 0;
  r.t_end_ns = 1'000'000'000;
  return r;
}

// Three passes over two items:
//   repeat 0: right, right; 10 J, 20 J -> accuracy 1.0, mean energy 15 J
//   repeat 1: right, wrong; 12 J, 22 J -> accuracy 0.5, mean energy 17 J
//   repeat 2: wrong, wrong; 14 J, 24 J -> accuracy 0.0, mean energy 19 J
// accuracy: mean 0.5, σ = sqrt((0.5² + 0² + 0.5²) / 2) = 0.5
// energy:   mean 17 J, σ = sqrt((2² + 0² + 2²) / 2) = 2 J
std::vector<run::QueryRecord> three_repeats() {
  std::vector<run::QueryRecord> v = {repeat_row(0, 0, true, 10), repeat_row(1, 0, true, 20),  repeat_row(0, 1, true, 12),
                                     repeat_row(1, 1, false, 22), repeat_row(0, 2, false, 14), repeat_row(1, 2, false, 24)};
  // An unscored query without energy changes neither figure of its repeat.
  v.push_back(repeat_row(2, 1, std::nullopt, std::nullopt));
  // A failed query is wrong (as in the summary) but its energy is not a query's energy.
  run::QueryRecord failed = repeat_row(3, 2, false, 500);
  failed.error_kind = "timeout_total";
  v.push_back(failed);
  return v;
}

TEST(MetricsRepeats, MeanAndSampleSigmaAcrossRepeats) {
  RepeatBuilder b;
  for (const auto& r : three_repeats()) b.add(r);
  const RepeatStats s = b.finish();
  ASSERT_EQ(s.repeats(), 3u);
  EXPECT_DOUBLE_EQ(*s.per_repeat[0].accuracy, 1.0);
  EXPECT_DOUBLE_EQ(*s.per_repeat[1].accuracy, 0.5);
  EXPECT_DOUBLE_EQ(*s.per_repeat[2].accuracy, 0.0);  // 0 of 3 (the failure counts as wrong)
  EXPECT_EQ(s.per_repeat[2].scored, 3u);
  EXPECT_DOUBLE_EQ(*s.per_repeat[0].mean_energy_j, 15.0);
  EXPECT_DOUBLE_EQ(*s.per_repeat[1].mean_energy_j, 17.0);
  EXPECT_DOUBLE_EQ(*s.per_repeat[2].mean_energy_j, 19.0);
  EXPECT_DOUBLE_EQ(*s.accuracy_mean, 0.5);
  EXPECT_DOUBLE_EQ(*s.accuracy_sd, 0.5);
  EXPECT_DOUBLE_EQ(*s.mean_energy_j_mean, 17.0);
  EXPECT_DOUBLE_EQ(*s.mean_energy_j_sd, 2.0);
}

TEST(MetricsRepeats, OneRepeatHasNoSigma) {
  RepeatBuilder b;
  b.add(repeat_row(0, 0, true, 10));
  b.add(repeat_row(1, 0, false, 30));
  const RepeatStats s = b.finish();
  EXPECT_EQ(s.repeats(), 1u);
  EXPECT_DOUBLE_EQ(*s.accuracy_mean, 0.5);
  EXPECT_FALSE(s.accuracy_sd.has_value());
  EXPECT_FALSE(s.mean_energy_j_sd.has_value());
  EXPECT_FALSE(sample_sd({}).has_value());
  EXPECT_DOUBLE_EQ(*sample_sd({1.0, 3.0}), std::sqrt(2.0));
}

TEST(MetricsRepeats, AnalyzeJsonAndTableReportThem) {
  const RunMetrics m = compute_run_metrics(three_repeats());
  const nlohmann::json j = to_json(m)["repeats"];
  EXPECT_EQ(j["repeats"], 3);
  EXPECT_DOUBLE_EQ(j["accuracy"]["mean"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["accuracy"]["sd"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["mean_energy_j"]["mean"].get<double>(), 17.0);
  EXPECT_DOUBLE_EQ(j["mean_energy_j"]["sd"].get<double>(), 2.0);
  EXPECT_EQ(j["per_repeat"].size(), 3u);

  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  report::print_repeats(out, m.repeats, false);
  std::fclose(out);
  const std::string text(buf, len);
  std::free(buf);
  EXPECT_NE(text.find("repeats (3 passes"), std::string::npos) << text;
  EXPECT_NE(text.find("0.5 ± 0.5"), std::string::npos) << text;
  EXPECT_NE(text.find("17 ± 2"), std::string::npos) << text;
}

}  // namespace
}  // namespace ipw::metrics
