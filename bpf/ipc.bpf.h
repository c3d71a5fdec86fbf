/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * ipc.bpf.h: the bytes traced processes move over pipes and unix sockets that carry
 * JSON-RPC (MCP's stdio transport: an agent and the servers it started), as SL_K_IPC records.
 * Included by sightline.bpf.c, whose sys_exit program calls sl_ipc_exit() for every call that
 * syscalls.h marks with `ipc`.
 *
 * Everything happens at the call's exit, from its registers (x86-64 leaves the argument
 * registers as they were): no state from entry, so a call on an ordinary pipe costs one
 * descriptor lookup and one map lookup. Each pipe or socket is judged once, by the first bytes
 * a traced call moved on it: `{` (or `[{`, a batch), optional blanks, then a JSON-RPC key
 * ("jsonrpc", "method", "id", "result", "error", "params": Gemini CLI sends "method" first,
 * servers answer "result" first), or a `Content-Length:` header. A descriptor whose first
 * IPC_TRIES calls all begin otherwise is left alone for good (`ls | wc` pays that, then one
 * lookup per call); the judgement is kept per inode, so both ends of a pipe share it.
 *
 * MCP over HTTP (streamable HTTP, and the older HTTP+SSE transport) on loopback: a TCP socket
 * whose peer is 127.0.0.0/8 or ::1 (or ::ffff:127.x) is judged the same way, by whether its
 * first bytes are an HTTP/1 request line (`POST /`, `GET /`, ..., or `POST http://` in the
 * absolute form a client sends a plain HTTP proxy, `HTTP_PROXY`) or a status line
 * (`HTTP/1.`), or cleartext HTTP/2's start (the client's preface `PRI * HTTP/2.0`, the
 * server's SETTINGS frame: h2c, as gRPC speaks it); its bytes are then recorded with the local
 * and remote ports and addresses, so that user space can pair the two ends (the ports the
 * connection was made with, also at the exit of a call during which the peer reset it). A
 * client's `CONNECT host:port` to an HTTP proxy (`HTTPS_PROXY`), on loopback or elsewhere, is
 * recorded too, with the proxy's answer, up to the tunnel's first TLS record: from there the
 * connection carries ciphertext (the TLS hooks see its plaintext) and is left alone; a tunnel
 * that carries cleartext HTTP (an `http://` URL tunnelled) is recorded whole.
 *
 * Cleartext HTTP to any other address (a model server on the LAN: Ollama on a GPU box, vLLM in
 * a cluster): a TCP socket whose peer is not on loopback is recorded only when its first bytes
 * are an HTTP/1 request in origin form (`POST /`, `GET /`, ... `OPTIONS `: a method this list
 * knows, then a space and `/`), a POST or GET in absolute form (`POST http://`: a request to a
 * plain HTTP proxy there, `HTTP_PROXY`) or a proxy's `CONNECT `, and judged at once: anything
 * else (TLS's 0x16 handshake, a status line, h2c, SSH, a database's protocol) gets IPC_OTHER at
 * its first call that has enough bytes to tell, so later I/O on it costs the address check and
 * one map lookup. The first bytes are those of the first call a traced process made on the
 * socket in either direction: the request the client writes, or the request the server reads
 * on a socket it accepted (a traced process serving HTTP to the LAN is recorded as on
 * loopback, both ways, from the request it reads).
 */
#ifndef SL_IPC_BPF_H
#define SL_IPC_BPF_H

/* Set by the loader before load (--no-ipc: 0). */
const volatile __u8 ipc_enabled = 1;

#define S_IFIFO 0010000
#define SL_MSG_PEEK 2 /* MSG_PEEK (linux/socket.h, not in the BTF) */
#define IPC_PEEK 32 /* bytes looked at to judge a descriptor */
#define IPC_TRIES 4 /* calls a descriptor gets to start with JSON-RPC */

enum ipc_verdict {
	IPC_UNDECIDED = 0,
	IPC_RECORD = 1, /* JSON-RPC (pipe, unix socket) or HTTP (TCP) */
	IPC_OTHER = 2,
};

