/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * uring.bpf.h: the actions a traced process takes through io_uring (part of sightline.bpf.c,
 * which includes it after its system call programs, whose record builders it shares).
 *
 * With io_uring a process opens, renames, unlinks, connects... without the system calls the
 * sys_enter/sys_exit programs see: it writes the operation into a submission queue entry and
 * the kernel carries it out (in the submitting thread, an io-wq worker or the ring's SQPOLL
 * thread, all threads of the same process). The io_uring:io_uring_submit_req tracepoint fires
 * for every request after io_init_req has run the op's prep (io_uring/io_uring.c,
 * io_submit_sqe): paths are in struct filename, addresses copied into the request's struct
 * io_async_msghdr. The op's own struct (struct io_open, io_rename, io_connect... in
 * io_uring/ sources) overlays the first 64 bytes of struct io_kiocb (io_kiocb_to_cmd), and is read
 * here by CO-RE against the kernel's BTF, which describes them all.
 *
 * A request is recorded at its submission, in the same record as its system call twin with
 * SL_F_URING, and with SL_F_PENDING when its result is to follow: io_uring_complete (which
 * fires when the completion is posted, the result in req->cqe.res) then sends SL_K_URING_DONE.
 * bind, listen and accept are recorded at their completion, when the socket has its addresses
 * (a bind's address is the one the socket got, port 0 resolved).
 * Every request of a traced process is counted by opcode, and every one recorded: the
 * difference is what io_uring did that the capture could not decode (multishot accepts, fixed
 * files without an fd, ops with no twin here such as xattrs, uring_cmd, msg_ring); user space
 * reports it.
 */

/* uapi: io_init_req copies the SQE's IOSQE_* bits into the same REQ_F_* bits */
#define IOSQE_FIXED_FILE_BIT (1ULL << 0)
#define IOSQE_CQE_SKIP_BIT (1ULL << 6)
#define IORING_ACCEPT_MULTISHOT_FLAG (1U << 0)
#define AT_REMOVEDIR 0x200

/* Requests recorded at submission whose completion is awaited, by struct io_kiocb address. */
enum uring_wait {
	UW_DONE = 1,   /* send SL_K_URING_DONE with the result */
	UW_BIND = 2,   /* send the bind's SL_K_NET */
	UW_LISTEN = 3, /* send the listen's SL_K_NET */
	UW_ACCEPT = 4, /* send the accept's SL_K_NET */
};

struct uring_wait_v {
	__u64 id;
	__u32 pid;
	__u32 tid;
	__s32 fd;
	__u8 what; /* enum uring_wait */
	__u8 opcode;
	__u16 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct uring_wait_v);
} uring_waits SEC(".maps");

/* entries in uring_waits: with none, a completion costs one load */
__s64 uring_waiting;
/* the last request id given out (ids start at 1) */
__u64 uring_last_id;

/* io_uring requests of traced processes by opcode ([0, SL_URING_OPS)), and of those recorded
 * ([SL_URING_OPS, 2 * SL_URING_OPS)); the loader sums them into sl_stats */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SL_URING_OPS);
	__type(key, __u32);
	__type(value, __u64);
} uring_counts SEC(".maps");

static __always_inline void uring_count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&uring_counts, &slot);
	if (c)
		*c += 1;
}

/* Awaits the completion of `req`; returns its id, or 0 when it cannot be followed. */
static __always_inline __u64 uring_await(struct io_kiocb *req, __u8 what, __u8 opcode, __s32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct uring_wait_v v = {};
	v.id = __sync_fetch_and_add(&uring_last_id, 1) + 1;
	v.pid = id >> 32;
	v.tid = (__u32)id;
	v.fd = fd;
	v.what = what;
	v.opcode = opcode;
	__u64 key = (__u64)req;
	if (bpf_map_update_elem(&uring_waits, &key, &v, BPF_ANY))
		return 0;
	__sync_fetch_and_add(&uring_waiting, 1);
	return v.id;
}

