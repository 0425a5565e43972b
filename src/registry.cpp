#include "registry.h"

#include <algorithm>
#include <chrono>

#include "log.h"

namespace autowg {
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
  ++stats_.backend_errors;
  if (error.kind() == WgError::Kind::NoDevice) {
    valid_ = false;
    return Refusal{Refusal::Kind::Unavailable, error.what()};
  }
  return Refusal{Refusal::Kind::Internal, error.what()};
}

void Registry::load_journal() {
  by_name_.clear();
  name_by_key_.clear();
  name_by_address_.clear();
  size_t skipped = 0;
  // Straight into the view (addresses come from the interface next), so that
  // a large journal is never held twice.
  journal_->load(
      [&](JournalEntry&& e) {
        if (e.removed) {
          if (auto it = by_name_.find(e.name.value); it != by_name_.end()) {
            unindex(&*it);
            by_name_.erase(it);
          }
          return;
        }
        auto [it, inserted] =
            by_name_.try_emplace(std::move(e.name.value), Entry{e.key, Address{}, unix32(e.created), 0, {}});
        if (!inserted) {
          unindex(&*it);
          it->second.key = e.key;
          it->second.created = unix32(e.created);
        }
        CertRecord cert{std::move(e.serial), std::move(e.issuer), e.not_after};
        it->second.cert = cert.empty() ? CertBox() : CertBox(std::move(cert));
        // A key recorded for two names: the later line wins.
        if (auto k = name_by_key_.find(e.key); k != name_by_key_.end()) name_by_key_.erase(k);
        name_by_key_.insert(&*it);
      },
      &skipped);
  if (skipped) log_event(LogLevel::Warning, "journal", {{"skipped_lines", std::to_string(skipped)}});
}

// Reconciles in place: the address index is rebuilt from what the interface
// says, for the names whose key it still has (the view's, or the first time
// the journal's); a name left out of the index is dropped when the snapshot
// is adopted.
std::optional<Refusal> Registry::reconcile() {
  if (!loaded_journal_ && journal_) load_journal();
  auto snapshot = read_snapshot();
  if (!snapshot) {
    log_event(LogLevel::Error, "reconcile", {{"interface", backend_.interface()}, {"reason", snapshot.error().reason}});
    return snapshot.error();
  }
  adopt(std::move(*snapshot));
  return std::nullopt;
}

Result<Registry::Snapshot, Refusal> Registry::read_snapshot() {
  // A dump the kernel marks as interrupted (the interface changed meanwhile)
  // is read again, from scratch: what the aborted pass indexed is cleared.
  for (int attempt = 1;; ++attempt) {
    bool interrupted = false;
    auto snap = read_snapshot_once(interrupted);
    if (snap || attempt == 3 || !interrupted) return snap;
    log_event(LogLevel::Info, "reconcile", {{"interface", backend_.interface()}, {"reason", snap.error().reason},
                                            {"action", "reading again"}});
  }
}

Result<Registry::Snapshot, Refusal> Registry::read_snapshot_once(bool& interrupted) {
  name_by_address_.clear();
  // Until the snapshot is adopted the view is not to be used.
  valid_ = false;
  Snapshot snap;
  snap.instance = backend_.instance();
  try {
    snap.info = backend_.read([&](Peer&& peer) {
      bool pool_peer = is_pool_peer(peer, pool_);
      std::optional<Address> host;
      for (const auto& ip : peer.allowed_ips) {
        if (!ip.inside(pool_)) continue;
        if (pool_peer && ip.cidr == 128 && !host)
          host = Address(ip.addr);
        else
          snap.held.push_back(*ip.as_prefix());
      }
      if (!pool_peer) {
        snap.static_keys.insert(peer.public_key);
        return;
      }
      ++snap.pool_peers;
      if (!host) return;  // a pool peer holding only ranges: they are in `held`
      auto it = name_by_key_.find(peer.public_key);
      // Two names cannot share an address in a consistent pool; if an outside
      // change made them, the later one stays an orphan rather than a duplicate.
      if (it == name_by_key_.end() || name_by_address_.count(*host)) {
        snap.orphans.push_back({peer.public_key, *host});
        return;
      }
      // The key index hashes on the key only, so the address may change here.
      Entry& entry = const_cast<Named*>(*it)->second;
      entry.address = *host;
      entry.last_handshake = unix32(peer.last_handshake);
      name_by_address_.insert(*it);
    });
  } catch (const WgError& e) {
    interrupted = e.kind() == WgError::Kind::Interrupted;
    return Failure<Refusal>{refusal_from(e)};
  }
  if (!snap.info.public_key)
    return Failure<Refusal>{{Refusal::Kind::Unavailable, "interface " + backend_.interface() + " has no private key"}};
  return snap;
}

