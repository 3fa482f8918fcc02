// The configuration schema and the layer registry drive the reader, the writer and the docs:
// configurations and checkpoints written before them read to the same settings, every declared key
// is read, written and documented, every enumeration rejects an unknown name listing the known ones,
// and docs/configuration.md is what the declarations generate.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_text.hpp"
#include "advnet/data/dataset.hpp"
#include "advnet/io/safetensors.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/nn/layer_type.hpp"
#include "advnet/run/checkpoint.hpp"
#include "advnet/run/config.hpp"

using namespace advnet;
namespace fs = std::filesystem;

using advnet::testing::config_error;
using advnet::testing::kMinimalConfig;

namespace {

const std::string kSource = ADVNET_SOURCE_DIR;
const std::string kOld = kSource + "/tests/run/old_configs/";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// tests/run/old_configs/NAME.resolved.toml: what the hand-written writer before the schema made of
// configs/NAME.toml (or of old_configs/NAME.toml, three configurations that between them use every
// layer type, key and kind). Each reads to the settings its source reads to now, and the new
// writer's text reads back to them too.
TEST(ConfigSchema, ConfigurationsWrittenBeforeTheSchemaReadToTheSameSettings) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(kOld)) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".resolved.toml")) continue;
    const std::string name = file.substr(0, file.size() - std::string(".resolved.toml").size());
    const std::string source = fs::exists(kOld + name + ".toml") ? kOld + name + ".toml" : kSource + "/configs/" + name + ".toml";
    const run::RunConfig fresh = run::load_config(source);
    const run::RunConfig old = run::load_config(entry.path().string());
    EXPECT_TRUE(old == fresh) << name;
    const run::RunConfig again = run::parse_config(run::to_toml(fresh), name + " (rewritten)");
    EXPECT_TRUE(again == fresh) << name;
    EXPECT_EQ(run::to_toml(again), run::to_toml(fresh)) << name;
    ++n;
  }
  EXPECT_EQ(n, 12);  // nine shipped configurations and three others
}

// A checkpoint written before the schema (toy_1d, 2 epochs of 2 000 examples): its configuration
// reads to the same settings, and its tensors load into a trainer built from them.
TEST(ConfigSchema, CheckpointsWrittenBeforeTheSchemaLoad) {
  const io::SafetensorsFile f = io::SafetensorsFile::read(kOld + "toy_1d_epoch2.safetensors");
  const run::RunConfig c = run::checkpoint_config(f);
  EXPECT_TRUE(c == run::load_config(kSource + "/configs/toy_1d.toml", {"training.epochs=2", "data.size=2000"}));
  const data::Dataset d = data::load(c.data, data::Split::train);
  gan::Trainer t(c.gan, d.x);
  run::load_checkpoint(f, t);
  const Tensor w = t.generator().param("0.weight");
  std::vector<float> stored(static_cast<size_t>(w.numel()));
  f.copy_to("generator.0.weight", stored.data(), w.shape());
  for (int64_t i = 0; i < w.numel(); ++i) ASSERT_EQ(w[i], stored[static_cast<size_t>(i)]) << i;
}

// Every key of every registered layer type is read (required ones given, the rest defaulted),
// written back and documented, with no list of keys in the reader, the writer or this test.
TEST(ConfigSchema, EveryRegisteredLayerKeyIsReadWrittenAndDocumented) {
  const std::string reference = run::config_reference();
  for (const nn::LayerType& type : nn::layer_types()) {
    std::string table = "{ type = \"" + type.name + "\"";
    for (const nn::LayerKey& k : type.keys)
      if (!k.default_value && !k.derived_default && !k.applies)  // required everywhere: a smallest value
        table += ", " + k.key.name + " = " +
                 (k.key.type == ValueType::integers ? "[" + std::to_string(static_cast<int64_t>(k.key.lo)) + "]"
                                                    : k.key.type == ValueType::integer
                                                        ? std::to_string(static_cast<int64_t>(k.key.lo))
                                                        : "0.5");
    table += " }";
    const run::RunConfig c = run::parse_config(
        "[generator]\nlayers = [" + table + "]\n[discriminator]\nlayers = [{ type = \"linear\", units = 1 }]\n", type.name);
    const nn::LayerSpec& s = c.gan.generator.at(0);
    for (const nn::LayerKey& k : type.keys)
      EXPECT_EQ(s.has(k.key.name), !k.applies || k.applies(s)) << type.name << "." << k.key.name;
    const std::string written = run::to_toml(c);
    EXPECT_TRUE(run::parse_config(written, "written") == c) << type.name;
    for (const auto& [key, value] : s.args) EXPECT_NE(written.find(key + " = "), std::string::npos) << type.name << "." << key;
    const size_t at = reference.find("#### " + type.name + "\n");
    ASSERT_NE(at, std::string::npos) << type.name << " is not in the reference";
    const std::string section = reference.substr(at, reference.find("####", at + 4) - at);
    for (const nn::LayerKey& k : type.keys)
      EXPECT_NE(section.find("| `" + k.key.name + "` |"), std::string::npos) << type.name << "." << k.key.name;
  }
}

