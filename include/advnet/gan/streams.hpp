#pragma once
// Every random stream of a run, derived from its seed, each named once: Rng(seed).split(id). One id
// per purpose, so that no two purposes draw from one stream and a new purpose cannot collide with an
// old one by accident. The values are fixed: changing one changes a run's bytes and makes old
// checkpoints resume differently.
#include <cstdint>

#include "advnet/core/rng.hpp"

namespace advnet::gan {

enum class Stream : uint64_t {
  noise = 1,                // G's input noise in training (per step, pass and row: below)
  dropout = 2,              // dropout masks in training (per step, net, pass, layer and row)
  batches = 3,              // the order of the training examples, one split per epoch
  init_generator = 10,      // G's initial parameters
  init_discriminator = 11,  // D's initial parameters
  validation_noise = 98,    // the validation Parzen score's samples: the same noise every evaluation
  sample_grid = 99,         // samples/epoch-NNNN.png: the same noise every epoch
};

inline Rng stream(uint64_t seed, Stream s) { return Rng(seed).split(static_cast<uint64_t>(s)); }

// The draw scheme (numerics record "draws=per-example"). Every random draw of training is a function
// of (stream, step, pass, net, layer, global row), never of the batch's layout:
//   noise z, row i:        row_stream(step_stream(seed, noise, step, generator), pass, 0, i)
//   dropout, layer l, row i: row_stream(step_stream(seed, dropout, step, net), pass, l, i)
// (nn::row_stream; a pass's blocks of rows carry their pass and first global row: nn::RowBlock).
// step: D's update count at the start of a D step, G's at the start of a G step; the pass tells the
// D step's samples from the G step's and D's data rows from its generated rows. So a process that
// holds rows [a, b) of a batch draws exactly what those rows draw in the whole batch.
enum class Pass : uint64_t {
  data = 1,            // D on a batch of data in D's step
  generated = 2,       // G in D's step, and D on those samples
  generator_step = 3,  // G in G's step, and D on those samples
};
enum class NetId : uint64_t { generator = 1, discriminator = 2 };

inline Rng step_stream(uint64_t seed, Stream s, int64_t step, NetId net) {
  return stream(seed, s).split(static_cast<uint64_t>(step)).split(static_cast<uint64_t>(net));
}

// The 1-D diagnostics (eval::toy1d_diagnostics) take a seed rather than a stream: the run's seed + 97.
inline uint64_t toy1d_diagnostics_seed(uint64_t seed) { return seed + 97; }

}  // namespace advnet::gan
