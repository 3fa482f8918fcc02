#include "advnet/data/dataset.hpp"

#include <cmath>
#include <cstring>
#include <numbers>

#include "advnet/core/error.hpp"
#include "advnet/data/cifar10.hpp"
#include "advnet/data/idx.hpp"
#include "advnet/data/image_folder.hpp"

namespace advnet::data {
namespace {

void check_ranges(const DataConfig& c, int64_t n_file, const std::string& file) {
  auto check_range = [&](int64_t b, int64_t e, const char* key) {
    check(b >= 0 && b < e && e <= n_file, std::string("data.") + key + ": [" + std::to_string(b) + ", " +
                                              std::to_string(e) + ") is not a non-empty range inside the " +
                                              std::to_string(n_file) + " examples of " + file);
  };
  check_range(c.train_begin, c.train_end, "train_range");
  check_range(c.valid_begin, c.valid_end, "valid_range");
}

// The whole images and labels files of `stem` ("train" or "t10k") in an MNIST-format folder.
Dataset read_idx_pair(const std::string& dir, const std::string& stem, std::string* images_file = nullptr) {
  const std::string images = find_idx_file(dir, stem + "-images-idx3-ubyte");
  const std::string labels = find_idx_file(dir, stem + "-labels-idx1-ubyte");
  Dataset d;
  d.x = read_idx_images(images, &d.image_height, &d.image_width);
  d.labels = read_idx_labels(labels);
  check(static_cast<int64_t>(d.labels.size()) == d.x.dim(0),
        labels + ": " + std::to_string(d.labels.size()) + " labels for " + std::to_string(d.x.dim(0)) +
            " images in " + images);
  d.image_channels = 1;
  if (images_file) *images_file = images;
  return d;
}

Dataset load_idx(const DataConfig& c, Split split) {
  const bool test = split == Split::test;
  std::string images;
  Dataset d = read_idx_pair(c.path, test ? "t10k" : "train", &images);
  if (test) return d;
  check_ranges(c, d.x.dim(0), images);
  const int64_t b = split == Split::train ? c.train_begin : c.valid_begin;
  const int64_t e = split == Split::train ? c.train_end : c.valid_end;
  if (b != 0 || e != d.x.dim(0)) d.x = slice_rows(d.x, b, e);
  d.labels.assign(d.labels.begin() + b, d.labels.begin() + e);
  return d;
}

Dataset load_cifar10(const DataConfig& c, Split split) {
  const bool test = split == Split::test;
  LabelledImages all = read_cifar10(c.path, test);
  int64_t b = 0, e = all.x.dim(0);
  if (!test) {
    check_ranges(c, all.x.dim(0), c.path + "/data_batch_{1..5}.bin");
    b = split == Split::train ? c.train_begin : c.valid_begin;
    e = split == Split::train ? c.train_end : c.valid_end;
  }
  Dataset d;
  d.x = (b == 0 && e == all.x.dim(0)) ? std::move(all.x) : slice_rows(all.x, b, e);
  d.labels.assign(all.labels.begin() + b, all.labels.begin() + e);
  d.image_channels = 3, d.image_height = 32, d.image_width = 32;
  return d;
}

Dataset load_image_folder(const DataConfig& c, Split split) {
  ImageFolder all = read_image_folder(c.path);
  check_ranges(c, all.x.dim(0), c.path + " (" + std::to_string(all.x.dim(0)) + " images; set data.train_range and data.valid_range)");
  const int64_t b = split == Split::train ? c.train_begin : c.valid_begin;
  const int64_t e = split == Split::train ? c.train_end : c.valid_end;
  Dataset d;
  d.x = slice_rows(all.x, b, e);
  d.image_channels = all.channels, d.image_height = all.height, d.image_width = all.width;
  return d;
}

// The 70 000 digits of an MNIST-format folder, training file then test file.
Dataset read_all_digits(const std::string& dir) {
  std::string test_images;
  Dataset all = read_idx_pair(dir, "train"), test = read_idx_pair(dir, "t10k", &test_images);
  check(test.image_height == all.image_height && test.image_width == all.image_width,
        test_images + ": " + std::to_string(test.image_height) + "×" + std::to_string(test.image_width) +
            " images, the training file's are " + std::to_string(all.image_height) + "×" + std::to_string(all.image_width));
  for (const auto& [part, stem] : {std::pair{&all, "train"}, std::pair{&test, "t10k"}})
    for (int32_t v : part->labels)
      if (v < 0 || v > 9)  // the message (a file lookup) built only on failure
        throw Error(find_idx_file(dir, std::string(stem) + "-labels-idx1-ubyte") + ": label " + std::to_string(v) +
                    " is not a digit 0–9 (stacked_mnist needs MNIST)");
  all.labels.insert(all.labels.end(), test.labels.begin(), test.labels.end());
  Tensor x(Shape{all.x.dim(0) + test.x.dim(0), all.x.shape().inner()});
  std::memcpy(x.data(), all.x.data(), static_cast<size_t>(all.x.numel()) * sizeof(float));
  std::memcpy(x.data() + all.x.numel(), test.x.data(), static_cast<size_t>(test.x.numel()) * sizeof(float));
  all.x = std::move(x);
  return all;
}

Dataset load_stacked_mnist(const DataConfig& c, Split split) {
  check(c.size > 0, "data.size: must be positive, got " + std::to_string(c.size));
  const Dataset digits = read_all_digits(c.path);
  const int64_t n = c.size, pixels = digits.x.shape().inner(), pool = digits.x.dim(0);
  Rng rng = Rng(c.seed).split(static_cast<uint64_t>(split));
  Dataset d;
  d.x = Tensor(Shape{n, kStackedDigits * pixels});  // (N, 3·H·W): channel j is digit j, CHW
  d.labels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int32_t mode = 0;
    for (int64_t j = 0; j < kStackedDigits; ++j) {
      const auto k = static_cast<int64_t>(rng.below(static_cast<uint64_t>(pool)));
      std::memcpy(d.x.data() + (i * kStackedDigits + j) * pixels, digits.x.data() + k * pixels,
                  static_cast<size_t>(pixels) * sizeof(float));
      mode = 10 * mode + digits.labels[static_cast<size_t>(k)];
    }
    d.labels[static_cast<size_t>(i)] = mode;
  }
  d.image_channels = kStackedDigits, d.image_height = digits.image_height, d.image_width = digits.image_width;
  return d;
}

Dataset load_synthetic(const DataConfig& c, Split split) {
  check(c.size > 0, "data.size: must be positive, got " + std::to_string(c.size));
  Rng rng = Rng(c.seed).split(static_cast<uint64_t>(split));
  const int64_t n = c.size;
  Dataset d;
  std::vector<float> u(static_cast<size_t>(n)), g(static_cast<size_t>(2 * n));
  rng.uniform(u.data(), n, 0.0f, 1.0f);
  rng.normal(g.data(), 2 * n, 0.0f, 1.0f);
  if (c.kind == DataKind::gaussian_1d || c.kind == DataKind::mixture_1d) {
    const size_t k = c.means.size();
    check(k > 0 && c.stds.size() == k && (c.weights.size() == k || c.kind == DataKind::gaussian_1d),
          "data: means, stds and weights must have the same, non-zero length");
    double total = 0;
    for (size_t j = 0; j < k; ++j) {
      check(c.stds[j] > 0, "data.stds: every std must be positive");
      total += c.kind == DataKind::gaussian_1d ? 1.0 : c.weights[j];
    }
    d.x = Tensor(Shape{n, 1});
    d.labels.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      // Pick the component by inverting the cumulative weights.
      double acc = 0;
      size_t j = 0;
      for (; j + 1 < k; ++j) {
        acc += (c.kind == DataKind::gaussian_1d ? 1.0 : c.weights[j]) / total;
        if (u[static_cast<size_t>(i)] < acc) break;
      }
      d.x[i] = static_cast<float>(c.means[j] + c.stds[j] * g[static_cast<size_t>(i)]);
      d.labels[static_cast<size_t>(i)] = static_cast<int32_t>(j);  // the component
    }
  } else if (c.kind == DataKind::ring_2d || c.kind == DataKind::grid_2d) {
    check(c.std > 0, "data.std: must be positive");
    const std::vector<std::array<double, 2>> centres = mode_centres(c);
    const auto modes = static_cast<int64_t>(centres.size());
    d.x = Tensor(Shape{n, 2});
    d.labels.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const int64_t m = std::min<int64_t>(modes - 1, static_cast<int64_t>(u[static_cast<size_t>(i)] * modes));
      d.labels[static_cast<size_t>(i)] = static_cast<int32_t>(m);  // the mode
      const auto [mx, my] = centres[static_cast<size_t>(m)];
      d.x[2 * i] = static_cast<float>(mx + c.std * g[static_cast<size_t>(2 * i)]);
      d.x[2 * i + 1] = static_cast<float>(my + c.std * g[static_cast<size_t>(2 * i + 1)]);
    }
  } else {
    throw Error("data.kind: " + name_of(c.kind) + " is not synthetic data");
  }
  return d;
}

}  // namespace

