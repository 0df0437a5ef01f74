# libsched: one GNU Makefile; every output goes under build/.
#
#   make                 build the library (shared + static), pkg-config file,
#                        the LTTng-UST provider, the examples, schedprof,
#                        schedtop and schedreplay
#   make demo            install missing packages, record officesim with
#                        schedprof and report it (build/demo/); say how to
#                        replay it with schedreplay
#   make check           install missing packages, build and run every test
#                        (and the benchmarks at small sizes, as a smoke test)
#   make bench           install missing packages, run the benchmarks against
#                        libevent, libuv and GLib (docs/performance.md)
#   make stress          a few minutes of stress tests (docs/testing.md)
#   make fuzz            each libFuzzer target for FUZZ_SECONDS (60)
#   make coverage        line and branch coverage of libsched/ (gcovr)
#   make examples        build the example programs into build/bin/
#   make install         install (PREFIX, LIBDIR, INCLUDEDIR, BINDIR, MANDIR,
#                        DESTDIR): library, headers, provider, tools, man pages,
#                        and libsched-glib with its .pc where GLib is
#   make uninstall       remove what install installed
#   make clean           remove build/
#   make deps            install missing Debian packages (see scripts/deps.sh)
# Variables: V=1 full command lines; CC=clang; WERROR=0 to drop -Werror;
# SANITIZE=address,undefined or SANITIZE=thread builds everything under
# that sanitizer; TRACE=0 compiles every tracepoint out (the baseline of
# tracing overhead). Changing any of them rebuilds what they affect.

.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX      ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR      ?= $(EXEC_PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
BINDIR      ?= $(EXEC_PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR      ?= $(PREFIX)/share/man
DESTDIR     ?=

INSTALL     ?= install
PKG_CONFIG  ?= pkg-config

VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION     := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

B := build
WERROR ?= 1
TRACE  ?= 1

CFLAGS   ?= -O2 -g
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE)
# UndefinedBehaviorSanitizer only prints by default: make every report
# fatal, so that a test (and CI) fails on it.
ifneq ($(findstring undefined,$(SANITIZE)),)
CFLAGS   += -fno-sanitize-recover=undefined
endif
endif
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARNINGS) \
               -Ilibsched/include
LIB_CFLAGS  := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DLSCHED_BUILDING \
               -Ilibsched/src -Itracepoints
LDLIBS_LIB  := -pthread
ifeq ($(TRACE),0)
TRACE_DEFS  := -DLSCHED_TRACE_DISABLED
LIB_CFLAGS  += $(TRACE_DEFS)
PC_LIBS_PRIVATE :=
else
# LTTng-UST's dynamic linkage: the tracer is dlopen()ed when present.
LDLIBS_LIB  += -ldl
PC_LIBS_PRIVATE := -ldl
endif

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)'
endif

# Everything built depends on the flags it was built with: switching CC,
# CFLAGS, SANITIZE or TRACE rebuilds instead of mixing objects.
CONFIG := $(B)/config.stamp
CONFIG_TEXT := $(CC) $(CFLAGS) $(LDFLAGS) $(CPPFLAGS) TRACE=$(TRACE) WERROR=$(WERROR)
$(shell mkdir -p $(B) && { [ "$$(cat $(CONFIG) 2>/dev/null)" = '$(CONFIG_TEXT)' ] || printf '%s\n' '$(CONFIG_TEXT)' > $(CONFIG); })

