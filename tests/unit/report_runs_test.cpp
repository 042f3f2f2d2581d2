// Report-side tests over real run stores (written with RunStore directly, or
// by the synthetic generator): streaming reads, compare, telemetry export,
// the power timeline, arrival traces and the HTML document.
#include <sstream>

#include <gtest/gtest.h>

#include "ipw/report/comparison.h"
#include "ipw/report/html_report.h"
#include "ipw/report/power_timeline.h"
#include "ipw/report/run_analysis.h"
#include "synthetic_run.h"
#include "ipw/report/telemetry_export.h"
#include "ipw/run/store.h"
#include "ipw/workload/arrivals.h"
#include "report_test_dir.h"

namespace ipw::report {
namespace {

using testing::TempDir;
using synthetic::SyntheticRunSpec;
using synthetic::write_synthetic_run;

SyntheticRunSpec small(const std::string& model, double skill, double power_scale, std::uint64_t seed) {
  SyntheticRunSpec s;
  s.queries = 120;
  s.items = 60;  // two repeats
  s.seed = seed;
  s.model = model;
  s.skill = skill;
  s.prefill_power_w *= power_scale;
  s.decode_power_w *= power_scale;
  s.token_times = true;
  return s;
}

TEST(ReportStoreStream, ForEachQueryMatchesQueries) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("a"), small("m", 0.6, 1, 3));
  const auto store = run::RunStore::open(tmp.sub("a"), true);
  const auto all = store.queries();
  run::RunStore::QueryReadOptions opts;
  opts.token_times = true;
  opts.domains = true;
  std::size_t k = 0;
  store.for_each_query(
      [&](const run::QueryRecord& q) {
        ASSERT_LT(k, all.size());
        const auto& r = all[k++];
        EXPECT_EQ(q.seq, r.seq);
        EXPECT_EQ(q.repeat, r.repeat);
        EXPECT_EQ(q.item_id, r.item_id);
        EXPECT_EQ(q.correct, r.correct);
        EXPECT_EQ(q.energy_j, r.energy_j);
        EXPECT_EQ(q.token_times_ns, r.token_times_ns);
        EXPECT_EQ(q.error_kind, r.error_kind);
        ASSERT_EQ(q.domains.size(), r.domains.size());
        if (!q.domains.empty()) {
          EXPECT_EQ(q.domains[0].energy_j, r.domains[0].energy_j);
        }
        EXPECT_TRUE(q.prompt.empty());  // texts were not asked for
      },
      opts);
  EXPECT_EQ(k, 120u);
  opts = {};
  opts.texts = true;
  bool texts = false;
  store.for_each_query([&](const run::QueryRecord& q) { texts = texts || !q.prompt.empty(); }, opts);
  EXPECT_TRUE(texts);
}

TEST(ReportAnalysis, StreamedAnalysisMatchesTheInMemorySummary) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("a"), small("m", 0.6, 1, 3));
  const RunAnalysis a = analyze_run(tmp.sub("a"));
  const auto expected = metrics::summarize(run::RunStore::open(tmp.sub("a"), true).queries());
  EXPECT_EQ(a.summary.queries, expected.queries);
  EXPECT_DOUBLE_EQ(*a.summary.ipw, *expected.ipw);
  EXPECT_DOUBLE_EQ(*a.summary.ipj, *expected.ipj);
  ASSERT_TRUE(a.metrics.energy_model);
  // The synthetic energy is ~linear in tokens: the model must explain most of it.
  EXPECT_GT(a.metrics.energy_model->r2, 0.8);
  EXPECT_GT(a.metrics.energy_model->c_j_per_out_token, 0);
  EXPECT_EQ(a.metrics.by_category.size(), 5u);
  EXPECT_GT(a.metrics.itl_s.n, 0u);
  const auto j = to_json(a);
  EXPECT_TRUE(j.contains("analysis"));
  EXPECT_TRUE(j["analysis"]["ci95"]["ipw"].is_array());
}

