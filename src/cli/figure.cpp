// advnet figure samples CHECKPOINT --out F.png [--rows R] [--cols C] [--data DIR] [--seed S] [--live]  (Figure 2)
// advnet figure interpolate CHECKPOINT --out F.png [--pairs P] [--steps S] [--seed S] [--live]      (Figure 3)
// advnet figure toy1d RUN_DIR --out F.png [--panels K]                                         (Figure 1)
// advnet figure modes CHECKPOINT --out F.png [--n 2500] [--seed S] [--bn-refresh B] [--live]  (a 2-D ring or grid)
// advnet figure data CONFIG --out F.png [--rows R] [--cols C] [--seed S] [--set key=value]...  (training examples)
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "advnet/core/float_mode.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/eval/figures.hpp"
#include "advnet/eval/modes.hpp"
#include "advnet/gan/noise.hpp"
#include "advnet/gan/numerics.hpp"
#include "advnet/gan/streams.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"
#include "advnet/run/run_dir.hpp"
#include "commands.hpp"

namespace fs = std::filesystem;

namespace advnet::cli {
namespace {

struct FigureArgs {
  std::string input, out, data;
  int64_t rows = 8, cols = 9, pairs = 8, steps = 11, panels = 4, n = eval::kMixtureSamples;
  int64_t bn_refresh = 0;  // figure modes: batches that re-estimate G's BatchNorm statistics first
  std::vector<std::string> sets;  // figure data: configuration overrides
  uint64_t seed = 0;
  bool live = false;  // G's own parameters instead of their moving average
};

run::GeneratorModel load_image_generator(const std::string& path, bool live) {
  run::GeneratorModel g = load_generator(path, live);
  if (g.image_shape().size() != 3) throw Error(path + ": this generator does not make images");
  return g;
}

int run_samples(const FigureArgs& a) {
  run::GeneratorModel g = load_image_generator(a.input, a.live);
  const FloatModeScope fp(gan::denormal_mode(g.config().gan.training));  // the nearest-neighbour search too
  data::DataConfig dc = g.config().data;
  if (!a.data.empty()) dc.path = a.data;
  const data::Dataset train = data::load(dc, data::Split::train);
  Tensor samples;
  g.sample(a.rows * (a.cols - 1), a.seed, samples);
  io::write_png(a.out, eval::nearest_neighbour_figure(samples, train.x, a.rows, a.cols, g.image_shape()));
  std::printf("wrote %s: %lld samples, each row ending with the nearest of %lld training examples\n", a.out.c_str(),
              static_cast<long long>(a.rows * (a.cols - 1)), static_cast<long long>(train.x.dim(0)));
  return kOk;
}

int run_interpolate(const FigureArgs& a) {
  run::GeneratorModel g = load_image_generator(a.input, a.live);
  Tensor ends(Shape{2 * a.pairs, g.noise_dim()});
  Rng rng(a.seed);
  gan::sample_noise(g.config().gan.noise, rng, ends);
  const Tensor from = Tensor::view(ends.data(), Shape{a.pairs, g.noise_dim()});
  const Tensor to = Tensor::view(ends.data() + a.pairs * g.noise_dim(), Shape{a.pairs, g.noise_dim()});
  Tensor images;
  g.apply(eval::interpolate_noise(from, to, a.steps), images);
  const auto& s = g.image_shape();
  io::write_png_grid(a.out, images, {.rows = a.pairs, .cols = a.steps, .channels = s[0], .height = s[1], .width = s[2]});
  std::printf("wrote %s: %lld interpolations of %lld steps in z\n", a.out.c_str(), static_cast<long long>(a.pairs),
              static_cast<long long>(a.steps));
  return kOk;
}

int run_modes(const FigureArgs& a) {
  run::GeneratorModel g = load_generator(a.input, a.live);
  refresh_batch_norm(g, a.input, a.bn_refresh, a.seed);  // as eval modes --bn-refresh: the same samples
  const data::DataConfig& dc = g.config().data;
  std::vector<std::array<double, 2>> centres;
  try {
    centres = data::mode_centres(dc);
  } catch (const Error& e) {
    throw Error(a.input + ": " + e.what());
  }
  Tensor samples;
  g.sample(a.n, a.seed, samples);
  // The title says what eval modes would say of these samples: how many of the modes they capture.
  const eval::ModeCoverage c = eval::mode_coverage(samples, centres, dc.std);
  const std::string captured = std::to_string(c.modes) + " of " + std::to_string(centres.size()) + " modes captured";
  io::write_png(a.out, eval::modes_figure(samples, centres, dc.std, std::to_string(a.n) + " samples, " + captured));
  std::printf("wrote %s: %lld samples, %s, %.1f %% high quality\n", a.out.c_str(), static_cast<long long>(a.n),
              captured.c_str(), 100.0 * c.high_quality);
  return kOk;
}

// A grid of training examples drawn without replacement: what the data look like to G and D (a folder
// of images, CIFAR-10, Stacked MNIST's digit triples), beside the samples of figure samples.
int run_data(const FigureArgs& a) {
  const run::RunConfig c = run::load_config(a.input, a.sets);
  const data::Dataset train = data::load(c.data, data::Split::train);
  if (train.image_channels == 0)
    throw Error(a.input + ": data.kind = \"" + name_of(c.data.kind) + "\" is not images (figure modes draws a 2-D ring or grid)");
  const int64_t total = train.x.dim(0), n = std::min(a.rows * a.cols, total), d = train.x.dim(1);
  std::vector<int64_t> order(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) order[static_cast<size_t>(i)] = i;
  Rng rng(a.seed);
  Tensor picked(Shape{n, d});  // (n, C·H·W)
  for (int64_t i = 0; i < n; ++i) {  // the first n steps of a Fisher–Yates shuffle
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(total - i)));
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    std::copy_n(train.x.data() + order[static_cast<size_t>(i)] * d, d, picked.data() + i * d);
  }
  io::write_png_grid(a.out, picked, {.rows = (n + a.cols - 1) / a.cols, .cols = a.cols, .channels = train.image_channels,
                                     .height = train.image_height, .width = train.image_width});
  std::printf("wrote %s: %lld of %lld training examples (%s)\n", a.out.c_str(), static_cast<long long>(n),
              static_cast<long long>(train.x.dim(0)), name_of(c.data.kind).c_str());
  return kOk;
}

