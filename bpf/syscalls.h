/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * syscalls.h: which system calls the capture records, and how: one line per call in
 * sys_specs, indexed by its x86-64 number.
 *
 * sl_sys_enter (sightline.bpf.c) looks every system call of every task up here; a call with
 * no line costs a task nothing more than that load, so adding lines costs the processes
 * outside the capture nothing. A file operation whose record fits struct sl_file is one
 * FILE_CALL line: which argument holds the directory fd, the path, the flags, the mode and the
 * second directory fd and path (rename, link, symlink), and a1/a2 for what else it records
 * (chown's owner and group, truncate's length). Anything else is a handler (enum sys_handler,
 * a case in sl_sys_enter and, when it records at the exit, in sl_sys_exit) and a line here.
 *
 * Independently of its handler, a call that moves bytes through a file descriptor names where
 * they are (`ipc`, `ipc_read`): ipc.bpf.h looks at its exit whether the descriptor is a pipe
 * or unix socket carrying JSON-RPC, and records the bytes if so.
 */
#ifndef SL_SYSCALLS_H
#define SL_SYSCALLS_H

#include <asm/unistd_64.h>

/* How a call is recorded. */
enum sys_handler {
	SH_NONE = 0,
	/* stash the arguments the spec names at entry; record at exit, with the result */
	SH_FILE = 1,    /* SL_K_FILE */
	SH_OPENAT2 = 2, /* SL_K_FILE; flags and mode from struct open_how (argument 2) */
	SH_CONNECT = 3, /* SL_K_NET (fd, address, address length); UDP/TCP to port 53 noted */
	SH_MMAP = 4,    /* the gate, for an executable mapping of a file (fd, prot, flags) */
	SH_BIND = 5,    /* SL_K_NET (fd, address, address length) and the port the socket got */
	SH_LISTEN = 6,  /* SL_K_NET (fd): the socket's local address */
	SH_ACCEPT = 7,  /* SL_K_NET (fd): the new socket's peer and local address */
	SH_PRIV = 8,    /* SL_K_PRIV (dfd: the argument naming another process; a1, a2, flags);
			 * unshare, clone and clone3 only with a CLONE_NEW* flag (a clone3 whose
			 * flags could not be read at its entry: always) */
	/* socket watching, only while sock_watch says so */
	SH_SOCK_READ = 9,    /* context tracking: a read's fd, if it was a socket and read something */
	SH_SOCK_WRITE = 10,  /* context tracking: the socket a sealed record goes to; DNS over TCP */
	SH_SOCK_WRITEV = 11, /* likewise, from an iovec */
	SH_CLOSE = 12,       /* SL_K_FDCLOSE for a socket; forgets a DNS socket */
	/* at entry */
	SH_SENDTO = 13,   /* SL_K_DNS for a message to port 53 (and SH_SOCK_WRITE) */
	SH_SENDMSG = 14,  /* likewise, from a msghdr */
	SH_SENDMMSG = 15, /* likewise, for the first two messages */
};
#define SH_EXIT_LAST SH_SOCK_READ /* handlers up to this one have work at the exit */
#define SH_WATCH_FIRST SH_SOCK_READ
#define SH_WATCH_LAST SH_CLOSE

/* Where the bytes of a read- or write-family call are (sys_spec.ipc). */
enum ipc_arg {
	IPC_NONE = 0,
	IPC_BUF = 1, /* (fd, buf, count, ...): read, write, recvfrom, sendto */
	IPC_IOV = 2, /* (fd, iov, iovcnt): readv, writev */
	IPC_MSG = 3, /* (fd, msghdr, flags): recvmsg, sendmsg */
};
/* sys_spec.ipc_read of a read that takes flags (recvfrom: argument 3; recvmsg: 2), whose
 * MSG_PEEK leaves the bytes to be read again: such a call is not recorded (curl peeks a byte
 * of a kept-alive connection before it reuses it; recorded, that byte came twice). */
#define IPC_RECV 2

/* A sys_spec field's value: argument i of the call, AT_FDCWD, or nothing (0). */
#define ARG(i) ((i) + 1)
#define AT_CWD (-1)
#define NONE 0

/* sys_spec.opts */
#define PATH_FROM_RET 0x01 /* the file is the one the call returned (open_by_handle_at) */