/* How a descriptor's first bytes are judged (sl_ipc_start). */
enum ipc_judge {
	IPC_JSONRPC = 0,      /* a pipe or unix socket: JSON-RPC */
	IPC_HTTP = 1,         /* loopback TCP: an HTTP/1 request or status line, or h2c */
	IPC_HTTP_REQUEST = 2, /* TCP to any other address: an HTTP/1 request (origin or absolute
			       * form) or a proxy's CONNECT */
	IPC_CONNECT = 3,      /* an HTTP CONNECT request: a proxy's tunnel begins */
	IPC_TLS = 4,          /* a TLS handshake record: the tunnel now carries TLS */
};

struct ipc_key {
	__u64 dev; /* 0 for a socket */
	__u64 ino;
};

struct ipc_chan {
	__u64 off[2]; /* bytes the recorded calls moved, by direction: the streams' offsets */
	__u8 verdict; /* enum ipc_verdict */
	__u8 tries;   /* calls judged while undecided */
	__u8 tunnel;  /* TCP: its first recorded call was an HTTP CONNECT (a proxy's tunnel) */
	__u8 _pad[5];
};

/* Every pipe and unix socket a traced process moved bytes on, judged or being judged. LRU: a
 * channel forgotten is judged again at its next call (and its offsets restart). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ipc_key);
	__type(value, struct ipc_chan);
} ipc_chans SEC(".maps");

/* The longest key word_start compares: 8 bytes, one word. */
#define WORD_KEY_MAX 8
/* The keys a JSON-RPC object may start with, each followed by its closing quote. */
#define IPC_KEYS 6
static const char ipc_keys[IPC_KEYS][WORD_KEY_MAX + 1] = {
	"jsonrpc\"", "method\"", "id\"", "result\"", "error\"", "params\"",
};
/* "content-length:" (15 bytes) as two little-endian words, the second's last byte unused */
#define WORD8(a, b, c, d, e, f, g, h)                                                            \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 |   \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)
#define CONTENT_LENGTH_LEN 15
#define CONTENT_LENGTH_0 WORD8('c', 'o', 'n', 't', 'e', 'n', 't', '-')
#define CONTENT_LENGTH_1 WORD8('l', 'e', 'n', 'g', 't', 'h', ':', 0)
#define IPC_BLANKS 4 /* blanks allowed before and after `[` and `{` */

struct ipc_peek {
	__u8 b[2 * IPC_PEEK]; /* (twice the size: the verifier can tell each copy fits) */
	__u32 n;              /* bytes in b, at most IPC_PEEK */
};
#define IPC_PEEK_SEGS 4 /* iovecs the first bytes are gathered from */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipc_peek);
} ipc_peeks SEC(".maps");

