#pragma once
// The builders of schema fields and the tables two schemas share ([data], [optimizer]), for any
// configuration type C (run/config_schema.hpp): a field is declared once, here or in its schema.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "config_schema.hpp"

namespace advnet::run::fields {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kBig = static_cast<double>(int64_t{1} << 30);  // epochs, counts

// Field builders. `ref` is a generic lambda giving the member: [](auto& c) -> auto& { return c.x; },
// so that one lambda serves both get (const C) and set.
template <class C, class Ref>
FieldOf<C> integer(std::string name, Ref ref, double lo, double hi, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::integer, .doc = std::move(doc), .lo = lo, .hi = hi},
          .get = [ref](const C& c) -> Value { return static_cast<int64_t>(ref(c)); },
          .set = [ref](C& c, const Value& v) { ref(c) = std::get<int64_t>(v); }};
}

// A double (single = false) or a float32 (single = true) in lo..hi ("open": the end excluded).
template <class C, class Ref>
FieldOf<C> number(std::string name, Ref ref, double lo, bool lo_open, double hi, bool hi_open, std::string doc) {
  using T = std::remove_cvref_t<decltype(ref(std::declval<C&>()))>;
  return {.key = {.name = std::move(name), .type = std::is_same_v<T, float> ? ValueType::single : ValueType::number,
                  .doc = std::move(doc), .lo = lo, .hi = hi, .lo_open = lo_open, .hi_open = hi_open},
          .get = [ref](const C& c) -> Value { return static_cast<double>(ref(c)); },
          .set = [ref](C& c, const Value& v) { ref(c) = static_cast<T>(std::get<double>(v)); }};
}

template <class C, class Ref>
FieldOf<C> boolean(std::string name, Ref ref, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::boolean, .doc = std::move(doc)},
          .get = [ref](const C& c) -> Value { return ref(c); },
          .set = [ref](C& c, const Value& v) { ref(c) = std::get<bool>(v); }};
}

template <class C, class Ref>
FieldOf<C> string(std::string name, Ref ref, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::string, .doc = std::move(doc)},
          .get = [ref](const C& c) -> Value { return ref(c); },
          .set = [ref](C& c, const Value& v) { ref(c) = std::get<std::string>(v); }};
}

// An enumeration, by the names declared beside it (parsed here, once).
template <class C, class Ref>
FieldOf<C> enumeration(std::string name, Ref ref, std::string doc) {
  using E = std::remove_cvref_t<decltype(ref(std::declval<C&>()))>;
  return {.key = {.name = std::move(name), .type = ValueType::string, .doc = std::move(doc), .choices = enum_choices<E>()},
          .get = [ref](const C& c) -> Value { return name_of(ref(c)); },
          .set = [ref](C& c, const Value& v) { ref(c) = *parse_enum<E>(std::get<std::string>(v)); }};
}

template <class C, class Ref>
FieldOf<C> numbers(std::string name, Ref ref, double lo, bool lo_open, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::numbers, .doc = std::move(doc), .lo = lo, .hi = kInf,
                  .lo_open = lo_open, .hi_open = true, .min_items = 1},
          .get = [ref](const C& c) -> Value { return ref(c); },
          .set = [ref](C& c, const Value& v) { ref(c) = std::get<std::vector<double>>(v); }};
}

// [begin, end) as a two-integer array.
template <class C, class Begin, class End>
FieldOf<C> range(std::string name, Begin begin, End end, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::integers, .doc = std::move(doc), .lo = 0,
                  .hi = static_cast<double>(std::numeric_limits<int64_t>::max()), .min_items = 2, .max_items = 2},
          .get = [begin, end](const C& c) -> Value { return std::vector<int64_t>{begin(c), end(c)}; },
          .set = [begin, end](C& c, const Value& v) {
            const auto& r = std::get<std::vector<int64_t>>(v);
            begin(c) = r[0], end(c) = r[1];
          }};
}

template <class C>
FieldOf<C> when(FieldOf<C> f, std::type_identity_t<std::function<bool(const C&)>> applies, std::string doc) {
  f.applies = std::move(applies);
  f.applies_doc = std::move(doc);
  return f;
}

