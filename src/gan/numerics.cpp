#include "advnet/gan/numerics.hpp"

namespace advnet::gan {

Denormals denormal_mode(const TrainingConfig& t) { return t.flush_denormals ? Denormals::flush : Denormals::keep; }

std::string numerics_record(const TrainingConfig& t) {
  // draws: the scheme of gan/streams.hpp (a draw per (stream, step, pass, net, layer, global row));
  // before it, one stream per purpose was drawn in call order, by batch layout.
  return std::string("denormals=") + (t.flush_denormals ? "flush" : "keep") + ";draws=per-example";
}

std::string numerics_notice(const std::string& trained, const TrainingConfig& t) {
  const std::string now = numerics_record(t);
  if (trained == now) return "";
  return "this run was trained with numerics " + trained + "; it continues with " + now +
         ", so its bytes differ from an uninterrupted run of either";
}

}  // namespace advnet::gan
