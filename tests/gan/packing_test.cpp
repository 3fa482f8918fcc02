// Packing (PacGAN): the pack layout, its adjoint, what a packed D sees in training, and that packed
// runs are reproducible across a stop in the middle of an epoch.
#include "advnet/gan/packing.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "advnet/gan/trainer.hpp"
#include "advnet/run/config.hpp"

using advnet::Rng;
using advnet::Shape;
using advnet::Tensor;
namespace gan = advnet::gan;
namespace run = advnet::run;

namespace {

// A tiny GAN on 6-feature data whose G has BatchNorm (per-group statistics) and D no row mixing.
gan::GanConfig packed(int64_t pack, const std::string& order = "simultaneous", const std::string& d_first = "") {
  return run::parse_config(R"(
seed = 5
[noise]
dim = 4
[generator]
layers = [{ type = "linear", units = 8, bias = false, init = "normal", std = 0.3 },
          { type = "batch_norm", running = "std", momentum = 0.05, eps = 1e-4 }, { type = "relu" },
          { type = "linear", units = 6, init = "normal", std = 0.3 }]
[discriminator]
layers = [)" + d_first + R"({ type = "maxout", units = 5, pieces = 3, init = "normal", std = 0.3 },
          { type = "linear", units = 1, init = "normal", std = 0.3 }, { type = "sigmoid" }]
[training]
batch_size = 10
d_loss_scale = 1.0
pack = )" + std::to_string(pack) + "\nupdate_order = \"" + order + "\"\n",
                           "packed.toml")
      .gan;
}

Tensor data_rows(int64_t n, int64_t f) {
  Tensor x(Shape{n, f});
  Rng(9).uniform(x.data(), x.numel(), -1.0f, 1.0f);
  return x;
}

bool is_data_row(const Tensor& data, const float* row) {
  const int64_t f = data.shape().inner();
  for (int64_t i = 0; i < data.dim(0); ++i)
    if (std::memcmp(data.data() + i * f, row, static_cast<size_t>(f) * sizeof(float)) == 0) return true;
  return false;
}

}  // namespace

TEST(Packing, PacksTakeRowIOfEveryGroupAndUnpackingIsTheAdjoint) {
  // 3 groups of 2 rows of (2, 1, 2): row r holds the values 10r, 10r + 1, 10r + 2, 10r + 3.
  Tensor rows(Shape{6, 2, 1, 2});
  for (int64_t i = 0; i < rows.numel(); ++i) rows[i] = static_cast<float>(10 * (i / 4) + i % 4);
  Tensor packs;
  gan::pack_groups(rows, 3, packs);
  ASSERT_EQ(packs.shape(), (Shape{2, 6, 1, 2}));  // channels × 3
  // Pack 1 = rows 1, 3, 5 (row 1 of groups 0, 1, 2).
  const float pack1[] = {10, 11, 12, 13, 30, 31, 32, 33, 50, 51, 52, 53};
  EXPECT_EQ(0, std::memcmp(packs.data() + 12, pack1, sizeof pack1));
  // ⟨pack(a), b⟩ = ⟨a, unpack(b)⟩, and unpack(pack(a)) = a.
  Tensor b(packs.shape()), back;
  Rng(3).uniform(b.data(), b.numel(), -1.0f, 1.0f);
  gan::unpack_groups(b, 3, {2, 1, 2}, back);
  ASSERT_EQ(back.shape(), rows.shape());
  double lhs = 0, rhs = 0;
  for (int64_t i = 0; i < b.numel(); ++i) lhs += static_cast<double>(packs[i]) * b[i], rhs += static_cast<double>(rows[i]) * back[i];
  EXPECT_DOUBLE_EQ(lhs, rhs);
  gan::unpack_groups(packs, 3, {2, 1, 2}, back);
  EXPECT_EQ(0, std::memcmp(back.data(), rows.data(), rows.numel() * sizeof(float)));
  EXPECT_EQ(gan::packed_example_shape({3, 28, 28}, 2), (std::vector<int64_t>{6, 28, 28}));
}

