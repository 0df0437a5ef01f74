/*
 * schedprof record: runs a command under an LTTng-UST session that records
 * the libsched events, and keeps the trace.
 *
 *	schedprof record [-o DIR] [--buffer-size MB] [--all-processes]
 *			 -- CMD [ARGS...]
 *
 * Everything about the session goes through liblttng-ctl: a session of
 * our own (schedprof-PID-TIME) writing to DIR, one user-space channel with
 * per-UID buffers big enough not to discard, the libsched:* events with
 * the vtid, vpid and procname contexts. The session is started before CMD
 * is executed, so that CMD's first events are caught: LTTng-UST, loaded
 * into CMD with the provider through LD_PRELOAD, registers with the
 * session daemon before CMD's main() and gets the enabled events then.
 *
 * Only CMD's process is recorded: LTTng's buffers are per user, and any
 * other process of the user with the provider loaded would write into
 * them. The session's virtual-PID tracker includes CMD's pid only; the
 * forked child waits on a pipe until its pid is tracked, then executes
 * CMD, so that its registration already finds itself tracked. The pid
 * stays through CMD's own execs; the processes CMD forks are not recorded
 * (--all-processes records every process of the user, the way to include
 * them). The tracker decides which registered applications the session
 * enables its events in, so per-UID buffers hold CMD's events only.
 *
 * No session outlives its recorder: CMD gets SIGTERM when schedprof dies
 * (PR_SET_PDEATHSIG), and every record starts by destroying the sessions
 * named schedprof-PID-TIME whose PID no longer runs, or runs a process
 * started after the session was created (the pid was reused).
 *
 * Signals: SIGINT, SIGTERM, SIGHUP and SIGPIPE are blocked from the start
 * and taken with sigwaitinfo(), together with SIGCHLD, so that no path (a
 * signal in
 * the middle of setting up, or of stopping) leaves the session behind.
 * The first one is passed on to CMD (unless a terminal sent it to both),
 * which should end cleanly; tracing stops when it has ended. A second one
 * kills CMD; a third stops waiting for LTTng. CMD starts with the signal
 * mask and dispositions schedprof was given. A SIGPIPE that schedprof
 * brought on itself, writing to a closed stderr, only loses the message.
 *
 * A full disk: tracing stops while what was written can still be
 * completed (watch_space()), and the exit status is 1. While recording,
 * DIR holds TR_RECORDING_MARKER, which `schedprof report` recognizes.
 *
 * Exit status: CMD's, 128 + N if signal N killed it; 1 if tracing could
 * not be set up, CMD could not be started, or the disk filled; 2 for bad
 * usage.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lttng/lttng.h>

#include "flight.h"
#include "numarg.h"
#include "schedprof.h"
#include "words.h"
#include "trace_read.h"

#define REC_CHANNEL "schedprof"
#define REC_PROVIDER "libsched-lttng.so"
#define REC_NUM_SUBBUF 8
#define REC_SUBBUF_MB_DEFAULT 1
/* Per CPU and per UID: 8 x 256 MiB on each CPU is already a lot of
 * shared memory. */
#define REC_SUBBUF_MB_MAX 256

/*
 * How long we wait for LTTng, in ms. Commands are answered at once; what
 * takes time is the stop (the consumer writes out the last sub-buffers,
 * about 0.2 s here) and the destruction (the trace is closed, about 0.5 s,
 * as with the lttng command). After a traced process was killed in the
 * middle of writing an event, its sub-buffer stays reserved and is never
 * committed: then the destruction (seen after SIGKILL) or the flush may
 * never complete. Every wait is bounded, shorter when CMD was killed.
 */
#define REC_SESSIOND_START_MS 30000
#define REC_SESSIOND_ALIVE_MS 5000
#define REC_FLUSH_MS 20000
#define REC_FLUSH_KILLED_MS 3000
#define REC_DESTROY_MS 10000
#define REC_DESTROY_KILLED_MS 2000
#define REC_POLL_MS 20
/*
 * A full disk: once the consumer of LTTng 2.13 fails to write with
 * ENOSPC it writes nothing more, not even the metadata, which it writes
 * at the stop: the trace is lost whole (a 0-byte metadata file). So the
 * free space of the output's file system is checked every
 * REC_SPACE_POLL_MS while CMD runs, and tracing is stopped while there is
 * still room for what may be written before the check sees it (the
 * consumer writes whole sub-buffers: one per CPU at once), for what the
 * stop writes (a sub-buffer in flight per CPU), and for the metadata
 * (REC_METADATA_ROOM; 16 KiB for libsched).
 */
#define REC_SPACE_POLL_MS 20
/* Flight mode: how often the flight recorder is stepped (fl_poll()); the
 * daemon has made the save already, this only renames it. */
#define REC_FLIGHT_POLL_MS 50
#define REC_MAX_SAVES_DEFAULT 1
#define REC_MAX_SAVES_MAX 1000
#define REC_HOLD_OFF_DEFAULT_S 10
#define REC_METADATA_ROOM (256u << 10)

extern char **environ;

struct rec {
	/* options */
	const char *dir;       /* the output directory as the user gave it */
	unsigned subbuf_mb;
	bool all_processes;    /* no process tracker: the user's every one */
	char **cmd;

	/* --flight */
	bool flight;
	struct fl_rule rules[FL_MAX_RULES];
	size_t nrules;
	int64_t keep_ns;
	unsigned max_saves;
	int64_t hold_off_ms;
	bool save_on_exit;
	bool flight_opt;       /* a flight-only option was given */
	struct fl_recorder *fr;
	bool flight_lost;      /* the session daemon went away */

	char default_dir[64];
	char absdir[PATH_MAX]; /* LTTng wants an absolute path */
	bool dir_created;
	char provider[PATH_MAX];
	char session[64];
	bool session_created;
	char **envp;           /* CMD's environment */
	char *asan_env;        /* our ASAN_OPTIONS entry of envp, or NULL */

	/* signals */
	sigset_t sigs;         /* the ones we take with sigwaitinfo() */
	sigset_t oldmask;      /* what CMD gets */
	struct sigaction old_chld;
	int interrupted;       /* the first signal received, 0 if none */
	unsigned nsignals;

	pid_t child;
	bool cmd_killed;       /* CMD died from a signal */

	/* the marker TR_RECORDING_MARKER in absdir while recording */
	char marker[PATH_MAX + sizeof(TR_RECORDING_MARKER) + 1];
	bool marker_made;

	/* the disk */
	uint64_t space_needed; /* stop tracing when less is free */
	bool tracing;          /* started, not stopped */
	bool disk_full;        /* tracing was stopped for lack of space */
	bool disk_filled;      /* ... too late: LTTng met ENOSPC */
	int64_t start_ms, full_ms, end_ms;
	uint64_t full_left;    /* bytes free then */

	/* after the stop */
	bool chan_stats;       /* the channel's counts below are known */
	uint64_t chan_discarded;
	uint64_t chan_lost_packets;
	uint64_t counted;      /* events seen while counting */
};

/* ---- usage ---------------------------------------------------------- */

