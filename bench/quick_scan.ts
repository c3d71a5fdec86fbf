/**
 * The locator's quick scan (capture/locate/quick_scan.ts) on big files, this tree against
 * another checkout: what a first capture pays per file before any method runs (Claude's Bun
 * binary, node, libLLVM, libduckdb, Codex: files whose code is not read unless a FIPS module is
 * shown to be there). Both trees' scans run in one process, alternating which goes first, R
 * runs per file; it prints per file the median ms (min–max) of each and of the paired
 * difference (this tree − baseline). Each file's hints and reason must be the same in both
 * trees: a difference is a DIFF line and exits 1 (a faster scan that sees less is no win),
 * unless `--expect-diff PATH` names the file (one whose answer the change is meant to change).
 *
 *   deno run -A bench/quick_scan.ts --baseline DIR [--runs R] [--expect-diff PATH]... FILE...
 */
import { filePath } from "../kit/file_path.ts";
import { CliError, intOption, parseCommand, runCommand, usageError, userPath } from "../kit/cli.ts";

const ROOT = filePath("../", import.meta.url).replace(/\/$/, "");

interface Scan {
  hints: string[];
  reason?: string;
  durationMs: number;
}
type QuickScanFn = (path: string) => Scan;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[]) =>
  `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;

const USAGE =
  "usage: deno run -A bench/quick_scan.ts --baseline DIR [--runs R] [--expect-diff PATH]... FILE...";

async function main(args: string[]) {
  const { values, positionals } = parseCommand(args, {
    runs: { type: "string", default: "9" },
    baseline: { type: "string" },
    "expect-diff": { type: "string", multiple: true },
  });
  const runs = intOption("runs", values.runs, 1)!;
  if (!values.baseline) throw usageError("--baseline DIR is needed (another checkout's root)");
  const baseline = userPath(values.baseline).replace(/\/+$/, "");
  const scanner = `${baseline}/capture/locate/quick_scan.ts`;
  try {
    Deno.statSync(scanner);
  } catch {
    throw new CliError(
      `--baseline ${baseline}: not a checkout (no capture/locate/quick_scan.ts)`,
      2,
    );
  }
  if (!positionals.length) throw usageError("name at least one FILE");
  const files = positionals.map((f) => userPath(f));
  for (const f of files) {
    try {
      Deno.statSync(f);
    } catch {
      throw new CliError(`${f}: not found`, 2);
    }
  }
  const expected = new Set((values["expect-diff"] ?? []).map((f) => userPath(f)));
  const trees: [string, QuickScanFn][] = [
    ["baseline", (await import(scanner)).quickScan],
    ["this tree", (await import(`${ROOT}/capture/locate/quick_scan.ts`)).quickScan],
  ];
  let differing = 0;
  console.log(`quick scan, ${runs} runs per file, ms median (min–max)`);
  for (const file of files) {
    const ms = new Map(trees.map(([label]) => [label, [] as number[]]));
    const answers = new Map<string, Set<string>>(trees.map(([label]) => [label, new Set()]));
    for (let r = 0; r < runs; r++) {
      for (const [label, scan] of r % 2 ? [...trees].reverse() : trees) {
        const q = scan(file);
        ms.get(label)!.push(q.durationMs);
        answers.get(label)!.add(JSON.stringify([q.hints, q.reason ?? ""]));
      }
    }
    const [a, b] = trees.map(([label]) => ms.get(label)!);
    const diff = b.map((x, i) => x - a[i]);
    console.log(
      `  ${file}: baseline ${fmt(a)}; this tree ${fmt(b)}; paired difference ${fmt(diff)}`,
    );
    const all = new Set(trees.flatMap(([label]) => [...answers.get(label)!]));
    if (all.size > 1) {
      const cells = trees.map(([label]) => `${label} ${[...answers.get(label)!].join(" | ")}`);
      console.log(
        `  ${expected.has(file) ? "changed (expected)" : "DIFF"} ${file}: ${cells.join("; ")}`,
      );
      if (!expected.has(file)) differing++;
    }
  }
  if (differing) throw new CliError(`${differing} files scanned differently: DIFF lines above`);
}

if (import.meta.main) await runCommand("quick_scan", USAGE, main);