struct sys_spec {
	__u8 handler; /* enum sys_handler; SH_NONE: not recorded */
	__u8 op;      /* enum sl_file_op (SH_PRIV: enum sl_priv_op) */
	__u8 alt_op;  /* the op instead, when flags has any of alt_mask (unlinkat: rmdir) */
	__s8 dfd, path, flags, mode, dfd2, path2; /* ARG(i), AT_CWD or NONE */
	__s8 a1, a2;  /* ARG(i) or NONE: chown's owner and group, truncate's length */
	__u8 opts;    /* PATH_FROM_RET */
	__u8 ipc;      /* enum ipc_arg: the call moves bytes through its fd (argument 0) */
	__u8 ipc_read; /* 1: into the process (a read), IPC_RECV: one with flags, 0: out of it */
	__u8 _pad[2];
	__u32 flags_or; /* ORed into flags (creat: the O_CREAT|O_WRONLY|O_TRUNC it implies) */
	__u32 alt_mask;
};

#define SYS_NR_MAX 512

#define FILE_CALL(op_, dfd_, path_, flags_, mode_, dfd2_, path2_, ...)                          \
	{                                                                                        \
		.handler = SH_FILE, .op = op_, .dfd = dfd_, .path = path_, .flags = flags_,      \
		.mode = mode_, .dfd2 = dfd2_, .path2 = path2_, __VA_ARGS__                       \
	}

/* dfd: the argument naming the other process, or NONE; the first three arguments as a1..a3 */
#define PRIV_CALL(op_, target_)                                                                  \
	{                                                                                        \
		.handler = SH_PRIV, .op = op_, .dfd = target_, .a1 = ARG(0), .a2 = ARG(1),       \
		.flags = ARG(2)                                                                  \
	}

#define O_CREAT_WRONLY_TRUNC 01101
#define AT_REMOVEDIR_FLAG 0x200
#define AT_SYMLINK_NOFOLLOW_FLAG 0x100

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452 /* Linux 6.6; older headers lack it */
#endif