# ---- library --------------------------------------------------------------
LIB_SRCS := $(wildcard libsched/src/*.c)
LIB_OBJS := $(patsubst libsched/src/%.c,$(B)/obj/libsched/%.o,$(LIB_SRCS))
LIB_HDRS := $(wildcard libsched/include/libsched/*.h)
TP_HDRS  := tracepoints/events.def $(wildcard tracepoints/*.h)
SONAME   := libsched.so.$(VERSION_MAJOR)
SHLIB    := $(B)/lib/libsched.so.$(VERSION)
STLIB    := $(B)/lib/libsched.a
PCFILE   := $(B)/lib/pkgconfig/libsched.pc

.PHONY: all lib examples check demo install uninstall clean deps tests
all: lib examples tools-lib

LTTNG_PROVIDER := $(B)/lib/libsched-lttng.so
lib: $(SHLIB) $(B)/lib/$(SONAME) $(B)/lib/libsched.so $(STLIB) $(PCFILE)
ifneq ($(TRACE),0)
lib: $(LTTNG_PROVIDER)
endif

$(B)/obj/libsched/%.o: libsched/src/%.c $(LIB_HDRS) $(wildcard libsched/src/*.h) $(TP_HDRS) Makefile $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(LIB_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Every symbol of the library resolves at link time, except under a clang
# sanitizer: clang links the sanitizer's runtime into programs only (gcc
# links its shared runtime into the library too), so the library's
# __asan_*/__tsan_* references resolve against the program.
SHLIB_NO_UNDEFINED := $(if $(and $(SANITIZE),$(findstring clang,$(CC))),,-Wl,--no-undefined)

$(SHLIB): $(LIB_OBJS) libsched/libsched.map
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=libsched/libsched.map $(SHLIB_NO_UNDEFINED) \
		-o $@ $(LIB_OBJS) $(LDLIBS_LIB)

# The LTTng-UST provider: the probes of the "libsched" events, generated
# from tracepoints/events.def. LTTng-UST's own headers need GNU C. Never
# built with a sanitizer: it is preloaded into any program, sanitized or
# not, and an instrumented library cannot be preloaded into a plain one.
$(LTTNG_PROVIDER): tracepoints/provider.c $(TP_HDRS) Makefile $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
		$(filter -Werror,$(WARNINGS)) -fPIC -Itracepoints $(CPPFLAGS) \
		$(filter-out -fsanitize=%,$(CFLAGS) $(LDFLAGS)) \
		-shared -Wl,--no-undefined -o $@ $< -llttng-ust -ldl

$(B)/lib/$(SONAME): $(SHLIB)
	$(Q)ln -sf $(notdir $<) $@

$(B)/lib/libsched.so: $(B)/lib/$(SONAME)
	$(Q)ln -sf $(notdir $<) $@

$(STLIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(PCFILE): libsched/libsched.pc.in Makefile $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@LIBS_PRIVATE@|$(PC_LIBS_PRIVATE)|g' $< > $@

# ---- libsched-glib ------------------------------------------------------------
# A libsched loop as a GSource (libsched-glib/, docs/embedding.md): its own
# small library and .pc file, built when pkg-config finds glib-2.0.
GLIB_CFLAGS := $(shell $(PKG_CONFIG) --cflags glib-2.0 2>/dev/null)
GLIB_LIBS   := $(shell $(PKG_CONFIG) --libs glib-2.0 2>/dev/null)
HAVE_GLIB   := $(if $(GLIB_LIBS),1,)
GLIB_SONAME := libsched-glib.so.$(VERSION_MAJOR)
GLIB_SHLIB  := $(B)/lib/libsched-glib.so.$(VERSION)
GLIB_STLIB  := $(B)/lib/libsched-glib.a
GLIB_PCFILE := $(B)/lib/pkgconfig/libsched-glib.pc
GLIB_HDRS   := $(wildcard libsched-glib/include/libsched/*.h)
GLIB_OBJS   := $(B)/obj/libsched-glib/glib_source.o
GLIB_LIB_CFLAGS := $(filter-out -Itracepoints -Ilibsched/src,$(LIB_CFLAGS)) \
	-Ilibsched-glib/include $(GLIB_CFLAGS)
ifeq ($(HAVE_GLIB),1)
lib: $(GLIB_SHLIB) $(B)/lib/$(GLIB_SONAME) $(B)/lib/libsched-glib.so \
	$(GLIB_STLIB) $(GLIB_PCFILE)
endif

$(B)/obj/libsched-glib/%.o: libsched-glib/src/%.c $(GLIB_HDRS) $(LIB_HDRS) Makefile $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(GLIB_LIB_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(GLIB_SHLIB): $(GLIB_OBJS) libsched-glib/libsched-glib.map $(B)/lib/libsched.so
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(GLIB_SONAME) \
		-Wl,--version-script=libsched-glib/libsched-glib.map \
		$(SHLIB_NO_UNDEFINED) -o $@ $(GLIB_OBJS) -L$(B)/lib -lsched \
		$(GLIB_LIBS)

$(B)/lib/$(GLIB_SONAME): $(GLIB_SHLIB)
	$(Q)ln -sf $(notdir $<) $@

$(B)/lib/libsched-glib.so: $(B)/lib/$(GLIB_SONAME)
	$(Q)ln -sf $(notdir $<) $@

$(GLIB_STLIB): $(GLIB_OBJS)
	@mkdir -p $(@D)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(GLIB_PCFILE): libsched-glib/libsched-glib.pc.in Makefile $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		$< > $@

# ---- examples ---------------------------------------------------------------
EXAMPLE_SRCS := $(wildcard examples/*.c)
# uv_host hosts libsched in a libuv loop: built where libuv is.
UV_CFLAGS := $(shell $(PKG_CONFIG) --cflags libuv 2>/dev/null)
UV_LIBS   := $(shell $(PKG_CONFIG) --libs libuv 2>/dev/null)
ifeq ($(UV_LIBS),)
EXAMPLE_SRCS := $(filter-out examples/uv_host.c,$(EXAMPLE_SRCS))
endif
EXAMPLES := $(patsubst examples/%.c,$(B)/bin/%,$(EXAMPLE_SRCS))
examples: $(EXAMPLES)

$(B)/bin/%: examples/%.c $(STLIB) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(STLIB) -pthread

# officesim runs hosted by GLib too (--host glib) where GLib is.
ifeq ($(HAVE_GLIB),1)
$(B)/bin/officesim: examples/officesim.c $(STLIB) $(GLIB_STLIB) $(LIB_HDRS) $(GLIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -DOFFICESIM_GLIB -Ilibsched-glib/include \
		$(GLIB_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(GLIB_STLIB) $(STLIB) $(GLIB_LIBS) -pthread
endif

$(B)/bin/uv_host: examples/uv_host.c $(STLIB) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(UV_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(STLIB) $(UV_LIBS) -pthread

# ---- tests ------------------------------------------------------------------
TEST_SRCS := $(wildcard tests/test_*.c)
# The allocator-wrapping test cannot run under AddressSanitizer, which
# owns malloc.
ifneq ($(findstring address,$(SANITIZE)),)
TEST_SRCS := $(filter-out tests/test_oom.c,$(TEST_SRCS))
endif
# test_glib tests libsched-glib, built only where GLib is.
ifneq ($(HAVE_GLIB),1)
TEST_SRCS := $(filter-out tests/test_glib.c,$(TEST_SRCS))
endif
TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))
TEST_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# tests/stress.c: random work checked against a reference model and the
# delivery guarantees (docs/testing.md). make check runs it briefly
# (CHECK_STRESS_SECONDS per scenario), make stress for longer.
STRESS := $(B)/tests/stress
CHECK_STRESS_SECONDS ?= 1
STRESS_SECONDS ?= 30
tests: $(TESTS) $(STRESS)

# Tests link the static library: they may reach internal symbols to inject
# faults. tests/testutil.h and threadutil.h hold what test files share.
$(B)/tests/%: tests/%.c $(wildcard tests/*.h) $(STLIB) $(LIB_HDRS) $(TP_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -Ilibsched/src -Itracepoints $(TRACE_DEFS) \
		$(TEST_CFLAGS_$*) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(TEST_LDFLAGS_$*) $(STLIB) $(TEST_LIBS) -pthread -ldl

# The workloads of the tracepoint and schedprof tests (trace_workload,
# truth_workload, perfetto_workload) link the shared library, as a program would: its probes
# are in libsched.so.
$(B)/tests/%_workload: tests/%_workload.c $(SHLIB) $(B)/lib/libsched.so $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		-L$(B)/lib -Wl,-rpath,'$$ORIGIN/../lib' -lsched -pthread

# ---- benchmarks -------------------------------------------------------------
# make bench, bench-tools, bench-quick and build/bench/<name>: bench/bench.mk.
include bench/bench.mk

# test_analysis tests the tools' analysis core.
TEST_CFLAGS_test_analysis := -Itools/common $(BT_CFLAGS)
TEST_LDFLAGS_test_analysis = $(TOOLS_LIB) $(TOOLS_LIBS) -lm

# test_trace_read tests the reader's view of a recording still going on.
TEST_CFLAGS_test_trace_read := -Itools/common -Itracepoints $(BT_CFLAGS)
TEST_LDFLAGS_test_trace_read = $(TOOLS_LIB) $(TOOLS_LIBS) -lm

# test_workload_file tests the workload file format (tools/common/workload.c).
TEST_CFLAGS_test_workload_file := -Itools/common -Itracepoints
TEST_LDFLAGS_test_workload_file = $(TOOLS_LIB)

# test_textesc tests the tools' escaping of names and number parsing.
TEST_CFLAGS_test_textesc := -Itools/common
TEST_LDFLAGS_test_textesc = $(TOOLS_LIB)
# test_compare tests the comparison shared by schedprof diff and schedreplay.
TEST_CFLAGS_test_compare := -Itools/common $(JANSSON_CFLAGS)
TEST_LDFLAGS_test_compare = $(TOOLS_LIB) $(TOOLS_LIBS) -lm
# test_words tests the noun that goes with a count (tools/common/words.c).
TEST_CFLAGS_test_words := -Itools/common
TEST_LDFLAGS_test_words = $(TOOLS_LIB)
# test_glib drives a loop from a GLib main loop (libsched-glib).
TEST_CFLAGS_test_glib := -Ilibsched-glib/include $(GLIB_CFLAGS)
TEST_LDFLAGS_test_glib := $(GLIB_STLIB) $(GLIB_LIBS)
$(B)/tests/test_glib: $(GLIB_STLIB) $(GLIB_HDRS)

# test_oom fails allocations on purpose: it wraps the allocator.
TEST_LDFLAGS_test_oom := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=aligned_alloc
# test_dispatcher holds an enqueue between its acceptance and its post.
TEST_LDFLAGS_test_dispatcher := -Wl,--wrap=lsched_perform
# test_performer_faults makes the wake-up descriptor's writes and reads fail.
TEST_LDFLAGS_test_performer_faults := -Wl,--wrap=write,--wrap=read,--wrap=epoll_pwait2,--wrap=epoll_wait
# test_backend_faults makes the poller's system calls fail.
TEST_LDFLAGS_test_backend_faults := -Wl,--wrap=epoll_ctl,--wrap=epoll_create1 \
	-Wl,--wrap=eventfd,--wrap=epoll_wait,--wrap=epoll_pwait2 \
	-Wl,--wrap=timerfd_create

# ---- the tools' shared code --------------------------------------------------
# Tools include tracepoints/events.def and tracepoints/schema.h, the
# contract with the library; never tracepoints/trace.h, the library's own
# emitting side. build/lib/libschedtools.a holds tools/common/*.c (the
# trace reader, on libbabeltrace2).
.PHONY: lttng-test-progs tools-lib check-lttng

BT_CFLAGS := $(shell $(PKG_CONFIG) --cflags babeltrace2 2>/dev/null)
BT_LIBS   := $(shell $(PKG_CONFIG) --libs babeltrace2 2>/dev/null || echo -lbabeltrace2)
# jansson reads the marker of a flight-recorder save (tools/common/flightmark.c).
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
# What a program linking $(TOOLS_LIB) links besides.
TOOLS_LIBS := $(BT_LIBS) $(JANSSON_LIBS)

TOOLS_CFLAGS := $(BASE_CFLAGS) -Itools/common -Itracepoints $(BT_CFLAGS) \
		$(JANSSON_CFLAGS) -DLSCHED_VERSION_STR='"$(VERSION)"'
TOOLS_LIB    := $(B)/lib/libschedtools.a
TOOLS_COMMON_SRCS := $(wildcard tools/common/*.c)
TOOLS_COMMON_OBJS := $(patsubst tools/common/%.c,$(B)/obj/tools/common/%.o,$(TOOLS_COMMON_SRCS))
TOOLS_COMMON_HDRS := $(wildcard tools/common/*.h)
# What a tool's objects depend on besides their source.
TOOLS_DEPS := $(TOOLS_COMMON_HDRS) tracepoints/events.def \
              tracepoints/schema.h Makefile $(CONFIG)

tools-lib: $(TOOLS_LIB)

$(B)/obj/tools/common/%.o: tools/common/%.c $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(TOOLS_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(TOOLS_LIB): $(TOOLS_COMMON_OBJS)
	@mkdir -p $(@D)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# An explicit rule: it wins over the tests' pattern rule, which links
# libsched (the checker only reads traces).
$(B)/tests/trace_check: tests/trace_check.c $(TOOLS_LIB) $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(TOOLS_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(TOOLS_LIB) $(TOOLS_LIBS)

# ---- tracepoint tests --------------------------------------------------------
# scripts/test-lttng.sh records trace_workload in a real LTTng session and
# checks the trace with trace_check (through the reader). As root, or with
# a running lttng-sessiond.
lttng-test-progs: $(B)/tests/trace_check $(B)/tests/trace_workload \
		  $(LTTNG_PROVIDER)

check-lttng: lttng-test-progs
	@scripts/test-lttng.sh

# scripts/test-usdt.sh: a BPF program (tests/bpf/usdt_count.bpf.c) counts
# the hits of libsched's USDT probes in a running trace_workload; its
# checker (tests/usdt_count.c) loads it through a libbpf skeleton. The BPF
# object and skeleton are generated under $(B)/obj/usdt/, never committed;
# BPF is always compiled by clang, whatever CC is; it needs no vmlinux.h,
# only the kernel's UAPI headers (asm/ from the multiarch directory, which
# -target bpf does not search). Root (BPF).
.PHONY: usdt-test-progs usdt-check

BPF_CLANG  ?= clang
BPFTOOL    ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
USDT_DIR   := $(B)/obj/usdt
# bpf_tracing.h's name of the architecture, for struct pt_regs.
USDT_ARCH  := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/')
USDT_MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || \
	$(CC) -print-multiarch 2>/dev/null)
USDT_BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(USDT_ARCH) \
	-I/usr/include/$(USDT_MULTIARCH) -Itracepoints -Itests/bpf \
	-Wall -Wextra -Wno-unused-parameter $(filter -Werror,$(WARNINGS))
USDT_LIBS  := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || \
	echo -lbpf) -lelf -lz
# What the BPF side is made of: the event list and constants come from
# tracepoints/, so a changed event rebuilds it (and so the skeleton).
USDT_BPF_DEPS := tests/bpf/usdt_count.bpf.c tests/bpf/usdt_count.h \
	tracepoints/events.def tracepoints/schema.h Makefile

usdt-test-progs: $(B)/tests/usdt_count $(B)/tests/trace_workload

usdt-check: usdt-test-progs
	@scripts/test-usdt.sh

$(USDT_DIR)/usdt_count.bpf.o: $(USDT_BPF_DEPS)
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(BPF_CLANG) $(USDT_BPF_CFLAGS) -c $< -o $@

# Written beside, then renamed: an interrupted bpftool leaves no truncated
# header that make would take as up to date.
$(USDT_DIR)/usdt_count.skel.h: $(USDT_DIR)/usdt_count.bpf.o
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name usdt_count > $@.tmp && mv $@.tmp $@

# An explicit rule: it wins over the tests' pattern rule $(B)/tests/%,
# which would link cmocka and the static library instead of libbpf.
$(B)/tests/usdt_count: tests/usdt_count.c $(USDT_DIR)/usdt_count.skel.h \
		tests/bpf/usdt_count.h tracepoints/events.def $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -I$(USDT_DIR) -Itests/bpf -Itracepoints \
		$(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(USDT_LIBS)

$(B)/tests/test_analysis: $(TOOLS_LIB)
$(B)/tests/test_workload_file: $(TOOLS_LIB)
$(B)/tests/test_trace_read: $(TOOLS_LIB)
$(B)/tests/test_textesc: $(TOOLS_LIB)
$(B)/tests/test_compare: $(TOOLS_LIB)
$(B)/tests/test_words: $(TOOLS_LIB)

# ---- coverage -------------------------------------------------------------------
# make coverage: line and branch coverage of libsched/ by the cmocka tests
# and a short stress run (gcc --coverage, gcovr), built in build/coverage/.
# Prints the figures, writes build/coverage/index.html, and fails under
# COVERAGE_MIN % of lines (docs/testing.md keeps the latest figures).
.PHONY: coverage
COVERAGE_MIN ?= 90
COV_B := $(B)/coverage
coverage: deps
	@rm -rf $(COV_B)/obj $(COV_B)/tests $(COV_B)/*.html
	@$(MAKE) --no-print-directory B=$(COV_B) CC=gcc TRACE=$(TRACE) \
		CFLAGS="-O0 -g --coverage" LDFLAGS=--coverage SANITIZE= tests
	@find $(COV_B) -name '*.gcda' -delete
	@scripts/run-tests.sh $(patsubst $(B)/%,$(COV_B)/%,$(TESTS))
	@STRESS_SECONDS=1 scripts/run-tests.sh $(COV_B)/tests/stress
	@scripts/coverage.sh $(COV_B) $(COVERAGE_MIN)

# ---- fuzzing ------------------------------------------------------------------
# Every tests/fuzz/fuzz_<name>.c is a libFuzzer target (it defines
# LLVMFuzzerTestOneInput) over the tools' shared code: adding a target is
# adding that one file, with its seed corpus in tests/fuzz/corpus/<name>/
# (tests/fuzz/regress/<name>/ for inputs that once crashed it).
#   make fuzz            builds each with clang -fsanitize=fuzzer,address,
#                        undefined (whatever CC is) and runs it FUZZ_SECONDS
#                        (60) from the committed corpus; new inputs go to
#                        build/fuzz/corpus/<name>/, crashes to
#                        build/fuzz/artifacts/
#   make check           replays the committed corpus and the regressions
#                        through each target built with CC and a plain main
#                        (tests/fuzz/run_corpus.c), so no compiler is needed
#                        for them to stay tests
.PHONY: fuzz fuzz-progs
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(B)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The code under test carries the fuzzer's coverage instrumentation.
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
# flight.c (the flight recorder, on lttng-ctl) is no fuzz target's code.
FUZZ_OBJS    := $(patsubst tools/common/%.c,$(FUZZ_DIR)/obj/%.o,\
	$(filter-out tools/common/flight.c,$(TOOLS_COMMON_SRCS)))
FUZZ_PROGS   := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
REPLAY_PROGS := $(patsubst %,$(B)/fuzz-replay/fuzz_%,$(FUZZ_NAMES))

fuzz-progs: $(FUZZ_PROGS)
# Kept: make would delete them as intermediates of the pattern rules.
.SECONDARY: $(FUZZ_OBJS)
tests: $(REPLAY_PROGS)

$(FUZZ_DIR)/obj/%.o: tools/common/%.c $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(TOOLS_CFLAGS) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(FUZZ_CC) $(TOOLS_CFLAGS) $(CPPFLAGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(TOOLS_LIBS) -lm

$(B)/fuzz-replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/run_corpus.c $(TOOLS_LIB) $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(TOOLS_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		$< tests/fuzz/run_corpus.c $(TOOLS_LIB) $(TOOLS_LIBS) -lm

# fuzz_replay runs the replay itself (tools/replay/replay.c and the
# figures and reports of report.c) over the library: both are built into
# it, for libFuzzer with the same instrumentation as the rest. Its explicit
# rules win over the pattern rules above.
FUZZ_SR_SRCS := tools/replay/replay.c tools/replay/report.c
FUZZ_SR_OBJS := $(patsubst tools/replay/%.c,$(FUZZ_DIR)/obj/replay/%.o,$(FUZZ_SR_SRCS)) \
	$(patsubst libsched/src/%.c,$(FUZZ_DIR)/obj/libsched/%.o,$(LIB_SRCS))
.SECONDARY: $(FUZZ_SR_OBJS)
FUZZ_SR_PLAIN := $(patsubst tools/replay/%.c,$(B)/obj/tools/replay/%.o,$(FUZZ_SR_SRCS))

$(FUZZ_DIR)/obj/libsched/%.o: libsched/src/%.c $(LIB_HDRS) $(wildcard libsched/src/*.h) $(TP_HDRS) Makefile $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(LIB_CFLAGS) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/replay/%.o: tools/replay/%.c $(wildcard tools/replay/*.h) $(TOOLS_DEPS) $(TP_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(TOOLS_CFLAGS) -Itools/replay $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_replay: tests/fuzz/fuzz_replay.c $(FUZZ_OBJS) $(FUZZ_SR_OBJS) $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(FUZZ_CC) $(TOOLS_CFLAGS) -Itools/replay $(CPPFLAGS) $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer -o $@ $< $(FUZZ_SR_OBJS) $(FUZZ_OBJS) $(TOOLS_LIBS) -lm -pthread -ldl

$(B)/fuzz-replay/fuzz_replay: tests/fuzz/fuzz_replay.c tests/fuzz/run_corpus.c \
		$(FUZZ_SR_PLAIN) $(TOOLS_LIB) $(STLIB) $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(TOOLS_CFLAGS) -Itools/replay $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ \
		$< tests/fuzz/run_corpus.c $(FUZZ_SR_PLAIN) \
		$(TOOLS_LIB) $(STLIB) $(TOOLS_LIBS) -lm -pthread -ldl

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-progs
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_DIR) $(FUZZ_NAMES)

# ---- tools ------------------------------------------------------------------
LTTNG_CTL_LIBS := $(shell $(PKG_CONFIG) --libs lttng-ctl 2>/dev/null || echo -llttng-ctl)
SCHEDPROF_SRCS := $(wildcard tools/schedprof/*.c)
SCHEDPROF_OBJS := $(patsubst tools/schedprof/%.c,$(B)/obj/tools/schedprof/%.o,$(SCHEDPROF_SRCS))
SCHEDREPLAY_SRCS := $(wildcard tools/replay/*.c)
SCHEDREPLAY_OBJS := $(patsubst tools/replay/%.c,$(B)/obj/tools/replay/%.o,$(SCHEDREPLAY_SRCS))
# The replay engine and the fixes it checks (tools/replay/fixes.h):
# schedprof report links them too, with the static library they replay
# through.
REPLAY_ENGINE_OBJS := $(patsubst %,$(B)/obj/tools/replay/%.o,replay report fixes)
# test_fixes tests the checked fixes and the split what-if on that engine.
TEST_CFLAGS_test_fixes := -Itools/common -Itools/replay $(BT_CFLAGS)
TEST_LDFLAGS_test_fixes = $(REPLAY_ENGINE_OBJS) $(TOOLS_LIB) $(TOOLS_LIBS) -lm
$(B)/tests/test_fixes: $(REPLAY_ENGINE_OBJS) $(TOOLS_LIB)
TOOLS := $(B)/bin/schedprof $(B)/bin/schedtop $(B)/bin/schedreplay
MANPAGES := docs/man/schedprof.1 docs/man/schedtop.1 docs/man/schedreplay.1
.PHONY: tools
tools: $(TOOLS)
all: tools

$(B)/obj/tools/schedprof/%.o: tools/schedprof/%.c $(wildcard tools/schedprof/*.h) $(wildcard tools/replay/*.h) $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(TOOLS_CFLAGS) -Itools/schedprof -Itools/replay $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/bin/schedprof: $(SCHEDPROF_OBJS) $(REPLAY_ENGINE_OBJS) $(TOOLS_LIB) $(STLIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SCHEDPROF_OBJS) $(REPLAY_ENGINE_OBJS) \
		$(TOOLS_LIB) $(STLIB) $(TOOLS_LIBS) $(LTTNG_CTL_LIBS) -lm -pthread -ldl

# schedtop: its BPF programs (tools/schedtop/schedtop.bpf.c, clang) become
# a skeleton (bpftool gen skeleton) under $(B)/obj/schedtop/, which live.c
# includes; tools/schedtop/model.h is shared by both sides.
SCHEDTOP_DIR  := $(B)/obj/schedtop
SCHEDTOP_SRCS := $(filter-out %.bpf.c,$(wildcard tools/schedtop/*.c))
SCHEDTOP_OBJS := $(patsubst tools/schedtop/%.c,$(SCHEDTOP_DIR)/%.o,$(SCHEDTOP_SRCS))
CURSES_CFLAGS := $(shell $(PKG_CONFIG) --cflags ncursesw 2>/dev/null)
CURSES_LIBS   := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw)

$(SCHEDTOP_DIR)/schedtop.bpf.o: tools/schedtop/schedtop.bpf.c \
		tools/schedtop/model.h Makefile
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(USDT_ARCH) \
		-I/usr/include/$(USDT_MULTIARCH) -Itools/schedtop \
		-Wall -Wextra -Wno-unused-parameter $(filter -Werror,$(WARNINGS)) \
		-c $< -o $@

$(SCHEDTOP_DIR)/schedtop.skel.h: $(SCHEDTOP_DIR)/schedtop.bpf.o
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name schedtop > $@.tmp && mv $@.tmp $@

$(SCHEDTOP_DIR)/%.o: tools/schedtop/%.c $(wildcard tools/schedtop/*.h) \
		$(SCHEDTOP_DIR)/schedtop.skel.h $(TOOLS_DEPS)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(TOOLS_CFLAGS) -Itools/schedtop -I$(SCHEDTOP_DIR) \
		$(CURSES_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/bin/schedtop: $(SCHEDTOP_OBJS) $(TOOLS_LIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SCHEDTOP_OBJS) $(TOOLS_LIB) \
		$(TOOLS_LIBS) $(USDT_LIBS) $(LTTNG_CTL_LIBS) $(CURSES_LIBS) -lm

# test_schedtop tests schedtop's model and frames (tools/schedtop/frame.c).
TEST_CFLAGS_test_schedtop := -Itools/schedtop -Itools/common -Itracepoints
TEST_LDFLAGS_test_schedtop = $(SCHEDTOP_DIR)/frame.o $(TOOLS_LIB) -lm
$(B)/tests/test_schedtop: $(SCHEDTOP_DIR)/frame.o $(TOOLS_LIB)

# schedreplay replays through the library itself: it links the static
# library, whose in-process trace hook (tracepoints/trace_hook.h) measures
# the replay.
$(B)/obj/tools/replay/%.o: tools/replay/%.c $(wildcard tools/replay/*.h) $(TOOLS_DEPS) $(TP_HDRS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(TOOLS_CFLAGS) -Itools/replay $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/bin/schedreplay: $(SCHEDREPLAY_OBJS) $(TOOLS_LIB) $(STLIB)
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SCHEDREPLAY_OBJS) $(TOOLS_LIB) \
		$(STLIB) $(TOOLS_LIBS) -lm -pthread -ldl


# The bad-input test also runs the tool under Valgrind, except where
# Valgrind cannot: a sanitized build, or clang 14's DWARF 5, which
# Valgrind 3.19 does not read (the gcc pass of CI covers it).
BADINPUT_VALGRIND := $(if $(SANITIZE)$(findstring clang,$(CC)),0,1)
ifeq ($(VALGRIND),1)
BADINPUT_VALGRIND := 1
endif

# The tracepoint tests' programs (real LTTng sessions and BPF: root).
TRACE_TEST_PROGS := lttng-test-progs usdt-test-progs $(B)/tests/truth_workload \
		    $(B)/tests/top_workload $(B)/tests/replay_workload \
		    $(B)/tests/hostile_workload \
		    $(B)/tests/split_workload $(B)/tests/flight_workload \
		    $(B)/tests/perfetto_workload

deps:
	@scripts/deps.sh

# VALGRIND=1: make check runs every test program under Valgrind memcheck
# (scripts/run-tests.sh): any error or definite/indirect leak fails it.
# gcc only, unsanitized: Valgrind 3.19 cannot read clang 14's DWARF 5, and
# a sanitizer owns the memory Valgrind would watch.
VALGRIND ?= 0
ifeq ($(VALGRIND),1)
ifneq ($(SANITIZE),)
$(error VALGRIND=1 and SANITIZE=$(SANITIZE) do not mix: run them as separate passes)
endif
ifneq ($(findstring clang,$(CC)),)
$(error VALGRIND=1 needs CC=gcc: Valgrind 3.19 cannot read clang 14's DWARF 5)
endif
endif

check: deps
	@$(MAKE) --no-print-directory lib examples tests tools $(TRACE_TEST_PROGS)
	@VALGRIND=$(VALGRIND) scripts/run-tests.sh $(TESTS)
	@echo "  again with LSCHED_IO_URING=0 (the input check's fallback on the real clock):"
	@LSCHED_IO_URING=0 VALGRIND=$(VALGRIND) scripts/run-tests.sh $(B)/tests/test_input
	@VALGRIND=$(VALGRIND) STRESS_SECONDS=$(CHECK_STRESS_SECONDS) \
		scripts/run-tests.sh $(STRESS)
	@VALGRIND=$(VALGRIND) scripts/fuzz-replay.sh $(B)/fuzz-replay $(FUZZ_NAMES)
ifneq ($(TRACE),0)
	@scripts/test-lttng.sh
	@scripts/test-usdt.sh
	@scripts/test-schedprof-record.sh
	@scripts/test-flight.sh
	@scripts/test-schedprof.sh
	@scripts/test-schedprof-truth.sh
	@scripts/test-schedprof-perfetto.sh
	@scripts/test-schedprof-diff.sh
	@VALGRIND=$(BADINPUT_VALGRIND) scripts/test-schedprof-badinput.sh
	@scripts/test-schedtop.sh
	@scripts/test-schedtop-flight.sh
	@scripts/test-schedtop-keys.sh
	@scripts/test-schedreplay.sh
	@scripts/test-hostile-names.sh
	@scripts/test-flight-readers.sh
	@scripts/test-errors-doc.py
else
	@echo "  SKIP     LTTng and USDT tests, schedreplay's replays: TRACE=0 compiled the tracepoints out"
endif
	@VALGRIND=$(BADINPUT_VALGRIND) scripts/test-schedreplay-badinput.sh
	@scripts/test-cli.py
	@scripts/test-merged-traces.sh
ifeq ($(SANITIZE),)
	@TRACE=$(TRACE) scripts/test-install.sh
else
	@echo "  SKIP     install + pkg-config consumer (a plain build's test; its consumer is built without SANITIZE)"
endif
	@scripts/check-readme.sh
	@for m in $(MANPAGES); do \
		w=$$(groff -man -Tutf8 -ww -z $$m 2>&1); \
		if [ -z "$$w" ]; then echo "  PASS     man page $$m renders without warnings"; \
		else echo "  FAIL     $$m: $$w"; exit 1; fi; \
	done
	@scripts/test-officesim.sh
ifneq ($(UV_LIBS),)
	@out=$$($(B)/bin/uv_host | tail -n 1) && echo "  PASS     uv_host: $$out" || \
		{ echo "  FAIL     uv_host: $$out"; exit 1; }
endif
	@scripts/test-fixes.sh
ifeq ($(SANITIZE),)
	@$(MAKE) --no-print-directory bench-quick
else
	@echo "  SKIP     bench smoke: a sanitized build's figures mean nothing (and the peers are not instrumented)"
endif

# A few minutes of stress (STRESS_SECONDS per scenario; STRESS_SEED=N
# replays a run, STRESS_ONLY=name runs one scenario).
.PHONY: stress
stress: deps
	@$(MAKE) --no-print-directory $(STRESS)
	@STRESS_SECONDS=$(STRESS_SECONDS) scripts/run-tests.sh $(STRESS)

demo: deps
	@$(MAKE) --no-print-directory $(B)/bin/officesim $(B)/bin/schedprof $(B)/bin/schedtop \
		$(B)/bin/schedreplay $(LTTNG_PROVIDER)
	@DEMO_ARGS="$(DEMO_ARGS)" scripts/demo.sh

# ---- install ----------------------------------------------------------------
install: lib tools
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/libsched \
		$(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(LIB_HDRS) $(DESTDIR)$(INCLUDEDIR)/libsched/
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
ifneq ($(TRACE),0)
	$(INSTALL) -m 755 $(LTTNG_PROVIDER) $(DESTDIR)$(LIBDIR)/
endif
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	ln -sf libsched.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libsched.so
	$(INSTALL) -m 644 $(STLIB) $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		-e 's|@LIBS_PRIVATE@|$(PC_LIBS_PRIVATE)|g' \
		libsched/libsched.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libsched.pc
ifeq ($(HAVE_GLIB),1)
	$(INSTALL) -m 644 $(GLIB_HDRS) $(DESTDIR)$(INCLUDEDIR)/libsched/
	$(INSTALL) -m 755 $(GLIB_SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libsched-glib.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(GLIB_SONAME)
	ln -sf $(GLIB_SONAME) $(DESTDIR)$(LIBDIR)/libsched-glib.so
	$(INSTALL) -m 644 $(GLIB_STLIB) $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		libsched-glib/libsched-glib.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libsched-glib.pc
endif

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/libsched/,$(notdir $(LIB_HDRS) $(GLIB_HDRS)))
	rm -f $(DESTDIR)$(LIBDIR)/libsched-glib.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(GLIB_SONAME) $(DESTDIR)$(LIBDIR)/libsched-glib.so \
		$(DESTDIR)$(LIBDIR)/libsched-glib.a $(DESTDIR)$(PKGCONFIGDIR)/libsched-glib.pc
	-rmdir $(DESTDIR)$(INCLUDEDIR)/libsched 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libsched.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libsched.so \
		$(DESTDIR)$(LIBDIR)/libsched.a $(DESTDIR)$(PKGCONFIGDIR)/libsched.pc \
		$(DESTDIR)$(LIBDIR)/libsched-lttng.so \
		$(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))

clean:
	rm -rf $(B)
