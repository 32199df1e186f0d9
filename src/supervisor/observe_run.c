/*
 * observe_run.c - `kaudit observe`'s supervisor (observe_run.h): the
 * socket every observed process reports to, the command's process, the
 * records admitted, the analysis and the signed trace.
 *
 * Trust: the records come from inside processes kaudit did not write, so
 * they prove what an honest CUPTI saw there and nothing more (kaudit(1)
 * OBSERVE).  What the supervisor does guarantee: each record names the pid
 * the kernel gave its connection (SO_PEERCRED), never the one it claims;
 * only the record types an observation holds are admitted, each decoded by
 * the trace's own codec; lines, records and connections are capped; and
 * the trace is written and signed here, with a key no observed process can
 * read from this process (undumpable).
 */
#include "supervisor/observe_run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect.h"
#include "run/observe_wire.h"
#include "util/build_info.h"

/* Records kept for the analysis (in memory, like verify's): past this,
 * activity is counted in a dropped record (source "cap"). */
#define OBSERVE_MAX_RECORDS (1u << 22)
#define OBSERVE_MAX_CONNS 256
/* After the command exits, how long processes it left behind may keep
 * their connections open before kaudit stops listening. */
#define OBSERVE_GRACE_NS (5LL * 1000000000LL)
/* The library is a few hundred KB; anything past this is not one. */
#define OBSERVE_LIB_MAX_BYTES (256u << 20)

struct conn {
	int fd;
	pid_t pid;
	char *buf;
	size_t n;
	int skipping;          /* inside an overlong line: drop to its newline */
	int has_process;
};

struct state {
	struct observe_run *o;
	struct trace_writer *w;
	struct errbuf werr;
	int write_failed;
	int64_t cap_dropped;
	struct conn conns[OBSERVE_MAX_CONNS];
	size_t nconns;
};

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* ---- the library and the environment ------------------------------------- */

static int locate_lib(char *path, size_t n, int *from_env, struct errbuf *e)
{
	const char *env = getenv("KAUDIT_OBSERVE_LIB");
	*from_env = env && *env;
	if (*from_env) {
		snprintf(path, n, "%s", env);
		if (access(path, R_OK) != 0)
			return errbuf_set(e, EXIT_ENVIRONMENT, "KAUDIT_OBSERVE_LIB: cannot read "
					  "'%s': %s", path, strerror(errno));
		return 0;
	}
	const char *dir = exe_dir();
	snprintf(path, n, "%s/%s", dir, OBSERVE_LIB_NAME);
	if (access(path, R_OK) == 0)
		return 0;
	snprintf(path, n, "%s/../lib/kaudit/%s", dir, OBSERVE_LIB_NAME);
	if (access(path, R_OK) == 0)
		return 0;
	return errbuf_set(e, EXIT_ENVIRONMENT, "built without CUPTI: %s not found in %s or "
			  "%s/../lib/kaudit", OBSERVE_LIB_NAME, dir, dir);
}

static json_t *lib_identity(const char *path, int from_env)
{
	char real[PATH_MAX], sha[65] = "";
	const char *shown = realpath(path, real) ? real : path;
	char *bytes = NULL;
	size_t len = 0;
	struct errbuf e = { "", 0 };
	if (read_file(shown, OBSERVE_LIB_MAX_BYTES, &bytes, &len, &e) == 0)
		sha256_hex(bytes, len, sha);
	free(bytes);
	json_t *o = json_pack("{s:s, s:s}", "path", shown, "origin",
			      from_env ? "KAUDIT_OBSERVE_LIB" : "kaudit");
	json_object_set_new(o, "sha256", sha[0] ? json_string(sha) : json_null());
	return o;
}

static int environment(char *lib, size_t n, int *from_env, struct errbuf *e)
{
	const char *inj = getenv("CUDA_INJECTION64_PATH");
	if (inj && *inj)
		return errbuf_set(e, EXIT_ENVIRONMENT, "CUDA_INJECTION64_PATH is already set "
				  "(another CUDA tool: nsys, ncu or a profiler injects itself): "
				  "CUPTI takes one subscriber per process; unset it and run kaudit "
				  "observe alone");
	if (locate_lib(lib, n, from_env, e) < 0)
		return -1;
	/* A stand-in library (the host double) needs no GPU. */
	if (!*from_env && access("/dev/nvidiactl", F_OK) != 0 &&
	    access("/proc/driver/nvidia/version", F_OK) != 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "no NVIDIA GPU or driver on this machine "
				  "(/dev/nvidiactl and /proc/driver/nvidia are missing): nothing "
				  "to observe");
	return 0;
}

/* ---- the trace ------------------------------------------------------------- */

