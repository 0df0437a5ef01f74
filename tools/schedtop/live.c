/*
 * schedtop's live source: BPF programs (schedtop.bpf.c, through the
 * skeleton bpftool generates) on the USDT probes of libsched in a running
 * process, read once per frame; alerts arrive through a ring buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <lttng/lttng.h>

#include "flight.h"
#include "schedtop.h"
#include "words.h"
#include "schedtop.skel.h"

#define MAX_BINS 16
#define MAX_LINKS (MAX_BINS * 4)

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* libbpf's last warning or error, for our own one-line messages. */
static char libbpf_msg[256];

/* libbpf hands its format on: a literal at each of its call sites. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	libbpf_msg[strcspn(libbpf_msg, "\n")] = '\0';
	if (getenv("SCHEDTOP_DEBUG"))
		fprintf(stderr, "libbpf: %s\n", libbpf_msg);
	return 0;
}
#pragma GCC diagnostic pop

static int64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Does this ELF file carry libsched's USDT probes (a .note.stapsdt note of
 * provider "libsched", probe "task_fire_begin")? */
static bool has_probes(const char *path)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	size_t shstrndx;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF ||
	    elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".note.stapsdt"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
			const char *d = (const char *)data->d_buf + doff;
			size_t addr = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
			const char *prov, *probe;

			if (nh.n_type != 3 || nh.n_descsz < 3 * addr + 2 ||
			    strcmp((const char *)data->d_buf + noff, "stapsdt"))
				continue;
			prov = d + 3 * addr;
			if (!memchr(prov, '\0', nh.n_descsz - 3 * addr))
				continue;
			probe = prov + strlen(prov) + 1;
			if ((size_t)(probe - d) >= nh.n_descsz ||
			    !memchr(probe, '\0', nh.n_descsz - (size_t)(probe - d)))
				continue;
			if (!strcmp(prov, "libsched") &&
			    !strcmp(probe, "task_fire_begin")) {
				found = true;
				break;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* The files mapped executable into pid that carry libsched's probes.
 * Returns how many, or -errno when /proc/pid/maps cannot be read. */
static int find_binaries(long pid, char bins[][4352], int max)
{
	char path[64], line[4352];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fclose(f);
		return -ENOSYS;
	}
	while (fgets(line, sizeof(line), f)) {
		char perms[8], range[64], file[4096], alt[4352];
		static const char deleted[] = " (deleted)";
		size_t len;
		const char *use;
		int i;

		file[0] = '\0';
		if (sscanf(line, "%63s %7s %*s %*s %*s %4095[^\n]", range, perms,
			   file) < 3 || perms[2] != 'x' || file[0] != '/')
			continue;
		len = strlen(file);
		if (len > sizeof(deleted) - 1 &&
		    !strcmp(file + len - (sizeof(deleted) - 1), deleted)) {
			/* Replaced or removed since it was mapped (a library
			 * rebuilt under a running program): the mapped file
			 * itself, through map_files. */
			snprintf(alt, sizeof(alt), "/proc/%ld/map_files/%s",
				 pid, range);
			use = alt;
		} else {
			/* A process in another mount namespace: its files
			 * through its root. */
			snprintf(alt, sizeof(alt), "/proc/%ld/root%.4095s", pid,
				 file);
			use = access(file, R_OK) == 0 ? file : alt;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(bins[i], use))
				break;
		if (i < n || n == max)
			continue;
		if (has_probes(use))
			snprintf(bins[n++], 4352, "%s", use);
	}
	fclose(f);
	return n;
}

struct live {
	struct schedtop *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	long pid;
	struct st_run *run;
	/* CPU time per loop thread, for the CPU column. */
	struct { uint32_t tid; uint64_t ticks; double at; } cpu[64];
	int ncpu;
	double last_wall;
};

static int on_alert(void *ctx, void *data, size_t size)
{
	struct live *lv = ctx;
	struct st_alert a;

	if (size < sizeof(a))
		return 0;
	memcpy(&a, data, sizeof(a));
	a.name[ST_NAME_LEN - 1] = '\0';
	/* Raised when the run ended: the long run's end, or the begin of
	 * the run that ended the starvation. */
	st_alert_raise(&lv->run->alerts, &a, a.start + a.dur, NULL);
	return 0;
}

