// The draw scheme (gan/streams.hpp, nn::row_stream): every draw of training is a function of
// (stream, step, pass, net, layer, global row). Pinned for a short run, checked against the scheme
// as documented, and independent of how a batch is laid out.
#include <gtest/gtest.h>

#include <cstring>

#include "advnet/gan/noise.hpp"
#include "advnet/gan/streams.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/config.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
namespace gan = advnet::gan;
namespace nn = advnet::nn;

namespace {

// Dropout on G's noise and on D's input: G's first slot holds z · mask · 2, D's its mask.
gan::GanConfig dropout_gan() {
  return advnet::run::parse_config(R"(
seed = 5
[noise]
dim = 6
[generator]
layers = [{ type = "dropout", include_prob = 0.5 }, { type = "linear", units = 12, init = "uniform", irange = 0.05 },
          { type = "sigmoid" }]
[discriminator]
layers = [{ type = "dropout", include_prob = 0.8 }, { type = "maxout", units = 4, pieces = 2, init = "uniform", irange = 0.1 },
          { type = "linear", units = 1, init = "uniform", irange = 0.1 }, { type = "sigmoid" }]
[training]
batch_size = 4
update_order = "alternating"
)",
                                   "dropout_gan.toml")
      .gan;
}

// FNV-1a over the bytes of n floats.
uint64_t fnv(const float* p, int64_t n) {
  uint64_t h = 1469598103934665603ull;
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  for (size_t i = 0; i < static_cast<size_t>(n) * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

// The mask row `row` of pass `pass` draws in layer `layer` of `net` at `step`, by the scheme's words.
std::vector<float> mask_row(uint64_t seed, int64_t step, gan::NetId net, gan::Pass pass, size_t layer, int64_t row,
                            int64_t n, float keep) {
  std::vector<float> m(static_cast<size_t>(n));
  nn::row_stream(gan::step_stream(seed, gan::Stream::dropout, step, net), static_cast<uint64_t>(pass), layer, row)
      .bernoulli(m.data(), n, keep);
  return m;
}

std::vector<float> row_of(const Tensor& t, int64_t r) {
  const int64_t per = t.shape().inner();
  return {t.data() + r * per, t.data() + (r + 1) * per};
}

}  // namespace

// One alternating iteration: the G step's G pass and the D step's pass of 2m rows are what the
// scheme says, real row i and generated row i draw different masks, and the bytes are pinned (these
// draws do not go through a GEMM, so they are the same on every CPU). Changing the scheme changes
// the pins, the numerics record (gan/numerics.cpp) and the README's demo numbers in one commit.
TEST(Draws, AnIterationDrawsWhatTheSchemeSaysAndIsPinned) {
  const gan::GanConfig c = dropout_gan();
  Tensor data(Shape{40, 12});
  Rng(9).uniform(data.data(), data.numel(), 0.0f, 1.0f);
  gan::Trainer t(c, data);
  t.init_parameters();
  t.run_epoch([] { return true; });  // one iteration: D step 0, then G step 0
  const int64_t m = 4;

  // G's pass of its step 0: z from the noise stream, pass generator_step, its mask from G's dropout stream.
  const Tensor& g0 = t.generator_tape().slot(0).y;  // (m, 6) = z · mask · 2
  Tensor z(Shape{m, 6});
  gan::sample_noise(c.noise, gan::step_stream(c.seed, gan::Stream::noise, 0, gan::NetId::generator),
                    static_cast<uint64_t>(gan::Pass::generator_step), 0, z);
  for (int64_t r = 0; r < m; ++r) {
    const std::vector<float> mask = mask_row(c.seed, 0, gan::NetId::generator, gan::Pass::generator_step, 0, r, 6, 0.5f);
    for (int64_t j = 0; j < 6; ++j) ASSERT_EQ(g0[r * 6 + j], z[r * 6 + j] * mask[static_cast<size_t>(j)] * 2.0f) << r;
  }

  // D's pass of its step 0 over data and samples (2m rows): block data rows 0..m−1, block generated 0..m−1.
  const Tensor& d_mask = t.discriminator_tape().slot(0).draws;
  ASSERT_EQ(d_mask.shape(), (Shape{2 * m, 12}));
  for (int64_t r = 0; r < m; ++r) {
    EXPECT_EQ(row_of(d_mask, r), mask_row(c.seed, 0, gan::NetId::discriminator, gan::Pass::data, 0, r, 12, 0.8f));
    EXPECT_EQ(row_of(d_mask, m + r), mask_row(c.seed, 0, gan::NetId::discriminator, gan::Pass::generated, 0, r, 12, 0.8f));
    EXPECT_NE(row_of(d_mask, r), row_of(d_mask, m + r)) << "real row " << r << " and generated row " << r << " share a mask";
  }
  EXPECT_EQ(fnv(g0.data(), g0.numel()), 13959318885059393750ull) << "G's noise and mask of the first G step";
  EXPECT_EQ(fnv(d_mask.data(), d_mask.numel()), 17507345934610198970ull) << "D's masks of the first D step";
}

// A pass over rows [a, b) of a batch, told its first global row, draws what those rows draw in the
// pass over the whole batch; the blocks of a 2m-row pass draw what their passes draw apart.
TEST(Draws, RowsDrawTheSameWhateverBatchHoldsThem) {
  nn::Net d({5}, {nn::layer("dropout", {{"include_prob", 0.5}}), nn::layer("linear", {{"units", 3}})});
  d.init(Rng(1));
  const Rng draws = gan::step_stream(3, gan::Stream::dropout, 7, gan::NetId::discriminator);
  const auto data = static_cast<uint64_t>(gan::Pass::data), generated = static_cast<uint64_t>(gan::Pass::generated);
  Tensor x(Shape{12, 5});
  Rng(2).uniform(x.data(), x.numel(), -1.0f, 1.0f);
  nn::Tape whole, part;
  const nn::RowBlock both[] = {{data, 0, 6}, {generated, 0, 6}};
  d.forward(x, {.mode = nn::Mode::train, .draws = &draws, .blocks = both}, whole);
  // Rows 8..11 of the 2m-row pass are generated rows 2..5.
  const Tensor rows = Tensor::view(x.data() + 8 * 5, Shape{4, 5});
  const nn::RowBlock slice{generated, 2, 4};
  d.forward(rows, {.mode = nn::Mode::train, .draws = &draws, .blocks = {&slice, 1}}, part);
  for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(row_of(part.slot(0).draws, r), row_of(whole.slot(0).draws, 8 + r)) << r;
  const nn::RowBlock short_block{generated, 2, 3};  // 3 rows for a batch of 4: refused, not drawn past
  EXPECT_THROW(d.forward(rows, {.mode = nn::Mode::train, .draws = &draws, .blocks = {&short_block, 1}}, part), advnet::Error);

  // Noise: rows drawn in chunks are the rows drawn at once.
  const gan::NoiseConfig noise{gan::NoiseKind::gaussian, 7};
  Tensor all(Shape{9, 7}), tail(Shape{4, 7});
  const Rng s = gan::step_stream(3, gan::Stream::noise, 7, gan::NetId::generator);
  gan::sample_noise(noise, s, generated, 0, all);
  gan::sample_noise(noise, s, generated, 5, tail);
  EXPECT_EQ(0, std::memcmp(all.data() + 5 * 7, tail.data(), tail.numel() * sizeof(float)));
}
