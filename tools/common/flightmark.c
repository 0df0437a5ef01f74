/*
 * flightmark: finding, reading and saying the marker of a flight-recorder
 * save (flightmark.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "flightmark.h"
#include "words.h"

/* How far below a given path the trace reader looks for traces
 * (trace_read.c's MAX_DEPTH), and so for saves; parents of a path looked
 * at, as for the live-recording marker (tr_recording_pid()). */
#define WALK_DEPTH 8
#define PARENTS 4

const char fm_mid_run_note[] =
	"a flight-recorder save holds only the last seconds before its "
	"trigger, so its trace starts mid-run: a wait already going on at "
	"the first event is measured in full once its task runs (the run's "
	"begin event carries the ready time), but what ran before the first "
	"event is missing from its blame; a priority already waiting then is "
	"not counted as starving, its ready-queue depth is known only from "
	"its first run on, a task ready all along that never ran is not "
	"seen, and a run going on at the first event is not counted";

const char fm_from_start_note[] =
	"this flight-recorder save holds its program from the start (its "
	"first task, id 1, is in it and no wait was already going on at the "
	"first event), so nothing is missing before its first event";

/* ---- reading ------------------------------------------------------------ */

void fm_mark_free(struct fm_mark *m)
{
	if (!m)
		return;
	free(m->file);
	free(m->rule);
	for (size_t i = 0; i < m->nrules; i++)
		free(m->rules[i]);
	free(m->rules);
	free(m->saved_at);
	memset(m, 0, sizeof(*m));
}

/* The field key of o: NULL when absent or null. */
static json_t *field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v && !json_is_null(v) ? v : NULL;
}

static int bad(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: malformed flight-recorder marker: %s",
		 path, what);
	return -1;
}

/* An integer field in [lo, hi]: 1 with *out set, 0 when absent, -1 (with
 * err) when of another type or out of range. */
static int get_int(json_t *o, const char *key, int64_t lo, int64_t hi,
		   int64_t *out, const char *path, char *err, size_t errlen)
{
	json_t *v = field(o, key);
	char what[96];

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		snprintf(what, sizeof(what), "\"%s\" is not an integer from "
			 "%" PRId64 " to %" PRId64, key, lo, hi);
		return bad(err, errlen, path, what);
	}
	*out = json_integer_value(v);
	return 1;
}

/* An unsigned id: a JSON integer of 0 or more (jansson's integers are
 * int64_t, which every id the library hands out fits). */
static int get_u64(json_t *o, const char *key, uint64_t *out,
		   const char *path, char *err, size_t errlen)
{
	int64_t v;
	int rc = get_int(o, key, 0, INT64_MAX, &v, path, err, errlen);

	if (rc == 1)
		*out = (uint64_t)v;
	return rc;
}

static int need(int rc, const char *key, const char *path, char *err,
		size_t errlen)
{
	char what[64];

	if (rc != 0)
		return rc;
	snprintf(what, sizeof(what), "no \"%s\"", key);
	return bad(err, errlen, path, what);
}

static char *dup_str(json_t *v)
{
	return strdup(json_string_value(v));
}