// Kinds are enumerations, read once: an unknown name is an error naming the key and every known name.
TEST(ConfigSchema, UnknownKindsListTheKnownOnes) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"data.kind=\"swiss_roll\"", "data.kind: 'swiss_roll' is not one of mnist, fashion_mnist, cifar10, image_folder, gaussian_1d, mixture_1d, ring_2d, grid_2d"},
      {"noise.kind=\"cauchy\"", "noise.kind: 'cauchy' is not one of uniform, uniform_pm1, gaussian, spherical"},
      {"optimizer.kind=\"rmsprop\"", "optimizer.kind: 'rmsprop' is not one of sgd, adam"},
      {"optimizer.form=\"nesterov\"", "optimizer.form: 'nesterov' is not one of pylearn2, torch"},
      {"schedule.lr.kind=\"cosine\"", "schedule.lr.kind: 'cosine' is not one of constant, exponential, linear"},
      {"training.update_order=\"random\"", "training.update_order: 'random' is not one of alternating, simultaneous"},
      {"training.g_loss=\"wasserstein\"", "training.g_loss: 'wasserstein' is not one of non_saturating, minimax"},
      {"training.gemm=\"fp8\"", "training.gemm: 'fp8' is not one of f32, bf16"},
      {"divergence.on_divergence=\"ignore\"", "divergence.on_divergence: 'ignore' is not one of stop, rollback"},
  };
  for (const auto& [set, message] : cases) EXPECT_NE(config_error(kMinimalConfig, {set}).find("test.toml: " + message), std::string::npos) << set;
  EXPECT_NE(config_error(R"([generator]
layers = [{ type = "convolution" }]
[discriminator]
layers = [{ type = "linear", units = 1 }])").find("generator.layers[0].type: layer type 'convolution' is unknown; expected one of batch_norm, conv2d"),
            std::string::npos);
  // A reshape's extents are checked as the configuration is read, naming the file and the layer.
  for (const auto& [shape, says] : {std::pair{"[0, 4]", "extents must be positive or -1, got 0"},
                                    std::pair{"[-1, -1, 4]", "at most one extent may be -1"}})
    EXPECT_NE(config_error(std::string("[generator]\nlayers = [{ type = \"linear\", units = 16 }]\n[discriminator]\n"
                                   "layers = [{ type = \"reshape\", shape = ") + shape + " }, { type = \"linear\", units = 1 }]")
                  .find(std::string("test.toml: discriminator.layers[0].shape: ") + says),
              std::string::npos)
        << shape;
}

// A key that exists only with some setting is rejected without it, naming the setting.
TEST(ConfigSchema, KeysThatDoNotApplyAreRejected) {
  EXPECT_NE(config_error(kMinimalConfig + "[optimizer]\nbeta1 = 0.5\n").find("test.toml: optimizer.beta1: applies only with kind = \"adam\""),
            std::string::npos);
  EXPECT_NE(config_error(kMinimalConfig + "[data]\nkind = \"ring_2d\"\ngrid = 5\n").find("data.grid: applies only with kind = \"grid_2d\""),
            std::string::npos);
  EXPECT_NE(config_error(kMinimalConfig, {"schedule.lr.final_value=0.1"}).find("schedule.lr.final_value: applies only with kind = \"linear\""),
            std::string::npos);
  EXPECT_NE(config_error(R"([generator]
layers = [{ type = "linear", units = 3, std = 0.1 }]
[discriminator]
layers = [{ type = "linear", units = 1 }])").find("generator.layers[0].std: applies only with init = \"normal\""),
            std::string::npos);
  EXPECT_NE(config_error(kMinimalConfig + "[schedule]\nlr = 1\n").find("schedule.lr: expected a table, got an integer"), std::string::npos);
  EXPECT_NE(config_error(kMinimalConfig + "[schedule]\nwarmup = 1\n").find("schedule.warmup: unknown key; allowed here: lr, momentum"),
            std::string::npos);
}

