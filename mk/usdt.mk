# The USDT test: a BPF program (tests/bpf/usdt_count.bpf.c) counts the hits
# of libsched's USDT probes in a running trace_workload; its checker
# (tests/usdt_count.c) loads it through a libbpf skeleton and compares.
#
#   make usdt-test-progs   build build/tests/usdt_count and trace_workload
#   make usdt-check        ... and run scripts/test-usdt.sh (root: BPF)
#
# The BPF object and its skeleton are generated under $(B)/obj/usdt/, never
# committed. BPF is always compiled by clang, whatever CC is; it needs no
# vmlinux.h, only the kernel's UAPI headers (asm/ from the multiarch
# directory, which -target bpf does not search).

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
	tracepoints/events.def tracepoints/schema.h mk/usdt.mk

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
