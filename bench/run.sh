#!/bin/sh
# `make bench`: qmail-ng and Postfix side by side (bench/README in
# docs/TESTING.md).  Installs Postfix (for smtp-source and the peer) with a
# policy-rc.d that keeps the package from starting its own service, then
# runs bench/bench.py, which prints a table and writes bench/RESULTS.md.
#
# Environment: BUILD (default build), BENCH_MESSAGES (5000),
# BENCH_CONCURRENCY ("1 10 50"), BENCH_SIZE (4096), BENCH_TIMEOUT (per run, s).
set -u
cd "$(dirname "$0")/.." || exit 1
PYTHON=${PYTHON:-/usr/bin/python3}

if ! command -v smtp-source >/dev/null 2>&1 && [ ! -x /usr/sbin/smtp-source ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: Postfix (smtp-source) is missing; as root run:" >&2
		echo "  apt-get install -y postfix" >&2
		exit 1
	fi
	echo "bench: installing postfix (its own service is not started)"
	saved=""
	if [ -e /usr/sbin/policy-rc.d ]; then
		saved=$(mktemp /tmp/policy-rc.d.XXXXXX)
		cp -p /usr/sbin/policy-rc.d "$saved"
	fi
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/tmp/qng-bench-apt.log 2>&1 ||
		{ apt-get update -q >>/tmp/qng-bench-apt.log 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >>/tmp/qng-bench-apt.log 2>&1; }
	rc=$?
	if [ -n "$saved" ]; then mv "$saved" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
	if [ $rc -ne 0 ]; then
		echo "bench: apt-get install postfix failed; see /tmp/qng-bench-apt.log" >&2
		exit 1
	fi
fi

# The whole benchmark is bounded: 6 runs, each with its own time limit.
exec timeout -k 30 "${BENCH_TOTAL_TIMEOUT:-3600}" "$PYTHON" bench/bench.py "$@"
