/*
 * The USDT test: libbpf attaches tests/bpf/usdt_count.bpf.c to the probes
 * libsched:<event> of a running build/tests/trace_workload, and the hits
 * are checked against what the workload says it did.
 *
 *   usdt_count [--scale N] [-v] [-v]
 *
 * Runs trace_workload --wait-start (next to this program) as a child,
 * attaches one BPF program per event of tracepoints/events.def to that
 * process's build/lib/libsched.so (which raises the probes' semaphores),
 * lets the workload start, waits for it, then compares the BPF maps with
 * its key=value lines: one "PASS"/"FAIL" line per check on stdout. -v
 * also prints every counter and libbpf's warnings, -v -v libbpf's debug
 * messages too. --scale is passed to the workload.
 *
 * Exit status: 0 if every check passed, 1 if one failed or the test could
 * not run (BPF not allowed, probe missing...: one line on stderr). It never
 * skips: without BPF it fails.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usdt_count.h"
#include "usdt_count.skel.h"

#define PROG "usdt_count"
#define PROVIDER "libsched"
/* Links: one per probe site; events.def's events have a few sites each. */
#define MAX_LINK_IDS 256

static const char *const event_name[UC_EV_COUNT] = {
#define LSCHED_EVENT(ev, ...) [UC_EV_##ev] = #ev,
#include "events.def"
#undef LSCHED_EVENT
};

static const int event_nargs[UC_EV_COUNT] = {
#define LSCHED_EVENT(ev, ...) [UC_EV_##ev] = UC_NARGS_##ev,
#include "events.def"
#undef LSCHED_EVENT
};

/* What trace_workload printed: every key is required. */
static const char *const wl_key[] = {
	"idle_runs",  "timer_runs",   "child_runs", "stopped",
	"sliced_runs", "sliced_checks", "burst_posts", "at_posts",
	"wait_posts", "commands",     "builds",     "moved_runs",
	"nap_runs",
};
enum {
	IDLE_RUNS, TIMER_RUNS, CHILD_RUNS, STOPPED, SLICED_RUNS,
	SLICED_CHECKS, BURST_POSTS, AT_POSTS, WAIT_POSTS, COMMANDS, BUILDS,
	MOVED_RUNS, NAP_RUNS, WL_KEYS
};
static unsigned long long wl[WL_KEYS];

static int verbose;
static int nchecks, nfailed;
static volatile pid_t child = -1;
/* libbpf's first warning since we cleared it: the cause, not the
 * consequences, to end our one error line with. */
static char libbpf_said[256];

static __attribute__((format(printf, 2, 0))) int
on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list copy;
	size_t n;

	if (verbose > 1 || (verbose && level != LIBBPF_DEBUG)) {
		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level != LIBBPF_WARN || libbpf_said[0])
		return 0;
	vsnprintf(libbpf_said, sizeof(libbpf_said), fmt, ap);
	/* Without privileges this one comes first, but the kernels that
	 * account BPF memory to cgroups ignore that limit: not the cause. */
	if (strstr(libbpf_said, "Failed to bump RLIMIT_MEMLOCK")) {
		libbpf_said[0] = '\0';
		return 0;
	}
	n = strlen(libbpf_said);
	while (n && (libbpf_said[n - 1] == '\n' || libbpf_said[n - 1] == ' '))
		libbpf_said[--n] = '\0';
	return 0;
}

/* " (libbpf: ...)" after an error message, if libbpf said why. */
static const char *why(void)
{
	static char buf[sizeof(libbpf_said) + 16];

	if (!libbpf_said[0])
		return "";
	snprintf(buf, sizeof(buf), " (%s)", libbpf_said);
	return buf;
}

/* A hung workload must not hang the test (CI): it is killed, and so are
 * we; our links go with our descriptors. */
