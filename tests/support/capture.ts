/**
 * Runs a capture in-process for a test and waits until its loader has gone, so that no
 * child process outlives the test; and waits for the marker file a captured command writes
 * when it has started.
 */
import assert from "node:assert/strict";
import { h2RedactorFactory } from "../../capture/h2_glue.ts";
import { locateForCapture } from "../../capture/locator_glue.ts";
import { type CaptureOptions, type CaptureResult, run } from "../../capture/recorder.ts";
import { readRecording, type Recording } from "../../recording/recording.ts";
import { skipWithoutRoot } from "./ebpf.ts";

/** Directories captureForTest made for recordings no caller named, removed when the tests end. */
const madeDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of madeDirs.splice(0)) {
    try {
      Deno.removeSync(d, { recursive: true });
    } catch { /* already gone */ }
  }
});

/**
 * Captures in-process; without `opts.out` the recording goes to a new temporary directory that
 * stays readable (`rec.dir`) until the test process ends, and is removed then.
 */
export async function captureForTest(
  opts: CaptureOptions,
): Promise<{ res: CaptureResult; rec: Recording }> {
  let out = opts.out;
  if (!out) {
    const made = await Deno.makeTempDir({ prefix: "sl-rec-" });
    madeDirs.push(made);
    out = `${made}/rec`;
  }
  const res = await run({
    quiet: true,
    locator: locateForCapture,
    h2Redactor: h2RedactorFactory,
    ...opts,
    out,
  });
  await res.loaderExit;
  return { res, rec: readRecording(out) };
}

/**
 * Captures `cmd` with one argument more, the path of a log it may write (what it saw: ports,
 * pids), in a directory removed afterwards; asserts the command exited 0 and hands the capture
 * and the log's path to `check`.
 */
export async function captureWithLog(
  cmd: string[],
  check: (c: { res: CaptureResult; rec: Recording; logPath: string }) => void | Promise<void>,
  opts: Partial<CaptureOptions> = {},
): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "sl-log-" });
  try {
    const logPath = `${tmp}/log.json`;
    const c = await captureForTest({ cmd: [...cmd, logPath], out: `${tmp}/rec`, ...opts });
    assert.equal(c.res.exitCode, 0);
    await check({ ...c, logPath });
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * Waits until `path` exists (a captured command's marker that it started), looking every
 * `stepMs`, for at most `timeoutMs`; returns whether it appeared.
 */
export async function untilExists(path: string, timeoutMs: number, stepMs: number) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      await Deno.stat(path);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
  return false;
}

/**
 * A capture test: needs root (eBPF; skipped without it outside CI), and runs `fn` in a new
 * temporary directory (`prefix`), removed afterwards whatever happens.
 */
export function captureTest(
  name: string,
  prefix: string,
  fn: (dir: string) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: skipWithoutRoot(),
    async fn() {
      const dir = await Deno.makeTempDir({ prefix });
      try {
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

/** This machine's libssl.so.3 (Debian's multiarch path), the TLS library tests hook. */
export function systemLibssl(): string {
  for (const arch of ["x86_64", "aarch64"]) {
    const path = `/usr/lib/${arch}-linux-gnu/libssl.so.3`;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* another architecture */ }
  }
  throw new Error("no libssl.so.3 in /usr/lib/*-linux-gnu (apt-get install libssl3)");
}
