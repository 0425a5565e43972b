#include <rapidjson/document.h>
#include <rapidjson/istreamwrapper.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "naming.h"

using namespace autowg;

namespace {

std::unique_ptr<Converter> converter(ConverterKind kind, const char* pool, const char* tmpl = "%s") {
  auto c = make_converter(kind, *Prefix::parse(pool), tmpl);
  REQUIRE(c);
  return std::move(c.value());
}

}  // namespace

TEST_CASE("every shared address vector") {
  std::ifstream in(AUTOWG_TEST_DATA "/addresses.json");
  REQUIRE(in);
  rapidjson::IStreamWrapper wrapper(in);
  rapidjson::Document doc;
  doc.ParseStream(wrapper);
  REQUIRE(doc.IsArray());
  REQUIRE(doc.Size() >= 17);
  for (const auto& v : doc.GetArray()) {
    std::string kind = v["converter"].GetString();
    const char* tmpl = v.HasMember("template") ? v["template"].GetString() : "%s";
    auto c = converter(kind == "metans" ? ConverterKind::Metans : ConverterKind::DirectBcd, v["pool"].GetString(), tmpl);
    std::string name = v["name"].GetString();
    INFO(kind << " " << v["pool"].GetString() << " " << tmpl << " " << name);
    auto address = c->address_for(Name{name});
    if (v["ip"].IsNull()) {
      CHECK_FALSE(address);
    } else {
      REQUIRE(address);
      CHECK(address->str() == v["ip"].GetString());
    }
  }
}

TEST_CASE("direct-bcd refuses anything but 1-4 ASCII digits") {
  auto c = converter(ConverterKind::DirectBcd, "fde3:25fb:7f6c:1::/64");
  for (const char* bad : {"", "+1", "-1", " 1", "1 ", "1_0", "12345", "0x12", "\xd9\xa3", "1.0"})
    CHECK_FALSE(c->address_for(Name{bad}));
  CHECK(c->address_for(Name{"0001"})->str() == "fde3:25fb:7f6c:1::1");
}

TEST_CASE("metans lower-cases the name but not the template") {
  auto c = converter(ConverterKind::Metans, "fde3:25fb:7f6c:1::/64", "st%s.0");
  CHECK(c->address_for(Name{"ABC"})->str() == c->address_for(Name{"abc"})->str());
  CHECK(c->address_for(Name{"a.b"}));                       // a dot in the name adds a label: still valid
  CHECK_FALSE(c->address_for(Name{"a..b"}));                // an empty label is not
  CHECK_FALSE(c->address_for(Name{"a_b"}));
  CHECK_FALSE(c->address_for(Name{""}));
}

TEST_CASE("metans template rules") {
  auto pool = *Prefix::parse("fd00::/64");
  CHECK(make_converter(ConverterKind::Metans, pool, "%%%s").error().find("DNS label") != std::string::npos);
  CHECK(make_converter(ConverterKind::Metans, pool, "x").error().find("exactly once") != std::string::npos);
  CHECK(make_converter(ConverterKind::Metans, pool, "%s.%s").error().find("exactly once") != std::string::npos);
  CHECK(make_converter(ConverterKind::Metans, pool, "%d").error().find("neither") != std::string::npos);
  CHECK_FALSE(make_converter(ConverterKind::Metans, pool, "%s."));
  CHECK_FALSE(make_converter(ConverterKind::Metans, pool, "Node-%s"));
  CHECK(make_converter(ConverterKind::Metans, pool, "node-%s.site-a"));
}

TEST_CASE("pools too small for the converter are refused") {
  CHECK(make_converter(ConverterKind::DirectBcd, *Prefix::parse("fd00::/112")));
  CHECK(make_converter(ConverterKind::DirectBcd, *Prefix::parse("fd00::/113")).error().find("/112") !=
        std::string::npos);
  CHECK(make_converter(ConverterKind::Metans, *Prefix::parse("fd00::/96")));
  CHECK_FALSE(make_converter(ConverterKind::Metans, *Prefix::parse("fd00::/97")));
  CHECK_FALSE(make_converter(ConverterKind::Metans, *Prefix::parse("fd00::1/128")));
}