static void on_alarm(int sig)
{
	static const char msg[] = PROG ": timed out: workload killed\n";

	if (child > 0)
		kill(child, SIGKILL);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static __attribute__((format(printf, 3, 4))) void
check(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	nchecks++;
	nfailed += !ok;
	printf("%s  %-34s ", ok ? "PASS" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ---- the workload ------------------------------------------------------ */

/* Starts the workload with pipes on its stdin and stdout. */
static int spawn(const char *path, int scale, int *to_child, FILE **from_child)
{
	char scale_arg[16];
	int in[2], out[2];
	pid_t pid;

	snprintf(scale_arg, sizeof(scale_arg), "%d", scale);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (dup2(in[0], STDIN_FILENO) < 0 ||
		    dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		execl(path, path, "--wait-start", "--scale", scale_arg,
		      (char *)NULL);
		fprintf(stderr, PROG ": cannot run %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	child = pid;
	close(in[0]);
	close(out[1]);
	*to_child = in[1];
	*from_child = fdopen(out[0], "r");
	if (!*from_child) {
		fprintf(stderr, PROG ": fdopen: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads "ready PID"; the PID must be our child's (no wrapper between). */
static int wait_ready(FILE *from_child)
{
	char line[64];
	int pid;

	if (!fgets(line, sizeof(line), from_child)) {
		fprintf(stderr, PROG ": the workload exited before 'ready'\n");
		return -1;
	}
	if (sscanf(line, "ready %d", &pid) != 1 || pid != child) {
		fprintf(stderr, PROG ": expected 'ready %d' from the workload, got '%.*s'\n",
			(int)child, (int)strcspn(line, "\n"), line);
		return -1;
	}
	return 0;
}

static int parse_output(FILE *from_child)
{
	bool have[WL_KEYS] = { false };
	char line[128];
	int err = 0;

	while (fgets(line, sizeof(line), from_child)) {
		char *eq = strchr(line, '='), *end;

		if (!eq)
			continue;
		*eq = '\0';
		for (int i = 0; i < WL_KEYS; i++) {
			if (strcmp(line, wl_key[i]))
				continue;
			errno = 0;
			wl[i] = strtoull(eq + 1, &end, 10);
			have[i] = !errno && end != eq + 1 &&
				  (*end == '\n' || *end == '\0');
		}
	}
	for (int i = 0; i < WL_KEYS; i++) {
		if (!have[i]) {
			fprintf(stderr, PROG ": the workload printed no valid '%s='\n",
				wl_key[i]);
			err = -1;
		}
	}
	return err;
}

/* ---- BPF --------------------------------------------------------------- */

static __u32 prog_ids[UC_EV_COUNT];
static int nprog_ids;

static bool is_our_prog(__u32 id)
{
	for (int i = 0; i < nprog_ids; i++)
		if (prog_ids[i] == id)
			return true;
	return false;
}

static __u32 prog_id(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) < 0)
		return 0;
	return info.id;
}

/*
 * The kernel's links to our programs, found by scanning every link: a USDT
 * attachment is one libbpf link made of one uprobe link per probe site,
 * whose ids libbpf does not expose. Returns how many, ids in ids[].
 */
static int our_links(__u32 *ids, int max)
{
	__u32 id = 0;
	int n = 0;

	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue; /* gone meanwhile */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    is_our_prog(info.prog_id)) {
			if (n < max)
				ids[n] = id;
			n++;
		}
		close(fd);
	}
	return n;
}

static __u64 name_count(const struct bpf_map *map, const char *name)
{
	char key[UC_NAME_LEN] = { 0 };
	__u64 n;

	strncpy(key, name, sizeof(key) - 1);
	if (bpf_map__lookup_elem(map, key, sizeof(key), &n, sizeof(n), 0) < 0)
		return 0;
	return n;
}

/* Sum of the counts of the names that start with prefix ("" for all). */
static __u64 prefix_count(const struct bpf_map *map, const char *prefix)
{
	char key[UC_NAME_LEN], next[UC_NAME_LEN];
	void *prev = NULL;
	__u64 sum = 0, n;

	while (bpf_map__get_next_key(map, prev, next, sizeof(next)) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (strncmp(key, prefix, strlen(prefix)))
			continue;
		if (bpf_map__lookup_elem(map, key, sizeof(key), &n,
					 sizeof(n), 0) == 0)
			sum += n;
	}
	return sum;
}

static void print_names(const char *what, const struct bpf_map *map)
{
	char key[UC_NAME_LEN], next[UC_NAME_LEN];
	void *prev = NULL;
	__u64 n;

	while (bpf_map__get_next_key(map, prev, next, sizeof(next)) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map__lookup_elem(map, key, sizeof(key), &n,
					 sizeof(n), 0) == 0)
			printf("info  %s %-30s %llu\n", what,
			       key[0] ? key : "(null)", (unsigned long long)n);
	}
}

/* ---- the checks -------------------------------------------------------- */

static struct uc_event_stat ev[UC_EV_COUNT];

#define HITS(e) ((unsigned long long)ev[UC_EV_##e].hits)
#define U(x) ((unsigned long long)(x))

static void check_all(struct usdt_count *skel, int status)
{
	const struct uc_checks *c = &skel->bss->uc;
	const struct bpf_map *runs = skel->maps.runs, *posts = skel->maps.posts;
	unsigned long long posted = wl[BURST_POSTS] + wl[AT_POSTS] +
				    wl[WAIT_POSTS];
	char bad[256] = "";
	size_t len = 0;
	int nbad = 0, nhit = 0;

	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "workload ran as planned", "exit status %d",
	      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));

	/* Only a probe that was hit tells its argument count. */
	for (int i = 0; i < UC_EV_COUNT; i++) {
		nhit += ev[i].hits != 0;
		if (!ev[i].hits || !ev[i].bad_argc)
			continue;
		nbad++;
		if (len < sizeof(bad))
			len += (size_t)snprintf(bad + len, sizeof(bad) - len,
						" %s:%lld!=%d", event_name[i],
						(long long)ev[i].argc,
						event_nargs[i]);
	}
	check(nbad == 0, "argument counts match events.def",
	      "%d of %d probes hit, wrong:%s", nhit, UC_EV_COUNT,
	      nbad ? bad : " none");

	/* Task runs per name, from task_fire_begin.name. */
	check(prefix_count(runs, "idle-") == wl[IDLE_RUNS], "runs of idle-*",
	      "%llu, idle_runs=%llu", U(prefix_count(runs, "idle-")),
	      wl[IDLE_RUNS]);
	check(name_count(runs, "timer") == wl[TIMER_RUNS], "runs of timer",
	      "%llu, timer_runs=%llu", U(name_count(runs, "timer")),
	      wl[TIMER_RUNS]);
	check(name_count(runs, "child") == wl[CHILD_RUNS], "runs of child",
	      "%llu, child_runs=%llu", U(name_count(runs, "child")),
	      wl[CHILD_RUNS]);
	check(name_count(runs, "sliced") == wl[SLICED_RUNS], "runs of sliced",
	      "%llu, sliced_runs=%llu", U(name_count(runs, "sliced")),
	      wl[SLICED_RUNS]);
	check(name_count(runs, "posted") == wl[AT_POSTS], "runs of posted",
	      "%llu, at_posts=%llu", U(name_count(runs, "posted")),
	      wl[AT_POSTS]);
	check(name_count(runs, "waited") == wl[WAIT_POSTS], "runs of waited",
	      "%llu, wait_posts=%llu", U(name_count(runs, "waited")),
	      wl[WAIT_POSTS]);
	check(name_count(runs, "stopped") == 0, "runs of stopped",
	      "%llu, expected 0", U(name_count(runs, "stopped")));
	check(prefix_count(runs, "") == HITS(task_fire_begin) &&
		      !c->null_name && !name_count(runs, "?"),
	      "task names read", "%llu of %llu runs named, %llu NULL",
	      U(prefix_count(runs, "") - name_count(runs, "?")),
	      HITS(task_fire_begin), U(c->null_name));

	/* Runs: each end pairs with its begin, never before it. */
	check(HITS(task_fire_end) == HITS(task_fire_begin) && !c->bad_pair,
	      "task_fire_end pairs with begin",
	      "%llu ends, %llu begins, %llu unpaired", HITS(task_fire_end),
	      HITS(task_fire_begin), U(c->bad_pair));
	check(c->bad_end == 0, "task_fire_end end >= begin", "%llu bad",
	      U(c->bad_end));
	check(HITS(task_wake) >= wl[TIMER_RUNS] &&
		      skel->data->late_min >= 0 && !c->bad_late,
	      "task_wake late >= 0, = now - due",
	      "min late %lld ns over %llu wakes (timer_runs=%llu), %llu bad",
	      HITS(task_wake) ? (long long)skel->data->late_min : -1LL,
	      HITS(task_wake), wl[TIMER_RUNS], U(c->bad_late));
	check(c->enqueue_child == wl[CHILD_RUNS] && !c->bad_child_parent &&
		      !c->bad_due,
	      "task_enqueue cause, parent, due",
	      "%llu CHILD (child_runs=%llu), %llu without parent, %llu due < now",
	      U(c->enqueue_child), wl[CHILD_RUNS], U(c->bad_child_parent),
	      U(c->bad_due));
	check(c->stop_stop >= wl[STOPPED], "task_stop reason STOP",
	      "%llu, stopped=%llu", U(c->stop_stop), wl[STOPPED]);

	/* The stopwatch. */
	check(HITS(slice) == wl[SLICED_CHECKS] &&
		      c->slice_in_task == HITS(slice),
	      "slice events", "%llu (%llu in a task), sliced_checks=%llu",
	      HITS(slice), U(c->slice_in_task), wl[SLICED_CHECKS]);
	check(c->fire_checks == wl[SLICED_CHECKS], "task_fire_end checks",
	      "sum %llu, sliced_checks=%llu", U(c->fire_checks),
	      wl[SLICED_CHECKS]);

	/* The Performer: every post seen, the burst behind a few wakes. */
	check(HITS(perform_enqueue) >= posted && !c->bad_posted_at,
	      "perform_enqueue", "%llu >= %llu posts, %llu without time",
	      HITS(perform_enqueue), posted, U(c->bad_posted_at));
	check(name_count(posts, "posted") == wl[AT_POSTS] &&
		      name_count(posts, "waited") == wl[WAIT_POSTS] &&
		      c->post_wait == wl[WAIT_POSTS],
	      "perform_enqueue name, wait",
	      "posted %llu (at_posts=%llu), waited %llu, wait=1 %llu (wait_posts=%llu)",
	      U(name_count(posts, "posted")), wl[AT_POSTS],
	      U(name_count(posts, "waited")), U(c->post_wait),
	      wl[WAIT_POSTS]);
	check(HITS(perform_wake) < HITS(perform_enqueue) / 10 &&
		      HITS(perform_wake) <= c->post_signalled,
	      "perform_wake coalesced",
	      "%llu wakes < %llu posts / 10, <= %llu signalled",
	      HITS(perform_wake), HITS(perform_enqueue),
	      U(c->post_signalled));
	check(HITS(perform_fire_begin) >= posted &&
		      HITS(perform_fire_end) == HITS(perform_fire_begin) &&
		      !c->bad_perform_end,
	      "perform_fire_begin/end",
	      "%llu begins >= %llu posts, %llu ends, %llu bad",
	      HITS(perform_fire_begin), posted, HITS(perform_fire_end),
	      U(c->bad_perform_end));

	/* The dispatcher and the loop. */
	check(HITS(dispatch_command) == wl[COMMANDS] &&
		      name_count(skel->maps.commands, "cmd") == wl[COMMANDS] &&
		      HITS(dispatch_build) == wl[BUILDS] &&
		      !c->bad_dispatch_end,
	      "dispatch_command/build",
	      "%llu commands, %llu named cmd (commands=%llu), %llu builds (builds=%llu), %llu end < begin",
	      HITS(dispatch_command),
	      U(name_count(skel->maps.commands, "cmd")), wl[COMMANDS],
	      HITS(dispatch_build), wl[BUILDS], U(c->bad_dispatch_end));
	/* The loop sleeps at least for the final nap. */
	check(HITS(loop_sleep) >= wl[NAP_RUNS] &&
		      HITS(loop_wake) == HITS(loop_sleep) && !c->bad_slept,
	      "loop_sleep/wake",
	      "%llu sleeps (nap_runs=%llu), %llu wakes, %llu slept < 0",
	      HITS(loop_sleep), wl[NAP_RUNS], HITS(loop_wake),
	      U(c->bad_slept));
	check(HITS(task_priority) == wl[MOVED_RUNS] &&
		      name_count(runs, "moved") == wl[MOVED_RUNS],
	      "task_priority", "%llu changes, %llu runs of moved (moved_runs=%llu)",
	      HITS(task_priority), U(name_count(runs, "moved")),
	      wl[MOVED_RUNS]);
}

static void print_counters(struct usdt_count *skel)
{
	for (int i = 0; i < UC_EV_COUNT; i++)
		printf("info  hits %-30s %llu\n", event_name[i],
		       U(ev[i].hits));
	print_names("runs", skel->maps.runs);
	print_names("posts", skel->maps.posts);
	print_names("commands", skel->maps.commands);
}

/* ---- main -------------------------------------------------------------- */

/* dir/rel, resolved (the kernel and /proc/PID/maps know the real file). */
static int path_near(char *out, const char *dir, const char *rel)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);

	errno = 0;
	if (n >= (int)sizeof(path) || !realpath(path, out)) {
		fprintf(stderr, PROG ": cannot find %s/%s: %s\n", dir, rel,
			strerror(errno ? errno : ENAMETOOLONG));
		return -1;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: " PROG " [--scale N] [-v] [-v]\n");
	return 1;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], lib[PATH_MAX], workload[PATH_MAX], *slash;
	struct bpf_link *links[UC_EV_COUNT] = { NULL };
	struct usdt_count *skel = NULL;
	__u32 link_ids[MAX_LINK_IDS];
	struct bpf_program *prog;
	FILE *from_child = NULL;
	int to_child = -1, nlinks = 0, nkernel, status = 0, scale = 1;
	int ret = 1, err;
	ssize_t n;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose++;
		} else if (!strcmp(argv[i], "--scale") && i + 1 < argc) {
			char *end;

			scale = (int)strtol(argv[++i], &end, 10);
			if (*end || scale < 1 || scale > 1000)
				return usage();
		} else {
			return usage();
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(on_libbpf_print);
	/* A workload that died early must not kill us on the "go" write. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(60 + 2 * (unsigned)scale);

	/* The workload and the library are found next to this program:
	 * build/tests/ and build/lib/. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, PROG ": /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	if (path_near(workload, self, "trace_workload") < 0 ||
	    path_near(lib, self, "../lib/libsched.so") < 0)
		return 1;

	if (spawn(workload, scale, &to_child, &from_child) < 0 ||
	    wait_ready(from_child) < 0)
		goto out;

	libbpf_said[0] = '\0';
	skel = usdt_count__open();
	if (!skel) {
		fprintf(stderr, PROG ": cannot open the BPF object: %s%s\n",
			strerror(errno), why());
		goto out;
	}
	err = usdt_count__load(skel);
	if (err) {
		fprintf(stderr, PROG ": cannot load the BPF programs: %s%s%s\n",
			strerror(-err),
			err == -EPERM ?
				" (needs root, or CAP_BPF and CAP_PERFMON)" :
				"",
			why());
		goto out;
	}
	/* Printed before attaching, for scripts/test-usdt.sh, which checks
	 * that none of them is left in the kernel after us, whatever
	 * happened here. */
	bpf_object__for_each_program(prog, skel->obj)
		if (nprog_ids < UC_EV_COUNT)
			prog_ids[nprog_ids++] = prog_id(prog);
	printf("info  prog ids");
	for (int i = 0; i < nprog_ids; i++)
		printf(" %u", prog_ids[i]);
	printf("\n");

	/* Each program is named after its event: attach it to the probe of
	 * that name. */
	bpf_object__for_each_program(prog, skel->obj) {
		const char *probe = bpf_program__name(prog);

		if (nlinks == UC_EV_COUNT) {
			fprintf(stderr, PROG ": more BPF programs than events in events.def\n");
			goto out;
		}
		libbpf_said[0] = '\0';
		links[nlinks] = bpf_program__attach_usdt(prog, child, lib,
							 PROVIDER, probe, NULL);
		if (!links[nlinks]) {
			fprintf(stderr, PROG ": cannot attach to " PROVIDER ":%s in %s: %s%s\n",
				probe, lib, strerror(errno), why());
			goto out;
		}
		nlinks++;
	}
	for (int i = 0; i < UC_EV_COUNT; i++) {
		if (!bpf_object__find_program_by_name(skel->obj,
						      event_name[i])) {
			fprintf(stderr, PROG ": no BPF program for the event %s\n",
				event_name[i]);
			goto out;
		}
	}
	nkernel = our_links(link_ids, MAX_LINK_IDS);
	printf("info  attached %d programs to pid %d through %d kernel links\n",
	       nlinks, (int)child, nkernel);
	printf("info  link ids");
	for (int i = 0; i < nkernel && i < MAX_LINK_IDS; i++)
		printf(" %u", link_ids[i]);
	printf("\n");

	/* Attached: let the workload run. */
	if (write(to_child, "go\n", 3) != 3) {
		fprintf(stderr, PROG ": cannot start the workload: %s\n",
			strerror(errno));
		goto out;
	}
	close(to_child);
	to_child = -1;
	err = parse_output(from_child);
	if (waitpid(child, &status, 0) < 0) {
		fprintf(stderr, PROG ": waitpid: %s\n", strerror(errno));
		goto out;
	}
	child = -1;
	if (err)
		goto out;

	for (__u32 i = 0; i < UC_EV_COUNT; i++) {
		if (bpf_map__lookup_elem(skel->maps.events, &i, sizeof(i),
					 &ev[i], sizeof(ev[i]), 0) < 0) {
			fprintf(stderr, PROG ": cannot read the events map: %s\n",
				strerror(errno));
			goto out;
		}
	}
	if (verbose)
		print_counters(skel);
	check_all(skel, status);

	for (int i = 0; i < nlinks; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
	nkernel = our_links(link_ids, MAX_LINK_IDS);
	check(nkernel == 0, "links destroyed", "%d left", nkernel);
	printf("%s  %d of %d checks passed (scale %d)\n",
	       nfailed ? "FAIL" : "PASS", nchecks - nfailed, nchecks, scale);
	ret = nfailed ? 1 : 0;
out:
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	usdt_count__destroy(skel);
	if (to_child >= 0)
		close(to_child); /* its fgets() fails: it exits */
	if (from_child)
		fclose(from_child);
	if (child > 0)
		waitpid(child, NULL, 0);
	return ret;
}
