#include "ipw/cluster/plan.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "ipw/common/usage_error.h"

namespace ipw::cluster {
namespace {

// yaml-cpp counts lines from 0.
int line_of(const YAML::Node& n) { return n.Mark().line + 1; }

struct Reader {
  std::string path;

  UsageError error(const YAML::Node& at, const std::string& what) const {
    return UsageError(fmt::format("{}:{}: {}", path, line_of(at), what));
  }

  std::string scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) throw error(n, fmt::format("'{}' must be a single value", key));
    return n.Scalar();
  }

  int whole(const YAML::Node& n, const std::string& key, int min) const {
    const std::string text = scalar(n, key);
    int v = 0;
    try {
      std::size_t used = 0;
      v = std::stoi(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      throw error(n, fmt::format("'{}' must be a whole number, not '{}'", key, text));
    }
    if (v < min) throw error(n, fmt::format("'{}' must be at least {}", key, min));
    return v;
  }

  std::vector<std::string> list(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence()) throw error(n, fmt::format("'{}' must be a list", key));
    std::vector<std::string> out;
    for (const YAML::Node& v : n) out.push_back(scalar(v, key + " item"));
    return out;
  }

  // A map's keys in the document's order, each checked against `known` (empty: any).
  template <typename Fn>
  void each_key(const YAML::Node& map, const std::string& what, const std::set<std::string>& known, Fn fn) const {
    if (!map.IsMap()) throw error(map, fmt::format("'{}' must be a map of keys to values", what));
    for (const auto& kv : map) {
      const std::string key = scalar(kv.first, what + " key");
      if (!known.empty() && !known.count(key)) {
        throw error(kv.first, fmt::format("unknown key '{}' in {} (known: {})", key, what, fmt::join(known, ", ")));
      }
      fn(key, kv.first, kv.second);
    }
  }
};

// Flags the sweep sets for every task itself.
void check_not_set_by_sweep(const Reader& r, const std::string& key, const YAML::Node& at) {
  if (key == "out" || key == "shard" || key == "resume") {
    throw r.error(at, fmt::format("'{}' is set by the sweep for each task; leave it out (the plan's own 'out' "
                                  "and 'shards' say where and how many)",
                                  key));
  }
}

