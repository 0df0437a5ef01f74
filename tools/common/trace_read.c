/*
 * trace_read: libsched traces through libbabeltrace2. See trace_read.h.
 *
 * The graph is source.ctf.fs (one per trace directory) -> filter.utils.muxer
 * -> a simple sink whose consume function decodes the messages. What
 * costs is per event, so everything the decoding needs of a class (its
 * type, where each field sits in the payload, where the contexts sit) is
 * worked out the first time the class shows up and kept in pointer-keyed
 * tables; an event then costs a few table lookups and one babeltrace2
 * call per field.
 */
#include "trace_read.h"

#include <babeltrace2/babeltrace.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROVIDER "libsched:"
#define PROVIDER_LEN (sizeof(PROVIDER) - 1)
#define SCHEMA_URI_PREFIX "urn:libsched:trace-schema:"
#define MAX_FIELDS 12   /* sys/sdt.h's limit, which events.def obeys */
#define MAX_DEPTH 32    /* of the search for traces below a path */

/* ---- the tables generated from events.def ------------------------------ */

static const char *const type_names[TR_EV_COUNT] = {
#define LSCHED_EVENT(ev, ...) [TR_EV_##ev] = #ev,
#include "events.def"
#undef LSCHED_EVENT
};

/* Offsets in struct tr_event itself: the decoder writes a field without
 * knowing which union member it belongs to. */
#define TR__KIND_PTR TR_KIND_PTR, false
#define TR__KIND_STR TR_KIND_STR, false
#define TR__KIND_U64 TR_KIND_U64, false
#define TR__KIND_I64 TR_KIND_I64, false
#define TR__KIND_INT TR_KIND_INT, false
#define TR__KIND_DPTR TR_KIND_PTR, true
#define TR__KIND_DSTR TR_KIND_STR, true
#define TR__KIND_DU64 TR_KIND_U64, true
#define TR__KIND_DI64 TR_KIND_I64, true
#define TR__KIND_DINT TR_KIND_INT, true
#define FIELD_DESC_(n, kind, derived, off) { n, kind, off, derived },
#define FIELD_DESC_X(...) FIELD_DESC_(__VA_ARGS__)
#define FIELD_DESC(ev, k, n)                                                   \
	FIELD_DESC_X(#n, TR__KIND_##k, offsetof(struct tr_event, ev.n))
#define LSCHED_EVENT(ev, ...)                                                  \
	static const struct tr_field fields_##ev[] = {                         \
		TR__MAP(FIELD_DESC, ev, __VA_ARGS__)                           \
	};
#include "events.def"
#undef LSCHED_EVENT

static const struct {
	const struct tr_field *fields;
	unsigned n;
} type_fields[TR_EV_COUNT] = {
#define LSCHED_EVENT(ev, ...)                                                  \
	[TR_EV_##ev] = { fields_##ev,                                          \
			 sizeof(fields_##ev) / sizeof(fields_##ev[0]) },
#include "events.def"
#undef LSCHED_EVENT
};

/*
 * Fields added at the end of an event after schema 1 first shipped
 * (docs/tracepoints.md: adding a field at the end keeps the schema). A
 * trace recorded before them lacks them; the reader then delivers this
 * value, which says "not recorded".
 */
static const struct added_field {
	enum tr_type type;
	const char *name;
	int64_t absent;
} added_fields[] = {
	{ TR_EV_task_fire_end, "cpu", LSCHED_TP_CPU_UNKNOWN },
	{ TR_EV_slice, "cpu_elapsed", LSCHED_TP_CPU_UNKNOWN },
	/* begin - ready_at and end - begin, which such a trace also holds */
	{ TR_EV_task_fire_begin, "wait", -1 },
	{ TR_EV_task_fire_end, "run", -1 },
};

static const struct added_field *added_field(enum tr_type type,
					     const char *name)
{
	for (size_t i = 0; i < sizeof(added_fields) / sizeof(added_fields[0]);
	     i++)
		if (added_fields[i].type == type &&
		    !strcmp(added_fields[i].name, name))
			return &added_fields[i];
	return NULL;
}

const char *tr_type_name(enum tr_type type)
{
	return (unsigned)type < TR_EV_COUNT ? type_names[type] : NULL;
}

int tr_type_lookup(const char *name)
{
	if (!strncmp(name, PROVIDER, PROVIDER_LEN))
		name += PROVIDER_LEN;
	for (int i = 0; i < TR_EV_COUNT; i++)
		if (!strcmp(name, type_names[i]))
			return i;
	return -1;
}

const struct tr_field *tr_type_fields(enum tr_type type, unsigned *n)
{
	if ((unsigned)type >= TR_EV_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = type_fields[type].n;
	return type_fields[type].fields;
}

/* ---- pointer-keyed tables ---------------------------------------------- */

/* Open addressing, linear probing, at most half full. Keys are babeltrace2
 * objects (event classes, streams, ...), which live as long as the graph;
 * nothing is ever removed. */
struct ptrmap {
	const void **keys;
	void **vals;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

static size_t ptr_hash(const void *p, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (cap - 1);
}

static void *pm_get(const struct ptrmap *m, const void *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = ptr_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (!m->keys[i])
			return NULL;
	}
}

static int pm_put(struct ptrmap *m, const void *key, void *val);

static int pm_grow(struct ptrmap *m)
{
	struct ptrmap old = *m;
	size_t cap = old.cap ? old.cap * 2 : 64;

	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		*m = old;
		return -1;
	}
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i])
			pm_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
	return 0;
}

