#include "registry.h"

#include <algorithm>
#include <chrono>

#include "log.h"

namespace autowg {
namespace {

std::string fingerprint(const WgKey& key) { return key.fingerprint(); }

}  // namespace

Clock Clock::system() {
  return Clock{
      [] { return int64_t(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()); },
      [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); },
  };
}

Registry::Registry(Backend& backend, const Prefix& pool, Journal* journal, Clock clock, double max_age_seconds)
    : backend_(backend), pool_(pool), journal_(journal), clock_(std::move(clock)), max_age_(max_age_seconds) {}

Refusal Registry::refusal_from(const WgError& error) {
  if (error.kind() == WgError::Kind::NoDevice) {
    valid_ = false;
    return Refusal{503, error.what()};
  }
  return Refusal{500, error.what()};
}

std::optional<Refusal> Registry::reconcile() {
  // Names come from what the view knew, or from the journal on the first run.
  std::unordered_map<WgKey, std::pair<std::string, int64_t>, WgKeyHash> known;
  if (!loaded_journal_ && journal_) {
    size_t skipped = 0;
    for (auto& e : journal_->load(&skipped)) known[e.key] = {e.name.value, e.created};
    if (skipped) log_event(LogLevel::Warning, "journal", {{"skipped_lines", std::to_string(skipped)}});
  } else {
    for (const auto& [name, entry] : by_name_) known[entry.key] = {name, entry.created};
  }

  uint64_t instance = backend_.instance();
  DeviceInfo info;
  std::vector<std::pair<std::string, Entry>> named;
  std::vector<std::pair<WgKey, Address>> orphans;
  std::unordered_set<WgKey, WgKeyHash> static_keys;
  std::vector<Prefix> held;
  size_t pool_peers = 0;
  try {
    info = backend_.read([&](Peer&& peer) {
      bool pool_peer = is_pool_peer(peer, pool_);
      std::optional<Address> host;
      for (const auto& ip : peer.allowed_ips) {
        if (!ip.inside(pool_)) continue;
        if (pool_peer && ip.cidr == 128 && !host)
          host = Address(ip.addr);
        else
          held.push_back(*ip.as_prefix());
      }
      if (!pool_peer) {
        static_keys.insert(peer.public_key);
        return;
      }
      ++pool_peers;
      if (!host) return;  // a pool peer holding only ranges: they are in `held`
      auto it = known.find(peer.public_key);
      if (it != known.end())
        named.push_back({it->second.first, Entry{peer.public_key, *host, it->second.second}});
      else
        orphans.push_back({peer.public_key, *host});
    });
  } catch (const WgError& e) {
    log_event(LogLevel::Error, "reconcile", {{"interface", backend_.interface()}, {"reason", e.what()}});
    return refusal_from(e);
  }
  if (!info.public_key) {
    valid_ = false;
    std::string reason = "interface " + backend_.interface() + " has no private key";
    log_event(LogLevel::Error, "reconcile", {{"interface", backend_.interface()}, {"reason", reason}});
    return Refusal{503, reason};
  }

  by_name_.clear();
  name_by_key_.clear();
  name_by_address_.clear();
  orphan_by_key_.clear();
  orphan_by_address_.clear();
  for (auto& [name, entry] : named) {
    // Two names cannot share an address in a consistent pool; if an outside
    // change made them, the later one stays an orphan rather than a duplicate.
    if (name_by_address_.count(entry.address) || by_name_.count(name)) {
      orphans.push_back({entry.key, entry.address});
      continue;
    }
    remember(name, entry);
  }
  for (auto& [key, address] : orphans) {
    orphan_by_key_[key] = address;
    orphan_by_address_.emplace(address, key);
  }
  size_t dropped = known.size() > by_name_.size() ? known.size() - by_name_.size() : 0;
  static_keys_ = std::move(static_keys);
  held_ranges_ = std::move(held);
  device_ = info;
  instance_ = instance;
  reconciled_at_ = clock_.monotonic_seconds();
  valid_ = true;
  if (!loaded_journal_ || dropped > 0 || journal_lines_ > 2 * by_name_.size() + 16) rewrite_journal();
  loaded_journal_ = true;

  log_event(LogLevel::Info, "reconcile",
            {{"interface", backend_.interface()},
             {"pool_peers", std::to_string(pool_peers)},
             {"named", std::to_string(by_name_.size())},
             {"orphans", std::to_string(orphan_by_key_.size())},
             {"static_peers", std::to_string(static_keys_.size())},
             {"listen_port", std::to_string(device_.listen_port)}});
  return std::nullopt;
}

std::optional<Refusal> Registry::refresh_if_stale() {
  uint64_t instance = backend_.instance();
  if (instance == 0) {
    valid_ = false;
    return Refusal{503, "interface " + backend_.interface() + " does not exist"};
  }
  const char* why = nullptr;
  if (!valid_)
    why = "no view";
  else if (instance != instance_)
    why = "interface re-created";
  else if (clock_.monotonic_seconds() - reconciled_at_ > max_age_)
    why = "view too old";
  if (!why) return std::nullopt;
  log_event(LogLevel::Info, "refresh", {{"interface", backend_.interface()}, {"reason", why}});
  return reconcile();
}

