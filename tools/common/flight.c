/*
 * flight: the flight recorder (flight.h says what and how).
 */
#include "flight.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <lttng/lttng.h>

#include "jsonstr.h"
#include "numarg.h"
#include "trace_read.h"
#include "words.h"

#define FL_CHANNEL "flight"
#define FL_EVENTS "libsched:*"
#define FL_CHECK_EVENT "libsched:loop_check"
/* A notification whose snapshot directory is not there yet is retried
 * this long (the snapshot action runs before the notify action, so it
 * should always be there). */
#define FL_FIND_MS 5000
/* At the end: how long a notification that may be on its way is waited
 * for, once a snapshot directory without one is seen. */
#define FL_DRAIN_MS 2000
#define FL_DESTROY_MS 10000
/* Room kept besides a full snapshot: the metadata and the marker. */
#define FL_ROOM (1u << 20)

/* The captured fields of loop_check, in capture order. */
enum {
	C_LOOP, C_KIND, C_ID, C_PRIO, C_RUN, C_DELAY, C_WAITING,
	C_WAITING_PRIO, C_WAIT, C_NOW, C_COUNT
};
static const char *const cap_names[C_COUNT] = {
	"loop", "kind", "id", "prio", "run", "delay", "waiting",
	"waiting_prio", "wait", "now",
};

struct fl_fire {
	bool have;              /* captured values known */
	int64_t v[C_COUNT];
	int rule;               /* index, -1 unknown */
	int64_t since_ms;       /* when the notification came */
};

struct fl_recorder {
	struct fl_config cfg;
	struct fl_rule rules[FL_MAX_RULES];
	char outdir[PATH_MAX];
	char snapdir[PATH_MAX + 80]; /* OUT/.SESSION: the daemon's output */
	bool snapdir_made;
	char session[64];
	bool session_created;
	pid_t pid;              /* tracked; 0 all; FL_PID_LATER not yet */
	pid_t cmd_pid;          /* the marker's pid: tracked, or fl_track()'s */

	struct lttng_notification_channel *nch;
	struct lttng_condition *subscribed; /* the condition subscribed to */
	struct lttng_trigger *trigger;      /* armed, or NULL */
	char trigger_name[96];
	unsigned triggers_made;
	bool closed;            /* the notification channel closed */

	bool stopping;          /* fl_stop() runs: never arm again */
	int64_t started_ms;     /* when the pid was tracked (mono_ms()) */
	bool rearm;             /* arm once rearm_at_ms has come */
	int64_t rearm_at_ms;
	bool pending;           /* a fire whose directory is not found yet */
	struct fl_fire fire;

	struct fl_summary sum;
	struct fl_save last;
	bool have_last;
	uint64_t ring_bytes;    /* a snapshot's size at most */
};

/* ---- messages ----------------------------------------------------------- */

static void __attribute__((format(printf, 3, 0)))
vsay(fl_log_fn log, void *arg, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log)
		log(arg, line);
	else
		fprintf(stderr, "flight: %s\n", line);
}

static void __attribute__((format(printf, 2, 3)))
say(const struct fl_recorder *fr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fr->cfg.log, fr->cfg.log_arg, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
logline(fl_log_fn log, void *arg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(log, arg, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Negative codes from most calls, a positive enum lttng_error_code from
 * the newer ones: lttng_strerror() takes the negative form. */
static const char *lt_err(int code)
{
	return lttng_strerror(code < 0 ? code : -code);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Removes the directory tree at path (a snapshot that is no
 * save, a private snapshot directory). */
static int rm_entry(const char *p, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool recorder_gone(int pid, long long t);

/* ---- rules -------------------------------------------------------------- */

static const struct {
	const char *name;
	enum fl_rule_kind kind;
} rule_names[] = {
	{ "starve", FL_STARVE },
	{ "run", FL_RUN },
	{ "backlog", FL_BACKLOG },
};

int fl_rule_parse(const char *s, struct fl_rule *out, char *err,
		  size_t errlen)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 } };
	const char *gt = strchr(s, '>');
	char num[32];
	size_t nlen, ulen, i;
	const char *u;
	double v;

	memset(out, 0, sizeof(*out));
	if (!gt) {
		seterr(err, errlen, "rule '%s': expected starve>DUR, run>DUR "
		       "or backlog>DUR (DUR like 150ms)", s);
		return -1;
	}
	for (i = 0; i < sizeof(rule_names) / sizeof(rule_names[0]); i++)
		if (strlen(rule_names[i].name) == (size_t)(gt - s) &&
		    !strncmp(s, rule_names[i].name, (size_t)(gt - s)))
			break;
	if (i == sizeof(rule_names) / sizeof(rule_names[0])) {
		seterr(err, errlen, "rule '%s': unknown measure '%.*s' "
		       "(expected starve, run or backlog)", s,
		       (int)(gt - s), s);
		return -1;
	}
	out->kind = rule_names[i].kind;
	/* The number, then the unit. */
	u = gt + 1;
	while (*u && (*u == '.' || *u == '-' || (*u >= '0' && *u <= '9')))
		u++;
	nlen = (size_t)(u - gt - 1);
	if (!nlen || nlen >= sizeof(num)) {
		seterr(err, errlen, "rule '%s': expected a duration after "
		       "'>' (a number and ns, us, ms or s)", s);
		return -1;
	}
	memcpy(num, gt + 1, nlen);
	num[nlen] = '\0';
	ulen = strlen(u);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(u, units[i].unit))
			break;
	if (!tn_decimal(num) || !ulen ||
	    i == sizeof(units) / sizeof(units[0])) {
		seterr(err, errlen, "rule '%s': bad duration '%s' (a plain "
		       "decimal number with ns, us, ms or s, e.g. 150ms)", s,
		       gt + 1);
		return -1;
	}
	v = strtod(num, NULL) * units[i].ns;
	if (!(v >= 1) || v > 3600e9) {
		seterr(err, errlen, "rule '%s': the duration must be at least "
		       "1 ns and at most 1 hour", s);
		return -1;
	}
	out->ns = (int64_t)v;
	if (strlen(s) >= sizeof(out->text)) {
		seterr(err, errlen, "rule '%.20s...': too long", s);
		return -1;
	}
	snprintf(out->text, sizeof(out->text), "%s", s);
	return 0;
}

int fl_rules_filter(const struct fl_rule *rules, size_t n, char *buf,
		    size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *sep = i ? " || " : "";
		int w;

		switch (rules[i].kind) {
		case FL_STARVE:
			w = snprintf(buf + off, off < len ? len - off : 0,
				     "%swait > %lld", sep,
				     (long long)rules[i].ns);
			break;
		case FL_RUN:
			w = snprintf(buf + off, off < len ? len - off : 0,
				     "%srun > %lld", sep,
				     (long long)rules[i].ns);
			break;
		default:
			w = snprintf(buf + off, off < len ? len - off : 0,
				     "%s(kind == 1 && delay > %lld)", sep,
				     (long long)rules[i].ns);
			break;
		}
		if (w < 0)
			return w;
		off += (size_t)w;
	}
	return (int)off;
}

