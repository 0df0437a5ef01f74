/*
 * schedtop's trace source: a recorded trace (schedprof record, or any LTTng
 * session with the libsched provider) stepped through in trace time. The
 * events the BPF programs see live (task_fire_begin, task_fire_end,
 * perform_enqueue, loop_sleep) go through the same aggregation (model.h),
 * and every event also feeds the analysis core (tools/common/analysis),
 * which knows what the probes cannot: the exact ready-queue depth, when a
 * priority began to wait, and whom to blame for a starvation.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "flightmark.h"
#include "schedtop.h"
#include "trace_read.h"

/* The name and kind of a run in progress, by process, loop and task. */
struct open_run {
	int64_t vpid;
	uint64_t loop, task;
	int32_t kind;
	bool used;
	char name[ST_NAME_LEN];
};

struct tsrc {
	const struct st_opts *o;
	struct st_run *run;
	struct an *an;
	struct st_snap model;  /* the aggregation, as the BPF maps hold it */
	struct st_snap snap;   /* what a frame sees */
	uint64_t epoch;
	int64_t start, next;   /* the first event; the next frame's end */
	int64_t last_t;        /* the latest event */
	int64_t interval;
	struct open_run *open;
	size_t openmask;       /* table size - 1 (a power of two) */
	size_t nopen;
	uint64_t discarded;
	bool started, stop, nomem;
	struct fm_set flight;  /* the saves among the traces */
	size_t flight_next;    /* the next one to raise (by time) */
	/* A frame's snapshot waits until the next one is taken, so that a
	 * short tail can be merged into it (tail_frame()): pending holds it,
	 * pending_alerts the alerts raised by then, pending_gap the start the
	 * frame after it takes when a gap was skipped (else -1). */
	struct st_snap pending;
	bool has_pending;
	uint64_t pending_alerts;
	int64_t pending_gap;
	/* On the screen: every frame shown, to step back and forth; pos is
	 * the one on the screen. */
	struct st_frame *hist;
	size_t nhist, caphist, pos;
	enum { GO_NONE, GO_END, GO_ALERT } seek;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static size_t open_hash(int64_t vpid, uint64_t loop, uint64_t task)
{
	uint64_t h = (uint64_t)vpid * 0x9e3779b97f4a7c15ULL ^ loop ^
		     task * 0xff51afd7ed558ccdULL;