std::optional<Refusal> Registry::conflict(const Name& name, const Address& address, const WgKey& key) const {
  if (device_.public_key && key == *device_.public_key)
    return Refusal{400, "the key is the server's own public key"};
  if (static_keys_.count(key)) return Refusal{409, "the key belongs to a static peer of the interface"};
  if (auto it = name_by_key_.find(key); it != name_by_key_.end() && *it->second != name.value)
    return Refusal{409, "the key is already registered by another device"};
  if (auto it = orphan_by_key_.find(key); it != orphan_by_key_.end() && it->second != address)
    return Refusal{409, "the key is already used by another pool peer"};
  for (const auto& range : held_ranges_)
    if (range.contains(address)) return Refusal{409, "the address lies in a range held by a static peer"};
  if (auto it = name_by_address_.find(address); it != name_by_address_.end() && *it->second != name.value)
    return Refusal{409, "the address is already held by device '" + *it->second + "'"};
  return std::nullopt;
}

Result<Registration, Refusal> Registry::register_peer(const Name& name, const Address& address, const WgKey& key) {
  if (auto refused = refresh_if_stale()) return Failure<Refusal>{*refused};
  if (!pool_.contains(address)) return Failure<Refusal>{{500, "address " + address.str() + " is outside the pool"}};
  if (auto refused = conflict(name, address, key)) return Failure<Refusal>{*refused};

  Change change;
  change.set = Change::Set{key, {AllowedIp::host(address)}};
  std::optional<WgKey> replaced;
  if (auto it = by_name_.find(name.value); it != by_name_.end() && !(it->second.key == key)) {
    replaced = it->second.key;
    change.remove.push_back(it->second.key);
  }
  std::optional<WgKey> adopted;
  if (auto it = orphan_by_address_.find(address); it != orphan_by_address_.end() && !(it->second == key)) {
    adopted = it->second;
    change.remove.push_back(it->second);
  }

  try {
    backend_.apply(change);
  } catch (const WgError& e) {
    return Failure<Refusal>{refusal_from(e)};
  }

  if (adopted) {
    log_event(LogLevel::Warning, "adopt",
              {{"name", name.value}, {"ip", address.str()}, {"old_key", fingerprint(*adopted)},
               {"reason", "a pool peer with no known name held the address"}});
    remove_orphan(*adopted);
  }
  remove_orphan(key);
  forget(name.value);
  Entry entry{key, address, clock_.unix_seconds()};
  remember(name.value, entry);
  append_journal(name.value, entry);
  return Registration{address, *device_.public_key, device_.listen_port, replaced};
}

void Registry::forget(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return;
  name_by_key_.erase(it->second.key);
  name_by_address_.erase(it->second.address);
  by_name_.erase(it);
}

void Registry::remember(const std::string& name, const Entry& entry) {
  auto [it, inserted] = by_name_.insert_or_assign(name, entry);
  (void)inserted;
  name_by_key_[entry.key] = &it->first;
  name_by_address_[entry.address] = &it->first;
}

void Registry::remove_orphan(const WgKey& key) {
  auto it = orphan_by_key_.find(key);
  if (it == orphan_by_key_.end()) return;
  orphan_by_address_.erase(it->second);
  orphan_by_key_.erase(it);
}

void Registry::append_journal(const std::string& name, const Entry& entry) {
  if (!journal_) return;
  try {
    journal_->append(JournalEntry{Name{name}, entry.key, entry.created});
    ++journal_lines_;
  } catch (const std::exception& e) {
    // The kernel already has the peer; only the name's memory across a
    // restart is at risk, so the registration stands.
    log_event(LogLevel::Error, "journal", {{"name", name}, {"reason", e.what()}});
  }
}

void Registry::rewrite_journal() {
  if (!journal_) return;
  std::vector<JournalEntry> entries;
  entries.reserve(by_name_.size());
  for (const auto& [name, entry] : by_name_) entries.push_back(JournalEntry{Name{name}, entry.key, entry.created});
  std::sort(entries.begin(), entries.end(),
            [](const JournalEntry& a, const JournalEntry& b) { return a.created < b.created; });
  try {
    journal_->rewrite(entries);
    journal_lines_ = entries.size();
  } catch (const std::exception& e) {
    log_event(LogLevel::Error, "journal", {{"reason", e.what()}});
  }
}

std::optional<Refusal> Registry::visit_peers(const std::function<void(const PeerStatus&)>& visit) {
  if (auto refused = refresh_if_stale()) return refused;
  struct Row {
    const std::string* name;
    const Entry* entry;
    int64_t last_handshake;
    uint64_t rx, tx;
  };
  std::vector<Row> rows;
  rows.reserve(by_name_.size());
  try {
    backend_.read([&](Peer&& peer) {
      auto it = name_by_key_.find(peer.public_key);
      if (it == name_by_key_.end()) return;
      const Entry& entry = by_name_.at(*it->second);
      rows.push_back(Row{it->second, &entry, peer.last_handshake, peer.rx_bytes, peer.tx_bytes});
    });
  } catch (const WgError& e) {
    return refusal_from(e);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return *a.name < *b.name; });
  for (const auto& r : rows)
    visit(PeerStatus{*r.name, r.entry->key, r.entry->address, r.entry->created, r.last_handshake, r.rx, r.tx});
  return std::nullopt;
}

}  // namespace autowg
