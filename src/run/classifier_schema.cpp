#include "config_schema.hpp"
#include "schema_fields.hpp"

namespace advnet::run {
namespace {

using namespace fields;
using C = classify::ClassifierConfig;

std::vector<ClassifierTable> make_classifier_schema() {
  return {
      {.path = "",
       .doc = "The classifier.",
       .fields = {string<C>("name", [](auto& c) -> auto& { return c.name; }, "its name (reports, metadata)"),
                  seed<C>("seed", [](auto& c) -> auto& { return c.seed; },
                          "initialisation, the batches' order and dropout derive from it"),
                  integer<C>("threads", [](auto& c) -> auto& { return c.threads; }, 0, 1024, "0: all cores")}},
      {.path = "data",
       .doc = "Labelled image data: trained on train_range, checked on valid_range each epoch, scored on the test split.",
       .fields = data_fields<C>(),
       .check =
           [](const C& c) {
             check_data(c.data);
             if (!c.data.is_image()) throw KeyError("kind", "a classifier needs labelled image data (mnist, fashion_mnist, cifar10)");
             if (c.data.kind == data::DataKind::image_folder)
               throw KeyError("kind", "image_folder data have no labels; a classifier needs mnist, fashion_mnist or cifar10");
           }},
      {.path = "net",
       .doc = "The classifier's layers (the layer types of [generator]), in order: images → one logit per class. "
              "The metrics' features are the input of the last layer.",
       .fields = {integer<C>("classes", [](auto& c) -> auto& { return c.classes; }, 2, 1 << 16,
                             "the last layer's outputs (labels in [0, classes))")},
       .layers = layers_at<C>([](auto& c) -> auto& { return c.layers; })},
      {.path = "optimizer", .doc = "The optimizer.", .fields = optimizer_fields<C>([](auto& c) -> auto& { return c.optimizer; })},
      {.path = "training",
       .doc = "Minibatch training on softmax cross-entropy.",
       .fields = {integer<C>("batch_size", [](auto& c) -> auto& { return c.batch_size; }, 1, 1 << 20, "examples per batch"),
                  integer<C>("epochs", [](auto& c) -> auto& { return c.epochs; }, 1, kBig, "passes over the training range"),
                  number<C>("lr_decay", [](auto& c) -> auto& { return c.lr_decay; }, 0, true, 1, false,
                            "the learning rate's factor after each epoch (1: constant)")}},
  };
}

}  // namespace

const std::vector<ClassifierTable>& classifier_schema() {
  static const std::vector<ClassifierTable> schema = make_classifier_schema();
  return schema;
}

}  // namespace advnet::run
