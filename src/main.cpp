// autowg: subcommand dispatch. Startup errors are caught here, once.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "log.h"
#include "options.h"
#include "serve.h"

namespace autowg {
namespace {

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
    case Command::List:
      return run_list(config);
    case Command::Evict:
      return run_evict(config);
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
    set_log_format(config.log_format);
    return run(config);
  } catch (const UsageError& e) {
    std::cerr << "autowg: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "autowg: " << e.what() << "\n";
    return 1;
  }
}
