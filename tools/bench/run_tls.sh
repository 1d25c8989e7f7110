#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run_tls.sh - trustpointd's TLS benchmarks beside their peers (issue 6:
# items 3, 4 and 5's sessions); run.sh calls it after the gate figures.
#
#   tools/bench/run_tls.sh [BUILD_DIR]   (default build; writes BUILD_DIR/bench/)
#
# 3. handshakes: the same client (tools/bench/hsload.c, wolfSSL, X25519
#    key share, sequential) drives trustpointd, nginx (ssl_verify_client on,
#    session cache and tickets off; a second port with tickets on for
#    resumption) and `openssl s_server -Verify 1 -tls1_3`, on the same
#    certificates, ECDSA P-256 and Ed25519, interleaved run by run. The
#    figure is the server's CPU time (utime+stime from /proc/PID/stat)
#    divided by the handshakes of the run; handshakes/s and p50/p99 beside
#    it. `openssl s_time -new` cross-checks. The crypto-bound ceiling
#    comes from tools/bench/crypto_bound.c (wolfCrypt).
# 4. revocation latency: tools/bench/revlat.c against a trustpointd whose
#    gate is attached to a veth end in a namespace of this run's own:
#    revoke -> entry gone, and revoke (control socket) or SIEM call (HTTP
#    API, trust score 0) -> first dropped packet of a running stream.
# 5. daemon RSS at 1k, 10k and 100k idle sessions (hsload --hold), fresh
#    daemon per run, and bytes per session; 100k in the first run only.
#
# Knobs (environment): TPB_HS_COUNT (1000 handshakes a run), TPB_HS_RUNS
# (5), TPB_STIME_SECONDS (2), TPB_STIME_RUNS (3), TPB_CRYPTO_RUNS (5),
# TPB_HOLD ("1000 10000": cumulative session counts), TPB_HOLD_RUNS (3),
# TPB_HOLD_BIG (100000: one more step, first run only; "" for none),
# TPB_HOLD_DEVICES (100: the held sessions' devices, round robin),
# TPB_REV ("1000:1000 100000:1000": filler identities:revocations per
# figure), TPB_REV_GAP_US (50: the stream's packet spacing; sending one
# costs ~20 us here, so 20 keeps a core busy), TPB_REV_QUIET_MS (2: this
# long with no packet of the device after the answer = cut), TPB_TLS_PARTS
# ("hs hold rev": which of the three to run).
#
# Everything listens on 127.0.0.1 only (the revocation part: on its own
# namespace's loopback; its packets stay on a veth pair inside that
# namespace). Processes it starts are stopped by pid, its namespace, temp
# dir and bpffs dir removed, on exit, failure or ^C.
set -euo pipefail

OUT=${1:-build}
B=$OUT/bench

HS_COUNT=${TPB_HS_COUNT:-1000}
HS_RUNS=${TPB_HS_RUNS:-5}
STIME_SECONDS=${TPB_STIME_SECONDS:-2}
STIME_RUNS=${TPB_STIME_RUNS:-3}
CRYPTO_RUNS=${TPB_CRYPTO_RUNS:-5}
HOLD=${TPB_HOLD:-"1000 10000"}
HOLD_RUNS=${TPB_HOLD_RUNS:-3}
HOLD_BIG=${TPB_HOLD_BIG-100000}
HOLD_DEVICES=${TPB_HOLD_DEVICES:-100}
REV=${TPB_REV:-"1000:1000 100000:1000"}
REV_GAP_US=${TPB_REV_GAP_US:-50}
REV_QUIET_MS=${TPB_REV_QUIET_MS:-2}
PARTS=${TPB_TLS_PARTS:-"hs hold rev"}

ALGS="p256 ed25519"
declare -A TPALG=([p256]=ecdsa-p256 [ed25519]=ed25519)
BASE=$((20000 + $$ % 20000)) # ports BASE..BASE+15, loopback only
declare -A PORT=([tp/p256]=$BASE [tp/ed25519]=$((BASE + 1))
	[nginx/p256]=$((BASE + 2)) [nginx/ed25519]=$((BASE + 3))
	[nginx-tickets/p256]=$((BASE + 4)) [nginx-tickets/ed25519]=$((BASE + 5))
	[s_server/p256]=$((BASE + 6)) [s_server/ed25519]=$((BASE + 7)))
