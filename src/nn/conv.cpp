#include "advnet/nn/conv.hpp"
#include "advnet/nn/init.hpp"

#include "advnet/core/kernels.hpp"
#include "dnnl_conv.hpp"

namespace advnet::nn {
namespace {

std::string n2(int64_t a) { return std::to_string(a); }

// The (C, H, W) of an (N, C, H, W) input, or an Error naming the layer.
void check_image_input(const Shape& in, const std::string& who) {
  check(in.rank() == 4, who + ": needs an (N, C, H, W) input, got " + in.str() +
                            " (put a reshape layer with shape = [C, H, W] in front)");
}

void check_options(const ConvOptions& o, const std::string& who) {
  check(o.kernel > 0 && o.stride > 0 && o.padding >= 0 && o.after() >= 0 && o.output_padding >= 0,
        who + ": kernel and stride must be positive, padding, padding_after and output_padding non-negative");
}

// "p=1" or, before and after apart, "p=1,2".
std::string padding_text(const ConvGeometry& g) {
  return "p=" + n2(g.ph) + (g.ph_after != g.ph ? "," + n2(g.ph_after) : "");
}

ConvGeometry conv_geometry(const Shape& in, int64_t out_c, const ConvOptions& o, const std::string& who) {
  check_image_input(in, who);
  check_options(o, who);
  check(o.output_padding == 0, who + ": output_padding is for transposed convolutions");
  const int64_t p = o.padding, q = o.after();
  ConvGeometry g{.in_c = in[1], .in_h = in[2], .in_w = in[3], .out_c = out_c, .kh = o.kernel, .kw = o.kernel,
                 .sh = o.stride, .sw = o.stride, .ph = p, .pw = p, .ph_after = q, .pw_after = q};
  check(out_c > 0, who + ": the number of output channels must be positive");
  check(in[2] + p + q >= o.kernel && in[3] + p + q >= o.kernel,
        who + ": kernel " + n2(o.kernel) + " is larger than the padded input " + in.str());
  g.out_h = (in[2] + p + q - o.kernel) / o.stride + 1;
  g.out_w = (in[3] + p + q - o.kernel) / o.stride + 1;
  return g;
}

std::string shape_text(int64_t c, int64_t h, int64_t w) { return n2(c) + "x" + n2(h) + "x" + n2(w); }

Shape check_same_example(const Shape& in, const ConvGeometry& g, int64_t out_c, const std::string& who) {
  check(in.rank() == 4 && in[1] == g.in_c && in[2] == g.in_h && in[3] == g.in_w,
        who + ": input shape " + in.str() + " is not (N, " + n2(g.in_c) + ", " + n2(g.in_h) + ", " + n2(g.in_w) + ")");
  return Shape{in[0], out_c, g.out_h, g.out_w};
}


}  // namespace

// ---- Conv2d ----

Conv2d::Conv2d(const Shape& input, int64_t out_channels, const ConvOptions& o, bool bias)
    : conv_(std::make_unique<DnnlConv>(conv_geometry(input, out_channels, o, "Conv2d"))), has_bias_(bias) {}

Conv2d::~Conv2d() = default;

std::string Conv2d::describe() const {
  const ConvGeometry& g = conv_->geometry();
  return "Conv2d(" + shape_text(g.in_c, g.in_h, g.in_w) + " -> " + shape_text(g.out_c, g.out_h, g.out_w) +
         ", k=" + n2(g.kh) + ", s=" + n2(g.sh) + ", " + padding_text(g) + (has_bias_ ? ")" : ", no bias)");
}

Shape Conv2d::output_shape(const Shape& in) const {
  return check_same_example(in, conv_->geometry(), conv_->geometry().out_c, describe());
}

std::vector<ParamSpec> Conv2d::param_specs() const {
  const ConvGeometry& g = conv_->geometry();
  std::vector<ParamSpec> s{{"weight", Shape{g.out_c, g.in_c, g.kh, g.kw}}};
  if (has_bias_) s.push_back({"bias", Shape{g.out_c}});
  return s;
}

void Conv2d::bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
  w_ = std::move(params[0]);
  dw_ = std::move(grads[0]);
  if (has_bias_) {
    b_ = std::move(params[1]);
    db_ = std::move(grads[1]);
  }
}