TEST(Packing, APackedDiscriminatorSeesPairsOfDataRowsAndInterleavedSamples) {
  const Tensor data = data_rows(200, 6);
  gan::Trainer t(packed(2), data);
  t.init_parameters();
  EXPECT_EQ(t.iterations_per_epoch(), 20);  // 200 / 10 packs whatever the packing
  int calls = 0;
  t.run_epoch([&] { return ++calls == 1; });
  // D's pass on the data: 10 packs of 2 data rows each.
  const Tensor& real = *t.discriminator_tape().input();
  ASSERT_EQ(real.shape(), (Shape{10, 12}));
  for (int64_t i = 0; i < 20; ++i) EXPECT_TRUE(is_data_row(data, real.data() + i * 6)) << "member " << i;
  // D's pass on the samples: G's 2 groups of 10 rows, row i of each in pack i.
  const Tensor& g_out = t.generator_tape().output();
  ASSERT_EQ(g_out.shape(), (Shape{20, 6}));
  Tensor expected;
  gan::pack_groups(g_out, 2, expected);
  const Tensor& fake = *t.discriminator_sample_tape().input();
  ASSERT_EQ(fake.shape(), (Shape{10, 12}));
  EXPECT_EQ(0, std::memcmp(fake.data(), expected.data(), expected.numel() * sizeof(float)));
  // G's BatchNorm normalised each group with its own statistics: two sets on the tape.
  EXPECT_EQ(t.generator_tape().slot(1).saved.dim(0), 2);
  // An epoch's batches are 2 permutations of the data: every row twice.
  std::vector<int> seen(200, 0);
  gan::Trainer whole(packed(2, "alternating"), data);
  whole.init_parameters();
  for (int64_t b = 0; b < whole.iterations_per_epoch(); ++b) {
    gan::EpochStats s;
    whole.run_iteration(s);
    const Tensor& both = *whole.discriminator_tape().input();  // (20, 12): 10 real packs, then 10 fake
    for (int64_t r = 0; r < 20; ++r)
      for (int64_t i = 0; i < 200; ++i)
        if (std::memcmp(data.data() + i * 6, both.data() + r * 6, 6 * sizeof(float)) == 0) ++seen[static_cast<size_t>(i)];
  }
  for (int64_t i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], 2) << "row " << i;
}

TEST(Packing, PackedRunsAreReproducibleAcrossAStopInTheEpoch) {
  const Tensor data = data_rows(200, 6);
  for (const std::string order : {"alternating", "simultaneous"}) {
    gan::Trainer whole(packed(3, order), data), parts(packed(3, order), data), unpacked(packed(1, order), data);
    for (gan::Trainer* t : {&whole, &parts, &unpacked}) t->init_parameters();
    whole.run_epoch();
    int calls = 0;
    parts.run_epoch([&] { return ++calls == 7; });
    parts.run_epoch();
    unpacked.run_epoch();
    for (auto [a, b] : {std::pair{&whole.generator(), &parts.generator()}, {&whole.discriminator(), &parts.discriminator()}})
      EXPECT_EQ(0, std::memcmp(a->params().data(), b->params().data(), a->params().numel() * sizeof(float))) << order;
    EXPECT_EQ(0, std::memcmp(whole.generator().buffers().data(), parts.generator().buffers().data(),
                             whole.generator().buffers().numel() * sizeof(float)));
    EXPECT_NE(0, std::memcmp(whole.generator().params().data(), unpacked.generator().params().data(),
                             whole.generator().params().numel() * sizeof(float)));
  }
}

TEST(Packing, ADiscriminatorThatCannotTakePacksIsRefusedNamingThePack) {
  const Tensor data = data_rows(200, 6);
  try {
    gan::Trainer t(packed(2, "simultaneous", R"({ type = "reshape", shape = [1, 2, 3] }, { type = "flatten" }, )"), data);
    FAIL() << "a D reshaping to one example's shape was accepted for packs of 2";
  } catch (const advnet::Error& e) {
    EXPECT_NE(std::string(e.what()).find("training.pack = 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(1, 12)"), std::string::npos) << e.what();
  }
}
