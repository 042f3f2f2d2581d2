// QueryWriter: the load stages' committer. Everything pushed is committed by flush()
// and by the destructor, with its samples; a failed commit (here a duplicate key)
// surfaces as an exception on the caller's thread and nothing after it is written.
#include <gtest/gtest.h>

#include "ipw/run/query_writer.h"
#include "report_test_dir.h"

namespace ipw::run {
namespace {

class QueryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { (void)RunStore::create(dir_.string()); }

  static QueryRecord query(int stage, int seq) {
    QueryRecord q;
    q.stage = stage;
    q.seq = seq;
    q.item_id = "q" + std::to_string(seq);
    q.t_end_ns = 1'000 + seq;
    return q;
  }
  static std::vector<telemetry::Sample> one_sample(std::int64_t t_ns) {
    telemetry::Sample s;
    s.t_ns = t_ns;
    s.energy_j = static_cast<double>(t_ns);
    return {s};
  }
  std::size_t stored_samples() const {
    std::size_t n = 0;
    RunStore::open(dir_.string(), true).for_each_sample([&](int, const telemetry::Sample&) { ++n; });
    return n;
  }

  report::testing::TempDir tmp_;
  const std::filesystem::path& dir_ = tmp_.path();
};

TEST_F(QueryWriterTest, FlushCommitsEverythingPushedWithItsSamples) {
  QueryWriter w(dir_.string(), 1);
  for (int i = 0; i < 500; ++i) w.push(query(i % 2, i / 2), one_sample(i));
  w.flush();
  const auto store = RunStore::open(dir_.string(), true);
  EXPECT_EQ(store.query_count(), 500u);
  EXPECT_EQ(store.completed_keys().count({1, 249, 0}), 1u);
  EXPECT_EQ(stored_samples(), 500u);
}

TEST_F(QueryWriterTest, DestructorCommitsWhatIsQueued) {
  {
    QueryWriter w(dir_.string(), 1);
    for (int i = 0; i < 50; ++i) w.push(query(0, i), {});
  }
  EXPECT_EQ(RunStore::open(dir_.string(), true).query_count(), 50u);
}

TEST_F(QueryWriterTest, AFailedCommitIsThrownToTheCaller) {
  QueryWriter w(dir_.string(), 1);
  w.push(query(0, 1), {});
  w.flush();
  w.push(query(0, 1), {});  // the same key again: the commit fails
  EXPECT_THROW(w.flush(), std::exception);
  EXPECT_THROW(w.push(query(0, 2), {}), std::exception);  // and the run stops at the next query
  EXPECT_EQ(RunStore::open(dir_.string(), true).query_count(), 1u);
}

}  // namespace
}  // namespace ipw::run
