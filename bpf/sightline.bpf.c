// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * sightline.bpf.c: the eBPF side of Sightline's capture.
 *
 * Action stream: process fork/exec/exit (raw sched tracepoints), file operations (opens,
 * unlinks, renames, mkdirs, chdirs, links, symlinks, chmods, chowns, truncates, utimes,
 * memfds), connects, binds, listens, accepts and DNS queries (UDP and TCP), ptrace,
 * process_vm_readv/writev, set*id, signals to other processes and namespaces entered (unshare,
 * setns, clone with CLONE_NEW*) (two raw tracepoint programs on sys_enter and sys_exit
 * that look the syscall number up in syscalls.h; arguments are stashed at entry by thread and
 * the record is emitted at exit, with the result), and the same operations submitted through
 * io_uring (uring.bpf.h: the request as the kernel prepared it, at its submission).
 *
 * Raw tracepoints rather than tp_btf: attaching them needs no lookup in the kernel's BTF, so
 * with the minimal BTF of its CO-RE relocations (make: sightline.min.btf) the loader never
 * parses the kernel's 5 MB of BTF, which was a third of its start-up.
 * Intent stream: plaintext of TLS calls (uprobes stash the arguments, uretprobes emit).
 * Between processes: the bytes of pipes and unix sockets that carry JSON-RPC (MCP's stdio
 * transport), judged and recorded at the exit of reads and writes (ipc.bpf.h).
 *
 * Only processes in the traced set produce records: it is seeded by the loader (the launched
 * command or --pid), grows on fork, takes in execs whose comm matches --comm, and shrinks on
 * exit. Every failed ring-buffer write is counted in `drops` by kind.
 *
 * Record layouts are in events.h. Program names start with sl_.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "syscalls.h"

#ifndef __TARGET_ARCH_x86
#error "the syscall and Go probes read x86-64 registers"
#endif

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/*
 * Which socket calls the SH_WATCH_* handlers look at (they see every read, write and close of
 * traced processes, so they stay off unless needed). WATCH_CTX, set by the loader: per-direction
 * TLS contexts are in use, so follow which socket each one is used with. WATCH_DNS_TCP, set here
 * when a traced process connects a TCP socket to port 53: look for DNS questions in writes.
 */
#define WATCH_CTX 0x1
#define WATCH_DNS_TCP 0x2
/* WATCH_DNS_SOCKS, set here when a socket is put in dns_socks: closes are watched, so that a
 * closed socket's entry goes and its fd, reused, is not taken for it; writes, for questions
 * written to a connected UDP socket (Go's resolver); reads, for the answers to its questions */
#define WATCH_DNS_SOCKS 0x4
volatile __u32 sock_watch;

/*
 * The gate's switch and its calls under way, in one word the loader reaches through the mmap
 * of .bss: SL_GATE_CLOSED (events.h), set by the loader when nobody will answer a stop any
 * more (the capture ends, or is gone), and in the low bits how many gate() calls are between
 * deciding to stop their process and publishing the report that says so. Both sides change it
 * only by atomic read-modify-writes, so a call either counted itself before the gate closed
 * (and the loader, which waits for the count to fall to zero, finds its report in the drain
 * after) or saw it closed and stopped nothing: no stop can come after the last drain.
 */
__u32 gate_state;

/* Set by the loader before load. */
const volatile __u32 max_tls_bytes = 256 * 1024;
const volatile __u8 gate_enabled = 1;
const volatile __u8 target_comm_len = 0; /* 0: no --comm */
const volatile char target_comm[SL_COMM_LEN] = {};

#define AT_FDCWD -100
#define SIGSTOP 19
#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define NO_FD (-2) /* sys_args.dfd when the spec names none: no base directory to walk */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SCRATCH_SIZE 32768

/* v & mask, with the mask kept even where the compiler can prove it redundant, so that the
 * verifier sees the bound. */
#define BOUND(v, mask) ({ __u64 __v = (v); asm volatile("" : "+r"(__v)); __v & (mask); })
/* Reads kernel or user memory. */
#define READ_MEM(kernel, dst, n, src)                                                            \
	((kernel) ? bpf_probe_read_kernel(dst, n, src) : bpf_probe_read_user(dst, n, src))
/* min(v, max), likewise visible to the verifier. */
#define CLAMP(v, max) ({ __u64 __v = (v); asm volatile("" : "+r"(__v)); if (__v > (max)) __v = (max); __v; })

/* ---------------------------------------------------------------- maps */

/*
 * The traced set: one bit per process id (PID_MAX_LIMIT is 2^22). Every system call of every
 * task on the host that syscalls.h names asks it, so the answer is two loads and no helper
 * call. The loader sets bits through the mmap of .bss; fork, exec and exit programs keep it.
 */
#define TRACED_PIDS (1 << 22)
__u64 traced_bits[TRACED_PIDS / 64];

/* sizes: the loader's --events-mb and --tls-mb */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} rb_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} rb_tls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_KIND_KERNEL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct file_key {
	__u64 dev;
	__u64 ino;
};

/* Files user space has inspected (events.h struct sl_known: their size and times then) — the
 * gate lets their execs and maps through while they are unchanged. Only user space inserts;
 * when it is full, a new file is gated again each time. 16384 files: an agent's session execs
 * and maps a few hundred; the map's buckets are made at every load (65536 took 2.4 ms of the
 * loader's CPU in every capture, 16384 0.85: Session 17 of reports/bench/capture.md). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct file_key);
	__type(value, struct sl_known);
} known_files SEC(".maps");

/* struct inode's times as kernels name them: split into seconds and nanoseconds (6.11 on),
 * behind accessors (6.6 to 6.10: __i_ctime, 6.7 on: __i_mtime), or plain timespec64s */
struct inode___split {
	time64_t i_mtime_sec;
	time64_t i_ctime_sec;
	u32 i_mtime_nsec;
} __attribute__((preserve_access_index));
struct inode___hidden {
	struct timespec64 __i_mtime;
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));
struct inode___plain {
	struct timespec64 i_mtime;
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

/* Whether `inode` is still the file user space stamped `v` with (its size, mtime in ms and
 * ctime in s: what stat(2) showed it; a write in place moves mtime and ctime, and the size). */
static __always_inline bool still_known(struct inode *inode, const struct sl_known *v)
{
	if (v->size < 0)
		return true;
	if (BPF_CORE_READ(inode, i_size) != v->size)
		return false;
	__s64 msec, nsec, csec;
	if (bpf_core_field_exists(struct inode___split, i_mtime_sec)) {
		struct inode___split *i = (void *)inode;
		msec = BPF_CORE_READ(i, i_mtime_sec);
		nsec = BPF_CORE_READ(i, i_mtime_nsec);
	} else if (bpf_core_field_exists(struct inode___hidden, __i_mtime)) {
		struct inode___hidden *i = (void *)inode;
		msec = BPF_CORE_READ(i, __i_mtime.tv_sec);
		nsec = BPF_CORE_READ(i, __i_mtime.tv_nsec);
	} else {
		struct inode___plain *i = (void *)inode;
		msec = BPF_CORE_READ(i, i_mtime.tv_sec);
		nsec = BPF_CORE_READ(i, i_mtime.tv_nsec);
	}
	if (bpf_core_field_exists(struct inode___split, i_ctime_sec)) {
		struct inode___split *i = (void *)inode;
		csec = BPF_CORE_READ(i, i_ctime_sec);
	} else if (bpf_core_field_exists(struct inode___hidden, __i_ctime)) {
		struct inode___hidden *i = (void *)inode;
		csec = BPF_CORE_READ(i, __i_ctime.tv_sec);
	} else {
		struct inode___plain *i = (void *)inode;
		csec = BPF_CORE_READ(i, i_ctime.tv_sec);
	}
	return msec * 1000 + (__u32)nsec / 1000000 == v->mtime_ms && csec == v->ctime_s;
}

/* The stops of the gate user space has not answered yet (events.h, struct sl_gate_stop_key):
 * what the loader's watchdog resumes should the loader die. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SL_GATE_STOPS_MAX);
	__type(key, struct sl_gate_stop_key);
	__type(value, struct sl_gate_stop);
} gate_stops SEC(".maps");

struct scratch {
	__u8 buf[SCRATCH_SIZE];
};

/* One scratch buffer per CPU for tracepoint programs, one for uprobe programs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_ev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_tls SEC(".maps");

/* Syscall arguments from entry to exit, by thread (and an io_uring request's, at once). */
struct sys_args {
	__s64 dfd;
	__u64 path;
	__s64 flags;
	__u64 mode;
	__s64 dfd2;
	__u64 path2;
	__s64 a1, a2;
	__u16 nr;     /* the syscall that stashed them */
	__u8 handler; /* enum sys_handler */
	__u8 op;
	__u8 opts;    /* sys_spec.opts */
	__u8 kstr;    /* path and path2 are kernel strings (io_uring's struct filename) */
	__u8 _pad[2];
};

/*
 * What a thread carries from one probe to the next: the arguments of the system call in
 * progress, and, for context tracking, the TCP socket it last read from, the read in progress
 * and the context it sealed last. Task storage: nothing to preallocate, no capacity to run out
 * of, gone with the thread.
 */
struct thread_state {
	struct sys_args sys;  /* sys.handler == SH_NONE: nothing stashed */
	__s64 reading_fd;     /* fd of a read in progress, or -1 */
	__s64 last_sock_read; /* the TCP socket this thread last read from, or -1 */
	__u64 pending_seal;   /* the context it sealed last, waiting for its write, or 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

struct dns_peer {
	__u16 family;
	__u16 port;
	__u8 sotype;
	__u8 prefix_sent; /* TCP: the two-byte length went in a write of its own */
	__u8 prefix_read; /* TCP: the two-byte length of an answer came in a read of its own */
	__u8 asked;       /* questions sent on it (up to 2): ids[] holds their ids */
	__u8 addr[16];
	__u16 ids[2];     /* the ids of the last two questions sent (glibc sends A and AAAA
			   * together, each with its own id), in network order */
	__u32 _pad;
};

/* UDP sockets connected to any port, TCP ones connected to port 53, and UDP sockets a DNS
 * question was sent from with sendto/sendmsg (musl's resolver, unconnected), by
 * (tgid << 32 | fd). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct dns_peer);
} dns_socks SEC(".maps");

enum tls_fn {
	FN_SSL_WRITE = 1,
	FN_SSL_READ = 2,
	FN_SSL_WRITE_EX = 3,
	FN_SSL_READ_EX = 4,
	FN_AEAD_OPEN = 6,
	FN_GO_READ = 7,
	FN_RING_OPEN = 8,
	FN_GNUTLS_SEND = 9,
	FN_GNUTLS_RECV = 10,
};

struct tls_key {
	__u64 id; /* pid_tgid (Go: the goroutine, which may change threads) */
	__u32 fn; /* tls_fn | the hook's target << 8 (see stash_fn) */
	/* the process: a goroutine pointer is another process's too (the same Go binary's heap
	 * addresses repeat), as in a process a kept loader's earlier session left running */
	__u32 tgid;
};

struct tls_args {
	__u64 conn;
	__u64 buf;
	__u64 lenp;
	__u64 len;
	__u64 tls12; /* AEAD: 0 for TLS 1.3 records, else the record type from the AAD */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct tls_key);
	__type(value, struct tls_args);
} tls_stash SEC(".maps");

struct seq_key {
	__u64 conn;
	__u32 tgid;
	__u32 dir;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* preallocated: the larger, the slower to create */
	__uint(max_entries, 16384);
	__type(key, struct seq_key);
	__type(value, __u64);
} tls_seq SEC(".maps");

/* ---------------------------------------------------------------- helpers */

static __always_inline bool is_traced(__u32 tgid)
{
	if (tgid >= TRACED_PIDS)
		return false;
	return (traced_bits[BOUND(tgid / 64, TRACED_PIDS / 64 - 1)] >> (tgid % 64)) & 1;
}

static __always_inline void set_traced(__u32 tgid)
{
	if (tgid < TRACED_PIDS)
		__sync_fetch_and_or(&traced_bits[BOUND(tgid / 64, TRACED_PIDS / 64 - 1)],
				    1ULL << (tgid % 64));
}

static __always_inline void clear_traced(__u32 tgid)
{
	if (tgid < TRACED_PIDS)
		__sync_fetch_and_and(&traced_bits[BOUND(tgid / 64, TRACED_PIDS / 64 - 1)],
				     ~(1ULL << (tgid % 64)));
}

static __always_inline bool current_traced(void)
{
	return is_traced(bpf_get_current_pid_tgid() >> 32);
}

static __always_inline void count_drop(__u32 kind)
{
	__u64 *c = bpf_map_lookup_elem(&drops, &kind);
	if (c)
		*c += 1;
}

static __always_inline void fill_hdr(struct sl_hdr *h, __u8 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	h->kind = kind;
	h->flags = 0;
	h->_pad = 0;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->ts = bpf_ktime_get_boot_ns();
}

/* A task's network and mount namespaces, by inode number (what /proc/PID/ns/net and mnt
 * link to); 0 once the task has let go of its namespaces (exiting). */
static __always_inline __u32 task_net_ns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
}

static __always_inline __u32 task_mnt_ns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
}