/* Whether rule r holds on the captured values. */
static bool rule_holds(const struct fl_rule *r, const int64_t *v)
{
	switch (r->kind) {
	case FL_STARVE:
		return v[C_WAIT] > r->ns;
	case FL_RUN:
		return v[C_RUN] > r->ns;
	default:
		return v[C_KIND] == 1 && v[C_DELAY] > r->ns;
	}
}

/* ---- the session -------------------------------------------------------- */

int fl_track_vpid(const char *session, pid_t pid)
{
	struct lttng_process_attr_tracker_handle *t = NULL;
	enum lttng_process_attr_tracker_handle_status st;
	enum lttng_error_code ret;

	ret = lttng_session_get_tracker_handle(session, LTTNG_DOMAIN_UST,
				LTTNG_PROCESS_ATTR_VIRTUAL_PROCESS_ID, &t);
	if (ret != LTTNG_OK)
		return -(int)ret;
	if (pid <= 0)
		st = lttng_process_attr_tracker_handle_set_tracking_policy(t,
				LTTNG_TRACKING_POLICY_INCLUDE_SET);
	else
		st = lttng_process_attr_virtual_process_id_tracker_handle_add_pid(
				t, pid);
	lttng_process_attr_tracker_handle_destroy(t);
	switch (st) {
	case LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_OK:
	case LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_EXISTS:
		return 0;
	case LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_SESSION_DOES_NOT_EXIST:
		return -LTTNG_ERR_SESS_NOT_FOUND;
	case LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_COMMUNICATION_ERROR:
		return -LTTNG_ERR_NO_SESSIOND;
	default:
		return -LTTNG_ERR_INVALID;
	}
}

