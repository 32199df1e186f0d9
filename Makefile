# kaudit - audits GPU-kernel speedup claims.  See README.md and DESIGN.
#
#   make              build/kaudit (+ build/libkaudit-gpu.so when nvcc exists)
#   make check        every test that needs no GPU (unit, CLI, man lint)
#   make asan         the same under AddressSanitizer + UBSan (= make check SAN=1)
#   make fuzz         libFuzzer targets, FUZZ_TIME seconds each (default 60)
#   make bench        benchmarks (tests/bench/bench_*.c)
#   make bundle       self-contained folder for GPU nodes: build/bundle/
#   make install      PREFIX=/usr/local (and share/kaudit/kaudit-array.sbatch)
#
# New files need no edit here: src/*/*.c are the core, src/gpu/* the GPU
# plugin, tests/unit/test_*.c unit tests (other tests/unit/*.c are support
# code linked into every unit test), tests/sh/*.sh shell tests,
# tests/fuzz/fuzz_*.c fuzz targets, tests/tools/*.c helper programs for tests, tests/bench/bench_*.c benchmarks,
# tests/plugins/*.c test GPU plugins ($(BUILD)/plugins/NAME.so),
# src/observe/*.c kaudit observe's injection library.

CUDA_HOME ?= /usr/local/cuda
PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
NVCC ?= $(CUDA_HOME)/bin/nvcc
FUZZ_TIME ?= 60
# Device architectures for kaudit's own helpers (claims pick theirs at verify time).
GPU_ARCHS ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	     -gencode arch=compute_90,code=compute_90

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifeq ($(CI),true)
WARN += -Werror
endif

CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude -Isrc -MMD -MP
LIBS = -lyaml -ljansson -lz -lcrypto -lseccomp -ldl -lpthread -lm

ifeq ($(SAN),1)
override BUILD := $(BUILD)/san
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LDFLAGS = -fsanitize=address,undefined
# The Python worker preloads the ASan runtime (src/supervisor/audit_python.c).
$(BUILD)/obj/src/supervisor/audit_python.o: ALL_CFLAGS += \
	-DKAUDIT_ASAN_LIB='"$(shell $(CC) -print-file-name=libasan.so)"'
endif

