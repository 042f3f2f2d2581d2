#pragma once
// IPW and IPJ over model release dates, and the paper's decomposition of the
// gain into a model factor and a hardware factor:
//   total    = IPW(latest model, newest hardware) / IPW(earliest model, oldest hardware)
//   model    = the gain of the model change on one (fixed) accelerator
//   hardware = the gain of the accelerator change for one (fixed) model
// total = model x hardware; the fixed side is whichever cross run exists.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipw::metrics {

struct TrendPoint {
  std::string label;      // run label (model @ hardware)
  std::string model, hardware;
  std::string release_date;           // model release date, YYYY-MM-DD (required)
  std::string hardware_release_date;  // optional: needed for the hardware factor
  std::optional<double> accuracy, ipw, ipj;
};

struct TrendDecomposition {
  std::string start, end;  // labels of the two runs compared
  double total = 0;        // IPW ratio end / start
  std::optional<double> model_factor, hardware_factor;
  std::string fixed;       // how the split was made (which cross run was used), or why not
};

struct TrendResult {
  std::vector<TrendPoint> points;          // sorted by release date, then label
  std::vector<std::size_t> frontier;       // indices of points that set a new best IPW
  std::optional<double> ipw_growth_per_year;  // exp(slope) of log IPW over the frontier
  std::optional<TrendDecomposition> decomposition;
  std::string no_decomposition;  // why there is no decomposition (empty when there is one)
};

// Days since 1970-01-01 for "YYYY-MM-DD"; empty when malformed.
std::optional<long> days_from_date(const std::string& date);

TrendResult compute_trend(std::vector<TrendPoint> points);
nlohmann::json to_json(const TrendResult& t);

}  // namespace ipw::metrics
