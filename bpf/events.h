/* SPDX-License-Identifier: MIT */
/*
 * events.h: the layout of every record Sightline's loader streams to the capture process.
 *
 * The stream is a sequence of frames: a little-endian u32 length of the record that follows,
 * then the record. Every record starts with struct sl_hdr, whose first byte is its kind.
 * Variable-length strings follow the fixed part in the record's `data`, in the order the
 * fixed part lists their lengths. Lengths count bytes without a terminating NUL unless noted.
 *
 * capture/events.ts mirrors this file field by field; change both together (a test checks
 * the sizes and offsets it expects against `sightline-loader --layout`).
 * No packed structs: natural alignment with explicit padding.
 */
#ifndef SL_EVENTS_H
#define SL_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Record kinds. Kinds below SL_KIND_KERNEL_MAX come from eBPF programs and index the drop
 * counters; the loader writes the others itself. */
enum sl_kind {
	SL_K_FORK = 1,
	SL_K_EXEC = 2,
	SL_K_EXIT = 3,
	SL_K_FILE = 4,
	SL_K_NET = 5,
	SL_K_DNS = 6,
	SL_K_TLS = 7,
	SL_K_TLS_FREE = 8,
	SL_K_GATE = 9,
	SL_K_CTXFD = 10,   /* a per-direction TLS context was used with this socket */
	SL_K_FDCLOSE = 11, /* a socket was closed (while context tracking is on) */
	SL_K_PRIV = 12,       /* ptrace, process_vm_readv/writev, set*id, setgroups, capset */
	SL_K_URING_DONE = 13, /* the result of an io_uring request recorded at its submission */
	SL_K_IPC = 14,        /* bytes a read/write moved on a pipe or unix socket carrying JSON-RPC
			       * (or a loopback TCP socket carrying HTTP/1) */
	SL_K_ARGV = 15,       /* the rest of an exec's argv block, beyond what SL_K_EXEC carries */
	SL_KIND_KERNEL_MAX = 16,

	SL_K_READY = 64,  /* loader is attached; carries clock offset and the child pid */
	SL_K_STATS = 65,  /* drop and miss counters, once a second and at the end */
	SL_K_REPLY = 66,  /* answer to a command */
	SL_K_CHILD = 67,  /* the launched command (or --pid target) ended */
	SL_K_LOG = 68,    /* a warning from the loader, as text */
	SL_K_LAYOUT = 69, /* sizes and offsets of the structs below, for the decoder's self-check */
};

/* Header flags (sl_hdr.flags), meaning depends on kind. */
#define SL_F_TRUNC 0x01     /* exec/argv: argv cut at SL_ARGV_KEEP; tls: payload cut at max bytes */
#define SL_F_LATE 0x01      /* priv (clone3): its flags were read at the call's exit, not at its
			     * entry (their page was not present): the kernel used its own copy,
			     * taken at the entry, which memory changed since may differ from; such a
			     * call is recorded even when the flags read name no CLONE_NEW* flag */
#define SL_F_CWD_TRUNC 0x02 /* exec/file: a base path was deeper than SL_PATH_DEPTH or too long */
#define SL_F_LAST 0x04      /* tls, argv: last chunk of the call (of the argv block) */
#define SL_F_BASE2_UNKNOWN 0x04 /* file: path2's base could not be resolved (its dirfd, or the
				 * N of "/proc/self/fd/N", was not open); SL_F_BASE_UNKNOWN is path's */
#define SL_F_FAULT 0x08     /* tls, argv: the payload could not be read from user memory; priv
			     * (clone3): its clone_args could not be read, a1 is 0 */
#define SL_F_STOPPED 0x10   /* gate: the process was stopped (SIGSTOP) until user space resumes it */
#define SL_F_BASE_UNKNOWN 0x20 /* file: path's base could not be resolved (not open) */
#define SL_F_STALE 0x20     /* gate: the file was known, but its size, mtime or ctime are no longer
			     * those user space gave with it (written in place, an inode reused) */
#define SL_F_URING 0x40     /* file/net/dns: done through io_uring, not a system call */
#define SL_F_PENDING 0x80   /* file/net (io_uring): `ret` follows in an SL_K_URING_DONE with the
			     * same uring_id; without one, the request asked for no completion on
			     * success (IOSQE_CQE_SKIP_SUCCESS) or had none by the end */

