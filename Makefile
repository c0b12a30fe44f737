# wirelab — one Makefile for the tool, the lab programs and the tests.
# Quiet unless V=1. SANITIZE=1 (or `make asan`) builds with ASan+UBSan.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
B ?= build

PKGS := libnl-3.0 libnl-route-3.0 libnl-nf-3.0 libnl-idiag-3.0 libpcap openssl libssh
CC ?= cc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) cmocka)
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lnetfilter_queue -lpthread -lm

# snprintf is how every message is bounded here: a long path cut short in an
# error line is the intent, not a bug, so -Wformat-truncation stays off.
WARN := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes -Wshadow \
	-Wvla -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -MMD -MP -D_GNU_SOURCE -DWIRELAB_VERSION='"$(VERSION)"' \
	-DWIRELAB_DATADIR='"$(PREFIX)/share/wirelab"' -DWIRELAB_LIBEXECDIR='"$(PREFIX)/lib/wirelab"' \
	-I. $(PKG_CFLAGS)
ifeq ($(SANITIZE),1)
B := build-asan
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c netns/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
LAB_SRC := $(wildcard labs/*.c)
LAB_BIN := $(LAB_SRC:labs/%.c=$(B)/labs/%)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)

.PHONY: all deps run test unit integration asan format format-check clean install bench golden fuzz
all: $(B)/wirelab $(LAB_BIN) $(TEST_BIN)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libwirelab.a: $(LIB_OBJ)
	@[ "$(V)" = 1 ] || echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/wirelab: $(B)/obj/harness/main.o $(B)/libwirelab.a
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Lab programs: one C file each, linked with what they may use.
$(B)/labs/%: labs/%.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PKG_LIBS)

$(B)/tests/%: tests/%.c $(B)/libwirelab.a
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libwirelab.a $(PKG_LIBS) \
		$(shell pkg-config --libs cmocka)

$(B)/bench/%: tests/bench/%.c $(B)/libwirelab.a
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libwirelab.a $(PKG_LIBS)

bench: all $(BENCH_BIN)
	@B=$(B) sh tests/bench/run.sh

# The two commands of README.md. Each is complete on its own on a fresh
# Debian machine: install what is missing, build, then run.
deps:
	@sh ci/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(B)/wirelab run --out $(B)/out --junit $(B)/out/junit.xml

test: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) sh tests/run.sh

# The same tests under ASan+UBSan; what they repeat for determinism (the
# suite 3 times, a class of 40) once, smaller: memory errors show the first
# time. The oracles that run the labs again for tshark are left to the
# normal pass (the capture oracles still run here).
asan:
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@B=build-asan RUNS=1 GRADE_CLASS=20 SKIP="lab_oracle tls_oracle" sh tests/run.sh

# libFuzzer targets (clang): one per parser, over the parsers' sources only.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB := $(wildcard harness/dissect*.c) harness/keylog.c harness/pkt.c harness/json.c \
	harness/utf8.c harness/capture.c harness/trace.c harness/show.c harness/filter.c \
	harness/lab.c harness/claim.c harness/answers.c
FUZZ_TIME ?= 30
# The parsers are compiled once (instrumented, not linked with the fuzzer's
# main) and linked into every target.
FUZZ_CFLAGS := -g -O1 -fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE \
	-DWIRELAB_VERSION='"$(VERSION)"' -I. $(shell pkg-config --cflags libpcap openssl)
FUZZ_OBJ := $(FUZZ_LIB:%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
-include $(FUZZ_OBJ:.o=.d)
.SECONDARY: $(FUZZ_OBJ)
build-fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-o $@ $^ $(shell pkg-config --libs libpcap openssl) -lm

# Seeds: the checked-in captures (whole, for the pipeline; cut into each
# stream target's input format by tests/fuzz/seed.c) and the lab scripts.
build-fuzz/seed: tests/fuzz/seed.c
	@mkdir -p $(@D)
	$(Q)$(CC) -O1 -Wall -Wextra -Werror -o $@ $< $(shell pkg-config --cflags --libs libpcap)

build-fuzz/seeds-fuzz_pcap: $(wildcard tests/pcap/*.pcap tests/pcap/*.pcapng)
build-fuzz/seeds-fuzz_lab: $(wildcard labs/*.lab tests/bad/*.lab)
build-fuzz/seeds-fuzz_answers: $(wildcard tests/submissions/*/answers.txt)
build-fuzz/seeds-fuzz_answers:
	@rm -rf $@ && mkdir -p $@ && for f in $^; do cp $$f $@/$$(basename $$(dirname $$f)); done
