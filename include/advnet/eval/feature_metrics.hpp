#pragma once
// Feature-space metrics of generated samples against reference data, on a classifier's features
// (docs/evaluation.md): FID (Heusel et al. 2017), KID (Bińkowski et al. 2018), the Inception Score
// (Salimans et al. 2016), precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et
// al. 2020). The definitions are those of pytorch-fid, torch-fidelity and prdc; where advnet departs
// (FID's rank-deficient covariances), docs/evaluation.md says how and why.
//
// Feature sets are (N, d) float32 tensors, one row per image. Statistics and kernel sums are in
// float64; nearest-neighbour distances come from float32 GEMMs (for_each_distance_block), with each
// comparison that float32 cannot decide recomputed in float64.
#include <cstdint>
#include <string>
#include <vector>

#include "advnet/core/tensor.hpp"

namespace advnet::eval {

// A Gaussian fitted to a feature set: mean (d) and covariance (d × d, row-major, divided by N − 1 as
// numpy.cov), in float64.
struct FeatureStats {
  int64_t n = 0, d = 0;
  std::vector<double> mean, cov;
};
FeatureStats feature_stats(const Tensor& features);

// ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr √(√Σ₁ Σ₂ √Σ₁), the trace term from two symmetric
// eigendecompositions (of Σ₁, then of √Σ₁ Σ₂ √Σ₁). In each, eigenvalues at or below
// kEigenCutoff · d · λ_max count as zero: they are rounding noise of a rank-deficient covariance
// (dead ReLU units), whose square roots (≈ 1e-8 · √λ_max each) would otherwise add up to a visible
// error, and FID(X, X) would not be 0. No εI is added. Throws Error when the dimensions differ.
inline constexpr double kEigenCutoff = 2.220446049250313e-16;  // ε of float64, times d · λ_max
double frechet_distance(const FeatureStats& a, const FeatureStats& b);

struct MeanStd {
  double mean = 0, std = 0;  // std over the subsets or splits, as numpy.std (divided by their count)
};

// KID: the unbiased MMD² estimate with the kernel k(x, y) = (xᵀy / d + 1)³, averaged over subsets:
// each subset is `size` rows of x and `size` rows of y drawn without replacement (torch-fidelity's
// defaults: 100 subsets of 1 000). Throws Error naming both sizes when a set has fewer rows.
struct KidSubsets {
  std::vector<std::vector<int64_t>> x, y;  // per subset, the rows of each set
};
KidSubsets kid_subsets(int64_t n_x, int64_t n_y, int64_t subsets, int64_t size, uint64_t seed);
MeanStd kernel_inception_distance(const Tensor& x, const Tensor& y, const KidSubsets& subsets);

// The Inception Score exp(E_x KL(p(y|x) ‖ p(y))) of softmax(logits), over `splits` consecutive
// splits, rows [k·N/splits, (k+1)·N/splits) (every row in one), as torch-fidelity (without its shuffle).
MeanStd inception_score(const Tensor& logits, int64_t splits = 10);

// Precision: the fraction of fake rows inside some real row's k-NN ball (the ball's radius: the
// distance to its k-th nearest other real row); recall the same with the roles swapped (k = 3 in
// Kynkäänniemi et al.). Density: the mean number of real balls holding a fake row, divided by k;
// coverage: the fraction of real rows whose ball holds a fake row (k = 5 in Naeem et al.). "Inside"
// is strictly closer than the radius, as in prdc; the comparisons are decided on exact distances, the
// k-th neighbour that sets a radius is chosen by float32 distance.
//
// The real set's radii depend on it alone, so they are computed once per reference set (RealRadii,
// one pass over its distances); the four scores then take two passes, the fake set's own distances
// (its radii for recall) and the fake × real ones, which decide all four at once.
struct RealRadii {
  int64_t pr_k = 3, dc_k = 5;
  std::vector<double> pr, dc;  // (N): squared distance to the pr_k-th and the dc_k-th nearest other row
};
// Throws Error when real has k rows or fewer (k the larger of the two).
RealRadii real_radii(const Tensor& real, int64_t pr_k = 3, int64_t dc_k = 5);

struct NeighbourScores {
  double precision = 0, recall = 0, density = 0, coverage = 0;
};
// Throws Error when the fake set is empty or has pr_k rows or fewer (its radii), when the radii are not
// real's (another row count), or when the dimensions differ.
NeighbourScores neighbour_scores(const Tensor& real, const RealRadii& radii, const Tensor& fake);

// For each k of ks: the squared distance of each row of x to its k-th nearest other row (the row
// itself excluded), all from one pass: ks.size() vectors of N.
std::vector<std::vector<double>> kth_neighbour_sq_distances(const Tensor& x, const std::vector<int64_t>& ks);

}  // namespace advnet::eval
