#include "advnet/run/config.hpp"

#include <gtest/gtest.h>

#include "config_text.hpp"
#include "advnet/gan/paper_nets.hpp"

using advnet::Error;
namespace run = advnet::run;
namespace gan = advnet::gan;

using advnet::testing::config_error;
using advnet::testing::kMinimalConfig;

namespace {

const std::string kConfigs = std::string(ADVNET_SOURCE_DIR) + "/configs/";

// a: read from a config (resolved); b: built in code.
void expect_same_layers(const std::vector<advnet::nn::LayerSpec>& a, const std::vector<advnet::nn::LayerSpec>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i] == advnet::nn::resolve(b[i])) << i << " " << a[i].type;
}

}  // namespace

TEST(Config, PaperMnistIsTheReferenceConfiguration) {
  const run::RunConfig c = run::load_config(kConfigs + "paper_mnist.toml");
  expect_same_layers(c.gan.generator, advnet::gan::paper_mnist_generator());
  expect_same_layers(c.gan.discriminator, advnet::gan::paper_mnist_discriminator());
  EXPECT_TRUE(c.gan.g_output_bias_from_data);
  EXPECT_EQ(c.gan.noise.kind, gan::NoiseKind::uniform);
  EXPECT_EQ(c.gan.noise.dim, 100);
  EXPECT_EQ(c.gan.optimizer.kind, gan::OptimizerKind::sgd);
  EXPECT_EQ(c.gan.optimizer.form, advnet::nn::Sgd::Form::pylearn2);
  EXPECT_FLOAT_EQ(c.gan.optimizer.lr, 0.1f);
  EXPECT_FLOAT_EQ(c.gan.optimizer.momentum, 0.5f);
  EXPECT_EQ(c.gan.lr_schedule.kind, gan::ScheduleKind::exponential);
  EXPECT_DOUBLE_EQ(c.gan.lr_schedule.decay_factor, 1.000004);
  EXPECT_DOUBLE_EQ(c.gan.lr_schedule.min_value, 1e-6);
  EXPECT_EQ(c.gan.momentum_schedule.start_epoch, 1);
  EXPECT_EQ(c.gan.momentum_schedule.end_epoch, 250);
  EXPECT_DOUBLE_EQ(c.gan.momentum_schedule.final_value, 0.7);
  EXPECT_EQ(c.gan.training.batch_size, 100);
  EXPECT_EQ(c.gan.training.k, 1);
  EXPECT_EQ(c.gan.training.update_order, gan::UpdateOrder::simultaneous);
  EXPECT_EQ(c.data.train_begin, 0);
  EXPECT_EQ(c.data.train_end, 50000);
  EXPECT_EQ(c.data.valid_end, 60000);
}

TEST(Config, EveryShippedConfigRoundTripsThroughTheResolvedToml) {
  for (const char* name : {"paper_mnist", "paper_fashion_mnist", "toy_1d", "ring8", "grid25"}) {
    const run::RunConfig c = run::load_config(kConfigs + name + ".toml");
    const std::string text = run::to_toml(c);
    const run::RunConfig again = run::parse_config(text, name);
    EXPECT_EQ(run::to_toml(again), text) << name;
    expect_same_layers(again.gan.discriminator, c.gan.discriminator);
  }
}

TEST(Config, DefaultsApplyAndOverridesWin) {
  const run::RunConfig c = run::parse_config(kMinimalConfig, "m.toml", {"data.path=/some/dir", "training.epochs=3", "seed=9"});
  EXPECT_EQ(c.data.path, "/some/dir");  // not valid TOML, taken as a plain string
  EXPECT_EQ(c.gan.training.epochs, 3);
  EXPECT_EQ(c.gan.seed, 9u);
  EXPECT_EQ(c.gan.training.update_order, gan::UpdateOrder::alternating);
  EXPECT_EQ(c.gan.training.g_loss, gan::GLoss::non_saturating);
  const run::RunConfig f = run::parse_config(kMinimalConfig + "[data]\nkind = \"fashion_mnist\"\n", "f.toml");
  EXPECT_EQ(f.data.path, "/usr/share/datasets/fashion-mnist");
}

