/*
 * run_spawn.c - fork/exec of one worker, its pipes, its timeout, its end.
 *
 * The worker runs in its own process group (it may start threads or
 * processes of its own), so stopping it means signalling the group: SIGTERM
 * first so it can flush, SIGKILL after the grace period.  The supervisor is
 * single-threaded and polls in short slices, so a raised stop flag (Ctrl-C)
 * or an expired deadline is noticed within RUN_SLICE_MS without racing a
 * signal handler.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_SLICE_MS 100
#define RUN_READ_CHUNK (64u << 10)

struct line_ctx {
	const struct run_opts *o;
	struct run_result *r;
	const struct run_lines *lines;
	size_t max_records;
	int sink_failed;
	enum run_status fail; /* RUN_MALFORMED or RUN_TOO_MANY when a line is refused */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A short printable excerpt of a refused line, for the message. */
static void excerpt(const char *line, size_t len, char *out, size_t cap)
{
	size_t n = len < cap - 1 ? len : cap - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	out[n] = '\0';
}

/* Only the supervisor frames a trace (header, footer, signature), builds,
 * and judges (finding, verdict): a worker that sends those - or an
 * implementation writing to the worker's stdout - is refused. */
static int worker_may_send(enum record_type t)
{
	static const enum record_type allowed[] = {
		REC_DEVICE, REC_CASE, REC_API, REC_KERNEL, REC_MEMCPY, REC_MEMSET, REC_EVENT,
		REC_SYNC, REC_ALLOC, REC_CHECK, REC_SAMPLE, REC_ERROR, REC_DROPPED,
	};
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (allowed[i] == t)
			return 1;
	return 0;
}

static int on_record_line(void *vctx, const char *line, size_t len, struct errbuf *e)
{
	struct line_ctx *c = vctx;
	long long lineno = (long long)c->lines->lineno;
	if ((size_t)c->r->records >= c->max_records) {
		c->fail = RUN_TOO_MANY;
		return errbuf_set(e, EXIT_BAD_INPUT, "more than %zu records", c->max_records);
	}
	struct record rec;
	struct errbuf de = { "", 0 };
	if (record_decode_line(line, len, &rec, &de) < 0) {
		char ex[64];
		excerpt(line, len, ex, sizeof ex);
		c->fail = RUN_MALFORMED;
		return errbuf_set(e, EXIT_BAD_INPUT, "line %lld: %s: '%s%s'", lineno, de.msg,
				  ex, len > sizeof ex - 1 ? "..." : "");
	}
	if (!worker_may_send(rec.type)) {
		c->fail = RUN_MALFORMED;
		errbuf_set(e, EXIT_BAD_INPUT, "line %lld: a worker may not send a %s record",
			   lineno, record_type_name(rec.type));
		record_clear(&rec);
		return -1;
	}
	if (c->o->case_index != REC_NONE)
		rec.case_index = c->o->case_index;
	rec.id = REC_NONE;
	if (rec.type == REC_ERROR)
		c->r->worker_errors++;
	int rc = record_emit(c->o->sink, &rec);
	record_clear(&rec);
	if (rc < 0) {
		c->sink_failed = 1;
		return errbuf_set(e, EXIT_BAD_INPUT, "cannot store the worker's records");
	}
	c->r->records++;
	return 0;
}

