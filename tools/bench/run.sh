#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - trustpoint's gate benchmarks, each figure measured in the same
# run as its peers and reported as a ratio (issue 6: items 1, 2 and the
# map memory of item 5).
#
#   tools/bench/run.sh [BUILD_DIR]      (default build; writes BUILD_DIR/bench/)
#
# 1. gate cost per packet: BPF_PROG_TEST_RUN with repeat on the gate, an
#    empty XDP_PASS program and xdp-filter (loaded by its own CLI in a bench
#    namespace, deny policy, one `ip ADDR --mode src` rule per identity), at
#    1, 1k, 100k and 1M identities (tools/bench/gate_cost.c);
# 2. drop and forward rate over veth: our generator (tools/bench/trafficgen.c)
#    pushes frames from one namespace into receivers in another: the gate,
#    a bare XDP_DROP program, nftables on the netdev ingress hook, an empty
#    XDP_PASS program; counted by the receivers' own counters;
# 5. map memory at 1M identities (fdinfo memlock), next to xdp-filter's;
# 3, 4 and 5's idle sessions: tools/bench/run_tls.sh (handshakes beside
#    nginx and openssl s_server, revocation latency, daemon RSS per idle
#    session), run after these; its knobs are described there.
#
# Knobs (environment): TPB_COUNTS ("1 1000 100000 1000000"), TPB_RUNS (7,
# test runs per figure), TPB_REPEAT (1000000), TPB_RATE_RUNS (5),
# TPB_RATE_SECONDS (2), TPB_RATE_IDENTITIES (1000).
#
# Everything it makes carries a unique suffix (two namespaces, veths, a
# bpffs directory) and goes again on exit, also on failure or ^C. Traffic
# never leaves the bench's own namespaces.
set -euo pipefail

OUT=${1:-build}
B=$OUT/bench
SRC=$(cd "$(dirname "$0")/../.." && pwd)

COUNTS=${TPB_COUNTS:-"1 1000 100000 1000000"}
RUNS=${TPB_RUNS:-7}
REPEAT=${TPB_REPEAT:-1000000}
RATE_RUNS=${TPB_RATE_RUNS:-5}
RATE_SECONDS=${TPB_RATE_SECONDS:-2}
RATE_IDS=${TPB_RATE_IDENTITIES:-1000}

SFX=$(printf '%05x' $(($$ & 0xfffff)))
NS_GEN=tpb-gen-$SFX
NS_RX=tpb-rx-$SFX
PIN=/sys/fs/bpf/tp-bench-$$
XDPF_OBJ=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)/bpf/xdpfilt_dny_all.o

# The frames: the netns lab's addresses (tools/lab.sh).
GW_MAC=02:00:00:00:00:01
GW_IP=192.0.2.1
AUTH_MAC=02:00:00:00:00:11
AUTH_IP=192.0.2.11
ROGUE_MAC=02:00:00:00:00:66
ROGUE_IP=192.0.2.66
UPSTREAM_IP=198.51.100.10
OTHER_MAC=02:00:00:00:00:fe # not the receiver's: the stack drops it at once
HANDSHAKE_PORT=4433

# Receiving ends (in NS_RX) and their sending peers (in NS_GEN).
XF=xf$SFX  # xdp-filter (also the ingress_ifindex of the test runs)
RG=rg$SFX  # the gate
RD=rd$SFX  # bare XDP_DROP
RN=rn$SFX  # nftables, GRO on
RP=rp$SFX  # empty XDP_PASS
declare -A GEN_END=([$RG]=g0 [$RD]=g1 [$RN]=g2 [$RP]=g3 [$XF]=g4)
XDPF_RULES=0 # source rules xdp-filter's CLI has added