build-fuzz/seeds-fuzz_pcap build-fuzz/seeds-fuzz_lab:
	@rm -rf $@ && mkdir -p $@ && cp $^ $@/
build-fuzz/seeds-fuzz_tls: build-fuzz/seed $(wildcard tests/pcap/tls-*)
build-fuzz/seeds-fuzz_ssh: build-fuzz/seed $(wildcard tests/pcap/ssh-*)
build-fuzz/seeds-fuzz_ws: build-fuzz/seed $(wildcard tests/pcap/ws-*)
build-fuzz/seeds-fuzz_tls build-fuzz/seeds-fuzz_ssh build-fuzz/seeds-fuzz_ws:
	@rm -rf $@ && mkdir -p $@
	@$< $(@:build-fuzz/seeds-fuzz_%=%) $@ $(filter %.pcap %.pcapng,$^) >/dev/null

# Each target first runs the inputs it once crashed on (tests/fuzz/crashes/
# TARGET-*), then fuzzes for FUZZ_TIME seconds (or FUZZ_RUNS executions,
# whichever ends first); its corpus grows in build-fuzz/corpus-*, the seeds
# are read too.
# FUZZ_TARGETS picks some: make fuzz FUZZ_TARGETS="fuzz_tls fuzz_ssh".
FUZZ_RUNS ?= -1
FUZZ_TARGETS ?= $(notdir $(FUZZ_BIN))
fuzz: $(FUZZ_TARGETS:%=build-fuzz/%) $(FUZZ_TARGETS:%=build-fuzz/seeds-%)
	@for t in $(FUZZ_TARGETS); do \
		f=build-fuzz/$$t; mkdir -p build-fuzz/corpus-$$t; \
		for c in tests/fuzz/crashes/$$t-*; do \
			[ -f "$$c" ] || continue; \
			$$f "$$c" >build-fuzz/$$t.crash.log 2>&1 || \
				{ echo "  FAIL    $$c (an old finding is back)"; \
				  tail -20 build-fuzz/$$t.crash.log; exit 1; }; \
		done; \
		echo "  RUN     $$f ($(FUZZ_TIME) s)"; \
		$$f -max_total_time=$(FUZZ_TIME) -runs=$(FUZZ_RUNS) -print_final_stats=1 \
			-artifact_prefix=build-fuzz/$$t- \
			build-fuzz/corpus-$$t build-fuzz/seeds-$$t 2>&1 | \
			tee build-fuzz/$$t.log | \
			grep -E "stat::number_of_executed_units|ERROR|SUMMARY"; \
		! grep -q "ERROR: libFuzzer\|ERROR: AddressSanitizer\|runtime error\|SUMMARY:" \
			build-fuzz/$$t.log || exit 1; \
	done

golden: all
	@B=$(B) GOLDEN_UPDATE=1 sh tests/integration/golden.sh

format:
	clang-format -i $(wildcard harness/*.[ch] netns/*.[ch] labs/*.c tests/*.c)

format-check:
	@clang-format --dry-run -Werror $(wildcard harness/*.[ch] netns/*.[ch] labs/*.c tests/*.c)

install: $(B)/wirelab $(LAB_BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/wirelab/labs \
		$(DESTDIR)$(PREFIX)/lib/wirelab $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(B)/wirelab $(DESTDIR)$(PREFIX)/bin/wirelab
	install -m 755 $(LAB_BIN) $(DESTDIR)$(PREFIX)/lib/wirelab/
	install -m 644 labs/*.lab labs/README.md $(DESTDIR)$(PREFIX)/share/wirelab/labs/
	install -m 644 man/wirelab.1 $(DESTDIR)$(PREFIX)/share/man/man1/wirelab.1

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(B)/obj/harness/main.d $(LAB_BIN:=.d) $(TEST_BIN:=.d)
