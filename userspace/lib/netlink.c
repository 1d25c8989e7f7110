// SPDX-License-Identifier: GPL-2.0-only
/*
 * netlink.c - routes, links and neighbours through libnl-route, and the
 * conntrack deletion of a revoked device's flows through libmnl (see
 * netlink.h).
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "lib/netlink.h"

#define NEIGH_POLL_MS 5
/* States whose link-layer address is worth binding to. */
#define NUD_USABLE                                                           \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | \
	 NUD_NOARP)

struct tp_nl {
	struct nl_sock *sk;
};

static int nl_err(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOADDR:
		return -EHOSTUNREACH;
	}
	return -EIO;
}

int tp_nl_open(struct tp_nl **out)
{
	struct tp_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	/*
	 * libnl's own requests wait for their ACKs; ours (neigh_get) must not
	 * leave one behind for the next request to trip over.
	 */
	nl_socket_disable_auto_ack(nl->sk);
	err = nl_connect(nl->sk, NETLINK_ROUTE);
	if (err) {
		nl_socket_free(nl->sk);
		free(nl);
		return nl_err(err);
	}
	*out = nl;
	return 0;
}

void tp_nl_close(struct tp_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

static int addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : family == AF_INET ? 4 : -1;
}

int tp_nl_route_oif(struct tp_nl *nl, uint8_t family, const uint8_t addr[16],
		    int *ifindex)
{
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst;
	int alen = addr_len(family), err;

	if (alen < 0)
		return -EAFNOSUPPORT;
	dst = nl_addr_build(family, addr, alen);
	if (!dst)
		return -ENOMEM;
	err = rtnl_route_lookup(nl->sk, dst, &route);
	nl_addr_put(dst);
	if (err)
		return nl_err(err);
	nh = rtnl_route_nexthop_n(route, 0);
	*ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
	rtnl_route_put(route);
	return *ifindex > 0 ? 0 : -EHOSTUNREACH;
}

/* One level: a VLAN link's (parent, id), or -ENOTTY when not a VLAN. */
static int vlan_of(struct tp_nl *nl, int ifindex, int *parent, uint16_t *vid)
{
	struct rtnl_link *link = NULL;
	int err;

	err = rtnl_link_get_kernel(nl->sk, ifindex, NULL, &link);
	if (err)
		return nl_err(err);
	if (!rtnl_link_is_vlan(link)) {
		rtnl_link_put(link);
		return -ENOTTY;
	}
	*vid = rtnl_link_vlan_get_id(link);
	*parent = rtnl_link_get_link(link);
	rtnl_link_put(link);
	return *parent > 0 ? 0 : -ENODEV;
}

int tp_nl_link_vlan(struct tp_nl *nl, int ifindex, int *parent, uint16_t *vlan,
		    uint16_t *svlan)
{
	int p1, p2, err;
	uint16_t v1, v2;

	*parent = ifindex;
	*vlan = *svlan = 0;
	err = vlan_of(nl, ifindex, &p1, &v1);
	if (err == -ENOTTY)
		return 0;
	if (err)
		return err;
	*parent = p1;
	*vlan = v1;
	err = vlan_of(nl, p1, &p2, &v2);
	if (err == -ENOTTY)
		return 0;
	if (err)
		return err;
	*parent = p2;
	*svlan = v2;
	/* a third tag would never reach the gate (TP_VLAN_MAX) */
	err = vlan_of(nl, p2, &p1, &v1);
	return err == -ENOTTY ? 0 : err ? err : -EOPNOTSUPP;
}

struct neigh_ctx {
	uint8_t mac[6];
	int found; /* 1: usable entry, -1: entry without a usable MAC */
};

static void neigh_obj(struct nl_object *obj, void *arg)
{
	struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
	struct neigh_ctx *c = arg;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(n);

	if (!(rtnl_neigh_get_state(n) & NUD_USABLE) || !ll ||
	    nl_addr_get_len(ll) != 6) {
		c->found = -1;
		return;
	}
	memcpy(c->mac, nl_addr_get_binary_addr(ll), 6);
	c->found = 1;
}

