/**
 * Ctrl-C for an agent run under capture: waits for the scripted moment (`stream`: the agent has
 * a connection open and its answer's first events are in; `tool`: its build script's `sleep 45`
 * runs) and then sends SIGINT to the agent's process and those below it in its process group,
 * what a terminal's Ctrl-C reaches (a tool the agent runs in a group of its own is the agent's
 * to stop). Used by lab/integration/agent_interrupt_capture_test.ts and the coverage matrix's
 * interrupt scenarios (lab/coverage/scenario_play.ts).
 */
import { descendants, type Proc } from "../../kit/cli.ts";
import { stat } from "../../kit/procs.ts";

/** Where the interrupt falls: while the model's answer streams, or while the agent's tool runs. */
export type InterruptPoint = "stream" | "tool";

const cmdline = (pid: number) => {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
  } catch {
    return "";
  }
};

/** The agent under this process's capture: the loader's child that is not its watchdog. */
export function agentProcess(): Proc | undefined {
  const loader = descendants().find((p) => cmdline(p.pid).includes("sightline-loader"));
  if (!loader) return undefined;
  return descendants(loader.pid).find((p) =>
    stat(p.pid)?.ppid === loader.pid && !cmdline(p.pid).startsWith("sightline-watchdog")
  );
}

/** Whether one of `pids` has an established TCP connection (its model request is out). */
async function connected(pids: number[]): Promise<boolean> {
  const ss = await new Deno.Command("ss", { args: ["-tnpH", "state", "established"] }).output();
  const text = new TextDecoder().decode(ss.stdout);
  return pids.some((p) => text.includes(`pid=${p},`));
}

/**
 * Waits for the moment `when`, then sends SIGINT to the agent's process and those below it in
 * its process group, as Ctrl-C. Returns the names of the processes signalled; none when `stop`
 * was aborted first (the agent ended before the moment came).
 */
export async function ctrlC(when: InterruptPoint, stop: AbortSignal): Promise<string[]> {
  while (!stop.aborted) {
    await new Promise((r) => setTimeout(r, 200));
    const top = agentProcess();
    if (!top) continue;
    const tree = [top, ...descendants(top.pid)];
    const ready = when === "tool"
      ? tree.some((p) => cmdline(p.pid).startsWith("sleep 45"))
      : await connected(tree.map((p) => p.pid));
    if (!ready) continue;
    // the answer's first events are in, or the script's sleep has begun
    await new Promise((r) => setTimeout(r, when === "tool" ? 1000 : 4000));
    const group = stat(top.pid)?.pgrp;
    const hit: string[] = [];
    for (const p of [top, ...descendants(top.pid)]) {
      if (stat(p.pid)?.pgrp !== group) continue;
      try {
        Deno.kill(p.pid, "SIGINT");
        hit.push(stat(p.pid)?.comm ?? String(p.pid));
      } catch { /* gone */ }
    }
    return hit;
  }
  return [];
}

/**
 * The processes still running whose working directory is `dir` (a run's working directory):
 * after an interrupted agent ended, what it left running of its tool's commands.
 */
export function processesIn(dir: string): { pid: number; comm: string }[] {
  let real = dir;
  try {
    real = Deno.realPathSync(dir);
  } catch { /* gone: nothing can run there */ }
  const out: { pid: number; comm: string }[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      if (Deno.readLinkSync(`/proc/${pid}/cwd`) !== real) continue;
      const s = stat(pid);
      if (s && s.state !== "Z") out.push({ pid, comm: s.comm });
    } catch { /* gone, or not ours to read */ }
  }
  return out.sort((a, b) => a.pid - b.pid);
}
