// Embeds a trained generator in a C++ program: load a checkpoint written by `advnet train`,
// draw samples, write them as a PNG grid.
//
//   embed_generator CHECKPOINT.safetensors OUT.png [N] [SEED]
#include <advnet/io/png.hpp>
#include <advnet/run/generator_model.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: embed_generator CHECKPOINT.safetensors OUT.png [N] [SEED]\n");
    return 2;
  }
  const int64_t n = argc > 3 ? std::atoll(argv[3]) : 64;
  const uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
  try {
    advnet::run::GeneratorModel g = advnet::run::GeneratorModel::load(argv[1]);
    const auto& shape = g.image_shape();  // (C, H, W)
    if (shape.size() != 3) throw advnet::Error(std::string(argv[1]) + ": this generator does not make images");
    advnet::Tensor images;  // (n, C·H·W), values in [0, 1]
    g.sample(n, seed, images);
    const auto cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    advnet::io::write_png_grid(argv[2], images,
                               {.rows = (n + cols - 1) / cols, .cols = cols, .channels = shape[0], .height = shape[1],
                                .width = shape[2]});
    std::printf("%lld samples of %lldx%lld from %s (noise dim %lld) written to %s\n", static_cast<long long>(n),
                static_cast<long long>(shape[1]), static_cast<long long>(shape[2]), argv[1],
                static_cast<long long>(g.noise_dim()), argv[2]);
  } catch (const advnet::Error& e) {
    std::fprintf(stderr, "embed_generator: %s\n", e.what());
    return 2;
  }
  return 0;
}
