#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh - `make demo`: the gate's story in a netns lab, start to end.
# A rogue device is denied by default; dev1 passes once it is bound to its
# MAC; removing the binding cuts it off again. The lab is torn down on any
# exit. Usage: tools/demo.sh BUILD_DIR
set -euo pipefail

BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
SFX=demo$$
PIN=/sys/fs/bpf/tp-demo-$SFX
LAB="$HERE/lab.sh"
TPCTL="$(cd "$BUILD" && pwd)/tpctl"
SRV4=198.51.100.10

bold() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok    %s\n' "$*"; }
no() { printf '   FAIL  %s\n' "$*"; FAILED=1; }
FAILED=0
in_ns() { local n=$1; shift; nsenter --net="/run/netns/$n-$SFX" "$@"; }
gw() { echo "   # tpctl $*"; in_ns gw "$TPCTL" -B "$PIN" "$@" | sed 's/^/   /'; }

cleanup()
{
	in_ns gw "$TPCTL" -B "$PIN" gate detach all >/dev/null 2>&1 || true
	rm -rf "$PIN"
	[ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null
	"$LAB" down "$SFX" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# reach NODE LABEL allow|deny: ping and a TCP exchange with srv, checked
# against what the gate should do
reach()
{
	local node=$1 what=$2 want=$3 got ping=deny tcp=deny
	in_ns "$node" ping -c1 -W1 -q "$SRV4" >/dev/null 2>&1 && ping=allow
	got=$(in_ns "$node" timeout 2 socat -T1 - "TCP:$SRV4:7007,connect-timeout=1" \
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

bold "Lab: dev1, dev2, rogue on one LAN segment behind gw; srv upstream"
"$LAB" up "$SFX" >/dev/null
echo "   dev1  192.0.2.11  02:00:00:00:00:11      gw lan0 192.0.2.1 (XDP gate)"
echo "   dev2  192.0.2.12  02:00:00:00:00:12      gw wan0 198.51.100.1"
echo "   rogue 192.0.2.66  02:00:00:00:00:66      srv     198.51.100.10 (TCP echo :7007)"
in_ns srv socat TCP-LISTEN:7007,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &
SRV_PID=$!
sleep 0.3

bold "Before the gate: everyone reaches srv"
reach rogue rogue allow

bold "Attach the XDP gate to gw's LAN interface: unknown devices are denied"
gw gate attach dev lan0
reach rogue rogue deny
reach dev1 "dev1 (not bound yet)" deny

bold "Bind dev1 (192.0.2.11 + 2001:db8:1::11) to its MAC"
gw identity add dev lan0 ip 192.0.2.11 mac 02:00:00:00:00:11 device 1 lease 600
gw identity add dev lan0 ip 2001:db8:1::11 mac 02:00:00:00:00:11 device 1 lease 600
gw identity list
reach dev1 dev1 allow
reach rogue rogue deny
in_ns gw "$TPCTL" -B "$PIN" event tail >/dev/null # start the next look afresh

bold "rogue steals dev1's IP (with its own MAC): dropped as a MAC mismatch"
in_ns rogue ip addr flush dev eth0
in_ns rogue ip addr add 192.0.2.11/24 dev eth0
in_ns rogue ip route add default via 192.0.2.1
reach rogue "rogue as 192.0.2.11" deny
echo "   # tpctl event tail count 2"
in_ns gw "$TPCTL" -B "$PIN" event tail count 2 | sed 's/^/   /'

bold "Remove dev1's binding: cut off at once"
gw identity del dev lan0 ip 192.0.2.11
reach dev1 dev1 deny

bold "The gate's counters"
gw stats show

if [ "$FAILED" = 0 ]; then
	bold "Done: every step behaved as expected; the lab is torn down"
else
	bold "Some steps did not behave as expected (FAIL above)"
fi
exit "$FAILED"