static bool thread_ticks(long pid, uint32_t tid, uint64_t *ticks,
			 char *comm, size_t commlen)
{
	char path[96], buf[1024], *p;
	unsigned long ut, stt;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/task/%u/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "tid (comm) state ...": comm may hold spaces and parentheses. */
	p = strrchr(buf, ')');
	if (!p)
		return false;
	if (comm) {
		char *open_p = strchr(buf, '(');

		if (open_p && open_p < p)
			snprintf(comm, commlen, "%.*s", (int)(p - open_p - 1),
				 open_p + 1);
	}
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &stt) != 2)
		return false;
	*ticks = ut + stt;
	return true;
}

static void annotate(struct st_frame *f, void *arg)
{
	struct live *lv = arg;
	double hz = (double)sysconf(_SC_CLK_TCK);

	for (size_t i = 0; i < f->nloops; i++) {
		struct st_frame_loop *l = &f->loops[i];
		uint64_t ticks;
		int k;

		if (!l->tid || !thread_ticks(lv->pid, l->tid, &ticks,
					     l->thread, sizeof(l->thread)))
			continue;
		for (k = 0; k < lv->ncpu; k++)
			if (lv->cpu[k].tid == l->tid)
				break;
		if (k < lv->ncpu) {
			double dt = f->wall - lv->cpu[k].at;

			if (dt > 0)
				l->cpu_pct = 100.0 *
					     (double)(ticks - lv->cpu[k].ticks) /
					     hz / dt;
		} else if (lv->ncpu < 64) {
			k = lv->ncpu++;
			lv->cpu[k].tid = l->tid;
		} else {
			continue;
		}
		lv->cpu[k].ticks = ticks;
		lv->cpu[k].at = f->wall;
	}
}

/* Reads the maps into a snapshot. */
static bool snapshot(struct live *lv, struct st_snap *s)
{
	int lfd = bpf_map__fd(lv->skel->maps.loops);
	int tfd = bpf_map__fd(lv->skel->maps.tasks);
	struct st_task_key tk, *tprev = NULL;
	struct st_loop *lval;
	uint64_t key, *prev = NULL;
	struct st_task_stat tv;

	st_snap_clear(s);
	s->epoch = lv->skel->bss->epoch;
	/* From now on, runs keep their maxima for the next frame. */
	__atomic_store_n(&lv->skel->bss->epoch, s->epoch + 1,
			 __ATOMIC_SEQ_CST);
	s->t = mono_now();
	lval = malloc(sizeof(*lval));
	if (!lval)
		return false;
	while (bpf_map_get_next_key(lfd, prev, &key) == 0) {
		struct st_loop_ent *e;

		prev = &key;
		if (bpf_map_lookup_elem(lfd, &key, lval))
			continue;
		e = st_snap_loop(s, key, lv->pid);
		if (!e) {
			free(lval);
			return false;
		}
		e->v = *lval;
	}
	free(lval);
	while (bpf_map_get_next_key(tfd, tprev, &tk) == 0) {
		tprev = &tk;
		if (bpf_map_lookup_elem(tfd, &tk, &tv))
			continue;
		if (!st_snap_add_task(s, &tk, &tv))
			return false;
	}
	st_snap_sort_tasks(s);
	s->lost = lv->skel->bss->lost;
	return true;
}

static void detach(struct live *lv)
{
	for (int i = 0; i < lv->nlinks; i++)
		bpf_link__destroy(lv->links[i]);
	lv->nlinks = 0;
	ring_buffer__free(lv->rb);
	lv->rb = NULL;
	schedtop__destroy(lv->skel);
	lv->skel = NULL;
}

/* Still running: neither gone nor a zombie waiting for its parent. */
static bool alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

static bool uprobes_available(void)
{
	const char *sysfs = getenv("SCHEDTOP_SYSFS");
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/event_source/devices/uprobe/type",
		 sysfs && *sysfs ? sysfs : "/sys");
	return access(path, R_OK) == 0;
}