static __always_inline __u32 current_net_ns(void)
{
	return task_net_ns((struct task_struct *)bpf_get_current_task());
}

/* The current thread's state; `create`: made (empty) when it has none yet. */
static __always_inline struct thread_state *thread_state(bool create)
{
	struct task_struct *t = bpf_get_current_task_btf();
	if (!create)
		return bpf_task_storage_get(&threads, t, NULL, 0);
	struct thread_state init = {.reading_fd = -1, .last_sock_read = -1};
	return bpf_task_storage_get(&threads, t, &init, BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline void *scratch_of(void *map)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(map, &zero);
}

/*
 * Waking the loader for every record costs a context switch per event, which on a small
 * machine is most of the capture's overhead; records are left for the loader's reads (every
 * 20 ms, or on its 1 s tick while they trickle) unless a quarter MiB has piled up (or the
 * record is urgent: a stopped process waits).
 */
#define WAKE_BYTES (256 << 10)

static __always_inline __u64 wake_flags(void *rb)
{
	return bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA) > WAKE_BYTES ? BPF_RB_FORCE_WAKEUP
								       : BPF_RB_NO_WAKEUP;
}

static __always_inline void emit(void *rb, void *rec, __u32 size, __u8 kind)
{
	size = BOUND(size, SCRATCH_SIZE - 1);
	if (bpf_ringbuf_output(rb, rec, size, wake_flags(rb)))
		count_drop(kind);
}

struct walk {
	struct dentry *d;
	struct vfsmount *vfs;
	struct mount *m;
	struct dentry *root_d;
	struct vfsmount *root_m;
	__u32 at;  /* where in scratch_ev the components go (below 8192) */
	__u32 off; /* bytes written so far */
	__u32 name_len; /* the step's component's length (read here: walk_step's stack is full) */
	__u8 flags;
	__u8 to_top; /* walk past the process's root, to the top of its mount namespace */
};

/*
 * The walk's state is in a map, not on the stack, for the reason ipc_loops is (ipc.bpf.h): on
 * the stack, the verifier followed the bytes written so far from one step to the next and
 * checked the step again for each range they could be in (~35 times, at each walk_path).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} path_walks SEC(".maps");

/* One step up the dentry tree (bpf_loop callback, so the verifier checks it once). */
static long walk_step(__u32 i, void *unused)
{
	struct walk *w = scratch_of(&path_walks);
	if (!w)
		return 1;
	/* locals: CO-RE relocations must not see struct walk, which the kernel lacks */
	struct dentry *d = w->d;
	struct vfsmount *vfs = w->vfs;
	struct mount *m = w->m;
	if (d == w->root_d && vfs == w->root_m)
		return 1;
	struct dentry *mnt_root = BPF_CORE_READ(vfs, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m)
			return 1;
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = mp;
		w->vfs = &mp->mnt;
		return 0;
	}
	/* the components fill SL_BASE_MAX - 1 bytes at most (the callers mask lengths with
	 * SL_BASE_MAX - 1): a path of up to PATH_MAX - 1 bytes fits whole, when it has no more
	 * than SL_PATH_DEPTH components (mount crossings count as steps too); a deeper one is
	 * cut and flagged all the same */
	/* (w's fields read again after each call, not kept: walk_step's stack is full) */
	w->name_len = 0;
	bpf_core_read(&w->name_len, sizeof(w->name_len), &d->d_name.len);
	if (w->off >= SL_BASE_MAX - 1 || w->name_len + 1 > SL_BASE_MAX - 1 - w->off) {
		w->flags |= SL_F_CWD_TRUNC;
		return 1;
	}
	__u8 *buf = scratch_of(&scratch_ev);
	if (!buf)
		return 1;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	__u32 room = SL_BASE_MAX - 1 - w->off; /* > the name's length (renamed longer since: cut) */
	long n = bpf_probe_read_kernel_str(buf + (w->at & 8191) + (w->off & (SL_BASE_MAX - 1)),
					   room > SL_NAME_MAX ? SL_NAME_MAX : room, name);
	if (n <= 0)
		return 1;
	w->off += n;
	w->d = parent;
	return 0;
}

/* The walk whose state is in path_walks; returns the steps taken. A global function: the
 * verifier checks the steps once, not at each walk_path for each way the caller got there. */
__noinline long sl_walk_steps(void)
{
	return bpf_loop(SL_PATH_DEPTH, walk_step, NULL, 0);
}

/*
 * Writes the components of a path, leaf first, each NUL-terminated, at offset `at` of this
 * CPU's scratch_ev (at most SL_BASE_MAX bytes), walking dentries up to the process root and
 * crossing mounts. Returns the bytes written.
 */
static __always_inline __u32 walk_path(__u32 at, struct dentry *d, struct vfsmount *vfs,
				       __u8 *flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct walk *w = scratch_of(&path_walks);
	if (!w)
		return 0;
	struct dentry *root_d = BPF_CORE_READ(task, fs, root.dentry);
	w->d = d;
	w->vfs = vfs;
	w->m = container_of(vfs, struct mount, mnt);
	w->root_d = w->to_top ? NULL : root_d;
	w->root_m = w->to_top ? NULL : BPF_CORE_READ(task, fs, root.mnt);
	w->at = at;
	w->off = 0;
	w->flags = 0;
	long n = sl_walk_steps();
	__u32 off = w->off;
	__u8 wflags = w->flags;
	if (n >= SL_PATH_DEPTH && w->d != root_d)
		wflags |= SL_F_CWD_TRUNC;
	if (off == 0 && d && d != root_d) {
		/* a file on an internal mount (memfd, pipe, socket): its own name is all there is */
		__u8 *buf = scratch_of(&scratch_ev);
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		long k = buf ? bpf_probe_read_kernel_str(buf + (at & 8191), SL_NAME_MAX, name) : 0;
		if (k > 0)
			off = k;
	}
	*flags |= wflags;
	return off;
}

static __always_inline __u32 walk_cwd(__u32 at, __u8 *flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *d = BPF_CORE_READ(task, fs, pwd.dentry);
	struct vfsmount *m = BPF_CORE_READ(task, fs, pwd.mnt);
	return walk_path(at, d, m, flags);
}

static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if (fd < 0 || fd >= max)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* The directory a relative path starts from: cwd for AT_FDCWD, else the dirfd's path. */
static __always_inline __u32 walk_base(__u32 at, long dfd, __u8 *flags)
{
	if (dfd == AT_FDCWD)
		return walk_cwd(at, flags);
	struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), dfd);
	if (!f) {
		*flags |= SL_F_BASE_UNKNOWN;
		return 0;
	}
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct vfsmount *m = BPF_CORE_READ(f, f_path.mnt);
	return walk_path(at, d, m, flags);
}

/*
 * walk_base as a global function, verified once on its own (returns flags << 32 | bytes):
 * inlined, the verifier walked the path walk and its bpf_loop callback again at each of
 * file_emit's five call sites, in each program that calls file_emit.
 */
__noinline __u64 walk_base_g(__u32 at, long dfd)
{
	__u8 flags = 0;
	__u32 n = walk_base(at, dfd, &flags);
	return ((__u64)flags << 32) | n;
}

static __always_inline __u32 walk_base_at(__u32 at, long dfd, __u8 *flags)
{
	__u64 r = walk_base_g(at, dfd);
	*flags |= r >> 32;
	return (__u32)r;
}

/*
 * The process's root directory as a path from the top of its mount namespace (returns flags
 * << 32 | bytes): after a chroot, the directory its later paths start from, which a walk up to
 * its root would not name. A global function, as walk_base_g.
 */
__noinline __u64 walk_root_g(__u32 at)
{
	struct walk *w = scratch_of(&path_walks);
	if (!w)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *d = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *m = BPF_CORE_READ(task, fs, root.mnt);
	__u8 flags = 0;
	w->to_top = 1;
	__u32 n = walk_path(at, d, m, &flags);
	w->to_top = 0;
	return ((__u64)flags << 32) | n;
}

/* Whether b starts with the NUL-terminated prefix p (at most 24 bytes). */
static __always_inline bool has_prefix(const char *b, const char *p, int n)
{
	for (int i = 0; i < n && i < 24; i++)
		if (b[i] != p[i])
			return false;
	return true;
}

/*
 * "/proc/self/fd/N/rest" names "rest" inside the directory open on fd N (Bun writes files
 * that way), and "/proc/self/fd/N" the file open on fd N itself (an O_PATH or O_TMPFILE
 * descriptor reopened for writing, or linked); "/proc/thread-self/fd/" and "/dev/fd/" (a
 * link to /proc/self/fd) the same. Returns N, or -1 for any other path. A global function:
 * file_emit asks it of both paths, and its digit loop's ways out kept the states after it
 * apart.
 */
__noinline long sl_proc_self_fd(__u64 upath, int kstr)
{
	char b[64] = {}; /* a power of two: j & 63 keeps the index in it */
	const char self[] = "/proc/self/fd/";
	const char thread[] = "/proc/thread-self/fd/";
	const char dev[] = "/dev/fd/";
	if (!upath)
		return -1;
	/* a path shorter than the buffer ends before its end: read it as a string */
	if (kstr ? bpf_probe_read_kernel_str(b, sizeof(b), (void *)upath) <= 0
		 : bpf_probe_read_user_str(b, sizeof(b), (void *)upath) <= 0)
		return -1;
	int start;
	if (has_prefix(b, self, sizeof(self) - 1))
		start = sizeof(self) - 1;
	else if (has_prefix(b, thread, sizeof(thread) - 1))
		start = sizeof(thread) - 1;
	else if (has_prefix(b, dev, sizeof(dev) - 1))
		start = sizeof(dev) - 1;
	else
		return -1;
	long fd = 0;
	for (int i = 0; i < 12; i++) {
		int j = start + i;
		if (j >= 40)
			return -1;
		char c = b[j & 63];
		if ((c == '/' || c == 0) && i > 0)
			return fd;
		if (c < '0' || c > '9')
			return -1;
		fd = fd * 10 + (c - '0');
	}
	return -1;
}

/* Whether a path string is relative (does not start with '/'); "" (AT_EMPTY_PATH) is: it
 * names the directory fd itself. */
static __always_inline bool path_relative(__u64 upath, bool kstr)
{
	char c = 0;
	if (!upath)
		return false;
	if (READ_MEM(kstr, &c, 1, (void *)upath))
		return false;
	return c != '/';
}

/* ---------------------------------------------------------------- processes */

SEC("raw_tp/sched_process_fork")
int BPF_PROG(sl_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid) /* a thread */
		return 0;
	if (!is_traced(ptgid))
		return 0;
	set_traced(ctgid);

	struct sl_fork e = {};
	fill_hdr(&e.h, SL_K_FORK);
	e.h.pid = ctgid;
	e.h.tid = BPF_CORE_READ(child, pid);
	e.ppid = ptgid;
	e.net_ns = task_net_ns(child);
	e.mnt_ns = task_mnt_ns(child);
	BPF_CORE_READ_STR_INTO(&e.comm, child, comm);
	if (bpf_ringbuf_output(&rb_events, &e, sizeof(e), wake_flags(&rb_events)))
		count_drop(SL_K_FORK);
	return 0;
}

static __always_inline bool comm_matches(const char *comm)
{
	if (!target_comm_len)
		return false;
	for (int i = 0; i < SL_COMM_LEN; i++) {
		if (i >= target_comm_len)
			return comm[i] == 0;
		if (comm[i] != target_comm[i])
			return false;
	}
	return true;
}

static __always_inline bool same_pgrp_as_parent(struct task_struct *t)
{
	struct pid *pg = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	struct pid *ppg = BPF_CORE_READ(t, real_parent, signal, pids[PIDTYPE_PGID]);
	return pg == ppg;
}

/*
 * Stops the current process (task `t`), entered in gate_stops first under the time of its
 * report (`ts`), with its start time (so that a later process with its pid is never resumed for
 * it); false when it was not stopped.
 */
static __always_inline bool stop_current(struct task_struct *t, __u64 ts, __u8 reason)
{
	struct sl_gate_stop_key k = {};
	k.pid = BPF_CORE_READ(t, tgid);
	k.ts = ts;
	struct sl_gate_stop v = {};
	v.start_boottime = BPF_CORE_READ(t, group_leader, start_boottime);
	v.reason = reason;
	if (bpf_map_update_elem(&gate_stops, &k, &v, BPF_ANY))
		return false; /* full: not stopped, as nobody could resume it for sure */
	if (!bpf_send_signal(SIGSTOP))
		return true;
	bpf_map_delete_elem(&gate_stops, &k);
	return false;
}

/*
 * A traced process runs code from a file user space has not inspected yet: report it, and
 * (when the gate is on and stopping cannot confuse a job-control shell) stop the process so
 * that TLS hooks are in place before its first instruction runs.
 *
 * The stop is sent before the report is published, never after: user space answers a report
 * with SIGCONT, and a SIGCONT that overtook the SIGSTOP (the vCPU preempted between the two,
 * while the loader and the capture answered from a cache) would leave the process stopped for
 * good. A SIGCONT removes a pending SIGSTOP, so in this order every answer resumes it.
 *
 * It stops only what it can report and what someone will resume: not when the ring buffer has
 * no room for the report, nor once the loader has closed the gate (gate_state), nor when
 * gate_stops is full. The stop is entered in gate_stops before it is sent, inside the count
 * of calls under way, so that whoever closes the gate and waits for that count to fall to
 * zero (the loader, or its watchdog once the loader has died) finds every stop there.
 */