void sp_record_help(FILE *f)
{
	fputs("usage: schedprof record [-o DIR] [--buffer-size MB] "
	      "[--all-processes] -- CMD [ARGS...]\n"
	      "       schedprof record --flight --on RULE [--on RULE]... "
	      "[--keep SECONDS]\n"
	      "              [--max-saves N] [--hold-off SECONDS] "
	      "[--save-on-exit] [-o DIR]\n"
	      "              [--buffer-size MB] -- CMD [ARGS...]\n"
	      "Runs CMD with the libsched LTTng-UST provider preloaded, under "
	      "an LTTng session\n"
	      "that records the libsched events (with the vtid, vpid and "
	      "procname contexts),\n"
	      "and keeps the trace.\n"
	      "  -o, --output DIR    where the trace goes; must not exist or "
	      "be empty\n"
	      "                      (default ./schedprof-YYYYmmdd-HHMMSS)\n"
	      "  --buffer-size MB    sub-buffer size, a power of two from 1 "
	      "to 256 (default 1;\n"
	      "                      8 sub-buffers per CPU)\n"
	      "  --all-processes     record every process of this user that "
	      "has the provider\n"
	      "                      loaded (CMD's children, other programs), "
	      "not CMD's alone\n"
	      "  --flight            flight recorder: keep the events in "
	      "memory only, and save\n"
	      "                      the recent past as DIR/flight-NNN-"
	      "YYYYmmdd-HHMMSS/ when a\n"
	      "                      rule fires (a trigger in the LTTng "
	      "session daemon)\n"
	      "  --on RULE           starve>DUR (a ready task waited), "
	      "run>DUR (a run), or\n"
	      "                      backlog>DUR (posted work's queue delay); "
	      "DUR like 150ms\n"
	      "  --keep SECONDS      the past a save must hold: warns when "
	      "one holds less\n"
	      "  --max-saves N       stop saving after N saves (default 1)\n"
	      "  --hold-off SECONDS  no save within SECONDS after one "
	      "(default 10)\n"
	      "  --save-on-exit      save once more when CMD ends or on "
	      "Ctrl-C (rule \"exit\")\n"
	      "  -h, --help          this help\n"
	      "  --version           the libsched release and the trace schema\n"
	      "Only CMD's process is recorded, across its execs: the processes "
	      "it forks are\n"
	      "not (record them with --all-processes, or each under a "
	      "schedprof record of\n"
	      "its own). Ctrl-C, SIGTERM, SIGHUP and SIGPIPE are passed on to "
	      "CMD and tracing\n"
	      "stops when CMD ends; a second one kills CMD. If schedprof dies, "
	      "CMD gets\n"
	      "SIGTERM, and the next schedprof record destroys the session it "
	      "left.\n"
	      "The provider is <schedprof's dir>/../lib/"
	      REC_PROVIDER ", or\n"
	      "$SCHEDPROF_PROVIDER. A session daemon is started when none "
	      "runs (as root).\n"
	      "A full disk stops tracing while the trace so far can still be "
	      "completed.\n"
	      "Exit status: CMD's (128+N if signal N killed it); 1 if tracing "
	      "could not be\n"
	      "set up, CMD could not be started, the disk filled, or (flight) "
	      "the session\n"
	      "daemon went away or a save was incomplete; 2 for bad usage.\n",
	      f);
}

/* 1 if a is the option long (or short, if not NULL), taking a value:
 * *val gets it, from "--long=V", "-sV" or the next argument. -1 if the
 * value is missing (an error was printed), 0 if a is another option. */
static int opt_value(int argc, char **argv, int *i, const char *shrt,
		     const char *lng, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if (!strncmp(a, lng, n) && a[n] == '=') {
		*val = a + n + 1;
	} else if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
		if (*i + 1 >= argc) {
			sp_usage_error("record", "%s needs a value", a);
			return -1;
		}
		*val = argv[++*i];
	} else if (shrt && !strncmp(a, shrt, strlen(shrt))) {
		*val = a + strlen(shrt);
	} else {
		return 0;
	}
	if (!**val) {
		sp_usage_error("record", "%s needs a value", lng);
		return -1;
	}
	return 1;
}

/* -1 when parsed (go on), else an exit status. */
static int parse_args(struct rec *rec, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		int r;

		if (!strcmp(a, "--")) {
			rec->cmd = argv + i + 1;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			sp_record_help(stdout);
			return SP_EXIT_OK;
		}
		if (!strcmp(a, "--version"))
			return sp_version("record", argc, argv, i);
		if (!strcmp(a, "--all-processes")) {
			rec->all_processes = true;
			continue;
		}
		if (!strcmp(a, "--flight")) {
			rec->flight = true;
			continue;
		}
		if (!strcmp(a, "--save-on-exit")) {
			rec->save_on_exit = true;
			rec->flight_opt = true;
			continue;
		}
		r = opt_value(argc, argv, &i, NULL, "--on", &val);
		if (r < 0)
			return SP_EXIT_USAGE;
		if (r > 0) {
			char err[256];

			if (rec->nrules == FL_MAX_RULES) {
				sp_error("--on: at most %d rules",
					 FL_MAX_RULES);
				return SP_EXIT_USAGE;
			}
			if (fl_rule_parse(val, &rec->rules[rec->nrules], err,
					  sizeof(err)) < 0) {
				sp_error("--on: %s", err);
				return SP_EXIT_USAGE;
			}
			rec->nrules++;
			rec->flight_opt = true;
			continue;
		}
		r = opt_value(argc, argv, &i, NULL, "--keep", &val);
		if (r < 0)
			return SP_EXIT_USAGE;
		if (r > 0) {
			double v = tn_decimal(val) ? strtod(val, NULL) : -1;

			if (!(v > 0) || v > 86400) {
				sp_error("--keep '%s': expected seconds, a "
					 "number above 0 and at most 86400",
					 val);
				return SP_EXIT_USAGE;
			}
			rec->keep_ns = (int64_t)(v * 1e9);
			rec->flight_opt = true;
			continue;
		}
		r = opt_value(argc, argv, &i, NULL, "--hold-off", &val);
		if (r < 0)
			return SP_EXIT_USAGE;
		if (r > 0) {
			double v = tn_decimal(val) ? strtod(val, NULL) : -1;

			if (!(v >= 0) || v > 86400) {
				sp_error("--hold-off '%s': expected seconds, "
					 "from 0 to 86400", val);
				return SP_EXIT_USAGE;
			}
			rec->hold_off_ms = (int64_t)(v * 1000);
			rec->flight_opt = true;
			continue;
		}
		r = opt_value(argc, argv, &i, NULL, "--max-saves", &val);
		if (r < 0)
			return SP_EXIT_USAGE;
		if (r > 0) {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(val, &end, 10);
			if (errno || *end || val[0] < '0' || val[0] > '9' ||
			    n < 1 || n > REC_MAX_SAVES_MAX) {
				sp_error("--max-saves '%s': expected a "
					 "number from 1 to %d", val,
					 REC_MAX_SAVES_MAX);
				return SP_EXIT_USAGE;
			}
			rec->max_saves = (unsigned)n;
			rec->flight_opt = true;
			continue;
		}
		r = opt_value(argc, argv, &i, "-o", "--output", &val);
		if (r < 0)
			return SP_EXIT_USAGE;
		if (r > 0) {
			rec->dir = val;
			continue;
		}
		r = opt_value(argc, argv, &i, NULL, "--buffer-size", &val);
		if (r < 0)
			return SP_EXIT_USAGE;
		if (r > 0) {
			char *end;
			unsigned long mb;

			errno = 0;
			mb = strtoul(val, &end, 10);
			if (errno || *end || val[0] == '-' || mb < 1 ||
			    mb > REC_SUBBUF_MB_MAX || (mb & (mb - 1))) {
				sp_error("--buffer-size '%s': expected "
					 "a power of two from 1 to %d (MiB)",
					 val, REC_SUBBUF_MB_MAX);
				return SP_EXIT_USAGE;
			}
			rec->subbuf_mb = (unsigned)mb;
			continue;
		}
		if (a[0] == '-') {
			sp_usage_error("record", "unknown option '%s'", a);
			return SP_EXIT_USAGE;
		}
		sp_error("unexpected '%s': put the command after "
			 "'--' (schedprof record [-o DIR] -- CMD [ARGS...])", a);
		return SP_EXIT_USAGE;
	}
	if (rec->flight_opt && !rec->flight) {
		sp_error("--on, --keep, --max-saves, --hold-off and "
			 "--save-on-exit go with --flight");
		return SP_EXIT_USAGE;
	}
	if (rec->flight && rec->all_processes) {
		sp_error("--flight records CMD alone: it does not go with "
			 "--all-processes");
		return SP_EXIT_USAGE;
	}
	if (rec->flight && !rec->nrules) {
		sp_error("--flight needs at least one --on RULE (e.g. --on "
			 "'starve>150ms')");
		return SP_EXIT_USAGE;
	}
	if (!rec->cmd) {
		sp_error("missing '--' before the command "
			 "(schedprof record [-o DIR] -- CMD [ARGS...])");
		return SP_EXIT_USAGE;
	}
	if (!rec->cmd[0]) {
		sp_error("no command after '--'");
		return SP_EXIT_USAGE;
	}
	return -1;
}