static void keep(struct state *s, struct record *r)
{
	if (!s->write_failed && trace_writer_add(s->w, r, &s->werr) < 0)
		s->write_failed = 1;
	record_list_push(&s->o->recs, r);
}

/* S as a JSON string; bytes of a name that is not UTF-8 become '?'. */
static json_t *text(const char *s)
{
	json_t *j = json_stringn(s, strlen(s));
	if (j)
		return j;
	char *c = xstrdup(s);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

static json_t *header_observe(char **argv)
{
	json_t *a = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, text(argv[i]));
	char cwd[PATH_MAX];
	json_t *o = json_pack("{s:o}", "argv", a);
	if (getcwd(cwd, sizeof cwd))
		json_object_set_new(o, "cwd", text(cwd));
	return o;
}

static void header(struct record *h, const struct observe_run *o, const char *pubkey,
		   json_t *lib)
{
	char now[32], host[256];
	utc_now(now);
	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "unknown");
	host[sizeof host - 1] = '\0';
	record_init(h, REC_HEADER);
	h->u.header.version = 1;
	h->u.header.tool = xstrdup(KAUDIT_VERSION);
	h->u.header.time = xstrdup(now);
	h->u.header.host = xstrdup(host);
	h->u.header.synthetic = 0;
	h->u.header.pubkey = xstrdup(pubkey);
	h->u.header.plugin = lib;
	h->u.header.build = json_pack("{s:s, s:s}", "commit", build_info_commit(), "cuda",
				      build_info_cuda());
	h->u.header.observe = header_observe(o->argv);
}

/* ---- what the processes send ------------------------------------------------ */

static int admitted(enum record_type t)
{
	switch (t) {
	case REC_API: case REC_KERNEL: case REC_MEMCPY: case REC_MEMSET: case REC_EVENT:
	case REC_SYNC: case REC_ELAPSED: case REC_PROCESS: case REC_DROPPED:
		return 1;
	default:
		return 0;
	}
}

/* The kernel's pid for the connection, whatever the line said. */
static void set_pid(struct record *r, int64_t pid)
{
	switch (r->type) {
	case REC_API: r->u.api.pid = pid; break;
	case REC_KERNEL: r->u.kernel.pid = pid; break;
	case REC_MEMCPY: r->u.memcpy.pid = pid; break;
	case REC_MEMSET: r->u.memset.pid = pid; break;
	case REC_EVENT: r->u.event.pid = pid; break;
	case REC_SYNC: r->u.sync.pid = pid; break;
	case REC_ELAPSED: r->u.elapsed.pid = pid; break;
	case REC_PROCESS: r->u.process.pid = pid; break;
	default: break;
	}
}

static void handle_line(struct state *s, struct conn *c, const char *line, size_t n)
{
	struct observe_run *o = s->o;
	struct record r;
	struct errbuf e = { "", 0 };
	if (n == 0)
		return;
	if (record_decode_line(line, n, &r, &e) < 0) {
		o->bad_lines++;
		return;
	}
	if (!admitted(r.type) || (r.type == REC_PROCESS && c->has_process)) {
		o->bad_lines++;
		record_clear(&r);
		return;
	}
	/* Nothing of verify's attribution: an observation's records are
	 * audit-wide, and what they belong to is the pid. */
	r.id = REC_NONE;
	r.case_index = REC_NONE;
	r.call = REC_NONE;
	r.phase = PHASE_NONE;
	r.impl = IMPL_NONE;
	set_pid(&r, c->pid);
	if (r.type == REC_PROCESS) {
		c->has_process = 1;
		o->processes++;
		if (r.u.process.subscribed == 0 && o->refused++ == 0)
			snprintf(o->refused_msg, sizeof o->refused_msg, "pid %lld: %s",
				 (long long)c->pid, r.u.process.message ? r.u.process.message
				 : "CUPTI refused the subscription");
	}
	if (o->recs.n >= OBSERVE_MAX_RECORDS) {
		s->cap_dropped++;
		record_clear(&r);
		return;
	}
	keep(s, &r);
}

/* Reads what C has; 0 at end of stream. */
static int conn_read(struct state *s, struct conn *c)
{
	char chunk[65536];
	ssize_t got = read(c->fd, chunk, sizeof chunk);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (got <= 0)
		return 0;
	for (ssize_t i = 0; i < got; i++) {
		char ch = chunk[i];
		if (ch == '\n') {
			if (!c->skipping)
				handle_line(s, c, c->buf, c->n);
			c->skipping = 0;
			c->n = 0;
			continue;
		}
		if (c->skipping)
			continue;
		if (c->n == OBSERVE_LINE_MAX) { /* too long: refused whole */
			s->o->bad_lines++;
			c->skipping = 1;
			c->n = 0;
			continue;
		}
		c->buf[c->n++] = ch;
	}
	return 1;
}

