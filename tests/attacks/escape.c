/*
 * escape.c - a candidate that tries to get out of its worker, or to take
 * kaudit down with it (tests/sh/attack_escape.sh).  One variant per build:
 *
 *   -DESCAPE_DAEMON='"HEARTBEAT"'  on the first call: fork, setsid() in the
 *                   child (a new session: out of the worker's process
 *                   group), fork again, and in the grandchild append a line
 *                   to HEARTBEAT every 50 ms for 30 s.  Computes the right
 *                   answer only if setsid() was allowed (the escape got
 *                   through), a wrong one otherwise
 *   -DESCAPE_PARENT=SIG  on the first call: SIG to the parent (the
 *                   supervisor) and to the pid in SUPER_PID (the
 *                   supervisor as the test started it, in case the worker's
 *                   parent is some intermediate); then a wrong answer
 *   -DESCAPE_VICTIM='"PIDFILE"'  on the first call: SIGKILL, SIGTERM and
 *                   SIGSTOP to the unrelated process in PIDFILE; the right
 *                   answer only if one of them was delivered
 *   -DESCAPE_HANG   ignores and blocks SIGTERM, then sleeps forever in its
 *                   first call: only SIGKILL ends it
 */
#include <signal.h>
#include <sys/wait.h>

#include "attack.h"

const double cheat_cost_ns = 40000, cheat_jitter = 0.02;
static int64_t calls;
static int escaped;

/* The pid in PATH (waiting up to 2 s for the test to write it), or 0. */
static pid_t read_pid(const char *path)
{
	for (int i = 0; i < 200; i++) {
		char *s = at_slurp(path, 64, NULL);
		long v = s ? strtol(s, NULL, 10) : 0;
		free(s);
		if (v > 1)
			return (pid_t)v;
		at_sleep_ms(10);
	}
	return 0;
}

static void attack(void)
{
#ifdef ESCAPE_DAEMON
	int p[2];
	if (pipe(p) < 0)
		return;
	pid_t child = fork();
	if (child == 0) {
		char ok = setsid() >= 0 ? 'y' : 'n';
		if (write(p[1], &ok, 1) < 0)
			_exit(1);
		pid_t g = fork();
		if (g != 0)
			_exit(0);
		/* The grandchild: an orphan in its own session (if allowed). */
		for (int i = 0; i < 600; i++) {
			int fd = open(ESCAPE_DAEMON, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (fd >= 0) {
				char line[64];
				int n = snprintf(line, sizeof line, "%d %d\n", (int)getpid(), i);
				(void)at_write_all(fd, line, (size_t)n);
				close(fd);
			}
			at_sleep_ms(50);
		}
		_exit(0);
	}
	char ok = 'n';
	if (child > 0) {
		if (read(p[0], &ok, 1) != 1)
			ok = 'n';
		waitpid(child, NULL, 0);
	}
	close(p[0]);
	close(p[1]);
	escaped = ok == 'y';
#endif
#ifdef ESCAPE_PARENT
	pid_t parent = getppid(), super = read_pid(SUPER_PID);
	if (parent > 1)
		kill(parent, ESCAPE_PARENT);
	if (super > 1 && super != parent)
		kill(super, ESCAPE_PARENT);
	escaped = 0;
#endif
#ifdef ESCAPE_VICTIM
	pid_t v = read_pid(ESCAPE_VICTIM);
	if (v > 1) {
		int a = kill(v, SIGSTOP), b = kill(v, SIGTERM), k = kill(v, SIGKILL);
		escaped = a == 0 || b == 0 || k == 0;
	}
#endif
#ifdef ESCAPE_HANG
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	signal(SIGTERM, SIG_IGN);
	sigprocmask(SIG_BLOCK, &term, NULL);
	for (;;)
		at_sleep_ms(10);
#endif
}

KAUDIT_ENTRY(cheat)
{
	if (calls++ == 0)
		attack();
	at_scale(l, escaped ? 1.0f : 1.5f);
	return 0;
}