/* ---- helpers -------------------------------------------------------- */

/* liblttng-ctl returns negative codes from most calls and a positive enum
 * lttng_error_code from the newer ones; lttng_strerror() takes the
 * negative form. */
static const char *lt_err(int code)
{
	return lttng_strerror(code < 0 ? code : -code);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A SIGPIPE we brought on ourselves, writing a message to a closed
 * stderr (the kernel sends it as if from us): the message is lost, and
 * that is all. Any other SIGPIPE is an interruption, like SIGINT. */
static bool own_sigpipe(int sig, const siginfo_t *si)
{
	return sig == SIGPIPE && si->si_code == SI_USER &&
	       si->si_pid == getpid();
}

/*
 * Sleeps up to ms, or until one of our signals comes: it is then taken
 * and remembered (the first one in rec->interrupted). SIGCHLD only ends
 * the sleep. Returns the signal, 0 at the timeout.
 */
static int rec_sleep(struct rec *rec, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	siginfo_t si;
	int sig;

	sig = sigtimedwait(&rec->sigs, &si, &ts);
	if (sig <= 0 || own_sigpipe(sig, &si))
		return 0;
	if (sig != SIGCHLD) {
		if (!rec->interrupted)
			rec->interrupted = sig;
		rec->nsignals++;
	}
	return sig;
}

/* Whether one of our signals other than SIGCHLD is pending: it is then
 * taken and remembered. */
static bool rec_take_pending(struct rec *rec)
{
	struct timespec zero = { 0, 0 };
	sigset_t set = rec->sigs;
	siginfo_t si;
	int sig;

	sigdelset(&set, SIGCHLD);
	do
		sig = sigtimedwait(&set, &si, &zero);
	while (sig > 0 && own_sigpipe(sig, &si));
	if (sig <= 0)
		return false;
	if (!rec->interrupted)
		rec->interrupted = sig;
	rec->nsignals++;
	return true;
}

/* In a child about to exec: the signal state schedprof was started with. */
static void child_restore_signals(const struct rec *rec)
{
	sigaction(SIGCHLD, &rec->old_chld, NULL);
	sigprocmask(SIG_SETMASK, &rec->oldmask, NULL);
}

static bool dir_is_empty(const char *path, int *err)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	*err = 0;
	if (!d) {
		*err = errno;
		return false;
	}
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* mkdir -p: creates the missing directories of path. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0777) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static bool rm_top;

static int rm_empty_dir(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	/* rmdir() fails on a directory that holds anything: only empty
	 * ones go, never a file. */
	if (type == FTW_DP && (ftw->level > 0 || rm_top))
		rmdir(path);
	return 0;
}

/*
 * After a failure: the empty directories left under the output directory
 * (LTTng creates some at the start), and the directory itself if we
 * created it. Whatever holds a file stays.
 */
static void remove_empty_output(const struct rec *rec)
{
	if (!rec->absdir[0])
		return;
	rm_top = rec->dir_created;
	nftw(rec->absdir, rm_empty_dir, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the output directory and the provider ---------------------------- */

/* Refuses an existing non-empty directory (exit 2); creates a missing one. */
static int prepare_outdir(struct rec *rec)
{
	struct stat st;
	int err;

	if (!rec->dir) {
		time_t t = time(NULL);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(rec->default_dir, sizeof(rec->default_dir),
			 "schedprof-%Y%m%d-%H%M%S", &tm);
		rec->dir = rec->default_dir;
	}
	if (stat(rec->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			sp_error("%s exists and is not a directory",
				 rec->dir);
			return SP_EXIT_USAGE;
		}
		if (!dir_is_empty(rec->dir, &err)) {
			if (err)
				sp_error("%s: %s", rec->dir,
					 strerror(err));
			else
				sp_error("%s is not empty: give "
					 "another output directory with -o",
					 rec->dir);
			return err ? SP_EXIT_FAIL : SP_EXIT_USAGE;
		}
	} else if (errno == ENOENT) {
		if (mkdir_p(rec->dir) < 0) {
			sp_error("cannot create %s: %s", rec->dir,
				 strerror(errno));
			return SP_EXIT_FAIL;
		}
		rec->dir_created = true;
	} else {
		sp_error("%s: %s", rec->dir, strerror(errno));
		return SP_EXIT_FAIL;
	}
	if (!realpath(rec->dir, rec->absdir)) {
		sp_error("%s: %s", rec->dir, strerror(errno));
		rec->absdir[0] = '\0';
		return SP_EXIT_FAIL;
	}
	return -1;
}

/*
 * The marker that tells `schedprof report` (tr_recording_pid()) that the
 * trace is still being written: "PID TIME", removed at the end.
 */
static int write_marker(struct rec *rec)
{
	char line[64];
	int fd, n;

	snprintf(rec->marker, sizeof(rec->marker), "%s/%s", rec->absdir,
		 TR_RECORDING_MARKER);
	n = snprintf(line, sizeof(line), "%d %lld\n", (int)getpid(),
		     (long long)time(NULL));
	fd = open(rec->marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		int err = fd < 0 || errno ? errno : ENOSPC;

		if (fd >= 0) {
			close(fd);
			unlink(rec->marker);
		}
		sp_error("%s: cannot write %s: %s%s", rec->dir,
			 TR_RECORDING_MARKER, strerror(err),
			 err == ENOSPC ? " (ENOSPC)" : "");
		return SP_EXIT_FAIL;
	}
	close(fd);
	rec->marker_made = true;
	return -1;
}

static void remove_marker(struct rec *rec)
{
	if (rec->marker_made && unlink(rec->marker) == 0)
		rec->marker_made = false;
}

/* Bytes an unprivileged writer may still use on absdir's file system;
 * UINT64_MAX if statvfs() cannot tell. */
static uint64_t space_free(const struct rec *rec)
{
	struct statvfs vfs;

	if (statvfs(rec->absdir, &vfs) < 0)
		return UINT64_MAX;
	return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1 << 20);
}

/*
 * What must stay free while recording: two sub-buffers per CPU (LTTng's
 * per-UID buffers have one ring per possible CPU), one written between
 * two checks and one the stop writes, and the metadata. Refuses to start
 * with less (exit 1).
 */
static int check_space(struct rec *rec)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t left = space_free(rec);

	if (ncpu < 1)
		ncpu = 1;
	rec->space_needed = 2 * (uint64_t)ncpu *
			    ((uint64_t)rec->subbuf_mb << 20) +
			    REC_METADATA_ROOM;
	if (rec->flight) {
		/* A save: every sub-buffer of every CPU, at most. */
		rec->space_needed = (uint64_t)ncpu * REC_NUM_SUBBUF *
				    ((uint64_t)rec->subbuf_mb << 20) +
				    REC_METADATA_ROOM;
		if (left == UINT64_MAX || left > rec->space_needed)
			return -1;
		sp_error("%s: No space left on device (ENOSPC): %.1f MiB "
			 "free, a flight save may take %.2f MiB (%d %u MiB "
			 "sub-buffers per CPU on %ld CPUs, and the metadata)",
			 rec->dir, mib(left), mib(rec->space_needed),
			 REC_NUM_SUBBUF, rec->subbuf_mb, ncpu);
		return SP_EXIT_FAIL;
	}
	if (left == UINT64_MAX || left > rec->space_needed)
		return -1;
	sp_error("%s: No space left on device (ENOSPC): %.1f MiB free, "
		 "a recording needs more than %.2f MiB there (two %u MiB "
		 "sub-buffers per CPU on %ld CPUs, and the metadata)", rec->dir,
		 mib(left), mib(rec->space_needed), rec->subbuf_mb, ncpu);
	return SP_EXIT_FAIL;
}