static void conn_close(struct state *s, size_t i)
{
	struct conn *c = &s->conns[i];
	if (c->n && !c->skipping) /* a last line without its newline */
		handle_line(s, c, c->buf, c->n);
	close(c->fd);
	free(c->buf);
	s->conns[i] = s->conns[--s->nconns];
}

static void conn_accept(struct state *s, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (s->nconns == OBSERVE_MAX_CONNS ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		s->o->bad_lines++;
		close(fd);
		return;
	}
	struct conn *c = &s->conns[s->nconns++];
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->pid = cr.pid;
	c->buf = xmalloc(OBSERVE_LINE_MAX + 1);
}

/* ---- the command -------------------------------------------------------------- */

static pid_t spawn(struct observe_run *o, const char *lib, const char *sock)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		o->exec_failed = 1;
		snprintf(o->exec_msg, sizeof o->exec_msg, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		o->exec_failed = 1;
		snprintf(o->exec_msg, sizeof o->exec_msg, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_DUMPABLE, 1); /* the command is the user's own program */
		int err = 0;
		if (setenv("CUDA_INJECTION64_PATH", lib, 1) != 0 ||
		    setenv(OBSERVE_ENV_SOCK, sock, 1) != 0)
			err = errno;
		else {
			execvp(o->argv[0], o->argv);
			err = errno;
		}
		ssize_t w = write(pfd[1], &err, sizeof err);
		(void)w;
		_exit(127);
	}
	close(pfd[1]);
	int err = 0;
	ssize_t got;
	do
		got = read(pfd[0], &err, sizeof err);
	while (got < 0 && errno == EINTR);
	close(pfd[0]);
	if (got == (ssize_t)sizeof err) {
		o->exec_failed = 1;
		snprintf(o->exec_msg, sizeof o->exec_msg, "cannot run '%s': %s", o->argv[0],
			 strerror(err));
	}
	return pid;
}

