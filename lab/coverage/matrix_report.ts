/**
 * The coverage matrix as files: `matrix.json` (every row, the source of truth; a later run for
 * some agents replaces their rows and keeps the others') and `matrix.md` (a summary per agent
 * and one table row per build).
 */

import { join } from "node:path";
import { BUILD_SPECS, compareVersions, type CoverageAgent } from "./builds.ts";
import type { MatrixRow } from "./coverage.ts";

export interface MatrixFile {
  generated: string;
  host: string;
  kernel: string;
  /** the command line that produced the last update */
  command: string;
  rows: MatrixRow[];
}

const ORDER = Object.keys(BUILD_SPECS) as CoverageAgent[];

/**
 * Rows of `fresh` replace the stored rows of the same agent, version and Node (a Node agent's
 * build on another Node release is a row of its own); the rest stay.
 */
export function mergeRows(old: MatrixRow[], fresh: MatrixRow[]): MatrixRow[] {
  const key = (r: MatrixRow) => `${r.agent}@${r.version}${r.node ? ` node ${r.node}` : ""}`;
  const map = new Map(old.map((r) => [key(r), r]));
  for (const r of fresh) map.set(key(r), r);
  return [...map.values()].sort((a, b) =>
    ORDER.indexOf(a.agent) - ORDER.indexOf(b.agent) || compareVersions(a.version, b.version) ||
    compareVersions(a.node ?? "0", b.node ?? "0")
  );
}

export async function readMatrix(dir: string): Promise<MatrixFile | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, "matrix.json"))) as MatrixFile;
  } catch {
    return undefined;
  }
}

export async function writeMatrix(dir: string, m: MatrixFile): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "matrix.json"), JSON.stringify(m, null, 1) + "\n");
  await Deno.writeTextFile(join(dir, "matrix.md"), renderMarkdown(m));
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderMarkdown(m: MatrixFile): string {
  const lines = [
    "# TLS coverage matrix",
    "",
    `Made by \`deno task coverage\` runs on ${m.host} (kernel ${m.kernel}); the last, at ` +
    `${m.generated.slice(0, 16).replace("T", " ")} UTC, was \`${m.command}\`; each run` +
    " replaces the rows of the builds it covered. Each build is installed from npm; the" +
    " locator runs on the file whose" +
    " TLS is hooked (the agent's binary, or the `node` that runs a Node agent; when a capture" +
    " shows the model calls went through a library the build loaded at run time, that one," +
    " as the notes say), uncached;" +
    " where the agent runs offline a real capture against the scripted model server" +
    " (scenario `text-hello` unless the notes name another) must show, after analysis, the" +
    " prompt in a request, the scripted answer in a response and each tool call the server" +
    " answered with and each result sent back, as the server's log of the run has them." +
    " Regenerate with `deno task coverage` (see" +
    " `lab/coverage/README.md`).",
    "",
    "| agent | builds | located | captured (of run) |",
    "| --- | ---: | ---: | ---: |",
  ];
  for (const agent of ORDER) {
    const rows = m.rows.filter((r) => r.agent === agent);
    if (!rows.length) continue;
    const run = rows.filter((r) => r.captured === "yes" || r.captured === "no");
    lines.push(
      `| ${BUILD_SPECS[agent].label} | ${rows.length} | ${
        rows.filter((r) => r.located).length
      } | ` +
        `${run.filter((r) => r.captured === "yes").length} of ${run.length} |`,
    );
  }
  lines.push(
    "",
    "| agent | version | published | runtime | TLS inside | file | located | library | method |" +
      " hooked | locate ms | captured | notes |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | ---: | --- | --- |",
  );
  for (const r of m.rows) {
    const notes = [
      r.platform_only &&
      `binary only: ${BUILD_SPECS[r.agent]?.platformPackage} has it, ${
        BUILD_SPECS[r.agent]?.npmPackage
      } has no such release`,
      r.reason,
      r.scenario && `scenario ${r.scenario}`,
      r.capture_note,
      r.hook_checks && `checks: ${r.hook_checks}`,
    ]
      .filter(Boolean).join("; ");
    lines.push(
      "| " + [
        BUILD_SPECS[r.agent]?.label ?? r.agent,
        r.version,
        r.published ?? "",
        r.runtime,
        r.tls,
        r.file,
        r.located ? "yes" : "**no**",
        r.library ?? "",
        r.method,
        r.hooks.join(", "),
        String(r.locate_ms),
        r.captured === "no" ? "**no**" : r.captured,
        notes,
      ].map((c) => cell(String(c))).join(" | ") + " |",
    );
  }
  return lines.join("\n") + "\n";
}
