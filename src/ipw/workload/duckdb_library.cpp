#include "ipw/workload/duckdb_library.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "ipw/common/dl_symbol.h"

namespace ipw::workload {
namespace {

// ABI of the DuckDB C API types ipw passes (duckdb.h, stable since DuckDB 1.0).
using idx_t = std::uint64_t;
using duckdb_state = int;  // DuckDBSuccess = 0
constexpr duckdb_state kSuccess = 0;
constexpr int kTypeVarchar = 17;  // DUCKDB_TYPE_VARCHAR
using Handle = void*;             // duckdb_database, duckdb_connection, duckdb_data_chunk, duckdb_vector

struct Result {  // duckdb_result: passed by pointer and, to duckdb_fetch_chunk, by value
  idx_t deprecated_column_count;
  idx_t deprecated_row_count;
  idx_t deprecated_rows_changed;
  void* deprecated_columns;
  char* deprecated_error_message;
  void* internal_data;
};
static_assert(sizeof(Result) == 48, "duckdb_result layout");

// duckdb_string_t: the length, then up to 12 bytes inline, or else a 4-byte prefix
// and a pointer to the bytes.
struct String {
  std::uint32_t length;
  char rest[12];
  std::string_view view() const {
    if (length <= 12) return {rest, length};
    const char* ptr = nullptr;
    std::memcpy(&ptr, rest + 4, sizeof ptr);
    return {ptr, length};
  }
};
static_assert(sizeof(String) == 16, "duckdb_string_t layout");

#ifndef IPW_DUCKDB_NPM_LIBRARY
#define IPW_DUCKDB_NPM_LIBRARY ""
#endif

}  // namespace

struct DuckDb::Api {
  duckdb_state (*open)(const char*, Handle*) = nullptr;
  void (*close)(Handle*) = nullptr;
  duckdb_state (*connect)(Handle, Handle*) = nullptr;
  void (*disconnect)(Handle*) = nullptr;
  duckdb_state (*query)(Handle, const char*, Result*) = nullptr;
  const char* (*result_error)(Result*) = nullptr;
  void (*destroy_result)(Result*) = nullptr;
  idx_t (*column_count)(Result*) = nullptr;
  int (*column_type)(Result*, idx_t) = nullptr;
  Handle (*fetch_chunk)(Result) = nullptr;
  idx_t (*chunk_size)(Handle) = nullptr;
  Handle (*chunk_vector)(Handle, idx_t) = nullptr;
  void (*destroy_chunk)(Handle*) = nullptr;
  void* (*vector_data)(Handle) = nullptr;
  std::uint64_t* (*vector_validity)(Handle) = nullptr;
  const char* (*library_version)() = nullptr;
};

std::vector<std::string> duckdb_library_candidates() {
  if (const char* env = std::getenv("IPW_DUCKDB_LIBRARY"); env && *env) return {env};
  std::vector<std::string> out;
  if (*IPW_DUCKDB_NPM_LIBRARY) out.emplace_back(IPW_DUCKDB_NPM_LIBRARY);
  out.emplace_back("libduckdb.so");
  return out;
}

std::unique_ptr<DuckDb> DuckDb::open() {
  std::unique_ptr<DuckDb> db(new DuckDb());
  std::string tried;
  for (const std::string& path : duckdb_library_candidates()) {
    ::dlerror();
    db->handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (db->handle_) {
      db->path_ = path;
      break;
    }
    const char* why = ::dlerror();
    tried += "\n  " + path + ": " + (why ? why : "cannot be loaded");
  }
  if (!db->handle_) {
    throw DuckDbError(
        "reading Parquet needs DuckDB's C library (libduckdb.so), which ipw could not load:" + tried +
        "\nInstall it with `npm ci` in ipw's source folder (scripts/setup.sh does), or set IPW_DUCKDB_LIBRARY "
        "to a libduckdb.so (DuckDB 1.0 or later). JSONL, CSV and .arrow files need no library.");
  }
  db->api_ = std::make_unique<Api>();
  Api& a = *db->api_;
  const std::pair<const char*, bool> symbols[] = {
      {"duckdb_open", resolve_symbol(db->handle_, "duckdb_open", a.open)},
      {"duckdb_close", resolve_symbol(db->handle_, "duckdb_close", a.close)},
      {"duckdb_connect", resolve_symbol(db->handle_, "duckdb_connect", a.connect)},
      {"duckdb_disconnect", resolve_symbol(db->handle_, "duckdb_disconnect", a.disconnect)},
      {"duckdb_query", resolve_symbol(db->handle_, "duckdb_query", a.query)},
      {"duckdb_result_error", resolve_symbol(db->handle_, "duckdb_result_error", a.result_error)},
      {"duckdb_destroy_result", resolve_symbol(db->handle_, "duckdb_destroy_result", a.destroy_result)},
      {"duckdb_column_count", resolve_symbol(db->handle_, "duckdb_column_count", a.column_count)},
      {"duckdb_column_type", resolve_symbol(db->handle_, "duckdb_column_type", a.column_type)},
      {"duckdb_fetch_chunk", resolve_symbol(db->handle_, "duckdb_fetch_chunk", a.fetch_chunk)},
      {"duckdb_data_chunk_get_size", resolve_symbol(db->handle_, "duckdb_data_chunk_get_size", a.chunk_size)},
      {"duckdb_data_chunk_get_vector", resolve_symbol(db->handle_, "duckdb_data_chunk_get_vector", a.chunk_vector)},
      {"duckdb_destroy_data_chunk", resolve_symbol(db->handle_, "duckdb_destroy_data_chunk", a.destroy_chunk)},
      {"duckdb_vector_get_data", resolve_symbol(db->handle_, "duckdb_vector_get_data", a.vector_data)},
      {"duckdb_vector_get_validity", resolve_symbol(db->handle_, "duckdb_vector_get_validity", a.vector_validity)},
      {"duckdb_library_version", resolve_symbol(db->handle_, "duckdb_library_version", a.library_version)},
  };
  for (const auto& [symbol, ok] : symbols) {
    if (!ok) throw DuckDbError(db->path_ + " lacks " + symbol + " (not DuckDB's C library, or older than 1.0)");
  }
  if (a.open(nullptr, &db->database_) != kSuccess) throw DuckDbError("DuckDB could not open an in-memory database");
  if (a.connect(db->database_, &db->connection_) != kSuccess) throw DuckDbError("DuckDB could not connect to its database");
  return db;
}

DuckDb::~DuckDb() {
  if (api_ && connection_) api_->disconnect(&connection_);
  if (api_ && database_) api_->close(&database_);
  if (handle_) ::dlclose(handle_);
}

std::string DuckDb::version() const { return api_->library_version(); }

namespace {

// Owns a duckdb_result; the error text is DuckDB's own.
class ResultGuard {
 public:
  ResultGuard(const DuckDb::Api& api, Handle connection, const std::string& sql) : api_(api) {
    std::memset(&result_, 0, sizeof result_);
    if (api_.query(connection, sql.c_str(), &result_) != kSuccess) {
      const char* why = api_.result_error(&result_);
      const std::string message = why ? why : "the query failed";
      api_.destroy_result(&result_);
      throw DuckDbError(message);
    }
  }
  ~ResultGuard() { api_.destroy_result(&result_); }
  ResultGuard(const ResultGuard&) = delete;
  ResultGuard& operator=(const ResultGuard&) = delete;
  Result& get() { return result_; }

