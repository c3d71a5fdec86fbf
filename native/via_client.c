// SPDX-License-Identifier: MIT
/*
 * sightline-via: the resident capture's client in C (`./sightline capture --via ...` runs it
 * when native/ is built), a thin transport only: what capture/resident_client.ts sends and
 * does, without Deno's start (~92 ms of CPU a session, against ~5 ms here: native/README.md).
 *
 *   sightline-via --via [--socket PATH] [OPTIONS] [--] CMD ARGS...
 *
 * It reads no option but --socket (to know where to connect): its whole argv after the program
 * name goes to the server unparsed (`args`), which reads it with capture/capture_args.ts as
 * `capture --via` would, and answers a mistake with one line and exit 2. The request is the
 * one line of capture/resident_protocol.ts (PROTOCOL 4): {"v","pid","start","args","cwd",
 * "env"}, JSON, sent only to a socket of root's that no one else can use, in a directory of
 * root's alone (lstat of both, then the peer's credentials once connected). Then it relays: `log` lines to stderr, `out` lines (--help's usage) to stdout, `dir` kept for
 * the message should the server go, `end` is the exit code, `error` one line and its code. It
 * passes on SIGINT, SIGTERM and SIGHUP, and at a terminal SIGWINCH (as {"signal":NAME} lines),
 * and at a terminal takes Ctrl-Z (SIGTSTP) and says it does not stop the session. No resident
 * capture at the socket, or one that goes away mid-session: one line, exit 1, the Deno
 * client's words. INIT_CWD (set by ./sightline and deno task): the directory it runs from.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PROTOCOL 4 /* resident_protocol.ts PROTOCOL: the server refuses another, saying so */
#define DEFAULT_SOCKET "/run/sightline/capture.sock"

extern char **environ;

static const char *sock_path = DEFAULT_SOCKET;

/* One line to stderr, "sightline: " first, and exit `code`. */
static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("sightline: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void none_running(const char *why)
{
	die(1, "no resident capture at %s: %s", sock_path,
	    why ? why : "none is running (start one with `sudo deno task capture --serve`)");
}

/* A growing buffer: the request line. */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		while (cap < b->len + n)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die(1, "out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* `s` as a JSON string: quotes, backslashes and control characters escaped, other bytes as
 * they are (the server reads the line as UTF-8, as it reads the Deno client's). */
static void put_json(struct buf *b, const char *s, size_t n)
{
	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}

/* This process's start time: /proc/self/stat field 22, counted after the command name. */
static unsigned long long start_time(void)
{
	char st[4096];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(st, 1, sizeof(st) - 1, f) : 0;
	if (f)
		fclose(f);
	st[n] = 0;
	char *p = strrchr(st, ')');
	if (!p)
		die(1, "cannot read /proc/self/stat");
	p += 2; /* field 3 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			die(1, "cannot read /proc/self/stat");
		p++;
	}
	return strtoull(p, NULL, 10);
}

/* --socket's value, read as capture_args.ts reads options: up to `--` or the first argument
 * that is not an option; a valued option takes the next argument. */
static void find_socket(int argc, char **argv)
{
	static const char *valued[] = { "--out", "--pid", "--comm", "--max-tls-bytes", "--cache-dir",
					"--socket" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--") || a[0] != '-')
			return;
		if (!strncmp(a, "--socket=", 9)) {
			sock_path = a + 9;
			continue;
		}
		for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
			if (strcmp(a, valued[k]))
				continue;
			if (!strcmp(a, "--socket") && i + 1 < argc)
				sock_path = argv[i + 1];
			i++;
			break;
		}
	}
}

/* Connects to the socket: only one of root's that no one else can use gets the environment. */
static int connect_socket(void)
{
	struct stat st;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *bad = "is not a resident capture's socket (a socket of root's that only root can "
			  "use, in a directory of root's that no one else can use)";

	if (!*sock_path)
		die(2, "--socket wants a value, got an empty string");
	if (lstat(sock_path, &st)) {
		if (errno == ENOENT)
			none_running(NULL);
		none_running(strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		die(1, "%s %s", sock_path, bad);
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		none_running("the path is too long for a Unix socket");
	strcpy(sa.sun_path, sock_path);
	/* its directory root's alone, as the server makes it: no one else can put another there */
	char dir[sizeof(sa.sun_path)];
	const char *slash = strrchr(sock_path, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == sock_path)
		strcpy(dir, "/");
	else {
		memcpy(dir, sock_path, (size_t)(slash - sock_path));
		dir[slash - sock_path] = 0;
	}
	struct stat ds;
	if (lstat(dir, &ds) || !S_ISDIR(ds.st_mode) || ds.st_uid != 0 || (ds.st_mode & 077))
		die(1, "%s %s", sock_path, bad);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			none_running(NULL);
		none_running(strerror(errno));
	}
	/* the one who listens there is root too (the path could have changed since the lstat) */
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0)
		die(1, "%s %s", sock_path, bad);
	return fd;
}

/* Writes all of `p`; 0 once the other end has gone. */
static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

/* The request line: {"v","pid","start","args","cwd","env"}. */
static void build_request(struct buf *b, int argc, char **argv, const char *cwd)
{
	char num[64];
	snprintf(num, sizeof(num), "{\"v\":%d,\"pid\":%d,\"start\":%llu,\"args\":[", PROTOCOL,
		 (int)getpid(), start_time());
	puts_(b, num);
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			put(b, ",", 1);
		put_json(b, argv[i], strlen(argv[i]));
	}
	puts_(b, "],\"cwd\":");
	put_json(b, cwd, strlen(cwd));
	puts_(b, ",\"env\":{");
	int first = 1;
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			continue;
		if (!first)
			put(b, ",", 1);
		first = 0;
		put_json(b, *e, (size_t)(eq - *e));
		put(b, ":", 1);
		put_json(b, eq + 1, strlen(eq + 1));
	}
	puts_(b, "}}\n");
}

/* Appends the UTF-8 of code point `cp` to `out`. */
static size_t utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return 0;
		*v = *v << 4 | (unsigned)d;
	}
	return 1;
}