static __always_inline void gate(struct task_struct *t, struct inode *inode, __u8 reason,
				 __u64 addr, __s32 fd)
{
	struct file_key k = {};
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	k.ino = BPF_CORE_READ(inode, i_ino);
	struct sl_known *known = bpf_map_lookup_elem(&known_files, &k);
	if (known && still_known(inode, known))
		return;
	struct sl_gate *e = bpf_ringbuf_reserve(&rb_events, sizeof(*e), 0);
	if (!e) {
		count_drop(SL_K_GATE);
		return; /* not stopped: nobody would resume it */
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_hdr(&e->h, SL_K_GATE);
	e->dev = k.dev;
	e->ino = k.ino;
	e->addr = addr;
	e->fd = fd;
	e->reason = reason;
	if (known)
		e->h.flags |= SL_F_STALE;
	if (!gate_enabled) {
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		return;
	}
	/* counted while the stop is unreported; the fetched value says whether the gate closed */
	if (!(__sync_fetch_and_add(&gate_state, 1) & SL_GATE_CLOSED) && same_pgrp_as_parent(t) &&
	    stop_current(t, e->h.ts, reason))
		e->h.flags |= SL_F_STOPPED;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	__sync_fetch_and_sub(&gate_state, 1);
}

struct argv_loop {
	__u64 as;    /* arg_start: the argv block in the new program's memory */
	__u32 total; /* bytes of the whole block */
	__u32 keep;  /* bytes recorded: min(total, SL_ARGV_KEEP) */
	__u32 start; /* bytes the exec record carried */
	__u32 _pad;
};

/* One SL_K_ARGV record: the argv block's bytes from start + i * SL_ARGV_CHUNK (bpf_loop). */
static long argv_chunk(__u32 i, struct argv_loop *c)
{
	__u32 off = c->start + i * SL_ARGV_CHUNK;
	if (off >= c->keep)
		return 1;
	__u32 n = c->keep - off;
	if (n > SL_ARGV_CHUNK)
		n = SL_ARGV_CHUNK;
	struct sl_argv *e = scratch_of(&scratch_ev);
	if (!e)
		return 1;
	fill_hdr(&e->h, SL_K_ARGV);
	e->total = c->total;
	e->offset = off;
	e->_pad = 0;
	if (off + n >= c->keep)
		e->h.flags |= SL_F_LAST;
	if (c->total > c->keep)
		e->h.flags |= SL_F_TRUNC;
	n = CLAMP(n, SL_ARGV_CHUNK);
	e->len = n;
	__u32 size = sizeof(*e) + n;
	if (bpf_probe_read_user(e->data, n, (void *)(c->as + off))) {
		e->h.flags |= SL_F_FAULT;
		size = sizeof(*e);
	}
	if (bpf_ringbuf_output(&rb_events, e, CLAMP(size, sizeof(*e) + SL_ARGV_CHUNK),
			       wake_flags(&rb_events)))
		count_drop(SL_K_ARGV);
	return 0;
}

/*
 * The rest of an argv block longer than an SL_K_EXEC carries, as SL_K_ARGV records up to
 * SL_ARGV_KEEP bytes in all. A global function, so that the verifier checks the loop once
 * with its state as any values (as sl_tls_chunks).
 */
__noinline int sl_argv_chunks(__u64 as, __u32 total, __u32 start)
{
	struct argv_loop c = {};
	c.as = as;
	c.total = total;
	c.keep = total > SL_ARGV_KEEP ? SL_ARGV_KEEP : total;
	c.start = start;
	if (c.start >= c.keep)
		return 0;
	bpf_loop((c.keep - c.start + SL_ARGV_CHUNK - 1) / SL_ARGV_CHUNK, argv_chunk, &c, 0);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(sl_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	char comm[SL_COMM_LEN];
	BPF_CORE_READ_STR_INTO(&comm, p, comm);
	if (!is_traced(tgid)) {
		if (!comm_matches(comm))
			return 0;
		set_traced(tgid);
	}

	struct sl_exec *e = scratch_of(&scratch_ev);
	if (!e)
		return 0;
	fill_hdr(&e->h, SL_K_EXEC);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->net_ns = task_net_ns(p);
	e->mnt_ns = task_mnt_ns(p);
	__builtin_memcpy(e->comm, comm, SL_COMM_LEN);
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	e->ino = BPF_CORE_READ(inode, i_ino);

	__u32 off = walk_cwd(sizeof(*e), &e->h.flags);
	e->cwd_len = off;
	off &= SL_BASE_MAX - 1;

	/* the file executed, as the kernel found it (execveat, fexecve of a memfd, symlinks) */
	struct dentry *xd = BPF_CORE_READ(bprm, file, f_path.dentry);
	__u32 x = walk_path(sizeof(*e) + off, xd, BPF_CORE_READ(bprm, file, f_path.mnt),
			    &e->h.flags);
	e->exe_len = x;
	off += x & (SL_BASE_MAX - 1);
	/* no name in any directory: no links left, or a dentry never (or no longer) hashed */
	e->exe_unlinked = BPF_CORE_READ(inode, i_nlink) == 0 || !BPF_CORE_READ(xd, d_hash.pprev);
	e->_pad = 0;

	const char *filename = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(e->data + (off & 8191), SL_PATH_MAX, filename);
	if (n < 0)
		n = 0;
	e->filename_len = n;
	off = CLAMP((off & 8191) + n, 12288);

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long as = BPF_CORE_READ(mm, arg_start);
	unsigned long ae = BPF_CORE_READ(mm, arg_end);
	__u64 total = ae > as ? ae - as : 0;
	if (total > 0xffffffffULL)
		total = 0xffffffffULL;
	__u32 alen = total;
	e->argv_total = total;
	e->_pad2 = 0;
	if (total > SL_ARGV_KEEP)
		e->h.flags |= SL_F_TRUNC;
	if (alen > SL_ARGV_MAX - 1)
		alen = SL_ARGV_MAX - 1;
	alen = BOUND(alen, SL_ARGV_MAX - 1);
	off = CLAMP(off, 12288);
	if (bpf_probe_read_user(e->data + off, alen, (void *)as))
		alen = 0;
	e->argv_len = alen;
	off = CLAMP(off, 12288) + alen;

	emit(&rb_events, e, sizeof(*e) + off, SL_K_EXEC);
	if (total > alen && alen) /* the rest follows; scratch_ev is free again */
		sl_argv_chunks(as, total, alen);
	gate(p, inode, SL_GATE_EXEC, 0, -1);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(sl_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	if (!is_traced(tgid))
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) != 0) /* other threads remain */
		return 0;
	struct sl_exit e = {};
	fill_hdr(&e.h, SL_K_EXIT);
	e.ppid = BPF_CORE_READ(p, real_parent, tgid);
	e.status = BPF_CORE_READ(p, exit_code);
	/* the process's name, as ps shows it: its main thread's (a zombie until the group is
	 * reaped), not that of the thread that happened to exit last (Bun's "mi-scavenger") */
	BPF_CORE_READ_STR_INTO(&e.comm, p, group_leader, comm);
	if (bpf_ringbuf_output(&rb_events, &e, sizeof(e), wake_flags(&rb_events)))
		count_drop(SL_K_EXIT);
	clear_traced(tgid);
	return 0;
}

/* ---------------------------------------------------------------- files */

/*
 * SL_K_FILE for a file operation, from the arguments stashed at its entry (or read from an
 * io_uring request: `hflags` SL_F_URING, strings in kernel memory). The base a path is
 * resolved against: the dfd (or cwd) for a relative path, the directory of "/proc/self/fd/N/";
 * for a call with no path (fchmod, ftruncate, fchdir, utimensat(fd, NULL)), the dfd's own
 * path; for open_by_handle_at, the path of the file it opened. A global function, verified
 * once per program on its own: inlined, the verifier walked it again for each io_uring opcode
 * (whose constants kept the states apart), 84k of sl_uring_submit's 88k instructions.
 */
__noinline int file_emit(long ret, const struct sys_args *sa, __u8 hflags, __u64 uring_id)
{
	if (!sa)
		return 0;
	struct sys_args a = *sa;
	struct sl_file *e = scratch_of(&scratch_ev);
	if (!e)
		return 0;
	fill_hdr(&e->h, SL_K_FILE);
	e->h.flags = hflags;
	e->ret = ret;
	e->flags = a.flags;
	e->mode = a.mode;
	e->op = a.op;
	e->_pad = 0;
	e->_pad2 = 0;
	e->path_len = 0;
	e->path2_len = 0;
	e->length = a.op == SL_OP_TRUNCATE ? a.a1 : 0;
	e->owner = a.op == SL_OP_CHOWN ? a.a1 : 0;
	e->group = a.op == SL_OP_CHOWN ? a.a2 : 0;
	e->uring_id = uring_id;
	bool k = a.kstr;

	/* data = base | base2 | path | path2: the walked bases first, where walk_step expects */
	__u32 off = 0;
	__u32 b = 0;
	long pfd;
	if (a.op == SL_OP_CHROOT && ret == 0) { /* the new root, from the namespace's top */
		__u64 r = walk_root_g(sizeof(*e));
		e->h.flags |= r >> 32;
		b = (__u32)r;
	} else if (a.op == SL_OP_CHDIR) /* the new cwd (or, if it failed, the unchanged one) */
		b = walk_base_at(sizeof(*e), AT_FDCWD, &e->h.flags);
	else if (a.opts & PATH_FROM_RET) /* the file the call opened */
		b = ret >= 0 ? walk_base_at(sizeof(*e), ret, &e->h.flags) : 0;
	else if (a.dfd == NO_FD) /* symlink's target, memfd's name: not paths to resolve here */
		b = 0;
	else if (!a.path || path_relative(a.path, k))
		b = walk_base_at(sizeof(*e), a.dfd, &e->h.flags);
	else if ((pfd = sl_proc_self_fd(a.path, k)) >= 0)
		b = walk_base_at(sizeof(*e), pfd, &e->h.flags);
	e->base_len = b;
	off = b & (SL_BASE_MAX - 1);
	b = 0;
	__u8 f2 = 0; /* path2's base's flags: its own unknown bit, apart from path's */
	if (a.path2 && path_relative(a.path2, k))
		b = walk_base_at(sizeof(*e) + off, a.dfd2, &f2);
	else if (a.path2 && (pfd = sl_proc_self_fd(a.path2, k)) >= 0)
		b = walk_base_at(sizeof(*e) + off, pfd, &f2);
	e->h.flags |= (f2 & ~SL_F_BASE_UNKNOWN) | ((f2 & SL_F_BASE_UNKNOWN) ? SL_F_BASE2_UNKNOWN : 0);
	e->base2_len = b;
	off += b & (SL_BASE_MAX - 1);

	long n;
	if (a.path) {
		n = k ? bpf_probe_read_kernel_str(e->data + (off & 8191), SL_PATH_MAX, (void *)a.path)
		      : bpf_probe_read_user_str(e->data + (off & 8191), SL_PATH_MAX, (void *)a.path);
		if (n > 0) {
			e->path_len = n;
			off = (off & 8191) + n;
		}
	}
	if (a.path2) {
		n = k ? bpf_probe_read_kernel_str(e->data + (off & 16383), SL_PATH_MAX,
						  (void *)a.path2)
		      : bpf_probe_read_user_str(e->data + (off & 16383), SL_PATH_MAX,
						(void *)a.path2);
		if (n > 0) {
			e->path2_len = n;
			off = (off & 16383) + n;
		}
	}
	emit(&rb_events, e, sizeof(*e) + (off & 32767), SL_K_FILE);
	return 0;
}

/* ---------------------------------------------------------------- network */

static __always_inline __u16 sock_type(long fd)
{
	struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
	if (!f)
		return 0;
	struct socket *s = BPF_CORE_READ(f, private_data);
	return s ? BPF_CORE_READ(s, type) : 0;
}

/* The type of an internet socket (AF_INET, AF_INET6) open on fd; 0 for anything else (no file,
 * not a socket, a unix one). Inlined: sl_dns_send, its caller, is at the stack's limit with
 * sys_enter's frame (a call would add a frame). */
static __always_inline int inet_sock_type(long fd)
{
	struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *s = BPF_CORE_READ(f, private_data);
	if (!s)
		return 0;
	__u16 family = BPF_CORE_READ(s, sk, __sk_common.skc_family);
	return family == AF_INET || family == AF_INET6 ? BPF_CORE_READ(s, type) : 0;
}

/* Zeroes a unix socket name's bytes from `len` on (of 108): past the length it was given with,
 * a sockaddr_un holds whatever its buffer did. */
static __always_inline void clip_unix(__u8 *addr, int len)
{
	for (int i = 0; i < 108; i++)
		if (i >= len)
			addr[i] = 0;
}

/* Reads a unix socket name of `len` bytes (at most 108) into `addr`, the rest zeroed: no byte
 * past its length, which may be past the memory it is in (an allocation of the address's
 * size, a buffer as long as the addrlen given). */
static __always_inline void read_unix_name(__u8 *addr, const void *src, long len, bool kernel)
{
	clip_unix(addr, 0);
	if (len <= 0)
		return;
	__u64 n = CLAMP(len, 108); /* bounds the verifier sees */
	if (n > 0 && n <= 108)
		READ_MEM(kernel, addr, n, src);
}

/* Reads family, port (host order) and address from a sockaddr in user (or kernel) memory. */
static __always_inline __u16 read_sockaddr(void *uaddr, __u32 alen, __u16 *port, __u8 *addr,
					   __u32 addr_cap, bool kernel)
{
	__u16 family = 0;
	if (!uaddr || alen < 2)
		return 0;
	READ_MEM(kernel, &family, sizeof(family), uaddr);
	if (family == AF_INET) {
		struct sockaddr_in sin = {};
		READ_MEM(kernel, &sin, sizeof(sin), uaddr);
		*port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(addr, &sin.sin_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};
		READ_MEM(kernel, &sin6, sizeof(sin6), uaddr);
		*port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(addr, &sin6.sin6_addr, 16);
	} else if (family == AF_UNIX && addr_cap >= 108) {
		/* the name is alen's bytes, not the buffer's */
		read_unix_name(addr, uaddr + 2, (long)alen - 2, kernel);
	}
	return family;
}

/* The socket a file is, or NULL when it is none. */
static __always_inline struct sock *file_sock(struct file *f)
{
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *so = BPF_CORE_READ(f, private_data);
	return so ? BPF_CORE_READ(so, sk) : NULL;
}

static __always_inline struct sock *fd_sock(struct task_struct *t, long fd)
{
	return file_sock(fd_file(t, fd));
}

/*
 * A socket's ends as the kernel holds them: its family and type, the local address and port
 * (for AF_UNIX, the bound path, into `addr`) and, with `peer`, the remote ones.
 */
static __always_inline void sock_ends(struct sock *sk, struct sl_net *e, bool peer)
{
	if (!sk)
		return;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->sotype = BPF_CORE_READ(sk, sk_type);
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (e->family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(peer ? e->laddr : e->addr, &l, 4);
		if (peer) {
			__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			__builtin_memcpy(e->addr, &r, 4);
			e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		} else {
			e->port = e->lport;
		}
	} else if (e->family == AF_INET6) {
		/* typed pointers: BPF_CORE_READ_INTO reads sizeof(*dst) bytes (1 through a void *) */
		struct in6_addr *local = (struct in6_addr *)(peer ? e->laddr : e->addr);
		struct in6_addr *remote = (struct in6_addr *)e->addr;
		BPF_CORE_READ_INTO(local, sk, __sk_common.skc_v6_rcv_saddr);
		if (peer) {
			BPF_CORE_READ_INTO(remote, sk, __sk_common.skc_v6_daddr);
			e->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		} else {
			e->port = e->lport;
		}
	} else if (e->family == AF_UNIX && !peer) {
		struct unix_sock *u = (struct unix_sock *)sk;
		struct unix_address *ua = BPF_CORE_READ(u, addr);
		if (ua) {
			/* `len` bytes of the address are its own (an abstract name has no NUL);
			 * what follows them in the allocation is not */
			read_unix_name(e->addr, (void *)ua->name + 2, BPF_CORE_READ(ua, len) - 2, true);
		}
	}
}

/* Remembers (or forgets) a UDP socket connected to any port, or a TCP one connected to port 53,
 * so that the questions written to it without an address are seen as DNS. */
static __always_inline void note_dns_sock(__u32 tgid, long fd, const struct sl_net *e)
{
	__u64 key = ((__u64)tgid << 32) | (__u32)fd;
	/* UDP on any port (a resolver on 5353 or 5335: what is sent is read as DNS only where it
	 * looks like a question, see dns_question_like), TCP on 53 */
	bool dns = (e->sotype == SOCK_DGRAM || (e->port == 53 && e->sotype == SOCK_STREAM)) &&
		   (e->family == AF_INET || e->family == AF_INET6) &&
		   (e->ret == 0 || e->ret == -115 /* EINPROGRESS */);
	if (!dns) {
		bpf_map_delete_elem(&dns_socks, &key);
		return;
	}
	struct dns_peer p = {};
	p.family = e->family;
	p.port = e->port;
	p.sotype = e->sotype;
	__builtin_memcpy(p.addr, e->addr, 16);
	bpf_map_update_elem(&dns_socks, &key, &p, BPF_ANY);
	if (!(sock_watch & WATCH_DNS_SOCKS))
		__sync_fetch_and_or(&sock_watch, WATCH_DNS_SOCKS);
	if (e->sotype == SOCK_STREAM && !(sock_watch & WATCH_DNS_TCP))
		__sync_fetch_and_or(&sock_watch, WATCH_DNS_TCP);
}

static __always_inline void net_out(struct sl_net *e)
{
	e->net_ns = current_net_ns();
	if (bpf_ringbuf_output(&rb_events, e, sizeof(*e), wake_flags(&rb_events)))
		count_drop(SL_K_NET);
}

/* SL_K_NET at the exit of connect(2) or bind(2), with the address the program passed. A
 * global function (as sl_sock_exit): inlined, the verifier walked it once per op. */
__noinline int sl_connect_exit(__u64 id, long ret, const struct sys_args *a, __u32 op)
{
	if (!a)
		return 0;
	struct sl_net e = {};
	fill_hdr(&e.h, SL_K_NET);
	e.ret = ret;
	e.fd = a->dfd;
	e.op = op;
	e.sotype = sock_type(a->dfd);
	e.family = read_sockaddr((void *)a->path, a->flags, &e.port, e.addr, sizeof(e.addr), false);
	if (op == SL_NET_BIND && ret == 0) {
		struct sock *sk = fd_sock((struct task_struct *)bpf_get_current_task(), a->dfd);
		if (sk)
			e.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	}
	net_out(&e);
	if (op == SL_NET_CONNECT)
		note_dns_sock(id >> 32, a->dfd, &e);
	return 0;
}

/* SL_K_NET at the exit of listen(2) (the socket's local end) or accept(2) (the new socket's
 * peer and local end; fd is the new socket). */
__noinline int sl_sock_exit(long ret, const struct sys_args *a, __u32 op)
{
	if (!a)
		return 0;
	struct sl_net e = {};
	fill_hdr(&e.h, SL_K_NET);
	e.ret = ret;
	e.op = op;
	long fd = op == SL_NET_ACCEPT ? ret : a->dfd;
	e.fd = op == SL_NET_ACCEPT && ret < 0 ? a->dfd : fd;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	if (fd >= 0)
		sock_ends(fd_sock(t, fd), &e, op == SL_NET_ACCEPT);
	if (!e.family) /* failed: at least what the socket is */
		sock_ends(fd_sock(t, a->dfd), &e, false);
	net_out(&e);
	return 0;
}

/* A message a traced process sends: dns_send's arguments (more than a function's five). */
struct dns_out {
	__s64 fd;
	__u64 addr; /* the sockaddr it is sent to, or 0 */
	__u64 buf;
	__u64 len;
	__u32 alen;
	__u8 kaddr; /* addr is in kernel memory (io_uring's copy) */
	__u8 hflags;
	__u8 how; /* DNS_WHOLE, DNS_STREAM_ONLY */
	__u8 _pad;
};

#define DNS_WHOLE 0x1       /* buf holds the whole message (a send's only buffer) */
#define DNS_STREAM_ONLY 0x2 /* buf is a second iovec after a two-byte one: TCP's message */

/*
 * Whether the datagram at `buf` (`len` bytes, sent to a port other than 53) looks like one DNS
 * question: whole within SL_DNS_MAX, a header of a standard query (QR 0, opcode 0, AA, TC, Z
 * and RCODE 0) with one question, no answer or authority records and at most one additional
 * (EDNS's OPT), and a first label of 0 to 63 bytes. Random bytes pass with odds below 2^-70;
 * user space then parses the whole message strictly (capture/dns.ts) before it calls it DNS.
 */
static __always_inline bool dns_question_like(__u8 *h, void *buf, __u64 len)
{
	/* h: the record's data (scratch memory: sl_dns_send's caller's stack is near its limit) */
	if (len < 17 || len > SL_DNS_MAX || bpf_probe_read_user(h, 13, buf))
		return false;
	return !(h[2] & 0xfe) && !(h[3] & 0x4f) && h[4] == 0 && h[5] == 1 && !h[6] && !h[7] &&
	       !h[8] && !h[9] && h[10] == 0 && h[11] <= 1 && h[12] <= 63;
}

/*
 * Where a DNS message starts in `len` bytes written to or read from a TCP socket: 2 bytes in,
 * past its two-byte length, or 0 when that length came alone just before (`*prefix`, the
 * socket's flag for that direction, says so; the call clears it); -1 when none starts there:
 * the length alone (two bytes: no message is that short), remembered in `*prefix`, or fewer
 * bytes than the length. Returned by value (a pointer to the buffer and length, taken to move
 * them, put sl_dns_send's stack past its 512 bytes).
 */
static __always_inline int stream_message_start(__u8 *prefix, __u64 len)
{
	if (len == 2) {
		*prefix = 1;
		return -1;
	}
	int skip = *prefix ? 0 : 2;
	*prefix = 0;
	return len < (__u64)skip ? -1 : skip;
}

/*
 * Emits the first bytes of a DNS message sent to port 53 (explicitly, or on a socket connected
 * there), or of a datagram to another UDP port that looks like a DNS question
 * (dns_question_like). On TCP, a message starts with its two-byte length, which may go in a write of its
 * own: the message is the next write. A global function, verified once on its own: inlined,
 * the verifier walked it (and read_sockaddr's three families) at each of its nine call sites
 * in sys_enter, 3.5k of the 7.7k instructions it walked there.
 */
__noinline int sl_dns_send(const struct dns_out *m)
{
	if (!m)
		return 0;
	long fd = m->fd;
	void *uaddr = (void *)m->addr, *buf = (void *)m->buf;
	__u32 alen = m->alen;
	bool kaddr = m->kaddr;
	__u64 len = m->len;
	__u8 hflags = m->hflags;
	struct sl_dns *e = scratch_of(&scratch_ev);
	if (!e)
		return 0;
	fill_hdr(&e->h, SL_K_DNS);
	e->h.flags = hflags;
	e->fd = fd;
	e->dir = SL_DNS_QUESTION;
	e->net_ns = current_net_ns();
	e->port = 0;
	e->sotype = SOCK_DGRAM;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->family = read_sockaddr(uaddr, alen, &e->port, e->addr, 16, kaddr);
	if (!e->family) {
		__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
		struct dns_peer *p = bpf_map_lookup_elem(&dns_socks, &key);
		if (!p)
			return 0;
		e->family = p->family;
		e->port = p->port;
		e->sotype = p->sotype;
		__builtin_memcpy(e->addr, p->addr, 16);
		if (p->sotype == SOCK_STREAM) {
			int skip = stream_message_start(&p->prefix_sent, len);
			if (skip < 0)
				return 0;
			buf += skip;
			len -= skip;
		}
	}
	/* a second iovec is a message of its own only after TCP's two-byte length */
	if ((m->how & DNS_STREAM_ONLY) && e->sotype != SOCK_STREAM)
		return 0;
	if (e->port != 53) {
		/* the datagram whole in one buffer (bytes in further iovecs are not looked at) */
		if (!(m->how & DNS_WHOLE) || e->sotype != SOCK_DGRAM ||
		    !dns_question_like(e->data, buf, len))
			return 0;
	}
	/* the socket it goes by is an internet one of that type: with an address given, UDP (a TCP
	 * one ignores it); by dns_socks, the one remembered, not another kind of socket or file
	 * its fd was reused by (its close not seen: close_range, a dup2 over it). A fixed file
	 * of io_uring (fd < 0) cannot be looked at. */
	if (fd >= 0 && inet_sock_type(fd) != e->sotype)
		return 0;
	__u32 n = len > SL_DNS_MAX ? SL_DNS_MAX : len;
	n = BOUND(n, 1023);
	if (n < 2 || bpf_probe_read_user(e->data, n, buf))
		return 0;
	e->len = n;
	e->dir = SL_DNS_QUESTION;
	/* the question's id, on its socket, so that its answer is read (sl_dns_recv) */
	if (fd >= 0) {
		__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
		struct dns_peer *p = bpf_map_lookup_elem(&dns_socks, &key);
		if (!p && e->sotype == SOCK_DGRAM) {
			/* an unconnected UDP socket (musl's resolver sends by sendto): its answers
			 * come on it too */
			/* built in the scratch buffer past the record (the stack is at its limit) */
			struct dns_peer *np = (struct dns_peer *)((__u8 *)e + 4096);
			__builtin_memset(np, 0, sizeof(*np));
			np->family = e->family;
			np->port = e->port;
			np->sotype = SOCK_DGRAM;
			__builtin_memcpy(np->addr, e->addr, 16);
			bpf_map_update_elem(&dns_socks, &key, np, BPF_NOEXIST);
			p = bpf_map_lookup_elem(&dns_socks, &key);
			if (!(sock_watch & WATCH_DNS_SOCKS))
				__sync_fetch_and_or(&sock_watch, WATCH_DNS_SOCKS);
		}
		if (p) {
			p->ids[1] = p->ids[0];
			p->ids[0] = *(__u16 *)e->data;
			if (p->asked < 2)
				p->asked++;
		}
	}
	emit(&rb_events, e, sizeof(*e) + n, SL_K_DNS);
	return 0;
}

static __always_inline void dns_send(long fd, void *uaddr, __u32 alen, bool kaddr, void *buf,
				     __u64 len, __u8 hflags, __u8 how)
{
	struct dns_out m = {.fd = fd, .addr = (__u64)uaddr, .buf = (__u64)buf, .len = len,
			    .alen = alen, .kaddr = kaddr, .hflags = hflags, .how = how};
	sl_dns_send(&m);
}

static __always_inline void dns_msghdr(long fd, struct user_msghdr *um, __u8 hflags)
{
	struct user_msghdr m = {};
	struct iovec iov = {};
	if (bpf_probe_read_user(&m, sizeof(m), um) || !m.msg_iov || !m.msg_iovlen)
		return;
	if (bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov))
		return;
	dns_send(fd, m.msg_name, m.msg_namelen, false, iov.iov_base, iov.iov_len, hflags,
		 m.msg_iovlen == 1 ? DNS_WHOLE : 0);
	if (m.msg_iovlen > 1 && iov.iov_len == 2 &&
	    bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov + 1) == 0)
		dns_send(fd, m.msg_name, m.msg_namelen, false, iov.iov_base, iov.iov_len, hflags,
			 DNS_STREAM_ONLY);
}

