#pragma once
// The columns of run.db's `queries` table, once: each one's name, how a
// QueryRecord field is bound when a query is stored, and how it is read back.
// The store's insert and its reader both walk this table, so a new column is one
// row here (plus its migration in store_schema.cpp).
#include <sqlite3.h>

#include <optional>
#include <vector>

#include <SQLiteCpp/Statement.h>

#include "ipw/run/query_record.h"

namespace ipw::run {

struct QueryColumn {
  // Which reads select it: every read, or only those that ask for texts / token times
  // (a million-row analysis reads neither).
  enum class Part { always, texts, token_times };

  const char* name;
  Part part;
  // What a store from before the column existed reads instead (an SQL expression:
  // "NULL", "0", "1"); nullptr when every store has it.
  const char* absent_as;
  void (*bind)(SQLite::Statement& st, int index, const QueryRecord& q);
  // Raw sqlite3 access: the reader scans millions of rows (store_stream.cpp).
  void (*read)(sqlite3_stmt* st, int index, QueryRecord& q);
};

const std::vector<QueryColumn>& query_columns();

// Binds an optional value, or NULL: "not measured" stays distinguishable from 0.
template <typename T>
void bind_opt(SQLite::Statement& st, int i, const std::optional<T>& v) {
  if (v) {
    st.bind(i, *v);
  } else {
    st.bind(i);
  }
}

}  // namespace ipw::run
