#pragma once
// The run store: one SQLite database (run.db, WAL) per run directory holding the
// manifest, every query, every telemetry sample and per-session bookkeeping.
// Each query is committed together with the samples taken up to its end, so a
// crash or kill -9 loses at most the query in flight, and --resume can continue.
#include <cstdint>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipw/judge/judgment_record.h"
#include "ipw/run/query_record.h"
#include "ipw/run/task_record.h"
#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/sample.h"

namespace SQLite {
class Database;
}

namespace ipw::run {

// Schema version written to PRAGMA user_version, and the oldest this build reads.
// 2: judgments table; 3: queries.reference_nll_nats / reference_tokens (--perplexity);
// 4: queries.stage / queue_ns (load); 5: the stage in the key of queries and query_energy (--sweep);
// 6: queries.attempts (retries); 7: finish reasons and reasoning; 8: queries.task/turn/tool_calls;
// 9: the tasks table (energy between requests, outcomes).
// Older stores are migrated in place when opened for writing; read-only handles read them
// as they are (absent tables and columns read as empty).
inline constexpr int kSchemaVersion = 9;
inline constexpr int kOldestReadableSchema = 1;

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SessionInfo {
  int id = 0;
  std::string started_utc;
  std::int64_t t0_monotonic_ns = 0;  // sampler start on the monotonic clock
  std::string command_line;
  std::string status;  // running | completed | interrupted | failed
  nlohmann::json idle;  // {"seconds":…, "power_w":{domain:W}, "total_power_w":W}
  nlohmann::json totals;  // {"t_end_ns":…, "energy_j":{domain:J}} for overhead energy
};

struct DomainRow {
  int index = 0;
  telemetry::DomainInfo info;
  std::int64_t period_ns = 0;
};

// A new verdict for a stored query (`ipw score`).
struct ScoreUpdate {
  int stage = 0, seq = 0, repeat = 0;
  std::optional<bool> correct;
  std::string score_method;
};

class RunStore final : public judge::JudgmentCache {
 public:
  // Creates run.db in `dir` (which must exist and hold no run.db yet).
  static RunStore create(const std::string& dir);
  // Opens an existing run; throws StoreError naming the file if it is missing,
  // not an ipw run, or newer/older than this build can read.
  static RunStore open(const std::string& dir, bool read_only = false);
  RunStore(RunStore&&) noexcept;
  RunStore& operator=(RunStore&&) noexcept;
  ~RunStore();

  const std::string& dir() const { return dir_; }

  // Manifest: a JSON document, written once at creation and updated on resume.
  void write_manifest(const nlohmann::json& manifest);
  nlohmann::json manifest() const;

  // Domains are registered once per run; a resumed session must report the same set.
  void write_domains(const std::vector<DomainRow>& domains);
  std::vector<DomainRow> domains() const;

  int begin_session(const SessionInfo& info);  // returns the new session id
  void update_session(const SessionInfo& info);
  std::vector<SessionInfo> sessions() const;

  // One transaction: the query row, its per-domain energies, and new samples.
  void commit_query(const QueryRecord& q, int session,
                    const std::vector<telemetry::Sample>& new_samples);
  void append_samples(int session, const std::vector<telemetry::Sample>& samples);
  // Many queries and their samples in one transaction (bulk imports and the
  // synthetic stores of the benchmarks; the profiler commits one at a time).
  void commit_queries(const std::vector<QueryRecord>& queries, int session,
                      const std::vector<telemetry::Sample>& new_samples);
  // Copies the run in `dir` into this store (store_import.cpp): every query with its
  // per-domain energies, every telemetry sample and judgment, in one transaction and
  // inside SQLite (no row is parsed or re-encoded, so a million queries take seconds),
  // with the other run's session ids and domain indices mapped through `sessions` and
  // `domains` (every one the run uses must be there). What `ipw merge` does per shard
  // (run/merge.h). Returns the rows copied, or nothing when `stop` was set (Ctrl-C),
  // in which case nothing was copied.
  struct ImportCounts {
    std::size_t queries = 0, samples = 0, judgments = 0;
  };
  std::optional<ImportCounts> import_run(const std::string& dir, const std::map<int, int>& sessions,
                                         const std::map<int, int>& domains, const std::atomic<bool>& stop);

  // The queries already stored: resume skips these.
  std::set<QueryKey> completed_keys() const;
  // Every query, whole (texts, token times, domains): for_each_query collected, for small runs.
  std::vector<QueryRecord> queries() const;
  std::size_t query_count() const;
  // Streams queries in (stage, seq, repeat) order through one reused QueryRecord, for
  // runs too large to materialise (analysis of a million queries). Only the
  // columns asked for are read; the others stay empty.
  struct QueryReadOptions {
    bool texts = false;        // prompt, reference, response, extracted, error message
    bool token_times = false;  // token_times_ns (needed for inter-token latency)
    bool domains = false;      // per-domain energies (QueryRecord::domains)
  };
  void for_each_query(const std::function<void(const QueryRecord&)>& fn,
                      const QueryReadOptions& opts) const;
  // Visits samples in (session, t_ns) order without materialising all of them.
  void for_each_sample(const std::function<void(int session, const telemetry::Sample&)>& fn) const;

  // LLM-judge judgments (store_judgments.cpp). The newest successful judgment
  // with this key, if any: the judge cache.
  std::optional<judge::JudgmentRecord> cached_judgment(const std::string& cache_key) const override;
  void add_judgment(const judge::JudgmentRecord& j) override;
  std::vector<judge::JudgmentRecord> judgments() const;  // in insertion order; empty for a v1 store
  // New verdicts for stored queries, all in one transaction (`ipw score`).
  void update_scores(const std::vector<ScoreUpdate>& updates);
  int schema_version() const;

  // Tasks (store_tasks.cpp, docs/agents.md). Each upsert sets only its own fields of
  // the task's row: the energy between requests (the recording session), or the
  // outcome (`ipw tasks --results`), all in one transaction.
  void write_task_energies(const std::vector<TaskRecord>& tasks);
  void write_task_outcomes(const std::vector<TaskRecord>& tasks);
  std::vector<TaskRecord> tasks() const;  // by task name; empty for a store before schema 9
  std::set<std::string> task_names() const;  // the tasks the stored queries name

 private:
  RunStore(std::string dir, std::unique_ptr<SQLite::Database> db);
  bool has_judgments_table() const;
  std::string judgment_columns() const;
  const char* key_order() const;     // ORDER BY for queries: "stage, seq, repeat" (or "seq, repeat" before 4)
  const char* energy_stage_column() const;  // query_energy's stage: "stage", or "0" before schema 5
  void insert_samples(int session, const std::vector<telemetry::Sample>& samples);
  void insert_sample(int session, const telemetry::Sample& s);
  void insert_query(const QueryRecord& q, int session);
  std::string dir_;
  std::unique_ptr<SQLite::Database> db_;
  // The insert statements, prepared once per store: preparing them per row was most
  // of the time of writing a million queries (bulk imports, merge). Declared after
  // db_ so that they are finalized before it closes.
  struct InsertStatements;
  std::unique_ptr<InsertStatements> inserts_;
  InsertStatements& inserts();
};

}  // namespace ipw::run