/* A JSON string at *pp (at its opening quote), decoded in place into `out` (never longer than
 * the source); *pp moves past it. 0 if it is not one. */
static int json_string(char **pp, char *out)
{
	char *p = *pp, *o = out;
	if (*p++ != '"')
		return 0;
	for (;;) {
		char c = *p++;
		if (!c)
			return 0;
		if (c == '"')
			break;
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		c = *p++;
		unsigned cp, lo;
		switch (c) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case '"': case '\\': case '/': *o++ = c; break;
		case 'u':
			if (!hex4(p, &cp))
				return 0;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u' &&
			    hex4(p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			o += utf8(cp, o);
			break;
		default:
			return 0;
		}
	}
	*o = 0;
	*pp = p;
	return 1;
}

/* What the server said so far. */
static struct {
	char *dir;
	int ended, code;
	char *error;
} result;

/* One line of the server's ({"log"}, {"out"}, {"dir"}, {"end"}, {"error","code"}: resident_protocol.ts
 * ServerLine); a line it cannot read is passed over, as the Deno client does. */
static void server_line(char *line)
{
	char *p = line;
	char *log = NULL, *out = NULL, *dir = NULL, *error = NULL;
	int have_end = 0, have_code = 0;
	long end = 0, code = 1;
	if (*p++ != '{')
		return;
	while (*p && *p != '}') {
		char *key = p;
		if (!json_string(&p, key) || *p++ != ':')
			return;
		if (*p == '"') {
			char *val = p;
			if (!json_string(&p, val))
				return;
			if (!strcmp(key, "log"))
				log = val;
			else if (!strcmp(key, "out"))
				out = val;
			else if (!strcmp(key, "dir"))
				dir = val;
			else if (!strcmp(key, "error"))
				error = val;
		} else {
			char *e;
			long v = strtol(p, &e, 10);
			if (e == p)
				return;
			/* a fraction or exponent: not an integer, not an exit code */
			int whole = *e != '.' && *e != 'e' && *e != 'E';
			while (*e && *e != ',' && *e != '}')
				e++;
			p = e;
			if (whole && !strcmp(key, "end"))
				have_end = 1, end = v;
			else if (whole && !strcmp(key, "code"))
				have_code = 1, code = v;
		}
		if (*p == ',')
			p++;
	}
	/* the first member says what the line is, as in the Deno client's order */
	if (log) {
		fprintf(stderr, "%s\n", log);
	} else if (out) {
		printf("%s\n", out);
		fflush(stdout);
	} else if (dir) {
		free(result.dir);
		result.dir = strdup(dir);
	} else if (have_end) {
		result.ended = 1;
		result.code = (int)end;
	} else if (error) {
		result.ended = 1;
		result.code = have_code ? (int)code : 1;
		result.error = strdup(error);
	}
}

