// The registration service: who holds which address and key in the pool,
// and the one change per registration (README "HTTP API"). It knows nothing
// of HTTP: a refusal says what kind it is, and the front end decides what
// that becomes.
//
// The kernel is the truth. The in-memory view is rebuilt from a full read of
// the interface at start, on demand (SIGHUP), when it is older than a bound,
// and when the interface was re-created; a registration itself never reads
// the whole interface.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string_view>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cert_params.h"
#include "ip6.h"
#include "journal.h"
#include "naming.h"
#include "result.h"
#include "wgkey.h"
#include "wireguard.h"

namespace autowg {

struct Refusal {
  enum class Kind {
    BadRequest,   // the device's own input cannot be used (e.g. the server's key)
    Conflict,     // the key or address belongs to someone else
    Unavailable,  // the interface is missing or not configured; may pass
    Internal,     // the kernel refused a change, or a broken invariant
  };
  // What it is about, for monitoring: the device's key, its address, or the
  // interface itself.
  enum class About { Key, Address, Interface };
  Kind kind;
  std::string reason;
  About about = About::Interface;
};

struct Registration {
  Address address;
  WgKey server_key;
  uint16_t listen_port = 0;
  std::optional<WgKey> replaced;  // the device's previous key, now removed
  bool unchanged = false;         // the same name with the same key again
};

struct Clock {
  std::function<int64_t()> unix_seconds;
  std::function<double()> monotonic_seconds;
  static Clock system();
};

// One named pool peer as monitoring shows it.
struct PeerStatus {
  const std::string& name;
  const WgKey& key;
  const Address& address;
  int64_t created;
  int64_t last_handshake;
  uint64_t rx_bytes;
  uint64_t tx_bytes;
  const CertRecord* cert;  // null: unknown
};

// A pool peer taken off the interface, for the caller's log line.
struct Eviction {
  std::string name;
  WgKey key;
  Address address;
  CertRecord cert;
};

// What a full read of the interface found besides the named peers.
struct PeerCounts {
  size_t named = 0;
  size_t unnamed = 0;  // pool peers with no known name
  size_t statics = 0;
};

// Follows which pool addresses are held, as the interface changes (the route
// table follows it). Called after each change the registry made; synced()
// after each full read, with every address a pool peer holds.
class PoolObserver {
 public:
  virtual ~PoolObserver() = default;
  virtual void added(const Address& address) = 0;
  virtual void removed(const Address& address) = 0;
  virtual void synced(const std::vector<Address>& held) = 0;
};

class Registry {
 public:
  // `journal` may be null (no persistence).
  Registry(Backend& backend, const Prefix& pool, Journal* journal, Clock clock, double max_age_seconds);

  // Re-reads the interface and rebuilds the view.
  std::optional<Refusal> reconcile();
  // The same, when the view is older than the bound (or the interface was
  // re-created): what a periodic timer calls, so that it and the requests
  // that find the view old never read the interface twice in a row. While
  // registrations come less than kHerdPause apart, a view up to twice the
  // bound is kept, so that a herd is not held up by the read.
  std::optional<Refusal> refresh() { return refresh_if_stale(); }
  static constexpr double kHerdPause = 1.0;

  // At most one; null: nobody.
  void observe(PoolObserver* observer) { observer_ = observer; }

  Result<Registration, Refusal> register_peer(const Name& name, const Address& address, const WgKey& key,
                                              CertRecord cert = {});

  // Registrations that are ready at the same moment (a herd after a power
  // cut), committed together: as few changes on the interface and journal
  // writes as their meaning allows, at most kMaxBatch each. Each is answered
  // as if they had come one after another in this order: a refusal refuses
  // only its own; one that depends on an earlier one (the same name, key or
  // address, or a key an earlier one frees) goes into the next change. If
  // the kernel refuses a change, the interface is read again and each
  // registration of it retried alone, so that each answer is true.
  //
  // The journal is written ahead of the change: a registration whose line
  // cannot be written (a full disk) is refused (503) and the interface left
  // as it was, so that every answered registration survives a restart.
  struct Intent {
    Name name;
    Address address;
    WgKey key;
    CertRecord cert;
  };
  static constexpr size_t kMaxBatch = 64;
  std::vector<Result<Registration, Refusal>> register_batch(std::vector<Intent> intents);