static __always_inline bool ipc_blank(__u8 c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The 8 bytes at s as one little-endian word. */
static __always_inline __u64 load_word(const __u8 *s)
{
	__u64 w = 0;
	for (int k = 0; k < 8; k++)
		w |= (__u64)s[k] << (8 * k);
	return w;
}

/* Of a word of bytes, the first n (all from 8 on). */
static __always_inline __u64 first_bytes(__u32 n)
{
	return n >= 8 ? ~0ULL : (1ULL << (8 * (n & 7))) - 1;
}

/*
 * Whether the `avail` bytes at s start with one of the keys (each up to 8 bytes, NUL padded):
 * j + 1 the whole key j (the first that matches), -1 a key matched as far as there are bytes,
 * 0 none. The 8 bytes are read as
 * one word, and which of them there are: each key is then one masked compare. (Byte by byte,
 * each key's loop forked the verifier's states at every byte, on running out and on a
 * mismatch: 227k of the 301k instructions it walked for sys_exit, ~0.3 s of every start.) s
 * must have 8 bytes readable. (s is a pointer, not a buffer and an index: with b[at + k]
 * clang worked out each byte's address in 32 bits and the verifier walked 718 more
 * instructions for sys_exit.)
 */
static __always_inline int word_start(const __u8 *s, __u32 avail,
				      const char (*keys)[WORD_KEY_MAX + 1], int n_keys)
{
	__u64 w = load_word(s);
	__u64 have = first_bytes(avail);
	int partial = 0;
	/* unrolled, so that each key and mask is a constant (a loop read them from .rodata, and
	 * the verifier walked it for each key: 2.1k instructions of sys_exit) */
#pragma clang loop unroll(full)
	for (int j = 0; j < n_keys; j++) {
		__u64 key = 0, mask = 0;
#pragma clang loop unroll(full)
		for (int k = 0; k < WORD_KEY_MAX && keys[j][k]; k++) {
			key |= (__u64)(__u8)keys[j][k] << (8 * k);
			mask |= 0xffULL << (8 * k);
		}
		if ((w ^ key) & mask & have)
			continue; /* a byte there differs */
		if (!(mask & ~have))
			return j + 1; /* the whole key */
		partial = 1;  /* matched as far as there are bytes */
	}
	/* (not `partial ? -1 : 0`: on a branch the verifier followed the keys after a partial
	 * match once more) */
	return -partial;
}

/*
 * The scan for a JSON-RPC object's first key, one byte per step of bpf_loop: up to IPC_BLANKS
 * blanks, an optional `[` (a batch), up to IPC_BLANKS blanks, `{`, up to IPC_BLANKS blanks,
 * then the key's opening quote. (Unrolled, each position the blanks could end at was a state
 * of its own for the verifier, and the key's match after it was walked again for each: 8.4k
 * of the 22k instructions it walked for sys_exit.) The scan's state is in a map, not on the
 * stack, for the reason ipc_loops is: on the stack, the verifier walked the step again for
 * each stage and count of blanks.
 */
struct json_scan {
	__u32 key;    /* where the key starts (after its quote), once verdict is 1 */
	__u8 stage;   /* 0: before `[` or `{`, 1: after `[`, 2: after `{` */
	__u8 blanks;  /* blanks skipped in this stage */
	__s8 verdict; /* 1: the quote found, 0: not JSON-RPC, -1: too few bytes to tell */
	__u8 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct json_scan);
} ipc_scans SEC(".maps");

struct json_bytes {
	const __u8 *b;
	__u32 n;
};

static long json_step(__u32 i, struct json_bytes *in)
{
	struct json_scan *s = scratch_of(&ipc_scans);
	if (!s || i >= in->n)
		return 1;
	__u8 c = in->b[i & (IPC_PEEK - 1)];
	if (ipc_blank(c) && s->blanks < IPC_BLANKS) {
		s->blanks++;
		return 0;
	}
	s->blanks = 0;
	if (s->stage == 0 && c == '[') {
		s->stage = 1;
		return 0;
	}
	if (s->stage < 2 && c == '{') {
		s->stage = 2;
		return 0;
	}
	if (s->stage == 2 && c == '"') {
		s->key = i + 1;
		s->verdict = 1;
		return 1;
	}
	s->verdict = 0;
	return 1;
}

/* Whether JSON-RPC starts at b, which holds n bytes (1 to IPC_PEEK; b has 2 * IPC_PEEK): 1 yes,
 * 0 no, -1 too few bytes to tell. */
static __always_inline int jsonrpc_start(const __u8 *b, __u32 n)
{
	if ((b[0] | 0x20) == 'c') {
		/* Content-Length:, any case ("-" and ":" have bit 0x20 set already: lower-casing
		 * every byte leaves them) */
		__u64 lower = 0x2020202020202020ULL;
		__u64 have1 = n <= 8 ? 0 : first_bytes(n - 8) & first_bytes(CONTENT_LENGTH_LEN - 8);
		if (((load_word(b) | lower) ^ CONTENT_LENGTH_0) & first_bytes(n))
			return 0;
		if (((load_word(b + 8) | lower) ^ CONTENT_LENGTH_1) & have1)
			return 0;
		return n >= CONTENT_LENGTH_LEN ? 1 : -1;
	}
	struct json_scan *s = scratch_of(&ipc_scans);
	if (!s)
		return 0;
	*s = (struct json_scan){.verdict = -1};
	struct json_bytes in = {.b = b, .n = n};
	bpf_loop(IPC_PEEK, json_step, &in, 0);
	if (s->verdict != 1)
		return s->verdict;
	/* the key after the quote, closing quote included */
	__u32 key = s->key;
	int v = word_start(b + (key & (IPC_PEEK - 1)), n - key, ipc_keys, IPC_KEYS);
	return v > 0 ? 1 : v;
}

