/*
 * test_sandbox.c - src/run/sandbox.c on the running kernel: a forked child
 * leads its own process group (as the spawn primitive makes it), applies
 * the sandbox, then tries what claimant code might, and reports every
 * outcome over a pipe.  The parent asserts that each attack was refused
 * with the errno of the layer meant to refuse it (so an attack that fails
 * for an unrelated reason does not pass), and that what a worker needs
 * (its own files, its own signals, threads, UNIX sockets, fork) still
 * works.  Landlock's checks are asserted wherever this kernel has
 * Landlock, and the report must then say it is in force.
 *
 * Also: the report's fields and its `sandbox` record, and a degraded run
 * (Landlock made to look absent, as under gVisor) whose record raises
 * sandbox-degraded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "detect/detect.h"
#include "run/sandbox.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define LL_VERSION 1u /* LANDLOCK_CREATE_RULESET_VERSION */
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING (-3)

/* What the attacks need to know, set up by the parent before the fork. */
static struct {
	char base[64];              /* mkdtemp: holds the three dirs below */
	char a[96], w[96], b[96];   /* read-only, writable, outside the policy */
	char a_file[128], b_file[128], w_new[128], a_new[128];
	pid_t parent_pgid;
} ctx;

/* Read by process_vm_readv from the child: the parent's copy. */
static volatile int parent_secret = 42;

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Each attack returns 0 when the operation succeeded, else its errno. */
static int rc_errno(long rc)
{
	return rc < 0 ? errno : 0;
}

static int open_close(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_ptrace(void)
{
	pid_t pp = getppid();
	if (ptrace(PTRACE_ATTACH, pp, NULL, NULL) < 0)
		return errno;
	ptrace(PTRACE_DETACH, pp, NULL, NULL); /* unconfined: let the parent go */
	return 0;
}

static int do_vm_readv(void)
{
	int v = 0;
	struct iovec local = { &v, sizeof v };
	struct iovec remote = { (void *)&parent_secret, sizeof v };
	return rc_errno(process_vm_readv(getppid(), &local, 1, &remote, 1, 0));
}

static int do_kill_parent(void) { return rc_errno(kill(getppid(), 0)); }
static int do_sigcont_parent(void) { return rc_errno(kill(getppid(), SIGCONT)); }
static int do_kill_group(void) { return rc_errno(kill(-ctx.parent_pgid, 0)); }
static int do_tgkill_parent(void)
{
	return rc_errno(syscall(SYS_tgkill, getppid(), getppid(), 0));
}

/* The kernel reads pid_t from the low half of the register: setting the
 * upper half must not slip the parent's pid past the filter. */
static int do_kill_high_bits(void)
{
	return rc_errno(syscall(SYS_kill, (long)getppid() | (1L << 32), 0));
}

static int do_pidfd_signal(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getppid(), 0);
	if (fd < 0)
		return errno;
	int err = rc_errno(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0));
	close(fd);
	return err;
}

static int do_setown(void)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	int err = rc_errno(fcntl(p[0], F_SETOWN, getppid()));
	close(p[0]);
	close(p[1]);
	return err;
}

/* setsid always fails in a group leader, so try it where it would work:
 * in a forked child, which is not one. */
static int do_setsid(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(setsid() < 0 ? errno : 0);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* In a group leader setpgid(0, 0) is a successful no-op when unconfined. */
static int do_setpgid(void) { return rc_errno(setpgid(0, 0)); }

static int do_socket(int domain, int type)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}
static int do_inet(void) { return do_socket(AF_INET, SOCK_STREAM); }
static int do_inet6(void) { return do_socket(AF_INET6, SOCK_STREAM); }
static int do_packet(void) { return do_socket(AF_PACKET, SOCK_RAW); }
static int do_unix(void) { return do_socket(AF_UNIX, SOCK_STREAM); }

