#include "advnet/core/communicator.hpp"

#include <cstdio>
#include <cstdlib>

namespace advnet {

void LocalCommunicator::abort(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

void broadcast_string(Communicator& comm, std::string& s, int root) {
  uint64_t n = s.size();
  broadcast_value(comm, n, root);
  s.resize(n);
  comm.broadcast({s.data(), s.size()}, root);
}

}  // namespace advnet
