#include "ipw/run/store.h"

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

namespace ipw::run {
namespace {

// Why this shape: queries are rows keyed by their workload position and repeat,
// so resume is a set difference; per-domain energies and samples are separate
// tables because their count varies by machine; the manifest is one JSON
// document because its content grows with every collector and engine and is
// read whole. Times are ns since the owning session's origin.
constexpr const char* kSchema = R"sql(
CREATE TABLE manifest (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
CREATE TABLE domains (
  idx INTEGER PRIMARY KEY, domain TEXT NOT NULL, device TEXT, kind TEXT,
  source TEXT NOT NULL, wrap_j REAL, period_ns INTEGER);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, started_utc TEXT, t0_monotonic_ns INTEGER, command_line TEXT,
  status TEXT, idle_json TEXT, totals_json TEXT);
CREATE TABLE queries (
  seq INTEGER NOT NULL, repeat INTEGER NOT NULL, session INTEGER NOT NULL,
  item_id TEXT NOT NULL, category TEXT, source TEXT, kind TEXT,
  prompt TEXT, reference TEXT, response TEXT, extracted TEXT,
  correct INTEGER, score_method TEXT, input_tokens INTEGER, output_tokens INTEGER,
  t_start_ns INTEGER, t_first_token_ns INTEGER, t_end_ns INTEGER, token_times_json TEXT,
  error_kind TEXT, error_message TEXT,
  energy_j REAL, prefill_energy_j REAL, decode_energy_j REAL, net_energy_j REAL,
  peak_power_w REAL, mean_temperature_c REAL, max_memory_mb REAL,
  energy_source TEXT, energy_flags INTEGER, server_timings_json TEXT, server_cpu_s REAL,
  PRIMARY KEY (seq, repeat));
CREATE TABLE query_energy (
  seq INTEGER NOT NULL, repeat INTEGER NOT NULL, domain_idx INTEGER NOT NULL,
  energy_j REAL, prefill_energy_j REAL, decode_energy_j REAL, source TEXT,
  flags INTEGER, samples INTEGER, PRIMARY KEY (seq, repeat, domain_idx));
CREATE TABLE samples (
  session INTEGER NOT NULL, t_ns INTEGER NOT NULL, domain_idx INTEGER NOT NULL,
  energy_j REAL, power_w REAL, temperature_c REAL, memory_mb REAL);
CREATE INDEX samples_by_time ON samples (session, t_ns);
)sql";

// Schema 2. IF NOT EXISTS: the same text creates it in new stores and migrates v1
// stores in place. One row per judge call series (failures too, so they are
// counted); the newest successful row per cache_key is the cache entry.
constexpr const char* kJudgmentsSchema = R"sql(
CREATE TABLE IF NOT EXISTS judgments (
  id INTEGER PRIMARY KEY, cache_key TEXT NOT NULL, seq INTEGER, repeat INTEGER,
  protocol TEXT NOT NULL, judge_model TEXT NOT NULL, prompt_version TEXT NOT NULL,
  verdict TEXT, correct INTEGER, raw_reply TEXT, input_tokens INTEGER, output_tokens INTEGER,
  error TEXT, attempts INTEGER, t_utc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS judgments_by_key ON judgments (cache_key);
)sql";

// Schema 3: the reference answer's score under the model (--perplexity), nullable.
constexpr const char* kReferenceColumns =
    "ALTER TABLE queries ADD COLUMN reference_nll_nats REAL;"
    "ALTER TABLE queries ADD COLUMN reference_tokens INTEGER;";

// Schema 4: load runs (docs/load.md). The stage a query ran in (0 for a run
// without stages) and how long an open-loop arrival waited for a free slot.
constexpr const char* kLoadColumns =
    "ALTER TABLE queries ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE queries ADD COLUMN queue_ns INTEGER;";

bool has_column(SQLite::Database& db, const char* table, const char* column) {
  SQLite::Statement st(db, fmt::format("SELECT 1 FROM pragma_table_info('{}') WHERE name = ?", table));
  st.bind(1, column);
  return st.executeStep();
}

template <typename T>
void bind_opt(SQLite::Statement& st, int i, const std::optional<T>& v) {
  if (v) {
    st.bind(i, *v);
  } else {
    st.bind(i);  // NULL: "not measured" stays distinguishable from 0
  }
}

std::optional<double> opt_double(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}
std::optional<int> opt_int(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt();
}
std::string text(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

std::string db_path(const std::string& dir) {
  return (std::filesystem::path(dir) / "run.db").string();
}

}  // namespace

RunStore::RunStore(std::string dir, std::unique_ptr<SQLite::Database> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}
RunStore::RunStore(RunStore&&) noexcept = default;
RunStore& RunStore::operator=(RunStore&&) noexcept = default;
RunStore::~RunStore() = default;

RunStore RunStore::create(const std::string& dir) {
  const std::string path = db_path(dir);
  if (std::filesystem::exists(path)) {
    throw StoreError(fmt::format("{} already exists: ipw never overwrites a run", path));
  }
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");  // WAL + NORMAL: durable across crashes of ipw itself
    SQLite::Transaction tx(*db);
    db->exec(kSchema);
    db->exec(kJudgmentsSchema);
    db->exec(kReferenceColumns);
    db->exec(kLoadColumns);
    db->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
    tx.commit();
    return RunStore(dir, std::move(db));
  } catch (const SQLite::Exception& e) {
    throw StoreError(fmt::format("cannot create run store {}: {}", path, e.what()));
  }
}