/* The fields of the object o into m; -1 (err) when malformed. */
static int parse(json_t *o, struct fm_mark *m, const char *path, char *err,
		 size_t errlen)
{
	json_t *v, *rules;
	int64_t x;
	int rc;
	size_t i;

	if (!json_is_object(o))
		return bad(err, errlen, path, "not a JSON object");
	rc = get_int(o, "schedprof_flight", INT64_MIN, INT64_MAX, &x, path,
		     err, errlen);
	if (need(rc, "schedprof_flight", path, err, errlen) < 0)
		return -1;
	if (x != 1) {
		snprintf(err, errlen, "%s: flight-recorder marker version "
			 "%" PRId64 " (this schedprof reads version 1)", path,
			 x);
		return -1;
	}
	if (need(get_int(o, "save", 1, INT64_MAX, &m->save, path, err,
			 errlen), "save", path, err, errlen) < 0 ||
	    need(get_int(o, "pid", 0, INT64_MAX, &m->pid, path, err, errlen),
		 "pid", path, err, errlen) < 0)
		return -1;
	v = field(o, "rule");
	if (!v)
		return bad(err, errlen, path, "no \"rule\"");
	if (!json_is_string(v))
		return bad(err, errlen, path, "\"rule\" is not a string");
	if (!(m->rule = dup_str(v)))
		goto nomem;
	v = field(o, "saved_at");
	if (!v)
		return bad(err, errlen, path, "no \"saved_at\"");
	if (!json_is_string(v))
		return bad(err, errlen, path, "\"saved_at\" is not a string");
	if (!(m->saved_at = dup_str(v)))
		goto nomem;
	rules = field(o, "rules");
	if (!rules)
		return bad(err, errlen, path, "no \"rules\"");
	if (!json_is_array(rules))
		return bad(err, errlen, path, "\"rules\" is not an array");
	if (json_array_size(rules)) {
		m->rules = calloc(json_array_size(rules), sizeof(*m->rules));
		if (!m->rules)
			goto nomem;
	}
	json_array_foreach(rules, i, v) {
		if (!json_is_string(v))
			return bad(err, errlen, path,
				   "\"rules\" holds something not a string");
		if (!(m->rules[m->nrules] = dup_str(v)))
			goto nomem;
		m->nrules++;
	}

	v = field(o, "loop");
	if (v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		char *end;

		errno = 0;
		if (strncmp(s, "0x", 2) || !s[2] ||
		    (m->loop = strtoull(s + 2, &end, 16), errno || *end))
			return bad(err, errlen, path,
				   "\"loop\" is not a \"0x...\" address");
		m->has_loop = true;
	}
	if ((rc = get_int(o, "time", INT64_MIN, INT64_MAX, &m->time, path,
			  err, errlen)) < 0)
		return -1;
	m->has_time = rc == 1;

	m->prio = -1;
	if ((rc = get_int(o, "kind", 0, 1, &x, path, err, errlen)) < 0)
		return -1;
	m->has_run = rc == 1;
	m->kind = (int)x;
	if (get_u64(o, "id", &m->id, path, err, errlen) < 0 ||
	    (rc = get_int(o, "prio", 0, AN_PRIOS - 1, &x, path, err,
			  errlen)) < 0)
		return -1;
	if (rc)
		m->prio = (int)x;
	if (get_int(o, "run", INT64_MIN, INT64_MAX, &m->run, path, err,
		    errlen) < 0 ||
	    get_int(o, "delay", INT64_MIN, INT64_MAX, &m->delay, path, err,
		    errlen) < 0)
		return -1;

	m->waiting_prio = -1;
	if ((rc = get_u64(o, "waiting", &m->waiting, path, err, errlen)) < 0)
		return -1;
	m->has_waiting = rc == 1;
	if ((rc = get_int(o, "waiting_prio", -1, AN_PRIOS - 1, &x, path, err,
			  errlen)) < 0)
		return -1;
	if (rc)
		m->waiting_prio = (int)x;
	if (get_int(o, "wait", INT64_MIN, INT64_MAX, &m->wait, path, err,
		    errlen) < 0)
		return -1;
	if ((rc = get_u64(o, "discarded", &m->discarded, path, err,
			  errlen)) < 0)
		return -1;
	m->has_discarded = rc == 1;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory reading %s", path);
	return -1;
}

int fm_read(const char *path, struct fm_mark *m, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t n = 0;
	int fd, rc;

	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad(err, errlen, path, "not a regular file");
	}
	if (st.st_size > FM_MAX_BYTES) {
		close(fd);
		snprintf(err, errlen, "%s: malformed flight-recorder marker: "
			 "%lld bytes (a marker is at most %d)", path,
			 (long long)st.st_size, FM_MAX_BYTES);
		return -1;
	}
	/* One byte more than allowed: a file that grew meanwhile is still
	 * caught. */
	buf = malloc(FM_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory reading %s", path);
		return -1;
	}
	while (n <= FM_MAX_BYTES &&
	       (got = read(fd, buf + n, FM_MAX_BYTES + 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		n += (size_t)got;
	}
	close(fd);
	rc = fm_parse(path, buf, n, m, err, errlen);
	free(buf);
	return rc;
}

int fm_parse(const char *path, const char *buf, size_t n, struct fm_mark *m,
	     char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	memset(m, 0, sizeof(*m));
	if (n > FM_MAX_BYTES) {
		snprintf(err, errlen, "%s: malformed flight-recorder marker: "
			 "more than %d bytes", path, FM_MAX_BYTES);
		return -1;
	}
	if (!n)
		return bad(err, errlen, path, "the file is empty");
	/* Strict JSON: one value, valid UTF-8, no NUL inside strings. */
	root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		char what[300];

		snprintf(what, sizeof(what), "%s (line %d, column %d)",
			 je.text, je.line, je.column);
		return bad(err, errlen, path, what);
	}
	rc = parse(root, m, path, err, errlen);
	json_decref(root);
	if (rc == 0 && !(m->file = strdup(path))) {
		snprintf(err, errlen, "out of memory reading %s", path);
		rc = -1;
	}
	if (rc < 0)
		fm_mark_free(m);
	return rc;
}