/* Whether fd is a socket in dns_socks: a TCP one connected to port 53, or a UDP one (connected:
 * Go's resolver writes its questions with write(2)). */
static __always_inline bool dns_sock(long fd)
{
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
	return bpf_map_lookup_elem(&dns_socks, &key) != NULL;
}

/* A write to a socket of dns_socks (glibc's resolver writes a TCP question's length and the
 * question as two iovecs of one writev, A's and AAAA's together as four; Go's writes a UDP
 * question with write(2)). */
static __always_inline void dns_sock_write(long fd, void *buf, __u64 len)
{
	if (dns_sock(fd))
		dns_send(fd, NULL, 0, false, buf, len, 0, DNS_WHOLE);
}

static __always_inline void dns_sock_writev(long fd, struct iovec *v, __u64 n)
{
	if (!n || !dns_sock(fd))
		return;
	struct iovec iov = {};
	if (bpf_probe_read_user(&iov, sizeof(iov), v))
		return;
	dns_send(fd, NULL, 0, false, iov.iov_base, iov.iov_len, 0, n == 1 ? DNS_WHOLE : 0);
	if (n < 2 || iov.iov_len != 2 || bpf_probe_read_user(&iov, sizeof(iov), v + 1))
		return;
	dns_send(fd, NULL, 0, false, iov.iov_base, iov.iov_len, 0, DNS_STREAM_ONLY);
	/* a second length and question: both of glibc's over TCP (their answers are matched to
	 * the last two ids sent, as UDP's) */
	if (n < 4 || bpf_probe_read_user(&iov, sizeof(iov), v + 2) || iov.iov_len != 2)
		return;
	dns_send(fd, NULL, 0, false, iov.iov_base, 2, 0, DNS_STREAM_ONLY);
	if (bpf_probe_read_user(&iov, sizeof(iov), v + 3) == 0)
		dns_send(fd, NULL, 0, false, iov.iov_base, iov.iov_len, 0, DNS_STREAM_ONLY);
}

