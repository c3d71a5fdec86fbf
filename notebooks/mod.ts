/**
 * Public face of the notebooks' toolkit: open a recording and query it (`openRecording`),
 * show tables and charts in a cell (`table`, `markdown`, `chart`), find a case study's
 * recording (`caseRecording`), the case studies' queries and charts, the overhead table from
 * the benchmark, and running the notebooks headless (`executeNotebook`). The notebooks in this
 * folder import this module and keep no logic of their own.
 */
export {
  chart,
  type Displayable,
  markdown,
  markdownTable,
  type Rows,
  show,
  table,
} from "./display.ts";
export { openRecording, Recording, SAMPLE, sampleRecording } from "./recording.ts";
export {
  CASE_STUDIES,
  caseRecording,
  type CaseStudy,
  envVarOf,
  hasCaseInput,
  MissingInput,
} from "./case_input.ts";
export { activityChart, caseRows, loopChart, requireInsights } from "./case_studies.ts";
export {
  loadOverhead,
  meanOverheads,
  OVERHEAD_JSON,
  overheadChartSpec,
  overheadMarkdown,
  overheadRows,
  paperComparison,
} from "../reports/overhead_table.ts";
export { ensureDenoKernel, executeNotebook, jupyterMissing } from "./jupyter.ts";
