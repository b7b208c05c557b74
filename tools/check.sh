#!/bin/sh
# The `make check` runner (docs/TESTING.md).
#
#   sh tools/check.sh BUILD [unit|fuzz|integ]...
#
# unit:  every BUILD/test/*_test (cmocka), each a pass or a fail.
# fuzz:  every BUILD/fuzz/X_fuzz replays tests/fuzz/corpus/X (-runs=0), then
#        fuzzes for a few seconds into a scratch directory (the tree's corpus
#        is not modified); one item per corpus.
# integ: /usr/bin/python3 -m pytest -q tests/integ, with QNG_BUILD=BUILD, in
#        two runs: the tests not marked `serial` on INTEG_JOBS (4) xdist workers
#        (pytest -n), then the `serial` ones (upper bounds on a time) alone.
#        Without python3-pytest-xdist, or with INTEG_JOBS=1, one serial run.
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
INTEG_JOBS=${INTEG_JOBS:-4}

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

# Pulls "N word" out of pytest's last line, e.g. "3 failed, 40 passed in 9.1s"
# (pytest-xdist ends with a line of the same shape).
pytest_count() {
	echo "$2" | grep -Eo "[0-9]+ $1" | head -1 | cut -d' ' -f1
}

# integ_run NAME ARGS...: one pytest run over tests/integ, bounded by what is
# left of INTEG_TIMEOUT; adds its counts to ip/ifl/ie/sk.
integ_run() {
	name=$1; shift
	left=$((integ_end - $(date +%s)))
	if [ "$left" -le 0 ]; then
		fail "integ ($name): not run, INTEG_TIMEOUT ${INTEG_TIMEOUT}s used up"
		return
	fi
	log="$SCRATCH/integ-$name.log"
	echo "integ: $PYTHON -m pytest -q $* tests/integ (QNG_BUILD=$BUILD)"
	# SIGINT at the time limit: pytest (and each xdist worker, in the same
	# process group) still tears its instances down; KILL 30 s later.
	{ QNG_BUILD=$BUILD timeout -s INT -k 30 "$left" "$PYTHON" -m pytest -q \
		-p no:cacheprovider -rfEs "$@" tests/integ 2>&1
	  echo $? >"$SCRATCH/integ-$name.rc"; } | tee "$log"
	rc=$(cat "$SCRATCH/integ-$name.rc")
	last=$(grep -E '(passed|failed|error|skipped|deselected|no tests ran)' "$log" |
		grep -E ' in [0-9.]+s' | tail -1)
	p=$(pytest_count passed "$last"); ip=$((ip + ${p:-0}))
	f=$(pytest_count failed "$last"); ifl=$((ifl + ${f:-0}))
	e=$(pytest_count error "$last"); ie=$((ie + ${e:-0}))
	s=$(pytest_count skipped "$last"); sk=$((sk + ${s:-0}))
	if [ -z "$last" ] || [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "integ ($name): pytest did not finish (INTEG_TIMEOUT ${INTEG_TIMEOUT}s or crash)"
	fi
}

run_integ() {
	if [ ! -x "$PYTHON" ] || ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
		fail "integ: $PYTHON has no pytest (apt-get install python3-pytest)"
		note "integ: not run (no pytest)"
		return
	fi
	integ_end=$(($(date +%s) + INTEG_TIMEOUT))
	ip=0; ifl=0; ie=0; sk=0
	if [ "$INTEG_JOBS" -gt 1 ] && ! "$PYTHON" -c 'import xdist' 2>/dev/null; then
		echo "integ: WARNING: no pytest-xdist (apt-get install python3-pytest-xdist): one serial run"
		INTEG_JOBS=1
	fi
	# tests/integ/workers.py has port ranges for gw0..gw10.
	[ "$INTEG_JOBS" -gt 11 ] && INTEG_JOBS=11
	if [ "$INTEG_JOBS" -gt 1 ]; then
		# Timing-sensitive tests (marked serial) run alone, after the rest.
		integ_run parallel -n "$INTEG_JOBS" -m "not serial"
		integ_run serial -m serial
	else
		integ_run all
	fi
	passed=$((passed + ip))
	failed=$((failed + ifl + ie))
	[ $((ifl + ie)) -gt 0 ] && failures="$failures
  FAIL integ: $ifl failed, $ie errors (see above)"
	note "integ: $ip passed, $((ifl + ie)) failed, $sk skipped"
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
