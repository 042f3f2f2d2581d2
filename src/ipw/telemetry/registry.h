#pragma once
// One table of energy sources: name -> factory (+ probe). It drives
// `--telemetry`, `auto`, `ipw --version` and `ipw doctor`. A new collector is one
// new file plus one row in registry.cpp.
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipw/telemetry/collector.h"
#include "ipw/telemetry/source_status.h"

namespace ipw::telemetry {

// A bad `--telemetry` spec, or a source that cannot be built (unreadable replay
// file, malformed CSV with file:line, bad IPW_CPU_TDP_W, …). The message is for the user.
struct CollectorSpecError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CollectorEntry {
  std::string name;     // "estimated", "replay", later "nvml", "rapl", …
  std::string usage;    // how it is written in a spec: "replay:PATH.csv"
  std::string summary;  // one line for `ipw list`
  bool in_auto = false; // hardware sources: `auto` takes it when its probe says readable
  // Builds the collector from the text after "name:" ("" when none). May throw
  // any std::exception; make_collectors turns it into CollectorSpecError.
  std::function<std::unique_ptr<Collector>(const std::string& arg)> make;
  // Is it here and readable right now? Never throws. Empty when not applicable.
  std::function<SourceStatus()> probe;
};

const std::vector<CollectorEntry>& collector_registry();

// spec: comma list of "auto" | "estimated" | "replay:PATH.csv" | … (registry names).
// `auto` = every readable hardware source, else `estimated`. A name listed twice
// or two sources reporting the same domain is an error. Throws CollectorSpecError.
std::vector<std::unique_ptr<Collector>> make_collectors(const std::string& spec);
// The entries of a --telemetry spec ("nvml,rapl,replay:FILE"), trimmed, in order; an
// empty entry stays an empty string (make_collectors refuses it).
std::vector<std::string> telemetry_spec_entries(const std::string& spec);

// "auto" followed by the registry's names, in table order.
std::vector<std::string> collector_names();

}  // namespace ipw::telemetry