/*
 * Emits the start of a DNS answer read (`len` bytes at `ubuf`) from a socket of dns_socks that
 * a question was sent on: a response header (QR 1, opcode 0, one question) with the id of one
 * of the last two questions sent on it. On TCP, the two-byte length may come in a read of its
 * own: the message is the next read. A global function, verified once.
 */
__noinline int sl_dns_recv(__s64 fd, __u64 ubuf, __u64 len)
{
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
	struct dns_peer *p = bpf_map_lookup_elem(&dns_socks, &key);
	if (!p || !p->asked)
		return 0;
	void *buf = (void *)ubuf;
	if (p->sotype == SOCK_STREAM) {
		int skip = stream_message_start(&p->prefix_read, len);
		if (skip < 0)
			return 0;
		buf += skip;
		len -= skip;
	}
	struct sl_dns *e = scratch_of(&scratch_ev);
	if (!e || len < 12 || bpf_probe_read_user(e->data, 12, buf))
		return 0;
	__u16 id = *(__u16 *)e->data;
	if (!(e->data[2] & 0x80) || (e->data[2] & 0x78) || e->data[4] || e->data[5] != 1)
		return 0;
	if (id != p->ids[0] && !(p->asked > 1 && id == p->ids[1]))
		return 0;
	/* the fd is still an internet socket of the type remembered (as sl_dns_send asks), not
	 * a file or socket its number was reused by, its close not seen (close_range, a dup2
	 * over it, an exec closing it) */
	if (fd >= 0 && inet_sock_type(fd) != p->sotype)
		return 0;
	fill_hdr(&e->h, SL_K_DNS);
	e->fd = fd;
	e->net_ns = current_net_ns();
	e->family = p->family;
	e->port = p->port;
	e->sotype = p->sotype;
	e->dir = SL_DNS_ANSWER;
	__builtin_memcpy(e->addr, p->addr, 16);
	__u32 n = len > SL_DNS_ANSWER_MAX ? SL_DNS_ANSWER_MAX : len;
	n = BOUND(n, 4095);
	if (bpf_probe_read_user(e->data, n, buf))
		return 0;
	e->len = n;
	emit(&rb_events, e, sizeof(*e) + n, SL_K_DNS);
	return 0;
}

/* ---------------------------------------------------------------- other processes, credentials */

/* ptrace requests recorded: those that attach to a process or write into it */
static __always_inline bool ptrace_recorded(long req)
{
	switch (req) {
	case 0:      /* PTRACE_TRACEME */
	case 4:      /* PTRACE_POKETEXT */
	case 5:      /* PTRACE_POKEDATA */
	case 6:      /* PTRACE_POKEUSER */
	case 13:     /* PTRACE_SETREGS */
	case 15:     /* PTRACE_SETFPREGS */
	case 16:     /* PTRACE_ATTACH */
	case 0x4205: /* PTRACE_SETREGSET */
	case 0x4206: /* PTRACE_SEIZE */
		return true;
	}
	return false;
}

/* Signals recorded: those sent to another process (not a thread of the caller's own, as
 * raise(3) and the Go runtime's preemption do all the time), not signal 0 (a probe that the
 * target exists). kill(0, ...) and negative pids name process groups: recorded. */
static __always_inline bool signal_recorded(__u8 op, long a1, long a2, long a3)
{
	__u64 id = bpf_get_current_pid_tgid();
	long tgid = id >> 32, tid = (__u32)id;
	switch (op) {
	case SL_PRIV_KILL:
	case SL_PRIV_SIGQUEUE:
		return a2 != 0 && a1 != tgid;
	case SL_PRIV_TKILL:
		return a2 != 0 && a1 != tid;
	case SL_PRIV_TGKILL:
		return a3 != 0 && a1 != tgid;
	case SL_PRIV_PIDFD_SIGNAL:
		return a2 != 0;
	}
	return true;
}

/* prctl options recorded: those that change a process's capabilities or what it may gain
 * (PR_SET_DUMPABLE 4 and PR_SET_PTRACER 0x59616d61, which change who may ptrace it too,
 * PR_SET_KEEPCAPS 8, PR_SET_SECCOMP 22, PR_CAPBSET_DROP 24, PR_SET_SECUREBITS 28,
 * PR_SET_NO_NEW_PRIVS 38, PR_CAP_AMBIENT 47 but its IS_SET 1: RAISE 2, LOWER 3, CLEAR_ALL 4);
 * not the many others (PR_SET_NAME, a thread's name, comes all the time). seccomp(2): its
 * SET_MODE_STRICT 0 and SET_MODE_FILTER 1, not its queries. The kernel takes prctl's option as
 * int and seccomp's operation as unsigned int (SYSCALL_DEFINE5(prctl, int option, ...),
 * SYSCALL_DEFINE3(seccomp, unsigned int op, ...)): compare only those 32 bits, or a caller
 * setting the register's high bits would act unrecorded. */
static __always_inline bool prctl_recorded(__u8 op, __u64 a1, __u64 a2)
{
	if (op == SL_PRIV_SECCOMP)
		return (__u32)a1 <= 1;
	switch ((__s32)a1) {
	case 4:
	case 0x59616d61:
	case 8:
	case 22:
	case 24:
	case 28:
	case 38:
		return true;
	case 47:
		return a2 >= 2 && a2 <= 4;
	}
	return false;
}

/* Namespace calls recorded: unshare, clone and clone3 that make a new namespace (any CLONE_NEW*
 * flag; clone's low byte is its exit signal, not CLONE_NEWTIME); every setns. */
static __always_inline bool ns_recorded(__u8 op, __u64 flags)
{
	switch (op) {
	case SL_PRIV_UNSHARE:
	case SL_PRIV_CLONE3:
		return flags & SL_CLONE_NEW_MASK;
	case SL_PRIV_CLONE:
		return flags & (SL_CLONE_NEW_MASK & ~SL_CLONE_NEWTIME);
	}
	return true;
}

#define SL_NSFS_MAGIC 0x6e736673 /* linux/magic.h NSFS_MAGIC */

/* Where a namespace's type is: in struct ns_common since Linux 6.18, before in its operations. */
struct ns_common___typed {
	__u32 ns_type;
};
struct proc_ns_operations___old {
	int type;
};
struct ns_common___old {
	const struct proc_ns_operations___old *ops;
};

/* The namespace a setns fd names: its inode number (0: not a namespace file: a pidfd, or no
 * file) and its type (a CLONE_NEW* bit), read at the call's exit, when the fd is still open. */
static __always_inline __u32 ns_of_fd(long fd, __s64 *type)
{
	struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
	if (!f)
		return 0;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	if (!ino || BPF_CORE_READ(ino, i_sb, s_magic) != SL_NSFS_MAGIC)
		return 0;
	void *ns = BPF_CORE_READ(ino, i_private);
	if (bpf_core_field_exists(struct ns_common___typed, ns_type))
		*type = BPF_CORE_READ((struct ns_common___typed *)ns, ns_type);
	else if (bpf_core_field_exists(struct proc_ns_operations___old, type))
		*type = BPF_CORE_READ((struct ns_common___old *)ns, ops, type);
	return (__u32)BPF_CORE_READ(ino, i_ino);
}

static __always_inline void priv_exit(long ret, const struct sys_args *a)
{
	struct sl_priv e = {};
	fill_hdr(&e.h, SL_K_PRIV);
	e.ret = ret;
	e.a1 = a->a1;
	e.a2 = a->a2;
	e.a3 = a->flags;
	e.target = a->dfd == NO_FD ? -1 : (__s32)a->dfd;
	e.op = a->op;
	if (a->op == SL_PRIV_CLONE3 && a->path) {
		/* clone_args unreadable at the entry: the kernel has faulted them in since. What
		 * they hold now need not be what the kernel read at the entry (a vfork child or
		 * another thread may have rewritten them), so the call is recorded whatever they
		 * say, marked as read late; never dropped. */
		__u64 flags = 0;
		if (bpf_probe_read_user(&flags, sizeof(flags), (void *)a->path))
			e.h.flags |= SL_F_FAULT; /* unreadable still: recorded, flags unknown */
		else
			e.h.flags |= SL_F_LATE;
		e.a1 = flags;
	}
	if (a->op == SL_PRIV_SETNS) {
		e.a3 = 0;
		e.ns = ns_of_fd((int)a->a1, &e.a3);
	}
	if (a->op == SL_PRIV_SETGROUPS) {
		/* the first SL_GROUPS_KEPT groups of the list, two to an argument */
		__u32 g[SL_GROUPS_KEPT] = {};
		for (int i = 0; i < SL_GROUPS_KEPT; i++)
			if (i < (int)a->a1 &&
			    bpf_probe_read_user(&g[i], sizeof(g[i]), (__u32 *)a->a2 + i))
				e.h.flags |= SL_F_FAULT;
		e.a2 = g[0] | ((__u64)g[1] << 32);
		e.a3 = g[2] | ((__u64)g[3] << 32);
	}
	if (a->op == SL_PRIV_CAPSET) {
		/* the sets given (read at the exit: the kernel copied them at the entry) */
		struct {
			__u32 version;
			__s32 pid;
		} hdr = {};
		__u32 d[6] = {}; /* {effective, permitted, inheritable} x (1 for v1, 2 for v2 and v3) */
		e.a1 = e.a2 = e.a3 = 0;
		if (bpf_probe_read_user(&hdr, sizeof(hdr), (void *)a->a1) ||
		    bpf_probe_read_user(d, hdr.version == 0x19980330 ? 12 : 24, (void *)a->a2)) {
			e.h.flags |= SL_F_FAULT;
		} else {
			e.a1 = d[0] | ((__u64)d[3] << 32);
			e.a2 = d[1] | ((__u64)d[4] << 32);
			e.a3 = d[2] | ((__u64)d[5] << 32);
		}
		e.target = hdr.pid ? hdr.pid : -1; /* 0: the caller itself */
	}
	if (bpf_ringbuf_output(&rb_events, &e, sizeof(e), wake_flags(&rb_events)))
		count_drop(SL_K_PRIV);
}

