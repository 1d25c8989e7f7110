#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lab.sh - the netns lab trustpoint's demo and end-to-end tests run in.
#
#   lab.sh up SFX [--vlan N]     build the lab; all or nothing
#   lab.sh down SFX              remove everything carrying SFX (idempotent)
#   lab.sh exec SFX NODE CMD...  run CMD in NODE-SFX's network namespace
#   lab.sh show SFX              addresses and links of every node
#
# Topology (SFX keeps concurrent runs apart; selftests/lab.h mirrors it):
#
#   dev1 eth0 ─┐
#   dev2 eth0 ─┤ sw: bridge br0 (the LAN segment)
#  rogue eth0 ─┤
#     gw lan0 ─┘      gw wan0 ──── srv eth0
#
# Veths are created straight into their namespaces, so interface names only
# need to be unique inside a namespace and never touch the host's.
# nsenter --net is used instead of `ip netns exec`, which remounts /sys and
# so hides bpffs pins from the command it runs.
set -euo pipefail

NODES=(gw dev1 dev2 rogue srv sw)
LAN_NODES=(dev1 dev2 rogue)

# node  lan MAC            IPv4          IPv6
declare -A MAC=([gw]=02:00:00:00:00:01 [dev1]=02:00:00:00:00:11
		[dev2]=02:00:00:00:00:12 [rogue]=02:00:00:00:00:66)
declare -A IP4=([gw]=192.0.2.1 [dev1]=192.0.2.11 [dev2]=192.0.2.12
		[rogue]=192.0.2.66)
declare -A IP6=([gw]=2001:db8:1::1 [dev1]=2001:db8:1::11
		[dev2]=2001:db8:1::12 [rogue]=2001:db8:1::66)
# The switch ports: p-<node>, MAC 02:00:00:00:f0:<node's last byte>.
declare -A PORT_MAC=([gw]=02:00:00:00:f0:01 [dev1]=02:00:00:00:f0:11
		     [dev2]=02:00:00:00:f0:12 [rogue]=02:00:00:00:f0:66)
BR_MAC=02:00:00:00:f0:00
GW_WAN_MAC=02:00:00:00:01:01
GW_WAN4=198.51.100.1
GW_WAN6=2001:db8:2::1
SRV_MAC=02:00:00:00:01:10
SRV4=198.51.100.10
SRV6=2001:db8:2::10

