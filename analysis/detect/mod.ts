/**
 * Detectors: what is dangerous or wasteful, with evidence — sensitive access, exfiltration,
 * prompt injection, reasoning loops, and for several agents in one recording their blocked
 * time, waits, shared files and lock contention — into `findings` and the tables behind it.
 * `buildLinksAndFindings` is the one call the analysis makes; `formatFindings` the summary.
 * Rationale and thresholds: `README.md`; tables: `../correlate/SCHEMA.md`.
 */
export { buildLinksAndFindings, type InsightSettings } from "./insights.ts";
export { buildFindings, DETECT_ORDER } from "./build.ts";
export { formatFindings, type FormatOptions } from "./format.ts";
export {
  checkDetectSettings,
  DEFAULT_DETECT_SETTINGS,
  detectParams,
  type DetectSettings,
} from "./settings.ts";
export {
  type AllowEntry,
  DEFAULT_ALLOWLIST,
  DEFAULT_INJECTION_PHRASES,
  DEFAULT_SENSITIVE_PATHS,
  globToRegex,
  type InjectionPattern,
  loadAllowlist,
  loadInjectionPatterns,
  loadSensitivePatterns,
  PatternFileError,
  type SensitivePattern,
  type Severity,
} from "./patterns.ts";
export {
  agentActivityTable,
  DETECT_TABLES,
  fileSharingTable,
  type FindingRow,
  findingsTable,
} from "./schema.ts";