/* How an HTTP/1 request or response starts: a method and the start of its target, or the
 * status line's version; or how cleartext HTTP/2 with prior knowledge (h2c: gRPC, an MCP
 * server spoken over HTTP/2) starts on the client's side: its preface, `PRI * HTTP/2.0`; and an
 * HTTP proxy's `CONNECT ` (the last). The first HTTP_REQUESTS are requests (what
 * IPC_HTTP_REQUEST takes, with CONNECT): in origin form, and a POST or GET in absolute form, as a client
 * sends it to a plain HTTP proxy (`HTTP_PROXY` for an `http://` URL: Bun's fetch, curl,
 * reqwest); other methods in absolute form are not looked for. */
#define HTTP_STARTS 12
#define HTTP_REQUESTS 9
static const char http_starts[HTTP_STARTS][WORD_KEY_MAX + 1] = {
	"GET /", "POST /", "PUT /", "DELETE /", "HEAD /", "PATCH /", "OPTIONS ", "POST htt", "GET http",
	"HTTP/1.", "PRI * HT", "CONNECT ",
};
static const char connect_start[1][WORD_KEY_MAX + 1] = {"CONNECT "};

/* Whether a TLS handshake record's header starts at b (n bytes, 1 to IPC_PEEK): type 22,
 * version 3.x (SSL 3.0 to TLS 1.3 all write 3.1 to 3.4 there, or 3.0); 1 yes, 0 no, -1 too few
 * bytes to tell. b must have 3 bytes readable. */
static __always_inline int tls_record_start(const __u8 *b, __u32 n)
{
	if (b[0] != 0x16)
		return 0;
	if (n < 3)
		return n < 2 || b[1] == 3 ? -1 : 0;
	return b[1] == 3 && b[2] <= 4;
}

/*
 * Whether an HTTP/2 server's first bytes start at b (n bytes, 1 to IPC_PEEK): the header of
 * a SETTINGS frame (RFC 9113 3.4: the server's preface) — a length below 64 KiB, type 4, no
 * flags, stream 0. 1 yes, 0 no, -1 too few bytes to tell. The server of an h2c connection
 * sends it as soon as it accepts, before it reads the client's preface: judged by the
 * preface alone, its socket would be recorded from its second write on. No HTTP/1 message and
 * no text starts with a NUL.
 */
static __always_inline int h2_settings_start(const __u8 *b, __u32 n)
{
	__u64 w = load_word(b);
	__u64 have = first_bytes(n);
	/* bytes 0 (length's high byte), 3 (type), 4 (flags), 5-7 (stream); byte 8 below */
	const __u64 mask = 0xffffffffff0000ffULL, key = 0x04ULL << 24;
	if ((w ^ key) & mask & have)
		return 0;
	if (n < 9)
		return -1;
	return b[8] == 0;
}

/*
 * Whether what `judge` (enum ipc_judge) looks for starts at p->b: JSON-RPC; an HTTP/1 request
 * or response, h2c or a CONNECT; an HTTP/1 request only; an HTTP CONNECT
 * request; a TLS handshake record (a proxy's tunnel now carrying TLS). 1 yes, 0 no, -1 too few
 * bytes to tell. A global function: the verifier checks it once, on its own, instead of at
 * every path of sys_exit that reaches it (each position of each branch multiplied the states it
 * explored).
 */
