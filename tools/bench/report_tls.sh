#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# report_tls.sh - the TLS part of the results (run_tls.sh's raw figures):
#
#   tools/bench/report_tls.sh BENCH_DIR
#
# reads   BENCH_DIR/{crypto,hs,stime,hold,revlat,nogate}.jsonl
# writes  BENCH_DIR/tls.json   figures in results.json's form
#         stdout               the markdown sections for results.md
# report.sh merges both when hs.jsonl exists.
set -euo pipefail

B=$1

# shellcheck disable=SC2016
JQ_COMMON='
def median: sort | if length % 2 == 1 then .[length / 2 | floor]
		   else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def stat: {median: median, min: min, max: max, runs: length};
def r1: . * 10 | round / 10;
def r2: . * 100 | round / 100;
def f: if . == null then "–" else "\(.median | r1) [\(.min | r1)–\(.max | r1)]" end;
def srvname: {"tp": "trustpointd", "nginx": "nginx (cache, tickets off)",
	      "nginx-tickets": "nginx (tickets on)",
	      "s_server": "openssl s_server"}[.] // .;
def order: (.name | split("/")) as $n
	| [({"p256": 0, "ed25519": 1}[$n[2] // ""] // 2),
	   ({"tp": 0, "nginx": 1, "nginx-tickets": 2, "s_server": 3}[$n[1] // ""] // 4)];
def algname: {"p256": "ECDSA P-256", "ed25519": "Ed25519"}[.] // .;
'

# --- figures -----------------------------------------------------------
jq -n "$JQ_COMMON"'
	[inputs] as $all
	| [$all[] | select(.bound_us)] as $crypto
	| [$all[] | select(.mode)] as $hs
	| [$all[] | select(.command and (.command | startswith("openssl s_time")))] as $st
	| [$all[] | select(.rss_kb)] as $hold
	| [$all[] | select(.measure == "entry_gone")] as $rev
	| [$all[] | select(.measure == "first_drop")] as $drop
	| ($crypto | group_by(.alg) | map({key: .[0].alg,
		value: {bound: ([.[].bound_us] | stat),
			x25519: ([.[].x25519_us] | stat),
			sign: ([.[].sign_us] | stat),
			verify: ([.[].verify_us] | stat)}}) | from_entries) as $cb
	| ($hs | group_by([.server, .alg, .mode]) | map({
		server: .[0].server, alg: .[0].alg, mode: .[0].mode,
		command: .[0].command,
		cpu: ([.[].server_cpu_us] | stat), rate: ([.[].hs_per_s] | stat),
		p50: ([.[].p50_us] | stat), p99: ([.[].p99_us] | stat),
		resumed: ([.[].resumed] | add), handshakes: ([.[].handshakes] | add)})
	  ) as $hg
	| ($hg | INDEX(.server + "/" + .alg + "/" + .mode)) as $hi
	| [ ($cb | to_entries[] | {name: "crypto_bound/\(.key)", unit: "us/handshake",
		median: .value.bound.median, min: .value.bound.min,
		max: .value.bound.max, runs: .value.bound.runs,
		what: "wolfCrypt: X25519 keygen+agree + 1 sign + 2 verify",
		parts: {x25519_us: .value.x25519.median, sign_us: .value.sign.median,
			verify_us: .value.verify.median},
		command: "crypto_bound --runs N"}),
	    ($hg[] | . as $g
	     | $hi["nginx/\($g.alg)/full"] as $ng
	     | {name: "handshake_cpu/\($g.server)/\($g.alg)/\($g.mode)",
		unit: "server CPU us/handshake",
		median: $g.cpu.median, min: $g.cpu.min, max: $g.cpu.max,
		runs: $g.cpu.runs,
		peer: (if $g.server == "tp" then "nginx" else null end),
		ratio: (if $g.server == "tp" and $ng then $g.cpu.median / $ng.cpu.median else null end),
		ratios: (if $g.server == "tp" then
			{nginx: ($g.cpu.median / $hi["nginx/\($g.alg)/full"].cpu.median),
			 s_server: ($g.cpu.median / $hi["s_server/\($g.alg)/full"].cpu.median),
			 crypto_bound: ($g.cpu.median / $cb[$g.alg].bound.median)}
			else {crypto_bound: ($g.cpu.median / $cb[$g.alg].bound.median)} end),
		hs_per_s: $g.rate, p50_us: $g.p50, p99_us: $g.p99,
		resumed: $g.resumed, handshakes: $g.handshakes,
		command: $g.command}),
	    ($st | group_by([.server, .alg])[] | . as $s
	     | ([.[].server_cpu_us] | stat) as $c
	     | {name: "handshake_cpu_s_time/\(.[0].server)/\(.[0].alg)",
		unit: "server CPU us/handshake", median: $c.median, min: $c.min,
		max: $c.max, runs: $c.runs, hs_per_s: ([$s[].hs_per_s] | stat),
		command: .[0].command}),
	    ($hold | map(select(.sessions > 0)) | group_by(.sessions)[]
	     | ([.[] | (.rss_kb - .rss0_kb) * 1024 / .sessions] | stat) as $b
	     | ([.[].rss_kb] | stat) as $r
	     | {name: "idle_session_bytes/\(.[0].sessions)", unit: "bytes/session",
		median: $b.median, min: $b.min, max: $b.max, runs: $b.runs,
		sessions: .[0].sessions, rss_kb: $r,
		wanted: ([.[].wanted // .sessions] | max),
		nofile: ([.[].nofile // null] | max),
		devices: ([.[].devices // 1] | max),
		rss0_kb: ([.[].rss0_kb] | stat),
		daemon_sessions: [.[].daemon_sessions],
		client_wolfssl_bytes: ([.[].client_wolfssl_bytes] | median),
		target_bytes: 8192,
		ratio: ($b.median / 8192),
		command: "hsload --hold K (Ed25519), VmRSS of trustpointd"}),
	    ($rev[] | {name: "revoke_entry_gone/\(.identities)", unit: "us",
		median: .gone_p50_us, p99: .gone_p99_us, max: .gone_max_us,
		min: .gone_min_us, runs: 1, identities: .identities,
		map_entries: .map_entries, revocations: .revocations,
		failures: .failures, rtt_p50_us: .rtt_p50_us,
		rtt_p99_us: .rtt_p99_us, rtt_max_us: .rtt_max_us,
		under_1ms: .under_1ms,
		what: "device.revoke on the control socket -> entry gone from the pinned map",
		command: .command}),
	    ($drop[] | {name: "revoke_first_drop/\(.trigger)/\(.identities)",
		unit: "us", median: .first_drop_p50_us, p99: .first_drop_p99_us,
		max: .first_drop_max_us, min: .first_drop_min_us, runs: 1,
		identities: .identities, map_entries: .map_entries,
		revocations: .revocations, samples: .samples,
		failures: .failures, anomalies: .anomalies,
		anomaly_us: .anomaly_us, overflows: .overflows,
		violations: .violations, stream_losses: .stream_losses,
		rtt_p50_us: .rtt_p50_us, rtt_p99_us: .rtt_p99_us,
		rtt_max_us: .rtt_max_us, gap_p50_us: .gap_p50_us,
		gap_p99_us: .gap_p99_us, under_1ms: .under_1ms,
		target_p99_us: 1000,
		ratio: (.first_drop_p99_us / 1000),
		what: (if .trigger == "http"
		       then "POST /v1/devices/ID/trust {\"score\":0} -> first dropped packet"
		       else "device.revoke on the control socket -> first dropped packet" end),
		command: .command})
	  ]' "$B"/crypto.jsonl "$B"/hs.jsonl "$B"/stime.jsonl "$B"/hold.jsonl \
	"$B"/revlat.jsonl >"$B/tls.json"

# --- markdown ------------------------------------------------------------
HS_COUNT=$(jq .hs_count "$B/tls_params.json" 2>/dev/null || echo "?")
STIME_S=$(jq .stime_seconds "$B/tls_params.json" 2>/dev/null || echo "?")

echo "## 3. Handshakes (TLS 1.3, mutual, X25519, loopback)"
echo
echo "Server CPU per handshake = the server process's utime+stime"
echo "(/proc/PID/stat, 10 ms ticks) across a run of $HS_COUNT sequential"
echo "handshakes from tools/bench/hsload (wolfSSL; client and server each"
echo "get one of the 2 cores), ÷ handshakes. Latency is the client's,"
echo "connect() to handshake done. Servers run side by side and are measured"
echo "interleaved, run by run, on the same certificates."
echo
echo "### Full handshakes"
echo
echo "| server | certificates | server CPU µs/handshake | ÷ nginx | ÷ s_server | ÷ crypto bound | handshakes/s | p50 µs | p99 µs |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
jq -r "$JQ_COMMON"'
	sort_by(order)[] | select(.name | startswith("handshake_cpu/")) | select(.name | endswith("/full"))
	| (.name | split("/")) as $n
	| "| \($n[1] | srvname) | \($n[2] | algname) | \(f) | \(.ratios.nginx // null | if . then r2 else "–" end) | \(.ratios.s_server // null | if . then r2 else "–" end) | \(.ratios.crypto_bound | r2) | \(.hs_per_s | f) | \(.p50_us | f) | \(.p99_us | f) |"
' "$B/tls.json"
echo
echo "Efficiency against nginx (nginx CPU ÷ trustpointd CPU):"
jq -r "$JQ_COMMON"'
	(INDEX(.name)) as $m
	| ("p256", "ed25519") as $a
	| $m["handshake_cpu/tp/\($a)/full"] as $t
	| select($t)
	| "- \($a | algname): \(1 / $t.ratios.nginx | r2)× (target ≥ 2×); trustpointd ÷ crypto bound \($t.ratios.crypto_bound | r2)× (target ≤ 1.25×)"
' "$B/tls.json"
echo
echo "trustpointd ran with no gate (its bpffs dir empty): it accepted and"
echo "authenticated every handshake and bound nothing:"
jq -r '"- \(.alg): \(.handshakes_ok) handshakes succeeded, \(.handshakes_with_entries) with gate entries, \"no gate\" logged: \(.no_gate_logged)"' \
	"$B/nogate.jsonl"
echo
echo "### Session resumption (TLS 1.3 tickets, PSK with X25519)"
echo
echo "trustpointd: n/a — it disables tickets and its session cache by design"
echo "(every connection re-proves the device key; revocation is checked per"
echo "handshake)."
echo
echo "| server | certificates | resumed | server CPU µs/handshake | handshakes/s | p50 µs | p99 µs |"
echo "|---|---|---:|---:|---:|---:|---:|"
jq -r "$JQ_COMMON"'
	sort_by(order)[] | select(.name | startswith("handshake_cpu/")) | select(.name | endswith("/resume"))
	| (.name | split("/")) as $n
	| "| \($n[1] | srvname) | \($n[2] | algname) | \(.resumed)/\(.handshakes) | \(f) | \(.hs_per_s | f) | \(.p50_us | f) | \(.p99_us | f) |"
' "$B/tls.json"
echo
echo "### Cross-check: openssl s_time -new (${STIME_S} s per run)"
echo
echo "| server | certificates | server CPU µs/handshake | handshakes/s |"
echo "|---|---|---:|---:|"
jq -r "$JQ_COMMON"'
	sort_by(order)[] | select(.name | startswith("handshake_cpu_s_time/"))
	| (.name | split("/")) as $n
	| "| \($n[1] | srvname) | \($n[2] | algname) | \(f) | \(.hs_per_s | f) |"
' "$B/tls.json"
echo
echo "### Crypto-bound ceiling (wolfCrypt, one core)"
echo
echo "| certificates | X25519 keygen+agree µs | sign µs | verify µs | bound µs (1 + 1 + 2×) |"
echo "|---|---:|---:|---:|---:|"
jq -r "$JQ_COMMON"'
	.[] | select(.name | startswith("crypto_bound/"))
	| "| \(.name | split("/")[1] | algname) | \(.parts.x25519_us | r1) | \(.parts.sign_us | r1) | \(.parts.verify_us | r1) | \(f) |"
' "$B/tls.json"
echo
echo "## 4. Revocation latency (control socket and SIEM API, real packets)"
echo
echo "tools/bench/revlat against trustpointd with its gate (XDP) on one end of"
echo "a veth pair in a namespace of the bench's own. Target devices are bound"
echo "through the daemon's control socket (identity.add), the N filler"
echo "identities written straight into the map. Each figure is one run of R"
echo "revocations, each of a device of its own; p50/p99/max are over those R."
echo
echo "- *entry gone*: device.revoke on the control socket, then"
echo "  bpf_map_lookup_elem looks up the device's entry every 10 µs until it"
echo "  is gone; no traffic."
echo "- *first drop*: a sender (AF_PACKET, one UDP packet per gap) streams from"
echo "  the device's address and bound MAC through the gate to a socket on the"
echo "  other end. Once its packets pass, t0; the revocation goes out —"
echo "  device.revoke on the control socket, or the SIEM's call"
echo "  \`POST /v1/devices/ID/trust {\"score\":0}\` (bearer token; below"
echo "  revoke_below the device is revoked) over a TCP connection made before"
echo "  t0; first drop = send time of the first packet that never arrived − t0."
echo "  Its resolution is the gap between packets (column *gap*). After every"
echo "  answer the device's entry must be gone from the map (*left* counts"
echo "  where it was not); a first drop before t0 is a loss that was not the"
echo "  gate's (*anomalies*, left out of the percentiles)."
echo "- *< 1 ms*: the share of the R under the target's 1 ms."
echo "- *answer*: request written → whole answer read."
echo
echo "| live identities | figure | revocations (failed) | p50 µs | p99 µs | max µs | < 1 ms | answer p50 µs | answer p99 µs | anomalies | left | gap p50 / p99 µs |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -r "$JQ_COMMON"'
	def fig: {"revoke_entry_gone": "revoke → entry gone (control socket)",
		  "revoke_first_drop/control": "revoke → first dropped packet (control socket)",
		  "revoke_first_drop/http": "SIEM call → first dropped packet (HTTP API)"}[.] // .;
	[.[] | select(.name | startswith("revoke_"))]
	| sort_by(.identities, (.name | startswith("revoke_first_drop")), .name)[]
	| (.name | sub("/[0-9]+$"; "")) as $f
	| "| \(.identities) + \(.map_entries - .identities) | \($f | fig) | \(.revocations) (\(.failures)) | \(.median | r1) | \(.p99 | r1) | \(.max | r1) | \(.under_1ms // null | if . then "\(. * 100 | r1) %" else "–" end) | \(.rtt_p50_us | r1) | \(.rtt_p99_us | r1) | \(.anomalies // "–") | \(.violations // "–") | \(if .gap_p50_us then "\(.gap_p50_us | r1) / \(.gap_p99_us | r1)" else "–" end) |"
' "$B/tls.json"
echo
HOLD_DEVICES=$(jq '[.[] | select(.name | startswith("idle_session_bytes/")) | .devices] | max' "$B/tls.json")
echo "## 5. Daemon memory per idle session"
echo
echo "Fresh trustpointd per run (Ed25519, no gate); hsload --hold opens the"
echo "sessions (handshake, HELLO, WELCOME) step by step, round robin over"
echo "$HOLD_DEVICES enrolled devices, then keeps only the sockets. Bytes/session ="
echo "(VmRSS − VmRSS after 50 warm-up handshakes) ÷ sessions. Every run goes"
echo "to 10000 sessions, the first also to 100000 (once, for time). A session"
echo "is a descriptor in the daemon: where RLIMIT_NOFILE cannot be raised far"
echo "enough, the largest count it allows is measured instead, and the row"
echo "says so."
echo
echo "| sessions | runs | sessions the daemon lists | daemon VmRSS MiB | bytes/session | ÷ 8 KiB target | one WOLFSSL object after the handshake (client side, mallinfo2) |"
echo "|---:|---:|---|---:|---:|---:|---:|"
jq -r "$JQ_COMMON"'
	.[] | select(.name | startswith("idle_session_bytes/"))
	| "| \(.sessions)\(if .wanted > .sessions then " (\(.wanted) wanted; RLIMIT_NOFILE \(.nofile))" else "" end) | \(.runs) | \(.daemon_sessions | map(tostring) | join(", ")) | \(.rss_kb.median / 1024 | r1) [\(.rss_kb.min / 1024 | r1)–\(.rss_kb.max / 1024 | r1)] | \(.median | round) [\(.min | round)–\(.max | round)] | \(.ratio | r2)× | \(.client_wolfssl_bytes) |"
' "$B/tls.json"
echo
echo "The daemon frees wolfSSL's object once a session is verified (the client"
echo "column shows what one costs in Debian's build) and keeps the traffic keys"
echo "alone; an idle session is then its struct session (232 B), its record"
echo "keys (120 B) and its certificate serial, ~480 B of heap (heaptrack)."
echo "About 1 MB of the growth does not scale with the count, so the figure"
echo "falls toward that marginal cost as sessions are added."
echo
echo "## Targets (TLS)"
echo
jq -r "$JQ_COMMON"'
	(INDEX(.name)) as $m
	| "| figure | target | measured |", "|---|---|---|",
	  (("p256", "ed25519") as $a | $m["handshake_cpu/tp/\($a)/full"] as $t | select($t)
	   | "| server CPU per full handshake, \($a | algname) | ≤ 1.25× crypto bound | \($t.ratios.crypto_bound | r2)× |",
	     "| efficiency against nginx, \($a | algname) | ≥ 2× | \(1 / $t.ratios.nginx | r2)× |"),
	  ([.[] | select(.name | startswith("idle_session_bytes/"))] | max_by(.sessions) | select(.)
	   | "| memory per idle session (\(.sessions) sessions\(if .wanted > .sessions then "; \(.wanted) need more descriptors than RLIMIT_NOFILE \(.nofile)" else "" end)) | ≤ 8 KiB | \(.median / 1024 | r2) KiB |"),
	  ([.[] | select(.name | startswith("revoke_first_drop/"))]
	   | sort_by(.identities, .name)[]
	   | "| \(if (.name | split("/")[1]) == "http" then "SIEM call (API)" else "revoke (control socket)" end) → first dropped packet, p99, \(.identities) identities | < 1 ms | \(.p99 / 1000 | r2) ms |")
' "$B/tls.json"