#define SL_COMM_LEN 16
#define SL_PATH_MAX 4096    /* a user path string, including NUL */
#define SL_NAME_MAX 256     /* one path component, including NUL */
#define SL_PATH_DEPTH 40    /* components walked when resolving a cwd or dirfd */
#define SL_BASE_MAX 4096    /* bytes of walked components */
#define SL_ARGV_MAX 16384   /* bytes of the NUL-separated argv block an SL_K_EXEC carries */
#define SL_ARGV_CHUNK 16384 /* bytes of the argv block per SL_K_ARGV record, at most */
#define SL_ARGV_KEEP (1 << 20) /* bytes of an argv block recorded in all (exec + SL_K_ARGV) */
#define SL_DNS_MAX 512      /* bytes of a DNS query kept */
#define SL_DNS_ANSWER_MAX 2048 /* bytes of a DNS answer kept (the records wholly within are read) */
#define SL_DNS_QUESTION 0   /* sl_dns.dir */
#define SL_DNS_ANSWER 1
#define SL_TLS_CHUNK 16384  /* payload bytes per TLS record */
#define SL_IPC_CHUNK 16384  /* payload bytes per IPC record, at most */

struct sl_hdr {
	__u8 kind;
	__u8 flags;
	__u16 _pad;
	__u32 pid; /* thread group id (what userland calls the pid) */
	__u32 tid;
	__u32 uid;
	__u64 ts; /* CLOCK_BOOTTIME ns; SL_K_READY gives the offset to wall-clock time */
};

/* SL_K_FORK: a new process (not a thread). h.pid/tid are the child's. net_ns, mnt_ns: the
 * inode numbers of the child's network and mount namespaces (clone's CLONE_NEWNET/NEWNS are
 * already in effect; the same numbers /proc/PID/ns/net and mnt show). */
struct sl_fork {
	struct sl_hdr h;
	__u32 ppid;
	__u32 net_ns;
	__u32 mnt_ns;
	__u32 _pad;
	char comm[SL_COMM_LEN];
};

/* SL_K_EXEC: data = cwd components (leaf first, each NUL-terminated) | exe components (likewise)
 * | filename | argv block (NUL-separated args, as in /proc/PID/cmdline), its first `argv_len`
 * bytes (at most SL_ARGV_MAX - 1). A longer block (`argv_total` > `argv_len`) goes on in
 * SL_K_ARGV records that follow the exec, up to SL_ARGV_KEEP bytes in all; SL_F_TRUNC: the
 * block was longer than that. */
struct sl_exec {
	struct sl_hdr h;
	__u32 ppid;
	__u16 cwd_len;
	__u16 filename_len;
	__u32 argv_len;
	__u16 exe_len;     /* the executed file's path as the kernel found it, components leaf first */
	__u8 exe_unlinked; /* it has no name in any directory (memfd, O_TMPFILE, deleted) */
	__u8 _pad;
	__u32 argv_total;  /* bytes of the whole argv block (arg_end - arg_start) */
	__u32 net_ns;      /* the process's network namespace (inode number), as in sl_fork */
	__u64 dev; /* the executed file (after #! resolution): kernel dev_t and inode */
	__u64 ino;
	__u32 mnt_ns; /* its mount namespace (inode number): paths are as seen from it */
	__u32 _pad2;
	char comm[SL_COMM_LEN];
	char data[];
};

/* SL_K_ARGV: bytes [offset, offset + len) of an exec's argv block, after the SL_K_EXEC of the
 * same pid (the same program run emits both: nothing else of that pid comes between); chunks in
 * order, the last with SL_F_LAST; SL_F_TRUNC: the block (`total` bytes) was cut at SL_ARGV_KEEP;
 * SL_F_FAULT: this chunk could not be read (`len` bytes it stands for, none follow). A chunk the
 * ring buffer had no room for is counted in the drops of SL_K_ARGV. */
struct sl_argv {
	struct sl_hdr h;
	__u32 total;  /* bytes of the whole argv block, as in the exec's argv_total */
	__u32 offset; /* of this chunk within the block */
	__u32 len;    /* bytes of data in this record */
	__u32 _pad;
	__u8 data[];
};

/* SL_K_EXIT: the whole process ended (last thread). status as wait(2) encodes it. */
struct sl_exit {
	struct sl_hdr h;
	__u32 ppid;
	__s32 status;
	char comm[SL_COMM_LEN];
};