// "model=qwen3-4b" -> a folder name: letters, digits and ._- kept, '=' and ',' as they
// read, anything else (a '/' of a path, a space) as '_'.
std::string path_safe(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '=' || c == ',';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

std::string read_plan(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot read the plan", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Plan parse_plan(const std::string& text, const std::string& path, const std::string& given_out) {
  Reader r{path};
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw UsageError(fmt::format("{}:{}: not YAML: {}", path, e.mark.line + 1, e.msg));
  }
  Plan p;
  p.path = path;
  bool have_matrix = false;
  std::string out;
  r.each_key(doc, "the plan", {"name", "out", "profile", "matrix", "shards", "backend", "slurm"},
             [&](const std::string& key, const YAML::Node& at, const YAML::Node& v) {
               if (key == "name") p.name = r.scalar(v, key);
               if (key == "out") out = r.scalar(v, key);
               if (key == "shards") p.shards = r.whole(v, key, 1);
               if (key == "backend") {
                 p.backend = r.scalar(v, key);
                 if (p.backend != "local" && p.backend != "slurm") {
                   throw r.error(v, fmt::format("unknown backend '{}' (local or slurm)", p.backend));
                 }
               }
               if (key == "profile") {
                 r.each_key(v, "profile", {}, [&](const std::string& flag, const YAML::Node& fat, const YAML::Node& fv) {
                   check_not_set_by_sweep(r, flag, fat);
                   p.profile.push_back({flag, fv.IsSequence() ? r.list(fv, flag) : std::vector{r.scalar(fv, flag)},
                                        line_of(fat)});
                 });
               }
               if (key == "matrix") {
                 have_matrix = true;
                 r.each_key(v, "matrix", {}, [&](const std::string& flag, const YAML::Node& fat, const YAML::Node& fv) {
                   check_not_set_by_sweep(r, flag, fat);
                   PlanFlag axis{flag, r.list(fv, "matrix " + flag), line_of(fat)};
                   if (axis.values.empty()) throw r.error(fat, fmt::format("matrix '{}' has no values", flag));
                   p.matrix.push_back(std::move(axis));
                 });
                 if (p.matrix.empty()) throw r.error(v, "the matrix is empty: give at least one flag and its values");
               }
               if (key == "slurm") {
                 r.each_key(v, "slurm",
                            {"partition", "time", "gpus_per_task", "cpus_per_task", "mem", "account", "max_parallel",
                             "extra"},
                            [&](const std::string& k, const YAML::Node&, const YAML::Node& sv) {
                              SlurmOptions& s = p.slurm;
                              if (k == "partition") s.partition = r.scalar(sv, k);
                              if (k == "time") s.time = r.scalar(sv, k);
                              if (k == "mem") s.mem = r.scalar(sv, k);
                              if (k == "account") s.account = r.scalar(sv, k);
                              if (k == "gpus_per_task") s.gpus_per_task = r.whole(sv, k, 0);
                              if (k == "cpus_per_task") s.cpus_per_task = r.whole(sv, k, 0);
                              if (k == "max_parallel") s.max_parallel = r.whole(sv, k, 0);
                              if (k == "extra") s.extra = r.list(sv, k);
                            });
               }
               (void)at;
             });
  if (!have_matrix) throw UsageError(fmt::format("{}: no 'matrix': a sweep needs at least one flag to vary", path));
  if (out.empty()) throw UsageError(fmt::format("{}: no 'out': the directory that receives the sweep's runs", path));
  p.out = given_out.empty() ? std::filesystem::absolute(out).lexically_normal().string() : given_out;
  if (p.name.empty()) p.name = std::filesystem::path(path).stem().string();
  for (const PlanFlag& axis : p.matrix) {
    for (const PlanFlag& fixed : p.profile) {
      if (fixed.name == axis.name) {
        throw UsageError(fmt::format("{}:{}: '{}' is both in profile (line {}) and in the matrix", path, axis.line,
                                     axis.name, fixed.line));
      }
    }
  }
  return p;
}

std::vector<Cell> plan_cells(const Plan& plan) {
  std::vector<Cell> cells(1);
  for (const PlanFlag& axis : plan.matrix) {
    std::vector<Cell> next;
    for (const Cell& c : cells) {
      for (const std::string& v : axis.values) {
        Cell d = c;
        d.setting.emplace_back(axis.name, v);
        next.push_back(std::move(d));
      }
    }
    cells = std::move(next);
  }
  for (Cell& c : cells) {
    std::string name;
    for (const auto& [flag, value] : c.setting) name += fmt::format("{}{}={}", name.empty() ? "" : ",", flag, value);
    c.name = path_safe(name);
  }
  return cells;
}

std::vector<Task> plan_tasks(const Plan& plan) {
  std::vector<Task> out;
  const int cells = static_cast<int>(plan_cells(plan).size());
  for (int c = 0; c < cells; ++c) {
    for (int s = 0; s < plan.shards; ++s) out.push_back({c * plan.shards + s, c, s});
  }
  return out;
}

std::string task_dir(const Plan& plan, const Cell& cell, int shard) {
  return fmt::format("{}/{}/shard-{}", plan.out, cell.name, shard);
}

std::string merged_dir(const Plan& plan, const Cell& cell) { return fmt::format("{}/{}/merged", plan.out, cell.name); }

std::vector<std::string> profile_args(const Plan& plan, const Cell& cell, int shard) {
  std::vector<std::string> args;
  for (const PlanFlag& f : plan.profile) {
    for (const std::string& v : f.values) args.push_back(fmt::format("--{}={}", f.name, v));
  }
  for (const auto& [flag, value] : cell.setting) args.push_back(fmt::format("--{}={}", flag, value));
  if (plan.shards > 1) args.push_back(fmt::format("--shard={}/{}", shard, plan.shards));
  args.push_back("--out=" + task_dir(plan, cell, shard));
  return args;
}

}  // namespace ipw::cluster