/* socket()'s domain is an int: upper bits must not hide AF_INET. */
static int do_inet_high_bits(void)
{
	long fd = syscall(SYS_socket, (long)AF_INET | (1L << 32), SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

/* In a forked child: unconfined, the new user namespace would cost the
 * attacks after it their privileges and so weaken them. */
static int do_unshare(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) < 0 ? errno : 0);
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* A forking syscall that succeeded unconfined: reap the new child. */
static int reap(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int do_clone_newuser(void)
{
	return reap(syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L));
}

static int do_clone3(void)
{
	uint64_t args[8] = { 0 }; /* struct clone_args, version 0 */
	args[4] = SIGCHLD;        /* exit_signal */
	return reap(syscall(SYS_clone3, args, sizeof args));
}

static int do_keyctl(void)
{
	return rc_errno(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

static int do_bpf(void) { return rc_errno(syscall(SYS_bpf, 0, NULL, 0)); }

static int do_io_uring(void)
{
	unsigned char params[128] = { 0 }; /* struct io_uring_params, zeroed */
	long fd = syscall(SYS_io_uring_setup, 1, params);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

static int do_read_outside(void) { return open_close(ctx.b_file, O_RDONLY); }
static int do_write_readonly(void) { return open_close(ctx.a_file, O_WRONLY); }
static int do_create_readonly(void) { return open_close(ctx.a_new, O_WRONLY | O_CREAT); }
static int do_device_unlisted(void) { return open_close("/dev/zero", O_RDONLY); }

static int do_create_writable(void)
{
	int fd = open(ctx.w_new, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	int err = write(fd, "x", 1) == 1 ? 0 : errno;
	close(fd);
	return err;
}

static int do_read_readable(void)
{
	char buf[16];
	int fd = open(ctx.a_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	return n == 5 && memcmp(buf, "hello", 5) == 0 ? 0 : -1;
}

/* A character device listed as a write path (as /dev/nvidia0 is): opened
 * read-write, and an ioctl reaches the driver (ENOTTY from /dev/null)
 * instead of being refused by Landlock (EACCES). */
static int do_device_listed(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno;
	struct termios t;
	int err = ioctl(fd, TCGETS, &t) < 0 ? errno : 0;
	close(fd);
	return err == ENOTTY ? 0 : err ? err : -1;
}

static int do_raise(void)
{
	got_usr1 = 0;
	if (signal(SIGUSR1, on_usr1) == SIG_ERR || raise(SIGUSR1) != 0)
		return errno ? errno : -1;
	return got_usr1 ? 0 : -1;
}

static int do_kill_self(void) { return rc_errno(kill(getpid(), 0)); }
static int do_kill_own_group(void) { return rc_errno(kill(0, 0)); }
static int do_kill_own_group_by_id(void) { return rc_errno(kill(-getpid(), 0)); }

static void *thread_main(void *arg)
{
	return arg;
}

static int do_thread(void)
{
	pthread_t t;
	void *ret = NULL;
	int rc = pthread_create(&t, NULL, thread_main, &ctx);
	if (rc)
		return rc;
	if (pthread_join(t, &ret) || ret != &ctx)
		return -1;
	return 0;
}

static int do_fork(void) { return reap(fork()); }

/* chmod reports success and does nothing: 0 only when the mode changed. */
static int mode_changed(const char *path, mode_t was)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno;
	return (st.st_mode & 07777) != was ? 0 : EPERM;
}
static int do_chmod_outside(void)
{
	struct stat st;
	if (stat(ctx.b_file, &st) != 0)
		return errno;
	long rc = chmod(ctx.b_file, 0);
	return rc < 0 ? errno : mode_changed(ctx.b_file, st.st_mode & 07777);
}
static int do_fchmodat_dir(void)
{
	struct stat st;
	if (stat(ctx.a, &st) != 0)
		return errno;
	long rc = syscall(SYS_fchmodat, AT_FDCWD, ctx.a, 0555);
	return rc < 0 ? errno : mode_changed(ctx.a, st.st_mode & 07777);
}
static int do_fchmod_readonly(void)
{
	struct stat st;
	int fd = open(ctx.a_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return errno;
	}
	long rc = fchmod(fd, 0);
	close(fd);
	return rc < 0 ? errno : mode_changed(ctx.a_file, st.st_mode & 07777);
}
static int do_fchmodat2(void)
{
	struct stat st;
	if (stat(ctx.b_file, &st) != 0)
		return errno;
	long rc = syscall(452, AT_FDCWD, ctx.b_file, 0, 0);
	/* ENOSYS: a kernel before 6.6, nothing to stop. */
	return rc < 0 ? (errno == ENOSYS ? EPERM : errno)
		      : mode_changed(ctx.b_file, st.st_mode & 07777);
}

enum needs { SECCOMP, LANDLOCK };

static const struct attack {
	const char *name;
	int (*fn)(void);
	int expect;                 /* errno, or 0: must succeed */
	enum needs needs;           /* the layer that decides it */
} attacks[] = {
	{ "ptrace(PTRACE_ATTACH, parent)", do_ptrace, EPERM, SECCOMP },
	{ "process_vm_readv(parent)", do_vm_readv, EPERM, SECCOMP },
	{ "kill(parent, 0)", do_kill_parent, EPERM, SECCOMP },
	{ "kill(parent, SIGCONT)", do_sigcont_parent, EPERM, SECCOMP },
	{ "kill(-parent's group, 0)", do_kill_group, EPERM, SECCOMP },
	{ "tgkill(parent)", do_tgkill_parent, EPERM, SECCOMP },
	{ "kill(parent | 1 << 32)", do_kill_high_bits, EPERM, SECCOMP },
	{ "pidfd_send_signal(parent)", do_pidfd_signal, EPERM, SECCOMP },
	{ "fcntl(F_SETOWN, parent)", do_setown, EPERM, SECCOMP },
	{ "setsid() in a child", do_setsid, EPERM, SECCOMP },
	{ "setpgid(0, 0)", do_setpgid, EPERM, SECCOMP },
	{ "socket(AF_INET)", do_inet, EPERM, SECCOMP },
	{ "socket(AF_INET | 1 << 32)", do_inet_high_bits, EPERM, SECCOMP },
	{ "socket(AF_INET6)", do_inet6, EPERM, SECCOMP },
	{ "socket(AF_PACKET)", do_packet, EPERM, SECCOMP },
	{ "unshare(CLONE_NEWUSER)", do_unshare, EPERM, SECCOMP },
	{ "clone(CLONE_NEWUSER)", do_clone_newuser, EPERM, SECCOMP },
	{ "clone3", do_clone3, ENOSYS, SECCOMP },
	{ "keyctl", do_keyctl, EPERM, SECCOMP },
	{ "bpf", do_bpf, EPERM, SECCOMP },
	{ "io_uring_setup", do_io_uring, EPERM, SECCOMP },
	{ "socket(AF_UNIX)", do_unix, 0, SECCOMP },
	{ "raise(SIGUSR1)", do_raise, 0, SECCOMP },
	{ "kill(self, 0)", do_kill_self, 0, SECCOMP },
	{ "kill(0, 0)", do_kill_own_group, 0, SECCOMP },
	{ "kill(-self, 0)", do_kill_own_group_by_id, 0, SECCOMP },
	{ "pthread_create", do_thread, 0, SECCOMP },
	{ "fork", do_fork, 0, SECCOMP },
	{ "chmod outside the policy", do_chmod_outside, EPERM, SECCOMP },
	{ "fchmodat of a read-only dir", do_fchmodat_dir, EPERM, SECCOMP },
	{ "fchmod of a file opened read-only", do_fchmod_readonly, EPERM, SECCOMP },
	{ "fchmodat2 outside the policy", do_fchmodat2, EPERM, SECCOMP },
	{ "read outside the policy", do_read_outside, EACCES, LANDLOCK },
	{ "write a read-only file", do_write_readonly, EACCES, LANDLOCK },
	{ "create in a read-only dir", do_create_readonly, EACCES, LANDLOCK },
	{ "open an unlisted device", do_device_unlisted, EACCES, LANDLOCK },
	{ "create in the write dir", do_create_writable, 0, LANDLOCK },
	{ "read in the read dir", do_read_readable, 0, LANDLOCK },
	{ "O_RDWR + ioctl on a listed device", do_device_listed, 0, LANDLOCK },
};
#define NATTACKS (sizeof attacks / sizeof attacks[0])

static size_t attack_index(int (*fn)(void))
{
	size_t i = 0;
	while (i < NATTACKS && attacks[i].fn != fn)
		i++;
	assert_true(i < NATTACKS);
	return i;
}

/* Other ABIs of the machine: the filter must kill, not allow, them. */
enum { ABI_I386, ABI_X32, NABIS };

/* What the child sends back. */
struct outcome {
	int rc;                     /* sandbox_apply's */
	struct sandbox_report rep;
	int err[NATTACKS];
	int abi[NABIS];             /* foreign_abi() */
};

/* Results of foreign_abi(): the call worked, returned an error, or the
 * process was killed by signal (ABI_KILLED + signal). */
#define ABI_WORKED 0
#define ABI_FAILED 1
#define ABI_KILLED 100

/* One getpid through another ABI, in a child. */
static int foreign_abi(int which)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		long r = -1;
#if defined(__x86_64__)
		if (which == ABI_I386)
			__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		else
			r = syscall(0x40000000L | SYS_getpid);
#else
		(void)which;
#endif
		_exit(r == getpid() ? ABI_WORKED : ABI_FAILED);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? ABI_KILLED + WTERMSIG(st) : WEXITSTATUS(st);
}

static const char *read_paths[8];
static const char *write_paths[4];
static struct sandbox_policy policy;

#define MISSING_PATH "/nonexistent/kaudit-sandbox-test"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(ctx.base, sizeof ctx.base, "/tmp/kaudit-sandbox-XXXXXX");
	if (!mkdtemp(ctx.base))
		return -1;
	snprintf(ctx.a, sizeof ctx.a, "%s/a", ctx.base);
	snprintf(ctx.w, sizeof ctx.w, "%s/w", ctx.base);
	snprintf(ctx.b, sizeof ctx.b, "%s/b", ctx.base);
	snprintf(ctx.a_file, sizeof ctx.a_file, "%s/readme", ctx.a);
	snprintf(ctx.a_new, sizeof ctx.a_new, "%s/new", ctx.a);
	snprintf(ctx.b_file, sizeof ctx.b_file, "%s/secret", ctx.b);
	snprintf(ctx.w_new, sizeof ctx.w_new, "%s/new", ctx.w);
	if (mkdir(ctx.a, 0700) || mkdir(ctx.w, 0700) || mkdir(ctx.b, 0700))
		return -1;
	write_file(ctx.a_file, "hello");
	write_file(ctx.b_file, "secret");
	ctx.parent_pgid = getpgrp();
	size_t n = 0;
	read_paths[n++] = ctx.a;
	read_paths[n++] = "/usr";
	read_paths[n++] = "/lib";
	read_paths[n++] = "/lib64";
	read_paths[n++] = "/etc/ld.so.cache";
	read_paths[n++] = MISSING_PATH;
	policy.read = read_paths;
	policy.nread = n;
	write_paths[0] = ctx.w;
	write_paths[1] = "/dev/null";
	policy.write = write_paths;
	policy.nwrite = 2;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(ctx.a_file);
	unlink(ctx.b_file);
	unlink(ctx.w_new);
	unlink(ctx.a_new);
	rmdir(ctx.a);
	rmdir(ctx.w);
	rmdir(ctx.b);
	rmdir(ctx.base);
	return 0;
}

/* Landlock ABI of this kernel as the parent sees it, 0 if none. */
static int kernel_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_VERSION);
	return abi > 0 ? (int)abi : 0;
}

/* Makes Landlock look absent (ENOSYS), as gVisor does. */
static void hide_landlock(void)
{
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	if (!c || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(landlock_create_ruleset), 0) ||
	    seccomp_load(c))
		_exit(90);
	seccomp_release(c);
}

