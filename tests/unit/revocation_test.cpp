#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "certificate.h"
#include "pki_fixture.h"
#include "revocation.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

// A CA that revoked 0123 and DEADBEEF0011, with its files.
struct FleetCa {
  Key key = new_key();
  Cert cert = make_certificate(key.get(), "Fleet CA", "01", nullptr, nullptr, true);
  Crl crl = make_crl(cert.get(), key.get(), {"0123", "DEADBEEF0011"});
  TempFiles files;
  std::string ca_path = files.write("ca.pem", pem(cert.get()));
};

std::string load_error(const std::string& crl_path, const std::string& ca_path) {
  auto list = RevocationList::load(crl_path, ca_path);
  return list ? "loaded" : list.error();
}

}  // namespace

TEST_CASE("a CRL revokes its serials, read from PEM or DER") {
  FleetCa ca;
  for (const auto& path :
       {ca.files.write("crl.pem", pem(ca.crl.get())), ca.files.write("crl.der", der(ca.crl.get()))}) {
    auto list = RevocationList::load(path, ca.ca_path);
    REQUIRE(list);
    CHECK(list->size() == 2);
    CHECK(list->issuer() == "CN=Fleet CA,O=Fleet");
    CHECK(list->revoked("123", "CN=Fleet CA,O=Fleet"));
    CHECK(list->revoked("0123"));  // nginx's $ssl_client_serial
    CHECK(list->revoked("DEADBEEF0011"));
    CHECK(list->revoked("de:ad:be:ef:00:11"));
    CHECK_FALSE(list->revoked("124", "CN=Fleet CA,O=Fleet"));
    CHECK_FALSE(list->revoked("DEADBEEF0012"));
    CHECK_FALSE(list->revoked("not a serial"));
    CHECK(list->next_update() > time(nullptr) + 6 * 86400);
    CHECK(list->next_update() < time(nullptr) + 8 * 86400);
  }
  CHECK(RevocationList::load(ca.files.write("crl.pem", pem(ca.crl.get())), ""));  // no signature check
}

TEST_CASE("a device certificate's facts find it in its CA's CRL") {
  FleetCa ca;
  auto list = RevocationList::load(ca.files.write("crl.pem", pem(ca.crl.get())), ca.ca_path);
  REQUIRE(list);
  auto device_key = new_key();
  auto revoked = read_certificate(
      pem(make_certificate(device_key.get(), "1234", "0123", ca.cert.get(), ca.key.get(), false).get()));
  auto good = read_certificate(
      pem(make_certificate(device_key.get(), "5678", "0124", ca.cert.get(), ca.key.get(), false).get()));
  REQUIRE(revoked);
  REQUIRE(good);
  CHECK(revoked->issuer == "CN=Fleet CA,O=Fleet");
  CHECK(list->knows_issuer(revoked->issuer));
  CHECK(list->revoked(revoked->serial, revoked->issuer));
  CHECK_FALSE(list->revoked(good->serial, good->issuer));
}

TEST_CASE("several CRLs in one file: the union, each serial under its issuer") {
  Key a_key = new_key(), b_key = new_key();
  Cert a = make_certificate(a_key.get(), "CA A", "01", nullptr, nullptr, true);
  Cert b = make_certificate(b_key.get(), "Ger\xc3\xa4t CA", "01", nullptr, nullptr, true);
  TempFiles files;
  std::string crls = pem(make_crl(a.get(), a_key.get(), {"05"}).get()) + "\n" +
                     pem(make_crl(b.get(), b_key.get(), {"07", "-09"}).get()) +
                     pem(make_crl(a.get(), a_key.get(), {"05", "06"}).get());  // a later CRL of A
  auto list = RevocationList::load(files.write("crls.pem", crls), files.write("cas.pem", pem(a.get()) + pem(b.get())));
  REQUIRE(list);
  CHECK(list->size() == 4);  // 5 and 6 of A, 7 and -9 of B
  REQUIRE(list->issuers().size() == 2);
  CHECK(list->issuer() == "CN=CA A,O=Fleet; CN=Ger\\C3\\A4t CA,O=Fleet");
  CHECK(list->revoked("5", "CN=CA A,O=Fleet"));
  CHECK(list->revoked("6", "CN=CA A,O=Fleet"));
  CHECK_FALSE(list->revoked("5", "CN=Ger\\C3\\A4t CA,O=Fleet"));
  CHECK(list->revoked("7", "CN=Ger\\C3\\A4t CA,O=Fleet"));
  CHECK(list->revoked("7", "CN=Ger\xc3\xa4t CA,O=Fleet"));  // Apache's spelling
  CHECK(list->revoked("-9"));
  CHECK_FALSE(list->revoked("9"));
  // No issuer, or one no CRL has: every CRL is asked (fail closed).
  CHECK(list->revoked("5"));
  CHECK(list->revoked("7", "CN=Other CA"));
  CHECK_FALSE(list->knows_issuer("CN=Other CA"));
  CHECK_FALSE(list->revoked("8", "CN=Other CA"));
}

