# libsched: one GNU Makefile; every output goes under build/.
#
#   make                 build the library (shared + static), pkg-config file
#   make demo            install missing packages, build and run officesim
#   make check           install missing packages, build and run every test
#   make examples        build the example programs into build/bin/
#   make install         install (PREFIX, LIBDIR, INCLUDEDIR, DESTDIR)
#   make uninstall       remove what install installed
#   make clean           remove build/
#   make deps            install missing Debian packages (see scripts/deps.sh)
# Variables: V=1 full command lines; CC=clang; WERROR=0 to drop -Werror;
# SANITIZE=address,undefined or SANITIZE=thread builds everything under
# that sanitizer (into build/ as usual: `make clean` when switching).

.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX      ?= /usr/local
EXEC_PREFIX ?= $(PREFIX)
LIBDIR      ?= $(EXEC_PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
BINDIR      ?= $(EXEC_PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR     ?=

INSTALL     ?= install
PKG_CONFIG  ?= pkg-config

VERSION_MAJOR := 0
VERSION_MINOR := 1
VERSION_PATCH := 0
VERSION     := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

B := build
WERROR ?= 1

CFLAGS   ?= -O2 -g
ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=$(SANITIZE)
endif
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARNINGS) \
               -Ilibsched/include
LIB_CFLAGS  := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DLSCHED_BUILDING \
               -Ilibsched/src
LDLIBS_LIB  := -pthread

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)'
endif

# ---- library --------------------------------------------------------------
LIB_SRCS := $(wildcard libsched/src/*.c)
LIB_OBJS := $(patsubst libsched/src/%.c,$(B)/obj/libsched/%.o,$(LIB_SRCS))
LIB_HDRS := $(wildcard libsched/include/libsched/*.h)
SONAME   := libsched.so.$(VERSION_MAJOR)
SHLIB    := $(B)/lib/libsched.so.$(VERSION)
STLIB    := $(B)/lib/libsched.a
PCFILE   := $(B)/lib/pkgconfig/libsched.pc

.PHONY: all lib examples check demo install uninstall clean deps tests
all: lib examples

lib: $(SHLIB) $(B)/lib/$(SONAME) $(B)/lib/libsched.so $(STLIB) $(PCFILE)

$(B)/obj/libsched/%.o: libsched/src/%.c $(LIB_HDRS) $(wildcard libsched/src/*.h) Makefile
	@mkdir -p $(@D)
	$(call msg,CC,$<)
	$(Q)$(CC) $(LIB_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(SHLIB): $(LIB_OBJS) libsched/libsched.map
	@mkdir -p $(@D)
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=libsched/libsched.map -Wl,--no-undefined \
		-o $@ $(LIB_OBJS) $(LDLIBS_LIB)

$(B)/lib/$(SONAME): $(SHLIB)
	$(Q)ln -sf $(notdir $<) $@

$(B)/lib/libsched.so: $(B)/lib/$(SONAME)
	$(Q)ln -sf $(notdir $<) $@

$(STLIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(PCFILE): libsched/libsched.pc.in Makefile
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		$< > $@

# ---- examples ---------------------------------------------------------------
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLES := $(patsubst examples/%.c,$(B)/bin/%,$(EXAMPLE_SRCS))
examples: $(EXAMPLES)

$(B)/bin/%: examples/%.c $(STLIB) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(STLIB) -pthread

# ---- tests ------------------------------------------------------------------
TEST_SRCS := $(wildcard tests/test_*.c)
# The allocator-wrapping test cannot run under AddressSanitizer, which
# owns malloc.
ifneq ($(findstring address,$(SANITIZE)),)
TEST_SRCS := $(filter-out tests/test_oom.c,$(TEST_SRCS))
endif
TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(TEST_SRCS))
TEST_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
tests: $(TESTS)

# Tests link the static library: they may reach internal symbols to inject
# faults. tests/testutil.h and threadutil.h hold what test files share.
$(B)/tests/%: tests/%.c $(wildcard tests/*.h) $(STLIB) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -Ilibsched/src $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) \
		-o $@ $< $(STLIB) $(TEST_LIBS) -pthread $(TEST_LDFLAGS_$*)

# test_oom fails allocations on purpose: it wraps the allocator.
TEST_LDFLAGS_test_oom := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
# test_performer_faults makes the wake-up descriptor's writes and reads fail.
TEST_LDFLAGS_test_performer_faults := -Wl,--wrap=write,--wrap=read

deps:
	@scripts/deps.sh

check: deps
	@$(MAKE) --no-print-directory lib examples tests
	@scripts/run-tests.sh $(TESTS)
ifeq ($(SANITIZE),)
	@scripts/test-install.sh
else
	@echo "  SKIP     install + pkg-config consumer (a plain build's test; its consumer is built without SANITIZE)"
endif
	@scripts/check-readme.sh
	@scripts/test-officesim.sh

demo: deps
	@$(MAKE) --no-print-directory $(B)/bin/officesim
	$(B)/bin/officesim $(DEMO_ARGS)

# ---- install ----------------------------------------------------------------
install: lib
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/libsched \
		$(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(LIB_HDRS) $(DESTDIR)$(INCLUDEDIR)/libsched/
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libsched.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libsched.so
	$(INSTALL) -m 644 $(STLIB) $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
		libsched/libsched.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libsched.pc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/libsched/,$(notdir $(LIB_HDRS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/libsched 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libsched.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libsched.so \
		$(DESTDIR)$(LIBDIR)/libsched.a $(DESTDIR)$(PKGCONFIGDIR)/libsched.pc

clean:
	rm -rf $(B)