/* The key must not be in the table yet. */
static int pm_put(struct ptrmap *m, const void *key, void *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && pm_grow(m) < 0)
		return -1;
	for (i = ptr_hash(key, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		;
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

static void pm_free(struct ptrmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

/* ---- the reader's records ---------------------------------------------- */

/* A trace directory and its source component. */
struct trace_rec {
	struct tr_trace pub;
	char *path;
	char *uuid;	/* the metadata's trace UUID, or NULL */
	const char *sub; /* path below its session's directory ("" if none) */
	char *session, *hostname, *procname; /* the environment's, copied */
	char comp_name[32];
	const bt_component_source *comp;
};

/* A recording (struct tr_recording) and its strings. */
struct recording_rec {
	struct tr_recording pub;
	char *dir, *session, *hostname, *created;
};

/* What the decoding needs of a stream class. */
struct sclass_rec {
	bool has_clock;
	uint64_t freq;
	/* Members of the common event context; -1 when absent. */
	int64_t vtid, vpid, procname;
};

struct stream_rec {
	struct tr_stream pub;
	const struct sclass_rec *sc;
	struct trace_rec *trace;
};

/* What the decoding needs of an event class. */
enum { CLASS_FOREIGN = -1, CLASS_UNKNOWN = -2 };
struct class_rec {
	int type; /* enum tr_type, or CLASS_FOREIGN / CLASS_UNKNOWN */
	unsigned nfields;
	uint64_t member[MAX_FIELDS]; /* payload member of each field */
	/* A field added later and missing from this trace: not decoded,
	 * absent[i] delivered instead (added_fields). */
	bool missing[MAX_FIELDS];
	int64_t absent[MAX_FIELDS];
	/* Schema 2: a derived field, left out of the record and filled by
	 * derive() (c->derive says the class has some). */
	bool derived[MAX_FIELDS];
	bool derive;
	/* Its stream class records task_name too: a task event of a task
	 * not named yet is skipped (tr_stats.unnamed). */
	bool names;
};

/*
 * What schema 2 leaves out of the task events, kept per task: its
 * task_name (and the task_priority and task_max_wait since), and its run
 * in progress (task_fire_begin) for the task_fire_end. Keyed by the
 * process (vpid, or the trace without one: task ids are unique within a
 * process) and the task id. Open addressing, linear probing, at most half
 * full, never shrunk.
 */
struct task_rec {
	uint64_t proc, id; /* id 0: a free slot (task ids start at 1) */
	uint64_t loop, parent;
	bool named;       /* a task_name was read */
	const char *name; /* owned by the reader (own()); "" until named */
	int32_t kind, prio;
	int64_t max_wait;
	bool in_run;  /* a begin seen, its end not yet */
	int32_t run_prio;
	int64_t run_ready_at, run_begin;
};

struct task_map {
	struct task_rec *slots;
	size_t cap, n; /* cap: a power of two, or 0 */
};

struct tr_reader {
	bt_graph *graph;
	const bt_plugin *ctf, *utils;
	const bt_component_filter *muxer;
	const bt_component_sink *sink;

	struct trace_rec **traces;
	unsigned ntraces, traces_cap;
	struct recording_rec **recs;
	unsigned nrecs;
	bool allow_merge;

	/* Everything decoded so far, by babeltrace2 object. */
	struct ptrmap classes;  /* bt_event_class -> class_rec */
	struct ptrmap sclasses; /* bt_stream_class -> sclass_rec */
	struct ptrmap streams;  /* bt_stream -> stream_rec */
	struct ptrmap bttraces; /* bt_trace -> trace_rec */
	/* Records to free (the tables hold them too, unordered). */
	void **owned;
	size_t nowned, owned_cap;

	struct task_map tasks; /* schema 2's derived fields */

	const struct tr_handlers *h;
	struct tr_stats stats;
	struct tr_event ev; /* reused for every event */
	bool ran, failed, stopped;
	int err_code;
	char err[1024];
};

/* Sets the reader's error (the first one wins: later ones are mostly its
 * consequences) and returns its code. */
static int fail(struct tr_reader *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct tr_reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return r->err_code;
	r->failed = true;
	r->err_code = code;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	/* One line, whatever the messages quoted in it held. */
	for (char *p = r->err; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return code;
}

static int nomem(struct tr_reader *r)
{
	return fail(r, TR_ERR_NOMEM, "out of memory");
}

/* Allocates a zeroed record that the reader frees. */
static void *own(struct tr_reader *r, size_t size)
{
	void *p;

	if (r->nowned == r->owned_cap) {
		size_t cap = r->owned_cap ? r->owned_cap * 2 : 32;
		void **o = realloc(r->owned, cap * sizeof(*o));

		if (!o)
			return NULL;
		r->owned = o;
		r->owned_cap = cap;
	}
	p = calloc(1, size);
	if (p)
		r->owned[r->nowned++] = p;
	return p;
}

/*
 * Copies a cause's message without the object addresses babeltrace2 puts
 * in some ("msg-it-addr=0x55ea70d1ffe0, "): they mean nothing to a user.
 */
static void copy_cause(char *buf, size_t len, const char *msg)
{
	const char *p = msg;
	size_t n = 0;

	while (*p && n + 1 < len) {
		if (p == msg || p[-1] == ' ') {
			/* A word: is it "<name>-addr=0x<hex>"? */
			size_t w = strcspn(p, " =,");

			if (w >= 5 && !strncmp(p + w - 5, "-addr", 5) &&
			    !strncmp(p + w, "=0x", 3)) {
				p += w + 3;
				p += strspn(p, "0123456789abcdefABCDEF");
				p += *p == ',';
				p += strspn(p, " ");
				continue;
			}
		}
		buf[n++] = *p++;
	}
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == ','))
		n--;
	buf[n] = '\0';
}

/* The name of the component a cause comes from, or NULL. */
static const char *cause_component(const bt_error_cause *c)
{
	switch (bt_error_cause_get_actor_type(c)) {
	case BT_ERROR_CAUSE_ACTOR_TYPE_COMPONENT:
		return bt_error_cause_component_actor_get_component_name(c);
	case BT_ERROR_CAUSE_ACTOR_TYPE_MESSAGE_ITERATOR:
		return bt_error_cause_message_iterator_actor_get_component_name(
			c);
	default:
		return NULL;
	}
}

/*
 * The most useful line of babeltrace2's current error, which it then
 * clears. Causes are stored from the root (the component that met the
 * problem) to the top (bt_graph_run() failing), so the first one says what
 * is wrong; the component named tells which trace it was.
 */
static const char *bt_error_line(struct tr_reader *r, char *buf, size_t len,
				 const struct trace_rec **trace)
{
	const bt_error *e = bt_current_thread_take_error();
	const char *msg = NULL;

	*trace = NULL;
	snprintf(buf, len, "babeltrace2 gave no reason");
	if (!e)
		return buf;
	for (uint64_t i = 0; i < bt_error_get_cause_count(e); i++) {
		const bt_error_cause *c = bt_error_borrow_cause_by_index(e, i);
		const char *comp = cause_component(c);

		if (!msg) {
			msg = bt_error_cause_get_message(c);
			if (msg && *msg)
				copy_cause(buf, len, msg);
			else
				msg = NULL;
		}
		for (unsigned t = 0; comp && !*trace && t < r->ntraces; t++)
			if (!strcmp(comp, r->traces[t]->comp_name))
				*trace = r->traces[t];
		if (msg && *trace)
			break;
	}
	bt_error_release(e);
	return buf;
}

/* ---- finding the traces ------------------------------------------------ */

static uint32_t be32(const unsigned char *p);

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * Packetized metadata: every packet must lie whole in the file (babeltrace2
 * 2.0 hangs on a packet cut short). A packet header is magic, uuid (16),
 * checksum, content size and packet size in bits (32-bit words, in the
 * byte order the magic shows), then compression, encryption, checksum
 * scheme, major, minor (bytes).
 */
static int metadata_packets(const char *path, bool little, char *why,
			    size_t len)
{
	unsigned char h[37];
	struct stat st;
	uint64_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return TR_ERR_PATH;
	}
	while (off < (uint64_t)st.st_size) {
		uint32_t content, size;

		if (pread(fd, h, sizeof(h), (off_t)off) != (ssize_t)sizeof(h)) {
			err = 1;
			break;
		}
		content = little ? le32(h + 24) : be32(h + 24);
		size = little ? le32(h + 28) : be32(h + 28);
		if (size == 0 || size % 8 || content > size ||
		    content < 8 * sizeof(h) ||
		    off + size / 8 > (uint64_t)st.st_size) {
			err = 1;
			break;
		}
		off += size / 8;
	}
	close(fd);
	if (err) {
		snprintf(why, len, "%.4000s: corrupt trace (its metadata is cut "
			 "short or its packet sizes are wrong)", path);
		return TR_ERR_CORRUPT;
	}
	return 0;
}

/* Whether a trace directory's metadata is CTF metadata: packetized (its
 * magic in either byte order) or plain text starting with the version
 * comment. Anything else is not a trace, rather than a corrupt one. */
static int metadata_kind(const char *path, char *why, size_t len)
{
	unsigned char buf[8];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return TR_ERR_PATH;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return TR_ERR_PATH;
	}
	if (n >= 4 && ((buf[0] == 0x75 && buf[1] == 0xd1 && buf[2] == 0x1d &&
			buf[3] == 0x57) ||
		       (buf[0] == 0x57 && buf[1] == 0x1d && buf[2] == 0xd1 &&
			buf[3] == 0x75)))
		return metadata_packets(path, buf[0] == 0x57, why, len);
	if (n >= 6 && !memcmp(buf, "/* CTF", 6))
		return 0;
	snprintf(why, len, "%s: not a CTF trace (its metadata file is not CTF "
		 "metadata)", path);
	return TR_ERR_NOTRACE;
}

static int add_trace_dir(struct tr_reader *r, const char *dir);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Looks for trace directories at and below dir; *found counts them.
 * Returns 0 or a negative enum tr_error. */
static int walk(struct tr_reader *r, const char *dir, int depth,
		unsigned *found)
{
	char meta[PATH_MAX];
	struct stat st;
	struct dirent *de;
	char **subs = NULL;
	size_t nsubs = 0, cap = 0;
	int err = 0;
	DIR *d;

	if ((size_t)snprintf(meta, sizeof(meta), "%s/metadata", dir) >=
	    sizeof(meta))
		return fail(r, TR_ERR_PATH, "%s: path too long", dir);
	if (stat(meta, &st) == 0 && S_ISREG(st.st_mode)) {
		(*found)++;
		err = add_trace_dir(r, dir);
		return err < 0 ? err : 0;
	}
	if (depth >= MAX_DEPTH)
		return 0;
	d = opendir(dir);
	if (!d)
		return fail(r, TR_ERR_PATH, "%s: %s", dir, strerror(errno));
	/* Sorted, so that trace indexes do not depend on the file system. */
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     de->d_name) >= sizeof(sub))
			continue;
		if (lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (nsubs == cap) {
			char **s = realloc(subs, (cap ? cap * 2 : 16) *
						   sizeof(*s));

			if (!s) {
				err = nomem(r);
				break;
			}
			subs = s;
			cap = cap ? cap * 2 : 16;
		}
		if (!(subs[nsubs] = strdup(sub))) {
			err = nomem(r);
			break;
		}
		nsubs++;
	}
	closedir(d);
	if (subs)
		qsort(subs, nsubs, sizeof(*subs), cmp_str);
	for (size_t i = 0; i < nsubs; i++) {
		if (!err)
			err = walk(r, subs[i], depth + 1, found);
		free(subs[i]);
	}
	free(subs);
	return err;
}

static const bt_plugin *load_plugin(struct tr_reader *r, const char *name)
{
	const bt_plugin *p = NULL;

	/* Not failing on other plugins that do not load: only these two
	 * matter. */
	if (bt_plugin_find(name, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE,
			   &p) != BT_PLUGIN_FIND_STATUS_OK || !p) {
		bt_current_thread_clear_error();
		fail(r, TR_ERR_SETUP,
		     "babeltrace2 plugin '%s' not found (is babeltrace2 "
		     "installed with its plugins?)", name);
		return NULL;
	}
	return p;
}

