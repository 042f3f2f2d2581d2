#include "ipw/report/telemetry_export.h"

#include <algorithm>
#include <map>

#include "ipw/report/csv.h"
#include "ipw/run/store.h"

namespace ipw::report {

const std::vector<std::string>& telemetry_columns() {
  static const std::vector<std::string> cols = {"session", "t_s", "domain", "device", "kind", "source",
                                                "selected", "energy_j", "power_w", "temperature_c",
                                                "memory_mb"};
  return cols;
}

std::size_t write_telemetry_csv(const run::RunStore& store, const std::vector<std::string>& selected,
                                std::ostream& out) {
  struct Meta {
    std::string domain, device, kind, source;
    bool selected;
  };
  std::map<int, Meta> meta;
  for (const auto& d : store.domains()) {
    const bool sel = std::find(selected.begin(), selected.end(), d.info.domain) != selected.end();
    meta[d.index] = {csv_quote(d.info.domain), csv_quote(d.info.device), csv_quote(d.info.kind),
                     telemetry::to_string(d.info.source), sel};
  }
  const auto& cols = telemetry_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << '\n';
  std::size_t rows = 0;
  const Meta unknown{"", "", "", "", false};
  store.for_each_sample([&](int session, const telemetry::Sample& s) {
    const auto it = meta.find(s.domain_index);
    const Meta& m = it == meta.end() ? unknown : it->second;
    // t_s: seconds since the session's origin, the same clock as the query export.
    out << session << ',' << fmt::format("{:.9f}", static_cast<double>(s.t_ns) * 1e-9) << ',' << m.domain << ','
        << m.device << ',' << m.kind << ',' << m.source << ',' << (m.selected ? "true" : "false") << ','
        << csv_num(s.energy_j) << ',' << csv_num(s.power_w) << ',' << csv_num(s.temperature_c) << ','
        << csv_num(s.memory_mb) << '\n';
    ++rows;
  });
  return rows;
}

}  // namespace ipw::report