/* ---- finding ------------------------------------------------------------ */

struct finder {
	struct fm_set *set;
	size_t cap;
	dev_t *devs;       /* the markers read, by file identity */
	ino_t *inos;
	char *err;
	size_t errlen;
};

/* Reads dir/FM_FILE if there is one not read yet. 0, or -1 (err). */
static int try_dir(struct finder *f, const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	struct fm_mark m;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, FM_FILE) >=
	    sizeof(path))
		return 0;
	if (lstat(path, &st) < 0)
		return 0;
	for (size_t i = 0; i < f->set->n; i++)
		if (f->devs[i] == st.st_dev && f->inos[i] == st.st_ino)
			return 0;
	if (f->set->n >= FM_MAX_MARKS) {
		snprintf(f->err, f->errlen, "%s: more than %d flight-recorder "
			 "saves: give fewer at a time", dir, FM_MAX_MARKS);
		return -1;
	}
	if (fm_read(path, &m, f->err, f->errlen) < 0)
		return -1;
	if (f->set->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 8;
		struct fm_mark *v = realloc(f->set->v, cap * sizeof(*v));
		dev_t *d;
		ino_t *in;

		if (v)
			f->set->v = v;
		d = v ? realloc(f->devs, cap * sizeof(*d)) : NULL;
		if (d)
			f->devs = d;
		in = d ? realloc(f->inos, cap * sizeof(*in)) : NULL;
		if (!in) {
			fm_mark_free(&m);
			snprintf(f->err, f->errlen, "out of memory");
			return -1;
		}
		f->inos = in;
		f->cap = cap;
	}
	f->devs[f->set->n] = st.st_dev;
	f->inos[f->set->n] = st.st_ino;
	f->set->v[f->set->n++] = m;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Looks at dir and below, as the trace reader does (symbolic links not
 * followed), in name order. */
static int walk(struct finder *f, const char *dir, int depth)
{
	char **subs = NULL;
	size_t nsubs = 0, cap = 0;
	struct dirent *de;
	int rc;
	DIR *d;

	if ((rc = try_dir(f, dir)) < 0 || depth >= WALK_DEPTH)
		return rc;
	d = opendir(dir);
	if (!d)
		return 0; /* the trace reader says what is wrong with it */
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     de->d_name) >= sizeof(sub) ||
		    lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (nsubs == cap) {
			char **s = realloc(subs, (cap ? 2 * cap : 16) *
						   sizeof(*s));

			if (!s) {
				rc = -1;
				break;
			}
			subs = s;
			cap = cap ? 2 * cap : 16;
		}
		if (!(subs[nsubs] = strdup(sub))) {
			rc = -1;
			break;
		}
		nsubs++;
	}
	closedir(d);
	if (rc < 0)
		snprintf(f->err, f->errlen, "out of memory");
	if (subs)
		qsort(subs, nsubs, sizeof(*subs), cmp_name);
	for (size_t i = 0; i < nsubs; i++) {
		if (!rc)
			rc = walk(f, subs[i], depth + 1);
		free(subs[i]);
	}
	free(subs);
	return rc;
}

/* By time (one clock, CLOCK_MONOTONIC, for every process's loops), those
 * without one last; then by process and save number. */
static int cmp_mark(const void *a, const void *b)
{
	const struct fm_mark *x = a, *y = b;

	if (x->has_time != y->has_time)
		return x->has_time ? -1 : 1;
	if (x->has_time && x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->save < y->save ? -1 : x->save > y->save;
}

/* The directory of the marker file path, into buf. */
static const char *save_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash)
		snprintf(buf, len, ".");
	else
		snprintf(buf, len, "%.*s", (int)(n ? n : 1), path);
	return buf;
}

/* Refuses two or more saves of one pid: each save holds the whole ring,
 * so saves of one recording (a rule's and the exit save, or two at a low
 * event rate) overlap, and reading them as one trace counts their common
 * events twice. 0, or -1 with err naming them. */