TEST_CASE("a CRL that no CA certificate of the CA file signed is refused") {
  FleetCa ca;
  Key other_key = new_key();
  // In the CA's name, signed by another key.
  std::string forged = ca.files.write("forged.pem", pem(make_crl(ca.cert.get(), other_key.get(), {"05"}).get()));
  CHECK(load_error(forged, ca.ca_path).find("does not verify") != std::string::npos);
  CHECK(load_error(forged, "") == "loaded");
  // Its own CRL first, then the forged one.
  std::string mixed =
      ca.files.write("mixed.pem", pem(ca.crl.get()) + pem(make_crl(ca.cert.get(), other_key.get(), {"05"}).get()));
  CHECK(load_error(mixed, ca.ca_path).find("PEM block 2") != std::string::npos);
  // A CRL of a CA that is not in the file.
  Cert stranger = make_certificate(other_key.get(), "Stranger CA", "01", nullptr, nullptr, true);
  std::string foreign = ca.files.write("foreign.pem", pem(make_crl(stranger.get(), other_key.get(), {"05"}).get()));
  CHECK(load_error(foreign, ca.ca_path).find("no CA certificate has the CRL's issuer 'CN=Stranger CA,O=Fleet'") !=
        std::string::npos);
  // A CA whose keyUsage does not allow CRLs.
  Cert no_crl_sign = make_certificate(ca.key.get(), "Fleet CA", "02", nullptr, nullptr, true, "critical,keyCertSign");
  std::string ca_path = ca.files.write("nocrlsign.pem", pem(no_crl_sign.get()));
  CHECK(load_error(ca.files.write("crl.pem", pem(ca.crl.get())), ca_path).find("cRLSign") != std::string::npos);
  // No keyUsage extension at all allows every use.
  Cert no_usage = make_certificate(ca.key.get(), "Fleet CA", "03", nullptr, nullptr, true, "");
  CHECK(load_error(ca.files.write("crl.pem", pem(ca.crl.get())), ca.files.write("nousage.pem", pem(no_usage.get()))) ==
        "loaded");
  CHECK(load_error(ca.files.write("crl.pem", pem(ca.crl.get())), ca.files.dir() + "/missing.pem").find("cannot open") !=
        std::string::npos);
  CHECK(load_error(ca.files.write("crl.pem", pem(ca.crl.get())), ca.files.write("empty.pem", ""))
            .find("not a certificate") != std::string::npos);
}

TEST_CASE("truncated, garbage and over-large CRL files are refused") {
  FleetCa ca;
  std::string text = pem(ca.crl.get());
  std::string binary = der(ca.crl.get());
  auto refused = [&](const std::string& content) { return load_error(ca.files.write("bad", content), ""); };
  CHECK(refused(text.substr(0, text.size() / 2)).find("truncated") != std::string::npos);
  CHECK(refused(text.substr(0, text.size() - 30)).find("truncated") != std::string::npos);
  CHECK(refused(text + text.substr(0, 100)).find("PEM block 2 is truncated") != std::string::npos);
  CHECK(refused(binary.substr(0, binary.size() - 1)).find("malformed DER") != std::string::npos);
  CHECK(refused(binary + "x").find("malformed DER") != std::string::npos);
  CHECK(refused("garbage").find("malformed DER") != std::string::npos);
  CHECK(refused("").find("malformed DER") != std::string::npos);
  CHECK(refused(text + "trailing words\n").find("unexpected text") != std::string::npos);
  CHECK(refused(pem(ca.cert.get())).find("PEM block 1 is a CERTIFICATE where an X509 CRL was expected") != std::string::npos);
  CHECK(refused(text + "\n\n") == "loaded");
  CHECK(load_error(ca.files.dir() + "/missing.crl", "").find("cannot open") != std::string::npos);
  std::string large = ca.files.dir() + "/large.crl";
  std::filesystem::resize_file(ca.files.write("large.crl", ""), RevocationList::kMaxFileSize + 1);
  CHECK(load_error(large, "").find("larger than") != std::string::npos);
}

TEST_CASE("an empty CRL revokes nothing; no CRL revokes nothing") {
  FleetCa ca;
  auto list = RevocationList::load(ca.files.write("empty.der", der(make_crl(ca.cert.get(), ca.key.get(), {}).get())),
                                   ca.ca_path);
  REQUIRE(list);
  CHECK(list->size() == 0);
  CHECK(list->issuer() == "CN=Fleet CA,O=Fleet");
  CHECK_FALSE(list->revoked("123"));
  RevocationList none;
  CHECK(none.size() == 0);
  CHECK_FALSE(none.revoked("123", "CN=Fleet CA,O=Fleet"));
  CHECK(none.issuer().empty());
  CHECK(none.next_update() == 0);
}

TEST_CASE("with a cache, the CA file is read again when it changes") {
  FleetCa ca;
  CrlCaCache cache;
  std::string crl_path = ca.files.write("crl.pem", pem(ca.crl.get()));
  REQUIRE(RevocationList::load(crl_path, ca.ca_path, &cache));
  REQUIRE(RevocationList::load(crl_path, ca.ca_path, &cache));  // from the cache
  // The CA gets a new key: the file is replaced, the old CRL no longer verifies.
  Key new_key_ = new_key();
  Cert renewed = make_certificate(new_key_.get(), "Fleet CA", "02", nullptr, nullptr, true);
  ca.files.write("ca.pem.new", pem(renewed.get()));
  REQUIRE(std::rename((ca.files.dir() + "/ca.pem.new").c_str(), ca.ca_path.c_str()) == 0);
  auto old = RevocationList::load(crl_path, ca.ca_path, &cache);
  REQUIRE_FALSE(old);
  CHECK(old.error().find("does not verify") != std::string::npos);
  std::string renewed_crl = ca.files.write("renewed.pem", pem(make_crl(renewed.get(), new_key_.get(), {"77"}).get()));
  auto list = RevocationList::load(renewed_crl, ca.ca_path, &cache);
  REQUIRE(list);
  CHECK(list->revoked("77"));
  // A CA file that is gone is an error, not the cached certificates.
  std::filesystem::remove(ca.ca_path);
  CHECK(load_error(renewed_crl, ca.ca_path) != "loaded");
  auto gone = RevocationList::load(renewed_crl, ca.ca_path, &cache);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().find("cannot open") != std::string::npos);
}