static void read_comm(long pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* ---- the flight recorder (--save-on) ------------------------------------ */

/* The symbol that LTTng-UST's provider "libsched" defines (the probes of
 * tracepoints/provider.c, build/lib/libsched-lttng.so). */
#define PROVIDER_SYMBOL "lttng_ust_tracepoint_provider_libsched"
#define PROVIDER_FILE "libsched-lttng.so"
/* How long the process is given to register with the session daemon. */
#define REGISTER_MS 5000
#define SESSIOND_START_MS 30000
/* How often the flight recorder is stepped (fl_poll()). */
#define FLIGHT_POLL_MS 50
/* Messages held while the screen is open, printed when it closes. */
#define HELD_LINES 32

/* Does this ELF file define the libsched provider's symbol? */
static bool defines_provider(const char *path)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto out;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM &&
						sh.sh_type != SHT_SYMTAB) ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, PROVIDER_SYMBOL)) {
				found = true;
				break;
			}
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/*
 * Whether pid has libsched's LTTng-UST provider loaded: LTTng-UST itself
 * (liblttng-ust.so) and the provider, both mapped. libsched alone maps
 * only liblttng-ust-tracepoint.so, LTTng-UST's dynamic linkage, which
 * records nothing. The provider is libsched-lttng.so, or a file that
 * defines its symbol (a program or library linked with it); files are read
 * only when LTTng-UST is there and no libsched-lttng.so is. 1 yes, 0 no,
 * -errno when the maps cannot be read.
 */
static int provider_loaded(long pid)
{
	enum { MAX_FILES = 256 };
	char path[64], line[4352];
	char (*files)[4352] = NULL;
	bool ust = false, provider = false;
	int nfiles = 0, ret;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	files = malloc(MAX_FILES * sizeof(*files));
	if (!files) {
		fclose(f);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		char perms[8], range[64], file[4096];
		const char *base;
		int i;

		file[0] = '\0';
		if (sscanf(line, "%63s %7s %*s %*s %*s %4095[^\n]", range,
			   perms, file) < 3 || perms[2] != 'x' || file[0] != '/')
			continue;
		base = strrchr(file, '/') + 1;
		if (!strncmp(base, "liblttng-ust.so", 15))
			ust = true;
		if (!strncmp(base, PROVIDER_FILE, strlen(PROVIDER_FILE)))
			provider = true;
		if (!strncmp(base, "libc.so", 7) ||
		    !strncmp(base, "ld-linux", 8) ||
		    !strncmp(base, "liblttng-ust", 12) || nfiles == MAX_FILES)
			continue; /* not worth reading */
		/* The file as the process sees it: a deleted one through
		 * map_files, another mount namespace's through its root. */
		if (strstr(file, " (deleted)"))
			snprintf(files[nfiles], sizeof(files[0]),
				 "/proc/%ld/map_files/%s", pid, range);
		else
			snprintf(files[nfiles], sizeof(files[0]),
				 "/proc/%ld/root%.4095s", pid, file);
		if (access(files[nfiles], R_OK) < 0)
			snprintf(files[nfiles], sizeof(files[0]), "%s", file);
		for (i = 0; i < nfiles; i++)
			if (!strcmp(files[i], files[nfiles]))
				break;
		if (i == nfiles)
			nfiles++;
	}
	fclose(f);
	for (int i = 0; ust && !provider && i < nfiles; i++)
		provider = defines_provider(files[i]);
	free(files);
	ret = ust && provider;
	return ret;
}

/* Where our provider is: <dir of schedtop>/../lib, for the message. */
static void provider_path(char *buf, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	snprintf(buf, len, "%s", PROVIDER_FILE);
	if (n < 0)
		return;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/../lib/%s", exe, PROVIDER_FILE);
	if (realpath(path, exe))
		snprintf(buf, len, "%s", exe);
}

/*
 * Whether pid has registered with the session daemon: its libsched
 * events are listed in the user-space domain (what `lttng list -u`
 * shows). 1 yes, 0 no, < 0 an LTTng error code.
 */
static int registered(long pid)
{
	struct lttng_domain dom;
	struct lttng_handle *h;
	struct lttng_event *ev = NULL;
	int n, found = 0;

	memset(&dom, 0, sizeof(dom));
	dom.type = LTTNG_DOMAIN_UST;
	h = lttng_create_handle(NULL, &dom);
	if (!h)
		return -LTTNG_ERR_NOMEM;
	n = lttng_list_tracepoints(h, &ev);
	for (int i = 0; i < n; i++)
		if (ev[i].pid == (pid_t)pid &&
		    !strncmp(ev[i].name, "libsched:", 9)) {
			found = 1;
			break;
		}
	free(ev);
	lttng_destroy_handle(h);
	return n < 0 ? n : found;
}

/* Runs `lttng-sessiond --daemonize` (root) and waits until the daemon
 * answers. Returns -1 when it does, else an exit status (said). */