__noinline int sl_ipc_start(const struct ipc_peek *p, int judge)
{
	if (!p)
		return 0;
	__u32 n = p->n < IPC_PEEK ? p->n : IPC_PEEK;
	if (!n)
		return -1;
	if (judge == IPC_JSONRPC)
		return jsonrpc_start(p->b, n);
	if (judge == IPC_CONNECT)
		return word_start(p->b, n, connect_start, 1);
	if (judge == IPC_TLS)
		return tls_record_start(p->b, n);
	int v = word_start(p->b, n, http_starts, HTTP_STARTS);
	/* off loopback: a request, or a CONNECT to a proxy there (its tunnel then as on loopback) */
	if (judge == IPC_HTTP_REQUEST)
		return v > HTTP_REQUESTS && v != HTTP_STARTS ? 0 : v > 0 ? 1 : v;
	return v > 0 ? 1 : v ? v : h2_settings_start(p->b, n);
}

/* Whether a TCP socket's peer is on loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
static __always_inline bool tcp_loopback(struct sock *sk, __u16 family)
{
	if (family == AF_INET)
		return (BPF_CORE_READ(sk, __sk_common.skc_daddr) & 0xff) == 127;
	struct in6_addr a = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
	__u32 w0 = a.in6_u.u6_addr32[0], w1 = a.in6_u.u6_addr32[1], w2 = a.in6_u.u6_addr32[2],
	      w3 = a.in6_u.u6_addr32[3];
	if (w0 || w1)
		return false;
	if (!w2 && w3 == bpf_htonl(1))
		return true;
	return w2 == bpf_htonl(0xffff) && (w3 & 0xff) == 127;
}

struct ipc_loop {
	__u64 iov;      /* user iovec array, or 0: one buffer */
	__u64 base;     /* the segment being recorded */
	__u64 seg_left; /* its bytes still to record */
	__u64 iovcnt;
	__u64 idx;      /* next iovec */
	__u64 inode;
	__u64 peer;
	__u64 stream_off;
	__u16 lport;
	__u16 rport;
	__u8 laddr[16];
	__u8 raddr[16];
	__u32 done;  /* bytes recorded so far: the next chunk's offset */
	__u32 keep;  /* bytes to record: min(total, max_tls_bytes) */
	__u32 total;
	__s32 fd;
	__u8 dir;
	__u8 kind;
	__u8 trunc;
};

/*
 * The loop's state lives in a map, not on the stack: the verifier follows values on the stack
 * from one step of bpf_loop to the next (and the offsets that grow each step kept its states
 * apart until it gave up), while a map value is just memory to it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipc_loop);
} ipc_loops SEC(".maps");

/* A TCP socket's local and remote addresses, IPv6 (IPv4 as ::ffff:a.b.c.d), into c. */
static __always_inline void tcp_addrs(struct sock *sk, __u16 family, struct ipc_loop *c)
{
	if (family == AF_INET) {
		__be32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memset(c->laddr, 0, 10);
		__builtin_memset(c->raddr, 0, 10);
		c->laddr[10] = c->laddr[11] = c->raddr[10] = c->raddr[11] = 0xff;
		__builtin_memcpy(c->laddr + 12, &l, 4);
		__builtin_memcpy(c->raddr + 12, &r, 4);
		return;
	}
	BPF_CORE_READ_INTO(&c->laddr, sk, __sk_common.skc_v6_rcv_saddr);
	BPF_CORE_READ_INTO(&c->raddr, sk, __sk_common.skc_v6_daddr);
}

