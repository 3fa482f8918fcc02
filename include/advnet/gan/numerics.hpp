#pragma once
// The numerics a run trains with: what decides its bytes besides the configuration's game, the seed
// and the thread count. Each checkpoint records it (__metadata__.numerics). Same numerics → same
// bytes across a resume; a checkpoint of other numerics (or of none recorded: written before the
// record existed) resumes, evaluates and samples with the current ones, and the run says so once.
// advnet keeps no old numeric path alive for old checkpoints: a change of draws, rounding or
// summation order that changes bytes adds or changes a part here.
#include <string>

#include "advnet/core/float_mode.hpp"
#include "advnet/gan/config.hpp"

namespace advnet::gan {

// The record: "part=value" items joined by ";", e.g. "denormals=flush;draws=per-example".
std::string numerics_record(const TrainingConfig& t);

// What a checkpoint without a record was trained with.
inline const std::string kNumericsUnrecorded =
    "unrecorded (before numerics records: denormals kept, draws by batch layout)";

Denormals denormal_mode(const TrainingConfig& t);

// "" when `trained` (a checkpoint's record, kNumericsUnrecorded if it has none) equals the current
// numerics of `t`; otherwise the one-line notice a resume, evaluation or sampling prints.
std::string numerics_notice(const std::string& trained, const TrainingConfig& t);

}  // namespace advnet::gan
