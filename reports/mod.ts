/**
 * Public face of the reports: `deno task report RECORDING [--out DIR]` writes a self-contained
 * HTML report of an analysed recording — timeline, findings, process tree, tokens, cost,
 * latency and the conversation — and its charts as SVG (`buildReport`, `run`); the data it
 * reads (`loadReportData`, capped by `ReportLimits`); the Vega-Lite charts; headless SVG
 * rendering shared with the benchmarks (`vega.ts`); the overhead table rebuilt from the
 * benchmark's output; and opening a page in Debian's Chromium (`browser.ts`, for tests).
 */
export { buildReport, chartSpecs, type ReportOptions, type ReportResult, run } from "./report.ts";
export {
  DEFAULT_LIMITS,
  loadReportData,
  type ReportData,
  type ReportLimits,
} from "./report_data.ts";
export { openAnalysed, REQUIRED_TABLES } from "./report_db.ts";
export { reportPage } from "./page.ts";
export { timelineLanes, timelineSpec } from "./timeline_chart.ts";
export { costSpec, latencySpec, modelsSpec, tokensSpec } from "./usage_charts.ts";
export {
  compileVegaLite,
  renderSvg,
  VEGA_LITE_SCHEMA,
  type VegaLiteSpec,
  writeSvg,
} from "./vega.ts";
export {
  loadOverhead,
  overheadChartSpec,
  overheadMarkdown,
  overheadRows,
  paperComparison,
} from "./overhead_table.ts";
