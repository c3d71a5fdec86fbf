/**
 * The tables a recording holds, declared once: process.arrow, file.arrow, net.arrow,
 * tls.arrow and privilege.arrow. Column names of the contract are fixed; the rest add
 * detail. Columns added later are marked with the version that added them and what older
 * recordings, which lack them, read as.
 */
import { added, col, opt, type RowOf, table } from "../kit/columns.ts";

/** The version that added the io_uring, bind/listen/accept, privilege... columns (#13). */
const V_BLIND = "0.2.0";
/** The version that added MCP over loopback HTTP to ipc (#14). */
const V_MCP_HTTP = "0.2.0";
/** The version that added cleartext HTTP to other addresses (a model server on the LAN) to ipc. */
const V_LAN_HTTP = "0.2.0";
/** The version that added the namespaces of processes and network calls (sandboxes). */
const V_NS = "0.5.0";
/** The version that added entering namespaces (unshare, setns, clone with CLONE_NEW*) to privilege. */
const V_NS_CALLS = "0.5.2";

/** The version that added DNS answers to net and prctl/seccomp to privilege (the lead sets the
 * release's number). */
const V_DNS_ANSWERS = "0.5.4";
const V_PTRACER = "0.5.5";

/** setgroups: the groups of its list a recording keeps (SL_GROUPS_KEPT, bpf/events.h) */
export const GROUPS_KEPT = 4;

const NET_NS_DOC =
  "the network namespace it was in, by inode number (as /proc/PID/ns/net shows it; the " +
  "manifest's `namespaces.net` is the capture's own): an agent's sandbox (bubblewrap's " +
  "--unshare-net, a container) has one of its own, with a loopback of its own; null: unknown";

const via = added(
  col(
    "via",
    "utf8",
    "how the process asked for it: `syscall`, or `io_uring` (a request submitted to an " +
      "io_uring instance, which the kernel carried out)",
  ),
  V_BLIND,
  "syscall",
);

/**
 * How text columns made from kernel bytes (comm, filename, argv, cwd, exe, file paths, unix
 * socket paths, DNS names) hold bytes that are not UTF-8 (recording/byte_text.ts): the
 * documentation of both schemas says it.
 */
export const NON_UTF8_TEXT =
  "Names on Linux are bytes, not text. The capture keeps valid UTF-8 as it is; each byte that " +
  "is not part of a valid UTF-8 sequence becomes U+FFFD followed by `x` and the byte's two " +
  "lowercase hex digits (the byte 0xff at the end of a file name: `name\uFFFDxff`), " +
  "and a U+FFFD that really was in the bytes (EF BF BD) is doubled (`��`). This holds for " +
  "`comm`, `filename`, `argv`, `cwd` and `exe` of `process`, the paths of `file`, unix socket " +
  "paths of `net` and its DNS `qname`. So two names that differ only in such bytes stay " +
  "two, the escapes are valid UTF-8 (as Arrow and DuckDB strings must be) and can be found " +
  "with `LIKE '%\uFFFDx%'`, and the exact bytes come back by undoing the rule: " +
  "`textBytes` of `recording/byte_text.ts`. Recordings made before this rule hold a lone " +
  "U+FFFD where such bytes were: those bytes are lost.";