/* Child side: never returns.  Reports an exec failure's errno on EXECFD. */
static void child_exec(const struct run_opts *o, pid_t parent, int outfd, int errfd,
		       int execfd)
{
	setpgid(0, 0);
	/* Die with the supervisor even if it is SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	int nullfd = open("/dev/null", O_RDONLY);
	if (nullfd < 0 || dup2(nullfd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	/* The supervisor's signal dispositions and mask are not the worker's. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	/* No descriptor of the supervisor (the trace being written) leaks. */
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		if (max < 0 || max > 65536)
			max = 65536;
		for (int fd = 3; fd < max; fd++)
			if (fd != execfd)
				close(fd);
	}
	execvp(o->argv[0], o->argv);
	int err = errno;
	if (write(execfd, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

/* Reads what is available on *FD; closes it (-1) at EOF. */
static int drain(int *fd, struct run_result *r, int is_stdout, struct run_lines *lines,
		 struct line_ctx *lc, char *chunk, struct errbuf *le)
{
	for (;;) {
		ssize_t n = read(*fd, chunk, RUN_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			return 0;
		}
		if (!is_stdout) {
			run_tail_append(&r->err, chunk, (size_t)n);
		} else if (!lc->o->sink) {
			run_tail_append(&r->out, chunk, (size_t)n);
		} else if (run_lines_feed(lines, chunk, (size_t)n, on_record_line, lc, le) < 0) {
			if (!lc->fail && !lc->sink_failed)
				lc->fail = RUN_MALFORMED; /* the line was too long */
			return -1;
		}
	}
}

/* Nonzero once the leader has exited.  It is not reaped (WNOWAIT): while
 * its zombie exists its pid cannot be reused, so signalling -pid cannot hit
 * an unrelated process group. */
static int leader_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;
	return si.si_pid == pid;
}

/* Stops the group: SIGTERM, then SIGKILL after GRACE seconds. */
static void stop_group(pid_t pid, double grace)
{
	kill(-pid, SIGTERM);
	double end = now_s() + grace;
	while (now_s() < end) {
		if (leader_exited(pid))
			return;
		sleep_ms(10);
	}
	kill(-pid, SIGKILL);
}

/* Kills whatever is left of the group, then reaps the leader. */
static void reap(pid_t pid, int *wstatus)
{
	kill(-pid, SIGKILL);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int run_worker(const struct run_opts *o, struct run_result *r, struct errbuf *e)
{
	memset(r, 0, sizeof *r);
	int outp[2], errp[2], execp[2];
	if (pipe2(outp, O_CLOEXEC) < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(outp[0]);
		close(outp[1]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(errno));
	}
	if (pipe2(execp, O_CLOEXEC) < 0) {
		close(outp[0]);
		close(outp[1]);
		close(errp[0]);
		close(errp[1]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(errno));
	}
	double start = now_s();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		child_exec(o, parent, outp[1], errp[1], execp[1]);
	close(outp[1]);
	close(errp[1]);
	close(execp[1]);
	if (pid < 0) {
		int err = errno;
		close(outp[0]);
		close(errp[0]);
		close(execp[0]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "fork: %s", strerror(err));
	}
	/* Both sides set the group, so no signal can race the child's call. */
	setpgid(pid, pid);

	int exec_err = 0;
	ssize_t got;
	while ((got = read(execp[0], &exec_err, sizeof exec_err)) < 0 && errno == EINTR)
		;
	close(execp[0]);
	if (got == (ssize_t)sizeof exec_err) {
		int ws;
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		close(outp[0]);
		close(errp[0]);
		r->status = RUN_SPAWN_FAILED;
		snprintf(r->problem, sizeof r->problem, "cannot execute '%s': %s", o->argv[0],
			 strerror(exec_err));
		r->elapsed_s = now_s() - start;
		return 0;
	}

	int outfd = outp[0], errfd = errp[0];
	set_nonblock(outfd);
	set_nonblock(errfd);
	struct run_lines lines;
	run_lines_init(&lines, o->max_line);
	struct line_ctx lc = { o, r, &lines, o->max_records ? o->max_records : RUN_MAX_RECORDS,
			       0, RUN_OK };
	struct errbuf le = { "", 0 };
	char *chunk = xmalloc(RUN_READ_CHUNK);
	double deadline = o->timeout_s > 0 ? start + o->timeout_s : 0;
	enum run_status stopped = RUN_OK;
	int poll_errno = 0;

	for (;;) {
		if (leader_exited(pid)) {
			/* Its output is all in the pipes now; descendants that
			 * still hold them get no say. */
			if (outfd >= 0 && drain(&outfd, r, 1, &lines, &lc, chunk, &le) < 0)
				stopped = lc.fail;
			if (errfd >= 0)
				(void)drain(&errfd, r, 0, NULL, &lc, chunk, &le);
			break;
		}
		if (o->stop && *o->stop) {
			stopped = RUN_INTERRUPTED;
			break;
		}
		double now = now_s();
		if (deadline > 0 && now >= deadline) {
			stopped = RUN_TIMEOUT;
			break;
		}
		int slice = RUN_SLICE_MS;
		if (deadline > 0 && (deadline - now) * 1000 < slice)
			slice = (int)((deadline - now) * 1000) + 1;
		struct pollfd pfd[2];
		nfds_t np = 0;
		if (outfd >= 0)
			pfd[np++] = (struct pollfd){ outfd, POLLIN, 0 };
		if (errfd >= 0)
			pfd[np++] = (struct pollfd){ errfd, POLLIN, 0 };
		if (poll(pfd, np, slice) < 0 && errno != EINTR) {
			poll_errno = errno;
			break;
		}
		if (outfd >= 0 && drain(&outfd, r, 1, &lines, &lc, chunk, &le) < 0) {
			stopped = lc.fail;
			break;
		}
		if (errfd >= 0)
			(void)drain(&errfd, r, 0, NULL, &lc, chunk, &le);
	}

	if (!leader_exited(pid))
		stop_group(pid, o->grace_s > 0 ? o->grace_s : RUN_GRACE_S);
	int wstatus = 0;
	reap(pid, &wstatus);
	/* Keep what the worker said on stderr while it was being stopped. */
	if (errfd >= 0) {
		(void)drain(&errfd, r, 0, NULL, &lc, chunk, &le);
		close(errfd);
	}
	if (outfd >= 0)
		close(outfd);
	free(chunk);
	r->partial = run_lines_pending(&lines);
	run_lines_release(&lines);
	r->elapsed_s = now_s() - start;

	if (poll_errno)
		return errbuf_set(e, EXIT_ENVIRONMENT, "poll: %s", strerror(poll_errno));
	if (lc.sink_failed)
		return errbuf_set(e, EXIT_BAD_INPUT, "%s", le.msg);
	if (stopped != RUN_OK) {
		r->status = stopped;
		if (stopped == RUN_MALFORMED || stopped == RUN_TOO_MANY)
			snprintf(r->problem, sizeof r->problem, "%s", le.msg);
		return 0;
	}
	run_classify_wait(wstatus, r);
	if (r->status == RUN_OK && r->partial && o->sink) {
		r->status = RUN_MALFORMED;
		snprintf(r->problem, sizeof r->problem,
			 "output ended inside a record (%zu bytes without a newline)", r->partial);
	}
	return 0;
}