int run_toy1d(const FigureArgs& a) {
  const fs::path dir = fs::path(a.input) / "checkpoints";
  const std::vector<fs::path> epochs = run::epoch_files(dir, ".safetensors");
  if (epochs.empty()) throw Error(dir.string() + ": no epoch-NNNN.safetensors checkpoints (set output.checkpoint_every)");
  std::vector<eval::Toy1d> panels;
  std::vector<std::string> titles;
  for (const size_t i : run::evenly_spaced(epochs.size(), static_cast<size_t>(a.panels))) {
    const io::SafetensorsFile f = io::SafetensorsFile::read(epochs[i].string());
    const run::RunConfig c = run::checkpoint_config(f);
    const data::Dataset train = data::load(c.data, data::Split::train);
    gan::Trainer t(c.gan, train.x, train.labels);
    run::load_checkpoint(f, t);
    panels.push_back(eval::toy1d_diagnostics(c.data, c.gan.noise, t.generator(), t.discriminator(),
                                             gan::toy1d_diagnostics_seed(c.gan.seed)));
    titles.push_back("epoch " + f.meta("epoch"));
    std::printf("%s: max |D - D*| %.4f, JSD %.5f, C(G) %.5f (-log 4 = %.5f)\n", titles.back().c_str(),
                panels.back().max_abs_d_minus_d_star, panels.back().jsd, panels.back().c_g, -std::log(4.0));
  }
  io::write_png(a.out, eval::toy1d_figure(panels, titles));
  std::printf("wrote %s\n", a.out.c_str());
  return kOk;
}

}  // namespace

Run add_figure(CLI::App& app) {
  app.require_subcommand(1);
  auto a = std::make_shared<FigureArgs>();
  CLI::App* samples = app.add_subcommand("samples", "Figure 2: samples with their nearest training examples");
  samples->add_option("checkpoint", a->input, "checkpoint")->required();
  samples->add_option("--out", a->out, "PNG file")->required();
  samples->add_option("--rows", a->rows, "rows")->check(CLI::Range(1, 100));
  samples->add_option("--cols", a->cols, "columns, the last holding the neighbours")->check(CLI::Range(2, 100));
  samples->add_option("--data", a->data, "training data directory (default: the checkpoint's data.path)");
  samples->add_option("--seed", a->seed, "seed of the noise");
  add_live_flag(*samples, a->live);
  CLI::App* interp = app.add_subcommand("interpolate", "Figure 3: straight lines in z between random pairs");
  interp->add_option("checkpoint", a->input, "checkpoint")->required();
  interp->add_option("--out", a->out, "PNG file")->required();
  interp->add_option("--pairs", a->pairs, "rows (pairs of end points)")->check(CLI::Range(1, 100));
  interp->add_option("--steps", a->steps, "points per line, ends included")->check(CLI::Range(2, 100));
  interp->add_option("--seed", a->seed, "seed of the end points");
  add_live_flag(*interp, a->live);
  CLI::App* toy = app.add_subcommand("toy1d", "Figure 1: a 1-D run's densities, D and D* over training");
  toy->add_option("run_dir", a->input, "run directory of configs/toy_1d.toml")->required();
  toy->add_option("--out", a->out, "PNG file")->required();
  toy->add_option("--panels", a->panels, "number of panels")->check(CLI::Range(1, 12));
  CLI::App* modes = app.add_subcommand("modes", "samples of a 2-D ring or grid over its modes (the 3-std discs of eval modes)");
  modes->add_option("checkpoint", a->input, "checkpoint of a ring_2d or grid_2d configuration")->required();
  modes->add_option("--out", a->out, "PNG file")->required();
  modes->add_option("--n", a->n, "samples")->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  modes->add_option("--seed", a->seed, "seed of the noise");
  add_bn_refresh_option(*modes, a->bn_refresh);
  add_live_flag(*modes, a->live);
  CLI::App* data = app.add_subcommand("data", "a grid of training examples of a configuration's data, as the loader gives them");
  data->add_option("config", a->input, "configuration (TOML) whose data are images")->required();
  data->add_option("--out", a->out, "PNG file")->required();
  data->add_option("--rows", a->rows, "rows")->check(CLI::Range(1, 100));
  data->add_option("--cols", a->cols, "columns")->check(CLI::Range(1, 100));
  data->add_option("--seed", a->seed, "seed of the draw");
  data->add_option("--set", a->sets, "override a key, e.g. --set data.path=DIR (repeatable)");
  return [a, samples, interp, modes, data] {
    if (samples->parsed()) return run_samples(*a);
    if (interp->parsed()) return run_interpolate(*a);
    if (modes->parsed()) return run_modes(*a);
    if (data->parsed()) return run_data(*a);
    return run_toy1d(*a);
  };
}

}  // namespace advnet::cli