/* One step: take the next iovec, or record the next chunk of the current one. */
static long ipc_chunk(__u32 i, void *unused)
{
	struct ipc_loop *c = scratch_of(&ipc_loops);
	if (!c)
		return 1;
	if (c->done >= c->keep)
		return 1;
	if (!c->seg_left) {
		struct iovec v = {};
		if (!c->iov || c->idx >= c->iovcnt)
			return 1;
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(c->iov + c->idx * sizeof(v))))
			return 1;
		c->idx++;
		c->base = (__u64)v.iov_base;
		c->seg_left = v.iov_len;
		return 0;
	}
	__u32 n = c->keep - c->done;
	if (n > c->seg_left)
		n = c->seg_left;
	if (n > SL_IPC_CHUNK)
		n = SL_IPC_CHUNK;
	struct sl_ipc *e = scratch_of(&scratch_ev);
	if (!e)
		return 1;
	fill_hdr(&e->h, SL_K_IPC);
	e->inode = c->inode;
	e->peer_inode = c->peer;
	e->stream_off = c->stream_off;
	e->total = c->total;
	e->offset = c->done;
	e->fd = c->fd;
	e->dir = c->dir;
	e->fdkind = c->kind;
	e->lport = c->lport;
	e->rport = c->rport;
	e->_pad = 0;
	__builtin_memcpy(e->laddr, c->laddr, sizeof(e->laddr));
	__builtin_memcpy(e->raddr, c->raddr, sizeof(e->raddr));
	if (c->done + n >= c->keep)
		e->h.flags |= SL_F_LAST;
	if (c->trunc)
		e->h.flags |= SL_F_TRUNC;
	n = CLAMP(n, SL_IPC_CHUNK);
	e->len = n;
	__u32 size = sizeof(*e) + n;
	if (bpf_probe_read_user(e->data, n, (void *)c->base)) {
		e->h.flags |= SL_F_FAULT;
		size = sizeof(*e);
	}
	if (bpf_ringbuf_output(&rb_tls, e, CLAMP(size, sizeof(*e) + SL_IPC_CHUNK),
			       wake_flags(&rb_tls)))
		count_drop(SL_K_IPC);
	c->done += n;
	c->base += n;
	c->seg_left -= n;
	return 0;
}

/* Records the call whose state is in ipc_loops, in `steps` steps at most. A global function:
 * the verifier checks the steps once, not once for each way sl_ipc_exit reached the loop
 * (a pipe or a socket, one buffer or a vector, cut or not: 1.2k instructions of sys_exit). */
__noinline int sl_ipc_chunks(__u32 steps)
{
	bpf_loop(steps, ipc_chunk, NULL, 0);
	return 0;
}

/* The inode of the socket at the other end of a unix socket, or 0. */
static __always_inline __u64 unix_peer_inode(struct sock *sk)
{
	struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
	if (!peer)
		return 0;
	struct socket *s = BPF_CORE_READ(peer, sk_socket);
	if (!s)
		return 0;
	struct socket_alloc *sa = container_of(s, struct socket_alloc, socket);
	return BPF_CORE_READ(sa, vfs_inode.i_ino);
}

#define IPC_UNREADABLE -2

/* Appends the first bytes of the iovec at `seg` to p (as many as fit and the call moved: `ret`
 * in all). A global function: the verifier sees p->n as any value within bounds, not each of
 * the amounts the segments before could have brought (1.4k instructions of sys_exit). */
__noinline int sl_ipc_gather(struct ipc_peek *p, __u64 seg, __s64 ret)
{
	struct iovec v = {};
	if (!p)
		return IPC_UNREADABLE;
	__u32 n = p->n;
	if (n >= IPC_PEEK)
		return 0;
	if (bpf_probe_read_user(&v, sizeof(v), (void *)seg))
		return IPC_UNREADABLE;
	__u32 room = IPC_PEEK - n;
	__u32 k = v.iov_len < room ? v.iov_len : room;
	if (n + k > ret) /* a read fills the segments in order, up to ret */
		k = ret > n ? ret - n : 0;
	if (bpf_probe_read_user(p->b + BOUND(n, IPC_PEEK - 1), CLAMP(k, IPC_PEEK), v.iov_base))
		return IPC_UNREADABLE;
	p->n = n + k;
	return 0;
}

/*
 * Judges a call's first bytes (of the first few segments, for a vector: `iov`, else the buffer
 * at `base`): sl_ipc_start's answer, or IPC_UNREADABLE. A global function: the gathering's
 * branches made states that stayed apart, and inline every one of them walked the rest of
 * sl_ipc_exit (its bpf_loop callback included) again.
 */