// Drops the names the read did not re-index and takes the rest of the
// snapshot as the view.
void Registry::adopt(Snapshot&& snap) {
  size_t dropped = 0;
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    const Named* named = &*it;
    if (auto a = name_by_address_.find(named->second.address); a != name_by_address_.end() && *a == named) {
      ++it;
      continue;
    }
    unindex(named);
    it = by_name_.erase(it);
    ++dropped;
  }
  rebuild_cert_indexes();
  if (observer_) {
    std::vector<Address> held;
    held.reserve(name_by_address_.size() + snap.orphans.size());
    for (const Named* n : name_by_address_) held.push_back(n->second.address);
    for (const auto& orphan : snap.orphans) held.push_back(orphan.second);
    observer_->synced(held);
  }
  orphan_by_key_.clear();
  orphan_by_address_.clear();
  for (auto& [key, address] : snap.orphans) {
    orphan_by_key_[key] = address;
    orphan_by_address_.emplace(address, key);
  }
  static_keys_ = std::move(snap.static_keys);
  held_ranges_ = std::move(snap.held);
  device_ = snap.info;
  instance_ = snap.instance;
  reconciled_at_ = clock_.monotonic_seconds();
  valid_ = true;
  ++stats_.reconciles;
  stats_.last_reconcile = clock_.unix_seconds();
  stats_.ages = handshake_ages(stats_.last_reconcile);
  if (!loaded_journal_ || dropped > 0 || journal_lines_ > 2 * by_name_.size() + 16) rewrite_journal();
  loaded_journal_ = true;

  log_event(LogLevel::Info, "reconcile",
            {{"interface", backend_.interface()},
             {"pool_peers", std::to_string(snap.pool_peers)},
             {"named", std::to_string(by_name_.size())},
             {"orphans", std::to_string(orphan_by_key_.size())},
             {"static_peers", std::to_string(static_keys_.size())},
             {"listen_port", std::to_string(device_.listen_port)}});
}

std::optional<Refusal> Registry::refresh_if_stale() {
  uint64_t instance = backend_.instance();
  if (instance == 0) {
    valid_ = false;
    return Refusal{Refusal::Kind::Unavailable, backend_.missing_reason()};
  }
  const char* why = nullptr;
  if (!valid_)
    why = "no view";
  else if (instance != instance_)
    why = "interface re-created";
  else if (double now = clock_.monotonic_seconds(); now - reconciled_at_ > max_age_) {
    // While registrations keep coming (a herd after a power cut), the read
    // waits for a pause, up to twice the bound: at 100 000 peers it holds
    // every request up for about a second.
    if (now - last_registration_ < kHerdPause && now - reconciled_at_ <= 2 * max_age_) return std::nullopt;
    why = "view too old";
  }
  if (!why) return std::nullopt;
  log_event(LogLevel::Info, "refresh", {{"interface", backend_.interface()}, {"reason", why}});
  return reconcile();
}

std::optional<Refusal> Registry::conflict(const Name& name, const Address& address, const WgKey& key) const {
  if (device_.public_key && key == *device_.public_key)
    return Refusal{Refusal::Kind::BadRequest, "the key is the server's own public key", Refusal::About::Key};
  if (static_keys_.count(key))
    return Refusal{Refusal::Kind::Conflict, "the key belongs to a static peer of the interface", Refusal::About::Key};
  if (auto it = name_by_key_.find(key); it != name_by_key_.end() && (*it)->first != name.value)
    return Refusal{Refusal::Kind::Conflict, "the key is already registered by another device", Refusal::About::Key};
  if (auto it = orphan_by_key_.find(key); it != orphan_by_key_.end() && it->second != address)
    return Refusal{Refusal::Kind::Conflict, "the key is already used by another pool peer", Refusal::About::Key};
  for (const auto& range : held_ranges_)
    if (range.contains(address))
      return Refusal{Refusal::Kind::Conflict, "the address lies in a range held by a static peer",
                     Refusal::About::Address};
  if (auto it = name_by_address_.find(address); it != name_by_address_.end() && (*it)->first != name.value)
    return Refusal{Refusal::Kind::Conflict, "the address is already held by device '" + (*it)->first + "'",
                   Refusal::About::Address};
  return std::nullopt;
}