TEST(ReportCompare, LeaderboardParetoAndCoverage) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("small"), small("small", 0.45, 0.5, 1));
  write_synthetic_run(tmp.sub("big"), small("big", 0.8, 2.0, 2));
  const auto runs = load_runs({tmp.sub("small"), tmp.sub("big")});
  const Comparison c = compare_runs(runs, "accuracy");
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_EQ(c.rows[0].model, "big");  // more accurate
  EXPECT_TRUE(c.rows[0].pareto && c.rows[1].pareto);  // cheaper vs more accurate: both
  EXPECT_EQ(c.common_items, 60u);
  ASSERT_TRUE(c.coverage);
  EXPECT_GE(*c.coverage->all.coverage, *c.coverage->all.models[1].accuracy);
  std::ostringstream csv;
  write_leaderboard_csv(c, csv);
  const std::string text = csv.str();
  EXPECT_EQ(text.substr(0, text.find('\n')), "rank,label,model,hardware,run_dir,energy_source,queries,errors,"
                                              "accuracy,accuracy_ci_lo,accuracy_ci_hi,ipw,ipw_ci_lo,ipw_ci_hi,ipj,"
                                              "ipj_ci_lo,ipj_ci_hi,ipw_net,ipj_net,mean_energy_j,mean_power_w,"
                                              "j_per_output_token,latency_p50_s,output_tokens_per_s,pareto");
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  EXPECT_THROW(compare_runs(runs, "speed"), std::invalid_argument);
}

TEST(ReportTelemetryExport, OneRowPerSampleWithProvenance) {
  TempDir tmp;
  {
    auto store = run::RunStore::create(tmp.path().string());
    telemetry::DomainInfo gpu{"gpu0", "Test GPU", "gpu", telemetry::EnergySource::counter, 0.0};
    telemetry::DomainInfo cpu{"cpu-package0", "Test, CPU", "cpu", telemetry::EnergySource::estimated, 0.0};
    store.write_domains({{0, gpu, 10'000'000}, {1, cpu, 10'000'000}});
    const int s = store.begin_session({});
    store.append_samples(s, {{1'500'000'000, 0, 100.0, 50.0, 40.0, 1024.0}, {1'500'000'000, 1, std::nullopt, 12.5, std::nullopt, std::nullopt}});
  }
  const auto store = run::RunStore::open(tmp.path().string(), true);
  std::ostringstream out;
  EXPECT_EQ(write_telemetry_csv(store, {"gpu0"}, out), 2u);
  EXPECT_EQ(out.str(),
            "session,t_s,domain,device,kind,source,selected,energy_j,power_w,temperature_c,memory_mb\n"
            "1,1.500000000,gpu0,Test GPU,gpu,counter,true,100,50,40,1024\n"
            "1,1.500000000,cpu-package0,\"Test, CPU\",cpu,estimated,false,,12.5,,\n");
}

