#pragma once
// Data sets the trainer reads: MNIST-format IDX directories and synthetic distributions.
#include <cstdint>
#include <array>
#include <string>
#include <vector>

#include "advnet/core/rng.hpp"
#include "advnet/core/schema.hpp"
#include "advnet/core/tensor.hpp"

namespace advnet::data {

enum class DataKind {
  mnist, fashion_mnist,  // IDX files in `path`
  cifar10,               // the binary batches in `path`
  image_folder,          // PNG/JPEG files in `path`
  gaussian_1d, mixture_1d, ring_2d, grid_2d,  // synthetic
  stacked_mnist,         // three MNIST digits of `path` as the channels of one image (drawn from `seed`)
};
inline constexpr EnumName<DataKind> kDataKinds[] = {
    {DataKind::mnist, "mnist"},           {DataKind::fashion_mnist, "fashion_mnist"}, {DataKind::cifar10, "cifar10"},
    {DataKind::image_folder, "image_folder"}, {DataKind::gaussian_1d, "gaussian_1d"}, {DataKind::mixture_1d, "mixture_1d"},
    {DataKind::ring_2d, "ring_2d"},       {DataKind::grid_2d, "grid_2d"},            {DataKind::stacked_mnist, "stacked_mnist"}};
constexpr std::span<const EnumName<DataKind>> names(DataKind) { return kDataKinds; }

struct DataConfig {
  DataKind kind = DataKind::mnist;
  std::string path = "data/mnist";
  // Index ranges [begin, end) into the training file(s); the test split is the whole t10k file
  // (MNIST), test_batch.bin (CIFAR-10), or the validation range again (image folders have no test set).
  int64_t train_begin = 0, train_end = 50000;
  int64_t valid_begin = 50000, valid_end = 60000;
  // Synthetic and stacked sets: how many examples make one epoch, drawn once from `seed`.
  int64_t size = 50000;
  uint64_t seed = 1234;
  std::vector<double> means{0.0}, stds{1.0}, weights{1.0};  // gaussian_1d / mixture_1d
  int64_t modes = 8;        // ring_2d: number of Gaussians on the circle
  double radius = 1.0;      // ring_2d
  int64_t grid = 5;         // grid_2d: grid × grid Gaussians
  double spacing = 2.0;     // grid_2d: distance between neighbouring means, centred at 0
  double std = 0.01;        // ring_2d and grid_2d component std

  // Global contrast normalisation scale for image data (pylearn2 gcn); 0 leaves pixels in [0, 1].
  double gcn = 0.0;

  bool is_image() const {
    return kind == DataKind::mnist || kind == DataKind::fashion_mnist || kind == DataKind::cifar10 ||
           kind == DataKind::image_folder;
  }
  // The defaults of a kind: where its files usually are and its usual train/validation split.
  static DataConfig for_kind(DataKind kind);
  bool is_1d() const { return kind == DataKind::gaussian_1d || kind == DataKind::mixture_1d; }
  // Stacked MNIST (VEEGAN, Srivastava et al. 2017; PacGAN): the third kind beside image files and synthetic
  // distributions: examples drawn from `seed` (like synthetic data) out of the image files in `path`.
  bool is_stacked() const { return kind == DataKind::stacked_mnist; }
  bool operator==(const DataConfig&) const = default;
};

enum class Split { train, valid, test };

struct Dataset {
  Tensor x;                            // (N, features), images CHW, scaled to [0, 1] unless gcn
  std::vector<int32_t> labels;         // one per example: the class, or a synthetic set's component or mode; empty for image folders
  int64_t image_channels = 0, image_height = 0, image_width = 0;  // 0 for non-image data
};

// Loads a split. Synthetic data draws from the same distribution for every split, with a
// different stream per split.
Dataset load(const DataConfig& config, Split split);

// The means of a 2-D mixture's modes (ring_2d: `modes` points on the circle of `radius`, the first
// at angle 0; grid_2d: grid × grid points `spacing` apart, centred at 0, row by row), mode m being
// the label of its examples. The loader draws around them and eval::mode_coverage scores samples
// against them. Throws Error naming data.kind for data without modes.
std::vector<std::array<double, 2>> mode_centres(const DataConfig& config);

// Stacked MNIST: each example is three digits drawn uniformly, with replacement, from the 60 000 + 10 000
// training and test images of `path` (PacGAN's code: np.random.randint over both files), channel j being
// digit j; its label is the mode, 100·d₀ + 10·d₁ + d₂ (1 000 modes). Every split draws its own `size`
// examples from its own stream of `seed`.
inline constexpr int64_t kStackedDigits = 3, kStackedModes = 1000;

// A 1-D Gaussian mixture's density (gaussian_1d and mixture_1d).
double mixture_pdf(const DataConfig& config, double x);

// Rows [begin, end) of x as a new tensor.
Tensor slice_rows(const Tensor& x, int64_t begin, int64_t end);

}  // namespace advnet::data
