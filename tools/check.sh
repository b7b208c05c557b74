#!/bin/sh
# The `make check` runner (docs/TESTING.md).
#
#   sh tools/check.sh BUILD [unit|fuzz|integ]...
#
# unit:  every BUILD/test/*_test (cmocka), each a pass or a fail.
# fuzz:  every BUILD/fuzz/X_fuzz replays tests/fuzz/corpus/X (-runs=0), then
#        fuzzes for a few seconds into a scratch directory (the tree's corpus
#        is not modified); one item per corpus.
# integ: /usr/bin/python3 -m pytest -q tests/integ, with QNG_BUILD=BUILD;
#        pytest's own passed/failed/error counts are added in.
# Prints a summary and a last line "N passed, N failed"; exits 1 on any
# failure.  Every step is bounded in time (the whole run stays well under
# 15 minutes on 2 cores).
set -u

BUILD=${1:-build}
[ $# -gt 0 ] && shift
PARTS=${*:-unit fuzz integ}
PYTHON=${PYTHON:-/usr/bin/python3}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-120}
FUZZ_TIME=${FUZZ_TIME:-5}
INTEG_TIMEOUT=${INTEG_TIMEOUT:-720}

cd "$(dirname "$0")/.." || exit 1
SCRATCH=$(mktemp -d /tmp/qng-check.XXXXXX) || exit 1
trap 'rm -rf "$SCRATCH"' EXIT INT TERM

passed=0
failed=0
failures=""
summary=""

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures="$failures
  FAIL $1"; }
note() { summary="$summary
  $1"; }

run_unit() {
	n0=$passed; f0=$failed
	found=0
	for t in "$BUILD"/test/*_test; do
		[ -x "$t" ] || continue
		found=1
		name=$(basename "$t")
		log="$SCRATCH/$name.log"
		if timeout "$UNIT_TIMEOUT" "$t" >"$log" 2>&1; then
			pass
			printf 'unit  %-28s ok   (%s)\n' "$name" \
				"$(grep -E '^\[  PASSED  \]' "$log" | head -1 | sed 's/^\[  PASSED  \] *//')"
		else
			fail "unit $name"
			printf 'unit  %-28s FAIL\n' "$name"
			sed 's/^/      | /' "$log" | tail -40
		fi
	done
	[ $found = 1 ] || { fail "unit: no test binaries in $BUILD/test"; echo "unit: none found"; }
	note "unit:  $((passed - n0)) passed, $((failed - f0)) failed"
}

run_fuzz() {
	n0=$passed; f0=$failed
	found=0
	for f in "$BUILD"/fuzz/*_fuzz; do
		[ -x "$f" ] || continue
		found=1
		name=$(basename "$f" _fuzz)
		corpus=tests/fuzz/corpus/$name
		log="$SCRATCH/fuzz-$name.log"
		if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
			fail "fuzz $name: no seed corpus in $corpus"
			printf 'fuzz  %-28s FAIL (no seed corpus)\n' "$name"
			continue
		fi
		work="$SCRATCH/fuzz-$name"
		mkdir -p "$work/new" "$work/art"
		if ! timeout 120 "$f" -runs=0 "$corpus" >"$log" 2>&1; then
			fail "fuzz $name: corpus replay"
			printf 'fuzz  %-28s FAIL (corpus replay)\n' "$name"
			tail -30 "$log" | sed 's/^/      | /'
			continue
		fi
		if ! timeout $((FUZZ_TIME + 60)) "$f" -max_total_time="$FUZZ_TIME" \
			-artifact_prefix="$work/art/" -rss_limit_mb=2048 -timeout=10 \
			"$work/new" "$corpus" >>"$log" 2>&1; then
			fail "fuzz $name: ${FUZZ_TIME}s run found a crash"
			printf 'fuzz  %-28s FAIL (%ss run)\n' "$name" "$FUZZ_TIME"
			grep -E 'ERROR|SUMMARY|artifact' "$log" | head -10 | sed 's/^/      | /'
			for a in "$work"/art/*; do
				[ -f "$a" ] && mkdir -p "$BUILD/fuzz-artifacts" &&
					cp "$a" "$BUILD/fuzz-artifacts/$name-$(basename "$a")" &&
					echo "      | reproducer kept in $BUILD/fuzz-artifacts/$name-$(basename "$a")"
			done
			continue
		fi
		pass
		printf 'fuzz  %-28s ok   (%s seeds, %s)\n' "$name" "$(ls "$corpus" | wc -l)" \
			"$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -1)"
	done
	[ $found = 1 ] || { fail "fuzz: no harnesses in $BUILD/fuzz"; echo "fuzz: none found"; }
	note "fuzz:  $((passed - n0)) passed, $((failed - f0)) failed"
}

# Pulls "N word" out of pytest's last line, e.g. "3 failed, 40 passed in 9.1s".
pytest_count() {
	echo "$2" | grep -Eo "[0-9]+ $1" | head -1 | cut -d' ' -f1
}

run_integ() {
	if [ ! -x "$PYTHON" ] || ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
		fail "integ: $PYTHON has no pytest (apt-get install python3-pytest)"
		note "integ: not run (no pytest)"
		return
	fi
	log="$SCRATCH/integ.log"
	echo "integ: $PYTHON -m pytest -q tests/integ (QNG_BUILD=$BUILD)"
	QNG_BUILD=$BUILD timeout -k 10 "$INTEG_TIMEOUT" "$PYTHON" -m pytest -q \
		-p no:cacheprovider -rfEs tests/integ 2>&1 | tee "$log"
	last=$(grep -E '(passed|failed|error|skipped|no tests ran)' "$log" | grep -E ' in [0-9.]+s' | tail -1)
	p=$(pytest_count passed "$last"); p=${p:-0}
	f=$(pytest_count failed "$last"); f=${f:-0}
	e=$(pytest_count error "$last"); e=${e:-0}
	s=$(pytest_count skipped "$last"); s=${s:-0}
	passed=$((passed + p))
	failed=$((failed + f + e))
	[ $((f + e)) -gt 0 ] && failures="$failures
  FAIL integ: $f failed, $e errors (see above)"
	if [ -z "$last" ]; then
		fail "integ: pytest did not finish (timeout ${INTEG_TIMEOUT}s or crash)"
	fi
	note "integ: $p passed, $((f + e)) failed, $s skipped"
}

start=$(date +%s)
for part in $PARTS; do
	case $part in
	unit) run_unit ;;
	fuzz) run_fuzz ;;
	integ) run_integ ;;
	*) echo "check.sh: unknown part $part (unit, fuzz, integ)" >&2; exit 2 ;;
	esac
done

echo
echo "== qmail-ng check summary ($(($(date +%s) - start))s)$summary"
[ -n "$failures" ] && echo "$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