enum sl_file_op {
	SL_OP_OPEN = 1,
	SL_OP_UNLINK = 2,
	SL_OP_RENAME = 3,
	SL_OP_MKDIR = 4,
	SL_OP_CHDIR = 5,
	SL_OP_RMDIR = 6,
	SL_OP_LINK = 7,     /* path: the existing file, path2: the new name */
	SL_OP_SYMLINK = 8,  /* path: the link's target as given (no base), path2: the link */
	SL_OP_CHMOD = 9,    /* mode */
	SL_OP_CHOWN = 10,   /* owner, group (-1: unchanged) */
	SL_OP_TRUNCATE = 11, /* length */
	SL_OP_UTIMES = 12,  /* utime, utimes, futimesat, utimensat */
	SL_OP_MEMFD = 13,   /* memfd_create: path is the name given (no base), ret the fd */
	SL_OP_CHROOT = 14,  /* chroot: `path` as given; on success `base` is the new root, walked
			     * past it to the top of the mount namespace; on failure, as for open */
};

/* SL_K_FILE: data = base | base2 | path | path2. `path`/`path2` are as the program passed
 * them (NUL-terminated, lengths include the NUL); `base`/`base2` are the directories relative
 * paths start from (cwd or dirfd; for "/proc/self/fd/N/rest", the directory open on fd N), as
 * components leaf first, each NUL-terminated; empty when the path is absolute. For
 * chdir/fchdir, `base` is the new cwd and `path` is empty; for a call on a file descriptor
 * (fchmod, ftruncate, AT_EMPTY_PATH, open_by_handle_at's result), `base` is the file's path
 * and `path` is empty. */
struct sl_file {
	struct sl_hdr h;
	__s64 ret;
	__s64 flags;    /* open flags, unlinkat/renameat2/linkat/...at flags */
	__s64 length;   /* truncate: the new length */
	__u64 uring_id; /* io_uring: the request (see SL_F_PENDING) */
	__u32 mode;     /* open/mkdir: creation mode; chmod: the new mode */
	__u32 owner;    /* chown: the new owner and group (-1: unchanged) */
	__u32 group;
	__u8 op;
	__u8 _pad;
	__u16 path_len;
	__u16 path2_len;
	__u16 base_len;
	__u16 base2_len;
	__u16 _pad2;
	char data[];
};

enum sl_net_op {
	SL_NET_CONNECT = 1,
	SL_NET_BIND = 2,   /* addr/port: the address asked for (io_uring: the one bound); lport:
			    * the port the socket got */
	SL_NET_LISTEN = 3, /* addr/port: the socket's local address */
	SL_NET_ACCEPT = 4, /* addr/port: the peer; laddr/lport: the local end; fd: the new socket */
};

/* SL_K_NET: a connect(2) (the address as the program passed it), bind, listen or accept. */
struct sl_net {
	struct sl_hdr h;
	__s64 ret;
	__u64 uring_id; /* io_uring: the request (see SL_F_PENDING) */
	__s32 fd;
	__u16 family;
	__u16 port;  /* host byte order */
	__u16 lport; /* the local port (bind, listen, accept), host byte order */
	__u8 op;
	__u8 sotype; /* SOCK_STREAM, SOCK_DGRAM, ... (0 when unknown) */
	__u32 net_ns; /* the network namespace (inode number) of the process that made the call */
	__u8 addr[112]; /* IPv4 in the first 4 bytes, IPv6 in 16; AF_UNIX: sun_path (108) */
	__u8 laddr[16]; /* the local address (accept) */
};

/* SL_K_DNS: the start of a datagram sent to port 53 (or on a socket connected there), or the
 * whole of one sent to another UDP port that looks like a DNS question (sightline.bpf.c
 * dns_question_like; user space parses it strictly); or (dir SL_DNS_ANSWER) the start of a
 * message read from a socket a question was sent on, whose header is a response with the id of
 * one of the last two questions sent on it (addr, port: the resolver it came from). */
struct sl_dns {
	struct sl_hdr h;
	__s32 fd;
	__u16 family;
	__u16 port;
	__u16 len;   /* bytes in data (for TCP, without the two-byte length prefix) */
	__u8 sotype; /* SOCK_DGRAM, or SOCK_STREAM for DNS over TCP */
	__u8 dir;    /* SL_DNS_QUESTION (sent), SL_DNS_ANSWER (read) */
	__u32 net_ns; /* as sl_net's */
	__u8 addr[16];
	__u8 data[];
};