static int one_recording(const struct fm_set *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->n; i++) {
		char dir[PATH_MAX];
		size_t same = 0, n;

		for (size_t j = 0; j < i; j++)
			if (set->v[j].pid == set->v[i].pid)
				goto next; /* said at its first */
		for (size_t j = i; j < set->n; j++)
			same += set->v[j].pid == set->v[i].pid;
		if (same < 2)
			continue;
		n = (size_t)snprintf(err, errlen, "%zu flight-recorder saves "
				     "of one recording (pid %" PRId64 "):",
				     same, set->v[i].pid);
		for (size_t j = i, k = 0; j < set->n && n < errlen; j++) {
			if (set->v[j].pid != set->v[i].pid)
				continue;
			n += (size_t)snprintf(err + n, errlen - n, "%s %s",
					      k++ ? "," : "",
					      save_dir(set->v[j].file, dir,
						       sizeof(dir)));
		}
		if (n < errlen)
			snprintf(err + n, errlen - n, "; each holds the whole "
				 "ring, so they overlap: give one save "
				 "directory");
		return -1;
next:
		;
	}
	return 0;
}

int fm_find(const char *const *paths, int npaths, struct fm_set *set,
	    char *err, size_t errlen)
{
	struct finder f = { .set = set, .err = err, .errlen = errlen };
	int rc = 0;

	set->v = NULL;
	set->n = 0;
	for (int i = 0; i < npaths && !rc; i++) {
		char dir[PATH_MAX], real[PATH_MAX];
		struct stat st;

		if (stat(paths[i], &st) < 0)
			continue; /* the trace reader says so */
		if ((size_t)snprintf(dir, sizeof(dir), "%s", paths[i]) >=
		    sizeof(dir))
			continue;
		if (!S_ISDIR(st.st_mode)) {
			/* A "metadata" file stands for its directory; any
			 * other file is no trace (the reader says so). */
			char *slash = strrchr(dir, '/');

			if (strcmp(slash ? slash + 1 : dir, "metadata"))
				continue;
			if (!slash)
				snprintf(dir, sizeof(dir), ".");
			else
				slash[slash == dir] = '\0';
		}
		rc = walk(&f, dir, 0);
		/* A path inside a save: its parents. */
		if (rc || !realpath(dir, real))
			continue;
		snprintf(dir, sizeof(dir), "%s", real);
		for (int up = 0; up < PARENTS && !rc; up++) {
			char *slash;
			size_t len = strlen(dir);

			while (len > 1 && dir[len - 1] == '/')
				dir[--len] = '\0';
			slash = strrchr(dir, '/');
			if (!slash || slash == dir)
				break;
			*slash = '\0';
			rc = try_dir(&f, dir);
		}
	}
	free(f.devs);
	free(f.inos);
	if (rc < 0) {
		fm_set_free(set);
		return -1;
	}
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(*set->v), cmp_mark);
	if (one_recording(set, err, errlen) < 0) {
		fm_set_free(set);
		return -1;
	}
	return 0;
}

void fm_set_free(struct fm_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		fm_mark_free(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

void fm_set_keep_pid(struct fm_set *set, int64_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i].pid == pid)
			set->v[n++] = set->v[i];
		else
			fm_mark_free(&set->v[i]);
	}
	set->n = n;
}

/* ---- placing and saying --------------------------------------------------- */

bool fm_is_exit(const struct fm_mark *m)
{
	return !strcmp(m->rule, "exit");
}

const struct an_loop *fm_loop(const struct fm_mark *m,
			      const struct an_result *r)
{
	const struct an_loop *best = NULL;
	uint64_t most = 0;

	for (size_t i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];
		struct an_counts c;

		if (l->vpid >= 0 && l->vpid != m->pid)
			continue;
		if (m->has_loop) {
			if (l->addr == m->loop)
				return l;
			continue;
		}
		an_loop_counts(l, &c);
		if (!best || c.task_runs > most) {
			best = l;
			most = c.task_runs;
		}
	}
	return best;
}

bool fm_mid_run(const struct fm_mark *m, const struct an_result *r)
{
	bool first_task = false;

	for (size_t i = 0; i < r->nloops; i++) {
		const struct an_loop *l = r->loops[i];

		if (l->vpid >= 0 && l->vpid != m->pid)
			continue;
		if (an_loop_task(l, 1))
			first_task = true;
		for (size_t j = 0; j < l->nruns; j++)
			if (l->runs[j].ready_at >= 0 &&
			    l->runs[j].ready_at < l->first)
				return true;
	}
	return !first_task;
}

bool fm_set_mid_run(const struct fm_set *set, const struct an_result *r)
{
	for (size_t i = 0; i < set->n; i++)
		if (fm_mid_run(&set->v[i], r))
			return true;
	return false;
}