/* ---------------------------------------------------------------- the gate for mmap */

/* An executable mapping of a file (stashed only for PROT_EXEC, not anonymous, fd >= 0): the
 * gate, with where it was mapped. */
static __always_inline void mmap_exit(long ret, const struct sys_args *a)
{
	if (ret < 0 && ret > -4096)
		return;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file *f = fd_file(t, a->dfd);
	if (!f)
		return;
	gate(t, BPF_CORE_READ(f, f_inode), SL_GATE_MMAP, ret, a->dfd);
}

/* ---------------------------------------------------------------- TLS */

struct tls_loop {
	__u64 conn;
	__u64 buf;
	__u64 seq;
	__u32 total;  /* bytes the call moved */
	__u32 keep;   /* bytes we record: min(total, max_tls_bytes) */
	__u16 target;
	__u8 dir;
	__u8 trunc;
};

static long tls_chunk(__u32 i, struct tls_loop *c)
{
	__u32 off = i * SL_TLS_CHUNK;
	if (off >= c->keep)
		return 1;
	__u32 n = c->keep - off;
	if (n > SL_TLS_CHUNK)
		n = SL_TLS_CHUNK;
	struct sl_tls *e = scratch_of(&scratch_tls);
	if (!e)
		return 1;
	fill_hdr(&e->h, SL_K_TLS);
	e->conn = c->conn;
	e->seq = c->seq;
	e->total = c->total;
	e->offset = off;
	e->target = c->target;
	e->dir = c->dir;
	e->_pad = 0;
	if (off + n >= c->keep)
		e->h.flags |= SL_F_LAST;
	if (c->trunc)
		e->h.flags |= SL_F_TRUNC;
	n = CLAMP(n, SL_TLS_CHUNK);
	if (bpf_probe_read_user(e->data, n, (void *)(c->buf + off))) {
		e->h.flags |= SL_F_FAULT;
		n = 0;
	}
	e->len = n;
	if (bpf_ringbuf_output(&rb_tls, e, CLAMP(sizeof(*e) + n, sizeof(*e) + SL_TLS_CHUNK),
			       wake_flags(&rb_tls)))
		count_drop(SL_K_TLS);
	return 0;
}

/*
 * Records a TLS call, its loop's state copied from `p`. A global function: the verifier
 * checks the steps once per program, with the state as any values (not once for each way the
 * hook's own code reached the loop and each value of the state it could tell apart there).
 */
__noinline int sl_tls_chunks(const struct tls_loop *p)
{
	if (!p)
		return 0;
	struct tls_loop c = *p;
	bpf_loop((c.keep + SL_TLS_CHUNK - 1) / SL_TLS_CHUNK, tls_chunk, &c, 0);
	return 0;
}

static __always_inline void tls_emit(void *ctx, __u64 conn, __u8 dir, __u64 buf, __u64 len)
{
	if (!len || !buf)
		return;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct seq_key k = {.conn = conn, .tgid = tgid, .dir = dir};
	__u64 seq = 0;
	__u64 *v = bpf_map_lookup_elem(&tls_seq, &k);
	if (v) {
		seq = __sync_fetch_and_add(v, 1);
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&tls_seq, &k, &one, BPF_ANY);
	}
	struct tls_loop c = {};
	c.conn = conn;
	c.buf = buf;
	c.seq = seq;
	c.total = len > 0xffffffffULL ? 0xffffffff : len;
	c.keep = c.total;
	if (c.keep > max_tls_bytes) {
		c.keep = max_tls_bytes;
		c.trunc = 1;
	}
	c.target = bpf_get_attach_cookie(ctx) & 0xffff; /* higher bits: hook parameters */
	c.dir = dir;
	sl_tls_chunks(&c);
}

/* A hook's parameters ride in its attach cookie: bits 0..15 name the target (file and
 * function), bits 32..39 the argument holding a per-direction context (ring), bits 40..47 the
 * argument holding the byte-count pointer (OpenSSL's ssl_write_internal); each as index + 1,
 * 0 when unset. */
#define COOKIE_CTX_ARG 32
#define COOKIE_LEN_ARG 40

static __always_inline __u32 cookie_param(void *ctx, int shift)
{
	return (bpf_get_attach_cookie(ctx) >> shift) & 0xff;
}

/* Argument k - 1 (1..6), or 0 for k = 0. Loaded into a local array first: the verifier
 * refuses a computed offset into the register context. */
static __always_inline __u64 arg_n(struct pt_regs *ctx, __u32 k)
{
	__u64 r[8] = {0, ctx->di, ctx->si, ctx->dx, ctx->cx, ctx->r8, ctx->r9, 0};
	return r[BOUND(k, 7)];
}

/* The stash key's function part: the program's function and the hook's target, so that
 * nested hooks (a wrapper and the function it calls, both hooked) keep apart. */
static __always_inline __u32 stash_fn(void *ctx, __u32 fn)
{
	return fn | (__u32)(bpf_get_attach_cookie(ctx) & 0xffff) << 8;
}

/* The entry half of a hook: its arguments kept under (thread, function) until it returns. */
static __always_inline void stash_put(void *ctx, __u64 id, __u32 fn, struct tls_args *a)
{
	struct tls_key k = {.id = id, .fn = stash_fn(ctx, fn),
			    .tgid = bpf_get_current_pid_tgid() >> 32};
	bpf_map_update_elem(&tls_stash, &k, a, BPF_ANY);
}

/* The return half: takes (copies out and removes) what the entry kept; false when nothing. */
static __always_inline bool stash_take(void *ctx, __u64 id, __u32 fn, struct tls_args *out)
{
	struct tls_key k = {.id = id, .fn = stash_fn(ctx, fn),
			    .tgid = bpf_get_current_pid_tgid() >> 32};
	struct tls_args *pa = bpf_map_lookup_elem(&tls_stash, &k);
	if (!pa)
		return false;
	*out = *pa;
	bpf_map_delete_elem(&tls_stash, &k);
	return true;
}

static __always_inline int tls_enter(void *ctx, __u32 fn, __u64 conn, __u64 buf, __u64 lenp)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct tls_args a = {.conn = conn, .buf = buf, .lenp = lenp};
	stash_put(ctx, id, fn, &a);
	return 0;
}

static __always_inline int tls_leave(void *ctx, __u32 fn, __u8 dir, long ret)
{
	struct tls_args a;
	if (!stash_take(ctx, bpf_get_current_pid_tgid(), fn, &a))
		return 0;
	__u64 len = 0;
	if (a.lenp) { /* the _ex variants: 1 on success, bytes in *lenp */
		if (ret != 1)
			return 0;
		bpf_probe_read_user(&len, sizeof(len), (void *)a.lenp);
	} else {
		if (ret <= 0)
			return 0;
		len = ret;
	}
	tls_emit(ctx, a.conn, dir, a.buf, len);
	return 0;
}

/* The return probe of a TLS function that moves bytes: emits what was moved in direction
 * `dir` (tls_leave). */
#define TLS_LEAVE_PROBE(name, fn, dir, ret_t)                                   \
	SEC("uretprobe")                                                       \
	int BPF_KRETPROBE(name##_ret, ret_t ret)                               \
	{                                                                      \
		return tls_leave(ctx, fn, dir, ret);                            \
	}

/* The entry and return probes of a function shaped `ret_t f(conn, buf, count)` that returns
 * the bytes it moved or an error (SSL_write/SSL_read, gnutls_record_send/recv): the entry
 * stashes the connection and buffer, the return emits what was moved in direction `dir`. */
#define TLS_MOVE_PROBES(name, fn, dir, ret_t)                                   \
	SEC("uprobe")                                                          \
	int BPF_KPROBE(name##_entry, void *conn, void *buf)                    \
	{                                                                      \
		return tls_enter(ctx, fn, (__u64)conn, (__u64)buf, 0);          \
	}                                                                      \
	TLS_LEAVE_PROBE(name, fn, dir, ret_t)

TLS_MOVE_PROBES(sl_ssl_write, FN_SSL_WRITE, SL_TLS_WRITE, int)
TLS_MOVE_PROBES(sl_ssl_read, FN_SSL_READ, SL_TLS_READ, int)

/* The same for `int f(ssl, buf, num, size_t *moved)` (SSL_write_ex/SSL_read_ex): 1 on success,
 * the bytes in *moved (the argument a cookie's COOKIE_LEN_ARG names, where it names one). */
#define TLS_MOVE_EX_PROBES(name, fn, dir)                                       \
	SEC("uprobe")                                                          \
	int BPF_KPROBE(name##_entry, void *ssl, void *buf, __u64 num, __u64 *moved) \
	{                                                                      \
		__u32 k = cookie_param(ctx, COOKIE_LEN_ARG);                   \
		return tls_enter(ctx, fn, (__u64)ssl, (__u64)buf,              \
				 k ? arg_n(ctx, k) : (__u64)moved);            \
	}                                                                      \
	TLS_LEAVE_PROBE(name, fn, dir, int)

TLS_MOVE_EX_PROBES(sl_ssl_write_ex, FN_SSL_WRITE_EX, SL_TLS_WRITE)
TLS_MOVE_EX_PROBES(sl_ssl_read_ex, FN_SSL_READ_EX, SL_TLS_READ)

SEC("uprobe")
int BPF_KPROBE(sl_ssl_free_entry, void *ssl)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	struct seq_key k = {.conn = (__u64)ssl, .tgid = tgid, .dir = SL_TLS_WRITE};
	bool known = bpf_map_delete_elem(&tls_seq, &k) == 0;
	k.dir = SL_TLS_READ;
	known = (bpf_map_delete_elem(&tls_seq, &k) == 0) || known;
	if (!known)
		return 0;
	struct sl_tls_free e = {};
	fill_hdr(&e.h, SL_K_TLS_FREE);
	e.conn = (__u64)ssl;
	e.target = bpf_get_attach_cookie(ctx);
	if (bpf_ringbuf_output(&rb_tls, &e, sizeof(e), wake_flags(&rb_tls)))
		count_drop(SL_K_TLS_FREE);
	return 0;
}

/* ---------------------------------------------------------------- contexts to sockets
 *
 * A per-direction context (the AEAD above) does not say which connection it serves. The
 * socket does: an open() follows the read of its ciphertext from the connection's socket on
 * the same thread, and a seal() is followed by the write of its record to that socket. These
 * programs, active only while sock_watch has WATCH_CTX, keep each thread's last TCP socket
 * read and its pending sealed context, and report (context, fd) at each use and socket closes.
 *
 * Only TCP sockets (AF_INET or AF_INET6, SOCK_STREAM) count, for the read and for the write:
 * a TLS record to an LLM API travels over TCP, never over a Unix socket or UDP. And a thread
 * of an async runtime uses those between a record's read and its open, or between its seal
 * and its write: tokio's signal driver is a Unix socketpair, written by the signal handler
 * (SIGCHLD at each child's exit) on whatever thread the signal lands, read by the thread that
 * runs the driver; its DNS answers come on UDP. Counted, such a socket took the record to a
 * connection of its own, and one record missing from a compressed WebSocket loses the rest.
 */

static __always_inline struct file *sock_file(long fd)
{
	struct file *f = fd_file((struct task_struct *)bpf_get_current_task(), fd);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	return (mode & S_IFMT) == S_IFSOCK ? f : NULL;
}

/* Any socket: what a close forgets (user space only ever pairs TCP ones). */
static __always_inline bool is_socket(long fd)
{
	return sock_file(fd) != NULL;
}

/* 1 for a TCP socket: the only kind a TLS record's context is paired with (see above). A
 * global function: verified once, not in each system call that asks (the reads; write, writev,
 * sendto, sendmsg). */
__noinline int sl_tcp_socket(long fd)
{
	struct file *f = sock_file(fd);
	if (!f)
		return 0;
	struct socket *so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, type) != SOCK_STREAM)
		return 0;
	__u16 family = BPF_CORE_READ(so, sk, __sk_common.skc_family);
	return family == AF_INET || family == AF_INET6;
}

/* Reported for every use: a context's memory is reused by later connections. */
static __always_inline void report_ctx_fd(void *rb, __u64 ctx, long fd, __u8 dir)
{
	struct sl_ctxfd e = {};
	fill_hdr(&e.h, SL_K_CTXFD);
	e.ctx = ctx;
	e.fd = fd;
	e.dir = dir;
	if (bpf_ringbuf_output(rb, &e, sizeof(e), wake_flags(rb)))
		count_drop(SL_K_CTXFD);
}

/* A decrypting call's connection and the socket its thread last read from (context fd). */
static __always_inline void note_read_ctx(__u64 conn)
{
	if (sock_watch & WATCH_CTX) {
		struct thread_state *ts = thread_state(false);
		if (ts && ts->last_sock_read >= 0)
			report_ctx_fd(&rb_tls, conn, ts->last_sock_read, SL_TLS_READ);
	}
}