std::vector<std::array<double, 2>> mode_centres(const DataConfig& c) {
  if (c.kind != DataKind::ring_2d && c.kind != DataKind::grid_2d)
    throw Error("data.kind: " + name_of(c.kind) + " has no modes (mode coverage needs ring_2d or grid_2d)");
  const int64_t modes = c.kind == DataKind::ring_2d ? c.modes : c.grid * c.grid;
  check(modes > 0, "data: the number of modes must be positive");
  std::vector<std::array<double, 2>> out(static_cast<size_t>(modes));
  for (int64_t m = 0; m < modes; ++m) {
    if (c.kind == DataKind::ring_2d) {
      const double a = 2.0 * std::numbers::pi * static_cast<double>(m) / static_cast<double>(modes);
      out[static_cast<size_t>(m)] = {c.radius * std::cos(a), c.radius * std::sin(a)};
    } else {
      const double offset = (static_cast<double>(c.grid) - 1.0) / 2.0;
      out[static_cast<size_t>(m)] = {(static_cast<double>(m % c.grid) - offset) * c.spacing,
                                     (static_cast<double>(m / c.grid) - offset) * c.spacing};
    }
  }
  return out;
}

DataConfig DataConfig::for_kind(DataKind kind) {
  DataConfig d;
  d.kind = kind;
  if (kind == DataKind::fashion_mnist) d.path = "/usr/share/datasets/fashion-mnist";
  if (kind == DataKind::cifar10) d.path = "data/cifar10", d.train_end = 40000, d.valid_begin = 40000, d.valid_end = 50000;
  if (kind == DataKind::image_folder) d.path = "";  // required
  if (kind == DataKind::stacked_mnist) d.size = 128000;  // PacGAN's num_training_sample
  return d;
}

