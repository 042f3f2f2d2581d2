#include "ipw/metrics/energy_model.h"

#include <algorithm>
#include <cmath>

namespace ipw::metrics {

void EnergyModelFit::add(double x, double y, double e) {
  ++n_;
  const double inv = 1.0 / static_cast<double>(n_);
  const double dx = x - mx_, dy = y - my_, de = e - me_;
  mx_ += dx * inv;
  my_ += dy * inv;
  me_ += de * inv;
  // Co-moment update: old deviation times new deviation (exact, order-independent).
  sxx_ += dx * (x - mx_);
  syy_ += dy * (y - my_);
  sxy_ += dx * (y - my_);
  sxe_ += dx * (e - me_);
  sye_ += dy * (e - me_);
  see_ += de * (e - me_);
}

std::optional<EnergyModel> EnergyModelFit::fit() const {
  if (n_ < 3) return std::nullopt;
  EnergyModel m;
  m.n = n_;
  // A variable whose spread is negligible relative to its mean cannot be
  // separated from the intercept.
  const auto varies = [](double s, double mean, std::size_t n) {
    return s > 1e-12 * (1.0 + mean * mean) * static_cast<double>(n);
  };
  const bool vx = varies(sxx_, mx_, n_), vy = varies(syy_, my_, n_);
  const double det = sxx_ * syy_ - sxy_ * sxy_;
  if (vx && vy && det > 1e-12 * sxx_ * syy_) {
    m.b_j_per_in_token = (sxe_ * syy_ - sye_ * sxy_) / det;
    m.c_j_per_out_token = (sye_ * sxx_ - sxe_ * sxy_) / det;
  } else if (vy) {
    m.terms = "output_only";
    m.c_j_per_out_token = sye_ / syy_;
  } else if (vx) {
    m.terms = "input_only";
    m.b_j_per_in_token = sxe_ / sxx_;
  } else {
    return std::nullopt;
  }
  m.a_j = me_ - m.b_j_per_in_token * mx_ - m.c_j_per_out_token * my_;
  // Residual sum of squares from the centred normal equations.
  const double ss_res = see_ - m.b_j_per_in_token * sxe_ - m.c_j_per_out_token * sye_;
  m.r2 = see_ > 0 ? 1.0 - std::max(0.0, ss_res) / see_ : 1.0;
  return m;
}

nlohmann::json to_json(const EnergyModel& m) {
  return {{"n", m.n},
          {"terms", m.terms},
          {"a_j", m.a_j},
          {"b_j_per_input_token", m.b_j_per_in_token},
          {"c_j_per_output_token", m.c_j_per_out_token},
          {"r2", m.r2}};
}

}  // namespace ipw::metrics
