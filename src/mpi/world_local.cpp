// open_world() of a build without MPI (-DADVNET_MPI=OFF): every process is a job of its own, and one
// that a launcher started as one of several ranks refuses to run.
#include "advnet/core/error.hpp"
#include "advnet/mpi/world.hpp"

namespace advnet::mpi {

bool built_with_mpi() { return false; }

std::unique_ptr<Communicator> open_world() {
  if (const std::optional<Launch> l = launch_from_environment(); l && l->size != 1)
    throw Error("this advnet was built without MPI (CMake -DADVNET_MPI=OFF) and a launcher started it as rank " +
                std::to_string(l->rank) + (l->size > 1 ? " of " + std::to_string(l->size) : "") + " (" + l->source +
                "): rebuild with -DADVNET_MPI=ON, or run it without mpirun/srun");
  return std::make_unique<LocalCommunicator>();
}

}  // namespace advnet::mpi
