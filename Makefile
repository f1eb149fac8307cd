# SPDX-License-Identifier: GPL-2.0
#
# The only build entry. `make` builds build/rsttrace; `make test`, `make run`,
# `make bench` build what they need first. Quiet by default; V=1 is verbose.
# Generated files (vmlinux.h, BPF objects, skeletons) live only in $(OUT).

OUT	:= build
CC	?= gcc
CLANG	?= clang
BPFTOOL	?= bpftool
PREFIX	?= /usr/local

ifeq ($(V),1)
Q	:=
msg	:=
else
Q	:= @
msg	= @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

# Debian packages the build needs, and those the tests and benchmarks add.
BUILD_PKGS := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config \
	      libpcap-dev libmicrohttpd-dev libcmocka-dev libmnl-dev
BUILD_PKGS += libfixbuf-dev
DEB_PKGS := $(BUILD_PKGS) tcpdump tshark prometheus hping3 jq iproute2 util-linux procps \
	    curl python3 groff-base systemd debhelper lintian yq nftables iptables
# test_topui.sh runs top on a terminal: tmux and its capture-pane.
DEB_PKGS += tmux
# test_vocab: editcap cuts a capture to a snaplen (tshark pulls it in; named for its own use).
DEB_PKGS += wireshark-common
# The IPFIX tests' collectors (test_ipfix.sh).
DEB_PKGS += python3-ipfix nfdump

ARCH	:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# A release tag (v0.2.0) gives 0.2.0, a commit after it 0.2.0-3-gHASH;
# without a tag, the commit; a package build passes its own (debian/rules).
VERSION	:= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null | sed 's/^v//' | \
		grep . || git describe --always --dirty 2>/dev/null || echo unknown)

WARN	:= -Wall -Wextra -Werror
# Each object records the headers it includes (-MMD): a change rebuilds
# only what uses it.
DEPFLAGS := -MMD -MP
CFLAGS	?= -O2 -g
# user/ is folders by layer (docs/architecture.md); headers are included by
# name, so every folder is on the include path.
USER_DIRS := $(sort $(dir $(wildcard user/*/*.c user/*/*.h)))
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(OUT) -Iinclude -Iuser \
	       $(patsubst %/,-I%,$(USER_DIRS)) -DRST_VERSION='"$(VERSION)"'
LDLIBS	:= -lbpf -lelf -lz -lpcap -lmicrohttpd -lmnl -lm
# IPFIX export (user/outputs/ipfix.c) encodes with libfixbuf, which brings glib.
FIXBUF_CFLAGS := $(shell pkg-config --cflags libfixbuf 2>/dev/null)
LDLIBS	+= $(shell pkg-config --libs libfixbuf 2>/dev/null || echo -lfixbuf)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-function \
	      -I$(OUT) -Iinclude -Ibpf -I/usr/include/$(shell uname -m)-linux-gnu

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS	  := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS))
LIB_OBJS  := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
# Helpers the tests share (tests/lib): headers, and objects linked into
# every unit test, tool and the prog tests.
TEST_CFLAGS := -Itests/lib
TEST_LIB_OBJS := $(patsubst tests/lib/%.c,$(OUT)/tests/lib/%.o,$(wildcard tests/lib/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUT)/tests/%,$(TOOL_SRCS))

.PHONY: all deps check-build-deps test run bench clean install uninstall format check-format
.DELETE_ON_ERROR:
# The skeletons and objects are inputs of several targets, not intermediates.
.SECONDARY: $(SKELS) $(BPF_OBJS)

# A plain build installs nothing: it says what is missing and how to get it.
all: check-build-deps $(OUT)/rsttrace

check-build-deps:
	$(Q)missing=""; for p in $(BUILD_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make: missing build packages:$$missing; run 'make deps' (as root) first" >&2; \
		exit 1; \
	fi

# Installs what is missing, and only then touches apt (make run/test/bench call it).
deps:
	$(Q)missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
			missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "  DEPS    installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: need root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

$(OUT) $(OUT)/user $(OUT)/tests:
	$(Q)mkdir -p $@

# Kernel types for CO-RE: the running kernel's BTF, or the documented fallback.
$(OUT)/vmlinux.h: | $(OUT)
	$(call msg,GEN,$@)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ] && [ -z "$(VMLINUX_FALLBACK)" ]; then \
		$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@; \
	else \
		echo "vmlinux.h: using vmlinux/fallback.h (no kernel BTF, or VMLINUX_FALLBACK set)" >&2; \
		cp vmlinux/fallback.h $@; \
	fi

$(OUT)/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# The files that print the version are rebuilt when it changes: a stamp
# file is rewritten only then.
VERSION_STAMP := $(OUT)/version.stamp
$(shell mkdir -p $(OUT) && [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = "$(VERSION)" ] || \
	echo "$(VERSION)" > $(VERSION_STAMP))
