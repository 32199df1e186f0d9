/*
 * sandbox.c - the confinement a process applies to itself before it runs
 * claimant code (sandbox.h, DESIGN section 10).
 *
 * Three independent layers, each all-or-nothing as the kernel installs it:
 * no_new_privs, a seccomp filter, a Landlock domain.  A layer the kernel
 * refuses is reported with what the kernel said; the others still apply.
 *
 * The seccomp layer is two stacked filters.  libseccomp builds the large
 * one (a deny list over a default of ALLOW).  The signal rules ("kill only
 * within my own group") need several comparisons of one argument in one
 * rule, which libseccomp 2.5 refuses (EINVAL), so they are a small raw BPF
 * program; the kernel runs every stacked filter and the most restrictive
 * answer wins.  Both kill any other ABI of the machine (i386 via int 0x80,
 * x32 on x86_64; AArch32 on arm64): their syscall numbers differ, so rules
 * written for the native ABI would not apply to them.
 */
#include "run/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Landlock's syscall numbers are the same on every architecture. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000u /* x32 shares AUDIT_ARCH_X86_64 */
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* Landlock constants newer than some distributions' <linux/landlock.h>
 * (Debian 12 stops at ABI 2); the values are kernel ABI and never change. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)            /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)           /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)            /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)     /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6; older kernels are given the
 * prefix they know (ll_attr_size). */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;  /* ABI 4 */
	uint64_t scoped;              /* ABI 6 */
};

static const char *const layer_names[SANDBOX_NLAYERS] = {
	[SANDBOX_NO_NEW_PRIVS] = "no_new_privs",
	[SANDBOX_SECCOMP] = "seccomp",
	[SANDBOX_LANDLOCK] = "landlock",
};

const char *sandbox_layer_name(enum sandbox_layer l)
{
	return (unsigned)l < SANDBOX_NLAYERS ? layer_names[l] : "?";
}

/* Marks layer L refused, saying which call failed and why (ERR). */
static void refuse(struct sandbox_report *r, enum sandbox_layer l, const char *call, int err)
{
	r->applied[l] = 0;
	snprintf(r->why[l], sizeof r->why[l], "%s: %s", call, strerror(err));
}

/* ---- seccomp: the deny list (libseccomp) ---- */

/* Refused outright with EPERM: debugging or reading other processes,
 * leaving the process group or session, namespaces and mounts (old and
 * new mount API), the kernel keyring, BPF, io_uring (its operations
 * bypass seccomp entirely), modules, kexec, reboot, swap, signals by
 * pidfd or by bare thread id (tkill cannot be checked against the thread
 * group: tgkill is used instead). */
static const char *const denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp",
	"setsid", "setpgid",
	"mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
	"fspick", "move_mount", "open_tree", "mount_setattr",
	"unshare", "setns",
	"keyctl", "add_key", "request_key",
	"bpf",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"reboot", "swapon", "swapoff",
	"pidfd_send_signal", "pidfd_getfd", "tkill",
};

/* Done nothing, and reported done: a file's mode and owner.  Landlock
 * does not cover them, so a worker of the same user could otherwise make
 * the trace's directory or the signing key unreadable to the supervisor,
 * or its own scratch unremovable; the linker's chmod of the library it
 * wrote (a load_inline build) must still succeed, and dlopen needs no
 * exec bit. */
static const char *const ignored[] = {
	"chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat",
};
/* fchmodat2 (Linux 6.6) by number: libseccomp 2.5 does not know its name;
 * every architecture numbers the syscalls added since 5.1 alike. */
#define FCHMODAT2_NR 452

/* Refused with EPERM when argument ARG, compared as the kernel reads it
 * (VALUE & MASK), equals VALUE.  One row each, so rows of one syscall
 * are alternatives.  int arguments are masked to their low 32 bits: the
 * kernel ignores the upper half of the register, so a hostile caller must
 * not get past the filter by setting it. */
static const struct arg_rule {
	const char *name;
	unsigned arg;
	uint64_t mask, value;
} arg_denied[] = {
	/* Network sockets; AF_UNIX and AF_NETLINK stay (the CUDA driver). */
	{ "socket", 0, 0xffffffffu, AF_INET },
	{ "socket", 0, 0xffffffffu, AF_INET6 },
	{ "socket", 0, 0xffffffffu, AF_PACKET },
	/* New namespaces by clone (clone3 is ENOSYS below, unshare EPERM). */
	{ "clone", 0, CLONE_NEWUSER, CLONE_NEWUSER },
	{ "clone", 0, CLONE_NEWNS, CLONE_NEWNS },
	{ "clone", 0, CLONE_NEWPID, CLONE_NEWPID },
	{ "clone", 0, CLONE_NEWNET, CLONE_NEWNET },
	{ "clone", 0, CLONE_NEWIPC, CLONE_NEWIPC },
	{ "clone", 0, CLONE_NEWUTS, CLONE_NEWUTS },
	{ "clone", 0, CLONE_NEWCGROUP, CLONE_NEWCGROUP },
	/* SIGIO/SIGURG to a process of one's choosing is a signal outside the
	 * group the kill rules cannot see (Landlock ABI 6 scoping also
	 * catches it; older kernels do not). */
	{ "fcntl", 1, 0xffffffffu, F_SETOWN },
	{ "fcntl", 1, 0xffffffffu, F_SETOWN_EX },
	{ "ioctl", 1, 0xffffffffu, FIOSETOWN },
	{ "ioctl", 1, 0xffffffffu, SIOCSPGRP },
	/* Typing into the supervisor's terminal. */
	{ "ioctl", 1, 0xffffffffu, TIOCSTI },
};

