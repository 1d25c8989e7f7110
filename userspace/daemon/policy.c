// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy.c - the trust policy: a device's trust score (0..100, from the
 * SIEM through the API or lowered by posture drift) and what it leads to.
 * Below [policy] quarantine_below the device is quarantined, below
 * revoke_below revoked, through the same steps as `tpctl device revoke`.
 * The policy only ever makes a status stricter: raising a score does not
 * re-activate a quarantined device (an admin does, with tpctl).
 *
 * Posture drift: what the agent reports (HELLO and POSTURE) is compared
 * with the enrolled properties. Another serial number or model means the
 * certificate is on another machine (cloned); an older OS version is a
 * downgrade; another OS a change. Each lowers the score by its weight;
 * then drift_action acts: quarantine, revoke, or lower-trust (the
 * thresholds decide). A property that was never enrolled, or that the
 * agent does not report, is not compared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "daemon/daemon.h"
#include "lib/events.h"
#include "lib/registry.h"

static int strictness(int status)
{
	return status == REG_DEV_REVOKED       ? 2
	       : status == REG_DEV_QUARANTINED ? 1
					       : 0;
}

/* The status the thresholds call for at score, or -1 for none. */
static int threshold_status(int score)
{
	const struct tp_policy_config *p = &tpd->cfg.policy;

	if ((unsigned int)score < p->revoke_below)
		return REG_DEV_REVOKED;
	if ((unsigned int)score < p->quarantine_below)
		return REG_DEV_QUARANTINED;
	return -1;
}

static void trust_event(const struct reg_device *d, int from, int to,
			const char *reason, const char *actor)
{
	struct ev_field f[] = {{"trust_from", NULL, from},
			       {"trust_to", NULL, to}};
	struct ev_record r = {
		.action = "trust-changed",
		.category = "iam",
		.outcome = "success",
		.reason = reason,
		.actor = actor,
		.extra = f,
		.nextra = 2,
	};
	struct ev_where w;

	tpd->stats.trust_changes++;
	where_of_device(d->id, &w);
	evlog(&r, d, &w);
}

/*
 * Score and status in one registry transaction, then the cut and the
 * events. target < 0 or not stricter than d's status: the score only.
 */
static int apply(const struct reg_device *d, int score, int target,
		 const char *why, const char *actor, struct json_object *out,
		 char *err, size_t errlen)
{
	char detail[600];
	int ret;

	if (d->status == REG_DEV_REVOKED) {
		snprintf(err, errlen,
			 "%s is revoked: a revoked device stays revoked",
			 d->name);
		return -EPERM;
	}
	if (target >= 0 && strictness(target) <= strictness(d->status))
		target = -1;
	snprintf(detail, sizeof(detail), "trust %d -> %d: %s", d->trust, score,
		 why);
	if (target >= 0)
		reg_defer_sync(tpd->reg); /* flushed after the eviction */
	ret = reg_begin(tpd->reg);
	if (ret) {
		snprintf(err, errlen, "registry busy");
		registry_flush();
		return ret;
	}
	ret = reg_device_update(tpd->reg, d->id, NULL, NULL, score, NULL, 0,
				actor);
	if (!ret && target >= 0)
		/* privilegeWithdrawn: the key is not known to be compromised */
		ret = reg_device_set_status(tpd->reg, d->id, target,
					    REG_REASON_PRIVILEGE_WITHDRAWN,
					    actor, detail);
	if (!ret)
		ret = reg_commit(tpd->reg);
	if (ret) {
		reg_rollback(tpd->reg);
		snprintf(err, errlen, "cannot set the trust of %s: %s", d->name,
			 ret == -EPERM ? "status change not allowed"
				       : reg_errmsg(tpd->reg));
		registry_flush();
		return ret;
	}
	trust_event(d, d->trust, score, why, actor);
	if (out) {
		json_object_object_add(out, "trust",
				       json_object_new_int(score));
		json_object_object_add(out, "trust_was",
				       json_object_new_int(d->trust));
	}
	if (target >= 0) {
		device_status_done(d, target, detail, actor, out);
	} else if (out) {
		json_object_object_add(out, "device",
				       json_object_new_string(d->uuid));
		json_object_object_add(out, "name",
				       json_object_new_string(d->name));
		json_object_object_add(
			out, "status",
			json_object_new_string(reg_dev_status_name(d->status)));
	}
	return 0;
}