int fl_enable_libsched(struct lttng_handle *h, const char *channel,
		       const char **what)
{
	static const enum lttng_event_context_type ctxs[] = {
		LTTNG_EVENT_CONTEXT_VTID,
		LTTNG_EVENT_CONTEXT_VPID,
		LTTNG_EVENT_CONTEXT_PROCNAME,
	};
	static char check_name[] = FL_CHECK_EVENT;
	char *excl[] = { check_name };
	struct lttng_event *ev;
	int ret;

	/* Every libsched event but loop_check, which is for triggers (an
	 * event notifier in the program, not a session's buffers). */
	*what = "the events " FL_EVENTS " but " FL_CHECK_EVENT;
	ev = lttng_event_create();
	if (!ev)
		return -LTTNG_ERR_NOMEM;
	ev->type = LTTNG_EVENT_TRACEPOINT;
	snprintf(ev->name, sizeof(ev->name), "%s", FL_EVENTS);
	ev->loglevel_type = LTTNG_EVENT_LOGLEVEL_ALL;
	ev->loglevel = -1;
	ret = lttng_enable_event_with_exclusions(h, ev, channel, NULL, 1, excl);
	lttng_event_destroy(ev);
	if (ret < 0)
		return ret;

	*what = "the vtid, vpid and procname contexts";
	for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++) {
		struct lttng_event_context ctx;

		memset(&ctx, 0, sizeof(ctx));
		ctx.ctx = ctxs[i];
		ret = lttng_add_context(h, &ctx, NULL, channel);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int session_create(struct fl_recorder *fr, char *err, size_t errlen)
{
	struct lttng_session_descriptor *desc;
	struct lttng_domain dom;
	struct lttng_handle *h = NULL;
	struct lttng_channel *chan = NULL;
	const char *what;
	int ret;

	snprintf(fr->session, sizeof(fr->session), "schedprof-%d-%lld",
		 (int)getpid(), (long long)time(NULL));
	/* The session's own snapshot output: LTTng names every snapshot
	 * snapshot-1-<second>-<seq>, so two recorders writing to one
	 * directory could not tell theirs apart. */
	if (snprintf(fr->snapdir, sizeof(fr->snapdir), "%s/.%s", fr->outdir,
		     fr->session) >= (int)sizeof(fr->snapdir) ||
	    mkdir(fr->snapdir, 0700) < 0) {
		seterr(err, errlen, "cannot create %s: %s", fr->snapdir,
		       strerror(errno));
		return -1;
	}
	fr->snapdir_made = true;
	desc = lttng_session_descriptor_snapshot_local_create(fr->session,
							      fr->snapdir);
	if (!desc) {
		seterr(err, errlen, "cannot describe an LTTng snapshot "
		       "session saving to %s", fr->snapdir);
		return -1;
	}
	ret = lttng_create_session_ext(desc);
	lttng_session_descriptor_destroy(desc);
	if (ret != LTTNG_OK) {
		seterr(err, errlen, "cannot create LTTng snapshot session "
		       "%s: %s", fr->session, lt_err(ret));
		return -1;
	}
	fr->session_created = true;

	memset(&dom, 0, sizeof(dom));
	dom.type = LTTNG_DOMAIN_UST;
	dom.buf_type = LTTNG_BUFFER_PER_UID;
	what = "a handle";
	h = lttng_create_handle(fr->session, &dom);
	if (!h) {
		ret = -LTTNG_ERR_NOMEM;
		goto fail;
	}
	/* Overwrite mode and mmap output: what a snapshot session takes. No
	 * switch timer (one on the metadata channel deadlocked the consumer
	 * of lttng 2.13.9 on this machine, MACHINE-NOTES.md). */
	what = "the channel " FL_CHANNEL;
	chan = lttng_channel_create(&dom);
	if (!chan) {
		ret = -LTTNG_ERR_NOMEM;
		goto fail;
	}
	snprintf(chan->name, sizeof(chan->name), "%s", FL_CHANNEL);
	chan->attr.overwrite = 1;
	chan->attr.output = LTTNG_EVENT_MMAP;
	chan->attr.subbuf_size = (uint64_t)fr->cfg.subbuf_mb << 20;
	chan->attr.num_subbuf = fr->cfg.num_subbuf;
	ret = lttng_enable_channel(h, chan);
	if (ret < 0)
		goto fail;

	ret = fl_enable_libsched(h, FL_CHANNEL, &what);
	if (ret < 0)
		goto fail;
	if (fr->pid != 0) {
		what = "the process tracker";
		ret = fl_track_vpid(fr->session, 0);
		if (ret >= 0 && fr->pid != FL_PID_LATER)
			ret = fl_track_vpid(fr->session, fr->pid);
		if (ret < 0)
			goto fail;
	}
	what = "tracing";
	ret = lttng_start_tracing(fr->session);
	if (ret < 0)
		goto fail;
	lttng_channel_destroy(chan);
	lttng_destroy_handle(h);
	return 0;

fail:
	seterr(err, errlen, "LTTng session %s: cannot enable %s: %s",
	       fr->session, what, lt_err(ret));
	if (chan)
		lttng_channel_destroy(chan);
	if (h)
		lttng_destroy_handle(h);
	return -1;
}

/* The channel's count of discarded events (0 if unknown). */
static uint64_t channel_discarded(const struct fl_recorder *fr)
{
	struct lttng_domain dom;
	struct lttng_handle *h;
	struct lttng_channel *chans = NULL;
	uint64_t d = 0, total = 0;
	int n;

	memset(&dom, 0, sizeof(dom));
	dom.type = LTTNG_DOMAIN_UST;
	dom.buf_type = LTTNG_BUFFER_PER_UID;
	h = lttng_create_handle(fr->session, &dom);
	if (!h)
		return 0;
	n = lttng_list_channels(h, &chans);
	for (int i = 0; i < n; i++)
		if (!strcmp(chans[i].name, FL_CHANNEL) &&
		    lttng_channel_get_discarded_event_count(&chans[i], &d) == 0)
			total += d;
	free(chans);
	lttng_destroy_handle(h);
	return total;
}

static void session_destroy(struct fl_recorder *fr)
{
	struct lttng_destruction_handle *dh = NULL;
	enum lttng_destruction_handle_status st;
	int ret;

	if (!fr->session_created)
		return;
	lttng_stop_tracing_no_wait(fr->session);
	ret = lttng_destroy_session_ext(fr->session, &dh);
	if (ret != LTTNG_OK) {
		say(fr, "cannot destroy LTTng session %s: %s (run: lttng "
		    "destroy %s)", fr->session, lt_err(ret), fr->session);
		return;
	}
	fr->session_created = false;
	/* A snapshot session writes nothing at its end: the wait is short,
	 * and bounded. */
	st = lttng_destruction_handle_wait_for_completion(dh, FL_DESTROY_MS);
	if (st != LTTNG_DESTRUCTION_HANDLE_STATUS_COMPLETED)
		say(fr, "warning: LTTng had not completed the destruction of "
		    "session %s after %d s", fr->session, FL_DESTROY_MS / 1000);
	lttng_destruction_handle_destroy(dh);
}

/* ---- the trigger -------------------------------------------------------- */

/* The condition: loop_check, the rules ORed (and the pid), captures. */
static struct lttng_condition *make_condition(const struct fl_recorder *fr,
					      char *err, size_t errlen)
{
	struct lttng_event_rule *rule;
	struct lttng_condition *cond = NULL;
	char rules[1024], filter[1200];

	fl_rules_filter(fr->rules, fr->cfg.nrules, rules, sizeof(rules));
	if (fr->pid > 0)
		snprintf(filter, sizeof(filter), "$ctx.vpid == %d && (%s)",
			 (int)fr->pid, rules);
	else
		snprintf(filter, sizeof(filter), "%s", rules);
	rule = lttng_event_rule_user_tracepoint_create();
	if (!rule ||
	    lttng_event_rule_user_tracepoint_set_name_pattern(rule,
				FL_CHECK_EVENT) != LTTNG_EVENT_RULE_STATUS_OK ||
	    lttng_event_rule_user_tracepoint_set_filter(rule, filter) !=
				LTTNG_EVENT_RULE_STATUS_OK) {
		seterr(err, errlen, "cannot make the trigger's event rule "
		       "(filter: %s)", filter);
		goto out;
	}
	cond = lttng_condition_event_rule_matches_create(rule);
	if (!cond) {
		seterr(err, errlen, "cannot make the trigger's condition");
		goto out;
	}
	for (int i = 0; i < C_COUNT; i++) {
		struct lttng_event_expr *e =
			lttng_event_expr_event_payload_field_create(
				cap_names[i]);

		/* The condition owns the expression once appended. */
		if (!e || lttng_condition_event_rule_matches_append_capture_descriptor(
				  cond, e) != LTTNG_CONDITION_STATUS_OK) {
			lttng_event_expr_destroy(e);
			lttng_condition_destroy(cond);
			cond = NULL;
			seterr(err, errlen, "cannot capture loop_check.%s",
			       cap_names[i]);
			goto out;
		}
	}
out:
	lttng_event_rule_destroy(rule);
	return cond;
}

static int arm(struct fl_recorder *fr, char *err, size_t errlen)
{
	struct lttng_condition *cond;
	struct lttng_action *list = NULL, *snap = NULL, *notify = NULL;
	struct lttng_rate_policy *once = NULL;
	struct lttng_trigger *trig = NULL;
	enum lttng_notification_channel_status nst;
	int ret = -1, lret;

	cond = make_condition(fr, err, errlen);
	if (!cond)
		return -1;
	once = lttng_rate_policy_once_after_n_create(1);
	list = lttng_action_list_create();
	snap = lttng_action_snapshot_session_create();
	notify = lttng_action_notify_create();
	if (!once || !list || !snap || !notify ||
	    lttng_action_snapshot_session_set_session_name(snap,
				fr->session) != LTTNG_ACTION_STATUS_OK ||
	    lttng_action_snapshot_session_set_rate_policy(snap, once) !=
				LTTNG_ACTION_STATUS_OK ||
	    lttng_action_notify_set_rate_policy(notify, once) !=
				LTTNG_ACTION_STATUS_OK ||
	    lttng_action_list_add_action(list, snap) !=
				LTTNG_ACTION_STATUS_OK ||
	    lttng_action_list_add_action(list, notify) !=
				LTTNG_ACTION_STATUS_OK) {
		seterr(err, errlen, "cannot make the trigger's actions");
		goto out;
	}
	/* The notifications of this condition: subscribed once (every
	 * arming has the same condition), and before the first trigger is
	 * registered, or one that fires at once (a program already
	 * starving at the attach) would make a save nobody is told of. */
	if (!fr->subscribed) {
		nst = lttng_notification_channel_subscribe(fr->nch, cond);
		if (nst != LTTNG_NOTIFICATION_CHANNEL_STATUS_OK &&
		    nst != LTTNG_NOTIFICATION_CHANNEL_STATUS_ALREADY_SUBSCRIBED) {
			seterr(err, errlen, "cannot subscribe to the "
			       "notifications of the flight trigger "
			       "(status %d)", (int)nst);
			goto out;
		}
		/* The recorder keeps this reference; the trigger takes
		 * its own. */
		fr->subscribed = cond;
		cond = NULL;
	}
	trig = lttng_trigger_create(cond ? cond : fr->subscribed, list);
	if (!trig) {
		seterr(err, errlen, "cannot make the trigger");
		goto out;
	}
	snprintf(fr->trigger_name, sizeof(fr->trigger_name), "%s-%u",
		 fr->session, ++fr->triggers_made);
	lret = lttng_register_trigger_with_name(trig, fr->trigger_name);
	if (lret != LTTNG_OK) {
		seterr(err, errlen, "cannot register LTTng trigger %s: %s",
		       fr->trigger_name, lt_err(lret));
		goto out;
	}
	fr->trigger = trig;
	trig = NULL;
	ret = 0;
out:
	lttng_trigger_destroy(trig);
	lttng_action_destroy(list); /* the list holds references */
	lttng_action_destroy(snap);
	lttng_action_destroy(notify);
	lttng_rate_policy_destroy(once);
	lttng_condition_destroy(cond);
	return ret;
}

static void disarm(struct fl_recorder *fr)
{
	int ret;

	if (!fr->trigger)
		return;
	ret = lttng_unregister_trigger(fr->trigger);
	if (ret < 0 && ret != -LTTNG_ERR_TRIGGER_NOT_FOUND)
		say(fr, "cannot unregister LTTng trigger %s: %s (run: lttng "
		    "remove-trigger %s)", fr->trigger_name, lt_err(ret),
		    fr->trigger_name);
	lttng_trigger_destroy(fr->trigger);
	fr->trigger = NULL;
}

/* Free space on the output's file system: UINT64_MAX if unknown. */
static uint64_t space_free(const char *dir)
{
	struct statvfs vfs;

	if (statvfs(dir, &vfs) < 0)
		return UINT64_MAX;
	return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

static bool room_for_save(struct fl_recorder *fr)
{
	uint64_t left = space_free(fr->outdir);

	if (left == UINT64_MAX || left >= fr->ring_bytes + FL_ROOM)
		return true;
	if (!fr->sum.disk_low)
		say(fr, "%s: No space left on device (ENOSPC): %.1f MiB free, "
		    "a save may take %.1f MiB: no more saves", fr->outdir,
		    (double)left / (1 << 20),
		    (double)(fr->ring_bytes + FL_ROOM) / (1 << 20));
	fr->sum.disk_low = true;
	return false;
}

/* Arms if the recording may still save. */
static void arm_if_allowed(struct fl_recorder *fr)
{
	char err[512];

	fr->rearm = false;
	if (fr->closed || fr->stopping || fr->pid == FL_PID_LATER)
		return;
	if (fr->sum.saves - fr->sum.exit_saves >= fr->cfg.max_saves) {
		fr->sum.max_reached = true;
		return;
	}
	if (!room_for_save(fr))
		return;
	if (arm(fr, err, sizeof(err)) < 0)
		say(fr, "%s: no more saves", err);
}

/* ---- saves -------------------------------------------------------------- */

/* The snapshot directory the daemon wrote last and we did not rename:
 * "snapshot-N-..." with the smallest N, into name. Only in the
 * session's own output directory: another recorder's are never ours. */
static bool find_snapshot(const struct fl_recorder *fr, char *name,
			  size_t len)
{
	DIR *d = opendir(fr->snapdir);
	struct dirent *e;
	long best = -1;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		long n;
		char *end;

		if (strncmp(e->d_name, "snapshot-", 9))
			continue;
		n = strtol(e->d_name + 9, &end, 10);
		if (end == e->d_name + 9 || *end != '-')
			continue;
		if (best < 0 || n < best) {
			best = n;
			snprintf(name, len, "%s", e->d_name);
		}
	}
	closedir(d);
	return best >= 0;
}

/* Writes the marker into the directory s->path: to a temporary name,
 * renamed to FL_MARKER once whole. Returns 0, or an errno value. */
static int write_marker(struct fl_recorder *fr, const struct fl_save *s,
			const struct fl_fire *fire, const char *saved_at)
{
	char path[sizeof(s->path) + sizeof(FL_MARKER) + 1];
	char tmp[sizeof(path) + 8];
	FILE *f;
	int bad, e;

	snprintf(path, sizeof(path), "%s/%s", s->path, FL_MARKER);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return errno ? errno : EIO;
	fprintf(f, "{\n  \"schedprof_flight\": 1,\n  \"save\": %u,\n"
		"  \"rule\": ", s->number);
	tj_str(f, s->rule);
	fputs(",\n  \"rules\": [", f);
	for (size_t i = 0; i < fr->cfg.nrules; i++) {
		fputs(i ? ", " : "", f);
		tj_str(f, fr->rules[i].text);
	}
	fputs("],\n  \"saved_at\": ", f);
	tj_str(f, saved_at);
	fprintf(f, ",\n  \"pid\": %d", (int)fr->cmd_pid);
	if (fire && fire->have) {
		const int64_t *v = fire->v;

		fprintf(f, ",\n  \"loop\": \"0x%llx\",\n  \"time\": %lld,\n"
			"  \"kind\": %lld, \"id\": %llu, ",
			(unsigned long long)v[C_LOOP], (long long)v[C_NOW],
			(long long)v[C_KIND], (unsigned long long)v[C_ID]);
		/* First-class posted work has no scheduler priority
		 * (loop_check.prio -1): "prio" is then absent, as the
		 * readers take a priority from 0 to 7 only. */
		if (v[C_PRIO] >= 0)
			fprintf(f, "\"prio\": %lld, ", (long long)v[C_PRIO]);
		fprintf(f, "\"run\": %lld, \"delay\": %lld,\n"
			"  \"waiting\": %llu, \"waiting_prio\": %lld, "
			"\"wait\": %lld",
			(long long)v[C_RUN], (long long)v[C_DELAY],
			(unsigned long long)v[C_WAITING],
			(long long)v[C_WAITING_PRIO], (long long)v[C_WAIT]);
	}
	fprintf(f, ",\n  \"discarded\": %llu\n}\n",
		(unsigned long long)s->discarded);
	errno = 0;
	bad = fflush(f) != 0 || ferror(f);
	e = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad && rename(tmp, path) < 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		unlink(tmp);
		return e ? e : EIO;
	}
	return 0;
}

