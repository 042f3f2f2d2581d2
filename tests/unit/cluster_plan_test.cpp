// Sweep plans (`ipw sweep PLAN.yaml`): what a plan becomes (cells, tasks, each task's
// `ipw profile` flags, the Slurm array script), and the plan errors that name the key
// and its line.
#include <algorithm>

#include <gtest/gtest.h>

#include "ipw/cluster/plan.h"
#include "ipw/cluster/slurm.h"
#include "ipw/common/usage_error.h"

namespace ipw::cluster {
namespace {

constexpr const char* kPlan = R"(name: sizes
out: /tmp/sweeps/sizes
profile:
  server: http://127.0.0.1:8080
  max-queries: 100
  engine-arg: [-ngl, "99"]
matrix:
  model: [qwen3-4b, qwen3-8b]
  concurrency: [1, 8, 32]
shards: 2
backend: slurm
slurm:
  partition: gpu
  time: "02:00:00"
  gpus_per_task: 1
  cpus_per_task: 8
  mem: 32G
  account: lab
  max_parallel: 4
  extra: ["#SBATCH --qos=short"]
)";

std::string error_of(const std::string& text) {
  try {
    (void)parse_plan(text, "plan.yaml");
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted:\n" << text;
  return {};
}

TEST(SweepPlan, CellsAreTheMatrixCrossProductAndEachCellHasItsShards) {
  const Plan p = parse_plan(kPlan, "plan.yaml");
  EXPECT_EQ(p.name, "sizes");
  EXPECT_EQ(p.out, "/tmp/sweeps/sizes");
  EXPECT_EQ(p.shards, 2);
  EXPECT_EQ(p.backend, "slurm");
  const auto cells = plan_cells(p);
  ASSERT_EQ(cells.size(), 6u);
  EXPECT_EQ(cells[0].name, "model=qwen3-4b,concurrency=1");
  EXPECT_EQ(cells[1].name, "model=qwen3-4b,concurrency=8");  // the last axis fastest
  EXPECT_EQ(cells[5].name, "model=qwen3-8b,concurrency=32");
  const auto tasks = plan_tasks(p);
  ASSERT_EQ(tasks.size(), 12u);
  EXPECT_EQ(tasks[7].index, 7);
  EXPECT_EQ(tasks[7].cell, 3);
  EXPECT_EQ(tasks[7].shard, 1);
  EXPECT_EQ(task_dir(p, cells[3], 1), "/tmp/sweeps/sizes/model=qwen3-8b,concurrency=1/shard-1");
  EXPECT_EQ(merged_dir(p, cells[3]), "/tmp/sweeps/sizes/model=qwen3-8b,concurrency=1/merged");
}

TEST(SweepPlan, ATasksProfileFlagsAreTheSharedOnesTheCellsAndItsShard) {
  const Plan p = parse_plan(kPlan, "plan.yaml");
  const auto cells = plan_cells(p);
  EXPECT_EQ(profile_args(p, cells[4], 1),
            (std::vector<std::string>{"--server=http://127.0.0.1:8080", "--max-queries=100", "--engine-arg=-ngl",
                                       "--engine-arg=99", "--model=qwen3-8b", "--concurrency=8", "--shard=1/2",
                                       "--out=/tmp/sweeps/sizes/model=qwen3-8b,concurrency=8/shard-1"}));
  Plan one = p;
  one.shards = 1;
  for (const std::string& a : profile_args(one, cells[0], 0)) EXPECT_EQ(a.find("--shard"), std::string::npos) << a;
}

TEST(SweepPlan, ACellNameIsAFolderName) {
  const Plan p = parse_plan("out: o\nmatrix:\n  dataset: [/data/my set.jsonl]\n", "plan.yaml");
  EXPECT_EQ(plan_cells(p)[0].name, "dataset=_data_my_set.jsonl");
}

TEST(SweepPlan, ErrorsNameTheKeyAndItsLine) {
  EXPECT_NE(error_of("out: o\nmatrix:\n  model: [a]\nbackand: local\n").find("plan.yaml:4: unknown key 'backand'"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nmatrix: {}\n").find("the matrix is empty"), std::string::npos);
  EXPECT_NE(error_of("out: o\nmatrix:\n  model: []\n").find("plan.yaml:3: matrix 'model' has no values"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nmatrix:\n  model: qwen\n").find("plan.yaml:3: 'matrix model' must be a list"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nshards: two\nmatrix:\n  model: [a]\n").find("plan.yaml:2: 'shards' must be a whole number"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nshards: 0\nmatrix:\n  model: [a]\n").find("'shards' must be at least 1"), std::string::npos);
  EXPECT_NE(error_of("out: o\nbackend: kubernetes\nmatrix:\n  model: [a]\n").find("plan.yaml:2: unknown backend"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nprofile:\n  out: x\nmatrix:\n  model: [a]\n").find("plan.yaml:3: 'out' is set by the sweep"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nprofile:\n  model: a\nmatrix:\n  model: [a]\n").find("plan.yaml:5: 'model' is both"),
            std::string::npos);
  EXPECT_NE(error_of("out: o\nmatrix:\n  model: [a]\nslurm:\n  gpus: 1\n").find("plan.yaml:5: unknown key 'gpus' in slurm"),
            std::string::npos);
  EXPECT_NE(error_of("matrix:\n  model: [a]\n").find("no 'out'"), std::string::npos);
  EXPECT_NE(error_of("out: o\n").find("no 'matrix'"), std::string::npos);
  EXPECT_NE(error_of("out: o\nmatrix: [\n").find("plan.yaml:"), std::string::npos);
}

TEST(SweepSlurm, TheArraySpecIsCompactAndThrottled) {
  EXPECT_EQ(array_spec({3, 0, 1, 2, 7, 5, 6, 9}, 0), "0-3,5-7,9");
  EXPECT_EQ(array_spec({4}, 2), "4%2");
  EXPECT_EQ(array_spec({1, 1, 2}, 0), "1-2");
}

TEST(SweepSlurm, TheBatchScriptRunsOneTaskPerArrayIndexWithThePlansOptions) {
  const Plan p = parse_plan(kPlan, "plan.yaml");
  const std::string s = batch_script(p, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, "/opt/ipw/bin/ipw");
  for (const char* line :
       {"#!/bin/bash\n", "#SBATCH --array=0-11%4\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=lab\n",
        "#SBATCH --time=02:00:00\n", "#SBATCH --gpus-per-task=1\n", "#SBATCH --cpus-per-task=8\n", "#SBATCH --mem=32G\n",
        "#SBATCH --qos=short\n", "#SBATCH --output=/tmp/sweeps/sizes/slurm/task-%a.log\n",
        "exec '/opt/ipw/bin/ipw' sweep task '/tmp/sweeps/sizes' \"$SLURM_ARRAY_TASK_ID\"\n"}) {
    EXPECT_NE(s.find(line), std::string::npos) << line << "\n" << s;
  }
  const auto merge = merge_job_args(p, "/opt/ipw/bin/ipw", "1234");
  EXPECT_NE(std::find(merge.begin(), merge.end(), "--dependency=afterany:1234"), merge.end());
  EXPECT_EQ(merge.back(), "--wrap=exec '/opt/ipw/bin/ipw' sweep merge '/tmp/sweeps/sizes'");
}

}  // namespace
}  // namespace ipw::cluster
