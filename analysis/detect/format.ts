/**
 * Findings as text for the analysis summary: counts by severity, then each finding with its
 * evidence ids, then (for recordings with several agents) where each agent's time went, and a
 * line on how many actions correlation explained. Recorded text in it (a path or host in an
 * explanation) is shown one line each, its controls as escapes (kit/control_chars.ts showLine).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows, readSql } from "../../kit/sql_runner.ts";
import { SEVERITIES } from "./patterns.ts";
import { showLine } from "../../kit/control_chars.ts";

export interface FormatOptions {
  /** findings shown in full (the rest are counted); default 20 */
  limit?: number;
  /** evidence ids shown per finding; default 8 */
  evidence?: number;
}

const SQL_DIR = new URL("./summary/", import.meta.url);

const ms = (v: unknown) => {
  const n = Number(v ?? 0);
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(0)} ms`;
};

/** The findings of one recording as text (empty findings say so in one line). */
export async function formatFindings(
  c: DuckDBConnection,
  recording: string,
  opts: FormatOptions = {},
): Promise<string> {
  const limit = opts.limit ?? 20;
  const nev = opts.evidence ?? 8;
  const out: string[] = [];
  const q = (name: string) => queryRows(c, readSql(SQL_DIR, name), { recording });
  const [links] = await q("summary_links");
  out.push(
    `  links: ${links.linked} of ${links.actions} actions caused by ${links.tools} of ` +
      `${links.tool_calls} ` +
      `tool calls; ${links.unexplained} in processes no tool call explains`,
  );
  const rows = await q("summary_findings");
  if (rows.length === 0) {
    out.push("  findings: none");
  } else {
    const counts = [...SEVERITIES].reverse()
      .map((s) => [s, rows.filter((r) => r.severity === s).length] as const)
      .filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
    out.push(`  findings: ${rows.length} (${counts.join(", ")})`);
    for (const r of rows.slice(0, limit)) {
      const list = (r.evidence as string[] | null) ?? [];
      out.push(
        `  #${r.finding_id} ${String(r.severity).toUpperCase()} ${r.kind}` +
          ` [${showLine(String(r.agent ?? "?"))} pid ${r.session_id ?? "-"}]: ` +
          showLine(String(r.explanation)),
        `      evidence: ${list.slice(0, nev).join(" ")}${
          list.length > nev ? ` … (${list.length - nev} more)` : ""
        }`,
      );
    }
    if (rows.length > limit) {
      out.push(`  … and ${rows.length - limit} more (see the findings table)`);
    }
  }
  const activity = await q("summary_agents");
  if (activity.length > 1) {
    out.push("  agents: wall / busy / blocked / waiting (waits, retry cycles)");
    for (const a of activity) {
      out.push(
        `    ${showLine(String(a.agent ?? "?")).padEnd(12)} pid ${
          String(a.session_id).padEnd(7)
        } ` +
          `${ms(a.wall_ms)} / ${ms(a.busy_ms)} / ${ms(a.blocked_ms)} ` +
          `(${(100 * Number(a.blocked_share)).toFixed(1)}%) / ${ms(a.waiting_ms)}` +
          ` (${a.waits} waits, ${a.retry_cycles} retry cycles)`,
      );
    }
  }
  return out.join("\n") + "\n";
}
