/**
 * Interrupting the long-running commands as a user would — `deno task agent -- claude demo
 * --capture`, `deno task demo`, `deno task bench --quick` — with SIGINT and with SIGTERM while
 * a real agent runs under capture: the command exits with 128 + the signal, and leaves no
 * process behind (agent, capture, loader; this test reaps orphans so it sees them all) and
 * no eBPF program or link attached. Needs root (eBPF) and the pinned agents.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { alive, becomeSubreaper, descendants, type Proc } from "../../kit/cli.ts";
import { probes, skipWithoutRoot } from "../../tests/support/ebpf.ts";

const ROOT = filePath("../../", import.meta.url);

const cmdline = (p: Proc) => {
  try {
    return Deno.readTextFileSync(`/proc/${p.pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
};

async function until<T>(what: string, ms: number, f: () => Promise<T | null> | T | null) {
  const end = performance.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const COMMANDS: Record<string, (out: string) => string[]> = {
  // a scenario of several turns, so that the agent is still at work when interrupted
  agent: (out) => [
    "lab/agents/main.ts",
    "claude",
    "loop_failing_command",
    "--capture",
    "--out",
    `${out}/rec`,
  ],
  demo: (out) => ["lab/agents/demo.ts", "--agents", "claude", "--out", out],
  bench: (out) => ["bench/overhead/main.ts", "--quick", "--runs", "1", "--out", out],
};

for (const [name, argv] of Object.entries(COMMANDS)) {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.test({
      name: `interrupt: ${name} with ${sig} mid-capture leaves no process and no probe`,
      ignore: skipWithoutRoot(),
      sanitizeResources: false,
      async fn() {
        becomeSubreaper();
        // programs of another capture already running (on a shared machine) are not ours
        const before = new Set((await probes()).progs);
        let ours: number[] = [];
        const out = await Deno.makeTempDir({ prefix: `sl-interrupt-${name}-` });
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--quiet", ...argv(out)],
          cwd: ROOT,
          env: { INIT_CWD: out },
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const stderr = new Response(child.stderr).text();
        try {
          // a capture with its loader and the agent below it, probes attached
          await until(`${name}: the agent under capture`, 240_000, async () => {
            const tree = descendants(child.pid);
            const loader = tree.find((p) => cmdline(p).includes("sightline-loader"));
            if (!loader) return null;
            // the agent (not the loader's watchdog)
            const below = descendants(loader.pid).filter((p) =>
              !cmdline(p).startsWith("sightline-watchdog")
            );
            if (below.length === 0) return null;
            // the programs this run's loader attached: those that were not there before
            ours = (await probes()).progs.filter((id) => !before.has(id));
            return ours.length ? loader : null;
          });
          // at once: a short agent run may be over within a second or two
          const tree = descendants(child.pid);
          child.kill(sig);
          assert.ok(tree.length >= 3, `${tree.length} processes`);
          const status = await Promise.race([
            child.status,
            new Promise<never>((_, no) =>
              setTimeout(() => no(new Error("no exit in 60 s")), 60_000)
            ),
          ]);
          assert.equal(
            status.code,
            sig === "SIGINT" ? 130 : 143,
            `${status.signal} ${await stderr}`,
          );
          assert.match(await stderr, new RegExp(`${name}: ${sig}: stopping`));
          // nothing it started runs on: not the processes seen, not orphans (ours to reap)
          await until(
            "every process gone",
            10_000,
            () => tree.every((p) => !alive(p)) && descendants().filter(alive).length === 0,
          );
          await until(`every probe gone (${ours.length} left)`, 10_000, async () => {
            const p = await probes(ours);
            return p.progs.length === 0 && p.links === 0;
          });
        } finally {
          for (const p of descendants()) {
            try {
              Deno.kill(p.pid, "SIGKILL");
            } catch { /* gone */ }
          }
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
          await child.status;
        }
      },
    });
  }
}