void Conv2d::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  conv_->forward(x.dim(0), x.data(), w_.data(), has_bias_ ? b_.data() : nullptr, slot.y.data());
}

void Conv2d::backward(const Tensor& x, TapeSlot&, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const int64_t n = x.dim(0);
  if (mode == BackwardMode::params_and_input) {
    conv_->backward_weights(n, x.data(), dy.data(), dw_.data(), has_bias_ ? db_.data() : nullptr);
  }
  if (dx != nullptr) conv_->backward_data(n, dy.data(), w_.data(), dx->data());
}

double Conv2d::forward_flops_per_example() const { return conv_->flops_per_example(); }

// ---- ConvTranspose2d ----

namespace {

ConvGeometry transposed_geometry(const Shape& in, int64_t out_c, const ConvOptions& o) {
  const std::string who = "ConvTranspose2d";
  check_image_input(in, who);
  check_options(o, who);
  check(out_c > 0, who + ": the number of output channels must be positive");
  check(o.output_padding < o.stride, who + ": output_padding (" + n2(o.output_padding) +
                                         ") must be smaller than the stride (" + n2(o.stride) + "), as in torch");
  const int64_t p = o.padding, q = o.after();
  // output_padding takes back rows of the padding after (oneDNN's right padding is q − output_padding).
  check(o.output_padding <= q, who + ": output_padding larger than padding_after (or padding) is not supported");
  ConvGeometry g{.in_c = in[1], .in_h = in[2], .in_w = in[3], .out_c = out_c, .kh = o.kernel, .kw = o.kernel,
                 .sh = o.stride, .sw = o.stride, .ph = p, .pw = p, .ph_after = q, .pw_after = q, .transposed = true};
  g.out_h = (in[2] - 1) * o.stride - p - q + o.kernel + o.output_padding;
  g.out_w = (in[3] - 1) * o.stride - p - q + o.kernel + o.output_padding;
  check(g.out_h > 0 && g.out_w > 0,
        who + ": padding " + n2(p) + " and " + n2(q) + " leave no output for input " + in.str());
  return g;
}

}  // namespace

ConvTranspose2d::ConvTranspose2d(const Shape& input, int64_t out_channels, const ConvOptions& o, Bias bias)
    : conv_(std::make_unique<DnnlConv>(transposed_geometry(input, out_channels, o))), bias_(bias) {}

ConvTranspose2d::~ConvTranspose2d() = default;

std::string ConvTranspose2d::describe() const {
  const ConvGeometry& g = conv_->geometry();
  const char* b = bias_ == Bias::tied ? ")" : bias_ == Bias::untied ? ", untied bias)" : ", no bias)";
  return "ConvTranspose2d(" + shape_text(g.in_c, g.in_h, g.in_w) + " -> " + shape_text(g.out_c, g.out_h, g.out_w) +
         ", k=" + n2(g.kh) + ", s=" + n2(g.sh) + ", " + padding_text(g) + b;
}

Shape ConvTranspose2d::output_shape(const Shape& in) const {
  return check_same_example(in, conv_->geometry(), conv_->geometry().out_c, describe());
}

std::vector<ParamSpec> ConvTranspose2d::param_specs() const {
  const ConvGeometry& g = conv_->geometry();
  std::vector<ParamSpec> s{{"weight", Shape{g.in_c, g.out_c, g.kh, g.kw}}};
  if (bias_ == Bias::tied) s.push_back({"bias", Shape{g.out_c}});
  if (bias_ == Bias::untied) s.push_back({"bias", Shape{g.out_c, g.out_h, g.out_w}});
  return s;
}

void ConvTranspose2d::bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
  w_ = std::move(params[0]);
  dw_ = std::move(grads[0]);
  if (bias_ != Bias::none) {
    b_ = std::move(params[1]);
    db_ = std::move(grads[1]);
  }
}

