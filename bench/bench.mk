# ---- benchmarks (included by the Makefile) ----------------------------------
# make bench        install the peers (deps), build and run the whole suite:
#                   tables on stdout, build/bench/results.csv, PNG charts in
#                   build/bench/ (docs/performance.md). At most 10 minutes.
# make bench-tools  the tool rows alone (tracing cost, schedprof report,
#                   schedreplay --sim); `make bench` runs them too.
# make bench-quick  every program at small sizes: checks the harness,
#                   every callback count and that results.csv holds each
#                   figure once; no timing (part of make check).
# build/bench/<name> builds one program from bench/<name>.c.
.PHONY: bench bench-tools bench-quick bench-progs

# The peers: libevent, libuv, GLib, through pkg-config. Their headers are
# system headers here: our warnings are for our code.
BENCH_PEERS := glib-2.0 libuv libevent libevent_pthreads
BENCH_PEER_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(BENCH_PEERS) 2>/dev/null | \
	sed -e 's/-I/-isystem /g')
BENCH_PEER_LIBS := $(shell $(PKG_CONFIG) --libs $(BENCH_PEERS) 2>/dev/null)
# The programs that measure the peers beside libsched.
BENCH_PEER_PROGS := posts input_latency xthread timers
$(foreach p,$(BENCH_PEER_PROGS),$(eval BENCH_CFLAGS_$(p) := $(BENCH_PEER_CFLAGS)))
$(foreach p,$(BENCH_PEER_PROGS),$(eval BENCH_LIBS_$(p) := $(BENCH_PEER_LIBS)))

BENCH_PROGS := $(addprefix $(B)/bench/,$(BENCH_PEER_PROGS) trace_cost \
	trace_cost_notrace)
# hosted: the native loop beside the same loop hosted by GLib
# (libsched-glib) and by a poll(2) loop. Built where GLib is.
ifeq ($(HAVE_GLIB),1)
BENCH_PROGS += $(B)/bench/hosted
endif
BENCH_CFLAGS_hosted := -Ilibsched-glib/include $(BENCH_PEER_CFLAGS)
BENCH_LIBS_hosted := $(GLIB_STLIB) $(STLIB) $(GLIB_LIBS)
$(B)/bench/hosted: $(GLIB_STLIB) $(GLIB_HDRS)

$(B)/bench/%: bench/%.c bench/bench.h $(STLIB) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(BENCH_CFLAGS_$*) $(CPPFLAGS) $(CFLAGS) \
		$(LDFLAGS) -o $@ $< $(STLIB) $(BENCH_LIBS_$*) -pthread -ldl

# The baseline of the tracing row: the library compiled with every
# tracepoint out (as TRACE=0 would), kept apart from the main build.
BENCH_NOTRACE := $(B)/bench/notrace
BENCH_NOTRACE_OBJS := $(patsubst libsched/src/%.c,$(BENCH_NOTRACE)/%.o,$(LIB_SRCS))

$(BENCH_NOTRACE)/%.o: libsched/src/%.c $(LIB_HDRS) $(wildcard libsched/src/*.h) $(TP_HDRS) Makefile bench/bench.mk $(CONFIG)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) -DLSCHED_TRACE_DISABLED $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BENCH_NOTRACE)/libsched.a: $(BENCH_NOTRACE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(B)/bench/trace_cost_notrace: bench/trace_cost.c $(BENCH_NOTRACE)/libsched.a $(LIB_HDRS)
	@mkdir -p $(@D)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BENCH_NOTRACE)/libsched.a -pthread

bench-progs: $(BENCH_PROGS)

# The tool rows need the tools and the LTTng provider (when traced).
BENCH_TOOL_DEPS := $(B)/bin/schedprof $(B)/bin/schedtop $(if $(filter 0,$(TRACE)),,$(LTTNG_PROVIDER))

bench: deps
	@$(MAKE) --no-print-directory bench-progs $(BENCH_TOOL_DEPS)
	@TRACE=$(TRACE) scripts/bench.sh

bench-tools: deps
	@$(MAKE) --no-print-directory bench-progs $(BENCH_TOOL_DEPS)
	@TRACE=$(TRACE) scripts/bench.sh --tools-only

bench-quick: bench-progs $(BENCH_TOOL_DEPS)
	@TRACE=$(TRACE) scripts/bench.sh --quick