RunStore RunStore::open(const std::string& dir, bool read_only) {
  const std::string path = db_path(dir);
  if (!std::filesystem::exists(path)) {
    throw StoreError(fmt::format("{} is not an ipw run: {} not found", dir, path));
  }
  try {
    auto db = std::make_unique<SQLite::Database>(
        // Read-only handles serve one analysis thread: no per-call mutex (it was
        // 15% of a million-query scan).
        path, read_only ? SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX : SQLite::OPEN_READWRITE);
    db->setBusyTimeout(5000);
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    if (version < kOldestReadableSchema || version > kSchemaVersion) {
      throw StoreError(fmt::format(
          "{} has run-store schema {}; this ipw reads schemas {}..{}{}", path, version,
          kOldestReadableSchema, kSchemaVersion,
          version > kSchemaVersion ? " (upgrade ipw)" : ""));
    }
    if (!db->tableExists("queries")) throw StoreError(fmt::format("{} is not an ipw run store", path));
    if (version < kSchemaVersion && !read_only) {
      // Additive and in place: v1 -> v2 adds a table, v2 -> v3 and v3 -> v4 columns. Each step
      // checks what is there, so a store some build left half-way is completed, not broken.
      SQLite::Transaction tx(*db);
      db->exec(kJudgmentsSchema);
      if (!has_column(*db, "queries", "reference_nll_nats")) db->exec(kReferenceColumns);
      if (!has_column(*db, "queries", "stage")) db->exec(kLoadColumns);
      db->exec(fmt::format("PRAGMA user_version={}", kSchemaVersion));
      tx.commit();
    }
    return RunStore(dir, std::move(db));
  } catch (const SQLite::Exception& e) {
    throw StoreError(fmt::format("cannot open run store {}: {}", path, e.what()));
  }
}

const char* RunStore::reference_columns() const {
  return has_column(*db_, "queries", "reference_nll_nats") ? "reference_nll_nats, reference_tokens"
                                                           : "NULL, NULL";
}

const char* RunStore::load_columns() const {
  return has_column(*db_, "queries", "stage") ? "stage, queue_ns" : "0, NULL";
}

void RunStore::write_manifest(const nlohmann::json& manifest) {
  SQLite::Statement st(*db_, "INSERT OR REPLACE INTO manifest (id, json) VALUES (1, ?)");
  st.bind(1, manifest.dump());
  st.exec();
}

nlohmann::json RunStore::manifest() const {
  SQLite::Statement st(*db_, "SELECT json FROM manifest WHERE id = 1");
  if (!st.executeStep()) return nlohmann::json::object();
  return nlohmann::json::parse(st.getColumn(0).getString());
}

void RunStore::write_domains(const std::vector<DomainRow>& domains) {
  SQLite::Transaction tx(*db_);
  db_->exec("DELETE FROM domains");
  SQLite::Statement st(*db_,
                       "INSERT INTO domains (idx, domain, device, kind, source, wrap_j, period_ns) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (const auto& d : domains) {
    st.bind(1, d.index);
    st.bind(2, d.info.domain);
    st.bind(3, d.info.device);
    st.bind(4, d.info.kind);
    st.bind(5, telemetry::to_string(d.info.source));
    st.bind(6, d.info.wrap_j);
    st.bind(7, static_cast<int64_t>(d.period_ns));
    st.exec();
    st.reset();
  }
  tx.commit();
}