/* ---------------------------------------------------------------- AEAD (rustls over aws-lc)
 *
 * rustls has no C API: its record layer encrypts each TLS record with aws-lc's
 * EVP_AEAD_CTX_seal(ctx, out, out_len*, max_out, nonce, nonce_len, in, in_len, ad, ad_len) and
 * decrypts with EVP_AEAD_CTX_open (same arguments, plaintext into out). Arguments 7-10 are on
 * the stack. The AAD tells the record apart from other uses of the AEAD and its version:
 * TLS 1.3: 5 bytes, the outer header 17 03 03 LEN; the plaintext ends with the real content
 * type (then optional zero padding). TLS 1.2: 13 bytes, seq(8) type 03 03 LEN. Only
 * application data is emitted, without the TLS 1.3 content-type byte. conn is the context
 * pointer: one per connection and direction (user space pairs them).
 */

#define TLS_APPDATA 0x17

/* The record type of an AAD: 0 for TLS 1.3 (type is inside the plaintext), the TLS 1.2
 * type, or -1 when the AAD is not a TLS record header. */
static __always_inline int aad_kind(__u64 ad, __u64 ad_len)
{
	__u8 h[13] = {};
	if (ad_len == 5) {
		if (bpf_probe_read_user(h, 5, (void *)ad))
			return -1;
		return (h[0] == TLS_APPDATA && h[1] == 3 && h[2] == 3) ? 0 : -1;
	}
	if (ad_len == 13) {
		if (bpf_probe_read_user(h, 13, (void *)ad))
			return -1;
		return (h[9] == 3 && h[10] <= 3) ? h[8] : -1;
	}
	return -1;
}

/*
 * For TLS 1.3 plaintext of `len` bytes: the content type (last non-zero byte) and the
 * content length before it; -1 if there is none within the last 16 bytes. A global function:
 * its sixteen ways out were each a state of their own for the verifier, which then walked
 * tls_emit after it once for each (and the bytes beyond `len` are zeros, skipped as padding
 * is, so the search does not ask about `len` at each byte).
 */
__noinline int sl_tls13_inner(__u64 buf, __u64 len, __u64 *content_len)
{
	__u8 tail[16] = {};
	if (len == 0 || !content_len)
		return -1;
	__u64 n = len < 16 ? len : 16;
	if (bpf_probe_read_user(tail, n & 31, (void *)(buf + len - n)))
		return -1;
	for (int i = 15; i >= 0; i--) {
		if (tail[i]) {
			*content_len = len - n + i;
			return tail[i];
		}
	}
	return -1;
}

static __always_inline __u64 stack_arg(struct pt_regs *ctx, int slot)
{
	__u64 v = 0;
	bpf_probe_read_user(&v, sizeof(v), (void *)(PT_REGS_SP(ctx) + 8 * slot));
	return v;
}

/* rustls seals in place (out == in): the plaintext is only there at entry, so the record is
 * emitted here; a failing seal (which aborts the connection) would still be recorded. */
SEC("uprobe")
int sl_aead_seal_entry(struct pt_regs *ctx)
{
	if (!current_traced())
		return 0;
	__u64 in = stack_arg(ctx, 1), in_len = stack_arg(ctx, 2);
	__u64 ad = stack_arg(ctx, 3), ad_len = stack_arg(ctx, 4);
	int kind = aad_kind(ad, ad_len);
	if (kind < 0 || (kind > 0 && kind != TLS_APPDATA))
		return 0;
	__u64 len = in_len;
	if (kind == 0 && sl_tls13_inner(in, in_len, &len) != TLS_APPDATA)
		return 0; /* handshake, alert: not plaintext the application wrote */
	__u64 actx = PT_REGS_PARM1(ctx);
	tls_emit(ctx, actx, SL_TLS_WRITE, in, len);
	if (sock_watch & WATCH_CTX) {
		struct thread_state *ts = thread_state(true);
		if (ts)
			ts->pending_seal = actx;
	}
	return 0;
}

SEC("uprobe")
int sl_aead_open_entry(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u64 ad = stack_arg(ctx, 3), ad_len = stack_arg(ctx, 4);
	int kind = aad_kind(ad, ad_len);
	if (kind < 0 || (kind > 0 && kind != TLS_APPDATA))
		return 0;
	struct tls_args a = {.conn = PT_REGS_PARM1(ctx), .buf = PT_REGS_PARM2(ctx),
			     .lenp = PT_REGS_PARM3(ctx), .tls12 = kind};
	stash_put(ctx, id, FN_AEAD_OPEN, &a);
	note_read_ctx(a.conn);
	return 0;
}

SEC("uretprobe")
int sl_aead_open_ret(struct pt_regs *ctx)
{
	struct tls_args a;
	if (!stash_take(ctx, bpf_get_current_pid_tgid(), FN_AEAD_OPEN, &a))
		return 0;
	if (PT_REGS_RC(ctx) != 1 || !a.lenp)
		return 0;
	__u64 n = 0;
	if (bpf_probe_read_user(&n, sizeof(n), (void *)a.lenp))
		return 0;
	__u64 len = n;
	if (a.tls12 == 0 && sl_tls13_inner(a.buf, n, &len) != TLS_APPDATA)
		return 0;
	tls_emit(ctx, a.conn, SL_TLS_READ, a.buf, len);
	return 0;
}

/* ---------------------------------------------------------------- ring (rustls's ring provider)
 *
 * ring's AEAD seal(key, nonce, aad, in_out, ..) and open(key, nonce, aad, in_out, src, ..) are
 * Rust functions called through ring's algorithm table, with Rust's calling convention, which
 * is not fixed. So the AAD (ptr, len) and the record's in/out slice (ptr, len) are found among
 * the argument registers and the first stack words by what they hold: the AAD is the TLS record
 * header, TLS 1.3: 5 bytes 17 03 03 LL LL, and in_out then holds LL - 16 bytes (the tag is
 * apart); TLS 1.2: 13 bytes seq(8) type 03 03 LL LL, LL plaintext bytes, in_out LL bytes (or
 * LL + 8 on open: the explicit nonce, moved out in place). seal encrypts in place, so its
 * plaintext is read at entry; open decrypts into in_out[0..], read at return. The key (one
 * per connection and direction, like aws-lc's context) is the argument the locator names,
 * passed in the attach cookie (COOKIE_CTX_ARG).
 */

#define RING_ARGS 10

struct ring_rec {
	__u64 buf;
	__u64 len;
	__u64 key;
	int kind; /* 0: TLS 1.3, else the TLS 1.2 record type */
};

/* the search state, walked by bpf_loop (a nested unrolled search is too much to verify) */
struct ring_scan {
	__u64 v[16];
	__u64 want, want2, plain;
	__s32 kind;
	__s32 aad; /* index of the AAD pointer, -1 until found */
	__s32 io;  /* index of the in/out pointer, -1 until found */
	__u32 open;
};

static long ring_aad_step(__u32 i, struct ring_scan *s)
{
	if (i >= RING_ARGS - 1)
		return 1;
	__u64 p = s->v[BOUND(i, 15)], alen = s->v[BOUND(i + 1, 15)];
	__u8 h[13] = {};
	if (alen == 5) {
		if (bpf_probe_read_user(h, 5, (void *)p))
			return 0;
		if (h[0] != TLS_APPDATA || h[1] != 3 || h[2] != 3)
			return 0;
		__u64 ll = ((__u64)h[3] << 8) | h[4];
		if (ll <= 16)
			return 0;
		s->want = s->want2 = s->plain = ll - 16;
		s->kind = 0;
	} else if (alen == 13) {
		if (bpf_probe_read_user(h, 13, (void *)p))
			return 0;
		if (h[9] != 3 || h[10] > 3)
			return 0;
		s->plain = s->want = ((__u64)h[11] << 8) | h[12];
		s->want2 = s->open ? s->want + 8 : s->want;
		s->kind = h[8];
	} else {
		return 0;
	}
	s->aad = i;
	return 1;
}

static long ring_io_step(__u32 j, struct ring_scan *s)
{
	if (j >= RING_ARGS - 1)
		return 1;
	__s32 i = s->aad;
	if ((__s32)j == i || (__s32)j == i + 1 || (__s32)j + 1 == i)
		return 0;
	__u64 len = s->v[BOUND(j + 1, 15)];
	if ((len != s->want && len != s->want2) || !s->v[BOUND(j, 15)])
		return 0;
	s->io = j;
	return 1;
}

static __always_inline int ring_find(struct pt_regs *ctx, bool open, struct ring_rec *r)
{
	struct ring_scan s = {.aad = -1, .io = -1, .open = open};
	s.v[0] = ctx->di;
	s.v[1] = ctx->si;
	s.v[2] = ctx->dx;
	s.v[3] = ctx->cx;
	s.v[4] = ctx->r8;
	s.v[5] = ctx->r9;
	s.v[6] = stack_arg(ctx, 1);
	s.v[7] = stack_arg(ctx, 2);
	s.v[8] = stack_arg(ctx, 3);
	s.v[9] = stack_arg(ctx, 4);
	bpf_loop(RING_ARGS - 1, ring_aad_step, &s, 0);
	if (s.aad < 0)
		return -1;
	bpf_loop(RING_ARGS - 1, ring_io_step, &s, 0);
	if (s.io < 0)
		return -1;
	r->key = arg_n(ctx, cookie_param(ctx, COOKIE_CTX_ARG));
	r->buf = s.v[BOUND(s.io, 15)];
	r->len = s.plain;
	r->kind = s.kind;
	return 0;
}

SEC("uprobe")
int sl_ring_seal_entry(struct pt_regs *ctx)
{
	if (!current_traced())
		return 0;
	struct ring_rec r = {};
	if (ring_find(ctx, false, &r))
		return 0;
	if (r.kind > 0 && r.kind != TLS_APPDATA)
		return 0;
	__u64 len = r.len;
	if (r.kind == 0 && sl_tls13_inner(r.buf, r.len, &len) != TLS_APPDATA)
		return 0;
	tls_emit(ctx, r.key, SL_TLS_WRITE, r.buf, len);
	if (sock_watch & WATCH_CTX) {
		struct thread_state *ts = thread_state(true);
		if (ts)
			ts->pending_seal = r.key;
	}
	return 0;
}

SEC("uprobe")
int sl_ring_open_entry(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	struct ring_rec r = {};
	if (ring_find(ctx, true, &r))
		return 0;
	if (r.kind > 0 && r.kind != TLS_APPDATA)
		return 0;
	struct tls_args a = {.conn = r.key, .buf = r.buf, .len = r.len, .tls12 = r.kind};
	stash_put(ctx, id, FN_RING_OPEN, &a);
	note_read_ctx(a.conn);
	return 0;
}

/* open's result says nothing of the tag (ring checks it after): an open that fails ends
 * the connection, so at most its last record is unauthenticated. */
SEC("uretprobe")
int sl_ring_open_ret(struct pt_regs *ctx)
{
	struct tls_args a;
	if (!stash_take(ctx, bpf_get_current_pid_tgid(), FN_RING_OPEN, &a))
		return 0;
	__u64 len = a.len;
	if (a.tls12 == 0 && sl_tls13_inner(a.buf, a.len, &len) != TLS_APPDATA)
		return 0;
	tls_emit(ctx, a.conn, SL_TLS_READ, a.buf, len);
	return 0;
}

/* ---------------------------------------------------------------- GnuTLS
 *
 * ssize_t gnutls_record_send(gnutls_session_t session, const void *data, size_t size) and
 * ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t size): the same
 * shape as SSL_write/SSL_read (bytes moved, or a negative error); the session names the
 * connection and gnutls_deinit(session) ends it.
 */

TLS_MOVE_PROBES(sl_gnutls_send, FN_GNUTLS_SEND, SL_TLS_WRITE, long)
TLS_MOVE_PROBES(sl_gnutls_recv, FN_GNUTLS_RECV, SL_TLS_READ, long)

/* ---------------------------------------------------------------- Go crypto/tls
 *
 * Go's register ABI (1.17+): (*Conn).Write(b []byte) and (*Conn).Read(b []byte) get the
 * receiver in RAX and b in RBX (ptr), RCX (len); they return n in RAX. uretprobes corrupt Go
 * stacks (which move), so Write is recorded at entry (its bytes are all there) and Read at
 * each RET instruction, with the buffer stashed at entry by goroutine (R14 holds g; a
 * goroutine blocked in Read may resume on another thread).
 */

SEC("uprobe")
int sl_go_write_entry(struct pt_regs *ctx)
{
	if (!current_traced())
		return 0;
	tls_emit(ctx, ctx->ax, SL_TLS_WRITE, ctx->bx, ctx->cx);
	return 0;
}

SEC("uprobe")
int sl_go_read_entry(struct pt_regs *ctx)
{
	if (!current_traced())
		return 0;
	struct tls_args a = {.conn = ctx->ax, .buf = ctx->bx};
	stash_put(ctx, ctx->r14, FN_GO_READ, &a);
	return 0;
}

/* attached as a uprobe at every RET of (*Conn).Read */
SEC("uprobe")
int sl_go_read_ret(struct pt_regs *ctx)
{
	struct tls_args a;
	if (!current_traced())
		return 0; /* (and what it stashed is cleared at the session's end) */
	if (!stash_take(ctx, ctx->r14, FN_GO_READ, &a))
		return 0;
	long n = ctx->ax;
	if (n > 0)
		tls_emit(ctx, a.conn, SL_TLS_READ, a.buf, n);
	return 0;
}