export const processTable = table(
  "process",
  "One row per fork, exec and exit of a traced process (threads are not processes), and one " +
    "per process a `--pid` or `--comm` capture joined (`joined`).",
  [
    col("ts_ns", "int64", "wall-clock time, nanoseconds since the Unix epoch"),
    col("pid", "int32", "process id (thread group id)"),
    col("ppid", "int32", "parent process id"),
    col("tid", "int32", "thread that did it (for fork: the new process's first thread)"),
    col("uid", "int32", "user id"),
    col(
      "kind",
      "utf8",
      "`fork`, `exec` or `exit`; `joined`: a process a `--pid` or `--comm` capture joined, " +
        "running before it (its exec unseen), as /proc showed it at the join: its parent, " +
        "name, user, program (`filename`, `exe`), `argv`, `cwd` and namespaces, at the " +
        "capture's start (absent from earlier captures)",
    ),
    col(
      "comm",
      "utf8",
      "the kernel's 15-character command name (after the exec, for exec; for exit, the main thread's, as ps shows it: before tool version 0.4.0, the last thread's to exit)",
    ),
    opt(
      "filename",
      "utf8",
      "exec: the file executed, as passed to execve; joined: the file it runs (`exe`)",
    ),
    opt(
      "argv",
      "list_utf8",
      "exec: the arguments (up to 1 MiB in all; recordings without manifest `exec_argv` kept 16 KiB); joined: its command line as /proc shows it (likewise up to 1 MiB; one a process rewrote, " +
        "as node's `process.title` does, is the line it wrote, its trailing NULs no arguments)",
    ),
    col(
      "argv_truncated",
      "bool",
      "exec, joined: argv was longer than what was kept, or (exec) bytes of it were lost (manifest `exec_argv`)",
    ),
    opt("cwd", "utf8", "exec, joined: the working directory"),
    opt("exit_code", "int32", "exit: the exit status (0-255), null when killed by a signal"),
    opt("exit_signal", "int32", "exit: the signal that killed it"),
    added(
      opt(
        "exe",
        "utf8",
        "exec, joined: the file executed as the kernel found it (after symlinks, execveat's directory " +
          "fd and #! resolution); a file with no directory of its own (a memfd) is " +
          "`/NAME`, e.g. `/memfd:payload`",
      ),
      V_BLIND,
    ),
    added(
      col(
        "exe_unlinked",
        "bool",
        "exec: the executed file has no name in any directory (a memfd, an O_TMPFILE file or " +
          "a deleted one): code run from memory",
      ),
      V_BLIND,
      false,
    ),
    added(opt("net_ns", "int64", "fork, exec, joined: " + NET_NS_DOC), V_NS),
    added(
      opt(
        "mnt_ns",
        "int64",
        "fork, exec, joined: the mount namespace it was in, by inode number (the manifest's " +
          "`namespaces.mnt` is the capture's own): the paths of its `file` rows are as seen " +
          "from it (a sandbox's own file system, parts of the host's bound into it); null: unknown",
      ),
      V_NS,
    ),
  ] as const,
);