/* A file operation's arguments from its command struct into `a`; false if not one. */
static __always_inline bool uring_file_args(struct io_kiocb *req, __u8 op, __s32 fd,
					    struct sys_args *a)
{
	a->kstr = 1;
	a->dfd2 = NO_FD;
	switch (op) {
	case IORING_OP_OPENAT:
	case IORING_OP_OPENAT2: {
		if (!bpf_core_type_exists(struct io_open))
			return false;
		struct io_open *o = (void *)req;
		a->op = SL_OP_OPEN;
		a->dfd = BPF_CORE_READ(o, dfd);
		a->path = (__u64)BPF_CORE_READ(o, filename, name);
		a->flags = BPF_CORE_READ(o, how.flags);
		a->mode = BPF_CORE_READ(o, how.mode);
		return true;
	}
	case IORING_OP_RENAMEAT: {
		if (!bpf_core_type_exists(struct io_rename))
			return false;
		struct io_rename *o = (void *)req;
		a->op = SL_OP_RENAME;
		a->dfd = BPF_CORE_READ(o, old_dfd);
		a->path = (__u64)BPF_CORE_READ(o, oldpath, name);
		a->dfd2 = BPF_CORE_READ(o, new_dfd);
		a->path2 = (__u64)BPF_CORE_READ(o, newpath, name);
		a->flags = BPF_CORE_READ(o, flags);
		return true;
	}
	case IORING_OP_UNLINKAT: {
		if (!bpf_core_type_exists(struct io_unlink))
			return false;
		struct io_unlink *o = (void *)req;
		a->flags = BPF_CORE_READ(o, flags);
		a->op = (a->flags & AT_REMOVEDIR) ? SL_OP_RMDIR : SL_OP_UNLINK;
		a->dfd = BPF_CORE_READ(o, dfd);
		a->path = (__u64)BPF_CORE_READ(o, filename, name);
		return true;
	}
	case IORING_OP_MKDIRAT: {
		if (!bpf_core_type_exists(struct io_mkdir))
			return false;
		struct io_mkdir *o = (void *)req;
		a->op = SL_OP_MKDIR;
		a->dfd = BPF_CORE_READ(o, dfd);
		a->mode = BPF_CORE_READ(o, mode);
		a->path = (__u64)BPF_CORE_READ(o, filename, name);
		return true;
	}
	case IORING_OP_SYMLINKAT:
	case IORING_OP_LINKAT: {
		if (!bpf_core_type_exists(struct io_link))
			return false;
		struct io_link *o = (void *)req;
		bool sym = op == IORING_OP_SYMLINKAT;
		a->op = sym ? SL_OP_SYMLINK : SL_OP_LINK;
		a->dfd = sym ? NO_FD : BPF_CORE_READ(o, old_dfd);
		a->path = (__u64)BPF_CORE_READ(o, oldpath, name);
		a->dfd2 = BPF_CORE_READ(o, new_dfd);
		a->path2 = (__u64)BPF_CORE_READ(o, newpath, name);
		a->flags = sym ? 0 : BPF_CORE_READ(o, flags);
		return true;
	}
	case IORING_OP_FTRUNCATE: {
		if (!bpf_core_type_exists(struct io_ftrunc))
			return false;
		struct io_ftrunc *o = (void *)req;
		a->op = SL_OP_TRUNCATE;
		a->dfd = fd; /* a fixed file (-1): its path is unknown (path_incomplete) */
		a->a1 = BPF_CORE_READ(o, len);
		return true;
	}
	}
	return false;
}

/*
 * connect: the address as the program passed it (io_connect.addr, the user's sockaddr, which
 * prep has just copied; the kernel's copy is in the request's async data, whose layout differs
 * between kernels: Linux 6.18 as built here keeps a bare sockaddr there, not the struct
 * io_async_msghdr of the upstream source).
 */
static __always_inline bool uring_connect(struct io_kiocb *req, __s32 fd)
{
	if (!bpf_core_type_exists(struct io_connect))
		return false;
	struct io_connect *c = (void *)req;
	struct sl_net e = {};
	fill_hdr(&e.h, SL_K_NET);
	e.h.flags = SL_F_URING;
	e.fd = fd;
	e.op = SL_NET_CONNECT;
	e.sotype = fd >= 0 ? sock_type(fd) : 0;
	e.family = read_sockaddr(BPF_CORE_READ(c, addr), BPF_CORE_READ(c, addr_len), &e.port,
				 e.addr, sizeof(e.addr), false);
	e.uring_id = uring_await(req, UW_DONE, IORING_OP_CONNECT, fd);
	if (e.uring_id)
		e.h.flags |= SL_F_PENDING;
	net_out(&e);
	if (fd >= 0)
		note_dns_sock(bpf_get_current_pid_tgid() >> 32, fd, &e);
	return true;
}

/* A send to port 53 (its address in the request's async data, or the socket connected
 * there). False when it cannot be told: a fixed file sent to without an address. */
static __always_inline bool uring_send(struct io_kiocb *req, __u8 op, __s32 fd)
{
	if (!bpf_core_type_exists(struct io_sr_msg) || !bpf_core_type_exists(struct io_async_msghdr))
		return false;
	struct io_sr_msg *sr = (void *)req;
	if (op == IORING_OP_SENDMSG || op == IORING_OP_SENDMSG_ZC) {
		/* the user's msghdr: its name and first iovec, as for sendmsg(2) */
		struct user_msghdr *um = BPF_CORE_READ(sr, umsg);
		struct user_msghdr m = {};
		if (bpf_probe_read_user(&m, sizeof(m), um))
			return false;
		if (fd < 0 && !m.msg_name)
			return false;
		dns_msghdr(fd, um, SL_F_URING);
		return true;
	}
	struct io_async_msghdr *km = BPF_CORE_READ(req, async_data);
	void *name = km ? BPF_CORE_READ(km, msg.msg_name) : NULL;
	if (fd < 0 && !name)
		return false;
	dns_send(fd, name ? (void *)&km->addr : NULL, name ? sizeof(struct sockaddr_in6) : 0, true,
		 BPF_CORE_READ(sr, buf), BPF_CORE_READ(sr, len), SL_F_URING, DNS_WHOLE);
	return true;
}

