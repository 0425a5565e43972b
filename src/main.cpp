// autowg: subcommand dispatch. Startup errors are caught here, once.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cleanup.h"
#include "journal.h"
#include "log.h"
#include "options.h"
#include "registry.h"
#include "serve.h"

namespace autowg {
namespace {

int run_address(const Config& config) {
  auto name = config.cn_pattern->name_for(config.cn);
  if (!name) {
    std::cerr << "autowg: CN '" << config.cn << "' refused: " << name.error() << "\n";
    return 1;
  }
  auto address = config.converter->address_for(*name);
  if (!address) {
    std::cerr << "autowg: CN '" << config.cn << "' refused: " << address.error() << "\n";
    return 1;
  }
  std::cout << address->str() << "\n";
  return 0;
}

int run_cleanup(const Config& config) {
  auto journal = Journal::open(config.state_dir, config.interface);
  if (!journal) {
    std::cerr << "autowg: cleanup of " << config.interface << " refused: " << journal.error() << "\n";
    return 1;
  }
  auto backend = make_backend(config.backend, config.interface);
  auto report = remove_pool_peers(*backend, config.pool, std::cout);
  if (!report) {
    std::cerr << "autowg: cleanup of " << config.interface << " failed: " << report.error() << "\n";
    return 1;
  }
  journal->clear();
  std::cout << "cleanup " << config.interface << ": removed " << report->removed << " pool peers, kept "
            << report->kept << " other peers\n";
  return 0;
}

int run(const Config& config) {
  switch (config.command) {
    case Command::Help:
      std::cout << help_text(config.help_topic);
      return 0;
    case Command::Version:
      std::cout << "autowg " AUTOWG_VERSION "\n";
      return 0;
    case Command::Address:
      return run_address(config);
    case Command::Cleanup:
      return run_cleanup(config);
    case Command::Serve:
      return serve(config);
  }
  return 1;
}

}  // namespace
}  // namespace autowg

int main(int argc, char** argv) {
  using namespace autowg;
  std::optional<std::string> environment_auth;
  if (const char* auth = std::getenv("HTTP_AUTH")) environment_auth = auth;
  try {
    Config config = parse_command_line(std::vector<std::string>(argv + 1, argv + argc), environment_auth);
    return run(config);
  } catch (const UsageError& e) {
    std::cerr << "autowg: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "autowg: " << e.what() << "\n";
    return 1;
  }
}
