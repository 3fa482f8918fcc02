#pragma once
// Every random stream of a run, derived from its seed, each named once: Rng(seed).split(id). One id
// per purpose, so that no two purposes draw from one stream and a new purpose cannot collide with an
// old one by accident. The values are fixed: changing one changes a run's bytes and makes old
// checkpoints resume differently.
#include <cstdint>

#include "advnet/core/rng.hpp"

namespace advnet::gan {

enum class Stream : uint64_t {
  noise = 1,                // G's input noise in training (its state is checkpointed)
  dropout = 2,              // dropout masks in training (checkpointed)
  batches = 3,              // the order of the training examples, one split per epoch
  init_generator = 10,      // G's initial parameters
  init_discriminator = 11,  // D's initial parameters
  validation_noise = 98,    // the validation Parzen score's samples: the same noise every evaluation
  sample_grid = 99,         // samples/epoch-NNNN.png: the same noise every epoch
};

inline Rng stream(uint64_t seed, Stream s) { return Rng(seed).split(static_cast<uint64_t>(s)); }

// The 1-D diagnostics (eval::toy1d_diagnostics) take a seed rather than a stream: the run's seed + 97.
inline uint64_t toy1d_diagnostics_seed(uint64_t seed) { return seed + 97; }

}  // namespace advnet::gan