std::vector<DomainRow> RunStore::domains() const {
  std::vector<DomainRow> out;
  SQLite::Statement st(*db_,
                       "SELECT idx, domain, device, kind, source, wrap_j, period_ns FROM domains "
                       "ORDER BY idx");
  while (st.executeStep()) {
    DomainRow d;
    d.index = st.getColumn(0).getInt();
    d.info.domain = text(st.getColumn(1));
    d.info.device = text(st.getColumn(2));
    d.info.kind = text(st.getColumn(3));
    const std::string src = text(st.getColumn(4));
    d.info.source = src == "estimated"    ? telemetry::EnergySource::estimated
                    : src == "integrated" ? telemetry::EnergySource::integrated
                                          : telemetry::EnergySource::counter;
    d.info.wrap_j = st.getColumn(5).getDouble();
    d.period_ns = st.getColumn(6).getInt64();
    out.push_back(std::move(d));
  }
  return out;
}

int RunStore::begin_session(const SessionInfo& info) {
  SQLite::Statement st(*db_,
                       "INSERT INTO sessions (started_utc, t0_monotonic_ns, command_line, status, "
                       "idle_json, totals_json) VALUES (?, ?, ?, ?, ?, ?)");
  st.bind(1, info.started_utc);
  st.bind(2, static_cast<int64_t>(info.t0_monotonic_ns));
  st.bind(3, info.command_line);
  st.bind(4, info.status.empty() ? std::string("running") : info.status);
  st.bind(5, info.idle.is_null() ? std::string("{}") : info.idle.dump());
  st.bind(6, info.totals.is_null() ? std::string("{}") : info.totals.dump());
  st.exec();
  return static_cast<int>(db_->getLastInsertRowid());
}

void RunStore::update_session(const SessionInfo& info) {
  SQLite::Statement st(*db_,
                       "UPDATE sessions SET t0_monotonic_ns = ?, status = ?, idle_json = ?, "
                       "totals_json = ? WHERE id = ?");
  st.bind(1, static_cast<int64_t>(info.t0_monotonic_ns));
  st.bind(2, info.status);
  st.bind(3, info.idle.is_null() ? std::string("{}") : info.idle.dump());
  st.bind(4, info.totals.is_null() ? std::string("{}") : info.totals.dump());
  st.bind(5, info.id);
  st.exec();
}

std::vector<SessionInfo> RunStore::sessions() const {
  std::vector<SessionInfo> out;
  SQLite::Statement st(*db_,
                       "SELECT id, started_utc, t0_monotonic_ns, command_line, status, idle_json, "
                       "totals_json FROM sessions ORDER BY id");
  while (st.executeStep()) {
    SessionInfo s;
    s.id = st.getColumn(0).getInt();
    s.started_utc = text(st.getColumn(1));
    s.t0_monotonic_ns = st.getColumn(2).getInt64();
    s.command_line = text(st.getColumn(3));
    s.status = text(st.getColumn(4));
    s.idle = nlohmann::json::parse(text(st.getColumn(5)).empty() ? "{}" : text(st.getColumn(5)));
    s.totals = nlohmann::json::parse(text(st.getColumn(6)).empty() ? "{}" : text(st.getColumn(6)));
    out.push_back(std::move(s));
  }
  return out;
}

void RunStore::insert_samples(int session, const std::vector<telemetry::Sample>& samples) {
  SQLite::Statement st(*db_,
                       "INSERT INTO samples (session, t_ns, domain_idx, energy_j, power_w, "
                       "temperature_c, memory_mb) VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (const auto& s : samples) {
    st.bind(1, session);
    st.bind(2, static_cast<int64_t>(s.t_ns));
    st.bind(3, s.domain_index);
    bind_opt(st, 4, s.energy_j);
    bind_opt(st, 5, s.power_w);
    bind_opt(st, 6, s.temperature_c);
    bind_opt(st, 7, s.memory_mb);
    st.exec();
    st.reset();
  }
}

void RunStore::append_samples(int session, const std::vector<telemetry::Sample>& samples) {
  SQLite::Transaction tx(*db_);
  insert_samples(session, samples);
  tx.commit();
}

void RunStore::commit_query(const QueryRecord& q, int session,
                            const std::vector<telemetry::Sample>& new_samples) {
  SQLite::Transaction tx(*db_);
  insert_query(q, session);
  insert_samples(session, new_samples);
  tx.commit();
}

void RunStore::commit_queries(const std::vector<QueryRecord>& queries, int session,
                              const std::vector<telemetry::Sample>& new_samples) {
  SQLite::Transaction tx(*db_);
  for (const auto& q : queries) insert_query(q, session);
  insert_samples(session, new_samples);
  tx.commit();
}

