// advnet report RUN_DIR: writes RUN_DIR/report.html (advnet train also does, at the end).
#include <cstdio>

#include "advnet/run/report.hpp"
#include "commands.hpp"

namespace advnet::cli {

Run add_report(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  app.add_option("run_dir", *dir, "a run directory written by advnet train")->required();
  return [dir] {
    run::write_report(*dir);
    std::printf("wrote %s/report.html\n", dir->c_str());
    return kOk;
  };
}

}  // namespace advnet::cli
