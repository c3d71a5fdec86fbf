/**
 * Per-program cost of the capture's eBPF programs from the kernel's own accounting
 * (kernel.bpf_stats_enabled: run count and run time of every program), read with bpftool
 * while a capture runs. Other captures may run on the same machine: the programs of the
 * newest loader are told apart by the map they all share. Besides the whole-capture summary
 * (withProgramCosts), counters can be snapshotted around a stretch of time and differenced
 * (programCounters, counterDeltas), as the untraced per-call measurement does.
 */

export interface ProgramCost {
  name: string;
  runs: number;
  avgNs: number;
  totalMs: number;
}

/** One program's cumulative counters at a moment. */
export interface ProgramCounters {
  id: number;
  name: string;
  runs: number;
  ns: number;
}

interface BpftoolProg {
  id: number;
  name?: string;
  run_cnt?: number;
  run_time_ns?: number;
  map_ids?: number[];
}

async function showPrograms(): Promise<BpftoolProg[]> {
  const r = await new Deno.Command("bpftool", {
    args: ["prog", "show", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!r.success) return [];
  return JSON.parse(new TextDecoder().decode(r.stdout)) as BpftoolProg[];
}

/** Sets kernel.bpf_stats_enabled; returns the value it had. */
export async function setStats(value: string): Promise<string> {
  const path = "/proc/sys/kernel/bpf_stats_enabled";
  const old = (await Deno.readTextFile(path)).trim();
  await Deno.writeTextFile(path, value);
  return old;
}

/** The ids of the programs attached now through a BPF link (bpftool link). */
export async function linkedProgramIds(): Promise<Set<number>> {
  const r = await new Deno.Command("bpftool", {
    args: ["link", "show", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!r.success) return new Set();
  const links = JSON.parse(new TextDecoder().decode(r.stdout)) as { prog_id?: number }[];
  return new Set(links.map((l) => l.prog_id).filter((id) => id !== undefined));
}

/** The ids of the programs loaded now (to tell a capture's programs from older ones). */
export async function programIds(): Promise<Set<number>> {
  return new Set((await showPrograms()).map((p) => p.id));
}

/** Of the `sl_` programs not in `before`, those of the newest loader (see the top). */
function newestLoaders(progs: BpftoolProg[], before: Set<number>): BpftoolProg[] {
  const fresh = progs.filter((p) => !before.has(p.id) && p.name?.startsWith("sl_"));
  // the newest loader's programs: those sharing the map most of the new programs reference
  const count = new Map<number, number>();
  for (const p of fresh) for (const m of p.map_ids ?? []) count.set(m, (count.get(m) ?? 0) + 1);
  const newestMaps = [...count.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
  const shared = newestMaps[0]?.[0];
  return fresh.filter((p) => shared === undefined || p.map_ids?.includes(shared));
}

/** The cumulative counters of the newest capture's programs (those not in `before`). */
export async function programCounters(before: Set<number>): Promise<ProgramCounters[]> {
  return newestLoaders(await showPrograms(), before).map((p) => ({
    id: p.id,
    name: p.name!,
    runs: p.run_cnt ?? 0,
    ns: p.run_time_ns ?? 0,
  }));
}

/**
 * What each program ran between two snapshots (after − before, by program id; a program only
 * in `after` counts from zero). Programs that did not run are left out.
 */
export function counterDeltas(
  before: readonly ProgramCounters[],
  after: readonly ProgramCounters[],
): ProgramCounters[] {
  const was = new Map(before.map((p) => [p.id, p]));
  return after
    .map((p) => ({
      id: p.id,
      name: p.name,
      runs: p.runs - (was.get(p.id)?.runs ?? 0),
      ns: p.ns - (was.get(p.id)?.ns ?? 0),
    }))
    .filter((p) => p.runs > 0);
}

/**
 * Runs `fn` (which starts and ends a capture) with program statistics on, snapshotting every
 * second; returns fn's result and the costs of the programs that were loaded after it began.
 */
export async function withProgramCosts<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; programs: ProgramCost[] }> {
  const before = await programIds();
  const old = await setStats("1");
  let last: BpftoolProg[] = [];
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    const now = (await showPrograms()).filter((p) =>
      !before.has(p.id) && p.name?.startsWith("sl_")
    );
    if (now.length) last = now;
    busy = false;
  }, 1000);
  let result: T;
  try {
    result = await fn();
  } finally {
    clearInterval(timer);
    await setStats(old);
  }
  const programs = newestLoaders(last, new Set())
    .filter((p) => (p.run_cnt ?? 0) > 0)
    .map((p) => ({
      name: p.name!,
      runs: p.run_cnt!,
      avgNs: p.run_time_ns! / p.run_cnt!,
      totalMs: p.run_time_ns! / 1e6,
    }))
    .sort((a, b) => b.totalMs - a.totalMs);
  return { result, programs };
}