Dataset load(const DataConfig& config, Split split) {
  Dataset d = config.kind == DataKind::cifar10        ? load_cifar10(config, split)
              : config.kind == DataKind::image_folder ? load_image_folder(config, split)
              : config.is_stacked()           ? load_stacked_mnist(config, split)
              : config.is_image()             ? load_idx(config, split)
                                              : load_synthetic(config, split);
  if (config.gcn > 0) {
    check(config.is_image(), "data.gcn: global contrast normalisation applies to image data only");
    global_contrast_normalize(d.x, static_cast<float>(config.gcn));
  }
  return d;
}

double mixture_pdf(const DataConfig& c, double x) {
  double total = 0, p = 0;
  for (size_t j = 0; j < c.means.size(); ++j) {
    const double w = c.kind == DataKind::gaussian_1d ? 1.0 : c.weights[j];
    const double z = (x - c.means[j]) / c.stds[j];
    p += w * std::exp(-0.5 * z * z) / (c.stds[j] * std::sqrt(2.0 * std::numbers::pi));
    total += w;
  }
  return p / total;
}

Tensor slice_rows(const Tensor& x, int64_t begin, int64_t end) {
  const int64_t per = x.shape().inner();
  Tensor out(x.shape().with_batch(end - begin));
  if (end > begin) std::memcpy(out.data(), x.data() + begin * per, static_cast<size_t>((end - begin) * per) * sizeof(float));
  return out;
}

}  // namespace advnet::data
