/*
 * Helpers for the thread tests (servers, dispatcher): a watchdog that
 * turns a hang into a failure naming the test, and a way to wait until
 * another thread sleeps in the kernel (so that a scenario "while X is
 * blocked" is meaningful; assertions never depend on it). Include after
 * testutil.h; define WATCHDOG_S (seconds) first.
 */
#ifndef LSCHED_THREADUTIL_H
#define LSCHED_THREADUTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *volatile watchdog_test;

static void watchdog_fired(int sig)
{
	const char *name = watchdog_test ? watchdog_test : "?";
	static const char head[] = "\nwatchdog: test hung: ";

	(void)sig;
	if (write(2, head, sizeof(head) - 1) < 0 ||
	    write(2, name, strlen(name)) < 0 || write(2, "\n", 1) < 0)
		_exit(3);
	_exit(3);
}

/* Every test calls this first: it also disarms a watchdog left armed by
 * an earlier test that failed an assertion. */
static void watchdog_arm(const char *test)
{
	watchdog_test = test;
	signal(SIGALRM, watchdog_fired);
	alarm(WATCHDOG_S);
}
#define WATCHDOG() watchdog_arm(__func__)

static void watchdog_off(void)
{
	alarm(0);
}

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* True once thread tid sleeps (blocked in the kernel: futex, poll...). */
static bool thread_sleeps(pid_t tid)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'S' || p[2] == 'D');
}

static void pause_1ms(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

/* Waits (bounded by the watchdog) until thread tid sleeps. */
static void wait_thread_sleeps(pid_t tid)
{
	while (!thread_sleeps(tid))
		pause_1ms();
}

#endif /* LSCHED_THREADUTIL_H */