__noinline int sl_ipc_judge(__u64 base, __u64 iov, __u64 iovcnt, __s64 ret, int judge)
{
	/* in a map, not on the stack: see ipc_regs */
	struct ipc_peek *peek = scratch_of(&ipc_peeks);
	if (!peek)
		return IPC_UNREADABLE;
	__builtin_memset(peek, 0, sizeof(*peek)); /* as the stack's was */
	if (!iov) {
		__u32 n = ret < IPC_PEEK ? ret : IPC_PEEK;
		peek->n = n;
		if (bpf_probe_read_user(peek->b, BOUND(n, 2 * IPC_PEEK - 1), (void *)base))
			return IPC_UNREADABLE;
	}
	for (int i = 0; i < IPC_PEEK_SEGS && iov && i < iovcnt && peek->n < IPC_PEEK; i++) {
		if (sl_ipc_gather(peek, iov + i * sizeof(struct iovec), ret) == IPC_UNREADABLE)
			return IPC_UNREADABLE;
	}
	return sl_ipc_start(peek, judge);
}

/*
 * What sl_ipc_exit reads of the user registers (r10 to di, contiguous in x86-64's pt_regs): only
 * those, into a map; a msghdr's iovec array and count are read into the loop's state, which is built in its
 * map value, and the judge's bytes are in a map too (ipc_peeks), so that sys_exit's frame plus sl_ipc_exit's and the judge's stay within the 512 bytes
 * of stack the verifier allows a call chain when the kernel gives the programs no private stack
 * (6.18.44-fc-v1252 does not: the whole pt_regs, msghdr and loop state on the stack made 592).
 */
struct ipc_regs {
	__u64 r10, r9, r8, ax, cx, dx, si, di;
};
_Static_assert(__builtin_offsetof(struct pt_regs, di) - __builtin_offsetof(struct pt_regs, r10) == 56,
	       "pt_regs r10..di contiguous");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipc_regs);
} ipc_uregs SEC(".maps");

#define IPC_HOW(spec) ((spec).ipc | ((spec).ipc_read << 4))

/*
 * At the exit of a call syscalls.h marks with `ipc`, which moved `ret` bytes; `how` is
 * IPC_HOW of its sys_spec, `uregs` the user registers. A global function, verified on its own
 * (see sl_ipc_start).
 */
