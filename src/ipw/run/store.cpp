#include "ipw/run/store.h"
#include "ipw/run/query_columns.h"
#include "ipw/run/store_schema.h"

#include <filesystem>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

namespace ipw::run {
namespace {

std::optional<double> opt_double(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getDouble();
}

std::string db_path(const std::string& dir) {
  return (std::filesystem::path(dir) / "run.db").string();
}

}  // namespace

struct RunStore::InsertStatements {
  SQLite::Statement query, energy, sample;
};

RunStore::RunStore(std::string dir, std::unique_ptr<SQLite::Database> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}
RunStore::RunStore(RunStore&&) noexcept = default;
RunStore& RunStore::operator=(RunStore&& other) noexcept {
  if (this != &other) {
    inserts_.reset();  // this store's statements go before its database does
    db_ = std::move(other.db_);
    inserts_ = std::move(other.inserts_);
    dir_ = std::move(other.dir_);
  }
  return *this;
}
RunStore::~RunStore() = default;

RunStore::InsertStatements& RunStore::inserts() {
  if (!inserts_) {
    // The query statement's text follows from the table's columns (query_columns.h).
    std::string names, marks;
    for (const QueryColumn& c : query_columns()) {
      names += fmt::format("{}{}", names.empty() ? "" : ", ", c.name);
      marks += marks.empty() ? "?" : ",?";
    }
    inserts_.reset(new InsertStatements{
        SQLite::Statement(*db_, fmt::format("INSERT INTO queries ({}) VALUES ({})", names, marks)),
        SQLite::Statement(*db_,
                          "INSERT INTO query_energy (stage, seq, repeat, domain_idx, energy_j, "
                          "prefill_energy_j, decode_energy_j, source, flags, samples) VALUES (?,?,?,?,?,?,?,?,?,?)"),
        SQLite::Statement(*db_,
                          "INSERT INTO samples (session, t_ns, domain_idx, energy_j, power_w, "
                          "temperature_c, memory_mb) VALUES (?, ?, ?, ?, ?, ?, ?)")});
  }
  return *inserts_;
}

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
    d.info.domain = column_text(st.getColumn(1));
    d.info.device = column_text(st.getColumn(2));
    d.info.kind = column_text(st.getColumn(3));
    const std::string src = column_text(st.getColumn(4));
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
    s.started_utc = column_text(st.getColumn(1));
    s.t0_monotonic_ns = st.getColumn(2).getInt64();
    s.command_line = column_text(st.getColumn(3));
    s.status = column_text(st.getColumn(4));
    s.idle = nlohmann::json::parse(column_text(st.getColumn(5)).empty() ? "{}" : column_text(st.getColumn(5)));
    s.totals = nlohmann::json::parse(column_text(st.getColumn(6)).empty() ? "{}" : column_text(st.getColumn(6)));
    out.push_back(std::move(s));
  }
  return out;
}

void RunStore::insert_sample(int session, const telemetry::Sample& s) {
  SQLite::Statement& st = inserts().sample;
  st.reset();  // first, not last: a statement whose step threw is left unreset
  st.bind(1, session);
  st.bind(2, static_cast<int64_t>(s.t_ns));
  st.bind(3, s.domain_index);
  bind_opt(st, 4, s.energy_j);
  bind_opt(st, 5, s.power_w);
  bind_opt(st, 6, s.temperature_c);
  bind_opt(st, 7, s.memory_mb);
  st.exec();
}

void RunStore::insert_samples(int session, const std::vector<telemetry::Sample>& samples) {
  for (const auto& s : samples) insert_sample(session, s);
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
  q.session = session;
  const auto& columns = query_columns();
  SQLite::Statement& st = inserts().query;
  st.reset();
  for (std::size_t i = 0; i < columns.size(); ++i) columns[i].bind(st, static_cast<int>(i) + 1, q);
  st.exec();

  SQLite::Statement& de = inserts().energy;
  for (const auto& d : q.domains) {
    de.reset();
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
  QueryReadOptions all;
  all.texts = all.token_times = all.domains = true;
  for_each_query([&](const QueryRecord& q) { out.push_back(q); }, all);
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