/*
 * While CMD runs: when the free space falls below space_needed, stops
 * tracing at once, so that the trace written so far stays readable (see
 * REC_SPACE_POLL_MS), and says so; CMD runs on, unrecorded.
 */
static void watch_space(struct rec *rec)
{
	uint64_t left;
	int ret;

	if (!rec->tracing)
		return;
	left = space_free(rec);
	if (left == UINT64_MAX || left >= rec->space_needed)
		return;
	ret = lttng_stop_tracing_no_wait(rec->session);
	rec->tracing = false;
	rec->disk_full = true;
	rec->full_ms = now_ms();
	rec->full_left = left;
	sp_error("%s: disk full (No space left on device, ENOSPC, within "
		 "%.1f MiB): recording stopped after %.2f s to keep the trace "
		 "so far readable; %s runs on, unrecorded%s%s", rec->dir,
		 mib(left), (double)(rec->full_ms - rec->start_ms) / 1000,
		 rec->cmd[0], ret < 0 ? "; cannot stop: " : "",
		 ret < 0 ? lt_err(ret) : "");
}

/*
 * The provider: $SCHEDPROF_PROVIDER, else next to the tool,
 * <dir of /proc/self/exe>/../lib (build/bin -> build/lib, BINDIR ->
 * LIBDIR). An absolute path, as CMD may change directory before it
 * executes another program that inherits LD_PRELOAD.
 */
static int find_provider(struct rec *rec)
{
	const char *env = getenv("SCHEDPROF_PROVIDER");
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;
	char *slash;

	if (env && *env) {
		if (!realpath(env, rec->provider) ||
		    access(rec->provider, R_OK) < 0) {
			sp_error("SCHEDPROF_PROVIDER=%s: %s", env,
				 strerror(errno));
			return SP_EXIT_FAIL;
		}
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0) {
			sp_error("cannot find the LTTng provider: "
				 "/proc/self/exe: %s (set SCHEDPROF_PROVIDER)",
				 strerror(errno));
			return SP_EXIT_FAIL;
		}
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../lib/%s", exe,
			 REC_PROVIDER);
		if (!realpath(path, rec->provider) ||
		    access(rec->provider, R_OK) < 0) {
			sp_error("LTTng provider %s: %s (build it "
				 "with make, or set SCHEDPROF_PROVIDER)",
				 path, strerror(errno));
			return SP_EXIT_FAIL;
		}
	}
	/* The dynamic linker splits LD_PRELOAD at spaces and colons. */
	if (strpbrk(rec->provider, " :")) {
		sp_error("LTTng provider path '%s' has a space or a "
			 "colon, which LD_PRELOAD cannot carry",
			 rec->provider);
		return SP_EXIT_FAIL;
	}
	return -1;
}

/* CMD's environment: ours, with the provider first in LD_PRELOAD. Built
 * before the fork: the child only executes. A program built with
 * AddressSanitizer refuses to start when a library is preloaded before its
 * runtime: ASAN_OPTIONS gets verify_asan_link_order=0 (the provider does
 * not intercept anything the sanitizer needs). */
static int build_env(struct rec *rec)
{
	const char *old = getenv("LD_PRELOAD");
	const char *asan = getenv("ASAN_OPTIONS");
	size_t n = 0, j = 0;
	char *pre, *aopt = NULL;

	while (environ[n])
		n++;
	rec->envp = calloc(n + 3, sizeof(*rec->envp));
	if (!rec->envp ||
	    asprintf(&pre, "LD_PRELOAD=%s%s%s", rec->provider,
		     old && *old ? ":" : "", old ? old : "") < 0 ||
	    (!(asan && strstr(asan, "verify_asan_link_order")) &&
	     asprintf(&aopt, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
		      asan ? asan : "", asan && *asan ? ":" : "") < 0)) {
		sp_error("out of memory");
		return SP_EXIT_FAIL;
	}
	rec->envp[j++] = pre;
	rec->asan_env = aopt;
	if (aopt)
		rec->envp[j++] = aopt;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    (!aopt || strncmp(environ[i], "ASAN_OPTIONS=", 13)))
			rec->envp[j++] = environ[i];
	rec->envp[j] = NULL;
	return -1;
}

static void free_env(struct rec *rec)
{
	if (rec->envp) {
		free(rec->envp[0]);
		free(rec->asan_env);
		free(rec->envp);
		rec->envp = NULL;
		rec->asan_env = NULL;
	}
}

/* ---- the session daemon --------------------------------------------- */

/*
 * Runs `lttng-sessiond --daemonize` (root only) and waits until the daemon
 * answers. Its stderr comes back through a pipe, for the error line; the
 * daemon sends its own stdio to /dev/null once detached, and the parent
 * process returns only once the daemon is ready.
 */