  // Removes these devices' peers in one change; a name that is not
  // registered is left out of the answer. Static peers are never touched.
  Result<std::vector<Eviction>, Refusal> evict(const std::vector<std::string>& names);

  // Every named pool peer with its kernel counters, sorted by name.
  std::optional<Refusal> visit_peers(const std::function<void(const PeerStatus&)>& visit,
                                     PeerCounts* counts = nullptr);

  // Lifecycle queries on the view (no read of the interface).
  // Names whose recorded serial `matches` (called once per candidate).
  std::vector<std::string> names_with_serial(const std::string& serial,
                                             const std::function<bool(const CertRecord&)>& matches) const;
  // Names whose recorded notAfter is before `time`; the earliest notAfter
  // of all (0: none known).
  std::vector<std::string> names_expiring_before(int64_t time) const;
  int64_t earliest_expiry() const;
  // Names with no handshake since `time` (as of the last read of the
  // interface), that also registered before it.
  std::vector<std::string> names_idle_since(int64_t time) const;
  // Every name, for sweeps by name (the deny list).
  void visit_names(const std::function<void(const std::string&)>& visit) const;

  // What the last read of the interface saw: handshake ages per named peer,
  // in seconds before `now` (for monitoring).
  struct HandshakeAges {
    size_t never = 0, under_3m = 0, under_1h = 0, older = 0;
  };
  HandshakeAges handshake_ages(int64_t now) const;

  size_t named_count() const { return by_name_.size(); }
  size_t static_count() const { return static_keys_.size(); }
  // Pool peers on the interface as far as the view knows: named and not.
  size_t pool_count() const { return by_name_.size() + orphan_by_key_.size(); }

  // For monitoring, kept as they happen (O(1) to read).
  struct Stats {
    uint64_t backend_errors = 0;
    uint64_t reconciles = 0;
    int64_t last_reconcile = 0;  // Unix seconds
    HandshakeAges ages;          // as of the last reconcile
  };
  const Stats& stats() const { return stats_; }
  const DeviceInfo& device() const { return device_; }

 private:
  // A certificate record owned by one entry (a copy of the entry copies
  // it): 8 bytes where a shared_ptr takes 16.
  class CertBox {
   public:
    CertBox() = default;
    explicit CertBox(CertRecord cert) : p_(std::make_unique<const CertRecord>(std::move(cert))) {}
    CertBox(const CertBox& o) : p_(o.p_ ? std::make_unique<const CertRecord>(*o.p_) : nullptr) {}
    CertBox& operator=(const CertBox& o) {
      if (this != &o) p_ = o.p_ ? std::make_unique<const CertRecord>(*o.p_) : nullptr;
      return *this;
    }
    CertBox(CertBox&&) noexcept = default;
    CertBox& operator=(CertBox&&) noexcept = default;
    const CertRecord* get() const { return p_.get(); }
    const CertRecord& operator*() const { return *p_; }
    const CertRecord* operator->() const { return p_.get(); }
    explicit operator bool() const { return bool(p_); }

   private:
    std::unique_ptr<const CertRecord> p_;
  };
  // 64 bytes, so that a name's node in by_name_ (without a kept hash, see
  // NameHash) takes 112 bytes of heap: at 100 000 peers, 3 MB less than
  // with 64-bit times and a shared_ptr.
  struct Entry {
    WgKey key;
    Address address;
    uint32_t created = 0;         // Unix seconds (until 2106)
    uint32_t last_handshake = 0;  // Unix seconds, as of the last read of the interface; 0: none
    CertBox cert;                 // null: unknown (most of a large, old fleet)
  };
  static_assert(sizeof(Entry) == 64, "a name's node is meant to take 112 bytes of heap");
  static uint32_t unix32(int64_t seconds) {
    return seconds <= 0 ? 0 : seconds >= int64_t(UINT32_MAX) ? UINT32_MAX : uint32_t(seconds);
  }
  // noexcept: then the map's nodes do not keep each name's hash (8 bytes).
  struct NameHash {
    size_t operator()(const std::string& name) const noexcept { return std::hash<std::string_view>()(name); }
  };
  using Named = std::pair<const std::string, Entry>;
  // Indexes into by_name_ by key and by address: sets of node pointers,
  // looked up with a key or an address (a third of the memory of maps).
  struct KeyOf {
    static const WgKey& of(const Named* n) { return n->second.key; }
    static const WgKey& of(const WgKey& k) { return k; }
    using Hash = WgKeyHash;
  };
  struct AddressOf {
    static const Address& of(const Named* n) { return n->second.address; }
    static const Address& of(const Address& a) { return a; }
    using Hash = AddressHash;
  };
  template <typename Field>
  struct IndexHash {
    using is_transparent = void;
    size_t operator()(const auto& x) const { return typename Field::Hash()(Field::of(x)); }
  };
  template <typename Field>
  struct IndexEqual {
    using is_transparent = void;
    bool operator()(const auto& a, const auto& b) const { return Field::of(a) == Field::of(b); }
  };
  template <typename Field>
  using Index = std::unordered_set<const Named*, IndexHash<Field>, IndexEqual<Field>>;