HOLD_PORT=$((BASE + 8))
REV_PORT=$((BASE + 9))
TCK=$(getconf CLK_TCK)

W= # the temp dir
PIN=/sys/fs/bpf/tp-bench-tls-$$
declare -A PID # server/alg -> pid
STARTED=()     # every pid we started, to stop by id

log() { printf '  %-8s %s\n' BENCH "$*" >&2; }
die() { echo "run_tls.sh: $*" >&2; exit 1; }

stop_pid()
{
	local p=$1

	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

cleanup()
{
	local p

	set +e
	for p in "${STARTED[@]}"; do
		stop_pid "$p"
	done
	exec 8>&- 2>/dev/null
	[ -e /run/netns/$REV_NS ] && ip netns del $REV_NS
	[ -n "$W" ] && rm -rf "$W"
	[ -d "$PIN" ] && rm -rf "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

preflight()
{
	local t

	[ "$(id -u)" = 0 ] || die "needs root (bpffs, many descriptors)"
	if ! command -v nginx >/dev/null; then
		log "nginx missing: apt-get install -y nginx-light"
		DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light \
			>/dev/null || die "cannot install nginx"
	fi
	for t in openssl jq nginx; do
		command -v $t >/dev/null || die "missing $t"
	done
	for t in hsload crypto_bound revlat; do
		[ -x "$B/$t" ] || die "missing $B/$t (make bench builds it)"
	done
	for t in trustpointd tpctl; do
		[ -x "$OUT/$t" ] || die "missing $OUT/$t (make)"
	done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
		die "cannot mount bpffs"
	# held sessions are descriptors, in the daemon and in hsload
	ulimit -Hn 1048576 2>/dev/null || true
	ulimit -n "$(ulimit -Hn)"
	W=$(mktemp -d /tmp/tp-bench-tls-XXXXXX)
	mkfifo "$W/stdin"
	exec 8<>"$W/stdin" # never at EOF: s_server and hsload --hold idle on it
}

# Wait until file $1 has a line matching $2 (up to 10 s).
wait_for()
{
	for _ in $(seq 100); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	die "no '$2' in $1"
}

# --- setup: one state dir (CA, server cert, one device) per algorithm ---

tp_conf()
{
	local dir=$1 port=$2 pin=$3

	cat <<EOF
# written by tools/bench/run_tls.sh
[paths]
state_dir = $dir/state
bpffs = $pin
[daemon]
listen = 127.0.0.1:$port
control_socket = $dir/control.sock
max_handshakes = 100000
max_conn_per_source = 1000000
max_sessions = 1000000
lease = 86400
heartbeat = 3600
grace = 3600
[http]
listen = none
EOF
}

setup_certs()
{
	local a d tp

	for a in $ALGS; do
		d=$W/$a
		mkdir -p "$d/client" "$d/nginx"
		tp_conf "$d" ${PORT[tp/$a]} "$W/nopin" >"$d/tp.conf"
		tp=("$OUT/tpctl" -c "$d/tp.conf" -s "$d/control.sock")
		log "certificates: ${TPALG[$a]} CA, server (san 127.0.0.1), device 'agent'"
		"${tp[@]}" ca init algo ${TPALG[$a]} subject "CN=bench $a CA" >/dev/null
		"${tp[@]}" cert issue-server gw san 127.0.0.1 algo ${TPALG[$a]} >/dev/null
		"${tp[@]}" user add bench >/dev/null
		"${tp[@]}" device add agent owner bench >/dev/null
		"${tp[@]}" device enroll agent genkey algo ${TPALG[$a]} \
			out "$d/client" >/dev/null
		# a pristine copy for the revocation runs and fresh daemons
		cp -a "$d/state" "$d/state.orig"
	done
}

# --- the servers ---------------------------------------------------------

start_tp()
{
	local name=$1 conf=$2 logf=$3

	"$OUT/trustpointd" -c "$conf" --foreground >"$logf" 2>&1 &
	PID[$name]=$!
	STARTED+=($!)
	wait_for "$logf" "ready:"
}

nginx_conf()
{
	local a=$1 d=$W/$1

	cat <<EOF
# written by tools/bench/run_tls.sh: one process, nothing outside $d/nginx
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $d/nginx/body;
	ssl_protocols TLSv1.3;
	ssl_certificate $d/state/server/server.pem;
	ssl_certificate_key $d/state/server/server.key;
	ssl_client_certificate $d/state/ca/ca.pem;
	ssl_verify_client on;
	ssl_session_cache off;
	server {
		listen 127.0.0.1:${PORT[nginx/$a]} ssl;
		ssl_session_tickets off;
		location / { return 204; }
	}
	server {
		listen 127.0.0.1:${PORT[nginx-tickets/$a]} ssl;
		ssl_session_tickets on;
		location / { return 204; }
	}
}
EOF
}

start_servers()
{
	local a d

	for a in $ALGS; do
		d=$W/$a
		start_tp tp/$a "$d/tp.conf" "$d/trustpointd.log"
		nginx_conf $a >"$d/nginx/nginx.conf"
		nginx -p "$d/nginx" -c "$d/nginx/nginx.conf" -e "$d/nginx/error.log" \
			>"$d/nginx/out.log" 2>&1 &
		PID[nginx/$a]=$!
		PID[nginx-tickets/$a]=$!
		STARTED+=($!)
		openssl s_server -quiet -accept 127.0.0.1:${PORT[s_server/$a]} \
			-cert "$d/state/server/server.pem" \
			-key "$d/state/server/server.key" \
			-CAfile "$d/state/ca/ca.pem" -Verify 1 -tls1_3 \
			-naccept 100000000 <&8 >"$d/s_server.log" 2>&1 &
		PID[s_server/$a]=$!
		STARTED+=($!)
	done
	sleep 1
	for a in "${!PID[@]}"; do
		kill -0 ${PID[$a]} 2>/dev/null || die "$a did not start"
	done
}

# utime + stime of pid, in clock ticks
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One measured run: hsload's JSON plus the server's CPU per handshake.
hs_run()
{
	local srv=$1 a=$2 run=$3 mode=$4 pid t0 t1 c=$W/$2/client extra=()

	pid=${PID[$srv/$a]}
	[ "$mode" = resume ] && extra=(--resume)
	local cmd=("$B/hsload" --connect 127.0.0.1:${PORT[$srv/$a]}
		   --ca "$c/ca.pem" --cert "$c/agent.pem" --key "$c/agent.key"
		   --count "$HS_COUNT" "${extra[@]}")
	t0=$(cpu_ticks $pid)
	"${cmd[@]}" >"$W/hs.out" || die "hsload against $srv/$a failed"
	t1=$(cpu_ticks $pid)
	jq -c --arg srv $srv --arg alg $a --arg mode $mode --argjson run $run \
		--argjson ticks $((t1 - t0)) --argjson tck $TCK \
		--arg cmd "$(printf '%q ' "${cmd[@]}")" \
		'. + {server: $srv, alg: $alg, mode: $mode, run: $run,
		      server_cpu_us: ($ticks * 1e6 / $tck / .handshakes),
		      command: $cmd}' "$W/hs.out"
}