Result<Registration, Refusal> Registry::register_peer(const Name& name, const Address& address, const WgKey& key,
                                                     CertRecord cert) {
  std::vector<Intent> one;
  one.push_back(Intent{name, address, key, std::move(cert)});
  return std::move(register_batch(std::move(one))[0]);
}

void Registry::unindex(const Named* named) {
  if (auto k = name_by_key_.find(named->second.key); k != name_by_key_.end() && *k == named) name_by_key_.erase(k);
  if (auto a = name_by_address_.find(named->second.address); a != name_by_address_.end() && *a == named)
    name_by_address_.erase(a);
}

void Registry::forget(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return;
  unindex(&*it);
  unindex_cert(&*it);
  by_name_.erase(it);
}

void Registry::index_cert(const Named* named) {
  const auto& cert = named->second.cert;
  if (!cert) return;
  if (!cert->serial.empty()) by_serial_.emplace(cert->serial, named);
  if (cert->not_after) by_expiry_.emplace(cert->not_after, named);
}

void Registry::unindex_cert(const Named* named) {
  const auto& cert = named->second.cert;
  if (!cert) return;
  auto [first, last] = by_serial_.equal_range(cert->serial);
  for (auto it = first; it != last; ++it)
    if (it->second == named) {
      by_serial_.erase(it);
      break;
    }
  by_expiry_.erase({cert->not_after, named});
}

void Registry::rebuild_cert_indexes() {
  by_serial_.clear();
  by_expiry_.clear();
  for (const auto& named : by_name_) index_cert(&named);
}

std::vector<std::string> Registry::names_with_serial(const std::string& serial,
                                                     const std::function<bool(const CertRecord&)>& matches) const {
  std::vector<std::string> names;
  auto [first, last] = by_serial_.equal_range(serial);
  for (auto it = first; it != last; ++it)
    if (matches(*it->second->second.cert)) names.push_back(it->second->first);
  return names;
}

std::vector<std::string> Registry::names_expiring_before(int64_t time) const {
  std::vector<std::string> names;
  for (auto it = by_expiry_.begin(); it != by_expiry_.end() && it->first < time; ++it)
    names.push_back(it->second->first);
  return names;
}

int64_t Registry::earliest_expiry() const { return by_expiry_.empty() ? 0 : by_expiry_.begin()->first; }

std::vector<std::string> Registry::names_idle_since(int64_t time) const {
  std::vector<std::string> names;
  for (const auto& [name, e] : by_name_)
    if (e.created < time && e.last_handshake < time) names.push_back(name);
  return names;
}

void Registry::visit_names(const std::function<void(const std::string&)>& visit) const {
  for (const auto& named : by_name_) visit(named.first);
}

Registry::HandshakeAges Registry::handshake_ages(int64_t now) const {
  HandshakeAges ages;
  for (const auto& [name, e] : by_name_) {
    if (e.last_handshake == 0) {
      ++ages.never;
      continue;
    }
    int64_t age = now - e.last_handshake;
    ++(age < 180 ? ages.under_3m : age < 3600 ? ages.under_1h : ages.older);
  }
  return ages;
}

// `name` must not be in the view (forget it first).
void Registry::remember(const std::string& name, const Entry& entry) {
  auto [it, inserted] = by_name_.emplace(name, entry);
  (void)inserted;
  name_by_key_.insert(&*it);
  name_by_address_.insert(&*it);
  index_cert(&*it);
}

void Registry::remove_orphan(const WgKey& key) {
  auto it = orphan_by_key_.find(key);
  if (it == orphan_by_key_.end()) return;
  orphan_by_address_.erase(it->second);
  orphan_by_key_.erase(it);
}