log() { printf '  %-8s %s\n' BENCH "$*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }
in_rx() { nsenter --net=/run/netns/$NS_RX "$@"; }
in_gen() { nsenter --net=/run/netns/$NS_GEN "$@"; }

# xdp-filter always pins under <bpffs>/xdp-filter; give it a bpffs of its
# own (a private mount namespace with PIN/xdpf on /sys/fs/bpf) so it can
# neither meet another xdp-filter nor leave pins behind. No dispatcher:
# the filter is then a plain XDP program that BPF_PROG_TEST_RUN can run.
xdpf()
{
	unshare -m sh -c 'mount --bind "$0" /sys/fs/bpf && ns=$1 && shift &&
		exec nsenter --net="$ns" env LIBXDP_SKIP_DISPATCHER=1 xdp-filter "$@"' \
		"$PIN/xdpf" /run/netns/$NS_RX "$@"
}

# Source rules from stdin, one CLI call each, in xdpf()'s mount namespace.
xdpf_ip_rules()
{
	unshare -m sh -c 'mount --bind "$0" /sys/fs/bpf &&
		exec nsenter --net="$1" env LIBXDP_SKIP_DISPATCHER=1 sh -c "
		while read -r a; do
			xdp-filter ip \$a --mode src >/dev/null || exit 1
		done"' "$PIN/xdpf" /run/netns/$NS_RX
}

# gate_cost's filler sources i..j-1: 10.0.0.1 + i (tools/bench/fill.c).
filler_addrs()
{
	local i a

	for ((i = $1; i < $2; i++)); do
		a=$((0x0a000001 + i))
		echo $((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))
	done
}

cleanup()
{
	set +e
	if [ -e /run/netns/$NS_RX ]; then
		[ -d "$PIN/xdpf/xdp-filter" ] && xdpf unload "$XF" >/dev/null 2>&1
		ip netns del $NS_RX
	fi
	[ -e /run/netns/$NS_GEN ] && ip netns del $NS_GEN
	# unlinking pins detaches the gate's links and frees every map
	[ -d "$PIN" ] && rm -rf "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

preflight()
{
	local t

	[ "$(id -u)" = 0 ] || die "needs root (namespaces, XDP, bpffs)"
	for t in ip nsenter unshare xdp-filter nft ethtool jq taskset bpftool; do
		command -v $t >/dev/null || die "missing $t (make deps)"
	done
	for t in gate_cost gate_setup trafficgen bench.bpf.o; do
		[ -e "$B/$t" ] || die "missing $B/$t (make bench builds it)"
	done
	[ -e "$XDPF_OBJ" ] || die "missing $XDPF_OBJ (xdp-tools)"
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs"
	fi
	mkdir -p "$PIN/xdpf"
	NCPU=$(nproc)
	GEN_CPU=0
	RX_CPU=$((NCPU > 1 ? 1 : 0))
}

# Two namespaces joined by one veth pair per receiver; veths are made
# straight into their namespaces, so names never touch the host's.
setup_net()
{
	local rx

	ip netns add $NS_GEN
	ip netns add $NS_RX
	for rx in $RG $RD $RN $RP $XF; do
		ip link add ${GEN_END[$rx]} netns $NS_GEN type veth \
			peer name $rx netns $NS_RX address $GW_MAC
		in_gen ip link set ${GEN_END[$rx]} up
		in_rx ip link set $rx up
	done
}

# Receive processing in its own kthread, pinned away from the generator:
# the rate is then the receiver's, and its CPU time can be read.
napi_thread()
{
	local dev=$1 pid

	ip netns exec $NS_RX sh -c "echo 1 > /sys/class/net/$dev/threaded"
	for _ in 1 2 3 4 5; do
		pid=$(pgrep "^napi/$dev-" | head -1) && break
		sleep 0.2
	done
	[ -n "$pid" ] || die "no NAPI thread for $dev"
	taskset -pc $RX_CPU $pid >/dev/null
	echo $pid
}

# --- 1. gate cost per packet ------------------------------------------

xdpf_rules_upto()
{
	[ "$XDPF_RULES" -lt "$1" ] || return 0
	log "xdp-filter: $(($1 - XDPF_RULES)) more \`ip ADDR --mode src\` rules"
	filler_addrs $((XDPF_RULES - 1)) $(($1 - 1)) | xdpf_ip_rules
	XDPF_RULES=$1
}

cost()
{
	local n

	log "xdp-filter: load (deny policy, native) on $XF"
	xdpf load --mode native --policy deny "$XF" >/dev/null
	xdpf ip $AUTH_IP --mode src >/dev/null
	xdpf port $HANDSHAKE_PORT --mode dst --proto tcp >/dev/null
	XDPF_RULES=1
	XDPF_PROG_ID=$(in_rx ip -j link show $XF | jq '.[0].xdp.prog.id')
	# its program and maps as the kernel sees them, for the record
	bpftool -j prog show id "$XDPF_PROG_ID" >"$B/xdp-filter.prog.json"
	: >"$B/cost.jsonl"
	for n in $COUNTS; do
		# the CLI's own rules up to 1000 (it takes ~3 ms a rule);
		# gate_cost adds the rest while xdp-filter's 10000-entry map
		# holds them, and resizes a copy of it beyond that
		xdpf_rules_upto $((n < 1000 ? n : 1000))
		log "gate cost: $n identities, $RUNS runs of $REPEAT"
		in_rx "$B/gate_cost" --dev $XF --pin-dir "$PIN/cost" \
			--identities $n --bench-obj "$B/bench.bpf.o" \
			--xdpf-obj "$XDPF_OBJ" --xdpf-pins "$PIN/xdpf/xdp-filter" \
			--repeat $REPEAT --runs $RUNS >>"$B/cost.jsonl"
	done
}

# --- 2. drop and forward rate over veth -------------------------------

NFT_TABLE=tpb_$SFX

setup_receivers()
{
	local i a

	log "receivers: gate ($RATE_IDS identities), XDP_DROP, nftables and xdp-filter ($RATE_IDS sources each), XDP_PASS"
	xdpf_rules_upto $RATE_IDS
	in_rx "$B/gate_setup" --pin-dir "$PIN/rx" --dev $RG \
		--identities $RATE_IDS --ip $AUTH_IP --mac $AUTH_MAC \
		--bootstrap $GW_IP:$HANDSHAKE_PORT >"$B/gate_setup.json"
	# bpftool, not `ip link set xdp object`: iproute2 leaves tc/, ip and
	# xdp behind in /sys/fs/bpf
	bpftool prog loadall "$B/bench.bpf.o" "$PIN/progs" type xdp
	in_rx bpftool net attach xdpdrv pinned "$PIN/progs/bench_drop" dev $RD
	in_rx bpftool net attach xdpdrv pinned "$PIN/progs/bench_pass" dev $RP
	# without XDP a veth takes redirected frames only with GRO on
	in_rx ethtool -K $RN gro on >/dev/null
	# nftables' form of the gate's binding: (source MAC, source address)
	{
		echo "table netdev $NFT_TABLE {"
		echo "  set allowed { type ether_addr . ipv4_addr; size $((RATE_IDS + 16));"
		echo "    elements = { $AUTH_MAC . $AUTH_IP"
		for ((i = 0; i < RATE_IDS - 1; i++)); do
			a=$((0x0a000001 + i))
			printf ', 02:00:00:%02x:%02x:%02x . %d.%d.%d.%d' \
				$((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)) \
				$((a >> 24 & 255)) $((a >> 16 & 255)) \
				$((a >> 8 & 255)) $((a & 255))
		done
		echo " } }"
		echo "  counter passed { }"
		echo "  counter dropped { }"
		echo "  chain ingress {"
		echo "    type filter hook ingress device \"$RN\" priority -500; policy accept;"
		echo "    ether saddr . ip saddr @allowed counter name passed accept"
		echo "    counter name dropped drop"
		echo "  }"
		echo "}"
	} >"$B/nft.rules"
	in_rx nft -f "$B/nft.rules"
	declare -gA NAPI
	for i in $RG $RD $RN $RP $XF; do
		NAPI[$i]=$(napi_thread $i)
	done
}

# One interval of one receiver: trafficgen's JSON plus what was measured.
rate_run()
{
	local cfg=$1 rx=$2 kind=$3 src mac dmac proto=udp extra=()

	if [ "$kind" = authorized ]; then
		src=$AUTH_IP mac=$AUTH_MAC dmac=$OTHER_MAC
	else
		src=$ROGUE_IP mac=$ROGUE_MAC dmac=$GW_MAC
	fi
	case $cfg in
	gate-drop) extra=(--rx-map "$PIN/rx/tp_verdicts:5") ;; # drop-unknown
	gate-pass) extra=(--rx-map "$PIN/rx/tp_verdicts:0") ;; # pass-identity
	xdp-filter-drop) # its per-action stats, index XDP_DROP
		extra=(--rx-map "$PIN/xdpf/xdp-filter/xdp_stats_map:1") ;;
	nftables-drop)
		extra=(--rx-cmd "nft list counter netdev $NFT_TABLE dropped | awk '{for (i = 1; i < NF; i++) if (\$i == \"packets\") print \$(i + 1)}'")
		;;
	esac
	local cmd=(nsenter --net=/run/netns/$NS_GEN "$B/trafficgen"
		   --obj "$B/bench.bpf.o" --dev ${GEN_END[$rx]}
		   --smac $mac --dmac $dmac --src $src --dst $UPSTREAM_IP
		   --proto $proto --len 60 --seconds $RATE_SECONDS --warmup 0.5
		   --cpu $GEN_CPU --rx-netns /run/netns/$NS_RX --rx-dev $rx
		   --rx-thread ${NAPI[$rx]} "${extra[@]}")

	"${cmd[@]}" | jq -c --arg cfg $cfg --arg rx $rx \
		--arg cmd "$(printf '%q ' "${cmd[@]}")" \
		'. + {cfg: $cfg, rx: $rx, command: $cmd}'
}

