/*
 * build_exec.c - run a program by argv (never a shell), capture its output
 * with a ceiling, kill it after a timeout.
 *
 * The child gets its own process group so that the timeout kills nvcc and
 * the cicc/ptxas/host compiler processes it starts, not only nvcc itself.
 * An exec failure travels back over a close-on-exec pipe as an errno, so
 * "nvcc not found" is told apart from "nvcc failed".
 */
#include "build_private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void build_argv_push(struct build_argv *a, const char *s)
{
	/* One slot more for the NULL terminator execvp needs. */
	xgrow((void **)&a->v, &a->cap, a->n + 2, sizeof *a->v);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void build_argv_release(struct build_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

void build_exec_result_release(struct build_exec_result *r)
{
	free(r->output);
	r->output = NULL;
	r->len = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs in the forked child: only async-signal-safe calls from here on. */
static void exec_child(char *const argv[], int out_fd, int err_pipe)
{
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	close(out_fd);
	execvp(argv[0], argv);
	int err = errno;
	ssize_t w = write(err_pipe, &err, sizeof err);
	(void)w;
	_exit(127);
}

/* Appends what fits under MAX; the rest is read and dropped so the child
 * never blocks on a full pipe. */
static void keep_output(struct build_exec_result *r, size_t *cap, size_t max,
			const char *buf, size_t n)
{
	size_t room = max > r->len ? max - r->len : 0;
	if (n > room) {
		r->truncated = 1;
		n = room;
	}
	if (n == 0)
		return;
	xgrow((void **)&r->output, cap, r->len + n + 1, 1);
	memcpy(r->output + r->len, buf, n);
	r->len += n;
	r->output[r->len] = '\0';
}

/* Reads the child's output until EOF or the deadline; 1 on timeout. */
static int drain(int fd, int64_t deadline, size_t max, struct build_exec_result *r)
{
	size_t cap = 0;
	char buf[8192];
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return 0;
		if (pr == 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		keep_output(r, &cap, max, buf, (size_t)n);
	}
}

static void wait_child(pid_t pid, int *wstatus)
{
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
}

int build_exec(char *const argv[], int timeout_s, size_t max_out,
	       struct build_exec_result *r, struct errbuf *e)
{
	memset(r, 0, sizeof *r);
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) < 0) {
		int saved = errno;
		close(out[0]);
		close(out[1]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(saved));
	}
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(out[0]);
		close(out[1]);
		close(errp[0]);
		close(errp[1]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "fork: %s", strerror(saved));
	}
	if (pid == 0)
		exec_child(argv, out[1], errp[1]);
	/* Both parent and child call setpgid: whichever runs first wins the
	 * race, so the group exists before we might have to kill it. */
	setpgid(pid, pid);
	close(out[1]);
	close(errp[1]);

	int timed_out = drain(out[0], now_ms() + (int64_t)timeout_s * 1000, max_out, r);
	close(out[0]);
	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	int wstatus = 0;
	wait_child(pid, &wstatus);

	int exec_errno = 0;
	ssize_t got;
	while ((got = read(errp[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR)
		;
	close(errp[0]);
	if (got == (ssize_t)sizeof exec_errno) {
		build_exec_result_release(r);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot run '%s': %s", argv[0],
				  strerror(exec_errno));
	}
	if (!r->output)
		r->output = xstrdup("");
	r->timed_out = timed_out;
	if (WIFEXITED(wstatus)) {
		r->exited = 1;
		r->status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		r->status = WTERMSIG(wstatus);
	}
	return 0;
}
