# A thin front door over meson. `make test` on a fresh Debian 12 machine
# installs what is missing (as root), builds, and runs every test suite.

BUILD          ?= build
SANITIZE_BUILD ?= build-sanitize
FUZZ_BUILD     ?= build-fuzz
FUZZ_SECONDS   ?= 300
FUZZ_SCRATCH   ?= $(FUZZ_BUILD)/corpus
PREFIX         ?= /usr/local

BUILD_DEPS = g++ meson ninja-build pkg-config libfcgi-dev libargh-dev rapidjson-dev \
             libnl-genl-3-dev libnl-route-3-dev catch2 libssl-dev libsodium-dev libpcre2-dev scdoc \
             prometheus-cpp-dev
# What make demo runs: namespaces, userspace WireGuard, nginx, spawn-fcgi, Prometheus.
DEMO_DEPS  = openssl iproute2 iputils-ping procps python3 curl wireguard-tools wireguard-go nginx spawn-fcgi \
             prometheus bird2
DEB_DEPS   = build-essential dpkg-dev debhelper fakeroot openssl
TEST_DEPS  = $(DEMO_DEPS) $(DEB_DEPS) kmod cpio systemd qemu-system-x86 linux-image-amd64 busybox-static \
             lighttpd lighttpd-mod-openssl caddy apache2 libfcgi-bin lintian man-db \
             prometheus python3-yaml $(FUZZ_DEPS)
FUZZ_DEPS  = clang-14 libclang-rt-14-dev llvm-14
# What make bench runs besides the test packages: wrk for the herd, perf for its profile.
BENCH_DEPS = wrk linux-perf

.PHONY: all build sanitize-build test fuzz demo deb bench deps build-deps test-deps demo-deps bench-deps install clean

all: build

build: build-deps
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD) --prefix=$(PREFIX)
	meson compile -C $(BUILD)

sanitize-build: build-deps
	@test -f $(SANITIZE_BUILD)/build.ninja || \
	  meson setup $(SANITIZE_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	meson compile -C $(SANITIZE_BUILD)

test: test-deps build sanitize-build
	AUTOWG_FUZZ_BUILD=$(FUZZ_BUILD) tests/run --build $(BUILD) --sanitize-build $(SANITIZE_BUILD)

# Each libFuzzer harness for FUZZ_SECONDS on its corpus (tests/fuzz/README.md);
# new inputs go to FUZZ_SCRATCH, crashes to FUZZ_BUILD/crashes.
fuzz:
	@tools/install-deps $(BUILD_DEPS) $(FUZZ_DEPS)
	tests/fuzz/run --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) --scratch $(FUZZ_SCRATCH)

# Three devices in network namespaces register through nginx with their
# certificates and ping the concentrator over real (userspace) WireGuard.
demo: demo-deps build
	tests/fleet/run --demo $(BUILD)/src/autowg

# Two concentrators and a core router running BIRD: device routes announced
# over OSPFv3, a server pinging the devices, and the clients failing over.
.PHONY: demo-multi
demo-multi: demo-deps build
	tests/topology/run --demo $(BUILD)/src/autowg

# The Debian packages autowg and autowg-client, built from a copy of the tree.
deb: build-deps
	@tools/install-deps $(DEB_DEPS)
	tools/build-deb $(BUILD)/deb

# Performance figures against the reference tools (not part of test).
# BENCH_ONLY="herd crl ..." runs some sections only (see bench/vm_bench).
bench: test-deps bench-deps build
	meson compile -C $(BUILD) bench-tools
	bench/run --build $(BUILD) --out $(BUILD)/bench-results.md

deps: build-deps test-deps
build-deps:
	@tools/install-deps $(BUILD_DEPS)
test-deps:
	@tools/install-deps $(BUILD_DEPS) $(TEST_DEPS)
demo-deps:
	@tools/install-deps $(BUILD_DEPS) $(DEMO_DEPS)
bench-deps:
	@tools/install-deps $(BENCH_DEPS)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