CORE_SRC := $(filter-out src/cli/main.c src/gpu/% src/observe/% src/python/%,$(wildcard src/*/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/cli/main.o
GPU_C := $(wildcard src/gpu/*.c)
GPU_CU := $(wildcard src/gpu/*.cu)
GPU_OBJ := $(strip $(GPU_C:%.c=$(BUILD)/gpuobj/%.o) $(GPU_CU:%.cu=$(BUILD)/gpuobj/%.o))

TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_SUPPORT := $(filter-out $(TEST_SRC),$(wildcard tests/unit/*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
PLUGIN_SRC := $(wildcard tests/plugins/*.c)
PLUGIN_SO := $(PLUGIN_SRC:tests/plugins/%.c=$(BUILD)/plugins/%.so)
SH_TESTS := $(sort $(wildcard tests/sh/*.sh))
MANPAGES := $(wildcard man/*.1 man/*.5 man/*.7)

# The Python worker (kaudit-claim(5), PYTHON IMPLEMENTATIONS): the bridge
# script, the worker library it loads with ctypes (the core, exporting only
# kaudit_py_*), and the allocation-poisoning preload of the host double.
PY_OUT := $(BUILD)/kaudit_bridge.py $(BUILD)/libkaudit-pyworker.so $(BUILD)/libkaudit-poison.so

HAVE_NVCC := $(wildcard $(NVCC))
ifneq ($(and $(HAVE_NVCC),$(GPU_OBJ)),)
GPU_LIB := $(BUILD)/libkaudit-gpu.so
endif

# kaudit observe's CUPTI injection library (src/observe/, plus the client
# half of its channel): plain C against the CUDA and CUPTI headers, built
# whenever they are there, loaded only into observed processes.
OBSERVE_C := $(wildcard src/observe/*.c) src/run/observe_wire.c
HAVE_CUPTI := $(wildcard $(CUDA_HOME)/include/cupti.h)
ifneq ($(HAVE_CUPTI),)
OBSERVE_LIB := $(BUILD)/libkaudit-observe.so
endif

.PHONY: probes tools all check unit shtest manlint asan fuzz bench bundle install clean check-headers check-deps FORCE
all: $(BUILD)/kaudit $(GPU_LIB) $(OBSERVE_LIB) $(PY_OUT)

# What this build is, for --version and every trace header (header.build):
# the commit, only when this directory is itself the top of a git checkout
# (a tarball unpacked inside another repository must not take its commit),
# and the CUDA toolkit nvcc reports; "unknown" and "none" otherwise.  They
# reach src/util/build_info.c alone, through a stamp that changes only when
# they do, so a new commit recompiles one file.
KAUDIT_COMMIT := $(shell [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
	git describe --always --dirty 2>/dev/null || echo unknown)
KAUDIT_CUDA := $(or $(if $(HAVE_NVCC),$(shell $(NVCC) --version 2>/dev/null | \
	sed -n 's/.*release [0-9.]*, V\([0-9][0-9.]*\).*/\1/p')),none)
BUILD_INFO := $(KAUDIT_COMMIT) $(KAUDIT_CUDA) $(if $(GPU_LIB),1,0)
BUILD_INFO_OBJ := $(BUILD)/obj/src/util/build_info.o
$(BUILD_INFO_OBJ): ALL_CFLAGS += -DKAUDIT_COMMIT='"$(KAUDIT_COMMIT)"' \
	-DKAUDIT_CUDA='"$(KAUDIT_CUDA)"' -DKAUDIT_PLUGIN_BUILT=$(if $(GPU_LIB),1,0)
$(BUILD_INFO_OBJ): $(BUILD)/build-info.stamp
$(BUILD)/build-info.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BUILD_INFO)' | cmp -s - $@ || echo '$(BUILD_INFO)' > $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(BUILD)/libkaudit-core.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The executable exports nothing (no -rdynamic): code under audit runs in
# its worker processes, and a claimant's own global `xmalloc` must bind to
# the claimant's, not to kaudit's (tests/sh/exports.sh checks `nm -D`).
$(BUILD)/kaudit: $(MAIN_OBJ) $(BUILD)/libkaudit-core.a
	$(CC) $(SAN_LDFLAGS) -o $@ $(MAIN_OBJ) -Wl,--whole-archive \
		$(BUILD)/libkaudit-core.a -Wl,--no-whole-archive $(LIBS)

# DT_RPATH, not DT_RUNPATH (--disable-new-dtags): LD_LIBRARY_PATH overrides
# a RUNPATH, so another libcupti/libcudart could load beside the plugin,
# and CUPTI writes its activity records in its own version's structs
# (gpu_collect.c checks the version at open as well).
# The GPU plugin: the only code that includes CUDA/CUPTI headers or links
# their libraries, loaded by worker processes only (kaudit(1), FILES).
# It carries its own private copy of the core's record codec (nothing of
# it exported: --exclude-libs, hidden visibility) and exports one symbol,
# the backend's open function.
PLUGIN_PRIVATE = -Wl,--exclude-libs,ALL
PLUGIN_LIBS = $(LIBS)
$(BUILD)/gpuobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -I$(CUDA_HOME)/include -c $< -o $@
$(BUILD)/gpuobj/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) -std=c++17 -O2 -Xcompiler -fPIC,-Wall,-fvisibility=hidden -Iinclude -Isrc $(GPU_ARCHS) -c $< -o $@
$(BUILD)/libkaudit-gpu.so: $(GPU_OBJ) $(BUILD)/libkaudit-core.a
	$(NVCC) -shared -o $@ $(GPU_OBJ) $(BUILD)/libkaudit-core.a -L$(CUDA_HOME)/lib64 \
		-lcudart -lcupti -Xlinker --exclude-libs,ALL $(PLUGIN_LIBS) \
		-Xlinker --disable-new-dtags \
		-Xlinker -rpath,'$$ORIGIN' -Xlinker -rpath,$(CUDA_HOME)/lib64 \
		-Xlinker -rpath,$(CUDA_HOME)/extras/CUPTI/lib64

# Its own flags: no sanitizer (it is injected into processes kaudit did not
# build), hidden visibility but for InitializeInjection.
$(BUILD)/libkaudit-observe.so: $(OBSERVE_C) src/run/observe_wire.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 -g -Isrc -I$(CUDA_HOME)/include -fPIC -shared \
		-fvisibility=hidden -o $@ $(OBSERVE_C) -L$(CUDA_HOME)/lib64 \
		-L$(CUDA_HOME)/extras/CUPTI/lib64 -lcupti -lpthread \
		-Wl,-rpath,'$$ORIGIN' -Wl,-rpath,$(CUDA_HOME)/lib64 \
		-Wl,-rpath,$(CUDA_HOME)/extras/CUPTI/lib64
