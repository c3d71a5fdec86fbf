/**
 * What a capture costs while records only trickle in (an agent waiting for its model): a
 * command opening, closing and unlinking a file RATE times a second, evenly spaced, for SECONDS
 * (`event_load trickle`), under each source tree's capture (`TREE/capture/main.ts`, e.g. main
 * and a branch, to compare them), in pairs whose order alternates (A B, B A, ...) after one
 * unmeasured warm-up run of each tree. Root, and under the eBPF lock.
 *
 *   deno run -A bench/throughput/trickle.ts --trees /path/main,/path/branch
 *     [--pairs 5] [--seconds 20] [--rate 50] [--json FILE]
 *
 * Each run is `proc_timer --wait-all A -- capture -- proc_timer --wait-all B -- event_load
 * trickle ...` (bench/overhead/proc_timer.c): A reaps every process of the capture (the loader
 * and its watchdog outlive the capture process) with its rusage, B the traced command's; the capture's own CPU and context switches are A's total
 * minus B's (B itself included), Deno's are its process's, the loader's its process's minus the
 * command it reaped. Rows per table come from the recording's manifest: the same load must give
 * the same rows on every tree. Prints one JSON line per run and a Markdown table: medians with
 * min–max per tree, and the median paired difference from the first tree.
 */
import { filePath } from "../../kit/file_path.ts";
import { parseArgs } from "node:util";
import { buildCTool } from "../c_tool.ts";
import { median } from "../../kit/stats.ts";
import { captureArgv } from "./tree_capture.ts";

const HERE = filePath(".", import.meta.url);
const PROC_TIMER = filePath("../overhead/proc_timer.c", import.meta.url);

interface Usage {
  processes: number;
  cpu_us: number;
  nvcsw: number;
  nivcsw: number;
  maxrss_kb: number;
}

interface GroupUsage {
  wall_ns: number;
  all_ns: number;
  status: number;
  self: Usage;
  total: Usage;
  by_comm: Record<string, Usage>;
}

export interface TrickleRun {
  tree: string;
  pair: number;
  /** the capture's processes, all of them: CPU ms, context switches */
  captureCpuMs: number;
  captureCsw: number;
  denoCpuMs: number;
  loaderCpuMs: number;
  /** the traced command's CPU ms (its own tree) */
  commandCpuMs: number;
  /** until every process of the capture had gone, ms */
  allGoneMs: number;
  loaderRssMiB: number;
  rows: Record<string, number>;
  drops: number;
}

const cpuMs = (u: Usage | undefined) => (u?.cpu_us ?? 0) / 1000;
const csw = (u: Usage | undefined) => (u ? u.nvcsw + u.nivcsw : 0);

/** The capture's own usage from the outer and inner proc_timer reports. */
export function captureShare(outer: GroupUsage, inner: GroupUsage) {
  const command = cpuMs(inner.total) + cpuMs(inner.self);
  const commandCsw = csw(inner.total) + csw(inner.self);
  // the loader's comm is its binary's name cut to 15 bytes; it reaps the command
  const loaderName = Object.keys(outer.by_comm).find((c) => c.startsWith("sightline-loa"));
  return {
    captureCpuMs: cpuMs(outer.total) - command,
    captureCsw: csw(outer.total) - commandCsw,
    denoCpuMs: cpuMs(outer.by_comm.deno),
    loaderCpuMs: loaderName ? cpuMs(outer.by_comm[loaderName]) - command : 0,
    commandCpuMs: command,
    loaderRssMiB: loaderName ? outer.by_comm[loaderName].maxrss_kb / 1024 : 0,
  };
}