# openssl s_time -new: the cross-check client.
stime_run()
{
	local srv=$1 a=$2 run=$3 pid t0 t1 c=$W/$2/client line

	pid=${PID[$srv/$a]}
	local cmd=(openssl s_time -connect 127.0.0.1:${PORT[$srv/$a]} -new
		   -cert "$c/agent.pem" -key "$c/agent.key" -CAfile "$c/ca.pem"
		   -time "$STIME_SECONDS")
	t0=$(cpu_ticks $pid)
	line=$("${cmd[@]}" 2>/dev/null | grep -m1 'connections in') ||
		die "s_time against $srv/$a failed"
	t1=$(cpu_ticks $pid)
	# "N connections in 2.01s; 123.45 connections/user sec, ..."
	jq -nc --arg srv $srv --arg alg $a --argjson run $run \
		--argjson ticks $((t1 - t0)) --argjson tck $TCK \
		--arg line "$line" --arg cmd "$(printf '%q ' "${cmd[@]}")" \
		'($line | capture("(?<n>[0-9]+) connections in (?<s>[0-9.]+)s")) as $m
		 | ($m.n | tonumber) as $n | ($m.s | tonumber) as $s
		 | {server: $srv, alg: $alg, run: $run, handshakes: $n,
		    hs_per_s: ($n / $s), server_cpu_us: ($ticks * 1e6 / $tck / $n),
		    command: $cmd}'
}

