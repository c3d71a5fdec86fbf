/**
 * What a benchmark measured: the project's commit (and whether the capture's sources had local
 * changes) and a hash of the loader binary, since eBPF programs are embedded in it.
 */
import { filePath } from "../kit/file_path.ts";
import { createHash } from "node:crypto";

const ROOT = filePath("../", import.meta.url);

export interface BuildInfo {
  commit: string;
  /** capture/ or bpf/ differ from the commit */
  dirty: boolean;
  /** sha256 (12 hex digits) of bpf/build/sightline-loader */
  loader: string;
}

async function git(args: string[]): Promise<string> {
  const r = await new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(r.stdout).trim();
}

export async function buildInfo(): Promise<BuildInfo> {
  const loader = await Deno.readFile(`${ROOT}bpf/build/sightline-loader`).catch(() => undefined);
  return {
    commit: (await git(["rev-parse", "--short", "HEAD"])) || "unknown",
    dirty: (await git(["status", "--porcelain", "--", "capture", "bpf"])) !== "",
    loader: loader ? createHash("sha256").update(loader).digest("hex").slice(0, 12) : "missing",
  };
}