rates()
{
	local r cfg
	# cfg receiver frames
	local plan=("gate-drop $RG unknown" "xdp-drop $RD unknown"
		    "nftables-drop $RN unknown" "xdp-filter-drop $XF unknown"
		    "gate-pass $RG authorized"
		    "xdp-pass $RP authorized")

	setup_receivers
	: >"$B/rate.jsonl"
	for ((r = 1; r <= RATE_RUNS; r++)); do
		log "rates: run $r of $RATE_RUNS (${#plan[@]} receivers x ${RATE_SECONDS}s)"
		for cfg in "${plan[@]}"; do
			# shellcheck disable=SC2086
			rate_run $cfg >>"$B/rate.jsonl"
		done
	done
	in_rx nft list counter netdev $NFT_TABLE dropped >"$B/nft_counter.txt"
}

main()
{
	preflight
	mkdir -p "$B"
	setup_net
	T0=$(date +%s)
	cost
	T1=$(date +%s)
	rates
	T2=$(date +%s)
	# 3, 4, 5 (sessions): loopback and bpffs only, its own cleanup
	"$SRC/tools/bench/run_tls.sh" "$OUT"
	T3=$(date +%s)
	log "cost $((T1 - T0))s, rates $((T2 - T1))s, tls $((T3 - T2))s; report"
	XDPF_PROG_ID=$XDPF_PROG_ID RATE_SECONDS=$RATE_SECONDS \
		RATE_IDS=$RATE_IDS REPEAT=$REPEAT \
		"$SRC/tools/bench/report.sh" "$B" "$SRC"
}

main
