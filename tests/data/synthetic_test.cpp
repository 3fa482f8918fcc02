#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "advnet/data/batcher.hpp"
#include "advnet/data/dataset.hpp"

namespace data = advnet::data;
using advnet::Tensor;

TEST(Synthetic, RingOfEightGaussians) {
  data::DataConfig c;
  c.kind = advnet::data::DataKind::ring_2d;
  c.size = 4000;
  const data::Dataset d = data::load(c, data::Split::train);
  ASSERT_EQ(d.x.shape(), (advnet::Shape{4000, 2}));
  std::set<int> modes;
  ASSERT_EQ(d.labels.size(), 4000u);  // the mode index of each example
  for (int64_t i = 0; i < 4000; ++i) {
    const double x = d.x[2 * i], y = d.x[2 * i + 1];
    EXPECT_NEAR(std::hypot(x, y), 1.0, 0.06);
    const int mode = static_cast<int>(std::lround(std::atan2(y, x) / (2 * M_PI / 8) + 8)) % 8;
    modes.insert(mode);
    ASSERT_EQ(d.labels[static_cast<size_t>(i)], mode) << "example " << i;
  }
  EXPECT_EQ(modes.size(), 8u);
}

TEST(Synthetic, GridOf25GaussiansAndMixtureWeights) {
  data::DataConfig c;
  c.kind = advnet::data::DataKind::grid_2d;
  c.std = 0.05;
  c.size = 5000;
  const data::Dataset d = data::load(c, data::Split::train);
  std::set<std::pair<long, long>> cells;
  for (int64_t i = 0; i < 5000; ++i) {
    const double x = d.x[2 * i], y = d.x[2 * i + 1];
    EXPECT_NEAR(x, 2.0 * std::round(x / 2.0), 0.3);
    cells.insert({std::lround(x / 2.0), std::lround(y / 2.0)});
    // Mode m sits at column m % 5, row m / 5 of the grid.
    ASSERT_EQ(d.labels[static_cast<size_t>(i)], (std::lround(y / 2.0) + 2) * 5 + std::lround(x / 2.0) + 2);
  }
  EXPECT_EQ(cells.size(), 25u);
  EXPECT_EQ(cells.begin()->first, -2);  // means at {−4, −2, 0, 2, 4}

  data::DataConfig m;
  m.kind = advnet::data::DataKind::mixture_1d;
  m.means = {-3, 3};
  m.stds = {0.5, 0.5};
  m.weights = {1, 3};
  m.size = 20000;
  const data::Dataset md = data::load(m, data::Split::train);
  int right = 0;
  for (int64_t i = 0; i < 20000; ++i) {
    right += md.x[i] > 0;
    ASSERT_EQ(md.labels[static_cast<size_t>(i)], md.x[i] > 0 ? 1 : 0) << "the component of example " << i;
  }
  EXPECT_NEAR(right / 20000.0, 0.75, 0.015);
  EXPECT_NEAR(data::mixture_pdf(m, 3.0), 0.75 / (0.5 * std::sqrt(2 * M_PI)), 1e-9);
}

TEST(Synthetic, SplitsDifferButEachIsReproducible) {
  data::DataConfig c;
  c.kind = advnet::data::DataKind::gaussian_1d;
  c.size = 100;
  const data::Dataset a = data::load(c, data::Split::train), b = data::load(c, data::Split::train),
                      v = data::load(c, data::Split::valid);
  EXPECT_EQ(a.x[17], b.x[17]);
  EXPECT_NE(a.x[17], v.x[17]);
}

TEST(Batcher, EachEpochIsAReproduciblePermutationAndLabelsTravelWithTheirRows) {
  Tensor x(advnet::Shape{10, 1});
  std::vector<int32_t> labels(10);
  for (int i = 0; i < 10; ++i) x[i] = static_cast<float>(i), labels[static_cast<size_t>(i)] = 100 + i;
  data::Batcher b(10, 3, advnet::Rng(5)), again(10, 3, advnet::Rng(5));
  EXPECT_EQ(b.batches_per_epoch(), 3);  // the incomplete last batch is dropped
  Tensor out, out2;
  std::vector<int32_t> out_labels, none;
  std::vector<float> e0, e1;
  for (int64_t epoch = 0; epoch < 2; ++epoch)
    for (int64_t i = 0; i < 3; ++i) {
      b.gather(x, labels, epoch, i, out, out_labels);
      ASSERT_EQ(out_labels.size(), 3u);
      for (int r = 0; r < 3; ++r) {
        (epoch == 0 ? e0 : e1).push_back(out[r]);
        EXPECT_EQ(out_labels[static_cast<size_t>(r)], 100 + static_cast<int32_t>(out[r])) << "a label left its row";
      }
    }
  EXPECT_EQ(std::set<float>(e0.begin(), e0.end()).size(), 9u);  // no repeats within an epoch
  EXPECT_NE(e0, e1);
  none.assign(3, 7);
  again.gather(x, {}, 1, 2, out2, none);  // any (epoch, batch) directly, as a resumed run needs
  EXPECT_EQ(out2[0], e1[6]);
  EXPECT_TRUE(none.empty()) << "unlabelled data give no labels";
  EXPECT_THROW(again.gather(x, std::vector<int32_t>(4), 0, 0, out2, none), advnet::Error);
  EXPECT_THROW(data::Batcher(2, 3, advnet::Rng(1)), advnet::Error);
}