handshakes()
{
	local r a srv

	: >"$B/hs.jsonl"
	: >"$B/stime.jsonl"
	log "crypto bound: wolfCrypt, $CRYPTO_RUNS runs"
	"$B/crypto_bound" --runs "$CRYPTO_RUNS" >"$B/crypto.jsonl"
	start_servers
	for ((r = 1; r <= HS_RUNS; r++)); do
		log "handshakes: run $r of $HS_RUNS ($HS_COUNT each: trustpointd, nginx, s_server x P-256, Ed25519; resumption)"
		for a in $ALGS; do
			for srv in tp nginx s_server; do
				hs_run $srv $a $r full >>"$B/hs.jsonl"
			done
			# trustpointd issues no tickets by design: n/a
			hs_run nginx-tickets $a $r resume >>"$B/hs.jsonl"
			hs_run s_server $a $r resume >>"$B/hs.jsonl"
		done
	done
	for ((r = 1; r <= STIME_RUNS; r++)); do
		log "s_time -new cross-check: run $r of $STIME_RUNS (${STIME_SECONDS}s each)"
		for a in $ALGS; do
			for srv in tp nginx s_server; do
				stime_run $srv $a $r >>"$B/stime.jsonl"
			done
		done
	done
	# without a gate the daemon must authenticate but bind nothing
	for a in $ALGS; do
		jq -nc --arg alg $a \
			--argjson ok "$(grep -c '"action":"handshake","outcome":"success"' "$W/$a/trustpointd.log" || true)" \
			--argjson bound "$(grep '"action":"handshake","outcome":"success"' "$W/$a/trustpointd.log" | grep -vc '"entries":0' || true)" \
			--argjson nogate "$(grep -c 'no gate under' "$W/$a/trustpointd.log" || true)" \
			'{alg: $alg, handshakes_ok: $ok, handshakes_with_entries: $bound,
			  no_gate_logged: ($nogate > 0)}'
	done >"$B/nogate.jsonl"
	for srv in tp/p256 tp/ed25519 nginx/p256 nginx/ed25519 s_server/p256 s_server/ed25519; do
		stop_pid ${PID[$srv]}
	done
}

# --- 5. RSS per idle session -------------------------------------------
#
# A fresh daemon per run (Ed25519, no gate) and 50 warm-up handshakes;
# then hsload --hold adds sessions step by step (cumulative counts), each
# step from source addresses of its own, round robin over TPB_HOLD_DEVICES
# enrolled devices (agents, not one device's thousands of sessions); after
# each: VmRSS and the sessions the daemon lists. Every run goes to the last of TPB_HOLD, the
# first also on to TPB_HOLD_BIG (once: 100k handshakes take ~3.5 minutes here).
# A session is a descriptor in the daemon: a step that needs more than
# RLIMIT_NOFILE allows (less 100 for the daemon's own) is measured at the
# largest thousand that fits, and its record says which count was wanted.

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# The hold runs' registry: the Ed25519 one plus devices hold1..N, and
# hsload's list of their certificates and keys.
hold_devices()
{
	local t=$W/hold-tmpl i
	local tp=("$OUT/tpctl" -c "$t/tp.conf" -s "$t/control.sock")

	mkdir -p "$t/certs"
	cp -a "$W/ed25519/state.orig" "$t/state"
	tp_conf "$t" $HOLD_PORT "$W/nopin" >"$t/tp.conf"
	log "idle sessions: enrolling $HOLD_DEVICES devices"
	for ((i = 1; i <= HOLD_DEVICES; i++)); do
		"${tp[@]}" device add hold$i owner bench >/dev/null
		"${tp[@]}" device enroll hold$i genkey algo ed25519 \
			out "$t/certs" >/dev/null
		echo "$t/certs/hold$i.pem $t/certs/hold$i.key"
	done >"$t/certs.list"
}