static int ensure_graph(struct tr_reader *r)
{
	if (r->graph)
		return 0;
	if (!(r->ctf = load_plugin(r, "ctf")) ||
	    !(r->utils = load_plugin(r, "utils")))
		return r->err_code;
	r->graph = bt_graph_create(0);
	if (!r->graph)
		return nomem(r);
	return 0;
}

/* Adds a trace directory and its source component: 1, or 0 if it was
 * already added, or a negative enum tr_error. */
static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * LTTng's packet indexes (DIR/index/STREAM.idx) tell babeltrace2 where
 * each packet of STREAM lies; babeltrace2 2.0 trusts them and aborts on
 * an entry past the end of the stream file. So they are checked first: a
 * header (magic 0xC1F1DCC1, major, minor, entry length) then big-endian
 * entries starting with the packet's offset (bytes), size and content size
 * (bits). Returns 0, or TR_ERR_CORRUPT with why filled.
 */
static int check_indexes(const char *dir, char *why, size_t len)
{
	char idxdir[PATH_MAX], path[PATH_MAX + 512], stream[PATH_MAX + 512];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if ((size_t)snprintf(idxdir, sizeof(idxdir), "%s/index", dir) >=
	    sizeof(idxdir))
		return 0;
	d = opendir(idxdir);
	if (!d)
		return 0; /* no indexes: babeltrace2 reads the streams */
	while (!err && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		unsigned char hdr[16], ent[256];
		struct stat st;
		uint32_t elen;
		FILE *f;

		if (n <= 4 || strcmp(de->d_name + n - 4, ".idx"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", idxdir, de->d_name);
		snprintf(stream, sizeof(stream), "%s/%.*s", dir, (int)(n - 4),
			 de->d_name);
		if (stat(stream, &st) < 0)
			continue; /* an index without its stream: ignored */
		f = fopen(path, "rb");
		if (!f)
			continue;
		if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
		    be32(hdr) != 0xC1F1DCC1u ||
		    (elen = be32(hdr + 12)) < 24 || elen > sizeof(ent)) {
			snprintf(why, len, "%.4000s: corrupt trace (bad packet index "
				 "header)", path);
			err = TR_ERR_CORRUPT;
		}
		while (!err && fread(ent, 1, elen, f) == elen) {
			uint64_t off = be64(ent), size = be64(ent + 8),
				 content = be64(ent + 16);

			if (size % 8 || content > size ||
			    off > (uint64_t)st.st_size ||
			    size / 8 > (uint64_t)st.st_size - off) {
				snprintf(why, len, "%.4000s: corrupt trace (a packet "
					 "index entry points past the end of its "
					 "stream)", path);
				err = TR_ERR_CORRUPT;
			}
		}
		fclose(f);
	}
	closedir(d);
	return err;
}

/* ---- recordings --------------------------------------------------------- */

/*
 * The value of key in the block of a trace's metadata text that opens
 * with the line block ("env {": "env { key = "value"; key = 42; };"), the
 * string's content or the integer as written; NULL when absent. *nomem is
 * set when a copy fails.
 */
static char *block_entry(const char *text, const char *block,
			 const char *key, bool *nomem)
{
	const char *p = text, *end;
	size_t klen = strlen(key), blen = strlen(block);

	while (p && strncmp(p, block, blen))
		if ((p = strchr(p, '\n')))
			p++;
	if (!p)
		return NULL;
	end = strstr(p, "\n};");
	for (p = strchr(p, '\n'); p && (!end || p < end); p = strchr(p, '\n')) {
		const char *v;
		char *out, *o;

		p++;
		p += strspn(p, " \t");
		if (strncmp(p, key, klen))
			continue;
		v = p + klen;
		v += strspn(v, " \t");
		if (*v != '=')
			continue;
		v++;
		v += strspn(v, " \t");
		if (*v != '"') {
			size_t n = strcspn(v, ";\n");

			out = strndup(v, n);
			if (!out)
				*nomem = true;
			return out;
		}
		out = malloc(strcspn(v + 1, "\n") + 1);
		if (!out) {
			*nomem = true;
			return NULL;
		}
		for (o = out, v++; *v && *v != '"' && *v != '\n'; v++) {
			if (*v == '\\' && v[1] && v[1] != '\n')
				v++;
			*o++ = *v;
		}
		*o = '\0';
		return out;
	}
	return NULL;
}

/*
 * The session's output directory of a trace directory: the part of path
 * before LTTng's own layout (".../ust/uid/0/64-bit", ".../ust/pid/NAME-
 * PID-TIME", ".../kernel"); path itself when it has none. Allocated.
 */
static char *session_dir(const char *path)
{
	static const char *const layouts[] = { "/ust/uid/", "/ust/pid/",
					       "/kernel" };
	size_t cut = strlen(path);

	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const char *at = NULL, *q = path;

		while ((q = strstr(q, layouts[i]))) {
			at = q;
			q++;
		}
		if (at && at != path && (size_t)(at - path) < cut &&
		    (i < 2 || !at[strlen(layouts[i])]))
			cut = (size_t)(at - path);
	}
	return strndup(path, cut);
}

/* Shortens dir in place to the directory it shares with other. */
static void common_dir(char *dir, const char *other)
{
	size_t n = 0, last = 0;

	while (dir[n] && dir[n] == other[n]) {
		if (dir[n] == '/')
			last = n;
		n++;
	}
	if ((!dir[n] || dir[n] == '/') && (!other[n] || other[n] == '/'))
		last = n;
	dir[last ? last : 1] = '\0';
}