TEST(Config, ErrorsNameTheKeyAndWhatIsAllowed) {
  std::string m = config_error(kMinimalConfig + "[data]\npth = \"x\"\n");
  EXPECT_NE(m.find("test.toml: data.pth: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("path"), std::string::npos) << m;
  m = config_error(kMinimalConfig + "[training]\nbatch_size = \"100\"\n");
  EXPECT_NE(m.find("training.batch_size: expected an integer, got a string"), std::string::npos) << m;
  m = config_error(kMinimalConfig + "[training]\nbatch_size = 0\n");
  EXPECT_NE(m.find("training.batch_size: 0 is out of range"), std::string::npos) << m;
  m = config_error(kMinimalConfig + "[optimizer]\nmomentum = 1.0\n");
  EXPECT_NE(m.find("optimizer.momentum: 1 is out of range [0, 1)"), std::string::npos) << m;
  m = config_error(kMinimalConfig + "[training]\nupdate_order = \"random\"\n");
  EXPECT_NE(m.find("'random' is not one of alternating, simultaneous"), std::string::npos) << m;
  m = config_error(R"([generator]
layers = [{ type = "relu", units = 3 }]
[discriminator]
layers = [{ type = "linear", units = 1 }])");
  EXPECT_NE(m.find("generator.layers[0].units: not a key of relu layers"), std::string::npos) << m;
  m = config_error(R"([generator]
layers = [{ type = "linear", units = 3, init = "uniform" }]
[discriminator]
layers = [{ type = "linear", units = 1 }])");
  EXPECT_NE(m.find("irange: is required"), std::string::npos) << m;
  m = config_error("[generator]\nlayers = []\n");
  EXPECT_NE(m.find("generator.layers"), std::string::npos) << m;
  m = config_error("x = [1,\n");
  EXPECT_NE(m.find("invalid TOML"), std::string::npos) << m;
  m = config_error(kMinimalConfig, {"nonsense"});
  EXPECT_NE(m.find("expected key=value"), std::string::npos) << m;
  m = config_error(kMinimalConfig, {"training.epoch=3"});
  EXPECT_NE(m.find("training.epoch: unknown key"), std::string::npos) << m;
  m = config_error(kMinimalConfig + "[data]\nkind = \"gaussian_1d\"\n[training]\npack = 2\n");
  EXPECT_NE(m.find("training.pack: the 1-D diagnostics"), std::string::npos) << m;
}

// [generator.optimizer] / [discriminator.optimizer] override the shared [optimizer] per net (TTUR),
// starting from its values; the resolved TOML writes them back; their keys are checked like the rest.
TEST(Config, PerNetOptimizersOverrideTheSharedOne) {
  const std::string text = kMinimalConfig + R"(
[optimizer]
kind = "adam"
lr = 0.0002
beta1 = 0.5
[generator.optimizer]
lr = 0.0001
[discriminator.optimizer]
lr = 0.0004
beta2 = 0.9
)";
  const run::RunConfig c = run::parse_config(text, "ttur.toml");
  ASSERT_TRUE(c.gan.g_optimizer && c.gan.d_optimizer);
  EXPECT_FLOAT_EQ(c.gan.generator_optimizer().lr, 1e-4f);
  EXPECT_FLOAT_EQ(c.gan.discriminator_optimizer().lr, 4e-4f);
  EXPECT_EQ(c.gan.generator_optimizer().kind, gan::OptimizerKind::adam);       // from [optimizer]
  EXPECT_FLOAT_EQ(c.gan.generator_optimizer().beta1, 0.5f);   // from [optimizer]
  EXPECT_FLOAT_EQ(c.gan.generator_optimizer().beta2, 0.999f); // the default, not D's
  EXPECT_FLOAT_EQ(c.gan.discriminator_optimizer().beta2, 0.9f);
  EXPECT_FLOAT_EQ(c.gan.optimizer.lr, 2e-4f);

  const run::RunConfig again = run::parse_config(run::to_toml(c), "resolved.toml");
  EXPECT_EQ(run::to_toml(again), run::to_toml(c));
  ASSERT_TRUE(again.gan.g_optimizer && again.gan.d_optimizer);
  EXPECT_FLOAT_EQ(again.gan.generator_optimizer().lr, 1e-4f);
  EXPECT_FLOAT_EQ(again.gan.discriminator_optimizer().beta2, 0.9f);

  // Without them, each net uses [optimizer], and the resolved TOML has no per-net table.
  const run::RunConfig shared = run::parse_config(kMinimalConfig, "shared.toml");
  EXPECT_FALSE(shared.gan.g_optimizer || shared.gan.d_optimizer);
  EXPECT_EQ(run::to_toml(shared).find("generator.optimizer"), std::string::npos);
  // --set reaches them too.
  const run::RunConfig set = run::parse_config(kMinimalConfig, "set.toml", {"generator.optimizer.lr=0.003"});
  EXPECT_FLOAT_EQ(set.gan.generator_optimizer().lr, 0.003f);
  EXPECT_FALSE(set.gan.d_optimizer);

  EXPECT_EQ(config_error(kMinimalConfig + "[generator.optimizer]\nlrr = 1\n").rfind("test.toml: generator.optimizer.lrr: unknown key", 0), 0u);
  EXPECT_NE(config_error(kMinimalConfig + "[discriminator.optimizer]\nkind = \"rmsprop\"\n").find("discriminator.optimizer.kind"),
            std::string::npos);
}

// A classifier's configuration goes through the same schema mechanism: the same errors, the same
// round trip through the resolved TOML.
TEST(ClassifierConfig, ShippedConfigsReadAndRoundTrip) {
  for (const char* name : {"classifier_mnist.toml", "classifier_fashion_mnist.toml", "classifier_cifar10.toml"}) {
    const advnet::classify::ClassifierConfig c = run::load_classifier_config(kConfigs + name);
    EXPECT_EQ(c.classes, 10) << name;
    EXPECT_GE(c.layers.size(), 2u) << name;
    EXPECT_EQ(run::parse_classifier_config(run::to_toml(c), "resolved"), c) << name;
  }
}

TEST(ClassifierConfig, ErrorsNameTheFileAndKey) {
  const std::string net = "[net]\nlayers = [{ type = \"linear\", units = 10 }]\n";
  const auto message = [](const std::string& text) {
    try {
      run::parse_classifier_config(text, "c.toml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message("[training]\nepochs = 0\n" + net), "c.toml: training.epochs: 0 is out of range [1, 1073741824]");
  EXPECT_EQ(message("[training]\nk = 1\n" + net).substr(0, 35), "c.toml: training.k: unknown key; al");
  EXPECT_EQ(message("[data]\nkind = \"ring_2d\"\n" + net),
            "c.toml: data.kind: a classifier needs labelled image data (mnist, fashion_mnist, cifar10)");
  EXPECT_EQ(message("seed = 3\n"), "c.toml: net: the configuration needs a [net] table with layers");
  EXPECT_EQ(message("[generator]\n" + net).substr(0, 30), "c.toml: generator: unknown key");
}