static int start_sessiond(struct rec *rec)
{
	int out[2], errpipe[2], status, alive;
	char msg[512] = "";
	ssize_t n;
	int64_t deadline;
	pid_t pid, w;
	int err = 0;

	if (geteuid() != 0) {
		sp_error("no LTTng session daemon is running: start "
			 "one with 'sudo lttng-sessiond --daemonize' (then "
			 "join the 'tracing' group), or 'lttng-sessiond "
			 "--daemonize' as yourself");
		return SP_EXIT_FAIL;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		sp_error("pipe: %s", strerror(errno));
		return SP_EXIT_FAIL;
	}
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		sp_error("pipe: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return SP_EXIT_FAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		sp_error("cannot run lttng-sessiond: fork: %s",
			 strerror(errno));
		close(out[0]);
		close(out[1]);
		close(errpipe[0]);
		close(errpipe[1]);
		return SP_EXIT_FAIL;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		child_restore_signals(rec);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		dup2(out[1], 2);
		execlp("lttng-sessiond", "lttng-sessiond", "--daemonize",
		       (char *)NULL);
		err = errno;
		if (write(errpipe[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(out[1]);
	close(errpipe[1]);
	n = read(errpipe[0], &err, sizeof(err));
	close(errpipe[0]);
	deadline = now_ms() + REC_SESSIOND_START_MS;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       now_ms() < deadline)
		rec_sleep(rec, REC_POLL_MS);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	/* Whatever it said: the last line is the one that matters. */
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		char buf[512];
		ssize_t m = read(out[0], buf, sizeof(buf) - 1);
		char *line, *nl;

		if (m <= 0)
			break;
		buf[m] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (*line)
				snprintf(msg, sizeof(msg), "%s", line);
		}
		if (*line)
			snprintf(msg, sizeof(msg), "%s", line);
	}
	close(out[0]);
	if (n == (ssize_t)sizeof(err)) {
		sp_error("no LTTng session daemon is running, and "
			 "lttng-sessiond cannot be run: %s (install "
			 "lttng-tools)", strerror(err));
		return SP_EXIT_FAIL;
	}
	if (w == 0) {
		sp_error("lttng-sessiond --daemonize did not return "
			 "within %d s", REC_SESSIOND_START_MS / 1000);
		return SP_EXIT_FAIL;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		sp_error("lttng-sessiond --daemonize failed "
			 "(status %d)%s%s", WIFEXITED(status) ?
			 WEXITSTATUS(status) : 128 + WTERMSIG(status),
			 *msg ? ": " : "", msg);
		return SP_EXIT_FAIL;
	}
	deadline = now_ms() + REC_SESSIOND_ALIVE_MS;
	while ((alive = lttng_session_daemon_alive()) != 1 &&
	       now_ms() < deadline)
		rec_sleep(rec, REC_POLL_MS);
	if (alive != 1) {
		sp_error("lttng-sessiond --daemonize ran, but no "
			 "session daemon answers");
		return SP_EXIT_FAIL;
	}
	sp_error("started an LTTng session daemon "
		 "(lttng-sessiond --daemonize); it keeps running");
	return -1;
}

static int ensure_sessiond(struct rec *rec)
{
	int alive = lttng_session_daemon_alive();

	if (alive == 1)
		return -1;
	if (alive < 0) {
		sp_error("cannot reach an LTTng session daemon: %s",
			 lt_err(alive));
		return SP_EXIT_FAIL;
	}
	return start_sessiond(rec);
}

/* ---- the session ---------------------------------------------------- */

/* The flight recorder's messages, and fl_reap_stale()'s: ours. */
static void flight_log(void *arg, const char *line)
{
	(void)arg;
	sp_error("%s", line);
}

/*
 * Removes what schedprof records that died (SIGKILL, a crash) left in the
 * session daemon: the sessions named schedprof-PID-TIME and the flight
 * triggers named schedprof-PID-TIME-N whose PID no longer runs, or runs a
 * process started after TIME (the pid was reused). Such a session would
 * go on recording the user's processes, into a directory that its
 * recorder will never report. A live recorder's are left alone.
 */
static void reap_stale_sessions(void)
{
	fl_reap_stale(flight_log, NULL);
}

static int session_setup(struct rec *rec)
{
	struct lttng_domain dom;
	struct lttng_session_descriptor *desc;
	struct lttng_handle *h = NULL;
	struct lttng_channel *chan = NULL;
	const char *what;
	int ret;

	snprintf(rec->session, sizeof(rec->session), "schedprof-%d-%lld",
		 (int)getpid(), (long long)time(NULL));
	desc = lttng_session_descriptor_local_create(rec->session,
						     rec->absdir);
	if (!desc) {
		sp_error("cannot describe an LTTng session writing "
			 "to %s", rec->absdir);
		return SP_EXIT_FAIL;
	}
	ret = lttng_create_session_ext(desc);
	lttng_session_descriptor_destroy(desc);
	if (ret != LTTNG_OK) {
		sp_error("cannot create LTTng session %s: %s",
			 rec->session, lt_err(ret));
		return SP_EXIT_FAIL;
	}
	rec->session_created = true;

	memset(&dom, 0, sizeof(dom));
	dom.type = LTTNG_DOMAIN_UST;
	dom.buf_type = LTTNG_BUFFER_PER_UID;
	what = "a handle";
	h = lttng_create_handle(rec->session, &dom);
	if (!h) {
		ret = -LTTNG_ERR_NOMEM;
		goto fail;
	}

	/* Our own channel: the default one's buffers are small enough to
	 * discard events of a busy loop on a slow machine. */
	what = "the channel " REC_CHANNEL;
	chan = lttng_channel_create(&dom);
	if (!chan) {
		ret = -LTTNG_ERR_NOMEM;
		goto fail;
	}
	snprintf(chan->name, sizeof(chan->name), "%s", REC_CHANNEL);
	chan->attr.overwrite = 0;
	chan->attr.subbuf_size = (uint64_t)rec->subbuf_mb << 20;
	chan->attr.num_subbuf = REC_NUM_SUBBUF;
	ret = lttng_enable_channel(h, chan);
	if (ret < 0)
		goto fail;

	ret = fl_enable_libsched(h, REC_CHANNEL, &what);
	if (ret < 0)
		goto fail;

	/* An empty inclusion set: nothing is recorded until CMD's pid is
	 * added, before CMD is executed (spawn_cmd()). */
	if (!rec->all_processes) {
		what = "the process tracker";
		ret = fl_track_vpid(rec->session, 0);
		if (ret < 0)
			goto fail;
	}

	what = "tracing";
	ret = lttng_start_tracing(rec->session);
	if (ret < 0)
		goto fail;
	rec->tracing = true;
	rec->start_ms = now_ms();
	lttng_channel_destroy(chan);
	lttng_destroy_handle(h);
	return -1;

fail:
	sp_error("LTTng session %s: cannot enable %s: %s",
		 rec->session, what, lt_err(ret));
	if (chan)
		lttng_channel_destroy(chan);
	if (h)
		lttng_destroy_handle(h);
	return SP_EXIT_FAIL;
}

/*
 * Flight mode: the flight recorder's snapshot session and its first
 * trigger (armed once CMD's pid is tracked, spawn_cmd()), or every
 * process of the user with --all-processes.
 */
