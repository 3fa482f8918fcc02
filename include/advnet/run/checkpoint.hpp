#pragma once
// Checkpoints: safetensors files holding
//   generator.<i>.weight/bias, discriminator.<i>.weight/bias   (torch.nn.Sequential names; Linear
//                                                                weights (out, in) as torch stores them)
//   optimizer.generator.<state>.<param>, optimizer.discriminator.<state>.<param>   (momentum/Adam buffers)
//   optimizer.<net>.step                                       (Adam's step count, I64)
//   <net>.<i>.num_batches_tracked                               (BatchNorm's count, I64 as in torch;
//                                                                F32 in checkpoints before December 2026,
//                                                                which still load)
//   generator_ema.<i>.weight/bias                              (the moving average of G's parameters,
//                                                                only with training.g_ema > 0)
// and in __metadata__: format, epoch, batch, d_updates, g_updates (every random draw of training
// is a function of the seed and these counters: gan/streams.hpp; older files' rng.noise and
// rng.dropout are ignored), lr_scale, image_shape ("C,H,W" or empty), config (the resolved TOML)
// and numerics (the numerics it was trained with, gan/numerics.hpp; absent in checkpoints written
// before it existed); world_size and allreduce when a job of several ranks wrote it.
// Nothing time-dependent is stored, so a resumed run ends byte-identical to an uninterrupted one.
#include <string>

#include "advnet/core/communicator.hpp"
#include "advnet/gan/trainer.hpp"
#include "advnet/run/config.hpp"
#include "advnet/io/safetensors.hpp"

namespace advnet::run {

// extra: more __metadata__ entries (e.g. the validation score of a best checkpoint).
void save_checkpoint(const std::string& path, gan::Trainer& trainer, const RunConfig& config,
                     const std::vector<int64_t>& image_shape, const std::map<std::string, std::string>& extra = {});
// Loads into a trainer built from the checkpoint's own configuration. Every name and shape is
// checked before the first value is copied, so a mismatch leaves the trainer untouched.
void load_checkpoint(const io::SafetensorsFile& file, gan::Trainer& trainer);
// The configuration stored in a checkpoint.
RunConfig checkpoint_config(const io::SafetensorsFile& file);
std::vector<int64_t> checkpoint_image_shape(const io::SafetensorsFile& file);
// The numerics record of a checkpoint: __metadata__.numerics, or gan::kNumericsUnrecorded.
std::string checkpoint_numerics(const io::SafetensorsFile& file);

// A job of several ranks (core/communicator.hpp): rank 0's whole training state (every tensor a
// checkpoint holds, and the counters) to every rank.
void broadcast_state(Communicator& comm, gan::Trainer& trainer);
// The first tensor of the training state whose bytes differ between the ranks (a 64-bit hash of each,
// compared by an all-reduce of its min and max), or "" when all agree.
std::string first_tensor_differing_across_ranks(Communicator& comm, gan::Trainer& trainer);
// The world size a checkpoint was written by: __metadata__.world_size, 1 when absent (one process).
int64_t checkpoint_world_size(const io::SafetensorsFile& file);

// The prefix of the moving average of G's tensors, and how many a checkpoint holds (0: none).
constexpr const char* kEmaPrefix = "generator_ema.";
size_t count_ema_tensors(const io::SafetensorsFile& file);

}  // namespace advnet::run
