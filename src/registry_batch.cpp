// Registration, one or many at once (group commit): Registry::register_batch
// and the two halves of each registration, planning it against the view and
// committing it once the interface has it.
#include <unordered_set>

#include "log.h"
#include "registry.h"

namespace autowg {

Result<Registry::Planned, Refusal> Registry::plan(const Intent& in) const {
  if (!pool_.contains(in.address))
    return Failure<Refusal>{{Refusal::Kind::Internal, "address " + in.address.str() + " is outside the pool"}};
  if (auto refused = conflict(in.name, in.address, in.key)) return Failure<Refusal>{*refused};
  Planned p;
  p.was_held = name_by_address_.count(in.address) || orphan_by_address_.count(in.address);
  if (auto it = by_name_.find(in.name.value); it != by_name_.end()) {
    if (it->second.key == in.key)
      p.unchanged = true;
    else
      p.replaced = it->second.key;
  }
  if (auto it = orphan_by_address_.find(in.address); it != orphan_by_address_.end() && !(it->second == in.key))
    p.adopted = it->second;
  return p;
}

Registration Registry::commit(Intent& in, const Planned& p, int64_t created) {
  if (p.adopted) {
    log_event(LogLevel::Warning, "adopt",
              {{"name", in.name.value}, {"ip", in.address.str()}, {"old_key", p.adopted->fingerprint()},
               {"reason", "a pool peer with no known name held the address"}});
    remove_orphan(*p.adopted);
  }
  remove_orphan(in.key);
  forget(in.name.value);
  Entry entry{in.key, in.address, unix32(created), 0, {}};
  if (!in.cert.empty()) entry.cert = CertBox(std::move(in.cert));
  remember(in.name.value, entry);
  if (observer_ && !p.was_held) observer_->added(in.address);
  return Registration{in.address, *device_.public_key, device_.listen_port, p.replaced, p.unchanged};
}

std::vector<Result<Registration, Refusal>> Registry::register_batch(std::vector<Intent> intents) {
  std::vector<Result<Registration, Refusal>> results(intents.size(), Failure<Refusal>{{Refusal::Kind::Internal, ""}});
  if (auto refused = refresh_if_stale()) {
    for (auto& r : results) r = Failure<Refusal>{*refused};
    return results;
  }
  size_t next = 0;
  while (next < intents.size()) {
    // One change: registrations in order, until one depends on an earlier
    // one of this change (then it waits for the next change, when the view
    // has the earlier one). The view below does not have this change's
    // effects yet, so every key, name and address it touches is noted.
    Change change;
    std::vector<std::pair<size_t, Planned>> batch;
    std::unordered_set<WgKey, WgKeyHash> keys;
    std::unordered_set<std::string_view> names;
    std::unordered_set<Address, AddressHash> addresses;
    for (; next < intents.size() && batch.size() < kMaxBatch; ++next) {
      const Intent& in = intents[next];
      if (keys.count(in.key) || names.count(in.name.value) || addresses.count(in.address)) break;
      auto planned = plan(in);
      if (!planned) {
        results[next] = Failure<Refusal>{planned.error()};
        continue;
      }
      if ((planned->replaced && keys.count(*planned->replaced)) || (planned->adopted && keys.count(*planned->adopted)))
        break;
      keys.insert(in.key);
      names.insert(in.name.value);
      addresses.insert(in.address);
      change.sets.push_back(Change::Set{in.key, {AllowedIp::host(in.address)}});
      for (const auto& gone : {planned->replaced, planned->adopted})
        if (gone) {
          keys.insert(*gone);
          change.remove.push_back(*gone);
        }
      batch.emplace_back(next, *planned);
    }
    if (batch.empty()) continue;
    // Written ahead: a line for a change that then fails is superseded below.
    int64_t created = clock_.unix_seconds();
    std::vector<JournalEntry> lines;
    lines.reserve(batch.size());
    for (auto& [index, p] : batch) {
      const Intent& in = intents[index];
      lines.push_back(JournalEntry{in.name, in.key, created, in.cert.serial, in.cert.issuer, in.cert.not_after});
    }
    if (auto error = append_journal(lines)) {
      for (auto& [index, p] : batch)
        results[index] = Failure<Refusal>{{Refusal::Kind::Unavailable, "cannot record the registration: " + *error}};
      continue;
    }
    try {
      backend_.apply(change);
    } catch (const WgError& e) {
      Refusal refusal = refusal_from(e);
      // The journal's last word for these names is their state before: their
      // old key, or none (else a new name's line could, after a restart,
      // claim a peer left at its address with that key, unnamed since a
      // journal was lost).
      std::vector<JournalEntry> restore;
      for (auto& [index, p] : batch) {
        const Name& name = intents[index].name;
        if (auto it = by_name_.find(name.value); it != by_name_.end())
          restore.push_back(journal_entry(it->first, it->second));
        else
          restore.push_back(JournalEntry::eviction(name));
      }
      append_journal(restore);
      if (batch.size() == 1 || refusal.kind == Refusal::Kind::Unavailable) {
        for (auto& [index, p] : batch) results[index] = Failure<Refusal>{refusal};
        continue;
      }
      // Part of the change may have been applied. Read the interface again,
      // then try each registration of it alone: each answer is then true,
      // and a half-applied one is finished (or undone) by its own change.
      log_event(LogLevel::Warning, "register",
                {{"batch", std::to_string(batch.size())}, {"reason", refusal.reason},
                 {"action", "re-reading the interface and retrying one by one"}});
      if (auto refused = reconcile()) {
        for (auto& [index, p] : batch) results[index] = Failure<Refusal>{*refused};
        continue;
      }
      for (auto& [index, p] : batch) {
        std::vector<Intent> one{intents[index]};
        results[index] = std::move(register_batch(std::move(one))[0]);
      }
      continue;
    }
    for (auto& [index, p] : batch) results[index] = commit(intents[index], p, created);
  }
  last_registration_ = clock_.monotonic_seconds();
  return results;
}

}  // namespace autowg