$(OUT)/user/main.o $(OUT)/user/outputs/metrics.o $(OUT)/user/commands/attach.o: $(VERSION_STAMP)

# The skeletons exist before the first compile; after it, -MMD knows who
# includes them.
$(OUT)/user/%.o: user/%.c | $(SKELS) $(OUT)/user
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/rsttrace: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/lib/%.o: tests/lib/%.c | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) $(TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUT)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS) $(TEST_LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(TEST_CFLAGS) $(DEPFLAGS) -Wno-unused-parameter $< $(LIB_OBJS) \
		$(TEST_LIB_OBJS) $(LDLIBS) -lcmocka -o $@

$(OUT)/tests/%: tests/tools/%.c $(LIB_OBJS) $(TEST_LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(TEST_CFLAGS) $(DEPFLAGS) $< $(LIB_OBJS) $(TEST_LIB_OBJS) \
		$(LDLIBS) -o $@

$(OUT)/tests/prog_test: tests/prog/prog_test.c $(LIB_OBJS) $(TEST_LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(TEST_CFLAGS) $(DEPFLAGS) $< $(LIB_OBJS) $(TEST_LIB_OBJS) \
		$(LDLIBS) -o $@

TEST_BINS := $(UNIT_BINS) $(TOOL_BINS) $(if $(wildcard tests/prog/prog_test.c),$(OUT)/tests/prog_test)

test: deps $(OUT)/rsttrace $(TEST_BINS)
	$(Q)OUT=$(OUT) SUITES="$(SUITES)" TESTS="$(TESTS)" tests/run.sh

run: deps $(OUT)/rsttrace
	$(Q)$(OUT)/rsttrace demo

bench: deps $(OUT)/rsttrace $(SKELS) $(TEST_BINS)
	$(Q)OUT=$(OUT) CLANG=$(CLANG) BPF_CFLAGS="$(BPF_CFLAGS)" bench/run.sh

# Where `make install` puts things; DESTDIR is prepended to all of them.
SBINDIR	   ?= $(PREFIX)/sbin
MANDIR	   ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR	   ?= $(PREFIX)/lib/systemd/system
COMPLDIR   ?= $(PREFIX)/share/bash-completion/completions
DOCDIR	   ?= $(PREFIX)/share/doc/rsttrace
UNITS	   := $(wildcard dist/systemd/*.service)
PROM_DOCS  := $(wildcard docs/prometheus/*.yml)
GRAFANA_DOCS := $(wildcard docs/grafana/*.json)
# Every file install makes, for uninstall.
INSTALLED  := $(SBINDIR)/rsttrace $(MANDIR)/man8/rsttrace.8 $(SYSCONFDIR)/default/rsttrace \
	      $(COMPLDIR)/rsttrace $(patsubst dist/systemd/%,$(UNITDIR)/%,$(UNITS)) \
	      $(patsubst docs/%,$(DOCDIR)/%,$(PROM_DOCS)) \
	      $(patsubst docs/%,$(DOCDIR)/%,$(GRAFANA_DOCS))

install: $(OUT)/rsttrace
	install -D -m 0755 $(OUT)/rsttrace $(DESTDIR)$(SBINDIR)/rsttrace
	install -D -m 0644 docs/rsttrace.8 $(DESTDIR)$(MANDIR)/man8/rsttrace.8
	install -D -m 0644 dist/default/rsttrace $(DESTDIR)$(SYSCONFDIR)/default/rsttrace
	install -D -m 0644 dist/bash-completion/rsttrace $(DESTDIR)$(COMPLDIR)/rsttrace
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/prometheus
	for u in $(UNITS); do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $$u \
			>$(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; \
	done
	install -m 0644 $(PROM_DOCS) $(DESTDIR)$(DOCDIR)/prometheus/
	install -D -m 0644 -t $(DESTDIR)$(DOCDIR)/grafana $(GRAFANA_DOCS)

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/prometheus $(DESTDIR)$(DOCDIR)/grafana $(DESTDIR)$(DOCDIR) 2>/dev/null

format:
	clang-format -i $(BPF_SRCS) $(wildcard bpf/*.h include/*.h user/*.[ch] user/*/*.[ch] tests/*/*.c tests/lib/*.h)

check-format:
	clang-format --dry-run --Werror $(BPF_SRCS) $(wildcard include/*.h user/*.[ch] user/*/*.[ch])

clean:
	$(call msg,CLEAN,$(OUT))
	$(Q)rm -rf $(OUT)

-include $(USER_OBJS:.o=.d) $(BPF_OBJS:.o=.d) $(addsuffix .d,$(TEST_BINS)) $(TEST_LIB_OBJS:.o=.d)

# Only the IPFIX writer sees glib's headers.
$(OUT)/user/outputs/ipfix.o: USER_CFLAGS += $(FIXBUF_CFLAGS)