enum sl_tls_dir {
	SL_TLS_WRITE = 0,
	SL_TLS_READ = 1,
};

/* SL_K_TLS: one piece of the plaintext one TLS call moved. A call of `total` bytes arrives
 * as records with offsets 0, SL_TLS_CHUNK, ...; the last carries SL_F_LAST. */
struct sl_tls {
	struct sl_hdr h;
	__u64 conn;   /* the library's connection pointer (SSL*, AEAD ctx, Go *Conn) */
	__u64 seq;    /* per (pid, conn, dir): 0, 1, 2, ... one per call */
	__u32 total;  /* bytes the call moved (before any cut) */
	__u32 offset; /* of this chunk within the call's payload */
	__u32 len;    /* bytes of data in this record */
	__u16 target; /* attach cookie: which hooked file and function */
	__u8 dir;     /* enum sl_tls_dir */
	__u8 _pad;
	__u8 data[];
};

/* SL_K_TLS_FREE: a connection object was freed; its seq counters restart. */
struct sl_tls_free {
	struct sl_hdr h;
	__u64 conn;
	__u16 target;
	__u16 _pad[3];
};

enum sl_gate_reason {
	SL_GATE_EXEC = 1,
	SL_GATE_MMAP = 2,
};

/* The bit of the kernel side's `gate_state` (sightline.bpf.c) that the loader sets when nobody
 * will answer a stop any more: the gate still reports, but stops nothing. */
#define SL_GATE_CLOSED (1u << 31)

/*
 * Not records: the key and value of the kernel side's `gate_stops` map (sightline.bpf.c), one
 * entry per stop of the gate that user space has not answered yet. The kernel adds the entry
 * before it sends SIGSTOP; the loader deletes it once it has sent the SIGCONT that answers it,
 * by the key it read in the stop's SL_K_GATE record (a later stop of the same process has a key
 * of its own). The loader's watchdog (watchdog.h) resumes what is left should the loader die,
 * each process checked by its start time to be the one stopped.
 */
#define SL_GATE_STOPS_MAX 4096
struct sl_gate_stop_key {
	__u32 pid; /* the process (tgid) */
	__u32 _pad;
	__u64 ts; /* when it was stopped: its SL_K_GATE record's sl_hdr.ts */
};
struct sl_gate_stop {
	__u64 start_boottime; /* the process's start (task_struct start_boottime, ns since boot) */
	__u8 reason;          /* enum sl_gate_reason */
	__u8 _pad[7];
};

/* The value of the kernel side's map of files user space has inspected (key: device, inode):
 * the file as user space saw it before it inspected it, so that the gate lets it through only
 * while it is still that file. size < 0: not stamped (trusted by device and inode alone). Times
 * as stat(2) gives them to user space: mtime in milliseconds, ctime in whole seconds. */
struct sl_known {
	__s64 size;
	__s64 mtime_ms;
	__s64 ctime_s;
};

/* SL_K_GATE: a traced process executed or mapped executable code from a file user space has
 * not inspected yet (SL_F_STALE: or one it inspected that has changed since). With SL_F_STOPPED the process waits (SIGSTOP) until user space has
 * attached what it needs and sent SIGCONT. */
struct sl_gate {
	struct sl_hdr h;
	__u64 dev;
	__u64 ino;
	__u64 addr; /* mmap: where it was mapped */
	__s32 fd;   /* mmap: the file descriptor */
	__u8 reason;
	__u8 _pad[3];
};

/* SL_K_CTXFD: the AEAD context `ctx` (rustls over aws-lc, one per direction) belongs to the
 * connection on socket `fd`: for reads, the TCP socket this thread last read ciphertext from;
 * for writes, the TCP socket it next wrote to after sealing (the TLS record it belongs to).
 * Only TCP sockets: a signal handler's socketpair or a DNS query is no record's transport.
 * Sent at every use: a context's memory may be reused by a later connection. */
struct sl_ctxfd {
	struct sl_hdr h;
	__u64 ctx;
	__s32 fd;
	__u8 dir; /* enum sl_tls_dir */
	__u8 _pad[3];
};

/* SL_K_FDCLOSE: close(fd) of a socket by a traced process (context tracking only). */
struct sl_fdclose {
	struct sl_hdr h;
	__s32 fd;
	__u32 _pad;
};

