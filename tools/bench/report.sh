#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# report.sh - turn the bench's raw measurements into its results:
#
#   tools/bench/report.sh BENCH_DIR SRC_DIR
#
# reads   BENCH_DIR/cost.jsonl  one figure per line (gate_cost)
#         BENCH_DIR/rate.jsonl  one trafficgen interval per line
#         BENCH_DIR/*.jsonl of run_tls.sh, through report_tls.sh
# writes  BENCH_DIR/results.json  [{name, unit, median, min, max, runs, peer,
#                                   ratio, command, ...}]
#         BENCH_DIR/results.md    the tables, with date, kernel, CPU, commands
#         BENCH_DIR/gate_cost.png cost against number of identities
#         BENCH_DIR/rates.png     drop and pass rates (gnuplot, when present)
set -euo pipefail

B=$1
SRC=$2

# Rates: the median (min, max) over runs of each receiver's own counter.
# shellcheck disable=SC2016
JQ_RATES='
def median: sort | if length % 2 == 1 then .[length / 2 | floor]
		   else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def stat: {median: median, min: min, max: max, runs: length};
def counter: if .cfg | startswith("gate") or startswith("xdp-filter") then .rx_map
	     elif .cfg | startswith("nftables") then .rx_cmd
	     else .rx_dev end;
def peers: {"gate-drop": ["xdp-drop", "nftables-drop", "xdp-filter-drop"],
	    "gate-pass": ["xdp-pass"]};
def what: {"gate-drop": "trustpoint gate, unknown source (drop-unknown counter)",
	   "xdp-drop": "bare XDP_DROP program (interface rx_packets)",
	   "nftables-drop": "nftables netdev ingress, set miss, drop (nft counter)",
	   "xdp-filter-drop": "xdp-filter, deny policy, no rule matches (its XDP_DROP counter)",
	   "gate-pass": "trustpoint gate, authorized source (pass-identity counter)",
	   "xdp-pass": "empty XDP_PASS program (interface rx_packets)"};
