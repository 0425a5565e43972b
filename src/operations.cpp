#include "operations.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <iomanip>

#include "lifecycle.h"
#include "text.h"

namespace autowg {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), rapidjson::SizeType(value.size()));
}

std::string error_answer(const std::string& message) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "error", message);
  w.EndObject();
  return buffer.GetString();
}

std::string list(Registry& registry, const std::string& interface) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  put(w, "interface", interface);
  w.Key("peers");
  w.StartArray();
  PeerCounts counts;
  auto refused = registry.visit_peers(
      [&](const PeerStatus& p) {
        w.StartObject();
        put(w, "name", p.name);
        put(w, "ip", p.address.str());
        put(w, "pubkey", p.key.base64());
        w.Key("created");
        w.Int64(p.created);
        w.Key("last_handshake");
        w.Int64(p.last_handshake);
        w.Key("rx_bytes");
        w.Uint64(p.rx_bytes);
        w.Key("tx_bytes");
        w.Uint64(p.tx_bytes);
        if (p.cert) {
          put(w, "serial", p.cert->serial);
          w.Key("expires");
          w.Int64(p.cert->not_after);
        }
        w.EndObject();
      },
      &counts);
  if (refused) return error_answer(refused->reason);
  w.EndArray();
  w.Key("unnamed_pool_peers");
  w.Uint64(counts.unnamed);
  w.Key("static_peers");
  w.Uint64(counts.statics);
  w.EndObject();
  return buffer.GetString();
}

std::string evict(Registry& registry, const std::vector<std::string>& names,
                  const std::function<void(EvictionReason, size_t)>& observe) {
  auto evicted = registry.evict(names);
  if (!evicted) return error_answer(evicted.error().reason);
  for (const auto& e : *evicted) log_eviction(e, EvictionReason::Operator);
  if (observe && !evicted->empty()) observe(EvictionReason::Operator, evicted->size());
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("evicted");
  w.StartArray();
  for (const auto& e : *evicted) {
    w.StartObject();
    put(w, "name", e.name);
    put(w, "ip", e.address.str());
    put(w, "pubkey", e.key.base64());
    w.EndObject();
  }
  w.EndArray();
  w.Key("absent");
  w.StartArray();
  for (const auto& name : names) {
    bool gone = false;
    for (const auto& e : *evicted) gone = gone || e.name == name;
    if (!gone) w.String(name.data(), rapidjson::SizeType(name.size()));
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

std::string age(int64_t now, int64_t then) {
  if (then == 0) return "never";
  int64_t s = now - then;
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

// How long until `then`: "in 3d", "expired", "-" when unknown.
std::string until(int64_t now, int64_t then) {
  if (then == 0) return "-";
  if (then <= now) return "expired";
  return "in " + age(then, now);
}

bool parse_answer(const std::string& answer, rapidjson::Document& doc, std::ostream& err) {
  doc.Parse(answer.c_str(), answer.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    err << "autowg: the responder's answer is not JSON\n";
    return false;
  }
  if (doc.HasMember("error") && doc["error"].IsString()) {
    err << "autowg: " << doc["error"].GetString() << "\n";
    return false;
  }
  return true;
}

}  // namespace

std::string list_request() { return "list"; }

std::string evict_request(const std::vector<std::string>& names) {
  std::string line = "evict";
  for (const auto& n : names) line += " " + percent_encode(n);
  return line;
}

std::string run_request(Registry& registry, const std::string& interface, std::string_view request,
                        const std::function<void(EvictionReason, size_t)>& evicted) {
  if (request == "list") return list(registry, interface);
  if (request.rfind("evict ", 0) == 0) {
    std::vector<std::string> names;
    std::string_view rest = request.substr(6);
    while (!rest.empty()) {
      auto space = rest.find(' ');
      auto name = percent_decode(rest.substr(0, space));
      if (!name || name->empty()) return error_answer("malformed evict request");
      names.push_back(*name);
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    if (names.empty()) return error_answer("evict needs at least one name");
    return evict(registry, names, evicted);
  }
  return error_answer("unknown command");
}

int show_list(const std::string& answer, bool json, int64_t now, std::ostream& out, std::ostream& err) {
  rapidjson::Document doc;
  if (!parse_answer(answer, doc, err)) return 1;
  if (json) {
    out << answer << "\n";
    return 0;
  }
  out << std::left << std::setw(20) << "NAME" << " " << std::setw(39) << "ADDRESS" << " " << std::setw(8) << "KEY"
      << " " << std::setw(16) << "SERIAL" << " " << std::setw(10) << "EXPIRES" << " " << std::setw(10) << "HANDSHAKE"
      << " " << std::setw(12) << "RX" << " " << "TX" << "\n";
  size_t rows = 0;
  for (const auto& p : doc["peers"].GetArray()) {
    out << std::setw(20) << escape_controls(p["name"].GetString()) << " " << std::setw(39) << p["ip"].GetString() << " "
        << std::setw(8) << std::string(p["pubkey"].GetString()).substr(0, 8) << " " << std::setw(16)
        << (p.HasMember("serial") && p["serial"].GetStringLength() ? p["serial"].GetString() : "-") << " "
        << std::setw(10) << (p.HasMember("expires") ? until(now, p["expires"].GetInt64()) : "-") << " " << std::setw(10)
        << age(now, p["last_handshake"].GetInt64()) << " " << std::setw(12) << p["rx_bytes"].GetUint64() << " "
        << p["tx_bytes"].GetUint64() << "\n";
    ++rows;
  }
  out << rows << " pool peers";
  if (doc["unnamed_pool_peers"].GetUint64()) out << " (and " << doc["unnamed_pool_peers"].GetUint64() << " unnamed)";
  out << ", " << doc["static_peers"].GetUint64() << " static peers\n";
  return 0;
}

int show_evict(const std::string& answer, std::ostream& out, std::ostream& err) {
  rapidjson::Document doc;
  if (!parse_answer(answer, doc, err)) return 1;
  for (const auto& e : doc["evicted"].GetArray())
    out << "evicted " << escape_controls(e["name"].GetString()) << " " << e["ip"].GetString() << "\n";
  int status = 0;
  for (const auto& n : doc["absent"].GetArray()) {
    err << "autowg: " << escape_controls(n.GetString()) << " is not registered\n";
    status = 1;
  }
  return status;
}

}  // namespace autowg
