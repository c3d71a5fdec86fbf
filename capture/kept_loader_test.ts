/**
 * The kept loader: which sessions share its options (the others get a loader of their own, and
 * are told why), the session file bpf/loader.c read_session reads; and, as root for real, a
 * session's end answers what it asked (nothing carried into the next) and a client's pid is
 * checked by its start time before its stdio is taken.
 */
import assert from "node:assert/strict";
import { KeptLoader, optionsDiffer, sessionFile } from "./kept_loader.ts";
import { LoaderClient, LoaderError, type LoaderOptions } from "./loader.ts";
import { DEFAULT_MAX_TLS_BYTES } from "./launch.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";

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

/** A kept loader of the default options for `fn`, its stderr lines in `log`, unloaded at its end. */
async function withKept(
  fn: (kept: KeptLoader, client: LoaderClient, log: string[]) => Promise<void>,
) {
  const log: string[] = [];
  const kept = new KeptLoader({ ...kept0 }, (l) => log.push(l));
  try {
    const client = await kept.ensure();
    assert.ok(client, log.join("\n"));
    await fn(kept, client, log);
  } finally {
    await kept.stop();
  }
}
const kept0 = { maxTlsBytes: DEFAULT_MAX_TLS_BYTES, gate: true, ipc: true };
const session = (cmd: string[], more: Partial<LoaderOptions> = {}): LoaderOptions => ({
  ...kept0,
  cmd,
  commandEnv: {},
  ...more,
});

Deno.test({
  name:
    "an attach still waiting for its programs when a session ends is answered in that session, never run in the next",
  ignore: skipWithoutRoot(),
  async fn() {
    await withKept(async (kept, client) => {
      const a = await kept.session(client, session(["/bin/sleep", "30"]));
      await a.ready;
      // a program of the part loaded on first need (sl_go_*): the attach waits for its load,
      // and the session is ended at once, its command never released
      const attach = a.command("attach", a.peekId(), "sl_go_write_entry", "0", 0, "/nonexistent/a");
      void a.command("end");
      const ra = await attach;
      assert.ok(!ra.gone, "answered on its own session's connection");
      assert.match(ra.text, /nonexistent|No such file/);
      await a.process.status;
      const b = await kept.session(client, session(["/bin/true"]));
      await b.ready;
      const rb = await b.command(
        "attach",
        b.peekId(),
        "sl_go_no_such_program",
        "0",
        0,
        "/bin/true",
      );
      assert.equal(rb.text, "no such program", "the next session's attach is answered as its own");
      void b.command("end");
      await b.process.status;
    });
  },
});

Deno.test({
  name:
    "a session's client whose pid is another process's by its start time: its stdio is not taken, the session refused in one line",
  ignore: skipWithoutRoot(),
  async fn() {
    await withKept(async (kept, client) => {
      const mark = await Deno.makeTempFile();
      try {
        const s = await kept.session(
          client,
          session(["/bin/sh", "-c", `echo ran > ${mark}`], { stdioOf: Deno.pid, stdioStart: 1 }),
        );
        await assert.rejects(
          s.ready,
          /^Error: --stdio-of \d+: the client has gone \(its pid is not the process that started at 1\)$/,
        );
        assert.notEqual((await s.process.status).code, 0);
        assert.equal(Deno.readTextFileSync(mark), "", "its command never ran");
        // the kept loader serves the next session
        const t = await kept.session(client, session(["/bin/true"]));
        await t.ready;
        void t.command("go");
        void t.command("end");
        assert.equal((await t.process.status).code, 0);
      } finally {
        Deno.removeSync(mark);
      }
    });
  },
});