TEST(ReportPowerTimeline, CounterDifferencesBecomeMeanPower) {
  PowerTimeline t({0.0, 100.0}, 4, 1'000'000'000);  // 4 buckets of 1 s, domain 1 wraps at 100 J
  auto sample = [](std::int64_t t_s, std::optional<double> e, std::optional<double> p = std::nullopt) {
    telemetry::Sample s;
    s.t_ns = t_s * 1'000'000'000;
    s.energy_j = e;
    s.power_w = p;
    return s;
  };
  t.add(0, sample(0, 0));
  t.add(1, sample(0, 90));
  t.add(0, sample(1, 10));  // 10 W
  t.add(1, sample(1, 10));  // wrapped: 20 J in 1 s
  t.add(0, sample(2, 40));  // 30 W
  t.add(0, sample(3, 5));   // domain 0 cannot wrap: a reset, the interval is dropped
  auto pts = t.points();
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_DOUBLE_EQ(pts[0].t_s, 0.5);
  EXPECT_DOUBLE_EQ(pts[0].power_w, 30.0);  // 10 + 20
  EXPECT_DOUBLE_EQ(pts[1].power_w, 30.0);  // domain 1 has no data there
  EXPECT_EQ(t.intervals_skipped(), 1u);
  // Growing past 4 buckets doubles the width (twice here) and keeps the energy.
  t.add(0, sample(8, 5 + 5 * 30));  // 30 W from 3 s to 8 s
  pts = t.points();
  EXPECT_EQ(t.bucket_width_ns(), 4'000'000'000);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_DOUBLE_EQ(pts[0].t_s, 2.0);
  EXPECT_NEAR(pts[0].power_w, 70.0 / 3 + 20.0, 1e-9);  // [0,4): 70 J over the 3 s covered, + domain 1
  EXPECT_NEAR(pts[1].power_w, 30.0, 1e-9);
  // Power-only samples integrate by trapezoids.
  PowerTimeline p({0.0}, 10, 1'000'000'000);
  p.add(0, sample(0, std::nullopt, 10));
  p.add(0, sample(1, std::nullopt, 30));
  EXPECT_DOUBLE_EQ(p.points().at(0).power_w, 20.0);
}

TEST(ReportArrivalTrace, HeaderColumnAndShiftToZero) {
  EXPECT_EQ(workload::parse_arrival_instants("id,arrival_s\na,10.5\nb,10\nc,12\n"), (std::vector<double>{0, 0.5, 2}));
  EXPECT_EQ(workload::parse_arrival_instants("3\n1\n"), (std::vector<double>{0, 2}));
  EXPECT_THROW(workload::parse_arrival_instants("t_s\n1\nx\n"), std::invalid_argument);
  EXPECT_THROW(workload::parse_arrival_instants("t_s\n"), std::invalid_argument);
}

TEST(ReportHtml, SelfContainedDocument) {
  TempDir tmp;
  write_synthetic_run(tmp.sub("a"), small("a</script><b>", 0.6, 1, 1));
  write_synthetic_run(tmp.sub("b"), small("b", 0.7, 1.5, 2));
  const auto runs = load_runs({tmp.sub("a"), tmp.sub("b")});
  HtmlReportOptions opts;
  opts.generated_utc = "2025-01-01T00:00:00Z";
  const auto data = report_data(runs, &runs[1], opts);
  ASSERT_EQ(data["runs"].size(), 2u);
  EXPECT_FALSE(data["comparison"].is_null());
  EXPECT_FALSE(data["routing"].is_null());
  const auto& fig = data["runs"][0]["figures"];
  EXPECT_GT(fig["timeline"]["power_w"].size(), 10u);
  EXPECT_TRUE(fig["timeline"]["phases_exact"].get<bool>());
  EXPECT_EQ(fig["timeline"]["query_starts"].size(), 120u);
  EXPECT_EQ(fig["scatter"]["points"].size(), fig["scatter"]["queries"].get<std::size_t>() -
                                                   runs[0].metrics.summary.errors);
  const std::string html = render_html(data, "t <&> t");
  EXPECT_NE(html.find("<title>t &lt;&amp;&gt; t</title>"), std::string::npos);
  EXPECT_EQ(html.find("a</script><b>"), std::string::npos);  // escaped inside the JSON
  EXPECT_NE(html.find("a\\u003c/script>\\u003cb>"), std::string::npos);
  EXPECT_NE(html.find("echarts"), std::string::npos);
  // Offline: no external URL is referenced by the page itself.
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
}

TEST(ReportHtml, ManyQueriesShadePhasesPerBucket) {
  TempDir tmp;
  SyntheticRunSpec s = small("m", 0.6, 1, 4);
  s.queries = 600;
  s.items = 600;
  write_synthetic_run(tmp.sub("a"), s);
  FigureOptions f;
  f.timeline_points = 200;
  const auto fig = run_figures(load_run(tmp.sub("a")), f);
  EXPECT_FALSE(fig["timeline"]["phases_exact"].get<bool>());
  EXPECT_TRUE(fig["timeline"]["query_starts"].empty());
  EXPECT_LE(fig["timeline"]["power_w"].size(), 200u);
  EXPECT_GT(fig["timeline"]["phases"].size(), 0u);
  EXPECT_LE(fig["timeline"]["phases"].size(), 200u);
}

TEST(ReportHtml, HistogramClipsAtThe99thPercentile) {
  std::vector<double> xs;
  for (int i = 0; i < 100; ++i) xs.push_back(i);
  xs.push_back(10000);
  const auto h = histogram(xs, 10);
  EXPECT_EQ(h["n"], 101);
  EXPECT_EQ(h["counts"].size(), 10u);
  EXPECT_EQ(h["edges"].size(), 11u);
  EXPECT_DOUBLE_EQ(h["edges"][0].get<double>(), 0.0);
  EXPECT_EQ(h["clipped"], 1);
  std::size_t total = 0;
  for (const auto& c : h["counts"]) total += c.get<std::size_t>();
  EXPECT_EQ(total, 101u);
  EXPECT_TRUE(histogram({}, 10)["counts"].empty());
}

}  // namespace
}  // namespace ipw::report