def figures($key; $unit; $prefix):
	group_by(.cfg)
	| map({cfg: .[0].cfg, command: .[0].command,
	       s: ([.[] | counter | .[$key] / 1e6] | stat)})
	| INDEX(.cfg) as $all
	| [.[] | . as $f
	   | (peers[$f.cfg] // []) as $p
	   | {name: ($prefix + "/" + $f.cfg), unit: $unit,
	      median: $f.s.median, min: $f.s.min, max: $f.s.max,
	      runs: $f.s.runs, what: what[$f.cfg],
	      peer: ($p[0] // null),
	      ratio: (if $p[0] and $all[$p[0]] then
			$f.s.median / $all[$p[0]].s.median else null end),
	      ratios: (if ($p | length) > 0 then
			 [$p[] | select($all[.]) |
			  {(.): ($f.s.median / $all[.].s.median)}] | add
		       else null end),
	      command: $f.command}];
[ figures("pps"; "Mpps"; "rate"),
  figures("pps_per_cpu"; "Mpps per receiver CPU-second"; "rate_per_cpu") ]
| add'

jq -s "$JQ_RATES" "$B/rate.jsonl" >"$B/rates.json"
jq -s '.' "$B/cost.jsonl" >"$B/cost.json"
jq -s 'add' "$B/cost.json" "$B/rates.json" >"$B/results.json"

# --- the plot data: ns/packet against identities -----------------------
jq -r '
	[.[] | select(.unit == "ns/pkt")]
	| group_by(.identities)[]
	| (INDEX(.program + "/" + .packet)) as $m
	| [.[0].identities,
	   ($m["gate/authorized"].median), ($m["gate/unknown"].median),
	   ($m["gate/bootstrap"].median),
	   ($m["xdp-filter-resized/authorized"].median // "NaN"),
	   ($m["xdp-filter-resized/unknown"].median // "NaN"),
	   ($m["xdp-filter-resized/bootstrap"].median // "NaN"),
	   ($m["empty/authorized"].median)]
	| @tsv' "$B/cost.json" >"$B/gate_cost.dat"
jq -r '(INDEX(.name)) as $m
	| ["gate-drop", "xdp-drop", "nftables-drop", "xdp-filter-drop",
	   "gate-pass", "xdp-pass"][]
	| . as $c | $m["rate/" + $c] as $w | $m["rate_per_cpu/" + $c] as $p
	| select($w)
	| [$c, $w.median, $w.min, $w.max, $p.median, $p.min, $p.max] | @tsv' \
	"$B/rates.json" >"$B/rates.dat"

if command -v gnuplot >/dev/null; then
	gnuplot -c "$SRC/tools/bench/gate_cost.gp" "$B/gate_cost.dat" \
		"$B/gate_cost.png"
	gnuplot -c "$SRC/tools/bench/rates.gp" "$B/rates.dat" "$B/rates.png"
else
	echo "report.sh: no gnuplot (apt-get install gnuplot-nox): no plots" >&2
fi

# --- results.md ----------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
{
	echo "# trustpoint benchmarks"
	echo
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC') · kernel $(uname -r) ·" \
		"CPU: $cpu × $(nproc) ·" \
		"xdp-tools $(dpkg-query -W -f='${Version}' xdp-tools 2>/dev/null) ·" \
		"$(nft --version)"
	echo
	echo "Every figure is the median of repeated runs, [min–max] beside it;"
	echo "peers were measured in the same run, interleaved, and ratios are"
	echo "gate ÷ peer (for ns/packet lower is better, for Mpps higher is better)."
	echo
	echo "## 1. Gate cost per packet (BPF_PROG_TEST_RUN, repeat ${REPEAT:-?})"
	echo
	echo "| identities | frame | gate ns | xdp-filter ns | xdp-filter (resized) ns | empty ns | gate ÷ xdp-filter | gate ÷ empty |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|"
	jq -r '
		def f: if . == null then "–" else "\(.median) [\(.min)–\(.max)]" end;
		def r: if . == null then "–" else (. * 100 | round / 100 | tostring) end;
		[.[] | select(.unit == "ns/pkt")]
		| group_by(.identities)[]
		| (INDEX(.program + "/" + .packet)) as $m
		| ("authorized", "unknown", "bootstrap") as $k
		| $m["gate/" + $k] as $g
		| "| \($g.identities) | \($k) | \($g | f) | \($m["xdp-filter/" + $k] | f) | \($m["xdp-filter-resized/" + $k] | f) | \($m["empty/" + $k] | f) | \($g.ratio | r) | \($g.ratios.empty | r) |"
	' "$B/cost.json"
	echo
	echo "gate ÷ xdp-filter uses xdp-filter as its CLI loaded it where its"
	echo "source map (10000 entries, fixed) holds N rules, else the same object"
	echo "file loaded by gate_cost with that map resized to N. The kernel reports"
	echo "whole ns per run."
	echo
	echo "![gate cost](gate_cost.png)"
	echo
	echo "## 2. Drop and pass rate over veth"
	echo
	echo "60-byte frames from our generator (BPF_PROG_RUN live frames + XDP_TX,"
	echo "pinned to one CPU) into each receiver, whose NAPI runs in a kthread"
	echo "pinned to the other CPU; ${RATE_IDS:-?} identities / set elements;"
	echo "${RATE_SECONDS:-?} s per interval. *per CPU-s* divides by the receiver"
	echo "thread's own CPU time, which other load on the machine cannot blur."
	echo
	echo "| receiver | Mpps | Mpps per receiver CPU-s | ratio (wall) | ratio (per CPU-s) |"
	echo "|---|---:|---:|---|---|"
	jq -r '
		def f: "\(.median * 1000 | round / 1000) [\(.min * 1000 | round / 1000)–\(.max * 1000 | round / 1000)]";
		def rs: if .ratios == null then "–" else
			[.ratios | to_entries[] | "÷ \(.key): \(.value * 100 | round / 100)"] | join(", ") end;
		(INDEX(.name)) as $m
		| [.[] | select(.name | startswith("rate/"))][]
		| (.name | sub("^rate/"; "")) as $c
		| $m["rate_per_cpu/" + $c] as $p
		| "| \(.what) | \(f) | \($p | f) | \(rs) | \($p | rs) |"
	' "$B/rates.json"
	echo
	echo "![rates](rates.png)"
	echo
	echo "## 5. Map memory (fdinfo memlock)"
	echo
	echo "| identities | gate maps | bytes | bytes / identity | xdp-filter (resized) bytes | ratio |"
	echo "|---:|---|---:|---:|---:|---:|"
	jq -r '.[] | select(.unit == "bytes")
		| "| \(.identities) | \(.name | split("/")[2]) | \(.median) | \(.bytes_per_identity) | \(.peer_bytes // "–") | \(.ratio // "–") |"' \
		"$B/cost.json"
	echo
	# 3, 4, 5 (sessions): tools/bench/run_tls.sh's figures
	if [ -s "$B/hs.jsonl" ]; then
		"$SRC/tools/bench/report_tls.sh" "$B"
		echo
	fi
	echo "## Targets (issue 6)"
	echo
	jq -r '
		(INDEX(.name)) as $m
		| ([.[] | select(.unit == "ns/pkt" and .program == "gate")
		    | .identities] | max) as $n
		| $m["gate_cost/gate/authorized/\($n)"] as $a
		| $m["rate_per_cpu/gate-drop"] as $d
		| "| figure | target | measured |",
		  "|---|---|---|",
		  "| gate per-packet cost at \($n) identities (authorized) | ≤ 0.75× xdp-filter | \($a.ratio * 100 | round / 100)× |",
		  "| gate per-packet cost at \($n) identities (unknown) | ≤ 0.75× xdp-filter | \($m["gate_cost/gate/unknown/\($n)"].ratio * 100 | round / 100)× |",
		  "| gate drop rate (per receiver CPU-s) | ≥ 0.9× XDP_DROP | \($d.ratios["xdp-drop"] * 100 | round / 100)× |",
		  "| gate drop rate (per receiver CPU-s) | ≥ 3× nftables | \($d.ratios["nftables-drop"] * 100 | round / 100)× |"
	' "$B/results.json"
	echo
	echo "## Commands"
	echo
	echo '```'
	echo "make bench            # = tools/bench/run.sh build"
	jq -r '[.[] | .command] | unique[]' "$B/results.json"
	echo "xdp-filter load --mode native --policy deny IF   (LIBXDP_SKIP_DISPATCHER=1; prog id ${XDPF_PROG_ID:-?})"
	echo "xdp-filter ip 192.0.2.11 --mode src; xdp-filter ip 10.0.0.N --mode src (one per identity, up to 1000)"
	echo "xdp-filter port 4433 --mode dst --proto tcp"
	echo "nft -f nft.rules      # netdev ingress, set of (ether saddr . ip saddr), see nft.rules"
	echo '```'
} >"$B/results.md"
if [ -s "$B/tls.json" ] && [ -s "$B/hs.jsonl" ]; then
	jq -s 'add' "$B/results.json" "$B/tls.json" >"$B/results.json.new"
	mv "$B/results.json.new" "$B/results.json"
fi
echo "  BENCH    $B/results.json $B/results.md" >&2