static bool same_str(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

/*
 * Refuses trace t, of the recording (session, hostname, created), when a
 * trace of that recording added before is a copy of it (a recording
 * copied twice, both copies below the paths given): the same trace UUID
 * (LTTng gives each trace of a session its own: one per user and
 * bitness, or per process), or, when one has none, the same path below
 * its session's directory (ust/uid/0/64-bit). Read together, every event
 * would count twice, so not even --merge reads them. TR_ERR_COPY naming
 * both, or 0.
 */
static int refuse_copy(struct tr_reader *r, const struct trace_rec *t,
		       const char *session, const char *hostname,
		       const char *created)
{
	for (unsigned i = 0; i < r->ntraces; i++) {
		const struct trace_rec *o = r->traces[i];
		const struct recording_rec *rec;

		if (o == t)
			continue;
		rec = r->recs[o->pub.recording];
		if (!session || !same_str(rec->session, session) ||
		    !same_str(rec->hostname, hostname) ||
		    !same_str(rec->created, created))
			continue;
		if (o->uuid && t->uuid ? !strcmp(o->uuid, t->uuid) :
		    *t->sub && !strcmp(o->sub, t->sub))
			return fail(r, TR_ERR_COPY, "%s and %s: two copies of "
				    "one trace (session %s%s%s): give one of "
				    "them", o->path, t->path, session,
				    t->uuid ? ", trace UUID " : "",
				    t->uuid ? t->uuid : "");
	}
	return 0;
}

/*
 * Puts trace t in its recording, from the environment of its metadata
 * (babeltrace2's "metadata-info" query of source.ctf.fs, which decodes a
 * packetized metadata file). Returns 0 or a negative enum tr_error.
 */
static int add_to_recording(struct tr_reader *r,
			    const bt_component_class_source *cls,
			    struct trace_rec *t)
{
	const bt_component_class *cc =
		bt_component_class_source_as_component_class_const(cls);
	char *session = NULL, *hostname = NULL, *created = NULL;
	struct recording_rec *rec = NULL, **v;
	bt_query_executor *qe = NULL;
	const bt_value *res = NULL, *text;
	bt_value *params;
	bool oom = false;
	char why[512];
	int err;

	params = bt_value_map_create();
	if (!params || bt_value_map_insert_string_entry(params, "path",
							 t->path)) {
		bt_value_put_ref(params);
		return nomem(r);
	}
	qe = bt_query_executor_create(cc, "metadata-info", params);
	bt_value_put_ref(params);
	if (!qe)
		return nomem(r);
	if (bt_query_executor_query(qe, &res) != BT_QUERY_EXECUTOR_QUERY_STATUS_OK) {
		const struct trace_rec *unused;

		bt_query_executor_put_ref(qe);
		bt_error_line(r, why, sizeof(why), &unused);
		return fail(r, TR_ERR_CORRUPT, "%s: corrupt trace: %s",
			    t->path, why);
	}
	bt_query_executor_put_ref(qe);
	text = bt_value_is_map(res) ?
	       bt_value_map_borrow_entry_value_const(res, "text") : NULL;
	if (text && bt_value_is_string(text)) {
		const char *s = bt_value_string_get(text);

		session = block_entry(s, "env {", "trace_name", &oom);
		hostname = block_entry(s, "env {", "hostname", &oom);
		created = block_entry(s, "env {", "trace_creation_datetime",
				      &oom);
		t->uuid = block_entry(s, "trace {", "uuid", &oom);
	}
	bt_value_put_ref(res);
	if (oom)
		goto oom;
	err = refuse_copy(r, t, session, hostname, created);
	if (err) {
		free(session);
		free(hostname);
		free(created);
		return err;
	}
	/* Without a session name, nothing says which traces belong
	 * together: a recording of its own. */
	for (unsigned i = 0; session && i < r->nrecs; i++)
		if (same_str(r->recs[i]->session, session) &&
		    same_str(r->recs[i]->hostname, hostname) &&
		    same_str(r->recs[i]->created, created)) {
			rec = r->recs[i];
			break;
		}
	if (rec) {
		char *dir = session_dir(t->path);

		if (!dir)
			goto oom;
		common_dir(rec->dir, dir);
		free(dir);
		free(session);
		free(hostname);
		free(created);
	} else {
		v = realloc(r->recs, (r->nrecs + 1) * sizeof(*v));
		if (!v)
			goto oom;
		r->recs = v;
		rec = calloc(1, sizeof(*rec));
		if (!rec || !(rec->dir = session_dir(t->path))) {
			free(rec);
			goto oom;
		}
		rec->session = session;
		rec->hostname = hostname;
		rec->created = created;
		rec->pub.index = r->nrecs;
		rec->pub.session = session;
		rec->pub.hostname = hostname;
		rec->pub.created = created;
		r->recs[r->nrecs++] = rec;
	}
	rec->pub.dir = rec->dir;
	rec->pub.traces++;
	t->pub.recording = rec->pub.index;
	return 0;
oom:
	free(session);
	free(hostname);
	free(created);
	return nomem(r);
}

/* "2026-12-07 04:55:50 UTC" from LTTng's "20261207T045550+0000"; other
 * forms as written. */
static const char *created_text(const char *c, char *buf, size_t len)
{
	if (c && strlen(c) == 20 && c[8] == 'T' &&
	    !strcmp(c + 15, "+0000") && strspn(c, "0123456789") == 8 &&
	    strspn(c + 9, "0123456789") == 6)
		snprintf(buf, len, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s UTC", c,
			 c + 4, c + 6, c + 9, c + 11, c + 13);
	else
		snprintf(buf, len, "%s", c ? c : "");
	return buf;
}

/* "DIR: session S on H, created D" for one recording: the host when
 * host, the creation time when created (what is known of each). */
static void recording_text(const struct tr_recording *rec, bool host,
			   bool created, char *buf, size_t len)
{
	char when[64];
	int n;

	if (!rec->session) {
		snprintf(buf, len, "%s: no session name", rec->dir);
		return;
	}
	n = snprintf(buf, len, "%s: session %s", rec->dir, rec->session);
	if (n > 0 && (size_t)n < len && host && rec->hostname)
		n += snprintf(buf + n, len - (size_t)n, " on %s", rec->hostname);
	if (n > 0 && (size_t)n < len && created && rec->created)
		snprintf(buf + n, len - (size_t)n, ", created %s",
			 created_text(rec->created, when, sizeof(when)));
}

/* Whether the recordings were made on different hosts (then their lines
 * name the host). */
static bool hosts_differ(const struct tr_reader *r)
{
	for (unsigned i = 1; i < r->nrecs; i++)
		if (!same_str(r->recs[i]->hostname, r->recs[0]->hostname))
			return true;
	return false;
}

/* Whether another recording has rec's session name (then the creation
 * time tells them apart: a name given twice, or LTTng's "auto"). */
static bool name_shared(const struct tr_reader *r, unsigned rec)
{
	for (unsigned i = 0; i < r->nrecs; i++)
		if (i != rec && same_str(r->recs[i]->session,
					 r->recs[rec]->session))
			return true;
	return false;
}

/*
 * The refusal of several recordings, one line: how many and how to pick
 * one first (a long list is cut at the caller's buffer), then the first
 * three, each by its directory and session name (and its host or
 * creation time when only those tell it apart).
 */
static int refuse_merge(struct tr_reader *r)
{
	enum { SHOWN = 3 };
	char list[sizeof(r->err)], one[PATH_MAX + 256];
	bool host = hosts_differ(r);
	size_t n = 0;

	list[0] = '\0';
	for (unsigned i = 0; i < r->nrecs && i < SHOWN && n < sizeof(list);
	     i++) {
		recording_text(&r->recs[i]->pub, host, name_shared(r, i), one,
			       sizeof(one));
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? "; " : "", one);
	}
	if (r->nrecs > SHOWN && n < sizeof(list))
		snprintf(list + n, sizeof(list) - n, "; and %u more",
			 r->nrecs - SHOWN);
	return fail(r, TR_ERR_MERGE, "traces of %u different recordings "
		    "(give the directory of one, or --merge to read them "
		    "together): %s", r->nrecs, list);
}

void tr_reader_allow_merge(struct tr_reader *r, bool allow)
{
	r->allow_merge = allow;
}

unsigned tr_reader_recording_count(const struct tr_reader *r)
{
	return r->nrecs;
}

const struct tr_recording *tr_reader_recording(const struct tr_reader *r,
					       unsigned index)
{
	return index < r->nrecs ? &r->recs[index]->pub : NULL;
}

unsigned tr_reader_print_merged(const struct tr_reader *r, FILE *f,
				const char *prog)
{
	char one[PATH_MAX + 256];
	bool host = hosts_differ(r);

	if (r->nrecs < 2)
		return r->nrecs;
	fprintf(f, "%s: merged %u recordings (--merge):\n", prog, r->nrecs);
	for (unsigned i = 0; i < r->nrecs; i++) {
		recording_text(&r->recs[i]->pub, host, true, one, sizeof(one));
		fprintf(f, "%s:   %s, %u trace%s\n", prog, one,
			r->recs[i]->pub.traces,
			r->recs[i]->pub.traces == 1 ? "" : "s");
	}
	return r->nrecs;
}

static int add_trace_dir(struct tr_reader *r, const char *dir)
{
	const bt_component_class_source *cls;
	struct trace_rec *t;
	bt_value *params = NULL, *inputs = NULL;
	char why[PATH_MAX + 128], real[PATH_MAX], meta[PATH_MAX + 16];
	char *sd;
	int err;

	/* The same trace reached twice (a path and its parent given) would
	 * double every event. */
	if (!realpath(dir, real))
		return fail(r, TR_ERR_PATH, "%s: %s", dir, strerror(errno));
	for (unsigned i = 0; i < r->ntraces; i++)
		if (!strcmp(r->traces[i]->path, real))
			return 0;
	snprintf(meta, sizeof(meta), "%s/metadata", dir);
	err = metadata_kind(meta, why, sizeof(why));
	if (!err)
		err = check_indexes(dir, why, sizeof(why));
	if (err)
		return fail(r, err, "%s", why);
	err = ensure_graph(r);
	if (err)
		return err;

	if (r->ntraces == r->traces_cap) {
		unsigned cap = r->traces_cap ? r->traces_cap * 2 : 8;
		struct trace_rec **v = realloc(r->traces, cap * sizeof(*v));

		if (!v)
			return nomem(r);
		r->traces = v;
		r->traces_cap = cap;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(real))) {
		free(t);
		return nomem(r);
	}
	/* Below its session's directory: how a copy is told (refuse_copy). */
	sd = session_dir(real);
	if (!sd) {
		free(t->path);
		free(t);
		return nomem(r);
	}
	t->sub = t->path + strlen(sd);
	t->sub += *t->sub == '/';
	free(sd);
	t->pub.index = r->ntraces;
	t->pub.path = t->path;
	t->pub.vpid = -1;
	snprintf(t->comp_name, sizeof(t->comp_name), "libsched-src-%u",
		 r->ntraces);
	r->traces[r->ntraces++] = t;

	/* The trace is named after its component: how a bt_trace met in a
	 * message is matched back to its directory. */
	params = bt_value_map_create();
	inputs = bt_value_array_create();
	if (!params || !inputs ||
	    bt_value_array_append_string_element(inputs, real) ||
	    bt_value_map_insert_entry(params, "inputs", inputs) ||
	    bt_value_map_insert_string_entry(params, "trace-name",
					     t->comp_name)) {
		bt_value_put_ref(inputs);
		bt_value_put_ref(params);
		return nomem(r);
	}
	bt_value_put_ref(inputs);
	cls = bt_plugin_borrow_source_component_class_by_name_const(r->ctf,
								     "fs");
	if (!cls) {
		bt_value_put_ref(params);
		return fail(r, TR_ERR_SETUP,
			    "babeltrace2 plugin 'ctf' has no 'fs' source");
	}
	/* Components log nothing: errors come back as error causes, which
	 * become our error line. */
	if (bt_graph_add_source_component(r->graph, cls, t->comp_name, params,
					  BT_LOGGING_LEVEL_NONE, &t->comp) !=
	    BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
		const struct trace_rec *unused;

		bt_value_put_ref(params);
		bt_error_line(r, why, sizeof(why), &unused);
		/* The metadata parser's details are only logged, and our
		 * components log nothing: say how to see them. */
		return fail(r, TR_ERR_CORRUPT, "%s: corrupt trace: %s "
			    "(details: babeltrace2 --log-level=WARNING %s)",
			    dir, why, dir);
	}
	bt_value_put_ref(params);
	err = add_to_recording(r, cls, t);
	return err < 0 ? err : 1;
}

