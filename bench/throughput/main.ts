/**
 * `deno task bench:capture [--quick] [--seconds N] [--out DIR]`: sustained kernel events/s and
 * TLS MB/s through the whole capture pipeline, and per-probe costs (see run.ts). Prints a line
 * per step and the tables; writes capture.md and capture.json to --out (default reports/bench).
 * `--lifetime N` measures only `capture -- true` (N runs) and prints its section; with --out it
 * replaces that section in DIR/capture.json and regenerates DIR/capture.md from it.
 * `--untraced PAIRS` does the same for what an untraced process pays per system call (PAIRS
 * pairs of blocks without and with a capture, at least 6: fewer leave the 95% interval
 * unbounded; `--quick` for the quick sizes otherwise).
 * `--dns-gate PAIRS` measures, and prints, what an untraced process pays per read(2) and write(2)
 * while the capture watches DNS sockets (untraced.ts dnsGateCosts); it writes nothing.
 * Exits 0, 1 on an error, 2 on a bad command line.
 */
import { filePath } from "../../kit/file_path.ts";
import {
  intOption,
  parseCommand,
  runCommand,
  usageError,
  userNewPath,
  userPath,
} from "../../kit/cli.ts";
import { lifetimeMarkdown, throughputMarkdown, untracedMarkdown, withKeptNotes } from "./report.ts";
import { EVENT_LOAD, run, type ThroughputResult, untracedOptions } from "./run.ts";
import { captureLifetime } from "./lifetime.ts";
import { dnsGateCosts, untracedSyscalls } from "./untraced.ts";
import { MIN_PAIRS } from "./untraced_costs.ts";
import { buildCTool } from "../c_tool.ts";

const USAGE =
  "usage: deno task bench:capture [--quick] [--seconds N] [--out DIR] | --lifetime RUNS [--out DIR] | --untraced PAIRS [--quick] [--out DIR] | --dns-gate PAIRS";
const DEFAULT_OUT = filePath("../../reports/bench", import.meta.url);

export async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    quick: { type: "boolean", default: false },
    seconds: { type: "string" },
    out: { type: "string" },
    lifetime: { type: "string" },
    untraced: { type: "string" },
    "dns-gate": { type: "string" },
  }, { positionals: false });
  const log = (l: string) => console.error(l);
  const dnsPairs = untracedPairs(values["dns-gate"], "dns-gate");
  if (dnsPairs !== undefined) {
    if (Deno.uid() !== 0) throw new Error("the capture benchmark needs root (eBPF)");
    const tmp = "/tmp/sightline-bench/throughput";
    await Deno.mkdir(tmp, { recursive: true });
    const gen = await buildCTool(EVENT_LOAD);
    const g = await dnsGateCosts(gen, untracedOptions(false, tmp, log, dnsPairs));
    console.log(JSON.stringify(g, null, 2));
    return 0;
  }
  const lifetime = intOption("lifetime", values.lifetime, 1);
  const untraced = untracedPairs(values.untraced);
  if (lifetime !== undefined && untraced !== undefined) {
    throw usageError("--lifetime and --untraced measure one section each: give one");
  }
  if (lifetime !== undefined || untraced !== undefined) {
    if (Deno.uid() !== 0) throw new Error("the capture benchmark needs root (eBPF)");
    const out = values.out ? userPath(values.out) : undefined;
    // only this section is measured again: the rest of capture.json stays, and capture.md
    // is regenerated from it (read first, so a missing file fails before the measuring)
    const r = out
      ? JSON.parse(await Deno.readTextFile(`${out}/capture.json`)) as ThroughputResult
      : undefined;
    const tmp = "/tmp/sightline-bench/throughput";
    await Deno.mkdir(tmp, { recursive: true });
    let what;
    if (lifetime !== undefined) {
      const l = await captureLifetime(tmp, lifetime, log);
      console.log(lifetimeMarkdown(l).join("\n"));
      if (r) r.lifetime = l;
      what = "the capture -- true section";
    } else {
      const gen = await buildCTool(EVENT_LOAD);
      const u = await untracedSyscalls(gen, untracedOptions(values.quick, tmp, log, untraced));
      console.log(untracedMarkdown(u).join("\n"));
      if (r) {
        r.untraced = u;
        delete (r as { syscalls?: unknown }).syscalls; // the section's earlier form
      }
      what = "the untraced per-call section";
    }
    if (out && r) {
      await Deno.writeTextFile(`${out}/capture.json`, JSON.stringify(r, null, 2) + "\n");
      await writeMarkdown(out, throughputMarkdown(r));
      console.log(`updated: ${out}/capture.md, capture.json (${what})`);
    }
    return 0;
  }
  const r = await run({
    quick: values.quick,
    seconds: intOption("seconds", values.seconds, 1),
    log,
  });
  const out = values.out ? userNewPath(values.out) : DEFAULT_OUT;
  await Deno.mkdir(out, { recursive: true });
  const md = throughputMarkdown(r);
  await writeMarkdown(out, md);
  await Deno.writeTextFile(`${out}/capture.json`, JSON.stringify(r, null, 2) + "\n");
  console.log(md);
  console.log(`written: ${out}/capture.md, capture.json`);
  return 0;
}

/** `--untraced PAIRS` (or `--dns-gate PAIRS`: `flag`): a whole number, at least MIN_PAIRS (fewer
 * leave the interval unbounded). */
export function untracedPairs(value: string | undefined, flag = "untraced"): number | undefined {
  const pairs = intOption(flag, value, 1);
  if (pairs !== undefined && pairs < MIN_PAIRS) {
    throw usageError(
      `--${flag} wants at least ${MIN_PAIRS} pairs (fewer leave the 95% interval unbounded), ` +
        `got ${pairs}`,
    );
  }
  return pairs;
}

/** Writes capture.md, keeping the session notes at the end of the one it replaces. */
async function writeMarkdown(out: string, md: string): Promise<void> {
  const previous = await Deno.readTextFile(`${out}/capture.md`).catch(() => undefined);
  await Deno.writeTextFile(`${out}/capture.md`, withKeptNotes(md, previous));
}

if (import.meta.main) await runCommand("bench:capture", USAGE, main);
