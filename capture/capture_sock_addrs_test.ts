/**
 * Capture of socket addresses read from the kernel's socket: an IPv6 listener's local address
 * and an IPv6 accept's two ends are whole (16 bytes, not the first), and a unix socket's name
 * is the bytes its length gives: an abstract name has no NUL, and what follows it in the
 * caller's buffer (or the kernel's allocation) is no part of it, and is not read: a name that
 * ends its page is recorded whole.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";

const SCRIPT = `
import ctypes, os, socket
l = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
l.bind(("::1", 0)); l.listen(1)
port = l.getsockname()[1]
c = socket.create_connection(("::1", port))
a, _ = l.accept()
a.close(); c.close(); l.close()
# abstract unix names given with their length, in buffers holding more bytes after them
libc = ctypes.CDLL(None, use_errno=True)
name = b"\\0sl-abstract-%d" % os.getpid()
def sockaddr(tail):
    raw = socket.AF_UNIX.to_bytes(2, "little") + name + tail
    return ctypes.create_string_buffer(raw, 110), 2 + len(name)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
buf, n = sockaddr(b"GARBAGE-after-the-name")
assert libc.bind(s.fileno(), buf, n) == 0
assert libc.listen(s.fileno(), 1) == 0
t = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
buf, n = sockaddr(b"junk")
assert libc.connect(t.fileno(), buf, n) == 0
# a name that ends a page whose next is unreadable: only its own bytes can be read
import mmap
page = mmap.PAGESIZE
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.connect.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
m = libc.mmap(None, 2 * page, 3, 0x22, -1, 0)
assert libc.mprotect(m + page, page, 0) == 0
raw = socket.AF_UNIX.to_bytes(2, "little") + name
at = m + page - len(raw)
ctypes.memmove(at, raw, len(raw))
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
assert libc.connect(u.fileno(), at, len(raw)) == 0
print(port)
`;

Deno.test({
  name: "IPv6 listen and accept addresses whole; abstract unix names cut at their length",
  ignore: skipWithoutRoot(),
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-sockaddrs-" });
    const { res, rec } = await captureForTest({
      cmd: ["/usr/bin/python3", "-c", SCRIPT],
      out: `${tmp}/rec`,
    }).finally(() => Deno.remove(tmp, { recursive: true }));
    assert.equal(res.exitCode, 0);
    const py = rec.process.find((r) => r.kind === "exec")!.pid;
    const v6 = rec.net.filter((n) => n.family === "inet6" && n.op !== "connect");
    const port = v6.find((n) => n.op === "listen")?.port;
    assert.ok(port, "the listen was recorded");
    assert.deepEqual(v6.map((n) => [n.op, n.addr, n.local_addr]), [
      ["bind", "::1", null],
      ["listen", "::1", null],
      ["accept", "::1", "::1"],
    ]);
    const unix = rec.net.filter((n) => n.family === "unix").map((n) => [n.op, n.addr]);
    const abstract = `@sl-abstract-${py}`;
    assert.deepEqual(unix, [
      ["bind", abstract],
      ["listen", abstract],
      ["connect", abstract],
      // its buffer ends with the name: a read of 108 bytes would have failed
      ["connect", abstract],
    ]);
  },
});
