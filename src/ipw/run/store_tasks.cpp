// The tasks of a recorded agent run (docs/agents.md): the `tasks` table, one row a
// task, written in parts by whoever knows each part.
#include <SQLiteCpp/SQLiteCpp.h>

#include "ipw/run/query_columns.h"
#include "ipw/run/store.h"
#include "ipw/run/store_schema.h"

namespace ipw::run {

void RunStore::write_task_energies(const std::vector<TaskRecord>& tasks) {
  SQLite::Transaction tx(*db_);
  SQLite::Statement st(*db_,
                       "INSERT INTO tasks (task, between_energy_j) VALUES (?, ?) "
                       "ON CONFLICT (task) DO UPDATE SET between_energy_j = excluded.between_energy_j");
  for (const TaskRecord& t : tasks) {
    st.bind(1, t.task);
    bind_opt(st, 2, t.between_energy_j);
    st.exec();
    st.reset();
  }
  tx.commit();
}

void RunStore::write_task_outcomes(const std::vector<TaskRecord>& tasks) {
  SQLite::Transaction tx(*db_);
  SQLite::Statement st(*db_,
                       "INSERT INTO tasks (task, success, score) VALUES (?, ?, ?) "
                       "ON CONFLICT (task) DO UPDATE SET success = excluded.success, score = excluded.score");
  for (const TaskRecord& t : tasks) {
    st.bind(1, t.task);
    bind_opt(st, 2, t.success ? std::optional<int>(*t.success ? 1 : 0) : std::nullopt);
    bind_opt(st, 3, t.score);
    st.exec();
    st.reset();
  }
  tx.commit();
}

std::vector<TaskRecord> RunStore::tasks() const {
  std::vector<TaskRecord> out;
  if (!db_->tableExists("tasks")) return out;
  SQLite::Statement st(*db_, "SELECT task, between_energy_j, success, score FROM tasks ORDER BY task");
  while (st.executeStep()) {
    TaskRecord t;
    t.task = st.getColumn(0).getString();
    if (!st.getColumn(1).isNull()) t.between_energy_j = st.getColumn(1).getDouble();
    if (!st.getColumn(2).isNull()) t.success = st.getColumn(2).getInt() != 0;
    if (!st.getColumn(3).isNull()) t.score = st.getColumn(3).getDouble();
    out.push_back(std::move(t));
  }
  return out;
}

std::set<std::string> RunStore::task_names() const {
  std::set<std::string> out;
  if (!has_column(*db_, "queries", "task")) return out;
  SQLite::Statement st(*db_, "SELECT DISTINCT task FROM queries WHERE task IS NOT NULL AND task != ''");
  while (st.executeStep()) out.insert(st.getColumn(0).getString());
  return out;
}

}  // namespace ipw::run
