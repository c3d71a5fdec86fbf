/**
 * The kept loader's pure parts: which sessions share its options (the others get a loader of
 * their own, and are told why), and the session file bpf/loader.c read_session reads.
 */
import assert from "node:assert/strict";
import { optionsDiffer, sessionFile } from "./kept_loader.ts";
import { LoaderError } from "./loader.ts";

const kept = { maxTlsBytes: 1 << 20, gate: true, ipc: true };

Deno.test("a session with the kept loader's options shares it; one with others is told which", () => {
  assert.equal(optionsDiffer(kept, { ...kept }), undefined);
  assert.equal(
    optionsDiffer(kept, { maxTlsBytes: 4096, gate: false, ipc: false }),
    "its options differ from the kept loader's (--max-tls-bytes 4096, --no-gate, --no-ipc)",
  );
  assert.equal(
    optionsDiffer({ ...kept, ipc: false }, kept),
    "its options differ from the kept loader's (ipc)",
  );
});

Deno.test("the session file: uid, gid, directory, client, the command and its whole environment, NUL-terminated", () => {
  const bytes = sessionFile({
    maxTlsBytes: 1,
    gate: true,
    cmd: ["/bin/sh", "-c", "echo 'a b'"],
    uid: 1000,
    gid: 1001,
    cwd: "/home/u/proj",
    stdioOf: 4242,
    stdioStart: 987654,
    commandEnv: { PATH: "/usr/bin", EMPTY: "" },
    env: { EXTRA: "x=y" },
  });
  const text = new TextDecoder().decode(bytes);
  assert.ok(text.endsWith("\0"));
  assert.deepEqual(text.slice(0, -1).split("\0"), [
    "1000",
    "1001",
    "/home/u/proj",
    "4242",
    "987654",
    "3",
    "/bin/sh",
    "-c",
    "echo 'a b'",
    "PATH=/usr/bin",
    "EMPTY=",
    "EXTRA=x=y",
  ]);
  // none given: -1, -1, "", 0 and -1, as the loader reads "none"
  const bare = new TextDecoder().decode(
    sessionFile({ maxTlsBytes: 1, gate: true, cmd: ["true"], commandEnv: {} }),
  );
  assert.deepEqual(bare.slice(0, -1).split("\0"), ["-1", "-1", "", "0", "-1", "1", "true"]);
});

Deno.test("a NUL byte in an argument, the directory or the environment: refused with one line, never a shifted session file", () => {
  const base = { maxTlsBytes: 1, gate: true, cmd: ["true"], commandEnv: {} };
  const refused = (o: Partial<typeof base> & Record<string, unknown>) =>
    assert.throws(() => sessionFile({ ...base, ...o }), (e: Error) => {
      assert.ok(e instanceof LoaderError);
      assert.equal(e.exitCode, 2);
      assert.match(e.message, /NUL byte/);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  refused({ cmd: ["echo", "a\0b"] });
  refused({ cwd: "/tmp\0x" });
  refused({ commandEnv: { A: "x\0y" } });
  refused({ env: { "B\0C": "1" } });
});
