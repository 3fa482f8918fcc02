#pragma once
// One OpenMP thread pool serves oneDNN and advnet's own loops (oneDNN's Debian build uses libgomp).

namespace advnet {

// Sets the number of threads for all later parallel work; n <= 0 means "all cores".
void set_num_threads(int n);
int num_threads();

}  // namespace advnet
