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
#include "run/run.h"
#include "run/wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
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

/* Without a plan check, at least what no worker of any mode may send:
 * the supervisor's own records (wire.h). */
static int worker_may_send(enum record_type t)
{
	return run_worker_may_send(RUN_MODE_CASE, t) || run_worker_may_send(RUN_MODE_ENVIRONMENT, t);
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
	if (!c->o->admit && !worker_may_send(rec.type)) {
		c->fail = RUN_MALFORMED;
		errbuf_set(e, EXIT_BAD_INPUT, "line %lld: a worker may not send a %s record",
			   lineno, record_type_name(rec.type));
		record_clear(&rec);
		return -1;
	}
	struct errbuf ae = { "", 0 };
	if (c->o->admit && c->o->admit(c->o->admit_ctx, &rec, &ae) < 0) {
		char ex[96];
		excerpt(line, len, ex, sizeof ex);
		c->fail = RUN_BROKE_PLAN;
		errbuf_set(e, EXIT_NOT_REPRODUCED, "line %lld: %s: '%s%s'", lineno, ae.msg, ex,
			   len > sizeof ex - 1 ? "..." : "");
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

/* What the child tells the parent on EXECFD (close-on-exec, so a
 * successful exec is EOF): the sandbox report when one was asked for,
 * then, only if exec failed, its errno (SPAWN_SANDBOX_FAILED: the sandbox
 * left the process in an unknown state, so nothing was run). */
#define SPAWN_SANDBOX_FAILED (-1)

/* Child side: never returns. */
static void child_exec(const struct run_opts *o, pid_t parent, int infd, int outfd,
		       int errfd, int execfd)
{
	setpgid(0, 0);
	/* Die with the supervisor even if it is SIGKILLed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (infd < 0)
		infd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* The supervisor may have been started with 0, 1 or 2 closed, so a
	 * pipe end can sit on any of them: move all three out of the way
	 * before placing them, and clear close-on-exec on the results. */
	int fds[3] = { infd, outfd, o->merge_output ? outfd : errfd };
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 || (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			_exit(127);
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0 || fcntl(i, F_SETFD, 0) < 0)
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
	int err = 0;
	if (o->sandbox) {
		/* Last, so nothing above needs a right the sandbox takes away;
		 * the exec'd image can never undo it. */
		struct sandbox_report rep;
		memset(&rep, 0, sizeof rep);
		int rc = sandbox_apply(o->sandbox, &rep);
		if (write_all(execfd, &rep, sizeof rep) < 0)
			_exit(127);
		if (rc < 0) {
			err = SPAWN_SANDBOX_FAILED;
			(void)!write(execfd, &err, sizeof err);
			_exit(127);
		}
	}
	if (o->envp)
		execvpe(o->argv[0], o->argv, o->envp);
	else
		execvp(o->argv[0], o->argv);
	err = errno;
	if (write(execfd, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

/* Reads exactly N bytes (EINTR-safe); the number read. */
static size_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

/* Writes what the child's stdin pipe takes now of the remaining input;
 * closes it once all is written or the child will not read more. */
static void feed_input(int *fd, const char *data, size_t len, size_t *done)
{
	while (*fd >= 0 && *done < len) {
		ssize_t k = write(*fd, data + *done, len - *done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (k <= 0)
			break; /* EPIPE: the child closed its stdin */
		*done += (size_t)k;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Keeps what fits under MAX of the output; the rest is dropped (and read,
 * so the child never blocks on a full pipe). */
static void capture(struct run_result *r, size_t max, const char *buf, size_t n)
{
	size_t room = max > r->captured_len ? max - r->captured_len : 0;
	if (n > room) {
		r->captured_truncated = 1;
		n = room;
	}
	if (n == 0)
		return;
	r->captured = xrealloc(r->captured, r->captured_len + n + 1);
	memcpy(r->captured + r->captured_len, buf, n);
	r->captured_len += n;
	r->captured[r->captured_len] = '\0';
}

void run_result_release(struct run_result *r)
{
	free(r->captured);
	r->captured = NULL;
	r->captured_len = 0;
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
			if (lc->o->capture_max)
				capture(r, lc->o->capture_max, chunk, (size_t)n);
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

/* Kills and reaps every child this process still has (run_sweep). */
void run_sweep_children(void)
{
	/* A subreaper inherits the orphans of its workers' descendants: a
	 * daemon that slipped out of the worker's process group (possible only
	 * where the seccomp filter was refused) is ours now, and dies here. */
	for (int pass = 0; pass < 50; pass++) {
		int found = 0;
		DIR *tasks = opendir("/proc/self/task");
		struct dirent *t;
		while (tasks && (t = readdir(tasks))) {
			char path[320];
			if (t->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/self/task/%s/children", t->d_name);
			FILE *f = fopen(path, "r");
			long pid;
			while (f && fscanf(f, "%ld", &pid) == 1) {
				if (pid > 1) {
					kill((pid_t)pid, SIGKILL);
					found = 1;
				}
			}
			if (f)
				fclose(f);
		}
		if (tasks)
			closedir(tasks);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			found = 1;
		if (!found)
			return;
		sleep_ms(10);
	}
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

/* The pipes of one child: stdin (only when there is input), stdout,
 * stderr, and the exec/sandbox report. */
static int open_pipes(const struct run_opts *o, int inp[2], int outp[2], int errp[2],
		      int execp[2], struct errbuf *e)
{
	inp[0] = inp[1] = outp[0] = outp[1] = errp[0] = errp[1] = execp[0] = execp[1] = -1;
	if ((o->input && pipe2(inp, O_CLOEXEC) < 0) || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0) {
		int err = errno;
		close_pair(inp);
		close_pair(outp);
		close_pair(errp);
		close_pair(execp);
		return errbuf_set(e, EXIT_ENVIRONMENT, "pipe: %s", strerror(err));
	}
	return 0;
}

int run_worker(const struct run_opts *o, struct run_result *r, struct errbuf *e)
{
	memset(r, 0, sizeof *r);
	int inp[2], outp[2], errp[2], execp[2];
	if (open_pipes(o, inp, outp, errp, execp, e) < 0)
		return -1;
	double start = now_s();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		child_exec(o, parent, inp[0], outp[1], errp[1], execp[1]);
	if (inp[0] >= 0)
		close(inp[0]);
	close(outp[1]);
	close(errp[1]);
	close(execp[1]);
	if (pid < 0) {
		int err = errno;
		if (inp[1] >= 0)
			close(inp[1]);
		close(outp[0]);
		close(errp[0]);
		close(execp[0]);
		return errbuf_set(e, EXIT_ENVIRONMENT, "fork: %s", strerror(err));
	}
	/* Both sides set the group, so no signal can race the child's call. */
	setpgid(pid, pid);

	int exec_err = 0;
	if (o->sandbox)
		r->sandboxed = read_full(execp[0], &r->sandbox, sizeof r->sandbox) ==
			       sizeof r->sandbox;
	size_t got = read_full(execp[0], &exec_err, sizeof exec_err);
	close(execp[0]);
	if (got == sizeof exec_err || (o->sandbox && !r->sandboxed)) {
		int ws;
		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		if (inp[1] >= 0)
			close(inp[1]);
		close(outp[0]);
		close(errp[0]);
		r->status = RUN_SPAWN_FAILED;
		if (got != sizeof exec_err)
			snprintf(r->problem, sizeof r->problem,
				 "'%s': the sandbox could not be set up", o->argv[0]);
		else if (exec_err == SPAWN_SANDBOX_FAILED)
			snprintf(r->problem, sizeof r->problem,
				 "'%s' not run: the sandbox left it in an unknown state",
				 o->argv[0]);
		else
			snprintf(r->problem, sizeof r->problem, "cannot execute '%s': %s",
				 o->argv[0], strerror(exec_err));
		r->elapsed_s = now_s() - start;
		return 0;
	}

	int infd = inp[1], outfd = outp[0], errfd = errp[0];
	size_t fed = 0;
	if (infd >= 0)
		set_nonblock(infd);
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

	/* The sandbox record leads the process's records: kaudit's own code
	 * wrote its report before the program ran, so no later record of
	 * the program can take it back. */
	if (o->sink && r->sandboxed) {
		struct record sr;
		sandbox_report_record(&r->sandbox, o->process ? o->process : "worker",
				      o->case_index, &sr);
		int rc = record_emit(o->sink, &sr);
		record_clear(&sr);
		if (rc < 0) {
			lc.sink_failed = 1;
			errbuf_set(&le, EXIT_BAD_INPUT, "cannot store the sandbox record");
			stopped = RUN_MALFORMED;
		}
	}

	while (stopped == RUN_OK) {
		if (infd >= 0)
			feed_input(&infd, o->input, o->input_len, &fed);
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
		struct pollfd pfd[3];
		nfds_t np = 0;
		if (outfd >= 0)
			pfd[np++] = (struct pollfd){ outfd, POLLIN, 0 };
		if (errfd >= 0)
			pfd[np++] = (struct pollfd){ errfd, POLLIN, 0 };
		if (infd >= 0)
			pfd[np++] = (struct pollfd){ infd, POLLOUT, 0 };
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

	if (infd >= 0)
		close(infd);
	if (!leader_exited(pid))
		stop_group(pid, o->grace_s > 0 ? o->grace_s : RUN_GRACE_S);
	int wstatus = 0;
	reap(pid, &wstatus);
	int reaper = 0;
	if (prctl(PR_GET_CHILD_SUBREAPER, &reaper) == 0 && reaper)
		run_sweep_children();
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
		if (stopped == RUN_MALFORMED || stopped == RUN_BROKE_PLAN || stopped == RUN_TOO_MANY)
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
