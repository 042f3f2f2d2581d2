// Per-task figures (metrics/tasks.h), the tasks table of the run store, and the
// outcomes file of `ipw tasks --results` (run/task_outcomes.h).
#include "ipw/metrics/tasks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ipw/run/store.h"
#include "ipw/run/task_outcomes.h"
#include "time_units.h"

namespace ipw {
namespace {

run::QueryRecord turn(const std::string& task, int n, double start_s, double end_s, std::optional<double> energy_j,
                      int prompt_tokens, std::optional<double> prefill_j = std::nullopt) {
  run::QueryRecord q;
  q.seq = n;
  q.task = task;
  q.turn = n;
  q.t_start_ns = static_cast<std::int64_t>(start_s * kS);
  q.t_end_ns = static_cast<std::int64_t>(end_s * kS);
  q.energy_j = energy_j;
  q.prefill_energy_j = prefill_j;
  q.input_tokens = prompt_tokens;
  q.output_tokens = 10;
  q.tool_calls = n == 1 ? 1 : 0;
  return q;
}

TEST(TaskMetrics, SuccessRateEnergyAndIpjPerTask) {
  metrics::TaskMetricsBuilder b;
  b.add(turn("a", 1, 0, 1, 10, 100, 4));
  b.add(turn("a", 2, 3, 4, 30, 300, 12));
  b.add(turn("b", 1, 1, 2, 20, 100, 4));
  b.add(turn("c", 1, 5, 6, std::nullopt, 600));  // energy unknown
  run::QueryRecord plain;                          // a profiled query: no task
  plain.energy_j = 1000;
  b.add(plain);
  const auto m = b.finish({{"a", 5.0, true, 0.9}, {"b", 0.0, false, {}}, {"c", {}, true, {}}});
  ASSERT_EQ(m.rows.size(), 3u);
  const auto& a = m.rows[0];
  EXPECT_EQ(a.turns, 2);
  EXPECT_EQ(a.tool_calls, 1);
  EXPECT_EQ(a.input_tokens, 400);
  EXPECT_NEAR(a.wall_s, 4, 1e-12);
  EXPECT_NEAR(*a.request_energy_j, 40, 1e-12);
  EXPECT_NEAR(*a.between_energy_j, 5, 1e-12);
  EXPECT_EQ(a.score, 0.9);
  EXPECT_FALSE(m.rows[2].request_energy_j);  // never 0 for unknown
  const auto& s = m.summary;
  EXPECT_EQ(s.tasks, 3u);
  EXPECT_EQ(s.with_outcome, 3u);
  EXPECT_NEAR(*s.success_rate, 2.0 / 3.0, 1e-12);
  EXPECT_LT(s.success_ci95->lo, *s.success_rate);
  EXPECT_GT(s.success_ci95->hi, *s.success_rate);
  EXPECT_NEAR(*s.mean_request_energy_j, 30, 1e-12);  // (40 + 20) / 2: c's is unknown
  EXPECT_NEAR(*s.mean_between_energy_j, 2.5, 1e-12);
  // Over a and b (c has no energy): success 1/2 over mean energy 30 J.
  EXPECT_EQ(s.ipj_tasks, 2u);
  EXPECT_NEAR(*s.ipj_per_task, 0.5 / 30, 1e-12);
  // Turns (100, 10 J), (300, 30 J), (100, 20 J): slope of energy on prompt tokens.
  // x̄ = 500/3, ȳ = 20; Sxy = 2000, Sxx = 80000/3 → 0.075 J/token.
  EXPECT_NEAR(*s.j_per_1k_context_tokens, 75, 1e-9);
  ASSERT_EQ(s.by_context.size(), 2u);
  EXPECT_EQ(s.by_context[0].hi_tokens, 256);
  EXPECT_EQ(s.by_context[0].turns, 2u);
  EXPECT_NEAR(*s.by_context[0].mean_energy_j, 15, 1e-12);
  EXPECT_NEAR(*s.by_context[0].mean_prefill_energy_j, 4, 1e-12);
  EXPECT_EQ(s.by_context[1].lo_tokens, 256);
  EXPECT_EQ(s.by_context[1].hi_tokens, 512);
}

TEST(TaskMetrics, WithoutOutcomesThereIsNoSuccessRate) {
  metrics::TaskMetricsBuilder b;
  b.add(turn("a", 1, 0, 1, 10, 100));
  const auto m = b.finish({});
  EXPECT_FALSE(m.summary.success_rate);
  EXPECT_FALSE(m.summary.ipj_per_task);
  EXPECT_FALSE(m.rows[0].between_energy_j);  // not measured: unknown, not 0
  EXPECT_TRUE(metrics::to_json(m)["summary"]["ipj_per_task"].is_null());
}

class TaskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ipw-tasks-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::filesystem::path dir_;
};

TEST_F(TaskStoreTest, EnergiesAndOutcomesAreWrittenApartAndKept) {
  auto store = run::RunStore::create(dir_.string());
  store.commit_queries({turn("a", 1, 0, 1, 1, 10), turn("b", 2, 0, 1, 1, 10)}, 1, {});
  EXPECT_EQ(store.task_names(), (std::set<std::string>{"a", "b"}));
  store.write_task_energies({{"a", 3.5, {}, {}}, {"b", std::nullopt, {}, {}}});
  store.write_task_outcomes({{"a", {}, true, 0.5}});
  store.write_task_energies({{"a", 4.5, {}, {}}});  // a second write replaces only the energy
  const auto t = store.tasks();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].between_energy_j, 4.5);
  EXPECT_EQ(t[0].success, true);
  EXPECT_EQ(t[0].score, 0.5);
  EXPECT_FALSE(t[1].between_energy_j);
  EXPECT_FALSE(t[1].success);
}

