#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - `make demo`: trustpoint's whole story in a netns lab, with real
# TLS handshakes. dev1 and dev2 are enrolled by CSR and their agents prove
# their identity to trustpointd; their traffic flows, rogue's does not (with
# no certificate, or a self-signed one carrying dev1's name); a running TCP
# stream from dev1 dies the moment `tpctl device revoke dev1` returns, and
# dev2 never notices. Every step is checked: the demo exits non-zero when
# one misbehaves. The lab is torn down on any exit.
# Usage: tools/demo.sh BUILD_DIR
set -euo pipefail

BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SFX=demo$$
PIN=/sys/fs/bpf/tp-demo-$SFX
LAB="$HERE/lab.sh"
WORK=$(mktemp -d "/tmp/tp-demo-$SFX-XXXXXX")
STATE=$WORK/state
SOCK=$WORK/control.sock
SRV4=198.51.100.10
FAILED=0
PIDS=()

bold() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok    %s\n' "$*"; }
no() { printf '   FAIL  %s\n' "$*"; FAILED=1; }
say() { printf '   %s\n' "$*"; }
in_ns() { local n=$1; shift; nsenter --net="/run/netns/$n-$SFX" "$@"; }
tp() { "$BUILD/tpctl" -S "$STATE" -B "$PIN" -s "$SOCK" "$@"; }
# the daemon's identity-bound events, as tpctl shows them
events() { "$BUILD/tpctl" -c "$WORK/trustpoint.conf" event tail count 200 "$@" |
	grep -E "$EVENTS_RE" | tail -"$EVENTS_N" | sed 's/^/   event: /' || true; }
gw() { echo "   # tpctl $*"; in_ns gw "$BUILD/tpctl" -S "$STATE" -B "$PIN" -s "$SOCK" "$@" | sed 's/^/   /'; }
quiet() { "$@" >/dev/null 2>&1; }