export const fileTable = table(
  "file",
  "File system operations of traced processes, by system call or io_uring: opens (with their " +
    "flags), unlinks, renames, mkdirs, rmdirs, chdirs, links, symlinks, chmods, chowns, " +
    "truncates, time changes and memfd creations, failed ones included (see `ret`).",
  [
    col(
      "ts_ns",
      "int64",
      "wall-clock time (ns since the epoch) when the call returned (io_uring: when its " +
        "completion was posted, or its submission if none was seen)",
    ),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id (io_uring: the thread that submitted it)"),
    col(
      "op",
      "utf8",
      "`open` (also open_by_handle_at), `unlink`, `rename` (renameat2 flags in `flags`: 2 is " +
        "RENAME_EXCHANGE), `mkdir`, `rmdir`, `chdir`, `link`, `symlink`, `chmod`, `chown`, " +
        "`truncate`, `utimes` (utime, utimes, futimesat, utimensat), `memfd_create` or " +
        "`chroot`",
    ),
    col(
      "path",
      "utf8",
      "absolute path: relative paths are resolved against the dirfd or cwd at the time of " +
        "the call (lexically, without following symlinks); chdir: the new cwd; a call on a " +
        "file descriptor (fchmod, ftruncate, AT_EMPTY_PATH, open_by_handle_at): the path of " +
        "the file it names; `/proc/self/fd/N` (also /proc/thread-self/fd/N, /dev/fd/N): " +
        "the file open on fd N for a call that follows it (open without O_NOFOLLOW, link " +
        "with AT_SYMLINK_FOLLOW, chmod/chown/utimes without AT_SYMLINK_NOFOLLOW, truncate), " +
        "as written for one that acts on the link itself (unlink, rename, mkdir, lchown, " +
        "touch -h) or a descriptor with no path (pipe, socket, memfd); relative to a " +
        "directory descriptor that was not open: as written (path_incomplete); " +
        "link: the existing file; symlink: the link's target, resolved " +
        "against the link's directory; memfd_create: `memfd:NAME`; chroot: the new root, " +
        "from the top of the mount namespace (failed: as given, resolved); a chrooted " +
        "process's later paths are as it names them, from its root (one resolved from a " +
        "directory outside that root, a descriptor or cwd kept from before, is from the " +
        "machine's root: the two cannot be told apart)",
    ),
    opt(
      "path2",
      "utf8",
      "rename: the absolute target path; link, symlink: the new name (resolved as `path`, " +
        "against its own dirfd; `/proc/self/fd/N` as written)",
    ),
    col("raw_path", "utf8", "the path exactly as the program passed it (memfd_create: the name)"),
    opt("raw_path2", "utf8", "rename, link, symlink: the new name as the program passed it"),
    col("flags", "int64", "open flags (O_*), unlinkat/renameat2/linkat/...at flags"),
    col("mode", "int32", "creation mode for open/mkdir; chmod: the new mode"),
    col(
      "ret",
      "int64",
      "the result: a file descriptor or 0, or a negative errno (io_uring: 0 when no completion " +
        "came, as for a request that asked for none on success)",
    ),
    col(
      "path_incomplete",
      "bool",
      "a base directory (of path or path2) was too deep or could not be resolved, or an " +
        "open for writing names its file by a descriptor the capture did not resolve " +
        "(/dev/stdout, /proc/PID/fd/N; a pipe's, socket's or memfd's is complete)",
    ),
    added(opt("length", "int64", "truncate: the new length"), V_BLIND),
    added(opt("owner", "int32", "chown: the new owner (-1: unchanged)"), V_BLIND),
    added(opt("group", "int32", "chown: the new group (-1: unchanged)"), V_BLIND),
    via,
  ] as const,
);