hold()
{
	local r k want prev step steps d=$W/hold c=$W/ed25519/client dpid hp
	local rss0 line n nofile fit
	local holders=()

	nofile=$(ulimit -n)
	fit=$(((nofile - 100) / 1000 * 1000))
	hold_devices
	: >"$B/hold.jsonl"
	for ((r = 1; r <= HOLD_RUNS; r++)); do
		steps=$HOLD
		((r == 1)) && [ -n "$HOLD_BIG" ] && steps="$HOLD $HOLD_BIG"
		log "idle sessions: run $r of $HOLD_RUNS (fresh trustpointd, Ed25519, steps: $steps)"
		rm -rf "$d"
		mkdir -p "$d"
		cp -a "$W/hold-tmpl/state" "$d/state"
		tp_conf "$d" $HOLD_PORT "$W/nopin" >"$d/tp.conf"
		start_tp hold "$d/tp.conf" "$d/trustpointd.log"
		dpid=${PID[hold]}
		# the first handshakes allocate what every later one reuses
		"$B/hsload" --connect 127.0.0.1:$HOLD_PORT --ca "$c/ca.pem" \
			--cert "$c/agent.pem" --key "$c/agent.key" --count 50 \
			>/dev/null
		sleep 0.5
		rss0=$(rss_kb $dpid)
		echo "{\"run\":$r,\"sessions\":0,\"rss_kb\":$rss0}" >>"$B/hold.jsonl"
		prev=0
		step=0
		holders=()
		for want in $steps; do
			k=$want
			if ((k > fit)); then
				k=$fit
				log "idle sessions: $want would need $want descriptors; RLIMIT_NOFILE is $nofile (hard limit here): measuring $k"
			fi
			((k > prev)) || continue
			step=$((step + 1))
			"$B/hsload" --connect 127.0.0.1:$HOLD_PORT --ca "$c/ca.pem" \
				--cert "$c/agent.pem" --key "$c/agent.key" \
				--hold $((k - prev)) --src-base 127.$step.0.1 \
				--cert-list "$W/hold-tmpl/certs.list" \
				<&8 >"$d/hold-$k.out" 2>"$d/hold-$k.err" &
			hp=$!
			STARTED+=($hp)
			holders+=($hp)
			# ~2 ms a session here; allow 10
			for _ in $(seq $(((k - prev) / 10 + 300))); do
				[ -s "$d/hold-$k.out" ] && break
				kill -0 $hp 2>/dev/null || break
				sleep 0.1
			done
			line=$(cat "$d/hold-$k.out")
			[ -n "$line" ] || die "hsload --hold: $(tail -3 "$d/hold-$k.err")"
			sleep 0.5
			n=$("$OUT/tpctl" -s "$d/control.sock" -j session list 2>/dev/null | jq length 2>/dev/null) || n=null
			jq -c --argjson run $r --argjson sessions $k \
				--argjson wanted $want --argjson nofile $nofile \
				--argjson listed "$n" --argjson rss "$(rss_kb $dpid)" \
				--argjson rss0 "$rss0" \
				--argjson devices $HOLD_DEVICES \
				'{run: $run, sessions: $sessions, wanted: $wanted,
				  nofile: $nofile, devices: $devices,
				  daemon_sessions: $listed,
				  rss_kb: $rss, rss0_kb: $rss0,
				  client_wolfssl_bytes, hold_seconds: .seconds}' \
				<<<"$line" >>"$B/hold.jsonl"
			prev=$k
		done
		for hp in "${holders[@]}"; do
			stop_pid $hp
		done
		stop_pid $dpid
	done
}

# --- 4. revocation latency -----------------------------------------------
#
# A namespace of its own holding one veth pair: the gate (XDP, attached
# by tpctl, pinned under this run's bpffs dir) on the $REV_GATE end, which
# has an address; revlat's stream goes in at the $REV_SEND end.
# trustpointd runs in the namespace, its API on the namespace's loopback
# (bearer token from a 0600 file; [policy] revoke_below 20, so score 0
# revokes). Per size: prepare (registry, maps), attach, daemon, filler,
# then three runs of R revocations on devices of their own: entry gone
# (poll), control socket -> first drop, API -> first drop.

REV_NS=tpb-rev-$$
REV_SEND=tpbS$$
REV_GATE=tpbG$$
REV_ADDR=192.0.2.1 # the gate end's; only ever inside $REV_NS
REV_API_PORT=$((BASE + 10))

in_rev() { nsenter --net=/run/netns/$REV_NS "$@"; }

