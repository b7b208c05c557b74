#!/bin/sh
# Installs what the build (and, with "test", the test suite) needs from
# Debian's packages.  As root it runs apt-get; otherwise it prints the one
# apt-get line to run and fails if something is missing.
set -u
mode=${1:-build}
build_pkgs="gcc make libcdb-dev tinycdb libcrypt-dev libssl-dev libunbound-dev openssl"
test_pkgs="libcmocka-dev python3 python3-pytest python3-pytest-xdist swaks clang libclang-rt-14-dev
  python3-aiosmtpd python3-dnslib python3-spf python3-yaml faketime strace procps fetchmail getmail6
  dovecot-core dovecot-pop3d dovecot-imapd gsasl"
pkgs=$build_pkgs
[ "$mode" = test ] && pkgs="$build_pkgs $test_pkgs"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "qmail-ng: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "qmail-ng: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# No package may start its own service here (dovecot, for the interoperability
# test, is run privately by the tests): a policy-rc.d that says no, restored after.
saved=""
if [ -e /usr/sbin/policy-rc.d ]; then
	saved=$(mktemp /tmp/policy-rc.d.XXXXXX)
	cp -p /usr/sbin/policy-rc.d "$saved"
fi
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
restore() { if [ -n "$saved" ]; then mv "$saved" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi; }
trap restore EXIT
if ! apt-get install -y -q $missing >/tmp/qmail-ng-apt.log 2>&1; then
	apt-get update -q >>/tmp/qmail-ng-apt.log 2>&1
	apt-get install -y -q $missing >>/tmp/qmail-ng-apt.log 2>&1 || {
		echo "qmail-ng: apt-get failed; see /tmp/qmail-ng-apt.log" >&2
		tail -5 /tmp/qmail-ng-apt.log >&2
		exit 1
	}
fi