static int flight_setup(struct rec *rec)
{
	struct fl_config cfg;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	cfg.outdir = rec->absdir;
	cfg.pid = rec->all_processes ? 0 : FL_PID_LATER;
	cfg.rules = rec->rules;
	cfg.nrules = rec->nrules;
	cfg.subbuf_mb = rec->subbuf_mb;
	cfg.num_subbuf = REC_NUM_SUBBUF;
	cfg.max_saves = rec->max_saves;
	cfg.hold_off_ms = rec->hold_off_ms;
	cfg.keep_ns = rec->keep_ns;
	cfg.log = flight_log;
	if (fl_start(&cfg, &rec->fr, err, sizeof(err)) < 0) {
		sp_error("%s", err);
		return SP_EXIT_FAIL;
	}
	snprintf(rec->session, sizeof(rec->session), "%s",
		 fl_session_name(rec->fr));
	rec->start_ms = now_ms();
	return -1;
}

/* The flight recording's end: the exit save if asked, the session and
 * trigger gone, and what it did. Returns SP_EXIT_FAIL if the session
 * daemon went away or something could not be removed, else -1. */
static int flight_teardown(struct rec *rec, bool keep)
{
	struct fl_summary sum;
	int ret;

	if (!rec->fr)
		return -1;
	ret = fl_stop(rec->fr, keep && rec->save_on_exit &&
			       !rec->flight_lost, &sum);
	rec->fr = NULL;
	if (!keep)
		return -1;
	if (!sum.saves && !sum.missed && !sum.incomplete) {
		sp_error("flight: no save (no rule fired)");
	} else if (!sum.saves) {
		sp_error("flight: no save: %u %s fired, %u without a "
			 "snapshot, %u incomplete", sum.missed + sum.incomplete,
			 tw_noun(sum.missed + sum.incomplete, "trigger",
				 "triggers"),
			 sum.missed, sum.incomplete);
	} else {
		char line[1024];
		size_t off = 0;

		for (size_t i = 0; i < rec->nrules; i++)
			off += (size_t)snprintf(line + off, off < sizeof(line) ?
						sizeof(line) - off : 0,
						"%s%s: %u", i ? ", " : "",
						rec->rules[i].text, sum.fired[i]);
		if (sum.exit_saves && off < sizeof(line))
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						", exit: 1");
		sp_error("flight: %u %s in %s (%s)", sum.saves,
			 tw_noun(sum.saves, "save", "saves"), rec->dir, line);
	}
	sp_error("flight: %llu %s discarded%s%s",
		 (unsigned long long)sum.discarded,
		 tw_noun(sum.discarded, "event", "events"),
		 sum.max_reached ? "; --max-saves reached" : "",
		 sum.disk_low ? "; stopped saving: disk nearly full" : "");
	if (sum.saves && sum.missed)
		sp_error("flight: warning: %u more %s fired without a "
			 "snapshot", sum.missed,
			 tw_noun(sum.missed, "trigger", "triggers"));
	if (sum.saves && sum.incomplete)
		sp_error("flight: %u more %s incomplete (removed)",
			 sum.incomplete,
			 tw_noun(sum.incomplete, "save", "saves"));
	return ret < 0 || rec->flight_lost || sum.incomplete ? SP_EXIT_FAIL :
								-1;
}

/* The channel's own count of what the tracer discarded: the trace says it
 * too, but only for the packets that reached the disk. */
static void session_channel_stats(struct rec *rec)
{
	struct lttng_domain dom;
	struct lttng_handle *h;
	struct lttng_channel *chans = NULL;
	int n;

	memset(&dom, 0, sizeof(dom));
	dom.type = LTTNG_DOMAIN_UST;
	dom.buf_type = LTTNG_BUFFER_PER_UID;
	h = lttng_create_handle(rec->session, &dom);
	if (!h)
		return;
	n = lttng_list_channels(h, &chans);
	for (int i = 0; i < n; i++) {
		if (strcmp(chans[i].name, REC_CHANNEL))
			continue;
		if (lttng_channel_get_discarded_event_count(&chans[i],
				&rec->chan_discarded) == 0 &&
		    lttng_channel_get_lost_packet_count(&chans[i],
				&rec->chan_lost_packets) == 0)
			rec->chan_stats = true;
	}
	free(chans);
	lttng_destroy_handle(h);
}

/*
 * Stops tracing and waits, within a bound, until the consumer has written
 * everything out (what lttng_stop_tracing() does without a bound), then
 * destroys the session: the trace stays on disk. With keep false (a
 * failed setup) nothing is waited for.
 */
static void session_teardown(struct rec *rec, bool keep)
{
	struct lttng_destruction_handle *dh = NULL;
	enum lttng_destruction_handle_status st;
	enum lttng_error_code result;
	long limit = rec->cmd_killed ? REC_FLUSH_KILLED_MS : REC_FLUSH_MS;
	int64_t deadline;
	bool flushed = false;
	int ret;

	if (!rec->session_created)
		return;
	ret = lttng_stop_tracing_no_wait(rec->session);
	rec->tracing = false;
	/* Stopped already by watch_space(): its data is still to wait for. */
	if (ret == -LTTNG_ERR_TRACE_ALREADY_STOPPED && rec->disk_full)
		ret = 0;
	/* Not started yet is fine: a setup that failed before the start. */
	if (ret < 0 && ret != -LTTNG_ERR_TRACE_ALREADY_STOPPED && keep)
		sp_error("cannot stop LTTng session %s: %s",
			 rec->session, lt_err(ret));
	if (keep && ret >= 0) {
		deadline = now_ms() + limit;
		/* A third Ctrl-C (after the one passed on and the one that
		 * killed CMD) gives up waiting. */
		for (;;) {
			ret = lttng_data_pending(rec->session);
			if (ret <= 0 || now_ms() >= deadline ||
			    rec->nsignals >= 3)
				break;
			rec_sleep(rec, REC_POLL_MS);
		}
		flushed = ret == 0;
		if (ret < 0)
			sp_error("LTTng session %s: cannot tell "
				 "whether its data is written: %s",
				 rec->session, lt_err(ret));
		else if (ret > 0)
			sp_error("warning: LTTng was still writing the "
				 "trace %ld s after the stop%s%s%s; it may be "
				 "incomplete", limit / 1000,
				 rec->cmd_killed ? " (" : "",
				 rec->cmd_killed ? rec->cmd[0] : "",
				 rec->cmd_killed ? " was killed, possibly in "
				 "the middle of an event)" : "");
		session_channel_stats(rec);
	}

	/* LTTng met ENOSPC if its stop or final rotation failed on a full
	 * disk: report() says it, rather than LTTng's words for it. */
	if (keep && !flushed && space_free(rec) < rec->space_needed)
		rec->disk_filled = true;
	ret = lttng_destroy_session_ext(rec->session, &dh);
	if (ret != LTTNG_OK) {
		sp_error("cannot destroy LTTng session %s: %s "
			 "(run: lttng destroy %s)", rec->session, lt_err(ret),
			 rec->session);
		return;
	}
	rec->session_created = false;
	/*
	 * The session is gone from the daemon's list already; completion
	 * means the consumer closed the trace. After CMD was killed that
	 * often never comes (its half-written event holds a sub-buffer),
	 * though the data was reported written: wait less then.
	 */
	limit = rec->cmd_killed ? REC_DESTROY_KILLED_MS : REC_DESTROY_MS;
	deadline = now_ms() + limit;
	st = LTTNG_DESTRUCTION_HANDLE_STATUS_TIMEOUT;
	while (flushed && st == LTTNG_DESTRUCTION_HANDLE_STATUS_TIMEOUT &&
	       now_ms() < deadline && rec->nsignals < 3) {
		st = lttng_destruction_handle_wait_for_completion(dh,
							REC_POLL_MS * 5);
		rec_take_pending(rec);
	}
	if (!flushed) {
		/* Said already. */
	} else if (st == LTTNG_DESTRUCTION_HANDLE_STATUS_COMPLETED) {
		if (lttng_destruction_handle_get_result(dh, &result) ==
			    LTTNG_DESTRUCTION_HANDLE_STATUS_OK &&
		    result != LTTNG_OK) {
			/* "Rotation failure on consumer": the last
			 * rotation, which writes the metadata, met a full
			 * disk. */
			if (space_free(rec) < rec->space_needed)
				rec->disk_filled = true;
			else
				sp_error("destroying LTTng session %s: %s",
					 rec->session, lt_err(result));
		}
	} else if (rec->cmd_killed) {
		sp_error("note: LTTng had not closed the trace %ld s after "
			 "the stop (%s was killed, possibly in the middle of "
			 "an event): its last events may be missing",
			 limit / 1000, rec->cmd[0]);
	} else {
		sp_error("warning: LTTng had not closed the trace %ld s "
			 "after the stop: it may be incomplete", limit / 1000);
	}
	lttng_destruction_handle_destroy(dh);
}

