// Test-only: Pearson's chi-square goodness of fit for the sampler tests, with a critical value
// at p = 1e-6 (a correct sampler fails about once in a million runs; the seeds are fixed, so
// in practice never) and the sample size that makes a real bias fail: one outcome of M twice
// as likely as it should be shifts the statistic by lambda = N (M - 1) / (M + 1)^2 on average;
// power_samples(M) picks N so that lambda clears the critical value by five standard
// deviations of the shifted statistic. Sampler tests plant such a bias to show it fails.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <string>

namespace goose::tasks::testing {

// Upper 1e-6 quantile of chi-square with `dof` degrees of freedom (Wilson-Hilferty; within a
// few percent of the exact value for dof >= 5).
inline double chi_square_critical(double dof) {
  const double z = 4.753424;  // upper 1e-6 quantile of the standard normal
  const double c = 2.0 / (9.0 * dof);
  return dof * std::pow(1.0 - c + z * std::sqrt(c), 3.0);
}

// Samples that detect one outcome of M being twice as likely, with margin (see above).
inline int64_t power_samples(int64_t outcomes) {
  const double dof = static_cast<double>(outcomes - 1);
  const double excess = chi_square_critical(dof) - dof;
  double lambda = excess;
  for (int i = 0; i < 50; ++i) lambda = excess + 5.0 * std::sqrt(2.0 * (dof + 2.0 * lambda));
  const double m = static_cast<double>(outcomes);
  return static_cast<int64_t>(std::ceil(lambda * (m + 1) * (m + 1) / (m - 1)));
}

struct ChiSquare {
  double statistic = 0;
  double dof = 0;
  double critical = 0;
  std::string impossible;  // an observed outcome of expected probability 0, if any
  bool passes() const { return impossible.empty() && statistic <= critical; }
};

// counts: observed outcome -> count; expected: outcome -> expected count (summing to the
// number of draws). Outcomes missing from `expected` are impossible. `constraints` = how
// many independent totals the expected counts were fitted to (1 for one multinomial).
template <typename Key, typename ToText>
ChiSquare chi_square(const std::map<Key, int64_t>& counts, const std::map<Key, double>& expected,
                     int constraints, ToText to_text) {
  ChiSquare r;
  for (const auto& [key, count] : counts)
    if (!expected.count(key) || expected.at(key) <= 0) r.impossible = to_text(key);
  for (const auto& [key, e] : expected) {
    if (e <= 0) continue;
    const auto it = counts.find(key);
    const double o = it == counts.end() ? 0.0 : static_cast<double>(it->second);
    r.statistic += (o - e) * (o - e) / e;
    r.dof += 1;
  }
  r.dof -= constraints;
  r.critical = chi_square_critical(r.dof);
  return r;
}

}  // namespace goose::tasks::testing