JournalEntry Registry::journal_entry(const std::string& name, const Entry& entry) {
  JournalEntry j{Name{name}, entry.key, entry.created};
  if (entry.cert) {
    j.serial = entry.cert->serial;
    j.issuer = entry.cert->issuer;
    j.not_after = entry.cert->not_after;
  }
  return j;
}

std::optional<std::string> Registry::append_journal(const std::vector<JournalEntry>& lines) {
  if (!journal_ || lines.empty()) return std::nullopt;
  try {
    journal_->append(lines);
    journal_lines_ += lines.size();
    return std::nullopt;
  } catch (const std::exception& e) {
    log_event(LogLevel::Error, "journal", {{"lines", std::to_string(lines.size())}, {"reason", e.what()}});
    return e.what();
  }
}

void Registry::rewrite_journal() {
  if (!journal_) return;
  std::vector<const Named*> order;
  order.reserve(by_name_.size());
  for (const auto& named : by_name_) order.push_back(&named);
  std::stable_sort(order.begin(), order.end(),
                   [](const Named* a, const Named* b) { return a->second.created < b->second.created; });
  try {
    journal_->rewrite([&](const Journal::EntryWriter& write) {
      for (const Named* n : order) write(journal_entry(n->first, n->second));
    });
    journal_lines_ = order.size();
  } catch (const std::exception& e) {
    log_event(LogLevel::Error, "journal", {{"reason", e.what()}});
  }
}

Result<std::vector<Eviction>, Refusal> Registry::evict(const std::vector<std::string>& names) {
  if (auto refused = refresh_if_stale()) return Failure<Refusal>{*refused};
  std::vector<Eviction> evicted;
  std::unordered_set<std::string_view> seen;
  Change change;
  for (const auto& name : names) {
    auto it = by_name_.find(name);
    if (it == by_name_.end() || !seen.insert(it->first).second) continue;
    const Entry& e = it->second;
    evicted.push_back(Eviction{name, e.key, e.address, e.cert ? *e.cert : CertRecord{}});
    change.remove.push_back(it->second.key);
  }
  if (evicted.empty()) return evicted;
  try {
    backend_.apply(change);
  } catch (const WgError& e) {
    return Failure<Refusal>{refusal_from(e)};
  }
  std::vector<JournalEntry> lines;
  for (const auto& e : evicted) {
    forget(e.name);
    if (observer_) observer_->removed(e.address);
    lines.push_back(JournalEntry::eviction(Name{e.name}));
  }
  // After the change: a line lost to a full disk leaves a name whose key is
  // no longer on the interface, which the next read drops.
  append_journal(lines);
  return evicted;
}

std::optional<Refusal> Registry::visit_peers(const std::function<void(const PeerStatus&)>& visit,
                                             PeerCounts* counts) {
  if (auto refused = refresh_if_stale()) return refused;
  // 24 bytes a peer, for as long as the answer takes; the handshake time
  // goes into the view, which it makes newer.
  struct Row {
    const Named* named;
    uint64_t rx, tx;
  };
  std::vector<Row> rows;
  rows.reserve(by_name_.size());
  try {
    PeerCounts seen;
    backend_.read([&](Peer&& peer) {
      if (!is_pool_peer(peer, pool_)) {
        ++seen.statics;
        return;
      }
      auto it = name_by_key_.find(peer.public_key);
      if (it == name_by_key_.end()) {
        ++seen.unnamed;
        return;
      }
      // The index holds its nodes as const; the entries themselves are the view's own.
      const_cast<Entry&>((*it)->second).last_handshake = unix32(peer.last_handshake);
      rows.push_back(Row{*it, peer.rx_bytes, peer.tx_bytes});
    });
    seen.named = rows.size();
    if (counts) *counts = seen;
  } catch (const WgError& e) {
    return refusal_from(e);
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.named->first < b.named->first; });
  for (const auto& r : rows) {
    const Entry& e = r.named->second;
    visit(PeerStatus{r.named->first, e.key, e.address, e.created, e.last_handshake, r.rx, r.tx, e.cert.get()});
  }
  return std::nullopt;
}

}  // namespace autowg