TEST_F(TaskStoreTest, OutcomesOfUnknownTasksAreIgnoredAndNamed) {
  auto store = run::RunStore::create(dir_.string());
  store.commit_queries({turn("a", 1, 0, 1, 1, 10), turn("b", 2, 0, 1, 1, 10), turn("7", 3, 0, 1, 1, 10)}, 1, {});
  const auto path = write("r.jsonl", "{\"task\": \"a\", \"success\": true, \"score\": 1}\n\n"
                                     "{\"task\": 7, \"success\": false}\n{\"task\": \"zz\", \"success\": true}\n");
  const auto r = run::attach_task_outcomes(store, run::read_task_outcomes(path));
  EXPECT_EQ(r.attached, 2u);
  EXPECT_EQ(r.unknown, std::vector<std::string>{"zz"});
  EXPECT_EQ(r.without_outcome, 1u);  // b
  const auto t = store.tasks();
  ASSERT_EQ(t.size(), 2u);  // "7" and "a"; nothing for zz
  EXPECT_EQ(t[0].task, "7");
  EXPECT_EQ(t[0].success, false);
}

TEST_F(TaskStoreTest, AMalformedLineNamesItsFileAndLine) {
  const auto expect_error = [&](const std::string& text, const std::string& part) {
    const auto path = write("bad.jsonl", text);
    try {
      run::read_task_outcomes(path);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
    }
  };
  const std::string ok = "{\"task\": \"a\", \"success\": true}\n";
  expect_error(ok + "{\"task\": \"b\", \"success\": \n", "parse");
  expect_error(ok + "{\"success\": true}\n", "no \"task\"");
  expect_error(ok + "{\"task\": \"b\", \"success\": \"yes\"}\n", "\"success\" must be");
  expect_error(ok + "{\"task\": \"b\", \"success\": true, \"score\": \"high\"}\n", "\"score\" must be");
  expect_error(ok + ok, "again (first on line 1)");
}

}  // namespace
}  // namespace ipw
