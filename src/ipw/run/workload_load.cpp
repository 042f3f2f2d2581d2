#include "ipw/run/workload_load.h"

#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ipw/common/usage_error.h"
#include "ipw/workload/sample.h"

namespace ipw::run {

workload::Dataset load_workload(const ProfileConfig& cfg) {
  workload::LoadOptions opts;
  opts.format = cfg.dataset_format;
  opts.split = cfg.dataset_split;
  opts.skip_bad_rows = cfg.skip_bad_rows;
  // The CLI reads like an assignment (ipw field = dataset column); the loader's map is keyed by column.
  for (const std::string& f : cfg.fields) {
    const auto eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
      throw UsageError(
          fmt::format("--field '{}': expected IPW_FIELD=COLUMN, e.g. --field prompt=question", f));
    }
    const std::string field = f.substr(0, eq), column = f.substr(eq + 1);
    if (!opts.field_map.emplace(column, field).second) {
      throw UsageError(fmt::format("--field: column '{}' is mapped twice", column));
    }
  }
  workload::Dataset ds = workload::load_dataset(cfg.dataset, opts);
  for (const std::string& w : ds.warnings) spdlog::warn("{}", w);
  for (const std::string& n : ds.notes) spdlog::info("{}", n);
  if (!cfg.stratify.empty() && cfg.sample <= 0) {
    throw UsageError("--stratify needs --sample N (it chooses which N items keep the shares)");
  }
  if (cfg.sample > 0) {
    workload::SampleOptions so;
    so.n = static_cast<std::size_t>(cfg.sample);
    so.seed = static_cast<std::uint64_t>(cfg.sample_seed);
    so.stratify = cfg.stratify;
    ds.items = workload::sample_items(ds.items, so);
  }
  return ds;
}

}  // namespace ipw::run