static const struct sys_spec sys_specs[SYS_NR_MAX] = {
	/*                               op              dfd     path    flags   mode    dfd2    path2 */
	[__NR_open]      = FILE_CALL(SL_OP_OPEN,     AT_CWD, ARG(0), ARG(1), ARG(2), NONE,   NONE),
	[__NR_openat]    = FILE_CALL(SL_OP_OPEN,     ARG(0), ARG(1), ARG(2), ARG(3), NONE,   NONE),
	[__NR_creat]     = FILE_CALL(SL_OP_OPEN,     AT_CWD, ARG(0), NONE,   ARG(1), NONE,   NONE,
				     .flags_or = O_CREAT_WRONLY_TRUNC),
	[__NR_openat2]   = {.handler = SH_OPENAT2, .op = SL_OP_OPEN, .dfd = ARG(0), .path = ARG(1)},
	[__NR_open_by_handle_at] = FILE_CALL(SL_OP_OPEN, NONE, NONE, ARG(2), NONE,   NONE,   NONE,
				     .opts = PATH_FROM_RET),
	[__NR_unlink]    = FILE_CALL(SL_OP_UNLINK,   AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE),
	[__NR_unlinkat]  = FILE_CALL(SL_OP_UNLINK,   ARG(0), ARG(1), ARG(2), NONE,   NONE,   NONE,
				     .alt_op = SL_OP_RMDIR, .alt_mask = AT_REMOVEDIR_FLAG),
	[__NR_rmdir]     = FILE_CALL(SL_OP_RMDIR,    AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE),
	[__NR_rename]    = FILE_CALL(SL_OP_RENAME,   AT_CWD, ARG(0), NONE,   NONE,   AT_CWD, ARG(1)),
	[__NR_renameat]  = FILE_CALL(SL_OP_RENAME,   ARG(0), ARG(1), NONE,   NONE,   ARG(2), ARG(3)),
	[__NR_renameat2] = FILE_CALL(SL_OP_RENAME,   ARG(0), ARG(1), ARG(4), NONE,   ARG(2), ARG(3)),
	[__NR_mkdir]     = FILE_CALL(SL_OP_MKDIR,    AT_CWD, ARG(0), NONE,   ARG(1), NONE,   NONE),
	[__NR_mkdirat]   = FILE_CALL(SL_OP_MKDIR,    ARG(0), ARG(1), NONE,   ARG(2), NONE,   NONE),
	[__NR_chdir]     = FILE_CALL(SL_OP_CHDIR,    AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE),
	[__NR_fchdir]    = FILE_CALL(SL_OP_CHDIR,    ARG(0), NONE,   NONE,   NONE,   NONE,   NONE),
	[__NR_chroot]    = FILE_CALL(SL_OP_CHROOT,   AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE),
	[__NR_link]      = FILE_CALL(SL_OP_LINK,     AT_CWD, ARG(0), NONE,   NONE,   AT_CWD, ARG(1)),
	[__NR_linkat]    = FILE_CALL(SL_OP_LINK,     ARG(0), ARG(1), ARG(4), NONE,   ARG(2), ARG(3)),
	[__NR_symlink]   = FILE_CALL(SL_OP_SYMLINK,  NONE,   ARG(0), NONE,   NONE,   AT_CWD, ARG(1)),
	[__NR_symlinkat] = FILE_CALL(SL_OP_SYMLINK,  NONE,   ARG(0), NONE,   NONE,   ARG(1), ARG(2)),
	[__NR_chmod]     = FILE_CALL(SL_OP_CHMOD,    AT_CWD, ARG(0), NONE,   ARG(1), NONE,   NONE),
	[__NR_fchmod]    = FILE_CALL(SL_OP_CHMOD,    ARG(0), NONE,   NONE,   ARG(1), NONE,   NONE),
	[__NR_fchmodat]  = FILE_CALL(SL_OP_CHMOD,    ARG(0), ARG(1), NONE,   ARG(2), NONE,   NONE),
	[__NR_fchmodat2] = FILE_CALL(SL_OP_CHMOD,    ARG(0), ARG(1), ARG(3), ARG(2), NONE,   NONE),
	[__NR_chown]     = FILE_CALL(SL_OP_CHOWN,    AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE,
				     .a1 = ARG(1), .a2 = ARG(2)),
	[__NR_lchown]    = FILE_CALL(SL_OP_CHOWN,    AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE,
				     .a1 = ARG(1), .a2 = ARG(2), .flags_or = AT_SYMLINK_NOFOLLOW_FLAG),
	[__NR_fchown]    = FILE_CALL(SL_OP_CHOWN,    ARG(0), NONE,   NONE,   NONE,   NONE,   NONE,
				     .a1 = ARG(1), .a2 = ARG(2)),
	[__NR_fchownat]  = FILE_CALL(SL_OP_CHOWN,    ARG(0), ARG(1), ARG(4), NONE,   NONE,   NONE,
				     .a1 = ARG(2), .a2 = ARG(3)),
	[__NR_truncate]  = FILE_CALL(SL_OP_TRUNCATE, AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE,
				     .a1 = ARG(1)),
	[__NR_ftruncate] = FILE_CALL(SL_OP_TRUNCATE, ARG(0), NONE,   NONE,   NONE,   NONE,   NONE,
				     .a1 = ARG(1)),
	[__NR_utime]     = FILE_CALL(SL_OP_UTIMES,   AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE),
	[__NR_utimes]    = FILE_CALL(SL_OP_UTIMES,   AT_CWD, ARG(0), NONE,   NONE,   NONE,   NONE),
	[__NR_futimesat] = FILE_CALL(SL_OP_UTIMES,   ARG(0), ARG(1), NONE,   NONE,   NONE,   NONE),
	[__NR_utimensat] = FILE_CALL(SL_OP_UTIMES,   ARG(0), ARG(1), ARG(3), NONE,   NONE,   NONE),
	[__NR_memfd_create] = FILE_CALL(SL_OP_MEMFD, NONE,   ARG(0), ARG(1), NONE,   NONE,   NONE),

	[__NR_connect]   = {.handler = SH_CONNECT, .dfd = ARG(0), .path = ARG(1), .flags = ARG(2)},
	[__NR_bind]      = {.handler = SH_BIND, .dfd = ARG(0), .path = ARG(1), .flags = ARG(2)},
	[__NR_listen]    = {.handler = SH_LISTEN, .dfd = ARG(0), .flags = ARG(1)},
	[__NR_accept]    = {.handler = SH_ACCEPT, .dfd = ARG(0)},
	[__NR_accept4]   = {.handler = SH_ACCEPT, .dfd = ARG(0), .flags = ARG(3)},
	[__NR_sendto]    = {.handler = SH_SENDTO, .ipc = IPC_BUF},
	[__NR_sendmsg]   = {.handler = SH_SENDMSG, .ipc = IPC_MSG},
	[__NR_sendmmsg]  = {.handler = SH_SENDMMSG},

	[__NR_ptrace]    = PRIV_CALL(SL_PRIV_PTRACE, ARG(1)),
	[__NR_process_vm_writev] = PRIV_CALL(SL_PRIV_VM_WRITEV, ARG(0)),
	[__NR_process_vm_readv]  = PRIV_CALL(SL_PRIV_VM_READV, ARG(0)),
	[__NR_setuid]    = PRIV_CALL(SL_PRIV_SETUID, NONE),
	[__NR_setgid]    = PRIV_CALL(SL_PRIV_SETGID, NONE),
	[__NR_setreuid]  = PRIV_CALL(SL_PRIV_SETREUID, NONE),
	[__NR_setregid]  = PRIV_CALL(SL_PRIV_SETREGID, NONE),
	[__NR_setresuid] = PRIV_CALL(SL_PRIV_SETRESUID, NONE),
	[__NR_setresgid] = PRIV_CALL(SL_PRIV_SETRESGID, NONE),
	[__NR_setfsuid]  = PRIV_CALL(SL_PRIV_SETFSUID, NONE),
	[__NR_setfsgid]  = PRIV_CALL(SL_PRIV_SETFSGID, NONE),
	[__NR_setgroups] = PRIV_CALL(SL_PRIV_SETGROUPS, NONE),
	[__NR_capset]    = PRIV_CALL(SL_PRIV_CAPSET, NONE),
	[__NR_prctl]     = PRIV_CALL(SL_PRIV_PRCTL, NONE),
	[__NR_seccomp]   = PRIV_CALL(SL_PRIV_SECCOMP, NONE),
	[__NR_kill]      = PRIV_CALL(SL_PRIV_KILL, NONE),
	[__NR_tkill]     = PRIV_CALL(SL_PRIV_TKILL, NONE),
	[__NR_tgkill]    = PRIV_CALL(SL_PRIV_TGKILL, NONE),
	[__NR_pidfd_send_signal] = PRIV_CALL(SL_PRIV_PIDFD_SIGNAL, NONE),
	[__NR_rt_sigqueueinfo]   = PRIV_CALL(SL_PRIV_SIGQUEUE, NONE),
	[__NR_unshare]   = PRIV_CALL(SL_PRIV_UNSHARE, NONE),
	[__NR_setns]     = PRIV_CALL(SL_PRIV_SETNS, NONE),
	[__NR_clone]     = PRIV_CALL(SL_PRIV_CLONE, NONE),
	[__NR_clone3]    = PRIV_CALL(SL_PRIV_CLONE3, NONE),

	[__NR_mmap]      = {.handler = SH_MMAP, .dfd = ARG(4), .flags = ARG(2), .mode = ARG(3)},

	[__NR_read]      = {.handler = SH_SOCK_READ, .ipc = IPC_BUF, .ipc_read = 1},
	[__NR_readv]     = {.handler = SH_SOCK_READ, .ipc = IPC_IOV, .ipc_read = 1},
	[__NR_recvfrom]  = {.handler = SH_SOCK_READ, .ipc = IPC_BUF, .ipc_read = IPC_RECV},
	[__NR_recvmsg]   = {.handler = SH_SOCK_READ, .ipc = IPC_MSG, .ipc_read = IPC_RECV},
	[__NR_write]     = {.handler = SH_SOCK_WRITE, .ipc = IPC_BUF},
	[__NR_writev]    = {.handler = SH_SOCK_WRITEV, .ipc = IPC_IOV},
	[__NR_close]     = {.handler = SH_CLOSE},
};

#endif /* SL_SYSCALLS_H */