static int start_sessiond(void)
{
	int64_t deadline;
	int status, alive;
	pid_t pid, w;

	if (geteuid() != 0) {
		st_error("no LTTng session daemon is running: start one with "
			 "'sudo lttng-sessiond --daemonize' (then join the "
			 "'tracing' group), or 'lttng-sessiond --daemonize' as "
			 "yourself");
		return ST_EXIT_FAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		st_error("cannot run lttng-sessiond: fork: %s", strerror(errno));
		return ST_EXIT_FAIL;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execlp("lttng-sessiond", "lttng-sessiond", "--daemonize",
		       (char *)NULL);
		_exit(127);
	}
	deadline = mono_now() + (int64_t)SESSIOND_START_MS * 1000000;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       mono_now() < deadline)
		usleep(20000);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		st_error("lttng-sessiond --daemonize did not return within "
			 "%d s", SESSIOND_START_MS / 1000);
		return ST_EXIT_FAIL;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		st_error("no LTTng session daemon is running, and "
			 "'lttng-sessiond --daemonize' failed (status %d%s)",
			 WIFEXITED(status) ? WEXITSTATUS(status) :
					     128 + WTERMSIG(status),
			 WIFEXITED(status) && WEXITSTATUS(status) == 127 ?
				 ": install lttng-tools" : "");
		return ST_EXIT_FAIL;
	}
	deadline = mono_now() + 5000000000LL;
	while ((alive = lttng_session_daemon_alive()) != 1 &&
	       mono_now() < deadline)
		usleep(20000);
	if (alive != 1) {
		st_error("lttng-sessiond --daemonize ran, but no session "
			 "daemon answers");
		return ST_EXIT_FAIL;
	}
	fprintf(stderr, "schedtop: started an LTTng session daemon "
		"(lttng-sessiond --daemonize); it keeps running\n");
	return -1;
}

struct flight {
	struct fl_recorder *fr;
	struct st_run *run;       /* alerts; whether the screen is open */
	bool lost;                /* the session daemon went away */
	char dir[PATH_MAX];       /* absolute */
	const char *dir_arg;      /* as given (or the default) */
	char dir_default[64];
	double start_wall;
	char held[HELD_LINES][300];
	int nheld;
	unsigned held_dropped;
};

static void flight_log(void *arg, const char *line)
{
	struct flight *fl = arg;

	if (fl->run && fl->run->screen) {
		if (fl->nheld < HELD_LINES)
			snprintf(fl->held[fl->nheld++], sizeof(fl->held[0]),
				 "%s", line);
		else
			fl->held_dropped++;
		return;
	}
	fprintf(stderr, "schedtop: flight: %s\n", line);
}

static void flight_flush(struct flight *fl)
{
	for (int i = 0; i < fl->nheld; i++)
		fprintf(stderr, "schedtop: flight: %s\n", fl->held[i]);
	if (fl->held_dropped)
		fprintf(stderr, "schedtop: flight: (%u more messages)\n",
			fl->held_dropped);
	fl->nheld = 0;
	fl->held_dropped = 0;
}

