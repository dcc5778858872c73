# famfs: the two commands are `make demo` and `make check`.
#   make build       configure and build into build/ (binaries in build/bin/);
#                    it installs nothing: the packages come from make deps
#   make check       build, then run every test (unit, system), the flush audit
#                    (make check-audit), then again under ASan+UBSan (make check-asan)
#   make demo        build, make an embedded device, mount it, show famfs working
#   make deps        install the Debian packages the build and tests need
#   make check-vm    famfs across two QEMU guests sharing one /dev/dax0.0
#   make check-fresh make demo and make check in a minimal Debian 12 root
#                    (debootstrap) that has only git and make, as a new user
#   make bench       side-by-side benchmarks into bench/out (results.json, results.png)
#   make fuzz        time-boxed libFuzzer run of every harness (FUZZ_SECONDS each)
#   make kmod        build the famfs fuse.ko for a Debian 12 6.1 kernel into
#                    build/kmod (kernel/build.sh; downloads cached in
#                    FAMFS_KMOD_CACHE, default /var/cache/famfs-kmod)
#   make kmod-install / kmod-uninstall   the same module with dkms (docs/kernel.md)
#   make install     build and install under PREFIX (default /usr/local), into
#                    DESTDIR if set; make uninstall removes the same files
#   make deb         Debian packages famfs, libfamfs0, libfamfs-dev and
#                    python3-famfs into DEB_OUT (default build-deb/), checked
#                    by lintian
BUILD     ?= build
ASAN_BUILD ?= build-asan
AUDIT_BUILD ?= build-audit
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
FUZZ_SECONDS ?= 60
PREFIX    ?= /usr/local
DESTDIR   ?=
DEB_OUT   ?= build-deb

.PHONY: kmod kmod-install kmod-uninstall
.PHONY: all deps build check check-unit check-system check-asan check-audit check-vm check-vm-selftest check-fresh bench fuzz demo clean install uninstall deb

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

check: deps
	$(MAKE) --no-print-directory $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DFAMFS_WERROR=ON >/dev/null
	$(MAKE) --no-print-directory build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory check-audit
	$(MAKE) --no-print-directory check-asan

# The flush audit build (include/famfs/audit.h): its own programs, and only
# the tests labelled audit, which fail when famfs publishes bytes it did not
# write back from the CPU cache. make check runs it too.
check-audit: deps
	cmake -S . -B $(AUDIT_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAMFS_FLUSH_AUDIT=ON \
		-DFAMFS_WERROR=ON $(CMAKE_ARGS)
	cmake --build $(AUDIT_BUILD) -j $(JOBS) --target famfs_audit_check
	ctest --test-dir $(AUDIT_BUILD) --output-on-failure -j $(JOBS) -L audit

# The unit and system tests again, built with ASan and UBSan (any report
# aborts the test). make check runs it too.
check-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFAMFS_SANITIZE=ON -DFAMFS_WERROR=ON \
		$(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# make install / uninstall: the prefix is compiled in (where famfsd and the
# BPF object are found, GNUInstallDirs' libdir), so they configure with it.
install:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)

# Removes what make install with the same PREFIX and DESTDIR installs (the
# list comes from installing into a scratch directory).
uninstall:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)
	rm -rf $(BUILD)/uninstall-stage
	DESTDIR="$(abspath $(BUILD))/uninstall-stage" cmake --install $(BUILD) >/dev/null
	cmake -DSTAGE="$(abspath $(BUILD))/uninstall-stage" -DDESTDIR="$(DESTDIR)" \
		-P cmake/uninstall.cmake
	rm -rf $(BUILD)/uninstall-stage

deb: deps
	scripts/build-deb.sh $(DEB_OUT)

check-unit: deps
	$(MAKE) --no-print-directory build
	ctest --test-dir $(BUILD) --output-on-failure -L unit

check-system: deps
	$(MAKE) --no-print-directory build
	ctest --test-dir $(BUILD) --output-on-failure -L system

check-vm: deps
	$(MAKE) --no-print-directory build
	tests/vm/check-vm.sh $(BUILD)

# check-vm must fail clearly when QEMU cannot start or runs over budget.
check-vm-selftest: deps
	$(MAKE) --no-print-directory build
	tests/vm/selftest.sh $(BUILD)

# KMOD_KVER=6.1.0-NN-amd64 picks the kernel (default: the running one if it
# is a Debian 6.1, else the one behind linux-image-amd64).
kmod:
	kernel/build.sh $(if $(KMOD_KVER),--kver $(KMOD_KVER))

kmod-install:
	kernel/dkms.sh install $(if $(KMOD_KVER),--kver $(KMOD_KVER))

kmod-uninstall:
	kernel/dkms.sh uninstall

# Needs no build here: the fresh root clones HEAD and builds everything itself.
check-fresh:
	tests/fresh/check-fresh.sh

fuzz: deps
	fuzz/run.sh $(FUZZ_SECONDS)

bench: deps
	$(MAKE) --no-print-directory build
	bench/run --build $(BUILD) --out bench/out $(BENCH_ARGS)

demo: deps
	$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(AUDIT_BUILD) $(DEB_OUT)