int64_t tr_process_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start_ticks = 0, btime = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Field 2, the name, may hold spaces and parentheses: count from
	 * the last ')'. starttime is field 22. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start_ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	if (!btime || hz <= 0)
		return -1;
	return (int64_t)(btime + start_ticks / (unsigned long long)hz);
}

pid_t tr_recording_pid(const char *path)
{
	char dir[PATH_MAX], marker[PATH_MAX + sizeof(TR_RECORDING_MARKER)];
	struct stat st;
	size_t len;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return 0;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			snprintf(dir, sizeof(dir), ".");
		else
			slash[slash == dir] = '\0';
	}
	for (int up = 0; up <= 4; up++) {
		long long pid = 0, when = 0;
		int64_t started;
		FILE *f;

		snprintf(marker, sizeof(marker), "%s/%s", dir,
			 TR_RECORDING_MARKER);
		f = fopen(marker, "re");
		if (f) {
			int got = fscanf(f, "%lld %lld", &pid, &when);

			fclose(f);
			started = got == 2 && pid > 0 && pid <= INT_MAX ?
				  tr_process_start_time((pid_t)pid) : -1;
			/* A second of slack: the clocks round differently. */
			if (started >= 0 && started <= when + 1)
				return (pid_t)pid;
			return 0;
		}
		/* The parent: drop trailing slashes, then the last name. */
		len = strlen(dir);
		while (len > 1 && dir[len - 1] == '/')
			dir[--len] = '\0';
		if (!strcmp(dir, "/"))
			break;
		if (!strcmp(dir, ".") || !strcmp(dir, "..") ||
		    (len >= 3 && !strcmp(dir + len - 3, "/..")))
			strncat(dir, "/..", sizeof(dir) - len - 1);
		else {
			char *slash = strrchr(dir, '/');

			if (!slash)
				snprintf(dir, sizeof(dir), ".");
			else
				slash[slash == dir] = '\0';
		}
	}
	return 0;
}

int tr_reader_add_path(struct tr_reader *r, const char *path)
{
	unsigned before = r->ntraces, found = 0;
	struct stat st;
	pid_t rpid;
	int err;

	if (r->failed)
		return r->err_code;
	if (r->ran)
		return fail(r, TR_ERR_USAGE,
			    "a path was added after the reader ran");
	if (stat(path, &st) < 0)
		return fail(r, TR_ERR_PATH, "%s: %s", path, strerror(errno));
	/* LTTng writes a trace's metadata when the recording ends (the file
	 * is empty until then): say so rather than "not a CTF trace". */
	rpid = tr_recording_pid(path);
	if (rpid > 0)
		return fail(r, TR_ERR_RECORDING, "%s: still being recorded "
			    "(by schedprof record, pid %d): read it once the "
			    "recording has ended", path, (int)rpid);
	if (S_ISREG(st.st_mode)) {
		/* The metadata file stands for its trace directory. */
		const char *slash = strrchr(path, '/');
		char dir[PATH_MAX];

		if (strcmp(slash ? slash + 1 : path, "metadata"))
			return fail(r, TR_ERR_NOTRACE,
				    "%s: not a CTF trace (a file: give the "
				    "trace's directory)", path);
		snprintf(dir, sizeof(dir), "%.*s",
			 slash ? (int)(slash - path) : 1, slash ? path : ".");
		err = add_trace_dir(r, dir[0] ? dir : "/");
		return err < 0 ? err : (int)(r->ntraces - before);
	}
	if (!S_ISDIR(st.st_mode))
		return fail(r, TR_ERR_NOTRACE, "%s: not a CTF trace", path);
	if (access(path, R_OK | X_OK) < 0)
		return fail(r, TR_ERR_PATH, "%s: %s", path, strerror(errno));
	err = walk(r, path, 0, &found);
	if (err < 0)
		return err;
	if (!found)
		return fail(r, TR_ERR_NOTRACE,
			    "%s: not a CTF trace (no metadata file in it or "
			    "below)", path);
	return (int)(r->ntraces - before);
}

/* ---- decoding ---------------------------------------------------------- */

static const char *kind_text(enum tr_kind k)
{
	switch (k) {
	case TR_KIND_PTR:
	case TR_KIND_U64:
		return "an unsigned integer";
	case TR_KIND_I64:
	case TR_KIND_INT:
		return "a signed integer";
	case TR_KIND_STR:
		return "a string";
	}
	return "?";
}