int main(int argc, char **argv)
{
	const char *from = getenv("INIT_CWD");
	if (from && *from && chdir(from))
		die(1, "cannot enter %s (%s)", from, strerror(errno));
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		die(1, "cannot read the current directory: %s", strerror(errno));
	find_socket(argc, argv);

	int fd = connect_socket();
	struct buf req = { 0 };
	build_request(&req, argc, argv, cwd);
	if (!send_all(fd, req.p, req.len))
		die(1, "the resident capture at %s closed the connection", sock_path);
	free(req.p);

	/* the signals passed on (at a terminal, its resizes too), and Ctrl-Z taken: read from a
	 * signalfd; each gets a handler first, so that one ignored by who started this process
	 * still comes (as Deno's listeners do) */
	int at_terminal = isatty(0) || isatty(1);
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP };
	int nsigs = at_terminal ? 5 : 3;
	sigset_t mask;
	sigemptyset(&mask);
	struct sigaction sa = { .sa_handler = SIG_DFL };
	for (int i = 0; i < nsigs; i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (int i = 0; i < nsigs; i++) {
		struct sigaction old;
		sigaction(sigs[i], NULL, &old);
		if (old.sa_handler == SIG_IGN)
			sigaction(sigs[i], &sa, NULL); /* blocked: it waits in the signalfd */
	}
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		die(1, "signalfd: %s", strerror(errno));

	size_t cap = 1 << 16, len = 0;
	char *in = malloc(cap);
	if (!in)
		die(1, "out of memory");
	struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
	int open_ = 1;
	while (open_) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				const char *name = si.ssi_signo == SIGINT    ? "SIGINT"
						   : si.ssi_signo == SIGTERM ? "SIGTERM"
						   : si.ssi_signo == SIGHUP  ? "SIGHUP"
						   : si.ssi_signo == SIGWINCH ? "SIGWINCH"
									     : NULL;
				char line[40];
				if (name) {
					int n = snprintf(line, sizeof(line), "{\"signal\":\"%s\"}\n", name);
					send_all(fd, line, (size_t)n);
				} else {
					fputs("sightline: Ctrl-Z does not stop a --via session (its command is "
					      "not a job of this terminal); Ctrl-C ends it\n",
					      stderr);
				}
			}
		}
		if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (len + 4096 > cap) {
			cap *= 2;
			in = realloc(in, cap);
			if (!in)
				die(1, "out of memory");
		}
		ssize_t n = read(fd, in + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			open_ = 0;
			n = 0;
		}
		len += (size_t)n;
		char *start = in, *nl;
		while ((nl = memchr(start, '\n', len - (size_t)(start - in)))) {
			*nl = 0;
			if (nl > start)
				server_line(start);
			start = nl + 1;
		}
		len -= (size_t)(start - in);
		memmove(in, start, len);
	}
	if (len) { /* a last line without its newline */
		in[len] = 0;
		server_line(in);
	}
	close(fd);
	if (!result.ended) {
		if (result.dir)
			die(1, "the resident capture at %s went away mid-session; what it recorded so "
			       "far stays in %s", sock_path, result.dir);
		die(1, "the resident capture at %s went away mid-session", sock_path);
	}
	if (result.error)
		die(result.code, "%s", result.error);
	return result.code;
}