$(BUILD)/kaudit_bridge.py: src/python/kaudit_bridge.py
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/libkaudit-pyworker.so: $(BUILD)/obj/src/run/pyworker.o $(BUILD)/libkaudit-core.a
	$(CC) $(SAN_LDFLAGS) -shared -o $@ $(BUILD)/obj/src/run/pyworker.o \
		$(BUILD)/libkaudit-core.a $(PLUGIN_PRIVATE) $(LIBS)
# Never sanitized: it is preloaded into processes (ninja, compilers) that
# do not have the sanitizer runtime.
$(BUILD)/libkaudit-poison.so: src/python/poison_preload.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS)) -fPIC -shared -o $@ $< -ldl

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libkaudit-core.a $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) -Itests/unit -o $@ $< $(TEST_EXTRA_OBJ) $(TEST_SUPPORT_OBJ) \
		$(BUILD)/libkaudit-core.a -lcmocka $(LIBS)

# The GPU plugin's attribution includes no CUPTI or CUDA header (DESIGN
# section 1): it compiles here, where no CUDA include path is given, and
# its unit test runs on every machine.
ATTRIB_OBJ := $(BUILD)/obj/src/gpu/gpu_attrib.o
$(BUILD)/tests/test_attribution: $(ATTRIB_OBJ)
$(BUILD)/tests/test_attribution: TEST_EXTRA_OBJ = $(ATTRIB_OBJ)

# Small programs the tests use (fixture generators): tests/tools/*.c.
$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libkaudit-core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) -o $@ $< $(BUILD)/libkaudit-core.a $(LIBS)
tools: $(TOOL_BIN)

# Test GPU plugins (KAUDIT_GPU_LIB): like the real one, each carries a
# private copy of the core (the executable exports nothing).
$(BUILD)/plugins/%.so: tests/plugins/%.c $(TEST_SUPPORT_OBJ) $(BUILD)/libkaudit-core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_LDFLAGS) -Itests/unit -fPIC -shared -o $@ $< \
		$(TEST_SUPPORT_OBJ) $(BUILD)/libkaudit-core.a $(PLUGIN_PRIVATE) $(LIBS)

check: unit shtest manlint check-headers check-deps
	@echo "make check: all tests passed"

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

shtest: all $(TOOL_BIN) $(PLUGIN_SO)
	@set -e; for t in $(SH_TESTS); do echo "== $$t"; \
		KAUDIT=$(abspath $(BUILD)/kaudit) BUILD=$(abspath $(BUILD)) sh $$t; done

manlint:
	mandoc -T lint -W warning $(MANPAGES)

# Includes point down the pipeline, spelled "module/x.h" (DESIGN section 1).
check-deps:
	@sh tests/tools/check_deps.sh