/* Adds one rule; a name this libseccomp does not know is an error (a hole
 * otherwise), one it knows but this architecture lacks is a no-op. */
static int deny_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
		     unsigned nargs, const struct scmp_arg_cmp *cmp, const char **failed)
{
	int nr = seccomp_syscall_resolve_name(name);
	*failed = name;
	if (nr == __NR_SCMP_ERROR)
		return -ENOENT;
	return seccomp_rule_add_array(ctx, action, nr, nargs, cmp);
}

/* Builds and loads the deny-list filter; 0, or -errno with *FAILED naming
 * the call or syscall that failed. */
static int load_deny_list(const char **failed)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		*failed = "seccomp_init";
		return -ENOMEM;
	}
	/* A syscall of another ABI is killed, not allowed: the rules name
	 * native numbers only (libseccomp also catches x32 on x86_64). */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
	/* The kernel's own errno from seccomp_load, not ECANCELED: it is
	 * what the report tells a reader. */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
#endif
	if (rc < 0)
		*failed = "seccomp_attr_set";
	for (size_t i = 0; rc == 0 && i < sizeof denied / sizeof denied[0]; i++)
		rc = deny_rule(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0, NULL, failed);
	for (size_t i = 0; rc == 0 && i < sizeof arg_denied / sizeof arg_denied[0]; i++) {
		const struct arg_rule *a = &arg_denied[i];
		struct scmp_arg_cmp cmp = { a->arg, SCMP_CMP_MASKED_EQ, a->mask, a->value };
		rc = deny_rule(ctx, SCMP_ACT_ERRNO(EPERM), a->name, 1, &cmp, failed);
	}
	for (size_t i = 0; rc == 0 && i < sizeof ignored / sizeof ignored[0]; i++)
		rc = deny_rule(ctx, SCMP_ACT_ERRNO(0), ignored[i], 0, NULL, failed);
#if defined(__x86_64__) || defined(__aarch64__)
	if (rc == 0) {
		*failed = "fchmodat2";
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(0), FCHMODAT2_NR, 0, NULL);
	}
#endif
	/* ENOSYS, not EPERM: glibc's pthread_create and posix_spawn then fall
	 * back to clone, whose flags (unlike clone3's, behind a pointer) the
	 * filter can read. */
	if (rc == 0)
		rc = deny_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, failed);
	if (rc == 0) {
		*failed = "seccomp_load";
		rc = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	return rc;
}

/* ---- seccomp: the signal rules (raw BPF) ---- */

#define LOW_WORD(n) (offsetof(struct seccomp_data, args) + 8 * (n) + \
		     (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? 4 : 0))

/* kill and rt_sigqueueinfo may name the process itself, its group (0), or
 * its group by number (-pid: the process leads its group); tgkill and
 * rt_tgsigqueueinfo only threads of the process.  Compared as pid_t (low
 * 32 bits), as the kernel reads them.  The numbers are the caller's and
 * a filter cannot ask for the current pid, so descendants inherit
 * "signal the group leader and its group": they stay inside the group,
 * which is the boundary, but one that is not the leader (nvcc's cicc and
 * ptxas, a subprocess of claimant Python) gets EPERM for raise(),
 * pthread_kill() and kill() of its own children. */
