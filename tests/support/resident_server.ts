/**
 * A resident capture (`capture --serve`) for a test: a process of its own on a socket in the
 * test's directory, until its stop(), which ends it (SIGTERM, then SIGKILL 30 s later should a
 * failed test have left a session running) and returns what it said on stderr.
 */
import assert from "node:assert/strict";
import { CAPTURE_MAIN } from "../../capture/command_line.ts";

/** A resident capture on a socket in `tmp`, until stop(). */
export async function startServer(tmp: string, env?: Record<string, string>) {
  const socket = `${tmp}/sock/capture.sock`;
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CAPTURE_MAIN, "--serve", "--socket", socket],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(proc.stderr).text();
  // it listens once its socket is there (or has exited, saying why)
  let exited = false;
  proc.status.then(() => exited = true);
  for (let i = 0; i < 600 && !exited; i++) {
    try {
      if (Deno.lstatSync(socket).isSocket) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (exited) assert.fail(`the resident capture exited: ${await stderr}`);
  if (!Deno.lstatSync(socket).isSocket) {
    proc.kill("SIGKILL");
    await proc.status;
    assert.fail(`the resident capture made no socket in 30 s: ${await stderr}`);
  }
  return {
    socket,
    pid: proc.pid,
    proc,
    async stop(): Promise<string> {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      // a test that failed mid-session may have left its session running: not left behind
      const late = setTimeout(() => {
        try {
          proc.kill("SIGKILL");
        } catch { /* gone */ }
      }, 30_000);
      await proc.status;
      clearTimeout(late);
      return await stderr;
    },
  };
}

/** The resident capture's two clients: Deno's (capture/resident_client.ts) and the C one
 * (native/via_client.c); a test's sessions go through each. */
export const VIA_CLIENTS = ["deno", "C"] as const;
export type ViaClient = typeof VIA_CLIENTS[number];

/** native/'s client, as set-up builds it. */
export const NATIVE_VIA = new URL("../../native/build/sightline-via", import.meta.url).pathname;

let nativeBuilt = false;

/** The command line of `capture ARGS...` (a session's: `--via` in ARGS) through `client`. The
 * C client is built from the via_client.c at hand first (`make -s -C native`, milliseconds when
 * up to date), so no test runs a stale build: a failed build fails the test, never skips it. */
export function viaCommand(client: ViaClient, args: string[]): string[] {
  if (client === "deno") return [Deno.execPath(), "run", "-A", "--quiet", CAPTURE_MAIN, ...args];
  if (!nativeBuilt) {
    const native = new URL("../../native", import.meta.url).pathname;
    const make = new Deno.Command("make", { args: ["-s", "-C", native], stderr: "piped" })
      .outputSync();
    assert.equal(
      make.code,
      0,
      `make -C native failed: ${new TextDecoder().decode(make.stderr)}`,
    );
    nativeBuilt = true;
  }
  return [NATIVE_VIA, ...args];
}
