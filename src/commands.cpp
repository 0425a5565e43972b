#include "commands.h"

#include <chrono>
#include <iostream>

#include "cleanup.h"
#include "control.h"
#include "interface_lock.h"
#include "journal.h"
#include "log.h"
#include "operations.h"
#include "registry.h"
#include "route_sync.h"

namespace autowg {
namespace {

constexpr int kAnswerTimeoutSeconds = 120;  // list at 100 000 peers reads the whole interface

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The answer to `request`: from the responder that holds the interface's
// lock, or, when none runs, worked out here under the lock.
Result<std::string> answer(const Config& config, const std::string& request) {
  auto holder = connect_to_holder(config.interface);
  if (!holder) return fail(holder.error());
  if (*holder) return ask_holder(std::move(**holder), request, kAnswerTimeoutSeconds);
  // The routine lines of reading the interface are not news to an operator;
  // warnings, errors and evictions still show.
  set_log_threshold(LogLevel::Warning);
  auto lock = InterfaceLock::acquire(config.interface);
  if (!lock) return fail(lock.error());
  auto journal = Journal::open(config.state_dir, config.interface);
  if (!journal) return fail(journal.error());
  auto backend = make_backend(config.backend, config.interface);
  Registry registry(*backend, config.pool, &journal.value(), Clock::system(), config.reconcile_interval);
  // Without a responder, evict withdraws the routes itself.
  auto routes = follow_routes(registry, config.interface, config.routes);
  if (auto refused = registry.reconcile()) return fail(refused->reason);
  return run_request(registry, config.interface, request);
}

}  // namespace

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
  auto lock = InterfaceLock::acquire(config.interface);
  if (!lock) {
    std::cerr << "autowg: cleanup of " << config.interface << " refused: " << lock.error() << "\n";
    return 1;
  }
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
  if (config.routes.enabled()) {
    auto table = make_netlink_route_table(config.interface, config.routes);
    auto routes = remove_all_routes(*table);
    if (!routes) {
      std::cerr << "autowg: cleanup of " << config.interface << ": routes: " << routes.error() << "\n";
      return 1;
    }
    std::cout << "cleanup " << config.interface << ": removed " << *routes << " routes (" << table->describe() << ")\n";
  }
  return 0;
}

int run_list(const Config& config) {
  auto text = answer(config, list_request());
  if (!text) {
    std::cerr << "autowg: list " << config.interface << ": " << text.error() << "\n";
    return 1;
  }
  return show_list(*text, config.json, unix_now(), std::cout, std::cerr);
}

int run_evict(const Config& config) {
  auto text = answer(config, evict_request(config.names));
  if (!text) {
    std::cerr << "autowg: evict on " << config.interface << ": " << text.error() << "\n";
    return 1;
  }
  return show_evict(*text, std::cout, std::cerr);
}

}  // namespace autowg