static int load_signal_filter(const char **failed)
{
#ifdef NATIVE_AUDIT_ARCH
	uint32_t self = (uint32_t)getpid();
	uint32_t group = (uint32_t)-(int32_t)self;
	struct sock_filter prog[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_AUDIT_ARCH, 1, 0),
		/* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef X32_SYSCALL_BIT
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
#else
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
#endif
		/* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 4, 0),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigqueueinfo, 3, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 8, 0),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_tgsigqueueinfo, 7, 0),
		/* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 11 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LOW_WORD(0)),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 3, 0),
		/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
		/* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, group, 1, 0),
		/* 15 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		/* 16 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 17 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LOW_WORD(0)),
		/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, self, 1, 0),
		/* 19 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		/* 20 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = { (unsigned short)(sizeof prog / sizeof prog[0]), prog };
	*failed = "seccomp(SET_MODE_FILTER)";
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
		return -errno;
	return 0;
#else
	*failed = "signal filter (no rules for this architecture)";
	return -ENOSYS;
#endif
}

static void apply_seccomp(struct sandbox_report *r)
{
	const char *failed = "";
	/* Signals first: if the deny list then fails, the layer is reported
	 * refused although part of it is in force - never the reverse. */
	int rc = load_signal_filter(&failed);
	if (rc == 0)
		rc = load_deny_list(&failed);
	if (rc < 0)
		refuse(r, SANDBOX_SECCOMP, failed, -rc);
	else
		r->applied[SANDBOX_SECCOMP] = 1;
}

/* ---- Landlock ---- */

#define FS_ABI1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
		 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
		 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
		 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
		 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
		 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* The rights a rule on a file (not a directory) may carry: the kernel
 * refuses the others there with EINVAL. */
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
			LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
			LANDLOCK_ACCESS_FS_IOCTL_DEV)

#define FS_READ_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
			LANDLOCK_ACCESS_FS_EXECUTE)

/* Every filesystem right, by the ABI that introduced it: handling all the
 * running kernel knows means nothing it can check is left open. */
static const struct {
	int abi;
	uint64_t rights;
} fs_rights_by_abi[] = {
	{ 1, FS_ABI1 },
	{ 2, LANDLOCK_ACCESS_FS_REFER },
	{ 3, LANDLOCK_ACCESS_FS_TRUNCATE },
	{ 5, LANDLOCK_ACCESS_FS_IOCTL_DEV },
};

static uint64_t fs_handled(int abi)
{
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof fs_rights_by_abi / sizeof fs_rights_by_abi[0]; i++)
		if (abi >= fs_rights_by_abi[i].abi)
			h |= fs_rights_by_abi[i].rights;
	return h;
}

/* The prefix of struct ll_ruleset_attr that ABI knows. */
static size_t ll_attr_size(int abi)
{
	if (abi >= 6)
		return sizeof(struct ll_ruleset_attr);
	if (abi >= 4)
		return offsetof(struct ll_ruleset_attr, scoped);
	return offsetof(struct ll_ruleset_attr, handled_access_net);
}

/* Allows RIGHTS (of HANDLED) beneath PATH.  A path that cannot be opened
 * or ruled on is skipped: that only narrows what the process may touch. */
static int add_path(int ruleset, const char *path, uint64_t rights, uint64_t handled,
		    struct sandbox_report *r)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		r->skipped_paths++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		rights &= FS_FILE_RIGHTS;
	struct landlock_path_beneath_attr pb = {
		.allowed_access = rights & handled,
		.parent_fd = fd,
	};
	long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	int err = errno;
	close(fd);
	if (rc < 0 && (err == EINVAL || err == EBADFD)) {
		/* A pseudo filesystem (nsfs, pipefs) takes no rules. */
		r->skipped_paths++;
		return 0;
	}
	return rc < 0 ? -err : 0;
}

static void prepare_proc_layer(int abi);

static void apply_landlock(const struct sandbox_policy *p, struct sandbox_report *r)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		/* ENOSYS: not built in or not emulated (gVisor); EOPNOTSUPP:
		 * disabled at boot. */
		refuse(r, SANDBOX_LANDLOCK, "landlock_create_ruleset(VERSION)", errno);
		return;
	}
	r->landlock_abi = (int)abi;
	struct ll_ruleset_attr attr = { .handled_access_fs = fs_handled((int)abi) };
	if (abi >= 4) /* handled with no rule: every TCP bind and connect refused */
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP |
					  LANDLOCK_ACCESS_NET_CONNECT_TCP;
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_SIGNAL | LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, ll_attr_size((int)abi), 0);
	if (fd < 0) {
		refuse(r, SANDBOX_LANDLOCK, "landlock_create_ruleset", errno);
		return;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->nread; i++)
		rc = add_path(fd, p->read[i], FS_READ_RIGHTS, attr.handled_access_fs, r);
	for (size_t i = 0; rc == 0 && i < p->nwrite; i++)
		rc = add_path(fd, p->write[i], attr.handled_access_fs,
			      attr.handled_access_fs, r);
	if (rc == 0)
		prepare_proc_layer((int)abi);
	if (rc < 0) {
		refuse(r, SANDBOX_LANDLOCK, "landlock_add_rule", -rc);
	} else if (syscall(SYS_landlock_restrict_self, fd, 0) < 0) {
		refuse(r, SANDBOX_LANDLOCK, "landlock_restrict_self", errno);
	} else {
		r->applied[SANDBOX_LANDLOCK] = 1;
		r->net_restricted = abi >= 4;
		r->signals_scoped = abi >= 6;
	}
	close(fd);
}

