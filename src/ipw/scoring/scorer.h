#pragma once
// Scorers are pure functions of (item, response text) -> Score. No I/O, no energy.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipw/workload/item.h"

namespace ipw::scoring {

struct Score {
  std::optional<bool> correct;  // empty: could not be scored (e.g. no judge for chat items)
  std::string extracted;        // what the scorer read as the model's answer
  std::string method;           // scorer name, e.g. "mc", "numeric", "exact"
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual std::string name() const = 0;
  virtual Score score(const workload::Item& item, const std::string& response) const = 0;
};

// Registry by item kind ("mc", "numeric", "exact"); nullptr for kinds with no
// local scorer (e.g. "chat", which needs the judge).
const Scorer* scorer_for_kind(const std::string& kind);
std::vector<std::string> scorer_names();

}  // namespace ipw::scoring
