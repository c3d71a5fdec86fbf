/**
 * Builds the benchmarks' small C helpers (proc_timer, load generators) with the machine's gcc
 * into .cache/bench/, rebuilding only when the source changed (keyed by its hash).
 */
import { filePath } from "../kit/file_path.ts";
import { createHash } from "node:crypto";
import { basename } from "node:path";

export const BENCH_CACHE = filePath("../.cache/bench/", import.meta.url);

/** Compiles `source` (a .c file) unless an up-to-date binary exists; returns its path. */
export async function buildCTool(source: string, extraFlags: string[] = []): Promise<string> {
  const text = await Deno.readFile(source);
  const hash = createHash("sha256").update(text).update(extraFlags.join(" ")).digest("hex")
    .slice(0, 12);
  const bin = `${BENCH_CACHE}${basename(source, ".c")}-${hash}`;
  try {
    await Deno.stat(bin);
    return bin;
  } catch { /* build it */ }
  await Deno.mkdir(BENCH_CACHE, { recursive: true });
  const tmp = `${bin}.tmp${Deno.pid}`;
  const r = await new Deno.Command("gcc", {
    args: ["-O2", "-Wall", "-o", tmp, source, ...extraFlags],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    throw new Error(`gcc ${source} failed: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
  await Deno.rename(tmp, bin);
  return bin;
}