/* Reads the save: its events, span and discarded events. */
static void measure_save(struct fl_save *s)
{
	struct tr_reader *r = tr_reader_new();
	const struct tr_stats *st;

	s->span_ns = -1;
	if (!r)
		return;
	if (tr_reader_add_path(r, s->path) >= 0 &&
	    tr_reader_run(r, NULL) >= 0) {
		st = tr_reader_stats(r);
		s->events = st->events;
		if (st->events)
			s->span_ns = st->last_ts - st->first_ts;
		if (st->discarded_events > s->discarded)
			s->discarded = st->discarded_events;
	}
	tr_reader_free(r);
}

/* The highest NNN of the flight-NNN-... directories in dir (0: none). */
static unsigned last_save_number(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned best = 0, n;
	int len;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "flight-%u-%n", &n, &len) == 1 &&
		    len > 7 && n > best)
			best = n;
	closedir(d);
	return best;
}

/* Renames the snapshot from to OUT/flight-NNN-stamp, NNN the first above
 * every save in OUT: under an exclusive flock() of OUT, so that two
 * recorders saving to one directory never take the same number. The
 * path into to. Returns 0 or an errno value. */
static int move_save(struct fl_recorder *fr, const char *from,
		     const char *stamp, char *to, size_t len)
{
	int dfd = open(fr->outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int e = 0;

	if (dfd < 0)
		return errno;
	if (flock(dfd, LOCK_EX) < 0) {
		e = errno;
		close(dfd);
		return e;
	}
	if (snprintf(to, len, "%s/flight-%03u-%s", fr->outdir,
		     last_save_number(fr->outdir) + 1, stamp) >= (int)len)
		e = ENAMETOOLONG;
	else if (renameat2(AT_FDCWD, from, AT_FDCWD, to,
			   RENAME_NOREPLACE) < 0)
		e = errno;
	flock(dfd, LOCK_UN);
	close(dfd);
	return e;
}

/*
 * Makes a save of the snapshot directory snap: measures it, writes its
 * marker inside it, and only then renames it to flight-NNN-DATE (a save
 * is complete once it has that name). rule: the rule's text. fire: the
 * captured values, or NULL (the exit save). Returns true if it made a
 * save; false if the snapshot could not become one (no readable events
 * or metadata, or no marker: a full disk): it is then removed, counted
 * as incomplete and said. fr->last is the save only when true.
 */
static bool make_save(struct fl_recorder *fr, const char *snap,
		      const char *rule, const struct fl_fire *fire)
{
	struct fl_save *s = &fr->last;
	char from[PATH_MAX + 256], to[sizeof(s->path)], stamp[32],
		saved_at[32];
	time_t t = time(NULL);
	struct tm tm;
	int e = 0;

	fr->have_last = false;
	memset(s, 0, sizeof(*s));
	s->number = fr->sum.saves + 1;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	gmtime_r(&t, &tm);
	strftime(saved_at, sizeof(saved_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(from, sizeof(from), "%s/%s", fr->snapdir, snap);
	if (snprintf(s->path, sizeof(s->path), "%s", from) >=
		    (int)sizeof(s->path))
		e = ENAMETOOLONG;
	snprintf(s->rule, sizeof(s->rule), "%s", rule);
	s->discarded = channel_discarded(fr);
	if (!e) {
		measure_save(s);
		if (s->span_ns < 0)
			/* No event or no metadata could be read: what a
			 * snapshot cut short by a full disk leaves. */
			e = space_free(fr->outdir) < FL_ROOM ? ENOSPC : ENODATA;
	}
	if (!e)
		e = write_marker(fr, s, fire, saved_at);
	if (!e)
		e = move_save(fr, from, stamp, to, sizeof(to));
	if (e) {
		fr->sum.incomplete++;
		say(fr, "save %u incomplete: %s (%s); its snapshot %s %s",
		    s->number, strerror(e), rule, from,
		    rm_tree(from) == 0 ? "is removed" :
		    "could not be removed");
		return false;
	}
	snprintf(s->path, sizeof(s->path), "%s", to);
	fr->sum.saves++;
	fr->have_last = true;
	if (s->discarded > fr->sum.discarded)
		fr->sum.discarded = s->discarded;
	say(fr, "save %u (%s): %s, %.2f s, %llu %s, %llu discarded",
	    s->number, s->rule, s->path,
	    s->span_ns >= 0 ? (double)s->span_ns / 1e9 : 0.0,
	    (unsigned long long)s->events,
	    tw_noun(s->events, "event", "events"),
	    (unsigned long long)s->discarded);
	/* Short of --keep only says the ring wrapped if the recording is
	 * older than --keep (with half a second for the program's start):
	 * a program that had not run that long is no sign of it. */
	if (fr->cfg.keep_ns > 0 && s->span_ns < fr->cfg.keep_ns &&
	    fr->started_ms > 0 &&
	    (mono_ms() - fr->started_ms) * 1000000 > fr->cfg.keep_ns +
						      500000000)
		say(fr, "warning: save %u holds %.2f s, less than --keep %.2f "
		    "s: the ring buffers filled sooner; give a bigger "
		    "--buffer-size (now %u MiB x %u sub-buffers per CPU)",
		    s->number, s->span_ns >= 0 ? (double)s->span_ns / 1e9 : 0.0,
		    (double)fr->cfg.keep_ns / 1e9, fr->cfg.subbuf_mb,
		    fr->cfg.num_subbuf);
	return true;
}

/* The captured values of a notification into fire. */
static void read_captures(const struct lttng_notification *n,
			  struct fl_fire *fire)
{
	const struct lttng_evaluation *ev = lttng_notification_get_evaluation(
		(struct lttng_notification *)n);
	const struct lttng_event_field_value *arr = NULL;
	unsigned len = 0;

	fire->have = false;
	if (!ev || lttng_evaluation_event_rule_matches_get_captured_values(
			   ev, &arr) != LTTNG_EVALUATION_EVENT_RULE_MATCHES_STATUS_OK ||
	    lttng_event_field_value_array_get_length(arr, &len) !=
			   LTTNG_EVENT_FIELD_VALUE_STATUS_OK ||
	    len != C_COUNT)
		return;
	for (unsigned i = 0; i < len; i++) {
		const struct lttng_event_field_value *v = NULL;
		uint64_t u;
		int64_t s;

		if (lttng_event_field_value_array_get_element_at_index(arr, i,
				&v) != LTTNG_EVENT_FIELD_VALUE_STATUS_OK)
			return;
		switch (lttng_event_field_value_get_type(v)) {
		case LTTNG_EVENT_FIELD_VALUE_TYPE_UNSIGNED_INT:
		case LTTNG_EVENT_FIELD_VALUE_TYPE_UNSIGNED_ENUM:
			if (lttng_event_field_value_unsigned_int_get_value(v,
					&u) != LTTNG_EVENT_FIELD_VALUE_STATUS_OK)
				return;
			fire->v[i] = (int64_t)u;
			break;
		case LTTNG_EVENT_FIELD_VALUE_TYPE_SIGNED_INT:
		case LTTNG_EVENT_FIELD_VALUE_TYPE_SIGNED_ENUM:
			if (lttng_event_field_value_signed_int_get_value(v,
					&s) != LTTNG_EVENT_FIELD_VALUE_STATUS_OK)
				return;
			fire->v[i] = s;
			break;
		default:
			return;
		}
	}
	fire->have = true;
}

/* Whether the notification is of our trigger (another recorder of the
 * same user may have subscribed an equal condition). */
static bool ours(const struct fl_recorder *fr,
		 const struct lttng_notification *n)
{
	const struct lttng_trigger *t = lttng_notification_get_trigger(
		(struct lttng_notification *)n);
	const char *name = NULL;
	size_t len = strlen(fr->session);

	if (!t || lttng_trigger_get_name(t, &name) != LTTNG_TRIGGER_STATUS_OK ||
	    !name)
		return false;
	return !strncmp(name, fr->session, len) && name[len] == '-';
}

/* A fire: which rule; then the save, now or at a later poll. Returns 1
 * if a save was made, 0 if not (not yet, or missed). */
static int handle_fire(struct fl_recorder *fr)
{
	char snap[300];
	const char *rule;
	int made = 0;

	if (!find_snapshot(fr, snap, sizeof(snap))) {
		if (mono_ms() - fr->fire.since_ms < FL_FIND_MS)
			return 0; /* again at the next poll */
		fr->pending = false;
		fr->sum.missed++;
		say(fr, "warning: trigger fired (%s), but the session "
		    "daemon's snapshot is not in %s: no save",
		    fr->fire.rule >= 0 ? fr->rules[fr->fire.rule].text : "?",
		    fr->outdir);
		goto rearm;
	}
	fr->pending = false;
	rule = fr->fire.rule >= 0 ? fr->rules[fr->fire.rule].text : "unknown";
	made = make_save(fr, snap, rule, &fr->fire);
	if (made && fr->fire.rule >= 0)
		fr->sum.fired[fr->fire.rule]++;
rearm:
	fr->rearm = true;
	fr->rearm_at_ms = mono_ms() + fr->cfg.hold_off_ms;
	return made;
}

/* Whether a channel status means the session daemon is gone: CLOSED,
 * or ERROR (what lttng-ctl 2.13 returns on the socket's EOF, never
 * CLOSED) with no session daemon alive. Says so once. */
static bool daemon_gone(struct fl_recorder *fr,
			enum lttng_notification_channel_status st)
{
	if (st != LTTNG_NOTIFICATION_CHANNEL_STATUS_CLOSED &&
	    (st != LTTNG_NOTIFICATION_CHANNEL_STATUS_ERROR ||
	     lttng_session_daemon_alive() > 0))
		return false;
	fr->closed = true;
	say(fr, "the session daemon went away: no more saves");
	return true;
}

static int take_notification(struct fl_recorder *fr)
{
	struct lttng_notification *n = NULL;
	enum lttng_notification_channel_status st;
	bool pending = false;

	st = lttng_notification_channel_has_pending_notification(fr->nch,
								 &pending);
	if (daemon_gone(fr, st))
		return -1;
	if (st != LTTNG_NOTIFICATION_CHANNEL_STATUS_OK || !pending)
		return 0;
	st = lttng_notification_channel_get_next_notification(fr->nch, &n);
	if (daemon_gone(fr, st))
		return -1;
	if (st == LTTNG_NOTIFICATION_CHANNEL_STATUS_NOTIFICATIONS_DROPPED)
		say(fr, "warning: LTTng dropped notifications");
	if (st != LTTNG_NOTIFICATION_CHANNEL_STATUS_OK || !n)
		return 0;
	if (!ours(fr, n)) {
		lttng_notification_destroy(n);
		return 0;
	}
	/* The trigger's actions ran once (once-after:1): it is spent. */
	disarm(fr);
	memset(&fr->fire, 0, sizeof(fr->fire));
	read_captures(n, &fr->fire);
	lttng_notification_destroy(n);
	fr->fire.rule = -1;
	for (size_t i = 0; fr->fire.have && i < fr->cfg.nrules; i++)
		if (rule_holds(&fr->rules[i], fr->fire.v)) {
			fr->fire.rule = (int)i;
			break;
		}
	if (!fr->fire.have)
		say(fr, "warning: the trigger's notification carries no "
		    "captured values: the save's marker will not say which "
		    "loop_check fired it");
	fr->fire.since_ms = mono_ms();
	fr->pending = true;
	return 1;
}

int fl_poll(struct fl_recorder *fr)
{
	int saves = 0;

	if (fr->closed)
		return -1;
	for (;;) {
		if (fr->pending) {
			int r = handle_fire(fr);

			if (fr->pending)
				break; /* its directory is not there yet */
			saves += r;
			continue;
		}
		int t = take_notification(fr);

		if (t < 0)
			return -1;
		if (t == 0)
			break;
	}
	if (!fr->pending && fr->rearm && !fr->trigger &&
	    mono_ms() >= fr->rearm_at_ms)
		arm_if_allowed(fr);
	return saves;
}

/* ---- the recorder ------------------------------------------------------- */

/* Removes the private snapshot directories OUT/.schedprof-PID-TIME of
 * recorders that no longer run (killed with SIGKILL): what they hold is
 * no save, and never becomes one. */
static void reap_snapdirs(struct fl_recorder *fr)
{
	DIR *d = opendir(fr->outdir);
	struct dirent *e;
	char path[PATH_MAX + 300];
	long long t;
	int pid, len;

	if (!d)
		return;
	while ((e = readdir(d))) {
		len = 0;
		if (sscanf(e->d_name, ".schedprof-%d-%lld%n", &pid, &t,
			   &len) != 2 || e->d_name[len] ||
		    !recorder_gone(pid, t))
			continue;
		snprintf(path, sizeof(path), "%s/%s", fr->outdir, e->d_name);
		if (rm_tree(path) == 0)
			say(fr, "removed %s, left by a recorder that no longer "
			    "runs (pid %d): no save", path, pid);
	}
	closedir(d);
}

int fl_start(const struct fl_config *cfg, struct fl_recorder **out,
	     char *err, size_t errlen)
{
	struct fl_recorder *fr;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	*out = NULL;
	if (!cfg->nrules || cfg->nrules > FL_MAX_RULES || !cfg->subbuf_mb ||
	    !cfg->num_subbuf || !cfg->max_saves || cfg->hold_off_ms < 0 ||
	    !cfg->outdir || cfg->outdir[0] != '/') {
		seterr(err, errlen, "flight recorder: bad configuration");
		return -1;
	}
	fr = calloc(1, sizeof(*fr));
	if (!fr) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	fr->cfg = *cfg;
	memcpy(fr->rules, cfg->rules, cfg->nrules * sizeof(*fr->rules));
	fr->cfg.rules = fr->rules;
	snprintf(fr->outdir, sizeof(fr->outdir), "%s", cfg->outdir);
	fr->pid = cfg->pid;
	fr->cmd_pid = cfg->pid > 0 ? cfg->pid : 0;
	if (ncpu < 1)
		ncpu = 1;
	fr->ring_bytes = (uint64_t)ncpu * cfg->num_subbuf *
			 ((uint64_t)cfg->subbuf_mb << 20);
	fr->nch = lttng_notification_channel_create(
		lttng_session_daemon_notification_endpoint);
	if (!fr->nch) {
		seterr(err, errlen, "cannot open the LTTng notification "
		       "channel (is the session daemon 2.13 or newer?)");
		free(fr);
		return -1;
	}
	reap_snapdirs(fr);
	if (session_create(fr, err, errlen) < 0)
		goto fail;
	if (fr->pid != FL_PID_LATER)
		fr->started_ms = mono_ms();
	if (fr->pid != FL_PID_LATER) {
		if (!room_for_save(fr)) {
			seterr(err, errlen, "%s: No space left on device "
			       "(ENOSPC): a save may take %.1f MiB",
			       fr->outdir, (double)(fr->ring_bytes + FL_ROOM) /
			       (1 << 20));
			goto fail;
		}
		if (arm(fr, err, errlen) < 0)
			goto fail;
	}
	*out = fr;
	return 0;
fail:
	session_destroy(fr);
	if (fr->snapdir_made)
		rm_tree(fr->snapdir);
	lttng_notification_channel_destroy(fr->nch);
	lttng_condition_destroy(fr->subscribed);
	free(fr);
	return -1;
}

const char *fl_session_name(const struct fl_recorder *fr)
{
	return fr->session;
}

int fl_track(struct fl_recorder *fr, pid_t pid, char *err, size_t errlen)
{
	int ret;

	if (fr->pid == 0 && pid > 0 && !fr->cmd_pid) {
		fr->cmd_pid = pid; /* every process is recorded already */
		return 0;
	}
	if (fr->pid != FL_PID_LATER || pid <= 0) {
		seterr(err, errlen, "flight recorder: a pid is tracked "
		       "already");
		return -1;
	}
	ret = fl_track_vpid(fr->session, pid);
	if (ret < 0) {
		seterr(err, errlen, "LTTng session %s: cannot track pid %d: "
		       "%s", fr->session, (int)pid, lt_err(ret));
		return -1;
	}
	fr->pid = pid;
	fr->cmd_pid = pid;
	fr->started_ms = mono_ms();
	if (!room_for_save(fr)) {
		seterr(err, errlen, "%s: No space left on device (ENOSPC): a "
		       "save may take %.1f MiB", fr->outdir,
		       (double)(fr->ring_bytes + FL_ROOM) / (1 << 20));
		return -1;
	}
	return arm(fr, err, errlen);
}

const struct fl_save *fl_last_save(const struct fl_recorder *fr)
{
	return fr->have_last ? &fr->last : NULL;
}

void fl_get_summary(const struct fl_recorder *fr, struct fl_summary *sum)
{
	*sum = fr->sum;
}

int fl_stop(struct fl_recorder *fr, bool save, struct fl_summary *sum)
{
	char snap[300];
	int64_t deadline;
	int ret = 0;

	if (!fr)
		return 0;
	/* No arming from here on: a save handled by the drain below would
	 * otherwise arm at once with --hold-off 0, and that trigger would
	 * outlive the recorder. */
	fr->stopping = true;
	disarm(fr);
	fr->rearm = false;
	/* A fire before the disarming: its snapshot may be written and its
	 * notification on its way. */
	deadline = mono_ms() + FL_DRAIN_MS;
	while (!fr->closed) {
		fl_poll(fr);
		fr->rearm = false;
		if (!fr->pending && !find_snapshot(fr, snap, sizeof(snap)))
			break;
		if (mono_ms() >= deadline) {
			if (fr->pending) {
				fr->fire.since_ms -= FL_FIND_MS;
				handle_fire(fr);
			} else {
				make_save(fr, snap, "unknown", NULL);
			}
			continue;
		}
		usleep(20000);
	}
	fr->rearm = false;
	disarm(fr); /* none should be armed; never leave one behind */
	if (save && fr->session_created) {
		int r;

		if (!room_for_save(fr)) {
			say(fr, "no exit save: not enough room in %s",
			    fr->outdir);
		} else if ((r = lttng_snapshot_record(fr->session, NULL, 1)) <
			   0) {
			say(fr, "cannot take the exit snapshot of session %s: "
			    "%s", fr->session, lt_err(r));
		} else if (!find_snapshot(fr, snap, sizeof(snap))) {
			say(fr, "the exit snapshot is not in %s", fr->outdir);
		} else if (make_save(fr, snap, "exit", NULL)) {
			fr->sum.exit_saves = 1;
		}
	}
	if (fr->session_created) {
		uint64_t d = channel_discarded(fr);

		if (d > fr->sum.discarded)
			fr->sum.discarded = d;
	}
	session_destroy(fr);
	if (fr->session_created)
		ret = -1;
	if (fr->snapdir_made && rm_tree(fr->snapdir) < 0 && errno != ENOENT)
		say(fr, "cannot remove %s: %s", fr->snapdir, strerror(errno));
	if (fr->subscribed && !fr->closed)
		lttng_notification_channel_unsubscribe(fr->nch, fr->subscribed);
	lttng_condition_destroy(fr->subscribed);
	lttng_notification_channel_destroy(fr->nch);
	if (sum)
		*sum = fr->sum;
	free(fr);
	return ret;
}

/* ---- what dead recorders left ------------------------------------------- */

/* Whether the recorder pid, whose session or trigger was made at t (s since
 * the epoch), is gone: no such process, or a later one with its pid. */
static bool recorder_gone(int pid, long long t)
{
	int64_t started;

	if (pid <= 0 || pid == getpid())
		return false;
	started = tr_process_start_time(pid);
	/* A second of slack: the two clocks round differently. */
	return !(started >= 0 && started <= t + 1);
}

void fl_reap_stale(fl_log_fn log, void *arg)
{
	struct lttng_triggers *triggers = NULL;
	struct lttng_session *list = NULL;
	unsigned count = 0;
	int n;

	if (lttng_list_triggers(&triggers) == LTTNG_OK &&
	    lttng_triggers_get_count(triggers, &count) ==
		    LTTNG_TRIGGER_STATUS_OK) {
		for (unsigned i = 0; i < count; i++) {
			const struct lttng_trigger *t =
				lttng_triggers_get_at_index(triggers, i);
			const char *name = NULL;
			long long when;
			unsigned k;
			int pid, len = 0, ret;

			if (!t || lttng_trigger_get_name(t, &name) !=
					  LTTNG_TRIGGER_STATUS_OK || !name ||
			    sscanf(name, "schedprof-%d-%lld-%u%n", &pid, &when,
				   &k, &len) != 3 || name[len] ||
			    !recorder_gone(pid, when))
				continue;
			ret = lttng_unregister_trigger(t);
			if (ret < 0 && ret != -LTTNG_ERR_TRIGGER_NOT_FOUND)
				logline(log, arg, "cannot remove LTTng trigger "
					"%s, left by a schedprof that no longer "
					"runs (pid %d): %s (run: lttng "
					"remove-trigger %s)", name, pid,
					lt_err(ret), name);
			else if (ret >= 0)
				logline(log, arg, "removed LTTng trigger %s, "
					"left by a schedprof that no longer runs "
					"(pid %d)", name, pid);
		}
	}
	lttng_triggers_destroy(triggers);

	n = lttng_list_sessions(&list);
	for (int i = 0; i < n; i++) {
		const char *name = list[i].name;
		uint64_t created;
		long long t;
		int pid, len = 0, ret;

		if (sscanf(name, "schedprof-%d-%lld%n", &pid, &t, &len) != 2 ||
		    name[len])
			continue;
		if (lttng_session_get_creation_time(&list[i], &created) !=
		    LTTNG_OK)
			created = (uint64_t)t;
		if (!recorder_gone(pid, (long long)created))
			continue;
		ret = lttng_destroy_session_no_wait(name);
		if (ret < 0 && ret != -LTTNG_ERR_SESS_NOT_FOUND)
			logline(log, arg, "cannot destroy LTTng session %s, "
				"left by a schedprof that no longer runs (pid "
				"%d): %s", name, pid, lt_err(ret));
		else if (ret >= 0)
			/* A flight (snapshot) session has no trace path:
			 * its saves are already complete directories. */
			logline(log, arg, "destroyed LTTng session %s, left "
				"by a schedprof that no longer runs (pid %d; "
				"%s%s)", name, pid,
				list[i].path[0] ? "its trace stays in " :
						  "a flight recorder's: its "
						  "saves stay as they are",
				list[i].path);
	}
	free(list);
}
