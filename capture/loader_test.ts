/**
 * The loader's handshake: a loader that does not open its connection with the digest of the
 * events.h the capture's decoder mirrors (a build older than the sources, one from before the
 * handshake, one that says nothing) is refused within HELLO_MS, killed, and the capture ends
 * with one line saying to rebuild it. Fake loaders (a Deno script that connects and says what
 * it is told) stand in for stale builds (every real capture test checks the real one's).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { decode, EVENTS_H_HASH, Kind, type SlEvent } from "./events.ts";
import { createFrameParser } from "./frames.ts";
import { fixtureStream } from "../tests/support/loader_stream.ts";
import { HELLO_MS, LOADER_HELLO, LOADER_PATH, LoaderClient, LoaderError } from "./loader.ts";
import { run } from "./recorder.ts";
import { CliError } from "../kit/cli_error.ts";
import { stat } from "../kit/procs.ts";

const FAKE = `
await Deno.writeTextFile(Deno.env.get("FAKE_PIDFILE")!, String(Deno.pid));
const sock = Deno.args[Deno.args.indexOf("--sock") + 1];
const conn = await Deno.connect({ transport: "unix", path: sock });
const say = atob(Deno.env.get("FAKE_HELLO") ?? "");
await conn.write(Uint8Array.from(say, (c) => c.charCodeAt(0)));
await new Promise((r) => setTimeout(r, 60_000));
`;

/**
 * A fake sightline-loader: it writes its pid to $FAKE_PIDFILE, connects, says $FAKE_HELLO
 * (base64: bytes any) and waits.
 */
