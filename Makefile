# qmail-ng build.  `make` builds every program into build/bin/.
# See README.md for `make run`, `make check`, `make check-asan`, `make bench`.

BUILD    ?= build
CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
PYTHON   ?= /usr/bin/python3

WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Werror
CFLAGS   ?= -O2 -g
ALLCFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
           -Isrc/lib -Isrc/mail -Isrc/tls -MMD -MP
# Full RELRO: every symbol bound at start.  Also a speed-up: a process forked
# from a zygote inherits the bound GOT instead of resolving (and copying a
# page for) each symbol on first call (docs/INTERNALS.md "Costs per message").
BIND_LDFLAGS = -Wl,-z,now -Wl,-z,relro
LDLIBS   = -Wl,--as-needed -lcdb -lcrypt -lssl -lcrypto $(EXTRA_LDLIBS)

LIB_SRC  := $(wildcard src/lib/*.c)
MAIL_SRC := $(wildcard src/mail/*.c)
TLS_SRC  := $(wildcard src/tls/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
MAIL_OBJ := $(MAIL_SRC:src/%.c=$(BUILD)/obj/%.o)
TLS_OBJ  := $(TLS_SRC:src/%.c=$(BUILD)/obj/%.o)
LIBQ     := $(BUILD)/libqlib.a
LIBM     := $(BUILD)/libqmail.a
LIBT     := $(BUILD)/libqtls.a

CMDS     := $(notdir $(patsubst %/,%,$(dir $(wildcard src/cmd/*/main.c))))
BINS     := $(CMDS:%=$(BUILD)/bin/%)

UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/test/%)

FUZZ_SRC := $(wildcard tests/fuzz/*_fuzz.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all deps deps-test run check check-unit check-fuzz check-integ \
        check-asan bench install clean fmt-check crash-build

all: $(BINS) $(BUILD)/bin/.links

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(LIBQ): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBM): $(MAIL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIBT): $(TLS_OBJ)
	@rm -f $@
	ar rcs $@ $^

# One directory per program; main.c plus private modules.
define CMD_RULE
$(BUILD)/bin/$(1): $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/cmd/$(1)/*.c)) $(LIBT) $(LIBM) $(LIBQ)
	@mkdir -p $(BUILD)/bin
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $(BIND_LDFLAGS) $(CMD_LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach c,$(CMDS),$(eval $(call CMD_RULE,$(c))))

# Alias names: programs that are one binary under several names.
$(BUILD)/bin/.links: $(BINS)
	@if [ -x $(BUILD)/bin/sendmail ]; then ln -sf sendmail $(BUILD)/bin/mailq; \
	  ln -sf sendmail $(BUILD)/bin/newaliases; fi
	@touch $@

$(BUILD)/test/%_test: tests/unit/%_test.c $(LIBT) $(LIBM) $(LIBQ)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Wno-missing-prototypes -o $@ $< $(LIBT) $(LIBM) $(LIBQ) -lcmocka $(LDLIBS)

# libFuzzer harnesses (clang); `make check` replays each seed corpus.  The
# library sources are compiled once, instrumented, into one archive.
FUZZ_CC     ?= clang
FUZZ_FLAGS   = -std=c17 -D_GNU_SOURCE -g -O1 -Isrc/lib -Isrc/mail -Isrc/tls
FUZZ_OBJ    := $(patsubst src/%.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRC) $(MAIL_SRC) $(TLS_SRC))
$(BUILD)/fuzzobj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(BUILD)/libfuzz.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(BUILD)/libfuzz.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(BUILD)/libfuzz.a $(LDLIBS)

deps:
	@sh tools/deps.sh build

deps-test:
	@sh tools/deps.sh test

run: deps all
	@sh tools/run.sh

check: deps-test all $(UNITS) $(FUZZERS) crash-build
	@sh tools/check.sh $(BUILD)

check-unit: $(UNITS)
	@sh tools/check.sh $(BUILD) unit

check-fuzz: $(FUZZERS)
	@sh tools/check.sh $(BUILD) fuzz

check-integ: all crash-build
	@sh tools/check.sh $(BUILD) integ

# Test build with named crash points compiled in (docs/INTERNALS.md).
crash-build:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)-crash \
	  EXTRA_CFLAGS="$(EXTRA_CFLAGS) -DQNG_CRASHPOINTS" all

# Sanitized daemons run without leak detection (src/lib/proclimit.c); the
# integration run gets more time.
check-asan: deps-test
	@INTEG_TIMEOUT=2400 \
	$(MAKE) --no-print-directory BUILD=build-asan \
	  CMD_LDFLAGS="-Wl,--undefined=proclimit_address_space" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  CFLAGS="-O1 -g" check

bench: deps-test all
	@sh bench/run.sh

install: all
	@sh tools/install.sh "$(BUILD)" "$(DESTDIR)" "$(PREFIX)"

fmt-check:
	@clang-format --dry-run --Werror $(LIB_SRC) $(MAIL_SRC) $(wildcard src/cmd/*/*.c)

clean:
	rm -rf build build-crash build-asan build-asan-crash

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