// A 64-bit seed, kept as uint64 and written as a TOML integer (so at most 2⁶³ − 1).
template <class C, class Ref>
FieldOf<C> seed(std::string name, Ref ref, std::string doc) {
  return {.key = {.name = std::move(name), .type = ValueType::integer, .doc = std::move(doc), .lo = 0,
                  .hi = static_cast<double>(std::numeric_limits<int64_t>::max())},
          .get = [ref](const C& c) -> Value { return static_cast<int64_t>(ref(c)); },
          .set = [ref](C& c, const Value& v) { ref(c) = static_cast<uint64_t>(std::get<int64_t>(v)); }};
}

template <class C>
std::vector<FieldOf<C>> data_fields() {
  using data::DataKind;
  auto kind_is = [](std::initializer_list<DataKind> kinds) {
    return [kinds = std::vector<DataKind>(kinds)](const C& c) {
      return std::find(kinds.begin(), kinds.end(), c.data.kind) != kinds.end();
    };
  };
  auto image = [](const C& c) { return c.data.is_image(); };
  auto files = [](const C& c) { return c.data.is_image() || c.data.is_stacked(); };
  auto drawn = [](const C& c) { return !c.data.is_image(); };
  FieldOf<C> kind = enumeration<C>("kind", [](auto& c) -> auto& { return c.data.kind; },
                           "the data; sets the defaults of path and the ranges (fashion_mnist: "
                           "/usr/share/datasets/fashion-mnist; cifar10: data/cifar10, [0, 40000] and [40000, 50000]; "
                           "stacked_mnist: size 128000)");
  kind.set = [](C& c, const Value& v) {
    c.data = data::DataConfig::for_kind(*parse_enum<DataKind>(std::get<std::string>(v)));
  };
  const std::string image_doc = "image data (mnist, fashion_mnist, cifar10, image_folder)";
  const std::string files_doc = "image data or stacked_mnist";
  const std::string drawn_doc = "synthetic data (gaussian_1d, mixture_1d, ring_2d, grid_2d) or stacked_mnist";
  return {
      std::move(kind),
      when(string<C>("path", [](auto& c) -> auto& { return c.data.path; },
                     "the folder of the data files (stacked_mnist: an MNIST folder, both its files drawn from)"),
           files, files_doc),
      when(range<C>("train_range", [](auto& c) -> auto& { return c.data.train_begin; }, [](auto& c) -> auto& { return c.data.train_end; },
                 "[begin, end): the training examples, indices into the training file(s)"),
           image, image_doc),
      when(range<C>("valid_range", [](auto& c) -> auto& { return c.data.valid_begin; }, [](auto& c) -> auto& { return c.data.valid_end; },
                 "[begin, end): the validation examples"),
           image, image_doc),
      when(number<C>("gcn", [](auto& c) -> auto& { return c.data.gcn; }, 0, false, kInf, true,
                   "global contrast normalisation scale (pylearn2 gcn); 0: pixels stay in [0, 1]"),
           image, image_doc),
      when(integer<C>("size", [](auto& c) -> auto& { return c.data.size; }, 1, static_cast<double>(int64_t{1} << 32),
                   "examples in one epoch, drawn once"),
           drawn, drawn_doc),
      when(seed<C>("seed", [](auto& c) -> auto& { return c.data.seed; }, "the seed the examples are drawn from"), drawn,
           drawn_doc),
      when(numbers<C>("means", [](auto& c) -> auto& { return c.data.means; }, -kInf, true, "the components' means"),
           kind_is({DataKind::gaussian_1d, DataKind::mixture_1d}), "kind = \"gaussian_1d\" or \"mixture_1d\""),
      when(numbers<C>("stds", [](auto& c) -> auto& { return c.data.stds; }, 0, true, "the components' standard deviations"),
           kind_is({DataKind::gaussian_1d, DataKind::mixture_1d}), "kind = \"gaussian_1d\" or \"mixture_1d\""),
      when(numbers<C>("weights", [](auto& c) -> auto& { return c.data.weights; }, 0, false, "the components' weights (normalised)"),
           kind_is({DataKind::mixture_1d}), "kind = \"mixture_1d\""),
      when(integer<C>("modes", [](auto& c) -> auto& { return c.data.modes; }, 1, 1 << 20, "Gaussians on the circle"),
           kind_is({DataKind::ring_2d}), "kind = \"ring_2d\""),
      when(number<C>("radius", [](auto& c) -> auto& { return c.data.radius; }, 0, true, kInf, true, "the circle's radius"),
           kind_is({DataKind::ring_2d}), "kind = \"ring_2d\""),
      when(integer<C>("grid", [](auto& c) -> auto& { return c.data.grid; }, 1, 1 << 10, "grid × grid Gaussians"),
           kind_is({DataKind::grid_2d}), "kind = \"grid_2d\""),
      when(number<C>("spacing", [](auto& c) -> auto& { return c.data.spacing; }, 0, true, kInf, true,
                  "distance between neighbouring means, centred at 0"),
           kind_is({DataKind::grid_2d}), "kind = \"grid_2d\""),
      when(number<C>("std", [](auto& c) -> auto& { return c.data.std; }, 0, true, kInf, true, "each Gaussian's standard deviation"),
           kind_is({DataKind::ring_2d, DataKind::grid_2d}), "kind = \"ring_2d\" or \"grid_2d\""),
  };
}