/* Records a request of a traced process as it is submitted; true if it was. */
static __always_inline bool uring_record(struct io_kiocb *req, __u8 op)
{
	__u64 rflags = BPF_CORE_READ(req, flags);
	__s32 fd = (rflags & IOSQE_FIXED_FILE_BIT) ? -1 : BPF_CORE_READ(req, cqe.fd);
	switch (op) {
	case IORING_OP_CONNECT:
		return uring_connect(req, fd);
	case IORING_OP_BIND: /* the address bound, read from the socket when it is done */
		return uring_await(req, UW_BIND, op, fd) != 0;
	case IORING_OP_LISTEN:
		return uring_await(req, UW_LISTEN, op, fd) != 0;
	case IORING_OP_ACCEPT:
		if (!bpf_core_type_exists(struct io_accept))
			return false;
		/* a multishot accept posts each connection as an extra completion without the
		 * request: not followed (counted as not decoded) */
		if (BPF_CORE_READ((struct io_accept *)req, iou_flags) & IORING_ACCEPT_MULTISHOT_FLAG)
			return false;
		return uring_await(req, UW_ACCEPT, op, fd) != 0;
	case IORING_OP_SEND:
	case IORING_OP_SEND_ZC:
	case IORING_OP_SENDMSG:
	case IORING_OP_SENDMSG_ZC:
		return uring_send(req, op, fd);
	}
	struct sys_args a = {};
	if (!uring_file_args(req, op, fd, &a))
		return false;
	__u64 id = uring_await(req, UW_DONE, op, -1);
	file_emit(0, &a, SL_F_URING | (id ? SL_F_PENDING : 0), id);
	return true;
}

SEC("raw_tp/io_uring_submit_req")
int BPF_PROG(sl_uring_submit, struct io_kiocb *req)
{
	if (!current_traced())
		return 0;
	__u8 op = BPF_CORE_READ(req, opcode);
	__u32 slot = op < SL_URING_OPS ? op : SL_URING_OPS - 1;
	uring_count(slot);
	/* a request left waiting by a completion never seen: its memory is reused now */
	__u64 key = (__u64)req;
	if (uring_waiting && bpf_map_delete_elem(&uring_waits, &key) == 0)
		__sync_fetch_and_add(&uring_waiting, -1);
	if (uring_record(req, op))
		uring_count(SL_URING_OPS + slot);
	return 0;
}

/*
 * The completion of a request: its result for a record sent at submission, or the listen's or
 * accept's record. Runs for every completion on the host; without requests waiting, it returns
 * after one load. The context may be any thread of the process, or a kernel worker (a ring torn
 * down at exit cancels its requests), so the process comes from the wait entry and files from
 * the request.
 */
SEC("raw_tp/io_uring_complete")
int BPF_PROG(sl_uring_complete, void *ring, struct io_kiocb *req)
{
	if (!uring_waiting || !req)
		return 0;
	__u64 key = (__u64)req;
	struct uring_wait_v *pv = bpf_map_lookup_elem(&uring_waits, &key);
	if (!pv)
		return 0;
	struct uring_wait_v v = *pv;
	if (bpf_map_delete_elem(&uring_waits, &key) == 0)
		__sync_fetch_and_add(&uring_waiting, -1);
	__s32 res = BPF_CORE_READ(req, cqe.res);
	struct sock *sk = file_sock(BPF_CORE_READ(req, file));

	if (v.what == UW_DONE) {
		struct sl_uring_done d = {};
		fill_hdr(&d.h, SL_K_URING_DONE);
		d.h.pid = v.pid;
		d.h.tid = v.tid;
		d.uring_id = v.id;
		d.res = res;
		d.opcode = v.opcode;
		if (bpf_ringbuf_output(&rb_events, &d, sizeof(d), wake_flags(&rb_events)))
			count_drop(SL_K_URING_DONE);
		return 0;
	}

	struct sl_net e = {};
	fill_hdr(&e.h, SL_K_NET);
	e.h.pid = v.pid;
	e.h.tid = v.tid;
	e.h.flags = SL_F_URING;
	e.ret = res;
	e.uring_id = v.id;
	e.fd = v.fd;
	e.op = v.what == UW_LISTEN ? SL_NET_LISTEN : v.what == UW_BIND ? SL_NET_BIND : SL_NET_ACCEPT;
	if (e.op == SL_NET_ACCEPT && res >= 0 && bpf_core_field_exists(req->tctx) &&
	    !BPF_CORE_READ((struct io_accept *)req, file_slot)) {
		/* the new socket, in the submitting task's file table */
		struct task_struct *t = BPF_CORE_READ(req, tctx, task);
		sock_ends(fd_sock(t, res), &e, true);
		e.fd = res;
	}
	if (!e.family)
		sock_ends(sk, &e, false);
	net_out(&e);
	return 0;
}