static int neigh_valid(struct nl_msg *msg, void *arg)
{
	return nl_msg_parse(msg, neigh_obj, arg) < 0 ? NL_STOP : NL_OK;
}

/* RTM_GETNEIGH for one entry: 1 with a usable MAC, 0 when none. */
static int neigh_get(struct tp_nl *nl, int ifindex, uint8_t family,
		     const uint8_t addr[16], uint8_t mac[6])
{
	struct ndmsg ndm = {.ndm_family = family, .ndm_ifindex = ifindex};
	struct neigh_ctx c = {};
	struct nl_msg *msg;
	struct nl_cb *cb;
	int err;

	msg = nlmsg_alloc_simple(RTM_GETNEIGH, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) ||
	    nla_put(msg, NDA_DST, addr_len(family), addr)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return nl_err(err);
	cb = nl_cb_clone(nl_socket_get_cb(nl->sk));
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, neigh_valid, &c);
	err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	/* the kernel answers a missing entry with ENOENT */
	if (err < 0 && err != -NLE_OBJ_NOTFOUND)
		return nl_err(err);
	if (c.found != 1)
		return 0;
	memcpy(mac, c.mac, 6);
	return 1;
}

/* Make the kernel resolve addr on ifindex: send it an empty datagram. */
static void neigh_trigger(int ifindex, uint8_t family, const uint8_t addr[16])
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(9)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(9)};
	char ifname[IF_NAMESIZE];
	int fd;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (if_indextoname(ifindex, ifname))
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
			   strlen(ifname) + 1);
	if (family == AF_INET6) {
		memcpy(&s6.sin6_addr, addr, 16);
		s6.sin6_scope_id = ifindex;
		sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s6,
		       sizeof(s6));
	} else {
		memcpy(&s4.sin_addr, addr, 4);
		sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&s4,
		       sizeof(s4));
	}
	close(fd);
}

int tp_nl_neigh_mac(struct tp_nl *nl, int ifindex, uint8_t family,
		    const uint8_t addr[16], uint8_t mac[6], int timeout_ms)
{
	struct timespec pause = {0, NEIGH_POLL_MS * 1000000L};
	int waited = 0, ret;

	if (addr_len(family) < 0)
		return -EAFNOSUPPORT;
	ret = neigh_get(nl, ifindex, family, addr, mac);
	if (ret)
		return ret < 0 ? ret : 0;
	neigh_trigger(ifindex, family, addr);
	/*
	 * Bounded: a peer that just finished a TCP handshake with us is
	 * nearly always in the table already, so this wait is rare.
	 */
	while (waited < timeout_ms) {
		nanosleep(&pause, NULL);
		waited += NEIGH_POLL_MS;
		ret = neigh_get(nl, ifindex, family, addr, mac);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	return -EHOSTUNREACH;
}

/* ---- conntrack ---- */

struct ct_match {
	uint8_t family;
	const uint8_t *addr;
	uint8_t **tuples; /* copies of matching CTA_TUPLE_ORIG attributes */
	size_t n, cap;
	int err;
};

static int ct_ip_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= CTA_IP_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ct_tuple_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= CTA_TUPLE_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ct_top_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (type <= CTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* Does the original tuple's source equal the address we look for? */
static bool ct_src_matches(const struct nlattr *orig, struct ct_match *m)
{
	const struct nlattr *tt[CTA_TUPLE_MAX + 1] = {},
						*ip[CTA_IP_MAX + 1] = {};
	const struct nlattr *src;

	if (mnl_attr_parse_nested(orig, ct_tuple_cb, tt) < 0 ||
	    !tt[CTA_TUPLE_IP] ||
	    mnl_attr_parse_nested(tt[CTA_TUPLE_IP], ct_ip_cb, ip) < 0)
		return false;
	src = ip[m->family == AF_INET6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC];
	return src &&
	       mnl_attr_get_payload_len(src) ==
		       (m->family == AF_INET6 ? 16 : 4) &&
	       !memcmp(mnl_attr_get_payload(src), m->addr,
		       mnl_attr_get_payload_len(src));
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_MAX + 1] = {};
	struct ct_match *m = data;
	uint8_t *copy;
	size_t len;

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), ct_top_cb, tb) < 0 ||
	    !tb[CTA_TUPLE_ORIG] || !ct_src_matches(tb[CTA_TUPLE_ORIG], m))
		return MNL_CB_OK;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		uint8_t **t = realloc(m->tuples, cap * sizeof(*t));

		if (!t) {
			m->err = -ENOMEM;
			return MNL_CB_ERROR;
		}
		m->tuples = t;
		m->cap = cap;
	}
	len = tb[CTA_TUPLE_ORIG]->nla_len;
	copy = malloc(NLA_ALIGN(len));
	if (!copy) {
		m->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	memset(copy, 0, NLA_ALIGN(len));
	memcpy(copy, tb[CTA_TUPLE_ORIG], len);
	m->tuples[m->n++] = copy;
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(char *buf, uint8_t family, int type, int flags,
			       unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/*
 * The kernel's own filter on the dump (5.8+): only entries whose original
 * source is addr come back, instead of the whole table being copied out
 * to be matched here. Its flag values are the kernel's (not in the uapi
 * header); ct_src_matches stays for kernels without the filter.
 */
#define CT_FILTER_F_IP_SRC (1U << 0)

static void ct_put_src_filter(struct nlmsghdr *nlh, uint8_t family,
			      const uint8_t *addr)
{
	struct nlattr *tuple, *ip, *f;

	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, family == AF_INET6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC,
		     addr_len(family), addr);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tuple);
	f = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, CT_FILTER_F_IP_SRC);
	mnl_attr_nest_end(nlh, f);
}

