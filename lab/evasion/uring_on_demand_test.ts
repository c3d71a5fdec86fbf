/**
 * The io_uring programs loaded on demand (bpf/loader.c, "loading in parts"): a capture of a
 * command does not verify them until a traced process first calls io_uring_setup (or _enter,
 * _register), which holds that process until they are attached, so nothing its rings do is
 * lost; a capture that joins running processes (--pid) loads them at once, as those may have a
 * ring already. Real captures of the evasion suite's io_uring programs, checked with bpftool.
 */
import assert from "node:assert/strict";
import { captureForTest, captureTest, untilExists } from "../../tests/support/capture.ts";
import type { FileRow } from "../../recording/schema.ts";
import { buildPrograms } from "./suite.ts";

/** Which of the capture's io_uring programs the kernel holds now (bpftool). */
async function loadedUring(): Promise<string[]> {
  const out = await new Deno.Command("bpftool", { args: ["-j", "prog", "show"], stdout: "piped" })
    .output();
  assert.ok(out.success, "bpftool prog show failed");
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { name?: string }[])
    .map((p) => p.name ?? "").filter((n) => n.startsWith("sl_uring_")).sort();
}

const viaUring = (rows: FileRow[], path: string) =>
  rows.filter((f) => f.via === "io_uring" && f.path === path);

captureTest(
  "io_uring programs: loaded when a traced process first sets up a ring, and its first requests recorded",
  "sl-uring-demand-",
  async (dir) => {
    const bins = await buildPrograms(`${dir}`);
    const work = `${dir}/work`, started = `${dir}/started`, goOn = `${dir}/go-on`;
    await Deno.mkdir(work);
    const wait = (f: string) => `while [ ! -e '${f}' ]; do sleep 0.05; done`;
    const capture = captureForTest({
      cmd: [
        "/bin/sh",
        "-c",
        `: > '${started}'; ${wait(goOn)}; '${bins.get("uring_openat")}' '${work}'; ` +
        `: > '${dir}/ran'; ${wait(`${dir}/done`)}`,
      ],
    });
    assert.ok(await untilExists(started, 20_000, 50), "the command started");
    const before = await loadedUring();
    await Deno.writeTextFile(goOn, "");
    assert.ok(await untilExists(`${dir}/ran`, 20_000, 50), "the io_uring program ran");
    const after = await loadedUring();
    await Deno.writeTextFile(`${dir}/done`, "");
    const { res, rec } = await capture;
    assert.equal(res.exitCode, 0);
    assert.deepEqual(before, [], "not loaded before a traced process used io_uring");
    assert.deepEqual(after, ["sl_uring_complete", "sl_uring_submit"]);
    // every request of the ring set up while they were not attached yet: seen and recorded
    assert.deepEqual(rec.manifest.io_uring, {
      requests: { openat: 1, write: 1, openat2: 1 },
      recorded: { openat: 1, openat2: 1 },
      not_decoded: {},
      no_completion: 0,
    });
    assert.equal(viaUring(rec.file, `${work}/uring_written.txt`).length, 2);
    assert.deepEqual(rec.manifest.drops, {});
  },
);

captureTest(
  "io_uring programs: two processes setting up rings at once (one SQPOLL) are both held and recorded",
  "sl-uring-two-",
  async (dir) => {
    const bins = await buildPrograms(`${dir}`);
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    const { res, rec } = await captureForTest({
      cmd: [
        "/bin/sh",
        "-c",
        `'${bins.get("uring_openat")}' '${dir}/a' & A=$!; ` +
        `'${bins.get("uring_sqpoll")}' '${dir}/b' & B=$!; wait $A && wait $B`,
      ],
    });
    assert.equal(res.exitCode, 0);
    assert.deepEqual(rec.manifest.io_uring?.requests, { openat: 2, write: 1, openat2: 1 });
    assert.deepEqual(rec.manifest.io_uring?.recorded, { openat: 2, openat2: 1 });
    assert.equal(viaUring(rec.file, `${dir}/a/uring_written.txt`).length, 2);
    assert.equal(viaUring(rec.file, `${dir}/b/uring_sqpoll.txt`).length, 1);
  },
);

captureTest(
  "io_uring programs: a capture joining a running process (--pid) loads them at once",
  "sl-uring-pid-",
  async (dir) => {
    const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const stop = new AbortController();
    try {
      const capture = captureForTest({
        pids: [sleeper.pid],
        signal: stop.signal,
        out: `${dir}/rec`,
      });
      let loaded: string[] = [];
      for (let i = 0; i < 200 && loaded.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        loaded = await loadedUring();
      }
      stop.abort();
      await capture;
      assert.deepEqual(loaded, ["sl_uring_complete", "sl_uring_submit"]);
    } finally {
      sleeper.kill();
      await sleeper.status;
    }
  },
);

captureTest(
  "io_uring programs: an io_uring_enter before any ring was set up under the capture is said",
  "sl-uring-enter-",
  async () => {
    // a ring from another process would be used this way; here an fd that is none (EBADF)
    const { res, rec } = await captureForTest({
      cmd: [
        "python3",
        "-c",
        "import ctypes; assert ctypes.CDLL(None).syscall(426, -1, 0, 0, 0, 0, 0) == -1",
      ],
    });
    assert.equal(res.exitCode, 0);
    const warnings = rec.manifest.warnings as string[];
    assert.ok(
      warnings.some((w) => /io_uring_enter on a ring it did not set up .* not recorded/.test(w)),
      warnings.join("\n"),
    );
  },
);