usage()
{
	cat >&2 <<EOF
Usage: ${0##*/} up SFX [--vlan N]
       ${0##*/} down SFX
       ${0##*/} exec SFX NODE CMD...
       ${0##*/} show SFX
NODE := { ${NODES[*]} }
EOF
	exit 2
}

die()
{
	echo "lab.sh: $*" >&2
	exit 1
}

# The suffix becomes part of netns and bpffs names: keep it to a safe set,
# and short enough that "rogue-SFX" stays a sane name.
check_suffix()
{
	[[ $1 =~ ^[A-Za-z0-9_.]{1,32}$ ]] ||
		die "bad suffix '$1' (letters, digits, '_' and '.', at most 32)"
}

ns()
{
	echo "$1-$SFX"
}

# Run a command in a node's namespace.
in_ns()
{
	local node=$1
	shift
	nsenter --net="/run/netns/$(ns "$node")" "$@"
}

# Set a sysctl in a node when the kernel has it (bridge-nf-* exist only
# with br_netfilter; they are per namespace since 5.3).
sysctl_if_present()
{
	local node=$1 key=$2 val=$3
	local path="/proc/sys/${key//.//}"

	if in_ns "$node" test -e "$path"; then
		in_ns "$node" sysctl -qw "$key=$val"
	fi
}

# Sysctls that must be set before interfaces exist, so that new devices
# copy them from "default": no DAD (addresses usable at once) and no router
# solicitations (they would be noise in the gate's counters).
node_defaults()
{
	local node=$1

	in_ns "$node" sysctl -qw net.ipv6.conf.all.accept_dad=0
	in_ns "$node" sysctl -qw net.ipv6.conf.default.accept_dad=0
	in_ns "$node" sysctl -qw net.ipv6.conf.default.router_solicitations=0
	in_ns "$node" sysctl -qw net.ipv6.conf.default.accept_ra=0
	in_ns "$node" ip link set lo up
}

# The port into the switch of a LAN node: veth IF in NODE, p-NODE in sw.
lan_port()
{
	local node=$1 ifname=$2

	ip link add "$ifname" netns "$(ns "$node")" address "${MAC[$node]}" \
		type veth peer name "p-$node" netns "$(ns sw)" \
		address "${PORT_MAC[$node]}"
	in_ns sw ip link set "p-$node" master br0
	# The bridge takes a VLAN tag out of the frame on ingress; were the
	# port allowed to hand it back to the veth out of band, the gate's
	# XDP program would see an untagged frame. Tags stay in the data.
	in_ns sw ethtool -K "p-$node" txvlan off tx-vlan-stag-hw-insert off ||
		die "cannot turn off VLAN tx offload on p-$node"
	in_ns sw ip link set "p-$node" up
}

# LAN addresses on IF (eth0 / lan0, or the VLAN sub-interface).
lan_addrs()
{
	local node=$1 ifname=$2

	in_ns "$node" ip addr add "${IP4[$node]}/24" dev "$ifname"
	in_ns "$node" ip addr add "${IP6[$node]}/64" dev "$ifname" nodad
}

# Make a VLAN sub-interface PARENT.N in NODE; fails clearly on kernels
# without 802.1Q support (CONFIG_VLAN_8021Q off, as on the test machines).
vlan_if()
{
	local node=$1 parent=$2 id=$3 err

	if ! err=$(in_ns "$node" ip link add link "$parent" \
		name "$parent.$id" type vlan id "$id" 2>&1); then
		die "cannot create VLAN interface $parent.$id in $(ns "$node"):" \
			"${err:-unknown error}; this kernel has no 802.1Q VLAN" \
			"devices (CONFIG_VLAN_8021Q off). Test VLANs with tagged" \
			"raw frames instead."
	fi
	in_ns "$node" ip link set "$parent.$id" up
}

build()
{
	local vlan=$1 node lanif

	mkdir -p /run/netns
	for node in "${NODES[@]}"; do
		ip netns add "$(ns "$node")"
		node_defaults "$node"
	done

	# sw: the LAN segment. No STP (ports forward at once), no multicast
	# snooping (ND's solicited-node multicast is flooded like broadcast),
	# and no netfilter on bridged frames, or malformed test frames would
	# be dropped by br_netfilter before they reach the gate.
	# The switch has no addresses of its own: without IPv6 there, its
	# ports send no MLD reports into the gate's counters.
	in_ns sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	in_ns sw sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	in_ns sw ip link add br0 address "$BR_MAC" type bridge \
		stp_state 0 forward_delay 0 mcast_snooping 0
	sysctl_if_present sw net.bridge.bridge-nf-call-iptables 0
	sysctl_if_present sw net.bridge.bridge-nf-call-ip6tables 0
	sysctl_if_present sw net.bridge.bridge-nf-call-arptables 0
	in_ns sw ip link set br0 up

	lan_port gw lan0
	for node in "${LAN_NODES[@]}"; do
		lan_port "$node" eth0
	done

	# gw <-> srv: the upstream link.
	ip link add wan0 netns "$(ns gw)" address "$GW_WAN_MAC" \
		type veth peer name eth0 netns "$(ns srv)" address "$SRV_MAC"

	in_ns gw sysctl -qw net.ipv4.ip_forward=1
	in_ns gw sysctl -qw net.ipv6.conf.all.forwarding=1
	# a stateful forward chain, as on a real gateway: it is what makes
	# the kernel track connections, which a revocation then deletes
	in_ns gw nft -f - <<-'NFT'
		table inet lab {
			chain forward {
				type filter hook forward priority 0; policy accept;
				ct state established,related counter accept
			}
		}
	NFT
	in_ns gw ip link set lan0 up
	in_ns gw ip link set wan0 up
	in_ns gw ip addr add "$GW_WAN4/24" dev wan0
	in_ns gw ip addr add "$GW_WAN6/64" dev wan0 nodad
	in_ns srv ip link set eth0 up
	in_ns srv ip addr add "$SRV4/24" dev eth0
	in_ns srv ip addr add "$SRV6/64" dev eth0 nodad
	in_ns srv ip route add default via "$GW_WAN4"
	in_ns srv ip -6 route add default via "$GW_WAN6"

	for node in gw "${LAN_NODES[@]}"; do
		lanif=eth0
		[[ $node == gw ]] && lanif=lan0
		[[ $node == gw ]] || in_ns "$node" ip link set eth0 up
		if [[ -n $vlan ]]; then
			vlan_if "$node" "$lanif" "$vlan"
			lanif="$lanif.$vlan"
		fi
		lan_addrs "$node" "$lanif"
		[[ $node == gw ]] && continue
		in_ns "$node" ip route add default via "${IP4[gw]}"
		in_ns "$node" ip -6 route add default via "${IP6[gw]}"
	done
}

lab_down()
{
	local node

	for node in "${NODES[@]}"; do
		# Deleting a namespace deletes its veths and their peers.
		ip netns del "$(ns "$node")" 2>/dev/null || true
	done
}

lab_up()
{
	local vlan=""

	while (($#)); do
		case $1 in
		--vlan)
			(($# >= 2)) || usage
			if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < 1 || $2 > 4094)); then
				die "bad VLAN id '$2' (1..4094)"
			fi
			vlan=$((10#$2))
			shift 2
			;;
		*)
			usage
			;;
		esac
	done
	for node in "${NODES[@]}"; do
		[[ ! -e /run/netns/$(ns "$node") ]] ||
			die "namespace $(ns "$node") exists; run: $0 down $SFX"
	done
	# All or nothing: whatever fails ends the script (set -e, die) and
	# the trap removes what was made. (An `if ! build` would switch set -e
	# off inside build.)
	trap 'lab_down; echo "lab.sh: lab $SFX not built" >&2' EXIT
	trap 'exit 130' INT TERM
	build "$vlan"
	trap - EXIT INT TERM
}

lab_show()
{
	local node

	for node in "${NODES[@]}"; do
		if [[ ! -e /run/netns/$(ns "$node") ]]; then
			echo "== $(ns "$node"): missing"
			continue
		fi
		echo "== $(ns "$node")"
		in_ns "$node" ip -br link show
		in_ns "$node" ip -br addr show
	done
}

(($# >= 2)) || usage
cmd=$1
SFX=$2
shift 2
check_suffix "$SFX"

case $cmd in
up)
	lab_up "$@"
	;;
down)
	(($# == 0)) || usage
	lab_down
	;;
exec)
	(($# >= 2)) || usage
	node=$1
	shift
	[[ " ${NODES[*]} " == *" $node "* ]] || die "unknown node '$node'"
	exec nsenter --net="/run/netns/$(ns "$node")" "$@"
	;;
show)
	(($# == 0)) || usage
	lab_show
	;;
*)
	usage
	;;
esac