cleanup()
{
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	in_ns gw "$BUILD/tpctl" -B "$PIN" gate detach all >/dev/null 2>&1 || true
	rm -rf "$PIN"
	"$LAB" down "$SFX" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

# check NODE LABEL allow|deny: ping and a TCP exchange with srv
reach()
{
	local node=$1 what=$2 want=$3 got ping=deny tcp=deny
	in_ns "$node" ping -c1 -W1 -q "$SRV4" >/dev/null 2>&1 && ping=allow
	got=$(in_ns "$node" timeout 3 socat -T2 - "TCP:$SRV4:7007,connect-timeout=2" \
		<<<"hello from $node" 2>/dev/null || true)
	[ -n "$got" ] && tcp=allow
	for r in "ping:$ping" "tcp:$tcp"; do
		local verb=passes
		[ "${r#*:}" = deny ] && verb="is dropped"
		if [ "${r#*:}" = "$want" ]; then
			ok "$what: ${r%%:*} to srv $verb"
		else
			no "$what: ${r%%:*} to srv $verb (expected $want)"
		fi
	done
}

# wait_for SECS CMD...: poll until CMD succeeds
wait_for()
{
	local t=$(($1 * 10)); shift
	while ((t-- > 0)); do "$@" && return 0; sleep 0.1; done
	return 1
}
bound() { tp -j identity list device "$1" 2>/dev/null | grep -q '"ip"'; }

# a device makes its key and CSR; only the CSR leaves it
enroll()
{
	local dev=$1 owner=$2 serial=$3
	mkdir -p "$WORK/$dev"
	quiet openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$WORK/$dev/key.pem" -out "$WORK/$dev/req.csr" -subj "/CN=$dev"
	tp device add "$dev" owner "$owner" prop serial_number="$serial" \
		prop model=ThinkPad-T14 prop os=debian prop os_version=12 >/dev/null
	tp device enroll "$dev" csr "$WORK/$dev/req.csr" out "$WORK/$dev/cert.pem" |
		sed 's/^/   /'
	printf 'serial_number=%s\nmodel=ThinkPad-T14\nos=debian\nos_version=12\n' \
		"$serial" >"$WORK/$dev/posture"
}

# agent DEV [FLAGS]: start DEV's tp-agent; its pid goes to AGENT
agent()
{
	local dev=$1
	in_ns "$dev" "$BUILD/tp-agent" --gateway 192.0.2.1 --cert "$WORK/$dev/cert.pem" \
		--key "$WORK/$dev/key.pem" --ca "$STATE/ca/ca.pem" \
		--posture-file "$WORK/$dev/posture" "${@:2}" >"$WORK/$dev/agent.log" 2>&1 &
	AGENT=$!
	PIDS+=("$AGENT")
}

bold "Lab: dev1, dev2, rogue on one LAN segment behind gw; srv upstream"
"$LAB" up "$SFX" >/dev/null
say "dev1  192.0.2.11  (alice's laptop)     gw lan0 192.0.2.1: XDP gate + trustpointd :4433"
say "dev2  192.0.2.12  (bob's laptop)       srv     198.51.100.10: echo :7007, sink :7008"
say "rogue 192.0.2.66  (no identity)"
in_ns srv socat TCP-LISTEN:7007,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &
PIDS+=($!)
in_ns srv socat -u TCP-LISTEN:7008,fork,reuseaddr "OPEN:$WORK/sink,creat,append" >/dev/null 2>&1 &
PIDS+=($!)

bold "Identities: a CA, two owners, two devices enrolled from their own CSRs"
tp ca init subject "CN=trustpoint demo CA" | sed -n '1p;4p' | sed 's/^/   /'
tp user add alice name "Alice Example" >/dev/null
tp user add bob name "Bob Example" >/dev/null
enroll dev1 alice PF-0001
enroll dev2 bob PF-0002
tp cert issue-server gw san 192.0.2.1 >/dev/null
tp device list | sed 's/^/   /'

bold "The gate on gw's LAN interface, trustpointd behind it"
gw gate attach dev lan0
cat >"$WORK/trustpoint.conf" <<EOF
[daemon]
listen = 192.0.2.1:4433
lan_interfaces = lan0
lease = 30
heartbeat = 5
grace = 2
[events]
file = $WORK/events.json
to_stderr = no
EOF
in_ns gw "$BUILD/trustpointd" -c "$WORK/trustpoint.conf" -S "$STATE" -B "$PIN" \
	-s "$SOCK" --foreground >"$WORK/daemon.log" 2>&1 &
PIDS+=($!)
wait_for 5 test -S "$SOCK" || no "trustpointd did not start"
gw bootstrap list
reach rogue "rogue before any handshake" deny

bold "dev1 and dev2 run tp-agent: mutual TLS 1.3, then their traffic flows"
agent dev1
A1=$AGENT
agent dev2
if wait_for 10 bound 1 && wait_for 10 bound 2; then
	ok "both agents authenticated; their addresses are bound"
else
	no "the agents were not bound"
fi
sed 's/^/   /' "$WORK/dev1/agent.log"
gw session list
reach dev1 dev1 allow
reach dev2 dev2 allow

bold "rogue is denied: no certificate, or a self-signed one in dev1's name"
reach rogue rogue deny
if in_ns rogue timeout 5 openssl s_client -connect 192.0.2.1:4433 -tls1_3 \
	</dev/null 2>/dev/null | grep -q 'Verify return code: 0'; then
	no "a client without certificate completed a handshake"
fi
mkdir -p "$WORK/fake"
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-keyout "$WORK/fake/key.pem" -out "$WORK/fake/cert.pem" -subj "/CN=dev1"
cp "$WORK/dev1/posture" "$WORK/fake/posture"
in_ns rogue timeout 8 "$BUILD/tp-agent" --gateway 192.0.2.1 --cert "$WORK/fake/cert.pem" \
	--key "$WORK/fake/key.pem" --ca "$STATE/ca/ca.pem" --once >/dev/null 2>&1 &&
	no "rogue's self-signed dev1 certificate was accepted" ||
	ok "rogue's self-signed certificate named dev1 was refused"
EVENTS_RE="handshake failure" EVENTS_N=2 events
reach rogue rogue deny

bold "A long TCP stream from dev1 is cut the moment 'device revoke' returns"
in_ns dev1 bash -c "while :; do echo tick; sleep 0.02; done |
	socat -u - TCP:$SRV4:7008" >/dev/null 2>&1 &
PIDS+=($!)
wait_for 5 test -s "$WORK/sink" || no "the stream from dev1 did not start"
sleep 1
before=$(wc -l <"$WORK/sink")
say "dev1 -> srv stream: $before lines so far"
gw device revoke dev1 reason keyCompromise
at_revoke=$(wc -l <"$WORK/sink")
EVENTS_RE="device-revoked" EVENTS_N=1 events
sleep 2
after=$(wc -l <"$WORK/sink")
if [ "$after" -le "$((at_revoke + 1))" ]; then
	ok "the stream stopped: $at_revoke lines when revoke returned, $after two seconds later"
else
	no "the stream went on: $at_revoke lines at revoke, $after two seconds later"
fi
if wait_for 5 bash -c "! kill -0 $A1 2>/dev/null"; then
	st=0
	wait "$A1" || st=$?
	[ "$st" = 3 ] && ok "dev1's agent was told REVOKED and exited with status 3" ||
		no "dev1's agent exited with status $st, not 3"
	grep -h revoked "$WORK/dev1/agent.log" | sed 's/^/   agent: /'
else
	no "dev1's agent is still running"
fi
reach dev1 "dev1 after revoke" deny
agent dev1 --once
sleep 3
if bound 1; then no "revoked dev1 was bound again on reconnect"; else
	ok "dev1 reconnecting with its revoked certificate is refused"; fi
EVENTS_RE="handshake failure" EVENTS_N=1 events

bold "dev2 was unaffected throughout"
reach dev2 dev2 allow
gw session list

bold "The gate's counters"
gw stats show

if [ "$FAILED" = 0 ]; then
	bold "Done: every step behaved as expected; the lab is torn down"
else
	bold "Some steps did not behave as expected (FAIL above)"
fi
exit "$FAILED"