inline void check_data(const data::DataConfig& d) {
  if (d.kind == data::DataKind::image_folder && d.path.empty())
    throw KeyError("path", "is required for image_folder data (a folder of PNG/JPEG files)");
  if (d.is_image()) {
    if (d.train_begin >= d.train_end) throw KeyError("train_range", "is an empty range");
    if (d.valid_begin >= d.valid_end) throw KeyError("valid_range", "is an empty range");
  }
  if (d.is_1d()) {
    if (d.kind == data::DataKind::gaussian_1d && d.means.size() != 1)
      throw KeyError("means", "gaussian_1d takes one mean (use mixture_1d)");
    if (d.stds.size() != d.means.size()) throw KeyError("stds", "needs one std per mean");
    if (d.kind == data::DataKind::mixture_1d && d.weights.size() != d.means.size())
      throw KeyError("weights", "needs one weight per mean");
  }
}

// The keys of an optimizer table; acc gives the OptimizerConfig ([optimizer] or a net's own).
template <class C, class Acc>
std::vector<FieldOf<C>> optimizer_fields(Acc acc) {
  const auto sgd = [acc](const C& c) { return acc(c).kind == nn::OptimizerKind::sgd; };
  const auto adam = [acc](const C& c) { return acc(c).kind == nn::OptimizerKind::adam; };
  return {
      enumeration<C>("kind", [acc](auto& c) -> auto& { return acc(c).kind; }, "sgd (with momentum) or adam (torch.optim.Adam/AdamW)"),
      number<C>("lr", [acc](auto& c) -> auto& { return acc(c).lr; }, 0, false, kInf, true, "the learning rate (before its schedule)"),
      when(enumeration<C>("form", [acc](auto& c) -> auto& { return acc(c).form; },
                       "pylearn2: v ← μ·v − lr·g, θ ← θ + v; torch: b ← μ·b + g, θ ← θ − lr·b (they differ when lr changes)"),
           sgd, "kind = \"sgd\""),
      when(number<C>("momentum", [acc](auto& c) -> auto& { return acc(c).momentum; }, 0, false, 1, true,
                  "μ (before [schedule.momentum])"),
           sgd, "kind = \"sgd\""),
      when(number<C>("beta1", [acc](auto& c) -> auto& { return acc(c).beta1; }, 0, false, 1, true, "Adam's β₁"), adam, "kind = \"adam\""),
      when(number<C>("beta2", [acc](auto& c) -> auto& { return acc(c).beta2; }, 0, false, 1, true, "Adam's β₂"), adam, "kind = \"adam\""),
      when(number<C>("eps", [acc](auto& c) -> auto& { return acc(c).eps; }, 0, true, kInf, true, "Adam's ε"), adam, "kind = \"adam\""),
      when(number<C>("weight_decay", [acc](auto& c) -> auto& { return acc(c).weight_decay; }, 0, false, kInf, true,
                  "L2 penalty (added to the gradient) or, with decoupled, AdamW's decay"),
           adam, "kind = \"adam\""),
      when(boolean<C>("decoupled", [acc](auto& c) -> auto& { return acc(c).decoupled; }, "AdamW's decoupled weight decay"),
           adam, "kind = \"adam\""),
  };
}

}  // namespace advnet::run::fields