async function fakeLoader(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/fake.ts`, FAKE);
  const path = `${dir}/sightline-loader`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexec ${JSON.stringify(Deno.execPath())} run -A --quiet ${dir}/fake.ts "$@"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

const alive = (pid: number) => {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

Deno.test("events.ts EVENTS_H_HASH is the digest of bpf/events.h (change them together)", async () => {
  const text = await Deno.readFile(new URL("../bpf/events.h", import.meta.url));
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  assert.equal(EVENTS_H_HASH, digest, "set EVENTS_H_HASH to the new digest, then make -C bpf");
});

Deno.test("a loader that does not say this events.h's digest first is refused within HELLO_MS and killed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-fake-loader-" });
  try {
    const loaderPath = await fakeLoader(dir);
    const stale = LOADER_HELLO.replace(EVENTS_H_HASH, "0123456789abcdef");
    // another digest; the old protocol (a record first: its length); nothing at all
    for (
      const [hello, why] of [[stale, "another bpf/events.h"], [
        "\x40\0\0\0\x40" + "\0".repeat(63),
        "another",
      ], [
        "",
        "no handshake",
      ]]
    ) {
      const pidFile = `${dir}/pid`;
      await Deno.remove(pidFile).catch(() => {});
      const t0 = performance.now();
      await assert.rejects(
        LoaderClient.start({
          maxTlsBytes: 1024,
          gate: true,
          cmd: ["true"],
          loaderPath,
          env: { FAKE_HELLO: btoa(hello), FAKE_PIDFILE: pidFile },
        }),
        (e: unknown) =>
          e instanceof LoaderError && e.message.includes(why) &&
          e.message === e.message.split("\n")[0] &&
          /is stale .*: rebuild it with make -C bpf$/.test(e.message),
        JSON.stringify(hello),
      );
      const ms = performance.now() - t0;
      assert.ok(ms < HELLO_MS + 1500, `refused after ${Math.round(ms)} ms`);
      if (hello) assert.ok(ms < 1500, `a wrong hello is refused at once (${Math.round(ms)} ms)`);
      const pid = Number(await Deno.readTextFile(pidFile).catch(() => "0"));
      assert.ok(pid && !alive(pid), "the stale loader is killed");
    }
    // the right hello is let through
    const pidFile = `${dir}/pid`;
    const ok = await LoaderClient.start({
      maxTlsBytes: 1024,
      gate: false,
      cmd: ["true"],
      loaderPath,
      env: { FAKE_HELLO: btoa(LOADER_HELLO), FAKE_PIDFILE: pidFile },
    });
    ok.ready.catch(() => {}); // it never is: killed
    ok.process.kill("SIGKILL");
    await ok.process.status;
    await ok.done;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "capture against a stale loader: one line, exit 1, within seconds, the command never run",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-stale-" });
    try {
      const loaderPath = await fakeLoader(dir);
      const t0 = performance.now();
      await assert.rejects(
        run({
          cmd: ["touch", `${dir}/ran`],
          out: `${dir}/rec`,
          quiet: true,
          loaderPath,
          env: { FAKE_HELLO: btoa("SLHELLO 0123456789abcdef\n"), FAKE_PIDFILE: `${dir}/pid` },
        }),
        (e: unknown) =>
          e instanceof CliError && e.exitCode === 1 && !e.message.includes("\n") &&
          e.message.endsWith(
            "is stale (built from another bpf/events.h): rebuild it with make -C bpf",
          ),
      );
      assert.ok(performance.now() - t0 < 3000, `${Math.round(performance.now() - t0)} ms`);
      await assert.rejects(Deno.stat(`${dir}/ran`), "the command never ran");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the loader refuses a --uid, --gid, --stdio-of or --stdio-start that is not a number in range: one line, exit 2", async () => {
  for (
    const [opt, arg, range] of [
      ["--uid", "x", "0 to 4294967294"],
      ["--uid", "NaN", "0 to 4294967294"],
      ["--uid", "4294967295", "0 to 4294967294"],
      ["--gid", "-1", "0 to 4294967294"],
      ["--gid", "", "0 to 4294967294"],
      ["--stdio-of", "abc", "2 to 4194304"],
      ["--stdio-of", "0", "2 to 4194304"],
      ["--stdio-of", "12x", "2 to 4194304"],
      ["--stdio-start", "-1", "0 to 9223372036854775807"],
    ]
  ) {
    const out = await new Deno.Command(LOADER_PATH, {
      args: ["--sock", "/nonexistent/s", opt, arg, "--", "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, `${opt} ${arg}`);
    assert.equal(
      new TextDecoder().decode(out.stderr),
      `sightline-loader: ${opt} ${arg}: not a number from ${range}\n`,
    );
  }
});

// A resident capture's session gives the loader its client's pid and start time: a client
// reaped and its pid given to another process must not have its stdin, stdout and stderr taken
// for the command. The pid here is a live process of another start time than the one asked for
// (as a reused pid is): refused before anything loads, the command never run.
Deno.test("--stdio-of PID --stdio-start TICKS: a pid that is not the process started then is refused, one line, exit 2, the command never run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-stdio-of-" });
  const other = new Deno.Command("sleep", { args: ["60"], stdin: "null", stdout: "null" })
    .spawn();
  try {
    const start = Number(stat(other.pid)!.start);
    const loader = await LoaderClient.start({
      maxTlsBytes: 1024,
      gate: false,
      cmd: ["touch", `${dir}/ran`],
      stdioOf: other.pid,
      stdioStart: start + 1,
    });
    await assert.rejects(
      loader.ready,
      (e: unknown) =>
        e instanceof LoaderError && e.exitCode === 2 &&
        e.message === `--stdio-of ${other.pid}: the client has gone (its pid is not the ` +
            `process that started at ${start + 1})`,
    );
    await loader.done;
    await assert.rejects(Deno.stat(`${dir}/ran`), Deno.errors.NotFound, "the command never ran");
  } finally {
    other.kill("SIGKILL");
    await other.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a kept loader (--serve-sock) refuses what only a session gives: a command's user, group, directory or client (usage, exit 2)", async () => {
  for (
    const opts of [["--uid", "0"], ["--gid", "0"], ["--cwd", "/"], ["--stdio-of", "2"], [
      "--",
      "true",
    ]]
  ) {
    const out = await new Deno.Command(LOADER_PATH, {
      args: ["--serve-sock", "/nonexistent/s", ...opts],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, opts.join(" "));
    assert.match(new TextDecoder().decode(out.stderr), /^usage: sightline-loader/, opts.join(" "));
  }
});

/** Whether SIGHUP is still pending for process `pid` (the loader has not taken it yet). */
const hupPending = (pid: number) => {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^ShdPnd:\s*([0-9a-f]+)$/m);
    return !!m && (BigInt(`0x${m[1]}`) & 1n) === 1n; // SIGHUP is signal 1: bit 0
  } catch {
    return false; // gone
  }
};

// A capture started under nohup (SIGHUP ignored, and so by the command forked for it): a SIGHUP
// to the loader before the command's release must end the loader there, the command killed and
// reaped unrun, not passed on to a command that ignores it and then released by a `go`.
Deno.test({
  name:
    "a SIGHUP to the loader before its command's release: the command (ignoring SIGHUP) never runs",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-unreleased-" });
    try {
      const loaderPath = `${dir}/sightline-loader`;
      await Deno.writeTextFile(
        loaderPath,
        `#!/bin/sh\ntrap '' HUP\nexec ${JSON.stringify(LOADER_PATH)} "$@"\n`,
      );
      await Deno.chmod(loaderPath, 0o755);
      const loader = await LoaderClient.start({
        maxTlsBytes: 1024,
        gate: false,
        cmd: ["touch", `${dir}/ran`],
        loaderPath,
      });
      const kinds: number[] = [];
      loader.listen((ev) => kinds.push(ev.kind));
      const ready = await loader.ready;
      assert.ok(ready.childPid > 0, "the command is forked");
      loader.process.kill("SIGHUP");
      // taken (read from its signalfd) before the `go` is sent: polled, not timed
      while (hupPending(loader.process.pid)) await new Promise((r) => setTimeout(r, 5));
      const go = await loader.command("go");
      await loader.done;
      const st = await loader.process.status;
      assert.notEqual(go.text, "ok", "the command is not released");
      assert.equal(st.code, 0, "the loader ends in order");
      await assert.rejects(Deno.stat(`${dir}/ran`), "the command never ran");
      assert.ok(!kinds.includes(Kind.CHILD), "no end is said of a command that never ran");
      assert.throws(() => Deno.statSync(`/proc/${ready.childPid}`), "reaped, not left");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("records that arrive before listen() keep their bytes: the read buffer is reused by the stream and by the next", async () => {
  const bytes = await fixtureStream();
  const frames: Uint8Array[] = [];
  const parser = createFrameParser({ onFrame: (f) => frames.push(f.slice()) });
  parser.feed(bytes);
  parser.end();
  const framed = (f: Uint8Array) => {
    const out = new Uint8Array(4 + f.length);
    new DataView(out.buffer).setUint32(0, f.length, true);
    out.set(f, 4);
    return out;
  };
  assert.deepEqual(framed(frames[0]), bytes.subarray(0, 4 + frames[0].length), "frame layout");
  const dataOf = (evs: SlEvent[]) =>
    evs.flatMap((ev) => "data" in ev && ev.data.length ? [Array.from(ev.data).join()] : []);
  const expected = dataOf(frames.map((f) => decode(f)).filter((ev) => ev.kind !== Kind.REPLY));
  assert.ok(expected.length > 1, `the stream has records with bytes: ${expected.length}`);

  const dir = await Deno.makeTempDir({ prefix: "sl-early-" });
  const listener = Deno.listen({ transport: "unix", path: `${dir}/sock` });
  const process = {
    pid: 0,
    status: Promise.resolve({ success: true, code: 0, signal: null }),
    kill() {},
  };
  /** a session fed `order`'s frames, a few at a time (each write a read of its own, mostly) */
  const session = async (order: Uint8Array[]) => {
    const writer = await Deno.connect({ transport: "unix", path: `${dir}/sock` });
    const conn = await listener.accept();
    const client = LoaderClient.ofSession(process, conn, undefined as unknown as LoaderClient);
    for (let i = 0; i < order.length; i += 8) {
      const chunk = order.slice(i, i + 8).map(framed);
      for (const c of chunk) await writer.write(c);
      await new Promise((r) => setTimeout(r, 0));
    }
    writer.close();
    await client.done;
    return client;
  };
  try {
    const first = await session(frames);
    // another session reads into the buffer the first has left: other bytes at each offset
    const second = await session([...frames].reverse());
    for (const [client, want] of [[first, expected], [second, [...expected].reverse()]] as const) {
      const got: SlEvent[] = [];
      client.listen((ev) => got.push(ev));
      assert.deepEqual(dataOf(got), want);
    }
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