enum sl_priv_op {
	SL_PRIV_PTRACE = 1,   /* a1 request, a2 pid, a3 addr (requests that attach or write) */
	SL_PRIV_VM_WRITEV = 2, /* process_vm_writev: a1 pid */
	SL_PRIV_VM_READV = 3, /* process_vm_readv: a1 pid */
	SL_PRIV_SETUID = 4,   /* a1 */
	SL_PRIV_SETGID = 5,
	SL_PRIV_SETREUID = 6, /* a1, a2 */
	SL_PRIV_SETREGID = 7,
	SL_PRIV_SETRESUID = 8, /* a1, a2, a3 */
	SL_PRIV_SETRESGID = 9,
	SL_PRIV_SETFSUID = 10, /* a1 */
	SL_PRIV_SETFSGID = 11,
	SL_PRIV_KILL = 12,    /* kill: a1 pid (0, -1 or -pgid: a group), a2 signal */
	SL_PRIV_TKILL = 13,   /* tkill: a1 thread id, a2 signal */
	SL_PRIV_TGKILL = 14,  /* tgkill: a1 process, a2 thread, a3 signal */
	SL_PRIV_PIDFD_SIGNAL = 15, /* pidfd_send_signal: a1 the pidfd, a2 signal */
	SL_PRIV_SIGQUEUE = 16, /* rt_sigqueueinfo: a1 pid, a2 signal */
	/* entering namespaces (only calls that name a CLONE_NEW* flag; setns always) */
	SL_PRIV_UNSHARE = 17, /* unshare: a1 flags */
	SL_PRIV_SETNS = 18,   /* setns: a1 the fd, a2 nstype as given, a3 the type of namespace the
			       * fd names (a CLONE_NEW* bit; 0: no namespace file, e.g. a pidfd,
			       * whose nstype names the namespaces), ns its inode number */
	SL_PRIV_CLONE = 19,   /* clone: a1 flags; ret the new process */
	SL_PRIV_CLONE3 = 20,  /* clone3: a1 clone_args.flags (SL_F_LATE: read at the exit, not
			       * at the entry; SL_F_FAULT: at neither); ret the new process */
	SL_PRIV_SETGROUPS = 21, /* setgroups: a1 the count; a2, a3 the first SL_GROUPS_KEPT groups,
				 * two to each (low 32 bits first; SL_F_FAULT: unreadable) */
	SL_PRIV_CAPSET = 22,  /* capset: a1 effective, a2 permitted, a3 inheritable (64-bit sets;
			       * a v1 header's: the low 32 bits); target the header's pid (0: the
			       * caller); SL_F_FAULT: header or sets unreadable, a1..a3 0 */
	SL_PRIV_PRCTL = 23,   /* prctl of a capability or privilege setting: a1 option
			       * (PR_SET_KEEPCAPS, PR_SET_SECCOMP, PR_CAPBSET_DROP,
			       * PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT but its IS_SET), a2 arg2, a3 arg3 */
	SL_PRIV_SECCOMP = 24, /* seccomp(2) SET_MODE_STRICT or SET_MODE_FILTER: a1 operation,
			       * a2 flags */
};

#define SL_GROUPS_KEPT 4 /* setgroups: groups recorded of its list */

/* The CLONE_NEW* flags (linux/sched.h): unshare, clone3 and setns take them all; clone cannot
 * take CLONE_NEWTIME (0x80: its low byte is the exit signal). */
#define SL_CLONE_NEW_MASK 0x7e020080ULL
#define SL_CLONE_NEWTIME 0x80ULL

/* SL_K_PRIV: an operation on another process, on the caller's credentials or on its
 * namespaces, at its exit (signals: those sent to another process, not signal 0, which only
 * asks whether it exists). */
struct sl_priv {
	struct sl_hdr h;
	__s64 ret;
	__s64 a1, a2, a3; /* the call's first three arguments (but see enum sl_priv_op) */
	__s32 target;     /* the other process (ptrace, process_vm_*), or -1 */
	__u8 op;          /* enum sl_priv_op */
	__u8 _pad[3];
	__u32 ns;         /* setns: the namespace entered, by inode number (as the links in
			   * /proc/PID/ns show it); else 0 */
	__u32 _pad2;
};

/* SL_K_URING_DONE: the completion of an io_uring request whose record (file or net, with
 * SL_F_PENDING) was sent at its submission. h.pid/tid are those of the submission. */
struct sl_uring_done {
	struct sl_hdr h;
	__u64 uring_id;
	__s32 res;
	__u8 opcode;
	__u8 _pad[3];
};

