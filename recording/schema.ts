/**
 * The tables a recording holds, declared once: process.arrow, file.arrow, net.arrow and
 * tls.arrow. Column names of the contract are fixed; the rest add detail.
 */
import { col, opt, type RowOf, table } from "../kit/columns.ts";

export const processTable = table(
  "process",
  "One row per fork, exec and exit of a traced process (threads are not processes).",
  [
    col("ts_ns", "int64", "wall-clock time, nanoseconds since the Unix epoch"),
    col("pid", "int32", "process id (thread group id)"),
    col("ppid", "int32", "parent process id"),
    col("tid", "int32", "thread that did it (for fork: the new process's first thread)"),
    col("uid", "int32", "user id"),
    col("kind", "utf8", "`fork`, `exec` or `exit`"),
    col("comm", "utf8", "the kernel's 15-character command name (after the exec, for exec)"),
    opt("filename", "utf8", "exec: the file executed, as passed to execve"),
    opt("argv", "list_utf8", "exec: the arguments (up to 16 KiB in all)"),
    col("argv_truncated", "bool", "exec: argv was longer than what was kept"),
    opt("cwd", "utf8", "exec: the working directory"),
    opt("exit_code", "int32", "exit: the exit status (0-255), null when killed by a signal"),
    opt("exit_signal", "int32", "exit: the signal that killed it"),
  ] as const,
);

export const fileTable = table(
  "file",
  "File system operations of traced processes: opens (with their flags), unlinks, renames, " +
    "mkdirs, rmdirs and chdirs, failed ones included (see `ret`).",
  [
    col("ts_ns", "int64", "wall-clock time (ns since the epoch) when the call returned"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col("op", "utf8", "`open`, `unlink`, `rename`, `mkdir`, `rmdir` or `chdir`"),
    col(
      "path",
      "utf8",
      "absolute path: relative paths are resolved against the dirfd or cwd at the time of " +
        "the call (lexically, without following symlinks); chdir: the new cwd",
    ),
    opt("path2", "utf8", "rename: the absolute target path"),
    col("raw_path", "utf8", "the path exactly as the program passed it"),
    opt("raw_path2", "utf8", "rename: the target as the program passed it"),
    col("flags", "int64", "open flags (O_*), unlinkat/renameat2 flags"),
    col("mode", "int32", "creation mode for open/mkdir"),
    col("ret", "int64", "the result: a file descriptor or 0, or a negative errno"),
    col("path_incomplete", "bool", "a base directory was too deep or could not be resolved"),
  ] as const,
);

export const netTable = table(
  "net",
  "Network activity of traced processes: connect(2) calls and DNS questions sent to port 53.",
  [
    col("ts_ns", "int64", "wall-clock time (ns since the epoch)"),
    col("pid", "int32", "process id"),
    col("tid", "int32", "thread id"),
    col("op", "utf8", "`connect` or `dns`"),
    col("family", "utf8", "`inet`, `inet6`, `unix` or the number of another family"),
    col("addr", "utf8", "IP address, or the socket path for `unix`"),
    col("port", "int32", "port (0 for `unix`)"),
    col("ret", "int64", "connect: 0 or a negative errno (-115 EINPROGRESS for non-blocking)"),
    opt("qname", "utf8", "dns: the question name"),
    opt("qtype", "utf8", "dns: the question type (A, AAAA, ...)"),
    opt("socktype", "utf8", "`stream` or `dgram`"),
    col("fd", "int32", "socket file descriptor"),
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
    col("data", "binary", "the plaintext (secret headers redacted unless --keep-secrets)"),
    col("truncated", "bool", "data was cut at --max-tls-bytes"),
    col("lost", "int64", "bytes missing from data other than by truncation (drops, faults)"),
    col("lib", "utf8", "the file hooked (library or executable)"),
    col("fn", "utf8", "the function hooked, e.g. SSL_write"),
  ] as const,
);

export const CAPTURE_TABLES = [processTable, fileTable, netTable, tlsTable] as const;

export type ProcessRow = RowOf<typeof processTable>;
export type FileRow = RowOf<typeof fileTable>;
export type NetRow = RowOf<typeof netTable>;
export type TlsRow = RowOf<typeof tlsTable>;
