#pragma once
// NPY files (NumPy's format), float32 in C order: samples and noise vectors.
#include <string>

#include "advnet/core/tensor.hpp"

namespace advnet::io {

void write_npy(const std::string& path, const Tensor& t);
// Accepts versions 1.0, 2.0 and 3.0 with descr '<f4' and fortran_order False; the header and the data
// length are validated first, and errors name the file and the field.
Tensor read_npy(const std::string& path);
// The same from bytes in memory; `name` stands for the file in messages.
Tensor parse_npy(const std::string& bytes, const std::string& name);

}  // namespace advnet::io