  // What a full read of the interface says beyond the named peers, which are
  // re-indexed in place as the read goes (a large view is never held twice).
  struct Snapshot {
    DeviceInfo info;
    uint64_t instance = 0;
    size_t pool_peers = 0;
    std::vector<std::pair<WgKey, Address>> orphans;
    std::unordered_set<WgKey, WgKeyHash> static_keys;
    std::vector<Prefix> held;
  };
  Result<Snapshot, Refusal> read_snapshot();
  // `interrupted`: it failed because the kernel interrupted the dump.
  Result<Snapshot, Refusal> read_snapshot_once(bool& interrupted);
  void adopt(Snapshot&& snapshot);
  std::optional<Refusal> refresh_if_stale();
  std::optional<Refusal> conflict(const Name& name, const Address& address, const WgKey& key) const;
  void forget(const std::string& name);
  static JournalEntry journal_entry(const std::string& name, const Entry& entry);
  // One registration's part of a change (registry_batch.cpp).
  struct Planned {
    std::optional<WgKey> replaced;  // the name's previous key, removed
    std::optional<WgKey> adopted;   // a nameless pool peer's key at the address, removed
    bool unchanged = false;
    bool was_held = false;
  };
  Result<Planned, Refusal> plan(const Intent& intent) const;
  Registration commit(Intent& intent, const Planned& planned, int64_t created);
  // The error when the journal could not take the lines (nothing written).
  std::optional<std::string> append_journal(const std::vector<JournalEntry>& lines);
  void index_cert(const Named* named);
  void unindex_cert(const Named* named);
  void rebuild_cert_indexes();
  void remember(const std::string& name, const Entry& entry);
  void load_journal();
  // Drops `named` from both indexes where they point at it.
  void unindex(const Named* named);
  void remove_orphan(const WgKey& key);
  void rewrite_journal();
  Refusal refusal_from(const WgError& error);

  Backend& backend_;
  Prefix pool_;
  Journal* journal_;
  Clock clock_;
  double max_age_;

  bool valid_ = false;
  bool loaded_journal_ = false;
  uint64_t instance_ = 0;
  double reconciled_at_ = 0;
  double last_registration_ = -1e18;  // monotonic seconds; long ago
  size_t journal_lines_ = 0;
  DeviceInfo device_;

  std::unordered_map<std::string, Entry, NameHash> by_name_;
  std::unordered_multimap<std::string_view, const Named*> by_serial_;
  std::set<std::pair<int64_t, const Named*>> by_expiry_;
  Stats stats_;
  PoolObserver* observer_ = nullptr;
  Index<KeyOf> name_by_key_;
  Index<AddressOf> name_by_address_;
  // Pool peers with no known name (e.g. the journal was lost): a device that
  // registers for their address takes them over.
  std::unordered_map<WgKey, Address, WgKeyHash> orphan_by_key_;
  std::unordered_map<Address, WgKey, AddressHash> orphan_by_address_;
  // Static peers: never touched, their keys and their ranges inside the pool
  // never given away.
  std::unordered_set<WgKey, WgKeyHash> static_keys_;
  std::vector<Prefix> held_ranges_;
};

}  // namespace autowg