void ConvTranspose2d::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  const int64_t n = x.dim(0);
  Tensor& y = slot.y;
  conv_->forward(n, x.data(), w_.data(), bias_ == Bias::tied ? b_.data() : nullptr, y.data());
  // Untied: one bias per output element, y: (N, C·H·W) += b: (C·H·W).
  if (bias_ == Bias::untied) kernels::add_bias(y.data(), b_.data(), n, b_.numel());
}

void ConvTranspose2d::backward(const Tensor& x, TapeSlot&, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const int64_t n = x.dim(0);
  if (mode == BackwardMode::params_and_input) {
    conv_->backward_weights(n, x.data(), dy.data(), dw_.data(), bias_ == Bias::tied ? db_.data() : nullptr);
    if (bias_ == Bias::untied) kernels::column_sum_add(dy.data(), db_.data(), n, db_.numel());
  }
  if (dx != nullptr) conv_->backward_data(n, dy.data(), w_.data(), dx->data());
}

double ConvTranspose2d::forward_flops_per_example() const { return conv_->flops_per_example(); }

// ---- MaxoutConv ----

MaxoutConv::MaxoutConv(const Shape& input, int64_t units, int64_t pieces, const ConvOptions& o)
    : units_(units), pieces_(pieces) {
  check(units > 0 && pieces > 0, "MaxoutConv: units and pieces must be positive, got units=" + n2(units) +
                                     " pieces=" + n2(pieces));
  conv_ = std::make_unique<DnnlConv>(conv_geometry(input, units * pieces, o, "MaxoutConv"));
}

MaxoutConv::~MaxoutConv() = default;

std::string MaxoutConv::describe() const {
  const ConvGeometry& g = conv_->geometry();
  return "MaxoutConv(" + shape_text(g.in_c, g.in_h, g.in_w) + " -> " + shape_text(units_, g.out_h, g.out_w) + " x " +
         n2(pieces_) + " pieces, k=" + n2(g.kh) + ", s=" + n2(g.sh) + ", " + padding_text(g) + ")";
}

Shape MaxoutConv::output_shape(const Shape& in) const { return check_same_example(in, conv_->geometry(), units_, describe()); }

std::vector<ParamSpec> MaxoutConv::param_specs() const {
  const ConvGeometry& g = conv_->geometry();
  return {{"weight", Shape{g.out_c, g.in_c, g.kh, g.kw}}, {"bias", Shape{g.out_c}}};
}

void MaxoutConv::bind(std::vector<Tensor> params, std::vector<Tensor> grads) {
  w_ = std::move(params[0]);
  b_ = std::move(params[1]);
  dw_ = std::move(grads[0]);
  db_ = std::move(grads[1]);
}

void MaxoutConv::forward(const Tensor& x, TapeSlot& slot, const ForwardContext&) {
  const ConvGeometry& g = conv_->geometry();
  const int64_t n = x.dim(0);
  Tensor& z = slot.saved;
  z.resize(Shape{n, g.out_c, g.out_h, g.out_w});
  slot.winners.resize(static_cast<size_t>(n * units_ * g.out_h * g.out_w));
  conv_->forward(n, x.data(), w_.data(), b_.data(), z.data());
  kernels::strided_maxout_forward(z.data(), slot.y.data(), slot.winners.data(), n * units_, pieces_, g.out_h * g.out_w);
}

void MaxoutConv::backward(const Tensor& x, TapeSlot& slot, const Tensor& dy, Tensor* dx, BackwardMode mode) {
  const ConvGeometry& g = conv_->geometry();
  const int64_t n = x.dim(0);
  Tensor& dz = slot.work;
  dz.resize(slot.saved.shape());
  kernels::strided_maxout_backward(dy.data(), slot.winners.data(), dz.data(), n * units_, pieces_, g.out_h * g.out_w);
  if (mode == BackwardMode::params_and_input) {
    conv_->backward_weights(n, x.data(), dz.data(), dw_.data(), db_.data());
  }
  if (dx != nullptr) conv_->backward_data(n, dz.data(), w_.data(), dx->data());
}