static __always_inline void sock_read_enter(long fd)
{
	struct thread_state *ts = thread_state(true);
	if (ts)
		ts->reading_fd = fd;
}

static __always_inline void sock_read_exit(long ret)
{
	struct thread_state *ts = thread_state(false);
	if (!ts || ts->reading_fd < 0)
		return;
	__s64 fd = ts->reading_fd;
	ts->reading_fd = -1;
	if (ret > 0 && sl_tcp_socket(fd))
		ts->last_sock_read = fd;
}

static __always_inline void sock_write_enter(long fd)
{
	if (!(sock_watch & WATCH_CTX))
		return;
	struct thread_state *ts = thread_state(false);
	if (!ts || !ts->pending_seal)
		return;
	__u64 c = ts->pending_seal;
	if (!sl_tcp_socket(fd)) /* a signal handler's socketpair, a DNS query: not its record */
		return;
	ts->pending_seal = 0;
	report_ctx_fd(&rb_tls, c, fd, SL_TLS_WRITE);
}

static __always_inline void sock_close(long fd)
{
	/* a socket of dns_socks, UDP or TCP: forgotten (its fd may be reused by another) */
	if (sock_watch & (WATCH_DNS_TCP | WATCH_DNS_SOCKS)) {
		__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
		bpf_map_delete_elem(&dns_socks, &key);
	}
	if (!(sock_watch & WATCH_CTX) || !is_socket(fd))
		return;
	struct sl_fdclose e = {};
	fill_hdr(&e.h, SL_K_FDCLOSE);
	e.fd = fd;
	if (bpf_ringbuf_output(&rb_tls, &e, sizeof(e), wake_flags(&rb_tls)))
		count_drop(SL_K_FDCLOSE);
}

/* ---------------------------------------------------------------- system calls
 *
 * Two programs see every system call of every task on the host (raw tracepoints sys_enter
 * and sys_exit: two links, however many calls are recorded). The call's number indexes sys_specs
 * (syscalls.h), which says how it is recorded. A call the table does not name returns after
 * one load; one it names, after a test of the process's bit in the traced set (and, for the
 * socket-watching calls, of sock_watch first). So a task outside the capture pays the
 * same small amount whatever the table grows to.
 */

#define TS_COMPAT 0x0002 /* thread_info.status: a 32-bit (ia32) system call is in progress */

/*
 * The value a sys_spec field names: ARG(i), AT_CWD, or NONE (0). `args` holds 0 and the six
 * argument registers (x86-64 calling convention) and a 0: one load at a computed offset, where
 * a switch on the argument was six ways for the verifier at each of the eight fields.
 */
static __always_inline __u64 spec_value(const __u64 *args, __s8 v)
{
	if (v == AT_CWD)
		return (__u64)AT_FDCWD;
	if (v <= 0 || v > 6)
		return 0;
	return args[BOUND(v, 7)];
}

#include "ipc.bpf.h"

/*
 * A read's exit (`ret` bytes) on a socket of dns_socks a question was sent on: the answer in its
 * buffer (a readv's or recvmsg's first iovec), all from the call's registers at its exit
 * (x86-64 leaves the argument registers as they were: `uregs`), so that its entry need not
 * look at reads at all (an untraced process's reads pass sl_sys_enter's gate untouched while
 * only DNS sockets are watched). A peek (MSG_PEEK) is not the answer read: its bytes come
 * again with the read that takes them. `how`: IPC_HOW of the call's sys_spec. A global
 * function, verified once; the registers and msghdr in the scratch buffer.
 */
__noinline int sl_dns_read_exit(__u64 uregs, __u32 how, __s64 ret)
{
	if (ret <= 0)
		return 0;
	/* an ia32 call's number names another call (its arguments are in other registers) */
	if (bpf_get_current_task_btf()->thread_info.status & TS_COMPAT)
		return 0;
	__u32 recv = how >> 4;
	how &= 15;
	struct {
		__u64 r10, r9, r8, ax, cx, dx, si, di; /* pt_regs from r10 to di */
		struct user_msghdr m;
		struct iovec iov;
	} *w = scratch_of(&scratch_ev);
	if (!w || bpf_probe_read_kernel(w, 64, (void *)uregs + offsetof(struct pt_regs, r10)))
		return 0;
	__s64 fd = (int)w->di;
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | (__u32)fd;
	struct dns_peer *p = bpf_map_lookup_elem(&dns_socks, &key);
	if (!p || !p->asked)
		return 0;
	if (recv == IPC_RECV && ((how == IPC_MSG ? w->dx : w->r10) & SL_MSG_PEEK))
		return 0;
	w->iov.iov_base = (void *)w->si;
	w->iov.iov_len = w->dx;
	if (how == IPC_IOV) {
		if (!w->dx || bpf_probe_read_user(&w->iov, sizeof(w->iov), (void *)w->si))
			return 0;
	} else if (how == IPC_MSG) {
		if (bpf_probe_read_user(&w->m, sizeof(w->m), (void *)w->si) || !w->m.msg_iov ||
		    !w->m.msg_iovlen ||
		    bpf_probe_read_user(&w->iov, sizeof(w->iov), w->m.msg_iov))
			return 0;
	}
	__u64 buf = (__u64)w->iov.iov_base, cap = w->iov.iov_len;
	sl_dns_recv(fd, buf, (__u64)ret < cap ? (__u64)ret : cap);
	return 0;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sl_sys_enter, struct pt_regs *uregs, long nr)
{
	if ((__u64)nr >= SYS_NR_MAX)
		return 0;
	const struct sys_spec *s = &sys_specs[nr];
	__u8 h = s->handler;
	/* reads for TLS contexts (a DNS answer is looked for at the read's exit only); writes for
	 * those and DNS questions; closes for those and dns_socks */
	if (h == SH_NONE || (h >= SH_WATCH_FIRST && h <= SH_WATCH_LAST &&
			     !(sock_watch & (h == SH_SOCK_READ ? WATCH_CTX
							       : (WATCH_CTX | WATCH_DNS_TCP | WATCH_DNS_SOCKS)))))
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	/* ia32 calls have other numbers (the syscall tracepoints skip them too) */
	if (bpf_get_current_task_btf()->thread_info.status & TS_COMPAT)
		return 0;
	struct pt_regs r;
	if (bpf_probe_read_kernel(&r, sizeof(r), uregs))
		return 0;
	struct pt_regs *regs = &r;

	long fd = (int)regs->di;
	__u64 clone3_flags = 0, clone3_args = 0;
	switch (h) {
	case SH_SOCK_READ:
		sock_read_enter(fd);
		return 0;
	case SH_SOCK_WRITE:
		sock_write_enter(fd);
		if (sock_watch & (WATCH_DNS_TCP | WATCH_DNS_SOCKS))
			dns_sock_write(fd, (void *)regs->si, regs->dx);
		return 0;
	case SH_SOCK_WRITEV:
		sock_write_enter(fd);
		if (sock_watch & (WATCH_DNS_TCP | WATCH_DNS_SOCKS))
			dns_sock_writev(fd, (struct iovec *)regs->si, regs->dx);
		return 0;
	case SH_CLOSE:
		sock_close(fd);
		return 0;
	case SH_SENDTO:
		sock_write_enter(fd);
		dns_send(fd, (void *)regs->r8, regs->r9, false, (void *)regs->si, regs->dx, 0,
			 DNS_WHOLE);
		return 0;
	case SH_SENDMSG:
		sock_write_enter(fd);
		dns_msghdr(fd, (struct user_msghdr *)regs->si, 0);
		return 0;
	case SH_SENDMMSG: {
		struct mmsghdr *v = (struct mmsghdr *)regs->si;
		__u32 vlen = regs->dx;
		/* a resolver sends A and AAAA together: look at the first two */
		if (vlen > 0)
			dns_msghdr(fd, (struct user_msghdr *)&v[0].msg_hdr, 0);
		if (vlen > 1)
			dns_msghdr(fd, (struct user_msghdr *)&v[1].msg_hdr, 0);
		return 0;
	}
	case SH_PRIV:
		if (s->op == SL_PRIV_PTRACE && !ptrace_recorded(regs->di))
			return 0;
		if (s->op >= SL_PRIV_KILL && s->op <= SL_PRIV_SIGQUEUE &&
		    !signal_recorded(s->op, regs->di, regs->si, regs->dx))
			return 0;
		if ((s->op == SL_PRIV_PRCTL || s->op == SL_PRIV_SECCOMP) &&
		    !prctl_recorded(s->op, regs->di, regs->si))
			return 0;
		if (s->op == SL_PRIV_CLONE3) {
			/* clone3(struct clone_args *, size): its flags come first. Their page may
			 * not be present yet (the kernel faults it in, this read cannot): then
			 * they are read again at the call's exit (clone3_args) and the call recorded
			 * whatever they say then (SL_F_LATE), never dropped. */
			clone3_flags = 0;
			if (bpf_probe_read_user(&clone3_flags, sizeof(clone3_flags), (void *)regs->di))
				clone3_args = regs->di;
		}
		if (s->op >= SL_PRIV_UNSHARE && !clone3_args &&
		    !ns_recorded(s->op, s->op == SL_PRIV_CLONE3 ? clone3_flags : regs->di))
			return 0;
		break;
	}

	/* the others are recorded at their exit: stash the arguments the spec names */
	struct sys_args a = {};
	a.nr = nr;
	a.handler = h;
	a.op = s->op;
	a.opts = s->opts;
	__u64 args[8] = {0, regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9, 0};
	a.dfd = s->dfd == NONE ? NO_FD : (int)spec_value(args, s->dfd);
	a.path = spec_value(args, s->path);
	a.flags = spec_value(args, s->flags) | s->flags_or;
	a.mode = spec_value(args, s->mode);
	a.dfd2 = (int)spec_value(args, s->dfd2);
	a.path2 = spec_value(args, s->path2);
	a.a1 = spec_value(args, s->a1);
	a.a2 = spec_value(args, s->a2);
	if (h == SH_PRIV && s->op == SL_PRIV_CLONE3) {
		a.a1 = clone3_flags;
		a.path = clone3_args; /* not 0: the flags are to be read at the exit */
	}
	if (s->alt_mask && (a.flags & s->alt_mask))
		a.op = s->alt_op;
	if (h == SH_OPENAT2) {
		struct open_how how = {};
		bpf_probe_read_user(&how, sizeof(how), (void *)regs->dx);
		a.flags = how.flags;
		a.mode = how.mode;
	} else if (h == SH_MMAP &&
		   (!(a.flags & PROT_EXEC) || (a.mode & MAP_ANONYMOUS) || a.dfd < 0)) {
		return 0;
	}
	struct thread_state *ts = thread_state(true);
	if (ts)
		ts->sys = a;
	else /* no memory for the thread's state: the record is lost, and counted */
		count_drop(h == SH_MMAP ? SL_K_GATE
			   : h == SH_PRIV ? SL_K_PRIV
			   : h >= SH_CONNECT && h <= SH_ACCEPT ? SL_K_NET : SL_K_FILE);
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sl_sys_exit, struct pt_regs *regs, long ret)
{
	/* the number is in the registers (a read): ask the traced set first */
	__u64 id = bpf_get_current_pid_tgid();
	if (!is_traced(id >> 32))
		return 0;
	__u64 nr = 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax);
	if (nr >= SYS_NR_MAX)
		return 0;
	__u8 h = sys_specs[nr].handler;
	__u32 how = IPC_HOW(sys_specs[nr]);
	if (ipc_enabled && (how & 15))
		sl_ipc_exit((__u64)regs, how, ret);
	if (h == SH_NONE || h > SH_EXIT_LAST ||
	    (h == SH_SOCK_READ && !(sock_watch & (WATCH_CTX | WATCH_DNS_SOCKS))))
		return 0;
	if (h == SH_SOCK_READ) {
		if (sock_watch & WATCH_CTX)
			sock_read_exit(ret);
		if (sock_watch & WATCH_DNS_SOCKS)
			sl_dns_read_exit((__u64)regs, how, ret);
		return 0;
	}
	struct thread_state *ts = thread_state(false);
	if (!ts || ts->sys.handler == SH_NONE)
		return 0;
	struct sys_args a = ts->sys;
	ts->sys.handler = SH_NONE;
	if (a.nr != nr) /* left by a call whose exit never came */
		return 0;
	switch (a.handler) {
	case SH_FILE:
	case SH_OPENAT2:
		file_emit(ret, &a, 0, 0);
		break;
	case SH_CONNECT:
		sl_connect_exit(id, ret, &a, SL_NET_CONNECT);
		break;
	case SH_BIND:
		sl_connect_exit(id, ret, &a, SL_NET_BIND);
		break;
	case SH_LISTEN:
		sl_sock_exit(ret, &a, SL_NET_LISTEN);
		break;
	case SH_ACCEPT:
		sl_sock_exit(ret, &a, SL_NET_ACCEPT);
		break;
	case SH_PRIV:
		priv_exit(ret, &a);
		break;
	case SH_MMAP:
		mmap_exit(ret, &a);
		break;
	}
	return 0;
}

#include "uring.bpf.h"
