# SPDX-License-Identifier: GPL-2.0-only
# trustpoint build. Everything generated goes under build/.
#   make [all] | deps | check | demo | bench | install | clean     (V=1: full commands)

OUT      ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
VERSION  := 0.1.0

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	    -Wno-missing-field-initializers -D_GNU_SOURCE \
	    -DTP_VERSION='"$(VERSION)"' -I. -Iuserspace -I$(OUT) \
	    -I/usr/include/libnl3 \
	    -fstack-protector-strong -D_FORTIFY_SOURCE=2
LDLIBS   += -lbpf -lelf -lz -ljson-c -lmnl -lsqlite3 -lwolfssl -lldap -llber -linih -lmicrohttpd \
	    -lnl-route-3 -lnl-3
BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -I. -I$(ARCH_INC) -D__BPF__

LIB_SRCS  := $(wildcard userspace/lib/*.c) $(wildcard kmod-free/*.c)
CLI_SRCS  := $(wildcard userspace/cli/*.c)
DAEMON_SRCS := $(wildcard userspace/daemon/*.c)
AGENT_SRCS := $(wildcard userspace/agent/*.c)
TEST_SRCS := $(wildcard selftests/*.c)
LIB_OBJS  := $(patsubst %.c,$(OUT)/obj/%.o,$(LIB_SRCS))
CLI_OBJS  := $(patsubst %.c,$(OUT)/obj/%.o,$(CLI_SRCS))
TEST_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(TEST_SRCS))
DAEMON_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(DAEMON_SRCS))
AGENT_OBJS := $(patsubst %.c,$(OUT)/obj/%.o,$(AGENT_SRCS))
SKELS     := $(OUT)/gate.skel.h
BINS      := $(OUT)/tpctl $(if $(DAEMON_SRCS),$(OUT)/trustpointd) \
	     $(if $(AGENT_SRCS),$(OUT)/tp-agent)
HEADERS   := $(wildcard bpf/*.h userspace/*/*.h kmod-free/*.h selftests/*.h)

# Debian packages for build, tests, demo and bench (nginx: its peer).
DEB_PKGS := make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
	    linux-libc-dev libjson-c-dev libmnl-dev libnl-3-dev \
	    libnl-route-3-dev libwolfssl-dev libsqlite3-dev libinih-dev \
	    libmicrohttpd-dev libldap-dev iproute2 iputils-ping ethtool \
	    nftables conntrack openssl xdp-tools pkg-config socat \
	    slapd ldap-utils sqlite3 libclang-rt-14-dev curl prometheus \
	    jq gnuplot-nox nginx-light

.DELETE_ON_ERROR:
.PHONY: all deps check demo fuzz install clean

all: $(BINS) $(OUT)/test_progs fuzz

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null || exit 1; \
	fi

$(OUT)/gate.bpf.o: bpf/gate.bpf.c bpf/gate.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o Makefile
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/obj/%.o: %.c $(HEADERS) $(SKELS) $(OUT)/tests.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# test_agent includes the agent's posture reader and logger.
$(OUT)/obj/selftests/test_agent.o: userspace/agent/posture.c userspace/agent/log.c

# The test list is every `void test_NAME(void)` in selftests/.
$(OUT)/tests.h: $(TEST_SRCS) | $(OUT)
	$(call msg,GEN,$@)
	$(Q)sed -n 's/^void test_\([a-z][a-z0-9_]*\)(void)$$/DECLARE_TEST(\1)/p' \
		$(TEST_SRCS) > $@.tmp && mv $@.tmp $@

$(OUT)/libtp.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/tpctl: $(CLI_OBJS) $(OUT)/libtp.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/trustpointd: $(DAEMON_OBJS) $(OUT)/libtp.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/tp-agent: $(AGENT_OBJS) $(OUT)/libtp.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/test_progs: $(TEST_OBJS) $(OUT)/libtp.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT):
	$(Q)mkdir -p $@

check: deps
	$(Q)$(MAKE) --no-print-directory all bench-build
	$(Q)$(OUT)/test_progs -b $(OUT) -s . $(TESTS)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh $(OUT)

# libFuzzer + ASan targets; run one with build/fuzz_ocsp -max_total_time=60 CORPUS
FUZZERS := $(patsubst selftests/fuzz/%.c,$(OUT)/%,$(wildcard selftests/fuzz/*.c))
fuzz: $(FUZZERS)

$(OUT)/fuzz_ocsp: selftests/fuzz/fuzz_ocsp.c userspace/lib/ocsp.c userspace/lib/ocsp.h | $(OUT)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address -I. -Iuserspace -D_GNU_SOURCE \
		selftests/fuzz/fuzz_ocsp.c userspace/lib/ocsp.c -o $@

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/sbin/
	install -D -m 0644 userspace/daemon/trustpointd.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/trustpointd.service
	install -D -m 0644 userspace/daemon/trustpointd.conf.example \
		$(DESTDIR)$(PREFIX)/share/doc/trustpoint/trustpointd.conf.example
	install -D -m 0644 userspace/agent/tp-agent.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/tp-agent.service
	install -D -m 0644 userspace/agent/tp-agent.conf.example \
		$(DESTDIR)$(PREFIX)/share/doc/trustpoint/tp-agent.conf.example

clean:
	rm -rf $(OUT)

include tools/bench/Makefile.inc