/* ---- /proc, after exec ---- */

/*
 * A Landlock rule names an inode, and the /proc/PID directory a child
 * opens before exec is not the one its exec'd image sees (ASan, glibc and
 * the CUDA driver read /proc/self/maps, environ, task/...).  So the
 * pre-exec policy grants /proc whole, and a second layer keeps it to the
 * process's own directory: prepared here before exec (every right beneath
 * each entry of / but proc, which only here can be listed) and left open
 * on SANDBOX_PROC_FD; the exec'd process, still running only kaudit's
 * code, adds its own /proc/self and stacks the layer on itself
 * (sandbox_narrow_proc).  An access must pass both layers.
 */
static void prepare_proc_layer(int abi)
{
	struct ll_ruleset_attr attr = { .handled_access_fs = fs_handled(abi) };
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr,
			      offsetof(struct ll_ruleset_attr, handled_access_net), 0);
	if (fd < 0)
		return;
	struct sandbox_report scratch;
	memset(&scratch, 0, sizeof scratch);
	int rc = 0;
	DIR *root = opendir("/");
	struct dirent *de;
	while (rc == 0 && root && (de = readdir(root))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "proc") == 0)
			continue;
		char path[300];
		snprintf(path, sizeof path, "/%s", de->d_name);
		rc = add_path(fd, path, attr.handled_access_fs, attr.handled_access_fs, &scratch);
	}
	if (root)
		closedir(root);
	/* What /proc says of the machine, not of other processes: the CUDA
	 * driver reads /proc/driver/nvidia, runtimes read cpuinfo and meminfo. */
	static const char *const machine[] = {
		"/proc/driver", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/sys",
		"/proc/version", "/proc/filesystems",
	};
	for (size_t i = 0; rc == 0 && i < sizeof machine / sizeof machine[0]; i++)
		rc = add_path(fd, machine[i], attr.handled_access_fs, attr.handled_access_fs,
			      &scratch);
	if (rc == 0 && dup2(fd, SANDBOX_PROC_FD) == SANDBOX_PROC_FD)
		(void)fcntl(SANDBOX_PROC_FD, F_SETFD, 0); /* survives the exec */
	close(fd);
}

int sandbox_narrow_proc(void)
{
	struct stat st;
	if (fstat(SANDBOX_PROC_FD, &st) < 0)
		return 0; /* no layer was prepared: no Landlock before exec */
	struct sandbox_report scratch;
	memset(&scratch, 0, sizeof scratch);
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	int rc = abi < 0 ? -errno : add_path(SANDBOX_PROC_FD, "/proc/self", fs_handled((int)abi),
					     fs_handled((int)abi), &scratch);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, SANDBOX_PROC_FD, 0) < 0)
		rc = -errno;
	close(SANDBOX_PROC_FD);
	if (rc < 0)
		errno = -rc;
	return rc < 0 ? -1 : 0;
}

/* ---- the whole ---- */

int sandbox_apply(const struct sandbox_policy *policy, struct sandbox_report *r)
{
	if (!r)
		return -1;
	memset(r, 0, sizeof *r);
	if (!policy || (policy->nread && !policy->read) || (policy->nwrite && !policy->write))
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		refuse(r, SANDBOX_NO_NEW_PRIVS, "prctl(PR_SET_NO_NEW_PRIVS)", errno);
	else
		r->applied[SANDBOX_NO_NEW_PRIVS] = 1;
	apply_seccomp(r);
	apply_landlock(policy, r);
	for (int l = 0; l < SANDBOX_NLAYERS; l++)
		if (!r->applied[l])
			return 1;
	return 0;
}

void sandbox_report_record(const struct sandbox_report *r, const char *process,
			   int64_t case_index, struct record *out)
{
	record_init(out, REC_SANDBOX);
	out->case_index = case_index;
	out->phase = PHASE_SETUP;
	struct rec_sandbox *s = &out->u.sandbox;
	s->process = xstrdup(process ? process : "?");
	s->no_new_privs = r->applied[SANDBOX_NO_NEW_PRIVS] == 1;
	s->seccomp = r->applied[SANDBOX_SECCOMP] == 1;
	s->landlock = r->applied[SANDBOX_LANDLOCK] == 1;
	s->landlock_abi = r->landlock_abi;
	s->signals_scoped = r->signals_scoped != 0;
	s->net_restricted = r->net_restricted != 0;
	s->skipped_paths = r->skipped_paths;
	for (int l = 0; l < SANDBOX_NLAYERS; l++) {
		if (r->applied[l] == 1)
			continue;
		if (!s->refused)
			s->refused = json_array();
		json_array_append_new(s->refused,
				      json_pack("{s:s, s:s}", "layer", layer_names[l],
						"why", r->why[l][0] ? r->why[l] : "unknown"));
	}
}