double MaxoutConv::forward_flops_per_example() const { return conv_->flops_per_example(); }

namespace {

// kernel, stride, padding (and output_padding) of a convolution, as ConvOptions.
std::vector<LayerKey> conv_keys(bool output_padding) {
  LayerKey after = integer_key("padding_after", 0, 1024, std::nullopt,
                               "zero padding after (bottom and right), where it differs from before (TensorFlow's "
                               "\"SAME\" for a 5×5 stride-2 convolution of 28×28: padding 1, padding_after 2)");
  after.derived_default = [](const LayerSpec& s) -> Value { return s.integer("padding"); };
  after.default_doc = "padding";
  std::vector<LayerKey> k{integer_key("kernel", 1, 1024, std::nullopt, "kernel height and width"),
                          integer_key("stride", 1, 1024, 1, "stride in both directions"),
                          integer_key("padding", 0, 1024, 0, "zero padding before (top and left) and, unless padding_after is set, after"),
                          std::move(after)};
  if (output_padding) k.push_back(integer_key("output_padding", 0, 1024, 0, "extra rows and columns on the output's far side"));
  return k;
}

ConvOptions conv_options(const LayerSpec& s) {
  return {.kernel = s.integer("kernel"), .stride = s.integer("stride"), .padding = s.integer("padding"),
          .padding_after = s.integer("padding_after"),
          .output_padding = s.has("output_padding") ? s.integer("output_padding") : 0};
}

std::vector<LayerKey> keys(std::vector<LayerKey> a, std::vector<LayerKey> b, std::vector<LayerKey> c = {}) {
  for (auto* more : {&b, &c})
    for (LayerKey& k : *more) a.push_back(std::move(k));
  return a;
}

}  // namespace

std::vector<LayerType> conv_layer_types() {
  const LayerKey channels = integer_key("channels", 1, int64_t{1} << 20, std::nullopt, "output channels");
  const LayerKey bias = flag_key("bias", true, "with a bias per output channel");
  return {
      {.name = Conv2d::kType,
       .doc = "2-D convolution (N, C, H, W) → (N, channels, H', W') (torch.nn.Conv2d)",
       .keys = keys({channels}, conv_keys(false), keys({bias}, init_keys())),
       .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
         return std::make_unique<Conv2d>(in, s.integer("channels"), conv_options(s), s.flag("bias"));
       },
       .init = init_weights},
      {.name = ConvTranspose2d::kType,
       .doc = "2-D transposed convolution (N, C, H, W) → (N, channels, H', W') (torch.nn.ConvTranspose2d)",
       .keys = keys({channels}, conv_keys(true),
                    keys({bias, flag_key("untied_bias", false, "one bias per output element instead of per channel")},
                         init_keys())),
       .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
         const auto b = !s.flag("bias")           ? ConvTranspose2d::Bias::none
                        : s.flag("untied_bias")   ? ConvTranspose2d::Bias::untied
                                                  : ConvTranspose2d::Bias::tied;
         return std::make_unique<ConvTranspose2d>(in, s.integer("channels"), conv_options(s), b);
       },
       .init = init_weights},
      {.name = MaxoutConv::kType,
       .doc = "convolution to units × pieces channels, then the max over each unit's pieces (pylearn2 MaxoutConvC01B)",
       .keys = keys({integer_key("units", 1, int64_t{1} << 24, std::nullopt, "output channels"),
                     integer_key("pieces", 1, 1024, std::nullopt, "channels per unit, of which it takes the max")},
                    conv_keys(false), init_keys()),
       .make = [](const LayerSpec& s, const Shape& in) -> std::unique_ptr<Layer> {
         return std::make_unique<MaxoutConv>(in, s.integer("units"), s.integer("pieces"), conv_options(s));
       },
       .init = init_weights},
  };
}

}  // namespace advnet::nn