# Each header must compile on its own (git's hdr-check).
check-headers:
	@set -e; for h in include/kaudit/launcher.h src/gpu/gpu_attrib.h $(filter-out src/gpu/%,$(wildcard src/*/*.h)); do \
		$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -Werror -Iinclude -Isrc -fsyntax-only -xc $$h; done

asan:
	$(MAKE) check SAN=1

# Fuzzing builds everything with clang in its own tree.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc \
	     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
build/fuzz/%: tests/fuzz/%.c $(CORE_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ $< $(CORE_SRC) $(LIBS)
fuzz: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
		mkdir -p build/fuzz/corpus-$$n; \
		echo "== $$n for $(FUZZ_TIME)s"; \
		$$f -max_total_time=$(FUZZ_TIME) -timeout=5 -rss_limit_mb=2048 \
		    build/fuzz/corpus-$$n tests/fuzz/corpus/$${n#fuzz_}; done


BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libkaudit-core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O2 -o $@ $< $(BUILD)/libkaudit-core.a $(LIBS)
# bench_commands times kaudit check/inspect/report/export as a user runs them
# (BENCH_BIG=1 adds a 10M-record trace).
bench: $(BENCH_BIN) $(BUILD)/kaudit
	@set -e; for b in $(BENCH_BIN); do KAUDIT=$(abspath $(BUILD)/kaudit) $$b; done

# The GPU probes (tests/gpu/probe_*.cu, FACTS.md), built here for the
# bundle: for kaudit's device architectures (no PTX JIT on the device, no
# nvcc needed there), with the CUPTI headers, and DT_RPATH $$ORIGIN/.. so
# they run against the bundle's libcupti and libcudart - the ones the
# plugin uses - whatever LD_LIBRARY_PATH says on the node.
PROBES := probe_event_clock probe_flush_cost probe_streams probe_dlopen_main
PROBE_BIN := $(PROBES:%=$(BUILD)/probes/%) $(BUILD)/probes/libprobe_dlopen_lib.so
CUPTI_INC := $(wildcard $(CUDA_HOME)/extras/CUPTI/include)
CUPTI_LIBDIR := $(wildcard $(CUDA_HOME)/extras/CUPTI/lib64)
PROBE_FLAGS = -std=c++17 -O2 -cudart shared $(GPU_ARCHS) -I$(CUDA_HOME)/include \
	$(if $(CUPTI_INC),-I$(CUPTI_INC)) -Itests/gpu
PROBE_LINK = -L$(CUDA_HOME)/lib64 $(if $(CUPTI_LIBDIR),-L$(CUPTI_LIBDIR)) \
	-Xlinker --disable-new-dtags -Xlinker -rpath,'$$ORIGIN/..'
$(BUILD)/probes/libprobe_dlopen_lib.so: tests/gpu/probe_dlopen_lib.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(PROBE_FLAGS) -shared -Xcompiler -fPIC -o $@ $< $(PROBE_LINK)
$(BUILD)/probes/%: tests/gpu/%.cu tests/gpu/probe_common.h
	@mkdir -p $(dir $@)
	$(NVCC) $(PROBE_FLAGS) -o $@ $< $(PROBE_LINK) -lcupti -ldl
probes: $(PROBE_BIN)

# Self-contained folder for GPU nodes (DESIGN section 8): libyaml, jansson,
# zlib and libcrypto linked statically; the CUDA runtime and CUPTI beside it.
BUNDLE ?= $(BUILD)/bundle
bundle: $(BUILD)/libkaudit-core.a $(MAIN_OBJ) $(GPU_LIB) $(OBSERVE_LIB) $(PROBE_BIN) $(PY_OUT)
	rm -rf $(BUNDLE) && mkdir -p $(BUNDLE)/include/kaudit $(BUNDLE)/man $(BUNDLE)/probes
	$(CC) -o $(BUNDLE)/kaudit $(MAIN_OBJ) -Wl,--whole-archive \
		$(BUILD)/libkaudit-core.a -Wl,--no-whole-archive \
		-Wl,-Bstatic -lyaml -ljansson -lz -lcrypto -lseccomp -Wl,-Bdynamic -ldl -lpthread -lm \
		-Wl,-rpath,'$$ORIGIN'
	@# The plugin's private copy of the core needs jansson and libcrypto too.
	@# Debian's static archives are not position-independent, so they cannot
	@# go into a shared object: the plugin links them dynamically and the
	@# bundle carries the very .so files it was linked against, found
	@# through $$ORIGIN before the system's.
	$(NVCC) -shared -o $(BUNDLE)/libkaudit-gpu.so $(GPU_OBJ) $(BUILD)/libkaudit-core.a \
		-L$(CUDA_HOME)/lib64 -lcudart -lcupti -Xlinker --exclude-libs,ALL \
		-Xlinker -Bstatic -ljansson -lcrypto -lz -Xlinker -Bdynamic -ldl -lpthread -lm \
		-Xlinker --disable-new-dtags -Xlinker -rpath,'$$ORIGIN'
	for l in libjansson libcrypto libz; do \
		p=$$(ldd $(BUNDLE)/libkaudit-gpu.so | awk -v l="$$l" 'index($$1, l ".so") == 1 { print $$3 }'); \
		[ -z "$$p" ] || cp -L "$$p" $(BUNDLE)/; done
	cp -L $(CUDA_HOME)/lib64/libcudart.so.[0-9]* $(BUNDLE)/ 2>/dev/null || true
	cp -L $$(ls $(CUDA_HOME)/lib64/libcupti.so.[0-9]* $(CUDA_HOME)/extras/CUPTI/lib64/libcupti.so.[0-9]* 2>/dev/null | head -n 1) $(BUNDLE)/
	$(if $(OBSERVE_LIB),cp $(OBSERVE_LIB) $(BUNDLE)/)
	@# The Python worker: the bridge, its preload, and the worker library,
	@# which carries the libraries it links (as the plugin does).
	cp $(BUILD)/kaudit_bridge.py $(BUILD)/libkaudit-poison.so $(BUNDLE)/
	$(CC) -shared -o $(BUNDLE)/libkaudit-pyworker.so $(BUILD)/obj/src/run/pyworker.o \
		$(BUILD)/libkaudit-core.a $(PLUGIN_PRIVATE) $(LIBS) -Wl,-rpath,'$$ORIGIN'
	for l in libyaml libjansson libcrypto libz libseccomp; do \
		p=$$(ldd $(BUNDLE)/libkaudit-pyworker.so | awk -v l="$$l" 'index($$1, l) == 1 { print $$3 }'); \
		[ -z "$$p" ] || [ -e "$(BUNDLE)/$$(basename "$$p")" ] || cp -L "$$p" $(BUNDLE)/; done
	cp include/kaudit/launcher.h $(BUNDLE)/include/kaudit/
	cp src/slurm/kaudit-array.sbatch $(BUNDLE)/
	cp $(PROBE_BIN) tests/gpu/probe_torch_streams.py $(BUNDLE)/probes/
	$(if $(MANPAGES),cp $(MANPAGES) $(BUNDLE)/man/)
	@# Self-contained or nothing: kaudit links no libyaml/jansson/libcrypto/
	@# libz dynamically, and the plugin takes the CUDA runtime, CUPTI and any
	@# of those it needs from beside it.
	@if ldd $(BUNDLE)/kaudit | grep -E 'lib(yaml|jansson|crypto|z)\.so'; then \
		echo "bundle: kaudit still links the libraries above dynamically" >&2; exit 1; fi
	@for l in libcudart libcupti; do \
		ldd $(BUNDLE)/libkaudit-gpu.so | grep "$$l\.so" | grep -q "$(abspath $(BUNDLE))/" || \
		{ echo "bundle: the plugin does not resolve $$l from \$$ORIGIN" >&2; exit 1; }; done
	@# The copied libcupti must be the version the plugin was built for
	@# (gpu_collect_open refuses another on the device).
	$(CC) -I$(CUDA_HOME)/include $(if $(CUPTI_INC),-I$(CUPTI_INC)) -o $(BUILD)/cupti_version \
		tests/gpu/cupti_version.c -L$(BUNDLE) -l:$$(cd $(BUNDLE) && ls libcupti.so.* | head -n 1) \
		-Wl,--disable-new-dtags -Wl,-rpath,$(abspath $(BUNDLE))
	$(BUILD)/cupti_version || { echo "bundle: its libcupti is not the CUPTI API version of the headers" >&2; exit 1; }
	@for p in $(PROBES); do for l in libcudart libcupti; do \
		ldd $(BUNDLE)/probes/$$p | grep "$$l\.so" | grep -q "$(abspath $(BUNDLE))/" || \
		{ echo "bundle: probe $$p does not resolve $$l from the bundle" >&2; exit 1; }; done; done
	@if ldd $(BUNDLE)/libkaudit-gpu.so | grep -E 'lib(yaml|jansson|crypto|z)\.so' | \
		grep -v "$(abspath $(BUNDLE))/"; then \
		echo "bundle: the plugin resolves the libraries above outside the bundle" >&2; exit 1; fi
	@echo "bundle: $(BUNDLE)"; ls -l $(BUNDLE)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/kaudit \
		$(DESTDIR)$(PREFIX)/lib/kaudit $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(DESTDIR)$(PREFIX)/share/kaudit
	install -m 755 $(BUILD)/kaudit $(DESTDIR)$(PREFIX)/bin/kaudit
	install -m 755 src/slurm/kaudit-array.sbatch $(DESTDIR)$(PREFIX)/share/kaudit/
	$(if $(GPU_LIB),install -m 755 $(GPU_LIB) $(DESTDIR)$(PREFIX)/lib/kaudit/)
	$(if $(OBSERVE_LIB),install -m 755 $(OBSERVE_LIB) $(DESTDIR)$(PREFIX)/lib/kaudit/)
	install -m 755 $(BUILD)/libkaudit-pyworker.so $(BUILD)/libkaudit-poison.so \
		$(DESTDIR)$(PREFIX)/lib/kaudit/
	install -m 644 $(BUILD)/kaudit_bridge.py $(DESTDIR)$(PREFIX)/lib/kaudit/
	install -m 644 include/kaudit/launcher.h $(DESTDIR)$(PREFIX)/include/kaudit/
	for m in $(MANPAGES); do s=$${m##*.}; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

clean:
	rm -rf $(BUILD) build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
