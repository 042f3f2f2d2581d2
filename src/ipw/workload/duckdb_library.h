#pragma once
// DuckDB's C library (libduckdb.so), loaded at run time with dlopen, as NVML is: ipw
// reads Parquet through it (docs/workloads.md, "Parquet and Arrow"), and a machine
// without it runs everything else. `npm ci` in the source folder installs it
// (package.json: @duckdb/node-bindings-linux-x64, which carries the library).
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ipw::workload {

// The library is missing or unusable, or a statement failed; the message says which
// and what to do.
struct DuckDbError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where ipw looks for the library, in order: $IPW_DUCKDB_LIBRARY alone when it is
// set; else the copy npm installed in the source folder ipw was built from, then
// the system's library path.
std::vector<std::string> duckdb_library_candidates();

// One in-memory database on its own connection. Not thread-safe; one per loader.
class DuckDb {
 public:
  // Loads the library (the first candidate that loads) and opens a database.
  static std::unique_ptr<DuckDb> open();
  ~DuckDb();
  DuckDb(const DuckDb&) = delete;
  DuckDb& operator=(const DuckDb&) = delete;

  // Runs a statement that returns nothing useful (COPY ... TO, CREATE ...).
  void exec(const std::string& sql);
  // Runs a query whose first column is VARCHAR; one entry per row, nullopt for NULL.
  std::vector<std::optional<std::string>> texts(const std::string& sql);

  std::string library_path() const { return path_; }
  std::string version() const;

  struct Api;  // the C functions, resolved by open()

 private:
  DuckDb() = default;
  void* handle_ = nullptr;
  std::unique_ptr<Api> api_;
  void* database_ = nullptr;
  void* connection_ = nullptr;
  std::string path_;
};

// `s` as an SQL string literal: quoted, with each ' doubled.
std::string sql_quote(std::string_view s);

}  // namespace ipw::workload
