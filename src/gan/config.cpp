#include "advnet/gan/config.hpp"

#include <algorithm>
#include <cmath>

namespace advnet::gan {

double scheduled_value(const ScheduleConfig& s, double base, int64_t updates, int64_t epoch) {
  switch (s.kind) {
    case ScheduleKind::constant: return base;
    case ScheduleKind::exponential:
      return std::max(base / std::pow(s.decay_factor, static_cast<double>(updates)), s.min_value);
    case ScheduleKind::linear: {
      if (s.end_epoch <= s.start_epoch) return epoch >= s.start_epoch ? s.final_value : base;
      const double a = std::clamp(static_cast<double>(epoch - s.start_epoch) /
                                      static_cast<double>(s.end_epoch - s.start_epoch), 0.0, 1.0);
      return base * (1.0 - a) + a * s.final_value;
    }
  }
  return base;
}

std::optional<TrainingConflict> training_conflict(const TrainingConfig& t) {
  if (t.update_order == UpdateOrder::simultaneous) {
    // One forward pass of each net serves both updates.
    if (t.k != 1) return TrainingConflict{"k", "the simultaneous update order needs k = 1"};
    if (t.g_steps != 1) return TrainingConflict{"g_steps", "the simultaneous update order needs g_steps = 1"};
    if (t.same_noise)
      return TrainingConflict{"same_noise", "is for the alternating update order (the simultaneous one has one noise batch anyway)"};
  }
  return std::nullopt;
}

}  // namespace advnet::gan
