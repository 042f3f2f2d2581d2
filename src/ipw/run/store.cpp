#include "ipw/run/store.h"
#include "ipw/run/store_schema.h"

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

namespace ipw::run {
namespace {

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
    create_schema(*db);
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
      SQLite::Transaction tx(*db);
      migrate_schema(*db);
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
  if (has_column(*db_, "queries", "attempts")) return "stage, queue_ns, attempts";
  return has_column(*db_, "queries", "stage") ? "stage, queue_ns, 1" : "0, NULL, 1";
}

const char* RunStore::key_order() const {
  return has_column(*db_, "queries", "stage") ? "stage, seq, repeat" : "seq, repeat";
}

const char* RunStore::energy_stage_column() const {
  return has_column(*db_, "query_energy", "stage") ? "stage" : "0";
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

void RunStore::insert_query(const QueryRecord& record, int session) {
  QueryRecord q = record;
  make_storable(q);
  SQLite::Statement st(
      *db_,
      "INSERT INTO queries (seq, repeat, session, item_id, category, source, kind, prompt, "
      "reference, response, extracted, correct, score_method, input_tokens, output_tokens, "
      "t_start_ns, t_first_token_ns, t_end_ns, token_times_json, error_kind, error_message, "
      "energy_j, prefill_energy_j, decode_energy_j, net_energy_j, peak_power_w, "
      "mean_temperature_c, max_memory_mb, energy_source, energy_flags, server_timings_json, "
      "server_cpu_s, reference_nll_nats, reference_tokens, stage, queue_ns, attempts) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
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
  st.bind(i++, q.attempts);
  st.exec();

  SQLite::Statement de(*db_,
                       "INSERT INTO query_energy (stage, seq, repeat, domain_idx, energy_j, "
                       "prefill_energy_j, decode_energy_j, source, flags, samples) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?)");
  for (const auto& d : q.domains) {
    de.bind(1, q.stage);
    de.bind(2, q.seq);
    de.bind(3, q.repeat);
    de.bind(4, d.domain_index);
    bind_opt(de, 5, d.energy_j);
    bind_opt(de, 6, d.prefill_energy_j);
    bind_opt(de, 7, d.decode_energy_j);
    de.bind(8, d.source);
    de.bind(9, static_cast<int64_t>(d.flags));
    de.bind(10, d.samples);
    de.exec();
    de.reset();
  }
}

std::set<QueryKey> RunStore::completed_keys() const {
  std::set<QueryKey> keys;
  SQLite::Statement st(*db_, fmt::format("SELECT {}, seq, repeat FROM queries",
                                         has_column(*db_, "queries", "stage") ? "stage" : "0"));
  while (st.executeStep()) keys.insert({st.getColumn(0).getInt(), st.getColumn(1).getInt(), st.getColumn(2).getInt()});
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
          "FROM queries ORDER BY {}",
          reference_columns(), load_columns(), key_order()));
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
    q.attempts = st.getColumn(i++).getInt();
    out.push_back(std::move(q));
  }
  SQLite::Statement de(*db_, fmt::format("SELECT {} AS stage, seq, repeat, domain_idx, energy_j, prefill_energy_j, "
                                         "decode_energy_j, source, flags, samples FROM query_energy "
                                         "ORDER BY stage, seq, repeat, domain_idx",
                                         energy_stage_column()));
  std::size_t k = 0;  // both result sets are ordered by (stage, seq, repeat): merge them
  while (de.executeStep()) {
    const QueryKey key{de.getColumn(0).getInt(), de.getColumn(1).getInt(), de.getColumn(2).getInt()};
    while (k < out.size() && out[k].key() < key) ++k;
    if (k == out.size()) break;
    if (out[k].key() != key) continue;
    DomainEnergy d;
    d.domain_index = de.getColumn(3).getInt();
    d.energy_j = opt_double(de.getColumn(4));
    d.prefill_energy_j = opt_double(de.getColumn(5));
    d.decode_energy_j = opt_double(de.getColumn(6));
    d.source = text(de.getColumn(7));
    d.flags = static_cast<std::uint32_t>(de.getColumn(8).getInt64());
    d.samples = de.getColumn(9).getInt();
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