const char *fm_task_name(const struct an_loop *l, uint64_t id, char *buf,
			 size_t len)
{
	const struct an_task *t = l ? an_loop_task(l, id) : NULL;

	if (t)
		return t->name;
	snprintf(buf, len, "task %" PRIu64, id);
	return buf;
}

/* "spell (DEFAULT_IDLE) 12 ms" or "posted work (post 9) 3 ms, queued
 * 40 ms": the run that had just ended. */
static void run_text(const struct fm_mark *m, const struct an_loop *l,
		     char *buf, size_t len)
{
	char name[64], d1[32], d2[32];

	an_fmt_ns(m->run, d1, sizeof(d1));
	if (m->kind == 1)
		snprintf(buf, len, "posted work (post %" PRIu64 ") %s, "
			 "queued %s", m->id, d1,
			 an_fmt_ns(m->delay, d2, sizeof(d2)));
	else
		snprintf(buf, len, "%s (%s) %s",
			 fm_task_name(l, m->id, name, sizeof(name)),
			 an_prio_name(m->prio), d1);
}

/* "indexer (LOWEST) had waited 151 ms", or "" when no task was ready. */
static void wait_text(const struct fm_mark *m, const struct an_loop *l,
		      char *buf, size_t len)
{
	char name[64], d[32];

	buf[0] = '\0';
	if (!m->has_waiting)
		return;
	if (!m->waiting) {
		snprintf(buf, len, "no task was ready");
		return;
	}
	snprintf(buf, len, "%s (%s) had waited %s",
		 fm_task_name(l, m->waiting, name, sizeof(name)),
		 an_prio_name(m->waiting_prio),
		 an_fmt_ns(m->wait, d, sizeof(d)));
}

const char *fm_what(const struct fm_mark *m, const struct an_loop *l,
		    char *buf, size_t len)
{
	char run[200] = "", wait[200] = "";
	size_t n = 0;

	if (m->has_run)
		run_text(m, l, run, sizeof(run));
	wait_text(m, l, wait, sizeof(wait));
	buf[0] = '\0';
	if (!strncmp(m->rule, "starve", 6) && wait[0]) {
		n = (size_t)snprintf(buf, len, "%s", wait);
		if (run[0] && n < len)
			n += (size_t)snprintf(buf + n, len - n, "; the run that "
					      "had just ended: %s", run);
	} else if (run[0]) {
		n = (size_t)snprintf(buf, len, "the run that had just ended: "
				     "%s", run);
		if (wait[0] && n < len)
			n += (size_t)snprintf(buf + n, len - n, "; %s", wait);
	} else if (wait[0]) {
		n = (size_t)snprintf(buf, len, "%s", wait);
	} else {
		n = (size_t)snprintf(buf, len, "the marker says no more");
	}
	if (m->has_discarded && m->discarded && n < len)
		snprintf(buf + n, len - n, "; the session had discarded "
			 "%" PRIu64 " %s by then", m->discarded,
			 tw_noun(m->discarded, "event", "events"));
	return buf;
}

bool fm_at(const struct fm_mark *m, const struct an_loop *l, int64_t *at)
{
	/* A hostile time must not overflow. */
	return m->has_time && l && l->first != INT64_MIN &&
	       !__builtin_sub_overflow(m->time, l->first, at);
}

const char *fm_line(const struct fm_mark *m, const struct an_result *r,
		    char *buf, size_t len)
{
	const struct an_loop *l = fm_loop(m, r);
	char what[600];
	int64_t at;
	size_t n;

	if (fm_is_exit(m)) {
		snprintf(buf, len, "flight-recorder save %" PRId64 ": saved "
			 "when the recording ended (--save-on-exit), not by "
			 "a rule", m->save);
		return buf;
	}
	n = (size_t)snprintf(buf, len, "flight-recorder save %" PRId64
			     ": rule %s fired", m->save, m->rule);
	if (n < len && fm_at(m, l, &at)) {
		double s = (double)at / 1e9;

		n += (size_t)snprintf(buf + n, len - n, " at %c%.3f s",
				      s < 0 ? '-' : '+', s < 0 ? -s : s);
	} else if (n < len && m->has_time) {
		n += (size_t)snprintf(buf + n, len - n, " at %" PRId64
				      " ns on the loop's clock (its loop is "
				      "not in the trace)", m->time);
	}
	if (n < len)
		snprintf(buf + n, len - n, ": %s",
			 fm_what(m, l, what, sizeof(what)));
	return buf;
}