/* ---- the command ---------------------------------------------------- */

/*
 * In the child, between fork and exec: waits for the parent's word that
 * its pid is tracked (a byte on go), and learns of the parent's death
 * from then on (SIGTERM, PR_SET_PDEATHSIG). Returns false if the parent
 * gave up (or died) instead: then CMD must not run.
 */
static bool child_wait_go(pid_t parent, int go)
{
	char c;
	ssize_t n;

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		return false;
	do
		n = read(go, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/*
 * Forks and executes CMD with the provider preloaded. The child executes
 * only once its pid is in the session's tracker: the registration of
 * LTTng-UST in CMD then finds it tracked, and CMD's first events are
 * recorded. An exec failure comes back from the child through a
 * close-on-exec pipe: nothing read means CMD is running.
 */
static int spawn_cmd(struct rec *rec)
{
	int fds[2], go[2], err = 0, ret;
	pid_t parent = getpid();
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		sp_error("pipe: %s", strerror(errno));
		return SP_EXIT_FAIL;
	}
	if (pipe2(go, O_CLOEXEC) < 0) {
		sp_error("pipe: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return SP_EXIT_FAIL;
	}
	fflush(NULL);
	rec->child = fork();
	if (rec->child < 0) {
		sp_error("cannot run %s: fork: %s", rec->cmd[0],
			 strerror(errno));
		close(fds[0]);
		close(fds[1]);
		close(go[0]);
		close(go[1]);
		rec->child = 0;
		return SP_EXIT_FAIL;
	}
	if (rec->child == 0) {
		close(go[1]);
		if (!child_wait_go(parent, go[0]))
			_exit(127);
		child_restore_signals(rec);
		execvpe(rec->cmd[0], rec->cmd, rec->envp);
		err = errno;
		if (write(fds[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	close(go[0]);
	if (rec->fr) {
		char ferr[512];

		ret = 0;
		if (fl_track(rec->fr, rec->child, ferr, sizeof(ferr)) < 0) {
			close(go[1]);
			close(fds[0]);
			waitpid(rec->child, NULL, 0);
			rec->child = 0;
			sp_error("%s", ferr);
			return SP_EXIT_FAIL;
		}
	} else {
		ret = rec->all_processes ? 0 : fl_track_vpid(rec->session, rec->child);
	}
	if (ret < 0) {
		/* Closing go without a word: the child exits. */
		close(go[1]);
		close(fds[0]);
		waitpid(rec->child, NULL, 0);
		rec->child = 0;
		sp_error("LTTng session %s: cannot track %s's process: %s",
			 rec->session, rec->cmd[0], lt_err(ret));
		return SP_EXIT_FAIL;
	}
	/* A child already dead is waited for as CMD (by wait_cmd()). */
	n = write(go[1], "g", 1);
	close(go[1]);
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == (ssize_t)sizeof(err)) {
		waitpid(rec->child, NULL, 0);
		rec->child = 0;
		if (err == ENOENT && !strchr(rec->cmd[0], '/'))
			sp_error("cannot run %s: command not found",
				 rec->cmd[0]);
		else
			sp_error("cannot run %s: %s", rec->cmd[0],
				 strerror(err));
		return SP_EXIT_FAIL;
	}
	return -1;
}

/*
 * Waits for CMD to end, passing signals on. A terminal's Ctrl-C already
 * went to CMD, which is in our process group (the kernel sends it with
 * si_code SI_KERNEL to the whole foreground group): passing it on again
 * would be a second Ctrl-C for CMD. A kill(1) reached us only.
 */
static int wait_cmd(struct rec *rec)
{
	int status;

	for (;;) {
		siginfo_t si;
		pid_t w = waitpid(rec->child, &status, WNOHANG);
		int sig;

		if (w == rec->child)
			break;
		if (w < 0 && errno != EINTR) {
			sp_error("waiting for %s: %s", rec->cmd[0],
				 strerror(errno));
			return SP_EXIT_FAIL;
		}
		if (rec->fr && !rec->flight_lost) {
			struct timespec ts = {
				.tv_nsec = REC_FLIGHT_POLL_MS * 1000000L,
			};

			sig = sigtimedwait(&rec->sigs, &si, &ts);
			if (fl_poll(rec->fr) < 0)
				rec->flight_lost = true;
		} else if (rec->tracing) {
			struct timespec ts = {
				.tv_nsec = REC_SPACE_POLL_MS * 1000000L,
			};

			sig = sigtimedwait(&rec->sigs, &si, &ts);
			watch_space(rec);
		} else {
			sig = sigwaitinfo(&rec->sigs, &si);
		}
		if (sig <= 0 || sig == SIGCHLD || own_sigpipe(sig, &si))
			continue;
		if (!rec->interrupted)
			rec->interrupted = sig;
		if (++rec->nsignals == 1) {
			if (si.si_code != SI_KERNEL ||
			    getpgid(rec->child) != getpgrp())
				kill(rec->child, sig);
			sp_error("interrupted (SIG%s): waiting for %s to "
				 "end; Ctrl-C again kills it",
				 sigabbrev_np(sig), rec->cmd[0]);
		} else if (rec->nsignals == 2) {
			sp_error("SIG%s again: killing %s",
				 sigabbrev_np(sig), rec->cmd[0]);
			kill(rec->child, SIGKILL);
		}
	}
	rec->child = 0;
	rec->end_ms = now_ms();
	/* A terminal's Ctrl-C that ended CMD is still pending here: it is
	 * spent, and must not stop the counting that follows. */
	while (rec_take_pending(rec))
		;
	if (WIFSIGNALED(status)) {
		rec->cmd_killed = true;
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

/* ---- the report ----------------------------------------------------- */

static void no_events_hint(const struct rec *rec)
{
	if (rec->cmd_killed && rec->interrupted)
		sp_error("no libsched event was recorded: %s was killed by "
			 "a signal before it recorded any", rec->cmd[0]);
	else
		sp_error("no libsched event was recorded: %s may not use "
			 "libsched, or was linked statically with a TRACE=0 "
			 "libsched", rec->cmd[0]);
}

/* Counting a big trace takes a while: a signal stops it (the trace is
 * kept all the same). Checked every 64 Ki events. */
static int count_event(const struct tr_event *ev, void *arg)
{
	struct rec *rec = arg;
	sigset_t pending;

	(void)ev;
	if (++rec->counted & 0xffff)
		return 0;
	if (sigpending(&pending) < 0)
		return 0;
	return sigismember(&pending, SIGINT) == 1 ||
	       sigismember(&pending, SIGTERM) == 1 ||
	       sigismember(&pending, SIGHUP) == 1 ||
	       sigismember(&pending, SIGPIPE) == 1;
}

/*
 * Counts the trace and says what it holds. Returns SP_EXIT_FAIL when the
 * disk filled (the recording is incomplete, or lost), else -1.
 */
static int report(struct rec *rec)
{
	struct tr_handlers h = { .event = count_event, .arg = rec };
	struct tr_reader *r;
	const struct tr_stats *s;
	uint64_t discarded;
	int ret;

	r = tr_reader_new();
	if (!r) {
		sp_error("trace written to %s (not read: out of "
			 "memory)", rec->dir);
		return rec->disk_full ? SP_EXIT_FAIL : -1;
	}
	ret = tr_reader_add_path(r, rec->absdir);
	/* The disk filled faster than watch_space() saw (another program
	 * filled it): LTTng met ENOSPC, and left an empty metadata file or
	 * streams cut in the middle of a packet. */
	if ((rec->disk_full || rec->disk_filled) && ret < 0) {
		sp_error("%s: No space left on device (ENOSPC): the disk "
			 "filled before LTTng completed the trace, which cannot "
			 "be read (%s)", rec->dir, tr_reader_error(r));
		tr_reader_free(r);
		return SP_EXIT_FAIL;
	}
	if (rec->disk_full)
		sp_error("error: the disk holding %s filled: the trace ends "
			 "%.2f s into the recording; the last %.2f s of %s "
			 "are not recorded", rec->dir,
			 (double)(rec->full_ms - rec->start_ms) / 1000,
			 (double)(rec->end_ms - rec->full_ms) / 1000,
			 rec->cmd[0]);
	if (ret == TR_ERR_NOTRACE) {
		/* No process registered with the provider loaded. */
		sp_error("trace written to %s (0 events, %llu "
			 "discarded)", rec->dir,
			 (unsigned long long)rec->chan_discarded);
		no_events_hint(rec);
		tr_reader_free(r);
		return rec->disk_full ? SP_EXIT_FAIL : -1;
	}
	if (ret >= 0)
		ret = tr_reader_run(r, &h);
	s = tr_reader_stats(r);
	discarded = s->discarded_events;
	if (rec->chan_stats && rec->chan_discarded > discarded)
		discarded = rec->chan_discarded;
	if (ret < 0) {
		sp_error("trace written to %s, but it cannot be "
			 "read: %s", rec->dir, tr_reader_error(r));
		tr_reader_free(r);
		return rec->disk_full ? SP_EXIT_FAIL : -1;
	}
	if (ret == TR_STOPPED) {
		sp_error("trace written to %s (not counted: interrupted "
			 "after %llu events)", rec->dir,
			 (unsigned long long)s->events);
		tr_reader_free(r);
		return rec->disk_full ? SP_EXIT_FAIL : -1;
	}
	sp_error("trace written to %s (%llu events, %llu discarded)",
		 rec->dir, (unsigned long long)s->events,
		 (unsigned long long)discarded);
	if (discarded || !tr_stats_complete(s) ||
	    (rec->chan_stats && rec->chan_lost_packets)) {
		unsigned next = rec->subbuf_mb * 4;

		if (next > REC_SUBBUF_MB_MAX)
			next = REC_SUBBUF_MB_MAX;
		sp_error("warning: the tracer discarded events%s: "
			 "the trace is incomplete; record again with bigger "
			 "buffers (--buffer-size %u)",
			 discarded ? "" : " (count unknown)", next);
	}
	if (s->events == 0)
		no_events_hint(rec);
	tr_reader_free(r);
	return rec->disk_full ? SP_EXIT_FAIL : -1;
}

/* ---- main ----------------------------------------------------------- */

int sp_record_main(int argc, char **argv)
{
	struct rec rec;
	struct sigaction dfl;
	int rc, status;

	memset(&rec, 0, sizeof(rec));
	rec.subbuf_mb = REC_SUBBUF_MB_DEFAULT;
	rec.max_saves = REC_MAX_SAVES_DEFAULT;
	rec.hold_off_ms = REC_HOLD_OFF_DEFAULT_S * 1000;
	rc = parse_args(&rec, argc, argv);
	if (rc >= 0)
		return rc;

	/*
	 * From here on, our signals wait for sigwaitinfo(): a Ctrl-C at any
	 * point ends in a destroyed session. SIGCHLD must not be ignored
	 * (children would reap themselves); CMD gets the original state.
	 */
	sigemptyset(&rec.sigs);
	sigaddset(&rec.sigs, SIGINT);
	sigaddset(&rec.sigs, SIGTERM);
	sigaddset(&rec.sigs, SIGHUP);
	sigaddset(&rec.sigs, SIGPIPE);
	sigaddset(&rec.sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &rec.sigs, &rec.oldmask);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGCHLD, &dfl, &rec.old_chld);

	rc = find_provider(&rec);
	if (rc < 0)
		rc = prepare_outdir(&rec);
	/* A flight recording writes complete saves only: no marker. */
	if (rc < 0 && !rec.flight)
		rc = write_marker(&rec);
	if (rc < 0)
		rc = check_space(&rec);
	if (rc < 0)
		rc = build_env(&rec);
	if (rc < 0)
		rc = ensure_sessiond(&rec);
	if (rc < 0) {
		reap_stale_sessions();
		rc = rec.flight ? flight_setup(&rec) : session_setup(&rec);
	}
	/* Interrupted while setting up: do not start CMD. */
	if (rc < 0 && (rec.interrupted || rec_take_pending(&rec))) {
		sp_error("interrupted (SIG%s) before %s started",
			 sigabbrev_np(rec.interrupted), rec.cmd[0]);
		rc = 128 + rec.interrupted;
	}
	if (rc < 0)
		rc = spawn_cmd(&rec);
	if (rc >= 0) {
		/* Nothing to keep: no trace, and no directory if it is
		 * empty. */
		flight_teardown(&rec, false);
		session_teardown(&rec, false);
		remove_marker(&rec);
		remove_empty_output(&rec);
		goto out;
	}

	status = wait_cmd(&rec);
	if (rec.flight) {
		rc = flight_teardown(&rec, true) >= 0 ? SP_EXIT_FAIL : status;
		/* No save: no directory left (if we made it). */
		remove_empty_output(&rec);
		goto out;
	}
	session_teardown(&rec, true);
	remove_marker(&rec);
	rc = report(&rec) >= 0 ? SP_EXIT_FAIL : status;
out:
	free_env(&rec);
	/* The signals stay blocked: one that came during the teardown must
	 * not kill us now that the exit status is CMD's. */
	sigaction(SIGCHLD, &rec.old_chld, NULL);
	return rc;
}