static bool kind_fits(enum tr_kind k, bt_field_class_type t)
{
	switch (k) {
	case TR_KIND_PTR:
	case TR_KIND_U64:
		return bt_field_class_type_is(t,
				BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER);
	case TR_KIND_I64:
	case TR_KIND_INT:
		return bt_field_class_type_is(t,
				BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
	case TR_KIND_STR:
		return t == BT_FIELD_CLASS_TYPE_STRING;
	}
	return false;
}

/* Where a trace is, for error messages. */
static const char *where(const struct stream_rec *s)
{
	return s && s->trace ? s->trace->path : "trace";
}

/* Copies a string entry of a trace's environment, if there is one. */
static int env_string(const bt_trace *bt, const char *key, char **dst)
{
	const bt_value *v =
		bt_trace_borrow_environment_entry_value_by_name_const(bt, key);

	if (!v || !bt_value_is_string(v))
		return 0;
	*dst = strdup(bt_value_string_get(v));
	return *dst ? 0 : -1;
}

static struct trace_rec *trace_of(struct tr_reader *r, const bt_trace *bt)
{
	struct trace_rec *t = pm_get(&r->bttraces, bt);
	const bt_value *v;
	const char *name;

	if (t)
		return t;
	/* source.ctf.fs names it "<env hostname>/<our trace-name>", the
	 * latter being its component's name. */
	name = bt_trace_get_name(bt);
	if (name && strrchr(name, '/'))
		name = strrchr(name, '/') + 1;
	for (unsigned i = 0; name && !t && i < r->ntraces; i++)
		if (!strcmp(name, r->traces[i]->comp_name))
			t = r->traces[i];
	if (!t) {
		fail(r, TR_ERR_SETUP, "a trace named '%s' came from nowhere",
		     name ? name : "");
		return NULL;
	}
	/* LTTng's environment: who recorded it, and with per-PID buffers
	 * which process it is. */
	if (env_string(bt, "trace_name", &t->session) < 0 ||
	    env_string(bt, "hostname", &t->hostname) < 0 ||
	    env_string(bt, "procname", &t->procname) < 0)
		goto oom;
	t->pub.session = t->session;
	t->pub.hostname = t->hostname;
	t->pub.procname = t->procname;
	v = bt_trace_borrow_environment_entry_value_by_name_const(bt, "vpid");
	if (v && bt_value_is_signed_integer(v))
		t->pub.vpid = bt_value_integer_signed_get(v);
	if (pm_put(&r->bttraces, bt, t) < 0)
		goto oom;
	r->stats.traces++;
	return t;
oom:
	nomem(r);
	return NULL;
}

static bt_field_class_type member_type(
	const bt_field_class_structure_member *m)
{
	return bt_field_class_get_type(
		bt_field_class_structure_member_borrow_field_class_const(m));
}

/* The index of a structure's member and its type; -1 if it has none of
 * that name. */
static int64_t find_member(const bt_field_class *st, const char *name,
			   bt_field_class_type *type)
{
	uint64_t n = bt_field_class_structure_get_member_count(st);

	for (uint64_t i = 0; i < n; i++) {
		const bt_field_class_structure_member *m =
			bt_field_class_structure_borrow_member_by_index_const(
				st, i);

		if (!strcmp(bt_field_class_structure_member_get_name(m),
			    name)) {
			*type = member_type(m);
			return (int64_t)i;
		}
	}
	return -1;
}

/* A member of the event context, if there and of the wanted type. */
static int64_t context_member(const bt_field_class *ctx, const char *name,
			      bt_field_class_type want)
{
	bt_field_class_type type;
	int64_t i = find_member(ctx, name, &type);

	return i >= 0 && bt_field_class_type_is(type, want) ? i : -1;
}

static const struct sclass_rec *sclass_of(struct tr_reader *r,
					  const bt_stream_class *bt)
{
	struct sclass_rec *sc = pm_get(&r->sclasses, bt);
	const bt_clock_class *cc;
	const bt_field_class *ctx;

	if (sc)
		return sc;
	sc = own(r, sizeof(*sc));
	if (!sc || pm_put(&r->sclasses, bt, sc) < 0) {
		nomem(r);
		return NULL;
	}
	cc = bt_stream_class_borrow_default_clock_class_const(bt);
	sc->has_clock = cc != NULL;
	sc->freq = cc ? bt_clock_class_get_frequency(cc) : 0;
	sc->vtid = sc->vpid = sc->procname = -1;
	ctx = bt_stream_class_borrow_event_common_context_field_class_const(bt);
	if (ctx && bt_field_class_get_type(ctx) ==
			   BT_FIELD_CLASS_TYPE_STRUCTURE) {
		/* Signed, as LTTng records them; anything else is not
		 * the context we know and counts as absent. */
		sc->vtid = context_member(ctx, "vtid",
					  BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
		sc->vpid = context_member(ctx, "vpid",
					  BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
		sc->procname = context_member(ctx, "procname",
					      BT_FIELD_CLASS_TYPE_STRING);
	}
	return sc;
}

static struct stream_rec *stream_of(struct tr_reader *r, const bt_stream *bt)
{
	struct stream_rec *s = pm_get(&r->streams, bt);

	if (s)
		return s;
	s = own(r, sizeof(*s));
	if (!s || pm_put(&r->streams, bt, s) < 0) {
		nomem(r);
		return NULL;
	}
	s->trace = trace_of(r, bt_stream_borrow_trace_const(bt));
	s->sc = sclass_of(r, bt_stream_borrow_class_const(bt));
	if (!s->trace || !s->sc)
		return NULL;
	s->pub.index = r->stats.streams++;
	s->pub.id = bt_stream_get_id(bt);
	s->pub.trace = &s->trace->pub;
	return s;
}

/* Reads the schema version out of an EMF URI: -1 if it is not ours. */
static long schema_of(const char *uri)
{
	char *end;
	long v;

	if (!uri || strncmp(uri, SCHEMA_URI_PREFIX, strlen(SCHEMA_URI_PREFIX)))
		return -1;
	uri += strlen(SCHEMA_URI_PREFIX);
	errno = 0;
	v = strtol(uri, &end, 10);
	if (end == uri || *end || errno || v < 0)
		return -1;
	return v;
}

/* Works out an event class the first time it shows up. NULL on error. */
static struct class_rec *class_of(struct tr_reader *r,
				  const bt_event_class *bt,
				  const struct stream_rec *s)
{
	struct class_rec *c = own(r, sizeof(*c));
	const char *name = bt_event_class_get_name(bt);
	const char *uri = bt_event_class_get_emf_uri(bt);
	const bt_field_class *payload;
	const struct tr_field *f;
	long schema;

	if (!c) {
		nomem(r);
		return NULL;
	}
	if (!name || strncmp(name, PROVIDER, PROVIDER_LEN)) {
		c->type = CLASS_FOREIGN;
		goto done;
	}
	/* Any libsched class, known or not, says which schema the trace
	 * follows: the check comes before anything is decoded. Schema 1 is
	 * read too: its task events hold every field that schema 2 derives. */
	schema = schema_of(uri);
	if (schema != LSCHED_TRACE_SCHEMA && schema != 1) {
		if (schema >= 0)
			fail(r, TR_ERR_SCHEMA, "%s: trace schema %ld, expected "
			     "1 or %d (event %s)", where(s), schema,
			     LSCHED_TRACE_SCHEMA, name);
		else
			fail(r, TR_ERR_SCHEMA, "%s: trace schema unknown "
			     "(event %s has EMF URI '%s'), expected %d",
			     where(s), name, uri ? uri : "(none)",
			     LSCHED_TRACE_SCHEMA);
		return NULL;
	}
	c->type = tr_type_lookup(name);
	if (c->type < 0) {
		c->type = CLASS_UNKNOWN;
		goto done;
	}
	payload = bt_event_class_borrow_payload_field_class_const(bt);
	f = type_fields[c->type].fields;
	c->nfields = type_fields[c->type].n;
	for (unsigned i = 0; i < c->nfields; i++) {
		bt_field_class_type type;
		int64_t idx = payload ? find_member(payload, f[i].name, &type)
				      : -1;

		if (schema >= 2 && f[i].derived) {
			/* Not in the record; a schema-2 trace that had it
			 * anyway would still be derived. */
			c->missing[i] = c->derived[i] = c->derive = true;
			continue;
		}
		if (idx < 0 && added_field(c->type, f[i].name)) {
			c->missing[i] = true;
			c->absent[i] = added_field(c->type, f[i].name)->absent;
			continue;
		}
		if (idx < 0) {
			fail(r, TR_ERR_SCHEMA, "%s: event %s has no field "
			     "'%s', which schema %d requires", where(s), name,
			     f[i].name, LSCHED_TRACE_SCHEMA);
			return NULL;
		}
		if (!kind_fits(f[i].kind, type)) {
			fail(r, TR_ERR_SCHEMA, "%s: field '%s' of event %s is "
			     "not %s, as schema %d has it", where(s),
			     f[i].name, name, kind_text(f[i].kind),
			     LSCHED_TRACE_SCHEMA);
			return NULL;
		}
		c->member[i] = (uint64_t)idx;
	}
	if (c->derive) {
		const bt_stream_class *sc = bt_event_class_borrow_stream_class_const(bt);
		uint64_t n = bt_stream_class_get_event_class_count(sc);

		for (uint64_t i = 0; i < n && !c->names; i++) {
			const char *en = bt_event_class_get_name(
				bt_stream_class_borrow_event_class_by_index_const(sc, i));

			c->names = en && !strcmp(en, PROVIDER "task_name");
		}
	}
done:
	/* Only a class worked out in full goes in the table. */
	if (pm_put(&r->classes, bt, c) < 0) {
		nomem(r);
		return NULL;
	}
	return c;
}

/*
 * A string field's value. libbabeltrace2 2.0.4's CTF decoder (Debian 12's)
 * sets an empty string's length to 0 but leaves the field's buffer as the
 * previous event of the class left it, so bt_field_string_get_value()
 * returns that event's string (babeltrace change 4528 fixes it upstream).
 * The length is right: trust it.
 */
static const char *string_value(const bt_field *f)
{
	return bt_field_string_get_length(f) ? bt_field_string_get_value(f)
					     : "";
}

static const bt_field *member(const bt_field *st, uint64_t index)
{
	return bt_field_structure_borrow_member_field_by_index_const(st,
								     index);
}

/* Converts a clock value to ns without overflowing on any frequency. */
static int64_t cycles_to_ns(uint64_t v, uint64_t freq)
{
	if (freq == 1000000000u || !freq)
		return (int64_t)v;
	return (int64_t)((v / freq) * 1000000000u +
			 (v % freq) * 1000000000u / freq);
}

/* ---- schema 2's derived fields ------------------------------------------ */

static size_t task_hash(uint64_t proc, uint64_t id, size_t cap)
{
	uint64_t h = (id ^ (proc * 0xff51afd7ed558ccdull)) *
		     0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (cap - 1);
}

static struct task_rec *task_slot(struct task_rec *slots, size_t cap,
				  uint64_t proc, uint64_t id)
{
	size_t i = task_hash(proc, id, cap);

	while (slots[i].id && (slots[i].id != id || slots[i].proc != proc))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* The task's record, made (unnamed) on first sight; NULL without memory. */
static struct task_rec *task_get(struct tr_reader *r, uint64_t proc,
				 uint64_t id)
{
	struct task_map *m = &r->tasks;
	struct task_rec *t;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct task_rec *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return NULL;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].id)
				*task_slot(slots, cap, m->slots[i].proc,
					   m->slots[i].id) = m->slots[i];
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	t = task_slot(m->slots, m->cap, proc, id);
	if (!t->id) {
		t->proc = proc;
		t->id = id;
		t->name = "";
		m->n++;
	}
	return t;
}

/*
 * Keeps what schema 2's task events leave out, and fills their derived
 * fields (docs/tracepoints.md, "Schema 2"): loop, name, kind, max_wait and
 * parent from the task's task_name (and task_priority, task_max_wait);
 * a begin's ready_at from its wait; an end's prio, ready_at and begin from
 * the run's begin, or, that begin not in the trace (a snapshot that lost
 * it), begin = end - run and ready_at = begin. A task never named (its
 * task_name overwritten) gets loop 0 and name "". Task id 0 (none) is
 * passed through. Schema-1 events pass through, feeding the table.
 * Returns 1 for a task event to skip: its task not named yet in a trace
 * that records task_name (c->names); -1 on error, else 0.
 */
static int derive(struct tr_reader *r, const struct class_rec *c,
		  struct tr_event *ev, const struct stream_rec *s)
{
	uint64_t proc = ev->vpid >= 0 ? (uint64_t)ev->vpid
				      : (1ull << 40) + s->trace->pub.index;
	uint64_t id;
	struct task_rec *t;

	switch (ev->type) {
	case TR_EV_task_name: id = ev->task_name.task; break;
	case TR_EV_task_priority: id = ev->task_priority.task; break;
	case TR_EV_task_max_wait: id = ev->task_max_wait.task; break;
	case TR_EV_task_enqueue: id = ev->task_enqueue.task; break;
	case TR_EV_task_fire_begin: id = ev->task_fire_begin.task; break;
	case TR_EV_task_fire_end: id = ev->task_fire_end.task; break;
	default: return 0;
	}
	if (!id)
		return 0;
	/* A schema-1 trace needs no table; its task_priority and the like
	 * are not kept. */
	if (!c->derive && ev->type != TR_EV_task_name && !r->tasks.n)
		return 0;
	t = task_get(r, proc, id);
	if (!t)
		return nomem(r), -1;
	if (c->derive && c->names && !t->named)
		return 1;
	switch (ev->type) {
	case TR_EV_task_name: {
		const struct tr_ev_task_name *e = &ev->task_name;

		if (strcmp(t->name, e->name)) {
			size_t len = strlen(e->name) + 1;
			char *name = own(r, len);

			if (!name)
				return nomem(r), -1;
			memcpy(name, e->name, len);
			t->name = name;
		}
		t->named = true;
		t->loop = e->loop;
		t->kind = e->kind;
		t->prio = e->prio;
		t->max_wait = e->max_wait;
		t->parent = e->parent;
		break;
	}
	case TR_EV_task_priority:
		t->prio = ev->task_priority.prio;
		break;
	case TR_EV_task_max_wait:
		t->max_wait = ev->task_max_wait.max_wait;
		break;
	case TR_EV_task_enqueue: {
		struct tr_ev_task_enqueue *e = &ev->task_enqueue;

		if (c->derive) {
			e->loop = t->loop;
			e->name = t->name;
			e->kind = t->kind;
			e->max_wait = t->max_wait;
			e->parent = t->parent;
		}
		t->prio = e->prio;
		break;
	}
	case TR_EV_task_fire_begin: {
		struct tr_ev_task_fire_begin *e = &ev->task_fire_begin;

		if (c->derive) {
			e->loop = t->loop;
			e->name = t->name;
			e->kind = t->kind;
			e->ready_at = e->wait >= 0 ? e->begin - e->wait
						   : e->begin;
		}
		t->prio = e->prio;
		t->in_run = true;
		t->run_prio = e->prio;
		t->run_ready_at = e->ready_at;
		t->run_begin = e->begin;
		break;
	}
	case TR_EV_task_fire_end: {
		struct tr_ev_task_fire_end *e = &ev->task_fire_end;

		if (c->derive) {
			e->loop = t->loop;
			if (t->in_run) {
				e->prio = t->run_prio;
				e->ready_at = t->run_ready_at;
				e->begin = t->run_begin;
			} else {
				e->prio = t->prio;
				e->begin = e->run >= 0 ? e->end - e->run
						       : e->end;
				e->ready_at = e->begin;
			}
		}
		t->in_run = false;
		break;
	}
	default:
		break;
	}
	return 0;
}

static int on_event_msg(struct tr_reader *r, const bt_message *msg)
{
	const bt_event *e = bt_message_event_borrow_event_const(msg);
	const bt_event_class *ecls = bt_event_borrow_class_const(e);
	struct class_rec *c = pm_get(&r->classes, ecls);
	const bt_stream *bs = bt_event_borrow_stream_const(e);
	struct stream_rec *s = pm_get(&r->streams, bs);
	struct tr_event *ev = &r->ev;
	const bt_field *payload, *ctx;
	const struct tr_field *f;

	/* Streams begin before their events; a source that skipped the
	 * beginning would still be read. */
	if (!s && !(s = stream_of(r, bs)))
		return -1;
	if (!c && !(c = class_of(r, ecls, s)))
		return -1;
	if (c->type < 0) {
		if (c->type == CLASS_FOREIGN)
			r->stats.foreign++;
		else
			r->stats.unknown++;
		return 0;
	}

	ev->type = (enum tr_type)c->type;
	ev->stream = &s->pub;
	if (s->sc->has_clock) {
		const bt_clock_snapshot *cs;

		cs = bt_message_event_borrow_default_clock_snapshot_const(msg);

		if (bt_clock_snapshot_get_ns_from_origin(cs, &ev->ts) !=
		    BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK) {
			fail(r, TR_ERR_CORRUPT, "%s: an event's time overflows "
			     "64-bit ns", where(s));
			return -1;
		}
		ev->clock_ns = cycles_to_ns(bt_clock_snapshot_get_value(cs),
					    s->sc->freq);
	} else {
		ev->ts = ev->clock_ns = 0;
	}

	ev->vtid = -1;
	ev->vpid = s->trace->pub.vpid;
	ev->procname = s->trace->pub.procname;
	ctx = bt_event_borrow_common_context_field_const(e);
	if (ctx) {
		const struct sclass_rec *sc = s->sc;

		if (sc->vtid >= 0)
			ev->vtid = bt_field_integer_signed_get_value(
				member(ctx, (uint64_t)sc->vtid));
		if (sc->vpid >= 0)
			ev->vpid = bt_field_integer_signed_get_value(
				member(ctx, (uint64_t)sc->vpid));
		if (sc->procname >= 0)
			ev->procname = string_value(
				member(ctx, (uint64_t)sc->procname));
	}

	payload = bt_event_borrow_payload_field_const(e);
	f = type_fields[c->type].fields;
	for (unsigned i = 0; i < c->nfields; i++) {
		const bt_field *fld;
		/* Stored with memcpy: GCC's object-size tracking (-fsanitize=
		 * thread) takes a typed store through ev plus an offset for a
		 * write into ev->type and rejects it. */
		char *dst = (char *)ev + f[i].offset;
		union {
			uint64_t u;
			int64_t i;
			int32_t i32;
			const char *s;
		} v;
		size_t n = 0;

		if (c->derived[i])
			continue; /* derive() fills it */
		fld = c->missing[i] ? NULL : member(payload, c->member[i]);
		if (!fld) {
			/* added_fields holds I64 fields only; stored below
			 * with a size known at run time, as the others (see
			 * above: a constant size trips the same check). */
			v.i = c->absent[i];
			n = sizeof(v.i);
		} else switch (f[i].kind) {
		case TR_KIND_PTR:
		case TR_KIND_U64:
			v.u = bt_field_integer_unsigned_get_value(fld);
			n = sizeof(v.u);
			break;
		case TR_KIND_I64:
			v.i = bt_field_integer_signed_get_value(fld);
			n = sizeof(v.i);
			break;
		case TR_KIND_INT:
			v.i32 = (int32_t)bt_field_integer_signed_get_value(fld);
			n = sizeof(v.i32);
			break;
		case TR_KIND_STR:
			v.s = string_value(fld);
			n = sizeof(v.s);
			break;
		}
		memcpy(dst, &v, n);
	}

	switch (derive(r, c, ev, s)) {
	case -1:
		return -1;
	case 1:
		r->stats.unnamed++;
		return 0;
	default:
		break;
	}
	r->stats.events++;
	r->stats.per_type[c->type]++;
	if (r->stats.events == 1)
		r->stats.first_ts = ev->ts;
	r->stats.last_ts = ev->ts;
	if (r->h && r->h->event && r->h->event(ev, r->h->arg)) {
		r->stopped = true;
		return 1;
	}
	return 0;
}

/*
 * What a discarded-events or discarded-packets message says, into d; *b
 * and *e get its time range when its stream class has one. (Some lines
 * are long: babeltrace2's names are.)
 */
static const bt_stream *read_discard(const bt_message *msg, bool packets,
				     struct tr_discard *d,
				     const bt_clock_snapshot **b,
				     const bt_clock_snapshot **e)
{
	const bt_stream *bs;
	const bt_stream_class *sc;
	bt_property_availability avail;

	if (packets) {
		bs = bt_message_discarded_packets_borrow_stream_const(msg);
		sc = bt_stream_borrow_class_const(bs);
		avail = bt_message_discarded_packets_get_count(msg, &d->count);
		if (bt_stream_class_discarded_packets_have_default_clock_snapshots(sc)) {
			*b = bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const(msg);
			*e = bt_message_discarded_packets_borrow_end_default_clock_snapshot_const(msg);
		}
	} else {
		bs = bt_message_discarded_events_borrow_stream_const(msg);
		sc = bt_stream_borrow_class_const(bs);
		avail = bt_message_discarded_events_get_count(msg, &d->count);
		if (bt_stream_class_discarded_events_have_default_clock_snapshots(sc)) {
			*b = bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const(msg);
			*e = bt_message_discarded_events_borrow_end_default_clock_snapshot_const(msg);
		}
	}
	d->count_known = avail == BT_PROPERTY_AVAILABILITY_AVAILABLE;
	if (!d->count_known)
		d->count = 0;
	return bs;
}

static int on_discard_msg(struct tr_reader *r, const bt_message *msg,
			  bool packets)
{
	struct tr_discard d = { .packets = packets };
	const bt_clock_snapshot *b = NULL, *e = NULL;
	struct stream_rec *s =
		stream_of(r, read_discard(msg, packets, &d, &b, &e));

	if (!s)
		return -1;
	d.stream = &s->pub;
	d.has_range = b && e &&
		      bt_clock_snapshot_get_ns_from_origin(b, &d.begin) ==
			      BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK &&
		      bt_clock_snapshot_get_ns_from_origin(e, &d.end) ==
			      BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK;
	if (packets) {
		r->stats.discarded_packets_msgs++;
		r->stats.discarded_packets += d.count;
	} else {
		r->stats.discarded_events_msgs++;
		r->stats.discarded_events += d.count;
	}
	if (r->h && r->h->discard && r->h->discard(&d, r->h->arg)) {
		r->stopped = true;
		return 1;
	}
	return 0;
}

/* Returns < 0 on error, 1 to stop, 0 to go on. */
static int on_message(struct tr_reader *r, const bt_message *msg)
{
	const bt_stream *bs;

	switch (bt_message_get_type(msg)) {
	case BT_MESSAGE_TYPE_EVENT:
		return on_event_msg(r, msg);
	case BT_MESSAGE_TYPE_STREAM_BEGINNING:
		bs = bt_message_stream_beginning_borrow_stream_const(msg);
		return stream_of(r, bs) ? 0 : -1;
	case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
		return on_discard_msg(r, msg, false);
	case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
		return on_discard_msg(r, msg, true);
	default:
		return 0;
	}
}

#define SINK_STATUS(s) BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_##s

static bt_graph_simple_sink_component_consume_func_status
consume(bt_message_iterator *it, void *arg)
{
	struct tr_reader *r = arg;
	bt_message_array_const msgs;
	uint64_t count, i;
	int rc = 0;

	switch (bt_message_iterator_next(it, &msgs, &count)) {
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
		break;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
		return SINK_STATUS(END);
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
		return SINK_STATUS(AGAIN);
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
		return SINK_STATUS(MEMORY_ERROR);
	default:
		return SINK_STATUS(ERROR);
	}
	for (i = 0; i < count && rc == 0; i++) {
		rc = on_message(r, msgs[i]);
		bt_message_put_ref(msgs[i]);
	}
	/* The messages not looked at still hold references. */
	for (; i < count; i++)
		bt_message_put_ref(msgs[i]);
	if (rc < 0)
		return SINK_STATUS(ERROR);
	if (rc > 0)
		return SINK_STATUS(END);
	return SINK_STATUS(OK);
}

#undef SINK_STATUS

static const bt_port_output *source_port(const bt_component_source *src,
					 uint64_t index)
{
	return bt_component_source_borrow_output_port_by_index_const(src,
								     index);
}

/* The muxer adds an input port each time one gets connected: its free
 * one is the last. */
static const bt_port_input *muxer_free_port(struct tr_reader *r)
{
	uint64_t n = bt_component_filter_get_input_port_count(r->muxer);

	while (n-- > 0) {
		const bt_port_input *p =
			bt_component_filter_borrow_input_port_by_index_const(
				r->muxer, n);

		if (!bt_port_is_connected(bt_port_input_as_port_const(p)))
			return p;
	}
	return NULL;
}

static int build_graph(struct tr_reader *r)
{
	const bt_component_class_filter *mux_cls;
	const bt_port_output *out;
	const bt_port_input *in;
	char why[512];
	const struct trace_rec *t;

	mux_cls = bt_plugin_borrow_filter_component_class_by_name_const(
		r->utils, "muxer");
	if (!mux_cls)
		return fail(r, TR_ERR_SETUP,
			    "babeltrace2 plugin 'utils' has no 'muxer' filter");
	if (bt_graph_add_filter_component(r->graph, mux_cls, "muxer", NULL,
					  BT_LOGGING_LEVEL_NONE, &r->muxer) !=
	    BT_GRAPH_ADD_COMPONENT_STATUS_OK)
		return fail(r, TR_ERR_SETUP, "cannot add the muxer: %s",
			    bt_error_line(r, why, sizeof(why), &t));
	for (unsigned i = 0; i < r->ntraces; i++) {
		const bt_component_source *src = r->traces[i]->comp;
		uint64_t n = bt_component_source_get_output_port_count(src);

		for (uint64_t p = 0; p < n; p++) {
			out = source_port(src, p);
			in = muxer_free_port(r);
			if (!in || bt_graph_connect_ports(r->graph, out, in,
							  NULL) !=
					   BT_GRAPH_CONNECT_PORTS_STATUS_OK)
				return fail(r, TR_ERR_SETUP,
					    "%s: cannot connect its stream to "
					    "the muxer: %s", r->traces[i]->path,
					    bt_error_line(r, why, sizeof(why),
							  &t));
		}
	}
	if (bt_graph_add_simple_sink_component(r->graph, "sink", NULL, consume,
					       NULL, r, &r->sink) !=
	    BT_GRAPH_ADD_COMPONENT_STATUS_OK)
		return fail(r, TR_ERR_SETUP, "cannot add the sink: %s",
			    bt_error_line(r, why, sizeof(why), &t));
	out = bt_component_filter_borrow_output_port_by_name_const(r->muxer,
								   "out");
	in = bt_component_sink_borrow_input_port_by_name_const(r->sink, "in");
	if (!out || !in ||
	    bt_graph_connect_ports(r->graph, out, in, NULL) !=
		    BT_GRAPH_CONNECT_PORTS_STATUS_OK)
		return fail(r, TR_ERR_SETUP, "cannot connect the sink: %s",
			    bt_error_line(r, why, sizeof(why), &t));
	return 0;
}

int tr_reader_run(struct tr_reader *r, const struct tr_handlers *h)
{
	bt_graph_run_status st;
	int err;

	if (r->failed)
		return r->err_code;
	if (r->ran)
		return fail(r, TR_ERR_USAGE, "the reader already ran");
	r->ran = true;
	if (!r->ntraces)
		return fail(r, TR_ERR_NOTRACE, "no trace to read");
	if (r->nrecs > 1 && !r->allow_merge)
		return refuse_merge(r);
	r->h = h;
	err = build_graph(r);
	if (err)
		return err;
	/* A CTF directory never asks to try again, but a source that
	 * follows a live trace would. */
	while ((st = bt_graph_run(r->graph)) == BT_GRAPH_RUN_STATUS_AGAIN) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	if (st == BT_GRAPH_RUN_STATUS_OK) {
		if (r->failed)
			return r->err_code;
		return r->stopped ? TR_STOPPED : TR_OK;
	}
	if (r->failed) {
		/* Ours: babeltrace2's causes only say the sink failed. */
		bt_current_thread_clear_error();
		return r->err_code;
	}
	if (st == BT_GRAPH_RUN_STATUS_MEMORY_ERROR) {
		bt_current_thread_clear_error();
		return nomem(r);
	} else {
		char why[512];
		const struct trace_rec *t;

		bt_error_line(r, why, sizeof(why), &t);
		/* Some causes name no component (a clock snapshot out of
		 * range is found by the library): with one trace, it is
		 * that one. */
		if (!t && r->ntraces == 1)
			t = r->traces[0];
		return fail(r, TR_ERR_CORRUPT, "%s: corrupt trace: %s",
			    t ? t->path : "trace", why);
	}
}

/* ---- the rest ---------------------------------------------------------- */

struct tr_reader *tr_reader_new(void)
{
	struct tr_reader *r = calloc(1, sizeof(*r));

	return r;
}

const struct tr_stats *tr_reader_stats(const struct tr_reader *r)
{
	return &r->stats;
}

unsigned tr_reader_trace_count(const struct tr_reader *r)
{
	return r->ntraces;
}

const struct tr_trace *tr_reader_trace(const struct tr_reader *r,
				       unsigned index)
{
	return index < r->ntraces ? &r->traces[index]->pub : NULL;
}

const char *tr_reader_error(const struct tr_reader *r)
{
	return r->failed ? r->err : "";
}

void tr_reader_free(struct tr_reader *r)
{
	if (!r)
		return;
	/* The graph first: it holds the components, which hold the trace
	 * objects our tables point at. */
	bt_graph_put_ref(r->graph);
	bt_plugin_put_ref(r->ctf);
	bt_plugin_put_ref(r->utils);
	for (unsigned i = 0; i < r->ntraces; i++) {
		free(r->traces[i]->path);
		free(r->traces[i]->uuid);
		free(r->traces[i]->session);
		free(r->traces[i]->hostname);
		free(r->traces[i]->procname);
		free(r->traces[i]);
	}
	free(r->traces);
	for (unsigned i = 0; i < r->nrecs; i++) {
		free(r->recs[i]->dir);
		free(r->recs[i]->session);
		free(r->recs[i]->hostname);
		free(r->recs[i]->created);
		free(r->recs[i]);
	}
	free(r->recs);
	for (size_t i = 0; i < r->nowned; i++)
		free(r->owned[i]);
	free(r->owned);
	free(r->tasks.slots);
	pm_free(&r->classes);
	pm_free(&r->sclasses);
	pm_free(&r->streams);
	pm_free(&r->bttraces);
	free(r);
}