 private:
  const DuckDb::Api& api_;
  Result result_;
};

}  // namespace

void DuckDb::exec(const std::string& sql) { ResultGuard result(*api_, connection_, sql); }

std::vector<std::optional<std::string>> DuckDb::texts(const std::string& sql) {
  ResultGuard result(*api_, connection_, sql);
  if (api_->column_count(&result.get()) < 1 || api_->column_type(&result.get(), 0) != kTypeVarchar) {
    throw DuckDbError("internal: the query's first column is not text: " + sql);
  }
  std::vector<std::optional<std::string>> out;
  while (Handle chunk = api_->fetch_chunk(result.get())) {
    const idx_t n = api_->chunk_size(chunk);
    Handle vector = api_->chunk_vector(chunk, 0);
    const auto* values = static_cast<const String*>(api_->vector_data(vector));
    const std::uint64_t* validity = api_->vector_validity(vector);  // null: no NULLs
    for (idx_t i = 0; i < n; ++i) {
      if (validity && ((validity[i / 64] >> (i % 64)) & 1u) == 0) {
        out.emplace_back(std::nullopt);
        continue;
      }
      out.emplace_back(std::string(values[i].view()));
    }
    api_->destroy_chunk(&chunk);
  }
  return out;
}

std::string sql_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace ipw::workload