export const netTable = table(
  "net",
  "Network activity of traced processes, by system call or io_uring: connects, binds, " +
    "listens, accepts, and DNS questions sent to port 53 (UDP, and TCP), and to any other " +
    "UDP port (a local resolver on 5353, dnsmasq's or unbound's own port) when the datagram, " +
    "sent in one buffer, is exactly one DNS query by its format (one question, at most an EDNS OPT record, " +
    "nothing after; checked strictly, so no other datagram is taken for one); and the " +
    `answers to those questions (op \`dns_answer\`, recordings before ${V_DNS_ANSWERS} have ` +
    "none): a message read from the socket a question was sent on (recvfrom, recvmsg, read, " +
    "readv) whose header is a response with the id of one of the last two questions sent on " +
    "it, parsed strictly, with its A, AAAA and CNAME records, so that a connect to an " +
    "address can be named by the question that resolved it.",
  [
    col("ts_ns", "int64", "wall-clock time (ns since the epoch)"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col("op", "utf8", "`connect`, `bind`, `listen`, `accept`, `dns` or `dns_answer`"),
    col("family", "utf8", "`inet`, `inet6`, `unix` or the number of another family"),
    col(
      "addr",
      "utf8",
      "IP address, or the socket path for `unix`: connect, dns: where to; dns_answer: the " +
        "resolver asked (where its question went); bind: the address asked for; listen: the socket's local address; accept: the peer's",
    ),
    col("port", "int32", "port (0 for `unix`), as `addr`"),
    col(
      "ret",
      "int64",
      "connect, bind, listen: 0 or a negative errno (-115 EINPROGRESS for a non-blocking " +
        "connect); accept: the new socket's fd or a negative errno; dns, dns_answer: 0",
    ),
    opt("qname", "utf8", "dns: the question name; dns_answer: the question it answers"),
    opt("qtype", "utf8", "dns, dns_answer: the question type (A, AAAA, ...)"),
    opt("socktype", "utf8", "`stream` or `dgram`"),
    col(
      "fd",
      "int32",
      "socket file descriptor (accept: the new socket; io_uring with a fixed file: -1)",
    ),
    added(opt("local_addr", "utf8", "accept: the local address the peer reached"), V_BLIND),
    added(
      opt("local_port", "int32", "bind: the port the socket got; listen, accept: the local port"),
      V_BLIND,
    ),
    via,
    added(opt("net_ns", "int64", NET_NS_DOC), V_NS),
    added(
      opt(
        "rcode",
        "utf8",
        "dns_answer: its response code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ...; " +
          "another as its number)",
      ),
      V_DNS_ANSWERS,
    ),
    added(
      opt(
        "answers",
        "list_utf8",
        "dns_answer: its A, AAAA and CNAME records in the message's order (`CNAME " +
          "edge.example.net`, `A 192.0.2.1`, `AAAA 2001:db8::1`; other types left out); " +
          "the last `...` when the message was longer than the bytes kept (2048) and its " +
          "later records are unread",
      ),
      V_DNS_ANSWERS,
    ),
  ] as const,
);

export const tlsTable = table(
  "tls",
  "Plaintext moved by TLS library calls of traced processes: one row per call. Concatenating " +
    "`data` per (`pid`, `conn_id`, `conn_gen`, `direction`) in `seq` order gives the byte " +
    "stream the application wrote or read.",
  [
    col("ts_ns", "int64", "wall-clock time (ns since the epoch) when the call returned"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col(
      "conn_id",
      "int64",
      "the library's connection object (SSL*, Go *Conn); for aws-lc AEAD hooks (rustls), " +
        "whose contexts are per direction and key, the first context seen on the socket " +
        "(see capture/conn_pairing.ts)",
    ),
    col("ctx_id", "int64", "the object the hooked call got (differs from conn_id for AEAD reads)"),
    col(
      "conn_gen",
      "int32",
      "generation of conn_id: bumped when the library frees the object, or when a reused " +
        "AEAD context pointer names another connection",
    ),
    col("direction", "utf8", "`write` (sent by the application) or `read` (received)"),
    col(
      "seq",
      "int64",
      "call number per connection, generation and direction, from 0 (a missing number is a " +
        "lost call)",
    ),
    col("len", "int64", "bytes the call moved"),
    col(
      "data",
      "binary",
      "the plaintext (secret headers redacted unless --keep-secrets: the list in " +
        "`protocols/secret_headers.ts` and any header named like a secret key, e.g. " +
        "`x-portkey-api-key`, `helicone-auth`; over HTTP/1, also " +
        "secret-named values in MCP's JSON-RPC bodies and events: " +
        "`protocols/http1_body_secrets.ts`)",
    ),
    col("truncated", "bool", "data was cut at --max-tls-bytes"),
    col(
      "lost",
      "int64",
      "bytes missing from data other than by truncation: holes (ring-buffer drops, faults; " +
        "zero-filled), or the whole call withheld (data empty: HTTP/2 after a gap, not " +
        "written so no secret leaks unmasked)",
    ),
    col("lib", "utf8", "the file hooked (library or executable)"),
    col("fn", "utf8", "the function hooked, e.g. SSL_write"),
  ] as const,
);

export const privilegeTable = table(
  "privilege",
  "Operations of traced processes on other processes, on their own credentials and on their " +
    "namespaces: ptrace " +
    "requests that attach or write (attach, seize, traceme, poke*, set*regs), " +
    "process_vm_writev and process_vm_readv, setuid/setgid and their relatives, signals " +
    "sent to other processes (kill, tkill, tgkill, pidfd_send_signal, rt_sigqueueinfo; not " +
    "signal 0, which only asks whether a process exists, nor one a process sends itself or " +
    "a thread of its own; recordings before 0.5.1 have none, though their processes were " +
    "signalled), its groups and capabilities (setgroups, capset: what `setpriv " +
    "--clear-groups --inh-caps=-all` and `capsh --drop` do; recordings of 0.5.2 and before " +
    "have none), prctl's capability and privilege settings and seccomp (PR_CAPBSET_DROP, " +
    "PR_CAP_AMBIENT raise, lower, clear, PR_SET_KEEPCAPS, PR_SET_SECUREBITS, " +
    "PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP; seccomp(2)'s SET_MODE_STRICT and SET_MODE_FILTER: " +
    "what `setpriv --bounding-set`, `capsh --drop`, `--no-new-privs` and a sandbox's seccomp " +
    `filter do; recordings before ${V_DNS_ANSWERS} have none; PR_SET_DUMPABLE and ` +
    "PR_SET_PTRACER, who may ptrace the process: `PR_SET_PTRACER_ANY` for -1 as the kernel " +
    `reads it, a pid as its low 32 bits, since ${V_PTRACER}), and entering namespaces ` +
    "(what `unshare`, `nsenter`, bubblewrap and the " +
    "agents' sandboxes do): unshare, clone and clone3 with a CLONE_NEW* flag, and every " +
    `setns (recordings before ${V_NS_CALLS} have none). Recordings made before it was added ` +
    "have no privilege.arrow.",
  [
    col("ts_ns", "int64", "wall-clock time (ns since the epoch) when the call returned"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col(
      "op",
      "utf8",
      "`ptrace`, `process_vm_writev`, `process_vm_readv`, `setuid`, `setgid`, `setreuid`, " +
        "`setregid`, `setresuid`, `setresgid`, `setfsuid`, `setfsgid`, `kill`, `tkill`, " +
        "`tgkill`, `pidfd_send_signal`, `rt_sigqueueinfo`, `unshare`, `setns`, `clone`, " +
        "`clone3`, `setgroups`, `capset`, `prctl` or `seccomp`",
    ),
    opt(
      "target_pid",
      "int32",
      "ptrace, process_vm_*, tgkill: the other process; kill, rt_sigqueueinfo: the pid as " +
        "given (0: the sender's process group, -1: every process it may signal, -PGID: " +
        "process group PGID); tkill: the thread; clone, clone3: the new process (null when " +
        "it failed); capset: the pid its header named, when not 0 (the caller); null for " +
        "pidfd_send_signal (a pidfd names its process)",
    ),
    opt(
      "request",
      "utf8",
      "ptrace: the request (`traceme`, `attach`, `seize`, `poketext`, `pokedata`, " +
        "`pokeuser`, `setregs`, `setfpregs`, `setregset`); a signal call: the signal " +
        "(`SIGTERM`, `SIGKILL`, `SIGRTMIN+2`, ...); unshare, clone, clone3: the CLONE_NEW* " +
        "flags given, joined by `|` (`CLONE_NEWUSER|CLONE_NEWNET`; their other flags are " +
        "left out; a clone3 whose arguments could not be read at its start: the flags read " +
        "at its end followed by ` (flags read after the call)` (what memory held then; " +
        "`no CLONE_NEW* flag` when none; recorded whatever they say), or `flags unreadable` " +
        "when they could be read at neither); setns: the type of the namespace entered (`CLONE_NEWNET`), or the " +
        "namespaces asked for from a pidfd; setgroups: how many groups the list had " +
        "(`2 groups`; `groups unreadable`); capset: the three sets given as hexadecimal " +
        "masks, bit N capability N of capabilities(7) (`effective 0x0 permitted 0x0 " +
        "inheritable 0x0`; `sets unreadable`); prctl: the option and its argument, a " +
        "capability by name (`PR_CAPBSET_DROP CAP_NET_RAW`, `PR_CAP_AMBIENT_RAISE " +
        "CAP_NET_BIND_SERVICE`, `PR_CAP_AMBIENT_CLEAR_ALL`, `PR_SET_KEEPCAPS 1`, " +
        "`PR_SET_NO_NEW_PRIVS 1`, `PR_SET_SECCOMP filter`, `PR_SET_SECUREBITS 0x2f`); " +
        "seccomp: `SECCOMP_SET_MODE_FILTER` or `SECCOMP_SET_MODE_STRICT`, with its flags " +
        "(`flags 0x1`) when any",
    ),
    opt(
      "ids",
      "list_utf8",
      "set*id: the ids asked for, in the call's order (real, effective, saved; -1: " +
        `unchanged); setgroups: the first ${GROUPS_KEPT} groups of its list (\`request\` says how ` +
        "many)",
    ),
    col("ret", "int64", "the result: 0 (or bytes moved, or the old id) or a negative errno"),
    col("uid", "int32", "the caller's user id before the call"),
    added(
      opt(
        "ns",
        "int64",
        "setns: the namespace entered, by inode number (as /proc/PID/ns/* shows it, and " +
          "`process.net_ns`, `process.mnt_ns` and `net.net_ns`); null for a pidfd and for " +
          "the other operations",
      ),
      V_NS_CALLS,
    ),
  ] as const,
);

export const ipcTable = table(
  "ipc",
  "Bytes traced processes wrote and read on pipes and unix sockets that carry JSON-RPC (MCP's " +
    "stdio transport), on loopback TCP sockets that carry plaintext HTTP/1 (MCP's " +
    "streamable-HTTP and HTTP+SSE transports, a model server on the same machine) or cleartext " +
    "HTTP/2 (h2c: gRPC, MCP over HTTP/2), and on TCP sockets to any other address that carry " +
    "plaintext HTTP/1 (a model server on the LAN: Ollama, vLLM; or any other plain HTTP a " +
    "traced process makes there, e.g. `curl -d @file http://10.0.0.5:8080/upload`, which the " +
    "analysis reads into `http_exchanges`): one row per read- or " +
    "write-family call. A pipe " +
    "or socket is recorded once a traced call on it began with JSON-RPC (`{` and a JSON-RPC " +
    "key such as `jsonrpc`, `method`, `id`, `result`, or a `Content-Length:` header), a TCP " +
    "socket to 127.0.0.0/8 or ::1 once one began with an HTTP/1 request or status line, the " +
    "HTTP/2 client preface or a SETTINGS frame (an HTTP/2 server's first bytes), a TCP socket " +
    "to any other address only if its first call began with an HTTP/1 request in origin form " +
    "(`GET /`, `POST /`, ...: the client's request, or the request a traced server read), a " +
    "POST or GET in absolute form (`POST http://...`: to a plain HTTP proxy, `HTTP_PROXY`, as " +
    "on loopback) or a proxy's `CONNECT`; ordinary pipes and other TCP (TLS) are not. A client's `CONNECT host:port` to an HTTP proxy (`HTTPS_PROXY`) and the " +
    "proxy's answer are recorded up to the tunnel's first TLS record, not after it (its " +
    "plaintext is in `tls`; a tunnel carrying cleartext HTTP is recorded whole; older " +
    "recordings have no request in absolute form and no CONNECT to a proxy off loopback, and " +
    "the oldest the tunnel from the proxy's answer on, ciphertext included, and no CONNECT). " +
    "Secrets are masked (same length) unless capture " +
    "ran with --keep-secrets: HTTP secret headers (as in `tls`, in HPACK blocks for HTTP/2), " +
    "and the string values of secret-named keys (token, secret, password, API key, key, " +
    "private or access key, passphrase, auth, authorization, cookie, credential: " +
    "`protocols/json_secrets.ts`), and the body of a PEM private key in any string value, " +
    "in every JSON-RPC message: on pipes and unix sockets in every JSON value of the stream (`initialize`, a " +
    "later `tools/call`'s arguments, every answer), over HTTP/1 in every JSON-RPC body and " +
    "event-stream message of every request and answer on the connection, over h2c in the " +
    "DATA frames of MCP's streams (judged as in `tls`: an LLM API's bodies are passed, not " +
    "masked); after lost bytes, everything but JSON punctuation up to the next place a " +
    "message surely begins. Earlier recordings masked only the first JSON " +
    "value each way (`initialize` and its answer): later messages there may hold secrets in " +
    "clear (the analysis masks them in `mcp_messages` all the same). " +
    "Concatenating `data` per (`pid`, `inode`, `direction`) in `seq` order gives the byte " +
    "stream. Optional: capture --no-ipc writes no ipc.arrow, and a recording without one " +
    "recorded none.",
  [
    col("ts_ns", "int64", "wall-clock time (ns since the epoch) when the call returned"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col("fd", "int32", "the file descriptor"),
    col(
      "kind",
      "utf8",
      "`pipe` (a pipe or FIFO), `unix` (a unix socket or socketpair) or `tcp` (a TCP socket " +
        "carrying HTTP/1, or h2c on loopback: `remote_addr` says where to)",
    ),
    col(
      "inode",
      "int64",
      "the pipe's or socket's inode: both ends of a pipe share it, so a write and the read " +
        "that takes its bytes have the same inode",
    ),
    opt(
      "peer_inode",
      "int64",
      "`unix`: the inode of the socket at the other end (the peer's rows have it as `inode`); " +
        "`tcp`: the same, when the other end was traced too (found by its addresses and " +
        "ports swapped; on loopback only in the same network namespace when both processes' are " +
        "known, as captures do since 2026-12-05: each sandbox has a loopback of its own); " +
        "null for " +
        "pipes, whose ends share `inode`",
    ),
    opt(
      "peer_pid",
      "int32",
      "the process at the other end: one seen moving bytes on the other end (the same pipe " +
        "the other way, or the peer socket) by about a second after the call; null if none was",
    ),
    col("direction", "utf8", "`write` (sent by the process) or `read` (received)"),
    col("seq", "int64", "call number per (pid, inode, direction), from 0"),
    col("len", "int64", "bytes the call moved"),
    col("data", "binary", "the bytes (cut at capture's --max-tls-bytes: see `truncated`)"),
    col("truncated", "bool", "data was cut"),
    col(
      "lost",
      "int64",
      "bytes missing other than by truncation: holes in data (ring-buffer drops, unreadable " +
        "memory; zero-filled), recorded calls missing before this one on its inode and " +
        "direction, and the call's bytes when it was withheld (data empty: h2c after a gap, " +
        "not written so no secret leaks unmasked)",
    ),
    added(opt("local_port", "int32", "`tcp`: the socket's own port"), V_MCP_HTTP),
    added(
      opt("remote_port", "int32", "`tcp`: the port of the other end (the server's, for a client)"),
      V_MCP_HTTP,
    ),
    added(
      opt(
        "local_addr",
        "utf8",
        "`tcp`: the socket's own IP address (`a.b.c.d`, also on a dual-stack socket, or IPv6 " +
          "text)",
      ),
      V_LAN_HTTP,
    ),
    added(
      opt(
        "remote_addr",
        "utf8",
        "`tcp`: the IP address of the other end, as `local_addr` (the server's, for a client); " +
          "null in recordings made before it, which recorded loopback TCP only",
      ),
      V_LAN_HTTP,
    ),
  ] as const,
);

export const CAPTURE_TABLES = [
  processTable,
  fileTable,
  netTable,
  tlsTable,
  privilegeTable,
] as const;

/** Tables a recording may hold besides the capture's four (absent file: nothing recorded). */
export const OPTIONAL_TABLES = [ipcTable] as const;

export type ProcessRow = RowOf<typeof processTable>;
export type FileRow = RowOf<typeof fileTable>;
export type NetRow = RowOf<typeof netTable>;
export type TlsRow = RowOf<typeof tlsTable>;
export type IpcRow = RowOf<typeof ipcTable>;
export type PrivilegeRow = RowOf<typeof privilegeTable>;

/** The columns of a process row that its kind does not use, empty, as the capture writes them. */
export const UNUSED_PROCESS_COLUMNS = {
  filename: null,
  argv: null,
  argv_truncated: false,
  cwd: null,
  exit_code: null,
  exit_signal: null,
  exe: null,
  exe_unlinked: false,
  net_ns: null,
  mnt_ns: null,
} as const satisfies Partial<ProcessRow>;
