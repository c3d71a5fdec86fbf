/**
 * The report page: one self-contained HTML file — styles, data, the Vega-Lite specs and the
 * vega, vega-lite and vega-embed bundles all inline — with the overview, what was cut, the
 * timeline, the findings, the process tree, tokens and cost, latency and the conversation.
 * Its script renders each chart with vega-embed (SVG renderer), opens the conversation entry
 * of a clicked LLM or tool call, highlights a finding on the timeline, and sets
 * `document.body.dataset.charts` to `ready` (or `failed`) when it is done.
 */
import { h, type Html, join, scriptJson } from "./html.ts";
import { conversationHtml, unlinkedMcpHtml } from "./conversation_view.ts";
import { findingsHtml } from "./findings_view.ts";
import { shellJoin } from "../kit/shell.ts";
import { processTreeHtml } from "./process_tree.ts";
import type { ReportData } from "./report_data.ts";
import { vegaBundles } from "./vega_bundle.ts";
import type { VegaLiteSpec } from "./vega.ts";

/** The charts of a report, by name (each is also written as `<name>.svg`). */
export type ChartSpecs = Record<string, VegaLiteSpec>;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 2rem 4rem; color: #222; max-width: 1400px; }
h1 { font-size: 1.5rem; margin: 1.2rem 0 .3rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h4 { margin: .6rem 0 .2rem; font-size: .9rem; color: #555; }
nav a { margin-right: 1rem; } code { font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f6f6; padding: .5rem; margin: .2rem 0;
  max-height: 32rem; overflow: auto; font-size: 12.5px; }
.summary td { padding: 0 1.2rem .1rem 0; } .summary td:first-child { color: #666; }
.notice { background: #fff7e0; border-left: 4px solid #e0a800; padding: .4rem .8rem; }
.blind-spots dt { font-weight: 600; margin-top: .4rem; }
.blind-spots dd { margin: 0 0 0 1rem; }
.cuts { background: #eef4fb; border-left: 4px solid #4c78a8; padding: .4rem .8rem; }
.chart { margin: .5rem 0 1rem; overflow-x: auto; }
.tree, .tree ul { list-style: none; padding-left: 1.2rem; } .tree { padding-left: 0; }
.tree li { margin: .15rem 0; } .argv, .cwd { margin-left: 1.6rem; color: #444; } .argv code { word-break: break-all; }
.pid { font-variant-numeric: tabular-nums; color: #666; } .name { font-weight: 600; }
.tag { background: #e8eef7; border-radius: 3px; padding: 0 .3rem; font-size: 12px; }
.tag.agent { background: #4c78a8; color: white; }
.exit.ok { color: #2a7a2a; } .exit.failed { color: #b00; font-weight: 600; } .dur, .note, .meta { color: #777; font-size: 12px; }
details.call { border: 1px solid #ddd; border-radius: 4px; margin: .3rem 0; padding: .2rem .6rem; }
details.call > summary { cursor: pointer; font-variant-numeric: tabular-nums; }
.turns { margin: .3rem 0 .5rem 1rem; } .tool, .tool-result { margin: .3rem 0 .6rem; }
.cut { color: #a60; font-size: 12px; }
.mcp { margin: .4rem 0 .4rem 1rem; padding: .2rem .6rem; border-left: 3px solid #17becf; }
.mcp-actions { margin: .1rem 0; padding-left: 1.2rem; } .mcp-actions li { margin: 0; }
.findings li { margin: .6rem 0; } .finding-head .sev { text-transform: uppercase; font-size: 12px; padding: 0 .3rem; border-radius: 3px; background: #eee; }
.sev-critical .sev, .sev-high .sev { background: #d62728; color: white; } .sev-medium .sev { background: #f58518; color: white; }
:target { outline: 2px solid #f58518; }
#vg-tooltip-element { max-width: 520px; }
`;

const SCRIPT = `
(async () => {
  const specs = JSON.parse(document.getElementById("sightline-specs").textContent);
  const views = {};
  const reveal = (id) => {
    const el = document.getElementById(id);
    if (!el) return;
    for (let d = el; d; d = d.parentElement) if (d.tagName === "DETAILS") d.open = true;
    el.scrollIntoView({ block: "start" });
    history.replaceState(null, "", "#" + id);
  };
  window.addEventListener("hashchange", () => reveal(location.hash.slice(1)));
  let failed = 0;
  for (const [name, spec] of Object.entries(specs)) {
    try {
      const r = await vegaEmbed("#chart-" + name, spec, { renderer: "svg", actions: false });
      views[name] = r.view;
      r.view.addEventListener("click", (_event, item) => {
        const anchor = item && item.datum && item.datum.anchor;
        if (anchor) reveal(anchor);
      });
    } catch (e) {
      failed++;
      console.error("chart " + name + " failed: " + (e && e.message || e));
    }
  }
  for (const a of document.querySelectorAll("a[data-finding]")) {
    a.addEventListener("click", () => {
      const view = views.timeline;
      if (view) view.signal("focus_finding", Number(a.dataset.finding)).runAsync();
    });
  }
  window.sightlineViews = views;
  if (location.hash) reveal(location.hash.slice(1));
  document.body.dataset.charts = failed ? "failed" : "ready";
})();
`;

function fmtNum(n: number | null): string {
  return n === null ? "–" : n.toLocaleString("en-US");
}

function overviewHtml(data: ReportData): Html {
  const o = data.overview;
  const span = o.spanMs >= 1000 ? `${(o.spanMs / 1000).toFixed(2)} s` : `${o.spanMs.toFixed(0)} ms`;
  const rows: [string, Html | string][] = [
    ["command", h`<code>${o.command ? shellJoin(o.command) : "?"}</code>`],
    [
      "captured",
      `${o.startedNs ? new Date(Number(o.startedNs / 1_000_000n)).toISOString() : "?"} on ${
        o.host ?? "?"
      }; activity over ${span}; exit code ${o.exitCode ?? "?"}${
        o.complete ? "" : " (capture did not end cleanly)"
      }`,
    ],
    [
      "LLM calls",
      `${o.llmCalls}; tokens ${fmtNum(o.inputTokens)} in (${
        fmtNum(o.cacheReadTokens)
      } from cache), ${fmtNum(o.outputTokens)} out; cost ${
        o.costUsd === null ? "–" : `$${o.costUsd.toFixed(4)}`
      }${o.unpricedCalls ? ` (${o.unpricedCalls} calls unpriced)` : ""}`,
    ],
    ["tool calls", String(o.toolCalls)],
    ["processes", String(o.processes)],
    [
      "problems",
      o.problems
        ? h`<a href="#problems">${
          String(o.problems)
        }</a> (what could not be read, was lost or left out: listed below)`
        : "none",
    ],
  ];
  return h`<table class="summary">${
    rows.map(([k, v]) => h`<tr><td>${k}</td><td>${v}</td></tr>`)
  }</table>`;
}

function cutsHtml(data: ReportData): Html | string {
  if (!data.cuts.length) return "";
  return h`<div class="cuts" id="cuts"><b>This recording is larger than one page shows.</b> Cut:<ul>${
    data.cuts.map((c) => h`<li>${c.what}: ${c.shown} of ${c.total} shown</li>`)
  }</ul>Texts longer than ${data.limits.textChars} characters are cut where they appear. The whole recording is in <code>analysis.duckdb</code> (<code>deno task sql</code>).</div>`;
}

function linksNotice(data: ReportData): Html | string {
  if (data.links !== null) {
    return h`<p class="meta">Lines join a tool call to the events correlation attributes to it (the <code>links</code> table: ${data.links.length} links to the events shown).</p>`;
  }
  return h`<p class="notice" id="no-links">This database has no <code>links</code> table: correlation has not run on this recording, so the timeline cannot show which tool call caused which event. Everything else is shown.</p>`;
}

/** The blind spots: what the run ran into first, then the rest; an empty table is no proof. */
function blindSpotsHtml(data: ReportData): Html {
  if (data.blindSpots === null) {
    return h`<p class="notice" id="no-blind-spots">This database has no <code>blind_spots</code> table (it was analysed before it was added): run <code>deno task analyze</code> again to list what this recording cannot show. Tables that are empty are no proof that nothing happened.</p>`;
  }
  const ran = data.blindSpots.filter((b) => b.count !== null);
  return h`<p class="meta">The tables hold what the capture could see. What happened along these paths leaves no row, so an empty table, or no finding, is no proof that it did not happen.</p>${
    ran.length
      ? h`<p class="notice">This run took paths the capture could not record: ${
        join(ran.map((b) => h`<b>${b.title}</b> (${String(b.count)})`), "; ")
      }.</p>`
      : ""
  }<dl class="blind-spots">${
    data.blindSpots.map((b) =>
      h`<dt id="blind-${b.id}">${b.title}${
        b.count !== null ? ` (${b.count})` : ""
      }</dt><dd>${b.what}</dd>`
    )
  }</dl>`;
}

/** The analysis' problems, one line each: what the tables above lack, and why. */
function problemsHtml(data: ReportData): Html {
  if (!data.problems.length) {
    return h`<p class="meta" id="no-problems">None: nothing in the recording was found unreadable, lost or left out.</p>`;
  }
  return h`<table class="problems"><tr><th>source</th><th>kind</th><th>what</th></tr>${
    data.problems.map((p) =>
      h`<tr><td>${p.source}</td><td>${p.kind}</td><td>${p.message}</td></tr>`
    )
  }</table>`;
}

const chart = (name: string) => h`<div class="chart" id="chart-${name}"></div>`;

/** The whole page. */
export function reportPage(data: ReportData, specs: ChartSpecs): string {
  const o = data.overview;
  const title = `Sightline report: ${o.recording}`;
  const scripts = vegaBundles().map((b) => `<script data-lib="${b.name}">${b.source}</script>`)
    .join("\n");
  const body = h`<h1>${title}</h1>
<nav><a href="#timeline">Timeline</a><a href="#findings">Findings</a><a href="#blind-spots">Blind spots</a><a href="#problems">Problems</a><a href="#processes">Process tree</a><a href="#usage">Tokens and cost</a><a href="#latency">Latency</a><a href="#conversation">Conversation</a></nav>
${overviewHtml(data)}
${cutsHtml(data)}
<h2 id="timeline">Timeline</h2>
${linksNotice(data)}
<p class="meta">Bars: LLM calls (request to last token) and tool calls (asked to result sent back)${
    data.mcpCalls?.length
      ? `; MCP calls on their server's lane (request to answer: ${data.mcpCalls.length}, each also under the tool call that caused it in the conversation)`
      : ""
  }. Points: execs (▶), file writes (■), connections and DNS questions (◆). Hover for details, click an LLM or tool call to open it below, drag to pan and scroll to zoom. Times in UTC.</p>
${chart("timeline")}
<h2 id="findings">Findings</h2>
${findingsHtml(data)}
<h2 id="blind-spots">What this recording cannot show</h2>
${blindSpotsHtml(data)}
<h2 id="problems">Problems</h2>
${problemsHtml(data)}
<h2 id="processes">Process tree</h2>
${processTreeHtml(data)}
<h2 id="usage">Tokens and cost</h2>
${chart("tokens")}${chart("cost")}${chart("models")}
<h2 id="latency">Latency</h2>
${chart("latency")}
<h2 id="conversation">Conversation</h2>
<p class="meta">Each LLM call in request order; open one to see its turns.</p>
${conversationHtml(data)}
${unlinkedMcpHtml(data)}
<p class="meta">Made by Sightline from ${o.path ?? o.recording} (recorded with version ${
    o.toolVersion ?? "?"
  }).</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h`${title}`}</title>
<style>${STYLE}</style>
</head><body>
${body}
<script type="application/json" id="sightline-specs">${scriptJson(specs)}</script>
${scripts}
<script>${SCRIPT}</script>
</body></html>
`;
}