static int listen_on(const char *path, struct errbuf *e)
{
	struct sockaddr_un a;
	if (strlen(path) >= sizeof a.sun_path)
		return errbuf_set(e, EXIT_ENVIRONMENT, "socket path too long: %s (set TMPDIR "
				  "shorter)", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_set(e, EXIT_ENVIRONMENT, "socket: %s", strerror(errno));
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path));
	if (bind(fd, (const struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
		errbuf_set(e, EXIT_ENVIRONMENT, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Serves connections until the command has exited and its processes have
 * closed theirs (or the grace after its exit ran out). */
static void serve(struct state *s, int lfd, pid_t child)
{
	struct observe_run *o = s->o;
	int exited = child < 0, told = 0;
	int64_t deadline = 0, kill_at = 0;
	if (exited)
		deadline = mono_ns();
	for (;;) {
		struct pollfd p[OBSERVE_MAX_CONNS + 1];
		p[0] = (struct pollfd){ lfd, POLLIN, 0 };
		for (size_t i = 0; i < s->nconns; i++)
			p[i + 1] = (struct pollfd){ s->conns[i].fd, POLLIN, 0 };
		int n = poll(p, s->nconns + 1, 100);
		if (n > 0) {
			for (size_t i = s->nconns; i-- > 0;)
				if (p[i + 1].revents && !conn_read(s, &s->conns[i]))
					conn_close(s, i);
			if (p[0].revents & POLLIN)
				conn_accept(s, lfd);
		}
		/* The command, and any orphan of it handed to us (subreaper). */
		int st;
		pid_t r;
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r != child)
				continue;
			exited = 1;
			deadline = mono_ns() + OBSERVE_GRACE_NS;
			if (WIFEXITED(st))
				o->status = WEXITSTATUS(st);
			else if (WIFSIGNALED(st))
				o->signal = WTERMSIG(st);
		}
		/* Interrupted: the command had the same Ctrl-C; one that ignores
		 * it gets SIGTERM, then SIGKILL after the grace. */
		if (!exited && o->stop && *o->stop) {
			if (!told) {
				kill(child, SIGTERM);
				told = 1;
				kill_at = mono_ns() + OBSERVE_GRACE_NS;
			} else if (mono_ns() > kill_at) {
				kill(child, SIGKILL);
			}
		}
		if (exited && (s->nconns == 0 || mono_ns() > deadline) && n <= 0)
			break;
	}
	while (s->nconns)
		conn_close(s, s->nconns - 1);
}

static void add_error(struct state *s, const char *where, const char *msg, int64_t status,
		      int64_t sig)
{
	struct record r;
	record_init(&r, REC_ERROR);
	r.u.error.where = xstrdup(where);
	r.u.error.message = xstrdup(msg);
	r.u.error.status = status;
	r.u.error.signal = sig;
	keep(s, &r);
}

static void add_dropped(struct state *s, int64_t count, const char *source)
{
	struct record r;
	record_init(&r, REC_DROPPED);
	r.u.dropped.count = count;
	r.u.dropped.source = xstrdup(source);
	keep(s, &r);
}

/* The command's end, what was refused, then findings and the verdict. */
static int conclude(struct state *s, struct errbuf *e)
{
	struct observe_run *o = s->o;
	char msg[700];
	if (o->exec_failed)
		add_error(s, "command", o->exec_msg, REC_NONE, REC_NONE);
	else if (o->signal > 0) {
		snprintf(msg, sizeof msg, "the command was killed by signal %d", o->signal);
		add_error(s, "command", msg, REC_NONE, o->signal);
	} else if (o->status != 0) {
		snprintf(msg, sizeof msg, "the command exited with status %d", o->status);
		add_error(s, "command", msg, o->status, REC_NONE);
	}
	if (!o->exec_failed && o->processes == 0)
		add_error(s, "observe", "no process of the command initialised CUDA under kaudit's "
			  "injection library", REC_NONE, REC_NONE);
	if (s->cap_dropped)
		add_dropped(s, s->cap_dropped, "cap");
	if (o->bad_lines)
		add_dropped(s, (int64_t)o->bad_lines, "refused");
	if (!s->write_failed && trace_writer_flush(s->w, &s->werr) < 0)
		s->write_failed = 1;

	struct record_list found = { NULL, 0, 0 }, verdicts = { NULL, 0, 0 };
	if (detect_all(o->recs.v, o->recs.n, &found) < 0 ||
	    detect_verdicts(o->recs.v, o->recs.n, found.v, found.n, NAN, &verdicts) < 0) {
		record_list_free(&found);
		record_list_free(&verdicts);
		return errbuf_set(e, EXIT_BAD_INPUT, "the detectors failed on these records");
	}
	for (size_t i = 0; i < found.n; i++)
		keep(s, &found.v[i]);
	for (size_t i = 0; i < verdicts.n; i++)
		keep(s, &verdicts.v[i]);
	found.n = verdicts.n = 0; /* moved */
	record_list_free(&found);
	record_list_free(&verdicts);
	const struct record *v = &o->recs.v[o->recs.n - 1];
	o->verdict = v->type == REC_VERDICT ? v->u.verdict.verdict : "error";
	return 0;
}

static void default_name(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "observe-%Y%m%dT%H%M%SZ.kat", &tm);
}

int observe_run_execute(struct observe_run *o, const struct trace_key *key, struct errbuf *e)
{
	char lib[PATH_MAX];
	int from_env = 0;
	o->status = 0;
	o->signal = -1;
	if (environment(lib, sizeof lib, &from_env, e) < 0)
		return -1;

	struct state s;
	memset(&s, 0, sizeof s);
	s.o = o;
	char name[64];
	default_name(name, sizeof name);
	snprintf(o->trace_path, sizeof o->trace_path, "%s", o->out ? o->out : name);
	if (trace_writer_open_for(o->trace_path, NULL, o->out == NULL, &s.w, e) < 0)
		return -1;
	snprintf(o->trace_path, sizeof o->trace_path, "%s", trace_writer_path(s.w));

	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX - 8], sock[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/kaudit-observe.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		trace_writer_abort(s.w);
		return errbuf_set(e, EXIT_ENVIRONMENT, "cannot create a directory in %s: %s",
				  tmp && *tmp ? tmp : "/tmp", strerror(errno));
	}
	snprintf(sock, sizeof sock, "%s/s", dir);
	int lfd = listen_on(sock, e);
	if (lfd < 0) {
		rmdir(dir);
		trace_writer_abort(s.w);
		return -1;
	}

	struct record h;
	header(&h, o, trace_key_public_pem(key), lib_identity(lib, from_env));
	keep(&s, &h);

	pid_t child = spawn(o, lib, sock);
	if (o->exec_failed && child > 0) {
		int st;
		waitpid(child, &st, 0);
		child = -1;
	}
	serve(&s, lfd, child);
	close(lfd);
	unlink(sock);
	rmdir(dir);

	if (conclude(&s, e) < 0 || s.write_failed) {
		if (s.write_failed)
			*e = s.werr;
		trace_writer_abort(s.w);
		return -1;
	}
	json_t *pred = trace_predicate(o->recs.v, o->recs.n);
	int rc = trace_writer_finish(s.w, key, pred, e);
	json_decref(pred);
	return rc;
}

void observe_run_free(struct observe_run *o)
{
	record_list_free(&o->recs);
}