static void hms(double wall, char *buf, size_t len)
{
	time_t t = (time_t)wall;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* Whether the process can be recorded at all (its provider). Returns -1
 * when it can, else an exit status (said). */
static int flight_check(const struct st_opts *o, const char *comm)
{
	char prov[PATH_MAX];
	int r;

	r = provider_loaded(o->pid);
	if (r < 0) {
		st_error("cannot read /proc/%ld/maps: %s", o->pid,
			 strerror(-r));
		return r == -ENOENT || r == -ESRCH ? ST_EXIT_USAGE :
						     ST_EXIT_FAIL;
	}
	if (!r) {
		provider_path(prov, sizeof(prov));
		st_error("process %ld (%s) does not have libsched's LTTng-UST "
			 "provider loaded, so nothing of it can be recorded: "
			 "start it under 'schedprof record --flight', or with "
			 "LD_PRELOAD=%s", o->pid, comm, prov);
		return ST_EXIT_USAGE;
	}
	return -1;
}

/*
 * The flight recorder's start, for a process that runs already: the
 * session daemon (started when none runs), the save directory, the
 * snapshot session and the trigger, and the
 * process's registration. Returns -1 when recording, else an exit status
 * (said; nothing left in the session daemon).
 */
static int flight_start(struct flight *fl, const struct st_opts *o,
			const char *comm)
{
	char err[512], rules[512], when[16];
	struct fl_config cfg;
	struct stat st;
	size_t off = 0;
	int r, alive;
	int64_t deadline;

	fl->dir_arg = o->save_dir;
	if (!fl->dir_arg) {
		snprintf(fl->dir_default, sizeof(fl->dir_default),
			 "schedtop-flight-%ld", o->pid);
		fl->dir_arg = fl->dir_default;
	}
	if (mkdir(fl->dir_arg, 0755) < 0 && errno != EEXIST) {
		st_error("--save-dir %s: cannot create it: %s", fl->dir_arg,
			 strerror(errno));
		return ST_EXIT_FAIL;
	}
	if (stat(fl->dir_arg, &st) < 0 || !S_ISDIR(st.st_mode)) {
		st_error("--save-dir %s: not a directory", fl->dir_arg);
		return ST_EXIT_USAGE;
	}
	if (access(fl->dir_arg, W_OK | X_OK) < 0) {
		st_error("--save-dir %s: %s", fl->dir_arg, strerror(errno));
		return ST_EXIT_FAIL;
	}
	if (!realpath(fl->dir_arg, fl->dir)) {
		st_error("--save-dir %s: %s", fl->dir_arg, strerror(errno));
		return ST_EXIT_FAIL;
	}
	alive = lttng_session_daemon_alive();
	if (alive < 0) {
		st_error("cannot reach an LTTng session daemon: %s",
			 lttng_strerror(alive));
		return ST_EXIT_FAIL;
	}
	if (alive != 1 && (r = start_sessiond()) >= 0)
		return r;
	/* What recorders that died (SIGKILL) left: theirs only. */
	fl_reap_stale(flight_log, fl);

	memset(&cfg, 0, sizeof(cfg));
	cfg.outdir = fl->dir;
	cfg.pid = (pid_t)o->pid;
	cfg.rules = o->rules;
	cfg.nrules = o->nrules;
	cfg.subbuf_mb = o->buffer_mb;
	cfg.num_subbuf = 8;
	cfg.max_saves = o->max_saves;
	cfg.hold_off_ms = o->hold_off_ms;
	cfg.log = flight_log;
	cfg.log_arg = fl;
	if (fl_start(&cfg, &fl->fr, err, sizeof(err)) < 0) {
		st_error("%s", err);
		return ST_EXIT_FAIL;
	}
	fl->start_wall = wall_now();
	/* An LTTng-UST program registers with the session daemon when it
	 * starts, or when a daemon appears later: it must have, or nothing
	 * reaches the session. */
	deadline = mono_now() + (int64_t)REGISTER_MS * 1000000;
	while ((r = registered(o->pid)) == 0 && mono_now() < deadline &&
	       !got_signal)
		usleep(50000);
	if (r != 1) {
		fl_stop(fl->fr, false, NULL);
		fl->fr = NULL;
		if (r < 0)
			st_error("cannot list the LTTng applications: %s",
				 lttng_strerror(r));
		else if (got_signal)
			return ST_EXIT_OK;
		else
			st_error("process %ld (%s) has libsched's LTTng-UST "
				 "provider loaded but has not registered with "
				 "the LTTng session daemon within %d s "
				 "('lttng list -u' does not show it): nothing "
				 "of it can be recorded (another user's or "
				 "container's daemon? LTTNG_UST_REGISTER_TIMEOUT "
				 "set?)", o->pid, comm, REGISTER_MS / 1000);
		return ST_EXIT_FAIL;
	}
	for (size_t i = 0; i < o->nrules && off < sizeof(rules); i++)
		off += (size_t)snprintf(rules + off, sizeof(rules) - off,
					"%s%s", i ? ", " : "",
					o->rules[i].text);
	hms(fl->start_wall, when, sizeof(when));
	fprintf(stderr, "schedtop: flight: recording process %ld (%s) in "
		"memory from %s (LTTng session %s), saving to %s when %s "
		"fires (up to %u save%s): a save holds what happened from %s "
		"on, never the time before\n", o->pid, comm, when,
		fl_session_name(fl->fr), fl->dir_arg, rules, o->max_saves,
		o->max_saves == 1 ? "" : "s", when);
	return -1;
}

/* The step: each save made becomes an alert. */
static void flight_poll(struct flight *fl)
{
	const struct fl_save *s;
	int n;

	if (!fl->fr || fl->lost)
		return;
	n = fl_poll(fl->fr);
	if (n < 0) {
		fl->lost = true;
		return;
	}
	if (n > 0 && (s = fl_last_save(fl->fr))) {
		/* The kind of a save's trigger read from a trace ("flight-save"
		 * in --json); the text names the save and the rule. */
		struct st_alert a = { .kind = ST_ALERT_FLIGHT, .prio = -1 };
		struct st_alert_ent *e;
		const char *base = strrchr(s->path, '/');

		a.dur = s->span_ns > 0 ? s->span_ns : 0;
		a.start = mono_now() - a.dur;
		st_alert_raise(&fl->run->alerts, &a, mono_now(), NULL);
		e = &fl->run->alerts.ring[(fl->run->alerts.total - 1) %
					  ST_ALERTS_KEPT];
		/* The directory's name (flight-NNN-DATE) is short. */
		snprintf(e->text, sizeof(e->text), "saved %.200s: rule %s fired "
			 "(%.2f s, %llu events, %llu discarded)",
			 base ? base + 1 : s->path, s->rule,
			 s->span_ns > 0 ? (double)s->span_ns / 1e9 : 0.0,
			 (unsigned long long)s->events,
			 (unsigned long long)s->discarded);
	}
}

/* The end: the recorder stopped, nothing left in the session daemon, and
 * what it did. Returns ST_EXIT_FAIL when the session daemon went away or
 * something could not be removed, else -1. */
static int flight_stop(struct flight *fl, const struct st_opts *o)
{
	struct fl_summary sum;
	char from[16], to[16], line[1024];
	size_t off = 0;
	int ret;

	if (!fl->fr)
		return -1;
	ret = fl_stop(fl->fr, false, &sum);
	fl->fr = NULL;
	flight_flush(fl);
	hms(fl->start_wall, from, sizeof(from));
	hms(wall_now(), to, sizeof(to));
	if (!sum.saves && !sum.missed && !sum.incomplete) {
		fprintf(stderr, "schedtop: flight: no save (no rule fired "
			"from %s to %s)\n", from, to);
	} else if (!sum.saves) {
		fprintf(stderr, "schedtop: flight: no save: %u %s "
			"fired from %s to %s, %u without a snapshot, %u "
			"incomplete\n", sum.missed + sum.incomplete,
			tw_noun(sum.missed + sum.incomplete, "trigger",
				"triggers"), from, to,
			sum.missed, sum.incomplete);
	} else {
		for (size_t i = 0; i < o->nrules; i++)
			off += (size_t)snprintf(line + off,
						off < sizeof(line) ?
						sizeof(line) - off : 0,
						"%s%s: %u", i ? ", " : "",
						o->rules[i].text, sum.fired[i]);
		fprintf(stderr, "schedtop: flight: %u %s in %s (%s), "
			"recorded from %s to %s\n", sum.saves,
			tw_noun(sum.saves, "save", "saves"), fl->dir_arg, line, from, to);
	}
	fprintf(stderr, "schedtop: flight: %llu %s discarded%s%s%s\n",
		(unsigned long long)sum.discarded,
		tw_noun(sum.discarded, "event", "events"),
		sum.max_reached ? "; --max-saves reached" : "",
		sum.disk_low ? "; stopped saving: disk nearly full" : "",
		fl->lost ? "; the LTTng session daemon went away" : "");
	if (sum.saves && sum.missed)
		fprintf(stderr, "schedtop: flight: warning: %u more %s "
			"fired without a snapshot\n", sum.missed,
			tw_noun(sum.missed, "trigger", "triggers"));
	if (sum.saves && sum.incomplete)
		fprintf(stderr, "schedtop: flight: %u more %s incomplete "
			"(removed)\n", sum.incomplete,
			tw_noun(sum.incomplete, "save", "saves"));
	return ret < 0 || fl->lost || sum.incomplete ? ST_EXIT_FAIL : -1;
}

int st_live_main(const struct st_opts *o)
{
	static char bins[MAX_BINS][4352];
	struct st_snap cur = { 0 };
	struct st_run run = { 0 };
	struct live lv = { 0 };
	static struct flight fl;
	struct sigaction sa = { 0 };
	int nbins, err, status = ST_EXIT_OK;
	int64_t interval_ns = (int64_t)(o->interval_s * 1e9);
	uint64_t lost_seen = 0;
	int64_t next;
	bool quit = false;
	static const char *const probes[] = {
		/* task_fire_begin last: every run begun once it is attached
		 * is seen ending (an end without its begin is ignored). */
		"task_fire_end", "loop_sleep", "perform_enqueue",
		"task_fire_begin",
	};

	if (kill((pid_t)o->pid, 0) && errno == ESRCH) {
		st_error("no process with PID %ld", o->pid);
		return ST_EXIT_USAGE;
	}
	if (!uprobes_available()) {
		st_error("this kernel has no uprobes (no "
			 "/sys/bus/event_source/devices/uprobe): record a trace "
			 "with 'schedprof record' and run 'schedtop TRACE_DIR'");
		return ST_EXIT_USAGE;
	}
	libbpf_set_print(libbpf_print);
	lv.pid = o->pid;
	lv.skel = schedtop__open();
	if (!lv.skel) {
		st_error("cannot open the BPF object: %s", strerror(errno));
		return ST_EXIT_FAIL;
	}
	lv.skel->rodata->long_task_ns = o->long_task_ns;
	lv.skel->rodata->starve_ns = o->starve_ns;
	lv.skel->rodata->target_tgid = (uint32_t)o->pid;
	err = schedtop__load(lv.skel);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			st_error("not permitted to load BPF programs: this needs "
				 "CAP_BPF and CAP_PERFMON (run as root), or "
				 "record a trace with 'schedprof record' and run "
				 "'schedtop TRACE_DIR'");
		else
			st_error("cannot load the BPF programs: %s%s%s",
				 strerror(-err), libbpf_msg[0] ? ": " : "",
				 libbpf_msg);
		detach(&lv);
		return ST_EXIT_FAIL;
	}
	if (!alive((pid_t)o->pid)) {
		st_error("process %ld has exited (a zombie, not yet reaped)",
			 o->pid);
		detach(&lv);
		return ST_EXIT_USAGE;
	}
	nbins = find_binaries(o->pid, bins, MAX_BINS);
	if (nbins == -ENOENT || nbins == -ESRCH) {
		st_error("no process with PID %ld", o->pid);
		detach(&lv);
		return ST_EXIT_USAGE;
	}
	if (nbins < 0) {
		st_error("cannot read /proc/%ld/maps: %s%s", o->pid,
			 strerror(-nbins),
			 (nbins == -EACCES || nbins == -EPERM) && geteuid() ?
				 " (not permitted: run as root)" : "");
		detach(&lv);
		return nbins == -EACCES || nbins == -EPERM ? ST_EXIT_FAIL :
							      ST_EXIT_USAGE;
	}
	read_comm(o->pid, run.view.comm, sizeof(run.view.comm));
	if (nbins == 0) {
		st_error("process %ld (%s) has no libsched probes: it does not "
			 "use libsched, or its libsched was built with TRACE=0",
			 o->pid, run.view.comm);
		detach(&lv);
		return ST_EXIT_USAGE;
	}
	if (o->nrules && (status = flight_check(o, run.view.comm)) >= 0) {
		detach(&lv);
		return status;
	}
	status = ST_EXIT_OK;
	for (int b = 0; b < nbins; b++) {
		for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
			struct bpf_program *prog =
				bpf_object__find_program_by_name(lv.skel->obj,
								 probes[p]);
			struct bpf_link *link;

			link = prog ? bpf_program__attach_usdt(prog, (pid_t)o->pid,
							       bins[b], "libsched",
							       probes[p], NULL)
				    : NULL;
			if (!link) {
				err = -errno;
				if (err == -ESRCH || kill((pid_t)o->pid, 0)) {
					st_error("no process with PID %ld "
						 "(it exited)", o->pid);
					status = ST_EXIT_USAGE;
				} else if (err == -EPERM || err == -EACCES) {
					st_error("not permitted to attach "
						 "uprobes: this needs CAP_BPF "
						 "and CAP_PERFMON (run as root), "
						 "or record a trace with 'schedprof "
						 "record' and run 'schedtop "
						 "TRACE_DIR'");
					status = ST_EXIT_FAIL;
				} else {
					st_error("cannot attach to libsched:%s "
						 "in %s: %s", probes[p], bins[b],
						 strerror(-err));
					status = ST_EXIT_FAIL;
				}
				detach(&lv);
				return status;
			}
			lv.links[lv.nlinks++] = link;
		}
	}
	run.o = o;
	run.view.mode = "live";
	run.view.pid = o->pid;
	run.sort = o->sort;
	run.filter_pid = -1;
	run.annotate = annotate;
	run.annotate_arg = &lv;
	lv.run = &run;
	lv.rb = ring_buffer__new(bpf_map__fd(lv.skel->maps.alerts), on_alert,
				 &lv, NULL);
	if (!lv.rb) {
		st_error("cannot open the alert ring buffer: %s",
			 strerror(errno));
		detach(&lv);
		return ST_EXIT_FAIL;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	memset(&fl, 0, sizeof(fl));
	fl.run = &run;
	if (o->nrules && (status = flight_start(&fl, o, run.view.comm)) >= 0) {
		detach(&lv);
		return status;
	}
	status = ST_EXIT_OK;
	run.screen = !o->batch && !o->json && st_screen_open();
	if (!o->batch && !o->json && !run.screen)
		run.screen = false; /* not a terminal: plain frames */
	/* The first snapshot is the baseline: nothing is shown for it. */
	if (!snapshot(&lv, &cur) || !st_snap_copy(&run.prev, &cur)) {
		st_error("out of memory");
		quit = true;
		status = ST_EXIT_FAIL;
	}
	/* The loop threads' CPU time now, so that the first frame has it. */
	for (size_t i = 0; i < cur.nloops && lv.ncpu < 64; i++) {
		uint64_t ticks;

		if (cur.loops[i].v.tid &&
		    thread_ticks(o->pid, cur.loops[i].v.tid, &ticks, NULL, 0)) {
			lv.cpu[lv.ncpu].tid = cur.loops[i].v.tid;
			lv.cpu[lv.ncpu].ticks = ticks;
			lv.cpu[lv.ncpu].at = wall_now();
			lv.ncpu++;
		}
	}
	next = mono_now() + interval_ns;
	while (!quit && !got_signal) {
		int64_t left = next - mono_now();
		int rc, fd = ring_buffer__epoll_fd(lv.rb);

		if (left > 0) {
			/* Wake at least every 200 ms to notice the target's
			 * exit. */
			int ms = (int)((left + 999999) / 1000000);
			int most = fl.fr ? FLIGHT_POLL_MS : 200;

			rc = st_run_wait(&run, fd, ms > most ? most : ms);
			if (rc == ST_WAIT_QUIT)
				break;
			if (rc == ST_WAIT_FD)
				ring_buffer__consume(lv.rb);
			flight_poll(&fl);
			if (!alive((pid_t)o->pid)) {
				ring_buffer__consume(lv.rb);
				/* A last frame, up to the exit, unless paused
				 * on the screen. */
				if (!(run.view.paused && run.screen) &&
				    snapshot(&lv, &cur)) {
					st_check_ongoing(&run, &cur, o->long_task_ns,
							 o->starve_ns);
					st_run_frame(&run, &cur, wall_now());
				}
				st_screen_close();
				st_error("process %ld exited", o->pid);
				quit = true;
			}
			continue;
		}
		ring_buffer__consume(lv.rb);
		next += interval_ns;
		if (next < mono_now())
			next = mono_now() + interval_ns;
		/* Paused: no snapshot, so the first frame after resuming
		 * covers the pause, maxima included. */
		if (run.view.paused && run.screen)
			continue;
		if (!snapshot(&lv, &cur)) {
			st_error("out of memory");
			status = ST_EXIT_FAIL;
			break;
		}
		st_check_ongoing(&run, &cur, o->long_task_ns, o->starve_ns);
		{
			/* As in the header: an end without its begin is the
			 * run in progress when the probes were attached. */
			uint64_t lost = cur.lost.ringbuf + cur.lost.map_full +
					cur.lost.bad_args;

			if (lost > lost_seen) {
				struct st_alert a = { .kind = ST_ALERT_LOST,
						      .dur = (int64_t)(lost - lost_seen) };

				st_alert_raise(&run.alerts, &a, cur.t, NULL);
				lost_seen = lost;
			}
		}
		if (!st_run_frame(&run, &cur, wall_now())) {
			if (run.failed)
				status = ST_EXIT_FAIL;
			break;
		}
	}
	st_screen_close();
	if (got_signal && !o->json)
		fprintf(stderr, "schedtop: %s: detaching\n", strsignal(got_signal));
	if (fl.fr) {
		int r;

		/* Quit, a signal, -n or the process's exit: the recorder
		 * stops, and nothing of it stays in the session daemon. */
		run.screen = false;
		r = flight_stop(&fl, o);
		if (r >= 0 && status == ST_EXIT_OK)
			status = r;
	}
	detach(&lv);
	st_run_free(&run);
	st_snap_free(&cur);
	return status;
}
