/**
 * The findings of the detectors (the `findings` table) as a list, most severe first: what
 * happened and why it matters, when, and the evidence — each event it cites with its time and
 * what it was, each tool or LLM call linked to its place in the conversation view. Each
 * finding links to its span on the timeline (`data-finding`: the page highlights it there).
 * Without a `findings` table the section says so.
 */
import { h, type Html, join } from "./html.ts";
import type { EvidenceEvent, Finding, ReportData } from "./report_data.ts";
import { clock, excerpt, toolCommand } from "./timeline_chart.ts";

function evidenceItem(
  item: string,
  data: ReportData,
  events: Map<string, EvidenceEvent>,
): Html {
  const [kind, idText] = item.split(":");
  const id = Number(idText);
  const ev = events.get(item);
  if (ev) {
    const at = (Number(ev.tsNs - data.overview.t0) / 1e9).toFixed(3);
    return h`<li><code>${item}</code> ${at} s (${
      clock(ev.tsNs)
    }) pid ${ev.pid}: <code>${ev.label}</code></li>`;
  }
  if (kind === "tool_call") {
    const t = data.toolCalls.find((x) => x.id === id);
    return h`<li><a href="#tool-${id}">tool call #${id}</a>${
      t ? h` <code>${t.name}</code>: <code>${excerpt(toolCommand(t), 200)}</code>` : ""
    }</li>`;
  }
  if (kind === "llm_call") {
    const c = data.llmCalls.find((x) => x.id === id);
    return h`<li><a href="#call-${id}">LLM call #${id}</a>${c ? ` ${c.model ?? ""}` : ""}</li>`;
  }
  return h`<li><code>${item}</code></li>`;
}

function findingHtml(f: Finding, data: ReportData, events: Map<string, EvidenceEvent>): Html {
  const t0 = data.overview.t0;
  const at = (ns: bigint) => `${(Number(ns - t0) / 1e9).toFixed(3)} s`;
  const when = f.endNs !== null && f.endNs !== f.startNs
    ? `${at(f.startNs)} – ${at(f.endNs)}`
    : at(f.startNs);
  const shown = f.evidence.slice(0, data.limits.evidencePerFinding);
  let details: Html | string = "";
  if (f.details) {
    let pretty = f.details;
    try {
      pretty = JSON.stringify(JSON.parse(f.details), null, 2);
    } catch { /* as it is */ }
    details = h`<details><summary>details</summary><pre>${pretty}</pre></details>`;
  }
  return h`<li class="finding sev-${f.severity}" id="finding-${f.id}">
<div class="finding-head"><b>#${f.id} ${f.kind}</b> <span class="sev">${f.severity}</span>${
    f.sessionId !== null ? h` <span class="meta">session ${f.sessionId}</span>` : ""
  } <span class="meta">${when}</span> <a href="#timeline" class="show-on-timeline" data-finding="${f.id}">show on the timeline</a></div>
<p>${f.explanation}</p>
<details open><summary>evidence (${f.evidence.length})</summary><ul>${
    shown.map((i) => evidenceItem(i, data, events))
  }${
    f.evidence.length > shown.length
      ? h`<li class="cut">… ${f.evidence.length - shown.length} more not shown</li>`
      : ""
  }</ul></details>${details}</li>`;
}

/** The findings section's body. */
export function findingsHtml(data: ReportData): Html {
  if (data.findings === null) {
    return h`<p class="notice" id="no-findings">This database has no <code>findings</code> table: the detectors have not run on this recording, so nothing is flagged here.</p>`;
  }
  if (!data.findings.length) {
    return h`<p class="notice">The detectors found nothing in what was recorded. That is no proof of innocence: see <a href="#blind-spots">what this recording cannot show</a>.</p>`;
  }
  const events = new Map(data.evidence.map((e) => [`${e.findingId}|${e.item}`, e]));
  return h`<ol class="findings">${
    join(data.findings.map((f) => {
      const mine = new Map(
        f.evidence.flatMap((i) => {
          const e = events.get(`${f.id}|${i}`);
          return e ? [[i, e] as const] : [];
        }),
      );
      return findingHtml(f, data, mine);
    }))
  }</ol>`;
}