__noinline int sl_ipc_exit(__u64 uregs, __u32 how, __s64 ret)
{
	if (ret <= 0)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	if (task->thread_info.status & TS_COMPAT)
		return 0;
	struct ipc_regs *r = scratch_of(&ipc_uregs);
	if (!r || bpf_probe_read_kernel(r, sizeof(*r), (void *)uregs + offsetof(struct pt_regs, r10)))
		return 0;
	__u8 arg = how & 15;
	/* a peek: the same bytes come again with the read that takes them */
	if ((how >> 4) == IPC_RECV && ((arg == IPC_MSG ? r->dx : r->r10) & SL_MSG_PEEK))
		return 0;
	long fd = (int)r->di;
	struct file *f = fd_file(task, fd);
	if (!f)
		return 0;
	struct inode *in = BPF_CORE_READ(f, f_inode);
	umode_t mode = BPF_CORE_READ(in, i_mode);
	__u8 kind;
	__u16 family = 0;
	bool lan = false; /* TCP whose peer is not on loopback */
	struct sock *sk = NULL;
	if ((mode & S_IFMT) == S_IFIFO) {
		kind = SL_IPC_PIPE;
	} else if ((mode & S_IFMT) == S_IFSOCK) {
		struct socket *so = BPF_CORE_READ(f, private_data);
		sk = BPF_CORE_READ(so, sk);
		if (!sk)
			return 0;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (family == AF_UNIX) {
			kind = SL_IPC_UNIX;
		} else if ((family == AF_INET || family == AF_INET6) &&
			   BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP) {
			kind = SL_IPC_TCP;
			lan = !tcp_loopback(sk, family);
		} else {
			return 0;
		}
	} else {
		return 0;
	}
	/* every socket is in sockfs: its dev is not read (two reads less on every call of TCP
	 * that is not recorded); a FIFO's is, it may be on any filesystem */
	struct ipc_key key = {.dev = sk ? 0 : BPF_CORE_READ(in, i_sb, s_dev),
			      .ino = BPF_CORE_READ(in, i_ino)};
	struct ipc_chan *ch = bpf_map_lookup_elem(&ipc_chans, &key);
	if (ch && ch->verdict == IPC_OTHER)
		return 0;

	/* where the bytes are: one buffer, or the first of an iovec array */
	struct ipc_loop *lp = scratch_of(&ipc_loops);
	if (!lp)
		return 0;
	/* built in the loop's map value, not on the stack (see ipc_regs) */
	struct ipc_loop *c = lp;
	__builtin_memset(c, 0, sizeof(*c));
	if (arg == IPC_BUF) {
		c->base = r->si;
		c->seg_left = ret;
	} else {
		c->iov = r->si;
		c->iovcnt = r->dx;
		if (arg == IPC_MSG) {
			void *mh = (void *)r->si;
			if (bpf_probe_read_user(&c->iov, sizeof(c->iov),
						mh + offsetof(struct user_msghdr, msg_iov)) ||
			    bpf_probe_read_user(&c->iovcnt, sizeof(c->iovcnt),
						mh + offsetof(struct user_msghdr, msg_iovlen)))
				return 0;
		}
	}

	if (!ch || ch->verdict != IPC_RECORD) {
		int judge = kind != SL_IPC_TCP ? IPC_JSONRPC : lan ? IPC_HTTP_REQUEST : IPC_HTTP;
		int v = sl_ipc_judge(c->base, c->iov, c->iovcnt, ret, judge);
		if (v == IPC_UNREADABLE)
			return 0;
		if (!ch) {
			struct ipc_chan fresh = {};
			bpf_map_update_elem(&ipc_chans, &key, &fresh, BPF_NOEXIST);
			ch = bpf_map_lookup_elem(&ipc_chans, &key);
			if (!ch)
				return 0;
		}
		if (v != 1) {
			/* off loopback, anything but a request is judged at once (TLS above all) */
			if ((lan && v == 0) || ++ch->tries >= IPC_TRIES)
				ch->verdict = IPC_OTHER;
			return 0;
		}
		ch->verdict = IPC_RECORD;
		if (kind == SL_IPC_TCP &&
		    sl_ipc_judge(c->base, c->iov, c->iovcnt, ret, IPC_CONNECT) == 1)
			ch->tunnel = 1;
	} else if (ch->tunnel &&
		   sl_ipc_judge(c->base, c->iov, c->iovcnt, ret, IPC_TLS) == 1) {
		/* a proxy's tunnel (CONNECT, 2xx) now carries TLS: its bytes are ciphertext, whose
		 * plaintext the TLS hooks see; the rest of the connection is not recorded */
		ch->verdict = IPC_OTHER;
		return 0;
	}

	c->dir = (how >> 4) ? SL_TLS_READ : SL_TLS_WRITE;
	c->stream_off = __sync_fetch_and_add(&ch->off[c->dir & 1], ret);
	c->inode = key.ino;
	c->peer = kind == SL_IPC_UNIX ? unix_peer_inode(sk) : 0;
	if (kind == SL_IPC_TCP) {
		/* the port the socket sends from, inet_sport, not skc_num: a reset closes and
		 * unhashes the socket, which zeroes skc_num, and on loopback the peer's reset to
		 * a write (a closed client's socket answering a server's last chunk) is taken
		 * inside that very write, before its exit */
		c->lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		c->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	}
	c->fd = fd;
	c->kind = kind;
	c->total = ret > 0xffffffffL ? 0xffffffff : ret;
	c->keep = c->total;
	if (c->keep > max_tls_bytes) {
		c->keep = max_tls_bytes;
		c->trunc = 1;
	}
	if (c->seg_left > c->keep)
		c->seg_left = c->keep;
	/* a step per iovec taken (IOV_MAX is 1024), and per chunk: each segment's bytes end in
	 * a short chunk, so there are at most keep / SL_IPC_CHUNK + 1 per segment */
	__u32 segs = c->iov ? (c->iovcnt < 1024 ? c->iovcnt : 1024) : 1;
	__u32 steps = c->keep / SL_IPC_CHUNK + 2 * segs;
	if (kind == SL_IPC_TCP)
		tcp_addrs(sk, family, lp);
	sl_ipc_chunks(steps);
	return 0;
}

#endif /* SL_IPC_BPF_H */