rev_netns()
{
	local t

	for t in ip nsenter; do
		command -v $t >/dev/null || die "missing $t"
	done
	ip netns add $REV_NS
	in_rev ip link set lo up
	# before the links exist, so they inherit it: no ND or MLD noise
	in_rev sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	# sources 10.128.0.0/16 have no route back: no reverse-path check
	in_rev sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	in_rev ip link add $REV_SEND type veth peer name $REV_GATE
	in_rev ip addr add $REV_ADDR/24 dev $REV_GATE
	in_rev ip link set $REV_SEND up
	in_rev ip link set $REV_GATE up
}

rev_conf()
{
	local d=$1 pin=$2

	tp_conf "$d" $REV_PORT "$pin" |
		sed "s|^listen = none\$|listen = 127.0.0.1:$REV_API_PORT\ntoken_file = $d/api.token|"
	cat <<EOF
[policy]
quarantine_below = 50
revoke_below = 20
EOF
}

# One revlat run in the namespace: its JSON line, with its command.
rev_run()
{
	local cmd=(nsenter "--net=/run/netns/$REV_NS" "$B/revlat" "$@")

	"${cmd[@]}" | jq -c --arg cmd "$(printf '%q ' "${cmd[@]}")" \
		'. + {command: $cmd}' >>"$B/revlat.jsonl" ||
		log "revlat $1 reported failures (see its line)"
}

revocations()
{
	local nr n r d pin first t0 common

	: >"$B/revlat.jsonl"
	rev_netns
	for nr in $REV; do
		n=${nr%%:*}
		r=${nr##*:}
		d=$W/rev-$n
		pin=$PIN/rev-$n
		t0=$(date +%s)
		log "revocation latency at $n filler identities: 3 x $r revocations (entry gone; control, API -> first dropped packet)"
		mkdir -p "$d"
		cp -a "$W/p256/state.orig" "$d/state"
		(umask 077 && openssl rand -hex 24 >"$d/api.token")
		rev_conf "$d" "$pin" >"$d/tp.conf"
		first=$("$B/revlat" prepare --state "$d/state" --pin-dir "$pin" \
			--devices $((3 * r)) --identities "$n" | jq .first_device)
		in_rev "$OUT/tpctl" -B "$pin" gate attach dev $REV_GATE \
			mode native >/dev/null
		# nsenter itself, not in_rev: $! must be the daemon (nsenter execs)
		nsenter --net=/run/netns/$REV_NS "$OUT/trustpointd" \
			-c "$d/tp.conf" --foreground >"$d/trustpointd.log" 2>&1 &
		PID[rev]=$!
		STARTED+=($!)
		wait_for "$d/trustpointd.log" "ready:"
		in_rev "$B/revlat" fill --pin-dir "$pin" --gate-dev $REV_GATE \
			--identities "$n" >/dev/null
		common=(--pin-dir "$pin" --socket "$d/control.sock"
			--gate-dev "$REV_GATE" --sender-dev "$REV_SEND"
			--devices "$r" --identities "$n")
		rev_run run "${common[@]}" --first "$first"
		rev_run stream "${common[@]}" --first $((first + r)) \
			--trigger control --gap-us "$REV_GAP_US" \
			--quiet-ms "$REV_QUIET_MS"
		rev_run stream "${common[@]}" --first $((first + 2 * r)) \
			--trigger http --http 127.0.0.1:$REV_API_PORT \
			--token-file "$d/api.token" --gap-us "$REV_GAP_US" \
			--quiet-ms "$REV_QUIET_MS"
		stop_pid ${PID[rev]}
		cp "$d/trustpointd.log" "$B/revlat-$n.log"
		in_rev "$OUT/tpctl" -B "$pin" gate detach all >/dev/null
		rm -rf "$pin" "$d"
		log "revocation latency at $n: $(($(date +%s) - t0)) s"
	done
	ip netns del $REV_NS
}

main()
{
	local t0 t1 t2 t3

	preflight
	mkdir -p "$B"
	setup_certs
	t0=$(date +%s)
	[[ " $PARTS " = *" hs "* ]] && handshakes
	t1=$(date +%s)
	[[ " $PARTS " = *" hold "* ]] && hold
	t2=$(date +%s)
	[[ " $PARTS " = *" rev "* ]] && revocations
	t3=$(date +%s)
	log "handshakes $((t1 - t0))s, idle sessions $((t2 - t1))s, revocations $((t3 - t2))s"
	echo "{\"hs_count\":$HS_COUNT,\"stime_seconds\":$STIME_SECONDS}" >"$B/tls_params.json"
}

main
