/**
 * What a traced process pays per write(2) on a TCP socket to a non-loopback address, for one or
 * more source trees (e.g. main and a branch, to compare their kernel sides): `event_load tcp`
 * writes COUNT small buffers to a sink this script runs (untraced) on ADDR, after an opening
 * that makes the connection TLS (`tls`), plain HTTP (`http`: recorded, since the kernel side
 * records cleartext HTTP to any address) or neither (`raw`). Each round runs the loop without a
 * capture, then under each tree's capture (`TREE/capture/main.ts`, with the kernel's program
 * statistics on: sl_sys_exit's runs and average time). The loop's thread CPU time per write is
 * the main measure (a sink slower than the writer inflates elapsed time, not CPU).
 *
 *   deno run -A bench/throughput/tcp_cost.ts --addr 10.213.7.1 --trees /path/main,/path/branch
 *     [--rounds 5] [--count 200000] [--size 64] [--first tls,raw,http]
 *
 * ADDR must be an address of this machine that is not loopback (a dummy or veth interface's,
 * or the machine's own LAN address). Root. Prints one JSON line per run and a summary table.
 */
import { filePath } from "../../kit/file_path.ts";
import { parseArgs } from "node:util";
import { buildCTool } from "../c_tool.ts";
import { type ProgramCost, withProgramCosts } from "./bpf_stats.ts";
import { median } from "../../kit/stats.ts";
import { captureArgv } from "./tree_capture.ts";

interface LoopOut {
  iterations: number;
  elapsed_ns: number;
  cpu_ns: number;
}

interface Run {
  first: string;
  tree: string | null;
  round: number;
  cpuNs: number;
  elapsedNs: number;
  sysExit?: ProgramCost;
}

const { values: v } = parseArgs({
  options: {
    addr: { type: "string" },
    trees: { type: "string" },
    rounds: { type: "string", default: "5" },
    count: { type: "string", default: "200000" },
    size: { type: "string", default: "64" },
    first: { type: "string", default: "tls,raw,http" },
  },
});
if (!v.addr || !v.trees) {
  console.error("usage: tcp_cost.ts --addr ADDR --trees TREE[,TREE...] [--rounds N] ...");
  Deno.exit(2);
}
const trees = v.trees.split(",");
const firsts = v.first!.split(",");
const gen = await buildCTool(filePath("./event_load.c", import.meta.url));
const tmp = await Deno.makeTempDir({ prefix: "sl-tcp-cost-" });

// the sink: reads and discards, outside any capture
const listener = Deno.listen({ hostname: v.addr, port: 0 });
const sink = (async () => {
  for await (const conn of listener) {
    (async () => {
      const b = new Uint8Array(1 << 16);
      try {
        while ((await conn.read(b)) !== null) { /* discard */ }
      } catch { /* reset */ }
      conn.close();
    })();
  }
})().catch(() => {});

const loopArgs = (first: string) => [
  gen,
  "tcp",
  v.addr!,
  String(listener.addr.port),
  first,
  v.count!,
  v.size!,
];

async function plain(first: string): Promise<LoopOut> {
  const o = await new Deno.Command(loopArgs(first)[0], {
    args: loopArgs(first).slice(1),
    stdout: "piped",
  }).output();
  if (!o.success) throw new Error(`event_load tcp ${first} failed`);
  return JSON.parse(new TextDecoder().decode(o.stdout));
}

async function captured(tree: string, first: string): Promise<Run> {
  const out = `${tmp}/load.json`;
  const rec = `${tmp}/rec`;
  await Deno.remove(rec, { recursive: true }).catch(() => {});
  const { result, programs } = await withProgramCosts(async () => {
    const [exe, ...args] = captureArgv(tree, rec, [
      "/bin/sh",
      "-c",
      `"$@" > ${out}`,
      "sh",
      ...loopArgs(first),
    ]);
    const o = await new Deno.Command(exe, {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!o.success) throw new Error(`capture (${tree}): ${new TextDecoder().decode(o.stderr)}`);
    return JSON.parse(await Deno.readTextFile(out)) as LoopOut;
  });
  return {
    first,
    tree,
    round: 0,
    cpuNs: result.cpu_ns / result.iterations,
    elapsedNs: result.elapsed_ns / result.iterations,
    sysExit: programs.find((p) => p.name === "sl_sys_exit"),
  };
}

const runs: Run[] = [];
try {
  for (let round = 0; round < Number(v.rounds); round++) {
    for (const first of firsts) {
      const p = await plain(first);
      const base: Run = {
        first,
        tree: null,
        round,
        cpuNs: p.cpu_ns / p.iterations,
        elapsedNs: p.elapsed_ns / p.iterations,
      };
      runs.push(base);
      console.log(JSON.stringify(base));
      for (const tree of round % 2 ? [...trees].reverse() : trees) {
        const r = { ...await captured(tree, first), round };
        runs.push(r);
        console.log(JSON.stringify(r));
      }
    }
  }
} finally {
  listener.close();
  await sink;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}

console.log(
  `\n| opening | tree | CPU ns/write, median (min–max) | elapsed ns/write | ` +
    `sl_sys_exit avg ns/run, median (min–max) | runs |`,
);
console.log("| --- | --- | --: | --: | --: | --: |");
for (const first of firsts) {
  for (const tree of [null, ...trees]) {
    const rs = runs.filter((r) => r.first === first && r.tree === tree);
    const cpu = rs.map((r) => r.cpuNs);
    const ex = rs.flatMap((r) => (r.sysExit ? [r.sysExit.avgNs] : []));
    console.log(
      `| ${first} | ${tree ?? "no capture"} | ${median(cpu).toFixed(0)} (${
        Math.min(...cpu).toFixed(0)
      }–${Math.max(...cpu).toFixed(0)}) | ${median(rs.map((r) => r.elapsedNs)).toFixed(0)} | ${
        ex.length
          ? `${median(ex).toFixed(0)} (${Math.min(...ex).toFixed(0)}–${Math.max(...ex).toFixed(0)})`
          : "–"
      } | ${rs.length} |`,
    );
  }
}
if (trees.length > 1) {
  // the same round's runs, one after the other: the machine's drift cancels out
  console.log(
    `\n| opening | tree | CPU ns/write more than ${trees[0]}, paired by round: median (min–max) |`,
  );
  console.log("| --- | --- | --: |");
  for (const first of firsts) {
    for (const tree of trees.slice(1)) {
      const d = [...new Set(runs.map((r) => r.round))].flatMap((round) => {
        const of = (t: string) =>
          runs.find((r) => r.first === first && r.tree === t && r.round === round);
        const a = of(trees[0]), b = of(tree);
        return a && b ? [b.cpuNs - a.cpuNs] : [];
      });
      console.log(
        `| ${first} | ${tree} | ${median(d).toFixed(0)} (${Math.min(...d).toFixed(0)}–${
          Math.max(...d).toFixed(0)
        }) |`,
      );
    }
  }
}