void RunStore::insert_query(const QueryRecord& q, int session) {
  SQLite::Statement st(
      *db_,
      "INSERT INTO queries (seq, repeat, session, item_id, category, source, kind, prompt, "
      "reference, response, extracted, correct, score_method, input_tokens, output_tokens, "
      "t_start_ns, t_first_token_ns, t_end_ns, token_times_json, error_kind, error_message, "
      "energy_j, prefill_energy_j, decode_energy_j, net_energy_j, peak_power_w, "
      "mean_temperature_c, max_memory_mb, energy_source, energy_flags, server_timings_json, "
      "server_cpu_s, reference_nll_nats, reference_tokens, stage, queue_ns) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  int i = 1;
  st.bind(i++, q.seq);
  st.bind(i++, q.repeat);
  st.bind(i++, session);
  st.bind(i++, q.item_id);
  st.bind(i++, q.category);
  st.bind(i++, q.source);
  st.bind(i++, q.kind);
  st.bind(i++, q.prompt);
  st.bind(i++, q.reference);
  st.bind(i++, q.response);
  st.bind(i++, q.extracted);
  if (q.correct) {
    st.bind(i++, *q.correct ? 1 : 0);
  } else {
    st.bind(i++);
  }
  st.bind(i++, q.score_method);
  bind_opt(st, i++, q.input_tokens);
  bind_opt(st, i++, q.output_tokens);
  st.bind(i++, static_cast<int64_t>(q.t_start_ns));
  st.bind(i++, static_cast<int64_t>(q.t_first_token_ns));
  st.bind(i++, static_cast<int64_t>(q.t_end_ns));
  st.bind(i++, nlohmann::json(q.token_times_ns).dump());
  st.bind(i++, q.error_kind);
  st.bind(i++, q.error_message);
  bind_opt(st, i++, q.energy_j);
  bind_opt(st, i++, q.prefill_energy_j);
  bind_opt(st, i++, q.decode_energy_j);
  bind_opt(st, i++, q.net_energy_j);
  bind_opt(st, i++, q.peak_power_w);
  bind_opt(st, i++, q.mean_temperature_c);
  bind_opt(st, i++, q.max_memory_mb);
  st.bind(i++, q.energy_source);
  st.bind(i++, static_cast<int64_t>(q.energy_flags));
  st.bind(i++, q.server_timings_json);
  bind_opt(st, i++, q.server_cpu_s);
  bind_opt(st, i++, q.reference_nll_nats);
  bind_opt(st, i++, q.reference_tokens);
  st.bind(i++, q.stage);
  bind_opt(st, i++, q.queue_ns);
  st.exec();

  SQLite::Statement de(*db_,
                       "INSERT INTO query_energy (seq, repeat, domain_idx, energy_j, "
                       "prefill_energy_j, decode_energy_j, source, flags, samples) "
                       "VALUES (?,?,?,?,?,?,?,?,?)");
  for (const auto& d : q.domains) {
    de.bind(1, q.seq);
    de.bind(2, q.repeat);
    de.bind(3, d.domain_index);
    bind_opt(de, 4, d.energy_j);
    bind_opt(de, 5, d.prefill_energy_j);
    bind_opt(de, 6, d.decode_energy_j);
    de.bind(7, d.source);
    de.bind(8, static_cast<int64_t>(d.flags));
    de.bind(9, d.samples);
    de.exec();
    de.reset();
  }
}

std::set<std::pair<int, int>> RunStore::completed_keys() const {
  std::set<std::pair<int, int>> keys;
  SQLite::Statement st(*db_, "SELECT seq, repeat FROM queries");
  while (st.executeStep()) keys.emplace(st.getColumn(0).getInt(), st.getColumn(1).getInt());
  return keys;
}

std::size_t RunStore::query_count() const {
  return static_cast<std::size_t>(db_->execAndGet("SELECT COUNT(*) FROM queries").getInt64());
}

std::vector<QueryRecord> RunStore::queries() const {
  std::vector<QueryRecord> out;
  SQLite::Statement st(
      *db_,
      fmt::format(
          "SELECT seq, repeat, session, item_id, category, source, kind, prompt, reference, "
          "response, extracted, correct, score_method, input_tokens, output_tokens, t_start_ns, "
          "t_first_token_ns, t_end_ns, token_times_json, error_kind, error_message, energy_j, "
          "prefill_energy_j, decode_energy_j, net_energy_j, peak_power_w, mean_temperature_c, "
          "max_memory_mb, energy_source, energy_flags, server_timings_json, server_cpu_s, {}, {} "
          "FROM queries ORDER BY seq, repeat",
          reference_columns(), load_columns()));
  while (st.executeStep()) {
    QueryRecord q;
    int i = 0;
    q.seq = st.getColumn(i++).getInt();
    q.repeat = st.getColumn(i++).getInt();
    q.session = st.getColumn(i++).getInt();
    q.item_id = text(st.getColumn(i++));
    q.category = text(st.getColumn(i++));
    q.source = text(st.getColumn(i++));
    q.kind = text(st.getColumn(i++));
    q.prompt = text(st.getColumn(i++));
    q.reference = text(st.getColumn(i++));
    q.response = text(st.getColumn(i++));
    q.extracted = text(st.getColumn(i++));
    const auto correct = opt_int(st.getColumn(i++));
    if (correct) q.correct = *correct != 0;
    q.score_method = text(st.getColumn(i++));
    q.input_tokens = opt_int(st.getColumn(i++));
    q.output_tokens = opt_int(st.getColumn(i++));
    q.t_start_ns = st.getColumn(i++).getInt64();
    q.t_first_token_ns = st.getColumn(i++).getInt64();
    q.t_end_ns = st.getColumn(i++).getInt64();
    const std::string tt = text(st.getColumn(i++));
    if (!tt.empty()) q.token_times_ns = nlohmann::json::parse(tt).get<std::vector<std::int64_t>>();
    q.error_kind = text(st.getColumn(i++));
    q.error_message = text(st.getColumn(i++));
    q.energy_j = opt_double(st.getColumn(i++));
    q.prefill_energy_j = opt_double(st.getColumn(i++));
    q.decode_energy_j = opt_double(st.getColumn(i++));
    q.net_energy_j = opt_double(st.getColumn(i++));
    q.peak_power_w = opt_double(st.getColumn(i++));
    q.mean_temperature_c = opt_double(st.getColumn(i++));
    q.max_memory_mb = opt_double(st.getColumn(i++));
    q.energy_source = text(st.getColumn(i++));
    q.energy_flags = static_cast<std::uint32_t>(st.getColumn(i++).getInt64());
    q.server_timings_json = text(st.getColumn(i++));
    q.server_cpu_s = opt_double(st.getColumn(i++));
    q.reference_nll_nats = opt_double(st.getColumn(i++));
    q.reference_tokens = opt_int(st.getColumn(i++));
    q.stage = st.getColumn(i++).getInt();
    if (!st.getColumn(i).isNull()) q.queue_ns = st.getColumn(i).getInt64();
    ++i;
    out.push_back(std::move(q));
  }
  SQLite::Statement de(*db_,
                       "SELECT seq, repeat, domain_idx, energy_j, prefill_energy_j, "
                       "decode_energy_j, source, flags, samples FROM query_energy "
                       "ORDER BY seq, repeat, domain_idx");
  std::size_t k = 0;  // both result sets are ordered by (seq, repeat): merge them
  while (de.executeStep()) {
    const int seq = de.getColumn(0).getInt();
    const int rep = de.getColumn(1).getInt();
    while (k < out.size() && std::make_pair(out[k].seq, out[k].repeat) < std::make_pair(seq, rep)) ++k;
    if (k == out.size()) break;
    if (out[k].seq != seq || out[k].repeat != rep) continue;
    DomainEnergy d;
    d.domain_index = de.getColumn(2).getInt();
    d.energy_j = opt_double(de.getColumn(3));
    d.prefill_energy_j = opt_double(de.getColumn(4));
    d.decode_energy_j = opt_double(de.getColumn(5));
    d.source = text(de.getColumn(6));
    d.flags = static_cast<std::uint32_t>(de.getColumn(7).getInt64());
    d.samples = de.getColumn(8).getInt();
    out[k].domains.push_back(std::move(d));
  }
  return out;
}

void RunStore::for_each_sample(
    const std::function<void(int session, const telemetry::Sample&)>& fn) const {
  SQLite::Statement st(*db_,
                       "SELECT session, t_ns, domain_idx, energy_j, power_w, temperature_c, "
                       "memory_mb FROM samples ORDER BY session, t_ns, domain_idx");
  while (st.executeStep()) {
    telemetry::Sample s;
    const int session = st.getColumn(0).getInt();
    s.t_ns = st.getColumn(1).getInt64();
    s.domain_index = st.getColumn(2).getInt();
    s.energy_j = opt_double(st.getColumn(3));
    s.power_w = opt_double(st.getColumn(4));
    s.temperature_c = opt_double(st.getColumn(5));
    s.memory_mb = opt_double(st.getColumn(6));
    fn(session, s);
  }
}

}  // namespace ipw::run