/* io_uring opcodes counted in sl_stats (IORING_OP_LAST is 63 in Linux 6.18; newer ones share
 * the last slot). */
#define SL_URING_OPS 64

enum sl_ipc_kind {
	SL_IPC_PIPE = 1, /* a pipe or FIFO: both ends share the inode */
	SL_IPC_UNIX = 2, /* a unix socket (socketpair or connected): each end has its own inode */
	SL_IPC_TCP = 3,  /* a TCP socket carrying plaintext HTTP: on loopback (MCP over HTTP, a
			  * local model server), or to another address (a model server on the LAN) */
};

/* SL_K_IPC: the bytes one read- or write-family call (read, write, readv, writev, recvfrom,
 * sendto, recvmsg, sendmsg) of a traced process moved on a pipe or unix socket whose first
 * bytes were JSON-RPC, on a loopback TCP socket whose first bytes were an HTTP/1 request or
 * response (or h2c's start), or on a TCP socket to any other address whose first bytes were an
 * HTTP/1 request (ipc.bpf.h decides, once per pipe or socket). Like SL_K_TLS, a call of
 * `total` bytes arrives as chunks at `offset`s within it (a chunk never spans two iovecs, so
 * chunks may be shorter than SL_IPC_CHUNK), the last with SL_F_LAST; SL_F_TRUNC: the call was
 * cut at max_tls_bytes; SL_F_FAULT: this chunk's bytes could not be read. */
struct sl_ipc {
	struct sl_hdr h;
	__u64 inode;      /* the pipe's or the socket's inode number */
	__u64 peer_inode; /* unix socket: the inode of the socket at the other end; else 0 */
	__u64 stream_off; /* bytes the recorded calls moved on (inode, dir) before this call */
	__u32 total;      /* bytes the call moved (before any cut) */
	__u32 offset;     /* of this chunk within the call's payload */
	__u32 len;        /* bytes of data in this record (SL_F_FAULT: bytes it stands for, none
			   * follow) */
	__s32 fd;
	__u8 dir;    /* enum sl_tls_dir: 0 written by the process, 1 read */
	__u8 fdkind; /* enum sl_ipc_kind */
	__u16 lport; /* SL_IPC_TCP: the local port; else 0 */
	__u16 rport; /* SL_IPC_TCP: the remote port; else 0 */
	__u16 _pad;
	__u8 laddr[16]; /* SL_IPC_TCP: the local address, IPv6 (IPv4 as ::ffff:a.b.c.d); else 0 */
	__u8 raddr[16]; /* SL_IPC_TCP: the remote address, as laddr */
	__u8 data[];
};

/* ---- records written by the loader ---- */

/* sl_ready.missing: programs that could not be attached (what they record is not seen) */
#define SL_MISSING_URING 0x01 /* the io_uring tracepoints */

struct sl_ready {
	struct sl_hdr h;
	__s64 boot_to_real_ns; /* add to ts to get CLOCK_REALTIME ns */
	__u32 child_pid;       /* the launched command, or 0 */
	__u32 ncpus;
	__u32 max_tls_bytes;
	__u32 version;
	__u32 missing; /* SL_MISSING_* */
	__u32 _pad;
};

#define SL_STATS_MISSES 16
struct sl_stats {
	struct sl_hdr h;
	__u64 drops[SL_KIND_KERNEL_MAX];  /* ring-buffer reservation failures per kind */
	__u64 misses;                     /* program runs the kernel skipped (recursion) */
	__u64 records;                    /* records forwarded so far */
	__u64 bytes;                      /* bytes forwarded so far */
	__u64 gated;                      /* processes stopped by the gate so far */
	__u64 uring_seen[SL_URING_OPS];   /* io_uring requests of traced processes, by opcode */
	__u64 uring_recorded[SL_URING_OPS]; /* ... of which a record was made */
};

/* SL_K_REPLY: data = message text. */
struct sl_reply {
	struct sl_hdr h;
	__u32 id;
	__s32 err; /* 0 or a negative errno */
	char data[];
};

/* SL_K_CHILD: the launched command ended (status as wait(2) encodes it), or could not be
 * started (exec_errno != 0). For --pid targets status is -1 (not our child). */
struct sl_child {
	struct sl_hdr h;
	__s32 status;
	__s32 exec_errno;
};

/* SL_K_LOG: data = text. */
struct sl_log {
	struct sl_hdr h;
	char data[];
};

#endif /* SL_EVENTS_H */
