#pragma once
// The job this process is part of (docs/distributed.md): MPI's world when a launcher started it as one
// of several ranks (mpirun, srun --mpi=pmix, the Kubeflow MPI Operator) and advnet was built with MPI
// (CMake option ADVNET_MPI); otherwise a job of one process. This layer is the only one that includes
// <mpi.h>; the library sees the job through core/communicator.hpp.
#include <memory>
#include <optional>
#include <string>

#include "advnet/core/communicator.hpp"

namespace advnet::mpi {

// What the launcher's environment says about this process, before MPI is started: its rank and the
// world size (Open MPI's OMPI_COMM_WORLD_*, MPICH/Hydra's PMI_*, a Slurm job step's SLURM_*) and the
// variable that said so; nothing when no launcher started it.
struct Launch {
  int rank = 0, size = 1;
  std::string source;  // "OMPI_COMM_WORLD_SIZE=2", say
};
std::optional<Launch> launch_from_environment();

// True in a build with MPI.
bool built_with_mpi();

// The job's communicator: MPI's world (MPI_Init_thread with MPI_THREAD_FUNNELED: only the main thread
// calls MPI; MPI_Finalize when it is destroyed) when a launcher started this process, else a
// LocalCommunicator. A build without MPI started by a launcher as one of N > 1 ranks throws Error
// (N independent copies would each train and write the same run directory).
std::unique_ptr<Communicator> open_world();

}  // namespace advnet::mpi