/* Forks a child that leads its own group, (optionally hides Landlock,)
 * applies the policy and runs every attack; fills *O from its report. */
static void run_child(int degrade, struct outcome *o)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct outcome mine;
		memset(&mine, 0, sizeof mine);
		if (setpgid(0, 0) < 0) /* what the spawn primitive does first */
			_exit(91);
		if (degrade)
			hide_landlock();
		mine.rc = sandbox_apply(&policy, &mine.rep);
		for (size_t i = 0; i < NATTACKS; i++) {
			errno = 0;
			mine.err[i] = attacks[i].fn();
		}
		mine.abi[ABI_I386] = foreign_abi(ABI_I386);
		mine.abi[ABI_X32] = foreign_abi(ABI_X32);
		/* _exit: no atexit handlers (LeakSanitizer would ptrace). */
		_exit(write(p[1], &mine, sizeof mine) == (ssize_t)sizeof mine ? 0 : 92);
	}
	close(p[1]);
	size_t got = 0;
	while (got < sizeof *o) {
		ssize_t n = read(p[0], (char *)o + got, sizeof *o - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("sandboxed child ended with status 0x%x", st);
	assert_int_equal(got, sizeof *o);
	unlink(ctx.w_new);
}

static void assert_attacks(const struct outcome *o)
{
	int landlock = o->rep.applied[SANDBOX_LANDLOCK] == 1;
	for (size_t i = 0; i < NATTACKS; i++) {
		const struct attack *a = &attacks[i];
		if (a->needs == LANDLOCK && !landlock)
			continue;
		if (o->err[i] != a->expect)
			fail_msg("%s: got %s (%d), want %s", a->name,
				 o->err[i] > 0 ? strerror(o->err[i]) : o->err[i] ? "wrong result"
									     : "success",
				 o->err[i], a->expect ? strerror(a->expect) : "success");
	}
#if defined(__x86_64__)
	/* Where the instruction reaches the kernel's syscall entry at all
	 * (it returns, worked or not), the filter must kill the caller;
	 * elsewhere (no ia32 emulation, gVisor) it must at least not work. */
	for (int a = 0; a < NABIS; a++) {
		int unconfined = foreign_abi(a);
		if (unconfined == ABI_WORKED || unconfined == ABI_FAILED)
			assert_int_equal(o->abi[a], ABI_KILLED + SIGSYS);
		else
			assert_int_not_equal(o->abi[a], ABI_WORKED);
	}
#endif
}

/* Every layer this kernel offers is in force and every attack refused. */
static void attacks_are_refused(void **state)
{
	(void)state;
	struct outcome o;
	run_child(0, &o);
	int abi = kernel_landlock_abi();
	assert_int_equal(o.rep.applied[SANDBOX_NO_NEW_PRIVS], 1);
	assert_int_equal(o.rep.applied[SANDBOX_SECCOMP], 1);
	if (abi > 0) {
		assert_int_equal(o.rc, 0);
		assert_int_equal(o.rep.applied[SANDBOX_LANDLOCK], 1);
		assert_int_equal(o.rep.landlock_abi, abi);
		assert_int_equal(o.rep.net_restricted, abi >= 4);
		assert_int_equal(o.rep.signals_scoped, abi >= 6);
		assert_int_equal(o.rep.skipped_paths, 1); /* MISSING_PATH only */
	} else {
		assert_int_equal(o.rc, 1);
		assert_int_equal(o.rep.applied[SANDBOX_LANDLOCK], 0);
		assert_true(o.rep.why[SANDBOX_LANDLOCK][0] != '\0');
	}
	for (int l = 0; l < SANDBOX_NLAYERS; l++)
		if (o.rep.applied[l])
			assert_string_equal(o.rep.why[l], "");
	assert_attacks(&o);

	/* The record says the same, and round-trips. */
	struct record r, back;
	char *line;
	size_t len;
	struct errbuf e;
	sandbox_report_record(&o.rep, "worker", 3, &r);
	assert_int_equal(r.type, REC_SANDBOX);
	assert_int_equal(r.case_index, 3);
	assert_int_equal(r.phase, PHASE_SETUP);
	assert_string_equal(r.u.sandbox.process, "worker");
	assert_int_equal(r.u.sandbox.no_new_privs, 1);
	assert_int_equal(r.u.sandbox.seccomp, 1);
	assert_int_equal(r.u.sandbox.landlock, abi > 0);
	assert_int_equal(r.u.sandbox.landlock_abi, abi);
	assert_int_equal(r.u.sandbox.skipped_paths, o.rep.skipped_paths);
	if (abi > 0)
		assert_null(r.u.sandbox.refused);
	assert_int_equal(record_encode_line(&r, &line, &len), 0);
	assert_int_equal(record_decode_line(line, len, &back, &e), 0);
	assert_string_equal(back.u.sandbox.process, "worker");
	assert_int_equal(back.u.sandbox.signals_scoped, o.rep.signals_scoped);
	assert_int_equal(back.u.sandbox.net_restricted, o.rep.net_restricted);
	free(line);
	record_clear(&back);
	record_clear(&r);
}

/* Landlock refused (as under gVisor): reported with the kernel's reason,
 * not fatal; seccomp still refuses; the record raises sandbox-degraded. */
static void refused_layer_is_reported(void **state)
{
	(void)state;
	struct outcome o;
	run_child(1, &o);
	assert_int_equal(o.rc, 1);
	assert_int_equal(o.rep.applied[SANDBOX_NO_NEW_PRIVS], 1);
	assert_int_equal(o.rep.applied[SANDBOX_SECCOMP], 1);
	assert_int_equal(o.rep.applied[SANDBOX_LANDLOCK], 0);
	assert_int_equal(o.rep.landlock_abi, 0);
	assert_int_equal(o.rep.signals_scoped, 0);
	assert_int_equal(o.rep.net_restricted, 0);
	assert_non_null(strstr(o.rep.why[SANDBOX_LANDLOCK], "landlock_create_ruleset"));
	assert_non_null(strstr(o.rep.why[SANDBOX_LANDLOCK], strerror(ENOSYS)));
	assert_attacks(&o); /* the seccomp ones; Landlock's are skipped */
	assert_int_equal(o.err[attack_index(do_read_outside)], 0); /* no Landlock: readable */

	struct record r;
	sandbox_report_record(&o.rep, "worker", 0, &r);
	assert_int_equal(r.u.sandbox.landlock, 0);
	json_t *refused = r.u.sandbox.refused;
	assert_int_equal(json_array_size(refused), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(refused, 0),
							      "layer")), "landlock");
	assert_string_equal(json_string_value(json_object_get(json_array_get(refused, 0), "why")),
			    o.rep.why[SANDBOX_LANDLOCK]);
	r.id = 1;
	struct record_list out = { 0 };
	assert_int_equal(detect_all(&r, 1, &out), 0);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].u.finding.code, "sandbox-degraded");
	assert_string_equal(out.v[0].u.finding.severity, "warning");
	record_list_free(&out);
	record_clear(&r);
}

