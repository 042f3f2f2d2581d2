#pragma once
// The run store's schema and its migrations (store_schema.cpp), shared by the
// store's readers and writers. Internal to run/.
#include <string>

namespace SQLite {
class Column;
class Database;
}

namespace ipw::run {

// Creates every table of the newest schema in an empty database.
void create_schema(SQLite::Database& db);
// Brings an older store up to the newest schema in place (one transaction). Each
// step checks what is there, so a store some build left half-way is completed.
void migrate_schema(SQLite::Database& db);

bool has_column(SQLite::Database& db, const char* table, const char* column);

// A text column's value; NULL reads as the empty string.
std::string column_text(const SQLite::Column& c);

}  // namespace ipw::run