int policy_set_trust(const struct reg_device *d, int score, const char *reason,
		     const char *actor, struct json_object *out, char *err,
		     size_t errlen)
{
	if (score < 0 || score > 100) {
		snprintf(err, errlen, "score must be 0..100");
		return -EINVAL;
	}
	return apply(d, score, threshold_status(score), reason ? reason : "",
		     actor, out, err, errlen);
}

/* Dotted versions, part by part as numbers: "9.10" > "9.9", "12" < "12.1". */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10);
		unsigned long y = strtoul(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		/* skip what is not a number (".", "-rc1"'s letters) */
		while (*a && (*a < '0' || *a > '9'))
			a++;
		while (*b && (*b < '0' || *b > '9'))
			b++;
	}
	return 0;
}

static const char *prop(const struct reg_device *d, const char *key)
{
	for (size_t i = 0; i < d->nprops; i++)
		if (!strcmp(d->props[i].key, key) && d->props[i].value[0])
			return d->props[i].value;
	return NULL;
}

struct drift {
	unsigned int penalty;
	int n;
	char what[512];
};

static void drift_add(struct drift *dr, unsigned int weight, const char *key,
		      const char *enrolled, const char *seen)
{
	size_t len = strlen(dr->what);

	dr->penalty += weight;
	snprintf(dr->what + len, sizeof(dr->what) - len,
		 "%s%s: enrolled '%.48s', reported '%.48s'",
		 dr->n++ ? "; " : "", key, enrolled, seen);
}

void policy_posture(struct session *s, const struct proto_posture *p)
{
	const struct tp_policy_config *pc = &tpd->cfg.policy;
	const char *e, *os;
	struct drift dr = {};
	struct reg_device d;
	char err[256];
	int score, target;

	if (reg_device_get_id(tpd->reg, s->device_id, &d))
		return;
	if (d.status != REG_DEV_ACTIVE)
		goto out;
	e = prop(&d, REG_PROP_SERIAL);
	if (e && p->serial_number[0] && strcmp(e, p->serial_number))
		drift_add(&dr, pc->w_serial_mismatch, "serial_number", e,
			  p->serial_number);
	e = prop(&d, REG_PROP_MODEL);
	if (e && p->model[0] && strcmp(e, p->model))
		drift_add(&dr, pc->w_model_mismatch, "model", e, p->model);
	os = prop(&d, REG_PROP_OS);
	if (os && p->os[0] && strcmp(os, p->os))
		drift_add(&dr, pc->w_os_change, "os", os, p->os);
	e = prop(&d, REG_PROP_OS_VERSION);
	/* a version of another OS says nothing about a downgrade */
	if (e && p->os_version[0] && (!os || !p->os[0] || !strcmp(os, p->os)) &&
	    version_cmp(p->os_version, e) < 0)
		drift_add(&dr, pc->w_os_downgrade, "os_version", e,
			  p->os_version);
	if (!dr.n)
		goto out;
	score = d.trust > (int)dr.penalty ? d.trust - (int)dr.penalty : 0;
	tpd->stats.drifts++;
	{
		struct ev_field f[] = {{"penalty", NULL, dr.penalty},
				       {"trust_to", NULL, score},
				       {"drift_action",
					drift_action_name(pc->drift_action),
					0}};
		struct ev_record r = {
			.action = "posture-drift",
			.category = "host,configuration",
			.kind = "alert",
			.outcome = "failure",
			.reason = dr.what,
			.actor = "policy",
			.extra = f,
			.nextra = 3,
		};
		struct ev_where w;

		where_of_session(s, &w);
		evlog(&r, &d, &w);
	}
	log_msg("device %s: posture drift (%s): trust %d -> %d, %s", d.name,
		dr.what, d.trust, score, drift_action_name(pc->drift_action));
	target = pc->drift_action == TP_DRIFT_QUARANTINE ? REG_DEV_QUARANTINED
		 : pc->drift_action == TP_DRIFT_REVOKE
			 ? REG_DEV_REVOKED
			 : threshold_status(score);
	if (apply(&d, score, target, dr.what, "policy:posture-drift", NULL, err,
		  sizeof(err)))
		log_msg("device %s: posture drift: %s", d.name, err);
out:
	reg_device_free(&d);
}
