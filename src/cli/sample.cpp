// advnet sample CHECKPOINT -n N --out FILE.npy|FILE.png [--seed S] [--noise Z.npy] [--live]
#include <cmath>
#include <cstdio>

#include "advnet/run/checkpoint.hpp"
#include "advnet/run/generator_model.hpp"
#include "advnet/io/npy.hpp"
#include "advnet/io/png.hpp"
#include "commands.hpp"

namespace advnet::cli {
namespace {

struct SampleArgs {
  std::string checkpoint, out, noise;
  bool live = false;
  int64_t n = 100;
  uint64_t seed = 0;
};

int run_sample(const SampleArgs& a) {
  const bool png = a.out.ends_with(".png"), npy = a.out.ends_with(".npy");
  if (!png && !npy) throw Error("--out " + a.out + ": expected a .npy or .png file name");
  run::GeneratorModel g = load_generator(a.checkpoint, a.live);
  Tensor x;
  int64_t n = a.n;
  if (!a.noise.empty()) {
    const Tensor z = io::read_npy(a.noise);
    if (z.shape().rank() != 2 || z.dim(1) != g.noise_dim())
      throw Error(a.noise + ": noise of shape " + z.shape().str() + " is not (N, " + std::to_string(g.noise_dim()) + ")");
    g.apply(z, x);
    n = z.dim(0);
  } else {
    g.sample(n, a.seed, x);
  }
  if (npy) {
    io::write_npy(a.out, x);
  } else {
    const auto& s = g.image_shape();
    if (s.size() != 3) throw Error(a.checkpoint + ": this generator does not make images; write a .npy file instead");
    const auto cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    io::write_png_grid(a.out, x, {.rows = (n + cols - 1) / cols, .cols = cols, .channels = s[0], .height = s[1], .width = s[2]});
  }
  std::printf("wrote %lld samples to %s\n", static_cast<long long>(n), a.out.c_str());
  return kOk;
}

}  // namespace

Run add_sample(CLI::App& app) {
  auto a = std::make_shared<SampleArgs>();
  app.add_option("checkpoint", a->checkpoint, "a checkpoint (.safetensors) written by advnet train")->required();
  app.add_option("-n", a->n, "number of samples")->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("--out", a->out, "output: FILE.npy (float32, (N, features)) or FILE.png (a grid)")->required();
  app.add_option("--seed", a->seed, "seed of the noise");
  app.add_option("--noise", a->noise, "apply G to these noise vectors, an (N, z_dim) float32 .npy file");
  add_live_flag(app, a->live);
  return [a] { return run_sample(*a); };
}

}  // namespace advnet::cli