/* Send one request and read until its end; cb may be NULL. */
static int ct_talk(struct mnl_socket *sk, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(sk), seq = nlh->nlmsg_seq;
	int ret;

	if (mnl_socket_sendto(sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ret = mnl_socket_recvfrom(sk, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(buf, ret, seq, portid, cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int tp_ct_delete_src(uint8_t family, const uint8_t addr[16],
		     unsigned int *deleted)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ct_match m = {.family = family, .addr = addr};
	unsigned int seq = time(NULL), gone = 0;
	struct mnl_socket *sk;
	struct nlmsghdr *nlh;
	int err;

	if (deleted)
		*deleted = 0;
	if (addr_len(family) < 0)
		return -EAFNOSUPPORT;
	sk = mnl_socket_open(NETLINK_NETFILTER);
	if (!sk)
		return -errno;
	if (mnl_socket_bind(sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	/* collect first: deleting during the dump would disturb it */
	nlh = ct_msg(buf, family, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq++);
	ct_put_src_filter(nlh, family, addr);
	err = ct_talk(sk, nlh, ct_dump_cb, &m);
	if (err == -EINVAL || err == -EOPNOTSUPP) {
		/* a kernel that knows no dump filter: the whole table */
		nlh = ct_msg(buf, family, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq++);
		err = ct_talk(sk, nlh, ct_dump_cb, &m);
	}
	if (m.err)
		err = m.err;
	if (err)
		goto out;
	for (size_t i = 0; i < m.n; i++) {
		struct nlattr *t = (struct nlattr *)m.tuples[i];

		nlh = ct_msg(buf, family, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
			     seq++);
		memcpy(mnl_nlmsg_get_payload_tail(nlh), t,
		       NLA_ALIGN(t->nla_len));
		nlh->nlmsg_len += NLA_ALIGN(t->nla_len);
		err = ct_talk(sk, nlh, NULL, NULL);
		if (!err)
			gone++;
		else if (err == -ENOENT) /* gone by itself meanwhile */
			err = 0;
		else
			break;
	}
out:
	for (size_t i = 0; i < m.n; i++)
		free(m.tuples[i]);
	free(m.tuples);
	mnl_socket_close(sk);
	if (deleted)
		*deleted = gone;
	return err;
}
