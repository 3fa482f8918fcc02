#include <cstdlib>
#include <string>

#include "advnet/mpi/world.hpp"

namespace advnet::mpi {
namespace {

std::optional<int> env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > (1 << 24)) return std::nullopt;
  return static_cast<int>(x);
}

}  // namespace

std::optional<Launch> launch_from_environment() {
  // (world size, rank) variable pairs of the launchers advnet is started by, most specific first.
  static const std::pair<const char*, const char*> kVars[] = {
      {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},  // Open MPI's mpirun (and the MPI Operator)
      {"PMI_SIZE", "PMI_RANK"},                          // MPICH / Intel MPI (Hydra), srun --mpi=pmi2
      {"SLURM_STEP_NUM_TASKS", "SLURM_PROCID"},          // a Slurm job step (srun)
  };
  for (const auto& [size_var, rank_var] : kVars) {
    const std::optional<int> size = env_int(size_var), rank = env_int(rank_var);
    if (size && rank) return Launch{*rank, *size, std::string(size_var) + "=" + std::to_string(*size)};
  }
  if (const std::optional<int> rank = env_int("PMIX_RANK"))  // srun --mpi=pmix: the size comes from PMIx
    return Launch{*rank, -1, "PMIX_RANK=" + std::to_string(*rank)};
  return std::nullopt;
}

}  // namespace advnet::mpi
