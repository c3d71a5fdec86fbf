/**
 * Capture of files named through a process's own descriptors: /proc/self/fd/N (and
 * /proc/thread-self/fd/N, /dev/fd/N) is the file open on fd N, so an O_PATH descriptor reopened
 * for writing, or an O_TMPFILE linked into a directory by its magic link, is recorded under
 * the file's path (and counted written), not as a /proc path that names no file. A pipe's
 * descriptor has no path: it stays as written.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";

Deno.test({
  name: "an O_PATH descriptor reopened for writing, and an O_TMPFILE linked, by /proc/self/fd/N",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "sl-fdlink-" }));
    await Deno.writeTextFile(`${dir}/target.txt`, "original\n");
    await Deno.writeTextFile(`${dir}/other.txt`, "original\n");
    const script = `
import ctypes, os, sys
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_SYMLINK_FOLLOW = -100, 0x400
p = os.open(d + "/target.txt", os.O_PATH)
fd = os.open(f"/proc/self/fd/{p}", os.O_WRONLY | os.O_TRUNC); os.write(fd, b"x"); os.close(fd)
q = os.open(d + "/other.txt", os.O_PATH)
fd = os.open(f"/dev/fd/{q}", os.O_WRONLY | os.O_APPEND); os.close(fd)
t = os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600); os.write(t, b"y")
src = f"/proc/thread-self/fd/{t}".encode()
assert libc.linkat(AT_FDCWD, src, AT_FDCWD, (d + "/linked.txt").encode(), AT_SYMLINK_FOLLOW) == 0
r, w = os.pipe()
fd = os.open(f"/dev/fd/{w}", os.O_WRONLY); os.write(fd, b"to the pipe"); os.close(fd)
# its own descriptor by pid: not resolved, said incomplete
fd = os.open(f"/proc/{os.getpid()}/fd/{p}", os.O_WRONLY); os.close(fd)
# calls on the /proc link itself, not the file: touch -h, an O_NOFOLLOW open, an unlink
os.utime(f"/proc/self/fd/{p}", follow_symlinks=False)
try: os.open(f"/proc/self/fd/{p}", os.O_WRONLY | os.O_NOFOLLOW)
except OSError: pass
try: os.unlink(f"/proc/self/fd/{p}")
except OSError: pass
# a new name under the root directory's descriptor (its walk is empty: "/", not unknown), and
# one under a descriptor not open
root = os.open("/", os.O_PATH)
os.rename(d + "/linked.txt", f"/proc/self/fd/{root}{d}/renamed.txt")
assert libc.renameat(AT_FDCWD, (d + "/renamed.txt").encode(), 999, b"lost.txt") == -1
`;
    try {
      const { res, rec } = await captureForTest({
        cmd: ["/usr/bin/python3", "-c", script, dir],
        out: `${dir}/rec`,
      });
      assert.equal(res.exitCode, 0);
      const O_NOFOLLOW = 0o400000n;
      const opens = rec.file.filter((f) =>
        f.op === "open" && /^\/(proc\/(self|thread-self)|dev)\/fd\/\d+$/.test(f.raw_path) &&
        !(f.flags & O_NOFOLLOW)
      );
      const paths = opens.map((f) => [f.raw_path.replace(/\d+$/, "N"), f.path]);
      // the last is the pipe's, whose descriptor names no file
      const pipe = opens.at(-1)!.raw_path;
      assert.deepEqual(paths, [
        ["/proc/self/fd/N", `${dir}/target.txt`],
        ["/dev/fd/N", `${dir}/other.txt`],
        ["/dev/fd/N", pipe],
      ]);
      assert.match(pipe, /^\/dev\/fd\/\d+$/, "a pipe has no path: as written");
      const link = rec.file.find((f) => f.op === "link");
      assert.ok(link, "the link was recorded");
      assert.equal(link.path2, `${dir}/linked.txt`);
      // an O_TMPFILE has no name of its own: the kernel calls it #INODE, the inode linked
      const ino = (await Deno.stat(`${dir}/renamed.txt`)).ino;
      assert.equal(link.path, `${dir}/#${ino}`, "the linked file is the O_TMPFILE");
      // the calls on /proc/self/fd/N itself: the link, as written, not the file
      const onLink = rec.file.filter((f) =>
        ["utimes", "unlink"].includes(f.op) || (f.op === "open" && (f.flags & O_NOFOLLOW) !== 0n)
      ).filter((f) => f.raw_path.startsWith("/proc/self/fd/"));
      assert.deepEqual(
        onLink.map((f) => [f.op, f.path === f.raw_path]),
        [["utimes", true], ["open", true], ["unlink", true]],
        JSON.stringify(onLink.map((f) => [f.op, f.path, f.raw_path])),
      );
      const byPid = rec.file.filter((f) => /^\/proc\/\d+\/fd\/\d+$/.test(f.raw_path));
      assert.deepEqual(byPid.map((f) => [f.path === f.raw_path, f.path_incomplete]), [[
        true,
        true,
      ]]);
      const renames = rec.file.filter((f) => f.op === "rename");
      assert.deepEqual(
        renames.map((f) => [f.path2, f.path_incomplete]),
        [[`${dir}/renamed.txt`, false], ["lost.txt", true]],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