// The written TOML is toml++'s, with floats as their shortest text: a float32 setting of 0.1 is
// written 0.1, not 0.100000001 (the old writer) or 0.10000000149011612.
TEST(ConfigSchema, WrittenNumbersAreShort) {
  const std::string text = run::to_toml(run::load_config(kSource + "/configs/paper_mnist.toml"));
  EXPECT_NE(text.find("\nlr = 0.1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("irange = 0.05\n"), std::string::npos) << text;
  EXPECT_NE(text.find("decay_factor = 1.000004\n"), std::string::npos) << text;

  // toml++ 3.3's formatter had undefined behaviour on array numbers below 0.1 (src/run/toml.hpp).
  const run::RunConfig m = run::parse_config(
      "[data]\nkind = \"mixture_1d\"\nmeans = [-0.05, 1e-300, 0]\nstds = [0.05, 0.5, 2]\nweights = [0.01, 1, 3]\n" + kMinimalConfig,
      "t.toml");
  EXPECT_TRUE(run::parse_config(run::to_toml(m), "w.toml") == m);
  EXPECT_NE(run::to_toml(m).find("stds = [ 0.05, 0.5, 2.0 ]"), std::string::npos) << run::to_toml(m);
}

// Debian's toml++ 3.3 has undefined behaviour on some non-ASCII characters where it looks for
// whitespace (found by the config fuzz target); the reader hands it those code points moved to a
// private-use plane and moves them back in every string it takes out, so that non-ASCII text reads
// as TOML says, in values, keys and error messages.
TEST(ConfigSchema, NonAsciiTextReadsAsTomlSays) {
  EXPECT_EQ(run::parse_config("name = \"café ¡\" # ¡olé!\n" + kMinimalConfig, "t.toml").name, "café ¡");
  EXPECT_EQ(run::parse_config("name = '''a\n§'''\n" + kMinimalConfig, "t.toml").name, "a\n§");
  // The inputs that reached __builtin_unreachable(): a line-ending backslash's continuation starting
  // with § (valid TOML), and bad values with non-ASCII characters.
  EXPECT_EQ(run::parse_config(R"(name = """a\
  b§""")" "\n" + kMinimalConfig, "t.toml").name, "ab§");
  EXPECT_EQ(run::parse_config(R"(name = """\
   §""")" "\n" + kMinimalConfig, "t.toml").name, "§");
  EXPECT_NE(config_error("name = 1¡\n").find("test.toml:1: invalid TOML"), std::string::npos);
  EXPECT_NE(config_error("\n\xcc\xaa").find("test.toml:2: invalid TOML"), std::string::npos);
  EXPECT_NE(config_error("Z=-'\xc2\xa7").find("test.toml:1: invalid TOML"), std::string::npos);
  EXPECT_NE(config_error(std::string("Z=-\0'\xd1\xb6", 7)).find("invalid TOML"), std::string::npos);
  EXPECT_NE(config_error(R"(name = """\§""")").find("invalid TOML"), std::string::npos);
  // A no-break space is not TOML whitespace (toml++ 3.3 took it for one).
  EXPECT_NE(config_error("name\xc2\xa0= \"x\"\n").find("invalid TOML"), std::string::npos);
  // Keys come back as written in messages; the shifted plane itself is refused.
  EXPECT_NE(config_error(kMinimalConfig + "[training]\n\"épochs\" = 3\n").find("training.épochs: unknown key"), std::string::npos);
  EXPECT_NE(config_error("name = \"\xf3\xb0\x83\xa9\"\n").find("test.toml:1: the private-use characters"), std::string::npos);
  // The written TOML reads back to the same text.
  const run::RunConfig c = run::parse_config("name = \"Ωmega — ü\"\n" + kMinimalConfig, "t.toml");
  EXPECT_EQ(run::parse_config(run::to_toml(c), "w.toml").name, "Ωmega — ü");
}

// docs/configuration.md ends with what `make docs` generates from the declarations.
TEST(ConfigSchema, DocsAreCurrent) {
  const std::string doc = read(kSource + "/docs/configuration.md");
  const std::string marker = "<!-- generated by `make docs`";
  const size_t at = doc.find("\n" + marker);
  ASSERT_NE(at, std::string::npos) << "docs/configuration.md has lost its marker line";
  const size_t end = doc.find('\n', at + 1);
  EXPECT_TRUE(doc.substr(end + 1) == "\n" + run::config_reference())
      << "docs/configuration.md is stale: run make docs (scripts/update_docs.sh) and commit it";
}