/* A report with every layer refused lists them in order, with reasons. */
static void report_record_lists_refusals(void **state)
{
	(void)state;
	struct sandbox_report rep;
	memset(&rep, 0, sizeof rep);
	snprintf(rep.why[SANDBOX_SECCOMP], SANDBOX_WHY_LEN, "seccomp_load: Invalid argument");
	struct record r;
	sandbox_report_record(&rep, "nvcc", REC_NONE, &r);
	assert_int_equal(r.case_index, REC_NONE);
	assert_int_equal(r.u.sandbox.no_new_privs, 0);
	assert_int_equal(r.u.sandbox.seccomp, 0);
	assert_int_equal(r.u.sandbox.landlock, 0);
	json_t *refused = r.u.sandbox.refused;
	assert_int_equal(json_array_size(refused), 3);
	for (int l = 0; l < SANDBOX_NLAYERS; l++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(refused,
			(size_t)l), "layer")), sandbox_layer_name((enum sandbox_layer)l));
	assert_string_equal(json_string_value(json_object_get(json_array_get(refused, 1), "why")),
			    "seccomp_load: Invalid argument");
	assert_string_equal(json_string_value(json_object_get(json_array_get(refused, 0), "why")),
			    "unknown");
	record_clear(&r);
	assert_string_equal(sandbox_layer_name(SANDBOX_NLAYERS), "?");
	assert_int_equal(sandbox_apply(NULL, &rep), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attacks_are_refused),
		cmocka_unit_test(refused_layer_is_reported),
		cmocka_unit_test(report_record_lists_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
