#!/bin/sh
# `make run`: create (once) and (re)start a qmail-ng instance in ./var on
# the freshly built programs, then say how to send it a message.
# As a normal user the instance listens on 127.0.0.1:2525 (user mode);
# as root it is privilege-separated and listens on port 25 (root mode).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
var=$top/var
ctl="$top/build/bin/qmailctl -d $var"
domain=example.test
mailbox=test@$domain
pwfile=$var/etc/test-password

if [ ! -f "$var/etc/mode" ]; then
	$ctl init
	$ctl domain add "$domain"
	umask 077
	pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$pw" >"$pwfile"
	printf '%s\n' "$pw" | $ctl user add "$mailbox" --password-stdin
	umask 022
fi

# Pick up the new build: refresh var/bin, then restart.
$ctl bin
$ctl stop
$ctl start

smtp=$(awk '$1 == "smtp" && $4 == "on" { print $2 " " $3; exit }' "$var/etc/services")
addr=${smtp% *}
port=${smtp#* }
[ "$addr" = 0.0.0.0 ] && addr=127.0.0.1
[ "$addr" = :: ] && addr=::1

echo
echo "qmail-ng is running from $var ($(cat "$var/etc/mode") mode)"
$ctl stat | sed 's/^/  /'
echo "SMTP:     $addr port $port"
echo "mailbox:  $mailbox  password: $(cat "$pwfile" 2>/dev/null || echo '?')"
echo "Maildir:  $($ctl user path "$mailbox")"
echo "logs:     $var/log/*/current      stop: build/bin/qmailctl -d var stop"
echo
echo "send it a message:"
echo "  swaks --server $addr:$port --to $mailbox --from you@$domain"