async function main() {
  const { values: v } = parseArgs({
    options: {
      trees: { type: "string" },
      pairs: { type: "string", default: "5" },
      seconds: { type: "string", default: "20" },
      rate: { type: "string", default: "50" },
      json: { type: "string" },
    },
  });
  if (!v.trees) {
    console.error(
      "usage: trickle.ts --trees TREE[,TREE...] [--pairs N] [--seconds S] [--rate N] [--json F]",
    );
    Deno.exit(2);
  }
  const trees = v.trees.split(",");
  const rate = Number(v.rate), count = Math.round(rate * Number(v.seconds));
  const load = await buildCTool(`${HERE}event_load.c`);
  const usage = await buildCTool(PROC_TIMER);
  const tmp = await Deno.makeTempDir({ prefix: "sl-trickle-" });
  await Deno.mkdir(`${tmp}/files`);

  async function run(tree: string, pair: number): Promise<TrickleRun> {
    const rec = `${tmp}/rec`;
    await Deno.remove(rec, { recursive: true }).catch(() => {});
    const o = await new Deno.Command(usage, {
      args: [
        "--wait-all",
        `${tmp}/outer.json`,
        "--",
        ...captureArgv(tree, rec, [
          usage,
          "--wait-all",
          `${tmp}/inner.json`,
          "--",
          load,
          "trickle",
          `${tmp}/files`,
          String(count),
          String(rate),
        ]),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!o.success) throw new Error(`capture (${tree}): ${new TextDecoder().decode(o.stderr)}`);
    const outer: GroupUsage = JSON.parse(await Deno.readTextFile(`${tmp}/outer.json`));
    const inner: GroupUsage = JSON.parse(await Deno.readTextFile(`${tmp}/inner.json`));
    const manifest = JSON.parse(await Deno.readTextFile(`${rec}/manifest.json`));
    const rows: Record<string, number> = {};
    for (const [t, info] of Object.entries(manifest.tables ?? {})) {
      rows[t] = (info as { rows: number }).rows;
    }
    const drops = Object.values(manifest.drops ?? {}).reduce(
      (a: number, b) => a + (typeof b === "number" ? b : 0),
      0,
    );
    return {
      tree,
      pair,
      ...captureShare(outer, inner),
      allGoneMs: outer.all_ns / 1e6,
      rows,
      drops,
    };
  }

  const runs: TrickleRun[] = [];
  try {
    for (const tree of trees) await run(tree, -1); // warm-up: caches, page cache
    for (let pair = 0; pair < Number(v.pairs); pair++) {
      for (const tree of pair % 2 ? [...trees].reverse() : trees) {
        const r = await run(tree, pair);
        runs.push(r);
        console.log(JSON.stringify(r));
      }
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  if (v.json) await Deno.writeTextFile(v.json, JSON.stringify(runs, null, 1) + "\n");

  const cols: [string, (r: TrickleRun) => number][] = [
    ["capture CPU ms (all its processes)", (r) => r.captureCpuMs],
    ["Deno CPU ms", (r) => r.denoCpuMs],
    ["loader CPU ms", (r) => r.loaderCpuMs],
    ["context switches", (r) => r.captureCsw],
    ["all gone ms", (r) => r.allGoneMs],
    ["command CPU ms", (r) => r.commandCpuMs],
  ];
  const f = (x: number) => x.toFixed(0);
  console.log(
    `\n${count} open+close+unlink at ${rate}/s (${v.seconds} s), ${v.pairs} interleaved pairs; ` +
      `medians (min–max)\n`,
  );
  console.log(`| tree | ${cols.map((c) => c[0]).join(" | ")} | rows | drops |`);
  console.log(`| --- | ${cols.map(() => "--:").join(" | ")} | --- | --: |`);
  for (const tree of trees) {
    const rs = runs.filter((r) => r.tree === tree);
    const rowSets = [...new Set(rs.map((r) => JSON.stringify(r.rows)))];
    console.log(
      `| ${tree} | ${
        cols.map(([, get]) => {
          const xs = rs.map(get);
          return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
        }).join(" | ")
      } | ${rowSets.join(" / ")} | ${rs.reduce((a, r) => a + r.drops, 0)} |`,
    );
  }
  for (const tree of trees.slice(1)) {
    const d = (get: (r: TrickleRun) => number) =>
      [...new Set(runs.map((r) => r.pair))].flatMap((pair) => {
        const a = runs.find((r) => r.tree === trees[0] && r.pair === pair);
        const b = runs.find((r) => r.tree === tree && r.pair === pair);
        return a && b ? [get(b) - get(a)] : [];
      });
    console.log(
      `| ${tree} − ${trees[0]}, paired | ${
        cols.map(([, get]) => {
          const xs = d(get);
          return `${f(median(xs))} (${f(Math.min(...xs))} to ${f(Math.max(...xs))})`;
        }).join(" | ")
      } | | |`,
    );
  }
}

if (import.meta.main) await main();
