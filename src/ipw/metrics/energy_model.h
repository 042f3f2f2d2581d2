#pragma once
// The energy model of docs/analysis.md by ordinary least squares:
//   E_q = a + b * input_tokens + c * output_tokens     (J, J/in-token, J/out-token)
// Fitted in one streaming pass from co-moments (Welford's update generalised to
// covariances), so a million queries need O(1) memory and the fit stays exact
// and well conditioned even when token counts are large and E is small.
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ipw::metrics {

struct EnergyModel {
  std::size_t n = 0;
  double a_j = 0.0;               // intercept: fixed energy per query
  double b_j_per_in_token = 0.0;  // marginal energy per prompt (prefill) token
  double c_j_per_out_token = 0.0; // marginal energy per generated (decode) token
  double r2 = 0.0;                // coefficient of determination (1 when the fit is exact)
  // "full" fits all three terms; "output_only"/"input_only" when the other
  // token count never varies (its coefficient cannot be identified and is 0).
  std::string terms = "full";

  double predict_j(double input_tokens, double output_tokens) const {
    return a_j + b_j_per_in_token * input_tokens + c_j_per_out_token * output_tokens;
  }
};

class EnergyModelFit {
 public:
  void add(double input_tokens, double output_tokens, double energy_j);
  std::size_t n() const { return n_; }
  // Empty with fewer than 3 points or when neither token count varies.
  std::optional<EnergyModel> fit() const;

 private:
  std::size_t n_ = 0;
  double mx_ = 0, my_ = 0, me_ = 0;                  // running means (in, out, E)
  double sxx_ = 0, syy_ = 0, sxy_ = 0, sxe_ = 0, sye_ = 0, see_ = 0;  // co-moments
};

nlohmann::json to_json(const EnergyModel& m);

}  // namespace ipw::metrics