	return (size_t)(h ^ (h >> 29));
}

static struct open_run *open_find(struct tsrc *s, int64_t vpid,
				  uint64_t loop, uint64_t task, bool add)
{
	size_t i = open_hash(vpid, loop, task) & s->openmask;

	if (add && (s->nopen + 1) * 2 > s->openmask + 1) {
		size_t size = (s->openmask + 1) * 2;
		struct open_run *t = calloc(size, sizeof(*t)), *old = s->open;

		if (!t)
			return NULL;
		for (size_t k = 0; k <= s->openmask; k++) {
			size_t j;

			if (!old[k].used)
				continue;
			j = open_hash(old[k].vpid, old[k].loop, old[k].task) &
			    (size - 1);
			while (t[j].used)
				j = (j + 1) & (size - 1);
			t[j] = old[k];
		}
		free(old);
		s->open = t;
		s->openmask = size - 1;
		i = open_hash(vpid, loop, task) & s->openmask;
	}
	while (s->open[i].used) {
		if (s->open[i].vpid == vpid && s->open[i].loop == loop &&
		    s->open[i].task == task)
			return &s->open[i];
		i = (i + 1) & s->openmask;
	}
	if (!add)
		return NULL;
	s->open[i].used = true;
	s->open[i].vpid = vpid;
	s->open[i].loop = loop;
	s->open[i].task = task;
	s->nopen++;
	return &s->open[i];
}

/* Removes an entry, keeping the linear probing chains whole. */
static void open_del(struct tsrc *s, struct open_run *e)
{
	size_t i = (size_t)(e - s->open), j = i;

	s->open[i].used = false;
	s->nopen--;
	for (;;) {
		size_t k;

		j = (j + 1) & s->openmask;
		if (!s->open[j].used)
			return;
		k = open_hash(s->open[j].vpid, s->open[j].loop,
			      s->open[j].task) & s->openmask;
		/* Move j back to i unless its home lies cyclically in
		 * (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->open[i] = s->open[j];
		s->open[j].used = false;
		i = j;
	}
}

static const struct an_loop *an_loop_of(const struct tsrc *s, int64_t vpid,
					uint64_t addr)
{
	const struct an_result *res = an_current(s->an);

	for (size_t i = 0; i < res->nloops; i++)
		if (res->loops[i]->addr == addr && res->loops[i]->vpid == vpid)
			return res->loops[i];
	return NULL;
}

/*
 * Raises the alert of each flight-recorder save whose trigger comes before
 * the frame ending at t (all that are left when all), at the trigger's
 * time: the rule that fired and what the loop was doing, with the names
 * the analysis knows by then. A save at exit, or of another process than
 * -p asks for, has no moment: at exit it is raised with the last frame.
 */
static void flight_alerts(struct tsrc *s, int64_t t, bool all)
{
	const struct an_result *res = an_current(s->an);

	for (; s->flight_next < s->flight.n; s->flight_next++) {
		const struct fm_mark *m = &s->flight.v[s->flight_next];
		const struct an_loop *l;
		struct st_alert a = { .kind = ST_ALERT_FLIGHT, .prio = -1 };
		char extra[sizeof(((struct st_alert_ent *)0)->text)];
		char what[400], name[64];
		bool timed = m->has_time && !fm_is_exit(m);

		if (s->o->pid >= 0 && m->pid != s->o->pid)
			continue;
		/* Sorted by time, those without one last. */
		if (!all && (!timed || m->time > t))
			break;
		l = fm_loop(m, res);
		a.loop = m->has_loop ? m->loop : l ? l->addr : 0;
		if (fm_is_exit(m)) {
			snprintf(extra, sizeof(extra), " %" PRId64 ": saved "
				 "when the recording ended (--save-on-exit)",
				 m->save);
		} else {
			if (m->has_waiting && m->waiting &&
			    !strncmp(m->rule, "starve", 6)) {
				a.prio = m->waiting_prio;
				a.task = m->waiting;
				a.dur = m->wait;
				snprintf(a.name, sizeof(a.name), "%s",
					 fm_task_name(l, m->waiting, name,
						      sizeof(name)));
			} else if (m->has_run) {
				a.prio = m->prio;
				a.task = m->id;
				a.dur = m->kind ? m->delay : m->run;
				if (!m->kind)
					snprintf(a.name, sizeof(a.name), "%s",
						 fm_task_name(l, m->id, name,
							      sizeof(name)));
			}
			snprintf(extra, sizeof(extra), " %" PRId64 ": rule %s "
				 "fired: %s", m->save, m->rule,
				 fm_what(m, l, what, sizeof(what)));
		}
		/* A marker's times are anyone's: no overflow. */
		if (!timed || __builtin_sub_overflow(m->time, a.dur, &a.start))
			a.start = timed ? m->time : s->last_t;
		st_alert_raise(&s->run->alerts, &a, timed ? m->time : s->last_t,
			       extra);
	}
}

static void show(struct tsrc *s, size_t pos)
{
	struct st_run *r = s->run;

	s->pos = pos;
	r->shown = &s->hist[pos];
	r->view.frame_no = pos + 1;
	r->view.frames = s->nhist;
	r->view.at_end = r->view.trace_done && pos + 1 == s->nhist;
	st_screen_draw(r, r->shown);
}

/* The first frame after pos that raised an alert, or nhist. */
static size_t next_alert(const struct tsrc *s, size_t pos)
{
	for (size_t i = pos + 1; i < s->nhist; i++)
		if (s->hist[i].alerts_to > s->hist[i].alerts_from)
			return i;
	return s->nhist;
}

/*
 * The screen over the frames read so far, until the next frame must be
 * read (true) or the user quits (false). Playing, a frame per pace_ms;
 * the keys step, jump and seek (ST_ACT_*). When done (every event read),
 * the last frame stays with its end-of-trace marker until q.
 */
static bool navigate(struct tsrc *s, bool done)
{
	struct st_run *r = s->run;
	struct st_view *v = &r->view;
	int rc;

	if (s->seek != GO_NONE) {
		size_t head = s->nhist ? s->nhist - 1 : 0;

		if (s->seek == GO_ALERT && s->nhist &&
		    next_alert(s, s->pos) <= head) {
			s->seek = GO_NONE;
			r->quiet = false;
			show(s, next_alert(s, s->pos));
		} else if (done) {
			s->seek = GO_NONE;
			r->quiet = false;
			if (s->nhist)
				show(s, head);
		} else {
			/* Seeking (fast: no drawing). The keys typed meanwhile
			 * wait for its end, so that they act on the frame it
			 * reaches; a signal still stops it. */
			return !got_signal;
		}
	}
	for (;;) {
		bool head = s->pos + 1 >= s->nhist;

		rc = st_run_wait(r, -1, v->paused || (head && done) ? 200 :
						v->pace_ms);
		if (rc == ST_WAIT_QUIT || got_signal)
			return false;
		if (rc == ST_WAIT_TIMEOUT && !v->paused) {
			if (!head)
				show(s, s->pos + 1);
			else if (!done)
				return true;
			continue;
		}
		if (rc != ST_WAIT_ACTION)
			continue;
		switch (r->action) {
		case ST_ACT_STEP:
			v->paused = true;
			if (!head)
				show(s, s->pos + 1);
			else if (!done)
				return true;
			break;
		case ST_ACT_BACK:
			v->paused = true;
			if (s->pos)
				show(s, s->pos - 1);
			break;
		case ST_ACT_START:
			if (s->nhist)
				show(s, 0);
			break;
		case ST_ACT_END:
			if (done) {
				show(s, s->nhist - 1);
				break;
			}
			s->seek = GO_END;
			s->pos = s->nhist - 1;
			r->quiet = true;
			return true;
		case ST_ACT_NEXT_ALERT:
			if (next_alert(s, s->pos) < s->nhist) {
				show(s, next_alert(s, s->pos));
				break;
			}
			if (done)
				break;
			s->seek = GO_ALERT;
			s->pos = s->nhist - 1;
			r->quiet = true;
			return true;
		default:
			break;
		}
	}
}

/* Shows the frame from the run's previous snapshot to cur, with the
 * alerts raised before alerts_to; on the screen, keeps it in the history
 * and lets the user move about. False: stop reading. */
static bool emit(struct tsrc *s, struct st_snap *cur, uint64_t alerts_to)
{
	struct st_run *r = s->run;

	if (!st_run_frame_upto(r, cur, 0, alerts_to)) {
		s->stop = true;
		return false;
	}
	if (!r->screen)
		return !got_signal;
	if (s->nhist == s->caphist) {
		size_t cap = s->caphist ? s->caphist * 2 : 64;
		struct st_frame *h = realloc(s->hist, cap * sizeof(*h));

		if (!h) {
			s->nomem = true;
			s->stop = true;
			return false;
		}
		s->hist = h;
		s->caphist = cap;
	}
	if (!st_frame_dup(&s->hist[s->nhist], &r->last)) {
		s->nomem = true;
		s->stop = true;
		return false;
	}
	s->nhist++;
	r->view.frames = s->nhist;
	if (s->seek == GO_NONE)
		show(s, s->nhist - 1);
	/* The last frame: the caller navigates, the trace done. */
	if (r->view.trace_done)
		return true;
	if (!navigate(s, false)) {
		s->stop = true;
		return false;
	}
	return true;
}

/* The snapshot of the frame ending at t, in s->snap, with the alerts the
 * analysis and the ongoing checks raise by then. */
static bool take(struct tsrc *s, int64_t t)
{
	const struct an_result *res = an_current(s->an);

	flight_alerts(s, t, false);
	if (!st_snap_copy(&s->snap, &s->model)) {
		s->nomem = true;
		return false;
	}
	s->snap.t = t;
	s->snap.epoch = s->epoch++;
	s->snap.lost_trace = res->discarded_events;
	/* What the analysis knows exactly: the ready depth, and since when
	 * each priority has waited without a run. */
	for (size_t i = 0; i < s->snap.nloops; i++) {
		struct st_loop_ent *e = &s->snap.loops[i];
		const struct an_loop *l = an_loop_of(s, e->vpid, e->addr);

		if (!l)
			continue;
		e->depth_exact = true;
		for (int q = 0; q < ST_PRIOS; q++) {
			e->depth[q] = l->prio[q].cur_depth;
			e->v.prio[q].ready_since =
				l->wait_since[q] >= 0 ? l->wait_since[q] : 0;
		}
	}
	st_check_ongoing(s->run, &s->snap, s->o->long_task_ns, s->o->starve_ns);
	if (res->discarded_events > s->discarded) {
		struct st_alert a = {
			.kind = ST_ALERT_LOST,
			.dur = (int64_t)(res->discarded_events - s->discarded),
		};

		st_alert_raise(&s->run->alerts, &a, t, " (discarded by the tracer)");
		s->discarded = res->discarded_events;
	}
	return true;
}

/* Shows the pending frame, if any; the frame after it starts at the end of
 * a skipped gap. */
static bool flush_pending(struct tsrc *s)
{
	if (!s->has_pending)
		return true;
	s->has_pending = false;
	if (!emit(s, &s->pending, s->pending_alerts))
		return false;
	if (s->pending_gap >= 0)
		s->run->prev.t = s->pending_gap;
	return true;
}

/* The frame ending at t: the one before it is shown now, this one once
 * the next is taken or the trace ends. */
static bool frame(struct tsrc *s, int64_t t)
{
	if (!take(s, t))
		return false;
	if (!flush_pending(s))
		return false;
	if (!st_snap_copy(&s->pending, &s->snap)) {
		s->nomem = true;
		return false;
	}
	s->has_pending = true;
	s->pending_alerts = s->run->alerts.total;
	s->pending_gap = -1;
	return !got_signal;
}

/*
 * The end of the trace, at t. The tail after the last whole frame is
 * shown merged into that frame when shorter than half an interval (a
 * frame of a few ms would show rates from a handful of events: one post
 * in 24 ms is "42 posts/s"); a longer tail is a frame of its own, its
 * rates over its own length. Nothing is merged across a skipped gap.
 */
static void tail_frame(struct tsrc *s, int64_t t)
{
	struct st_run *r = s->run;

	if (s->has_pending && s->pending_gap < 0 &&
	    t - s->pending.t < s->interval / 2) {
		if (!take(s, t > s->pending.t ? t : s->pending.t))
			return;
		/* The maxima of the pending frame's epoch and of the tail's,
		 * the next (model.h, struct st_maxes). */
		s->snap.epoch = s->pending.epoch;
		s->has_pending = false;
		emit(s, &s->snap, r->alerts.total);
		return;
	}
	if (!flush_pending(s))
		return;
	if (t > r->prev.t || r->alerts.total > r->alerts_shown) {
		if (take(s, t > r->prev.t ? t : r->prev.t + 1))
			emit(s, &s->snap, r->alerts.total);
	}
}

/* The runs the detail lists at most. */
#define DETAIL_RUNS 200
#define ST_STR_(x) #x
#define ST_STR(x) ST_STR_(x)

/* The detail of a task as of t1 (st_detail_fn): its runs up to t1, latest
 * first, each with its wait and what ran while it waited; then its waits
 * of at least --starve with the analysis's blame. */
static void trace_detail(void *arg, const struct st_frame_loop *fl,
			 const struct st_task_key *k, int64_t t1, char *buf,
			 size_t len)
{
	const struct tsrc *s = arg;
	const struct an_loop *l = an_loop_of(s, fl->vpid, fl->addr);
	size_t n = 0, shown = 0, nruns = 0, first = 0;
	char a[32], b[32];

	buf[0] = '\0';
	if (!l)
		return;
	for (size_t i = 0; i < l->nruns && l->runs[i].begin <= t1; i++)
		if (l->runs[i].task &&
		    !strncmp(l->runs[i].task->name, k->name, ST_NAME_LEN - 1) &&
		    l->runs[i].task->kind == k->kind) {
			nruns++;
			first = i;
		}
	n += (size_t)snprintf(buf + n, len - n, "\nruns up to t=%.3fs: %zu%s; "
			      "the latest first, with what ran while each "
			      "waited (the three longest):\n%-10s %9s %9s  %s\n",
			      (double)(t1 - s->start) / 1e9, nruns,
			      nruns > DETAIL_RUNS ? " (the latest "
			      ST_STR(DETAIL_RUNS) " shown)" : "", "BEGIN",
			      "WAIT", "RUN", "WAITED BEHIND");
	/* Walk back from the latest run up to t1. */
	for (size_t i = first + 1; i-- > 0 && shown < DETAIL_RUNS && n < len;) {
		const struct an_run *ru = &l->runs[i];
		int64_t wait;
		size_t m;

		if (!ru->task || ru->begin > t1 ||
		    strncmp(ru->task->name, k->name, ST_NAME_LEN - 1) ||
		    ru->task->kind != k->kind)
			continue;
		wait = ru->ready_at >= 0 ? ru->begin - ru->ready_at : -1;
		n += (size_t)snprintf(buf + n, len - n, "t=%-8.3f %9s %9s ",
				      (double)(ru->begin - s->start) / 1e9,
				      wait >= 0 ? st_fmt_ns(wait, a, sizeof(a)) : "?",
				      st_fmt_ns(ru->end - ru->begin, b, sizeof(b)));
		/* What ran inside [ready_at, begin): the three tasks that
		 * ran longest in it, summed over the whole wait. */
		m = 0;
		if (wait > 0 && n < len) {
			int w = st_waited_behind(l->runs, i, buf + n, len - n);

			m = w > 0 ? (size_t)w : 0;
			n += strlen(buf + n);
		}
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s\n",
					      m ? "" : "-");
		shown++;
	}
	if (n >= len)
		return;
	shown = 0;
	for (size_t i = 0; i < l->ntstarves && n < len; i++) {
		const struct an_task_starve *ts = &l->tstarves[i];
		char text[AN_EVIDENCE_LEN];

		if (!ts->task || ts->end > t1 || ts->open_at_end ||
		    strncmp(ts->task->name, k->name, ST_NAME_LEN - 1) ||
		    ts->task->kind != k->kind)
			continue;
		if (!shown++)
			n += (size_t)snprintf(buf + n, len - n,
					      "\nits waits of --starve or longer "
					      "(the analysis's blame):\n");
		an_task_starve_text(ts, text, sizeof(text));
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n,
					      "t=%.3fs waited %s%s: %s\n",
					      (double)(ts->start - s->start) / 1e9,
					      st_fmt_ns(ts->end - ts->start, a,
							sizeof(a)),
					      ts->restarted ? " (restarted)" : "",
					      text);
	}
}

/* The blame the analysis gives the starvation of prio that ended at t. */
static void blame_text(const struct tsrc *s, int64_t vpid, uint64_t loop,
		       int prio, int64_t t, char *buf, size_t len)
{
	const struct an_loop *l = an_loop_of(s, vpid, loop);
	const struct an_prio *p;
	const struct an_starve *st;
	size_t n = 0;

	buf[0] = '\0';
	if (!l || prio < 0 || prio >= ST_PRIOS)
		return;
	p = &l->prio[prio];
	if (!p->nstarves)
		return;
	st = &p->starves[p->nstarves - 1];
	if (st->end != t || !st->nblame)
		return;
	n = (size_t)snprintf(buf, len, "; ran meanwhile:");
	for (unsigned i = 0; i < st->nblame && n < len; i++) {
		char d[32];

		n += (size_t)snprintf(buf + n, len - n, "%s %s %s",
				      i ? "," : "",
				      st->blame[i].task ? st->blame[i].task->name :
							  "(performer work)",
				      st_fmt_ns(st->blame[i].ran_ns, d, sizeof(d)));
	}
}

/*
 * The run of task that began at begin ended a wait of at least the
 * threshold: the analysis kept it (an_task_starve, restarts while ready
 * included) with what ran meanwhile. Raises the alert naming the task,
 * with that blame; nothing if the analysis kept no such wait.
 */
static void task_starved_alert(struct tsrc *s, int64_t vpid, uint64_t loop,
			       uint64_t task, int64_t begin, uint32_t tid)
{
	const struct an_loop *l = an_loop_of(s, vpid, loop);
	const struct an_task_starve *ts;
	char extra[AN_EVIDENCE_LEN];
	struct st_alert a = { .kind = ST_ALERT_TASK_STARVED, .loop = loop,
			      .task = task, .tid = tid };
	size_t n;

	if (!l || !l->ntstarves)
		return;
	ts = &l->tstarves[l->ntstarves - 1];
	if (ts->task_id != task || ts->end != begin || ts->open_at_end)
		return;
	a.prio = ts->prio;
	a.start = ts->start;
	a.dur = ts->end - ts->start;
	snprintf(a.name, sizeof(a.name), "%s", ts->task->name);
	n = (size_t)snprintf(extra, sizeof(extra), "%s; meanwhile ",
			     ts->restarted ? " (restarted while ready)" : "");
	if (n < sizeof(extra))
		an_task_starve_text(ts, extra + n, sizeof(extra) - n);
	st_alert_raise(&s->run->alerts, &a, begin, extra);
}

static bool running(const struct tsrc *s)
{
	for (size_t i = 0; i < s->model.nloops; i++)
		if (s->model.loops[i].v.run_task)
			return true;
	return false;
}

static int on_event(const struct tr_event *ev, void *arg)
{
	struct tsrc *s = arg;
	int64_t vpid = ev->vpid, t = ev->clock_ns;
	struct st_loop_ent *le;

	if (s->o->pid >= 0 && vpid != s->o->pid)
		return 0;
	if (!s->started) {
		s->started = true;
		s->start = t;
		s->next = t + s->interval;
		s->run->trace_start = t;
		s->run->prev.t = t;
	}
	/* The process's name is its main thread's. */
	if (ev->procname && !s->run->view.comm[0] && ev->vtid == vpid)
		snprintf(s->run->view.comm, sizeof(s->run->view.comm), "%s",
			 ev->procname);
	while (t >= s->next) {
		if (!frame(s, s->next))
			return 1;
		s->next += s->interval;
		/* A gap with every loop idle (asleep, or between traces):
		 * frames of nothing are skipped, up to the one holding the
		 * next event. A gap during a run is shown: that run hangs. */
		if (t >= s->next + s->interval && !running(s)) {
			s->next += ((t - s->next) / s->interval + 1) *
				   s->interval;
			s->pending_gap = s->next - s->interval;
		}
	}
	s->last_t = t;
	if (an_feed(s->an, ev)) {
		s->nomem = true;
		return 1;
	}
	switch (ev->type) {
	case TR_EV_task_fire_begin: {
		const struct tr_ev_task_fire_begin *e = &ev->task_fire_begin;
		struct open_run *o = open_find(s, vpid, e->loop, e->task, true);
		int64_t start;

		le = st_snap_loop(&s->model, e->loop, vpid);
		if (!o || !le) {
			s->nomem = true;
			return 1;
		}
		if (ev->procname && !le->thread[0])
			snprintf(le->thread, sizeof(le->thread), "%s",
				 ev->procname);
		o->kind = e->kind;
		memset(o->name, 0, sizeof(o->name));
		snprintf(o->name, sizeof(o->name), "%s", e->name);
		start = st_begin(&le->v, e->task, e->prio, e->ready_at, e->begin,
				 e->queued, e->ready_mask,
				 ev->vtid >= 0 ? (uint32_t)ev->vtid : 0,
				 s->o->starve_ns, t);
		memcpy(le->v.run_name, o->name, ST_NAME_LEN);
		if (start) {
			struct st_alert a = {
				.kind = ST_ALERT_STARVED, .prio = e->prio,
				.loop = e->loop, .task = e->task,
				.start = start, .dur = e->begin - start,
				.tid = le->v.tid,
			};
			char extra[200];

			memcpy(a.name, o->name, ST_NAME_LEN);
			blame_text(s, vpid, e->loop, e->prio, e->begin, extra,
				   sizeof(extra));
			st_alert_raise(&s->run->alerts, &a, e->begin, extra);
		}
		task_starved_alert(s, vpid, e->loop, e->task, e->begin,
				   le->v.tid);
		break;
	}
	case TR_EV_task_fire_end: {
		const struct tr_ev_task_fire_end *e = &ev->task_fire_end;
		struct open_run *o = open_find(s, vpid, e->loop, e->task, false);
		struct st_task_key k;
		struct st_task_stat *ts;

		if (!o) {
			s->model.lost.unmatched++;
			break;
		}
		le = st_snap_loop(&s->model, e->loop, vpid);
		memset(&k, 0, sizeof(k));
		k.loop = e->loop;
		k.kind = o->kind;
		k.pid = vpid >= 0 ? (uint32_t)vpid : 0;
		memcpy(k.name, o->name, ST_NAME_LEN);
		open_del(s, o);
		ts = le ? st_snap_task(&s->model, &k) : NULL;
		if (!ts) {
			s->nomem = true;
			return 1;
		}
		if (st_end(&le->v, ts, e->prio, e->ready_at, e->begin, e->end,
			   e->checks, e->yields, e->overruns, s->epoch,
			   s->o->long_task_ns, t)) {
			struct st_alert a = {
				.kind = ST_ALERT_LONG_TASK, .prio = e->prio,
				.loop = e->loop, .task = e->task,
				.start = e->begin, .dur = e->end - e->begin,
				.tid = le->v.tid,
			};

			memcpy(a.name, k.name, ST_NAME_LEN);
			st_alert_raise(&s->run->alerts, &a, e->end, NULL);
		}
		break;
	}
	case TR_EV_perform_enqueue: {
		const struct st_loop_ent *c;

		/* As live: counted once the loop has run a task. */
		for (size_t i = 0; i < s->model.nloops; i++) {
			c = &s->model.loops[i];
			if (c->addr == ev->perform_enqueue.loop && c->vpid == vpid) {
				s->model.loops[i].v.posts++;
				break;
			}
		}
		break;
	}
	case TR_EV_loop_name:
		le = st_snap_loop(&s->model, ev->loop_name.loop, vpid);
		if (!le) {
			s->nomem = true;
			return 1;
		}
		snprintf(le->name, sizeof(le->name), "%s", ev->loop_name.name);
		break;
	case TR_EV_loop_sleep:
		for (size_t i = 0; i < s->model.nloops; i++)
			if (s->model.loops[i].addr == ev->loop_sleep.loop &&
			    s->model.loops[i].vpid == vpid) {
				le = &s->model.loops[i];
				/* Only the loop's thread sleeps in it: it
				 * names a loop that runs no task too. */
				if (ev->vtid >= 0 && !le->v.tid)
					le->v.tid = (uint32_t)ev->vtid;
				if (ev->procname && !le->thread[0])
					snprintf(le->thread, sizeof(le->thread),
						 "%s", ev->procname);
				st_sleep(&le->v, ev->loop_sleep.now, t);
			}
		break;
	default:
		break;
	}
	return got_signal ? 1 : 0;
}

static int on_discard(const struct tr_discard *d, void *arg)
{
	struct tsrc *s = arg;

	an_discard(s->an, d);
	return 0;
}

int st_trace_main(const struct st_opts *o)
{
	struct tr_handlers h = { .event = on_event, .discard = on_discard };
	struct an_config cfg;
	struct st_run run = { 0 };
	struct tsrc s = { 0 };
	struct sigaction sa = { 0 };
	struct tr_reader *r;
	char err[512];
	int rc, status = ST_EXIT_OK;

	r = tr_reader_new();
	an_config_default(&cfg);
	cfg.long_task_ns = o->long_task_ns;
	cfg.starve_ns = o->starve_ns;
	cfg.pid = o->pid;
	s.an = an_new(&cfg);
	s.openmask = 255;
	s.open = calloc(s.openmask + 1, sizeof(*s.open));
	if (!r || !s.an || !s.open) {
		st_error("out of memory");
		status = ST_EXIT_FAIL;
		goto out;
	}
	if (fm_find(o->paths, o->npaths, &s.flight, err, sizeof(err)) < 0) {
		st_error("%s", err);
		status = ST_EXIT_USAGE;
		goto out;
	}
	tr_reader_allow_merge(r, o->merge);
	for (int i = 0; i < o->npaths; i++) {
		rc = tr_reader_add_path(r, o->paths[i]);
		if (rc < 0) {
			st_error("%s", tr_reader_error(r));
			status = rc == TR_ERR_NOMEM ? ST_EXIT_FAIL : ST_EXIT_USAGE;
			goto out;
		}
	}
	if (o->merge)
		tr_reader_print_merged(r, stderr, "schedtop");
	s.o = o;
	s.run = &run;
	s.interval = (int64_t)(o->interval_s * 1e9);
	if (s.interval < 1)
		s.interval = 1;
	h.arg = &s;
	run.view.pace_ms = o->pace_ms;
	run.detail = trace_detail;
	run.detail_arg = &s;
	run.o = o;
	run.view.mode = "trace";
	run.view.pid = o->pid;
	run.sort = o->sort;
	run.filter_pid = o->pid;
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	run.screen = !o->batch && !o->json && st_screen_open();
	/* Stepping back shows each frame's own alerts. */
	run.alerts.keep_all = run.screen;
	rc = tr_reader_run(r, &h);
	if (s.nomem || run.failed) {
		st_screen_close();
		st_error("out of memory");
		status = ST_EXIT_FAIL;
		goto out;
	}
	if (rc < 0) {
		st_screen_close();
		st_error("%s", tr_reader_error(r));
		status = rc == TR_ERR_NOMEM ? ST_EXIT_FAIL : ST_EXIT_USAGE;
		goto out;
	}
	if (!s.started) {
		st_screen_close();
		if (o->pid >= 0)
			st_error("no libsched event of process %ld in the trace",
				 o->pid);
		else
			st_error("the trace holds no libsched event");
		status = ST_EXIT_USAGE;
		goto out;
	}
	/* The tail, up to the last event, with the saves that are left (at
	 * exit, or after the last event). */
	if (!s.stop && !got_signal) {
		flight_alerts(&s, s.last_t, true);
		/* Interactive: the frames stay, the last with its end-of-trace
		 * marker, until q. */
		run.view.trace_done = true;
		tail_frame(&s, s.last_t);
		if (run.screen && !s.stop && !got_signal && s.nhist) {
			if (s.seek == GO_NONE)
				show(&s, s.pos);
			navigate(&s, true);
		}
	}
	if (s.nomem) {
		st_screen_close();
		st_error("out of memory");
		status = ST_EXIT_FAIL;
	}
	if (run.failed)
		status = ST_EXIT_FAIL;
out:
	st_screen_close();
	tr_reader_free(r);
	an_free(s.an);
	free(s.open);
	st_snap_free(&s.model);
	st_snap_free(&s.snap);
	st_snap_free(&s.pending);
	for (size_t i = 0; i < s.nhist; i++)
		st_frame_free(&s.hist[i]);
	free(s.hist);
	st_run_free(&run);
	fm_set_free(&s.flight);
	return status;
}
