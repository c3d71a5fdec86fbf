/**
 * The one call the analysis makes after building its tables: correlation (`links` and the
 * tables behind it) then the detectors (`findings` and theirs), in the same database.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { buildCorrelation } from "../correlate/build.ts";
import { type CorrelateSettings, DEFAULT_SETTINGS } from "../correlate/settings.ts";
import { buildFindings } from "./build.ts";
import { type Build, buildPart } from "../build_steps.ts";
import type { ProblemRow } from "../schema.ts";
import { buildMcp, buildMcpFindings } from "../mcp/build.ts";
import { DEFAULT_DETECT_SETTINGS, type DetectSettings } from "./settings.ts";

export interface InsightSettings {
  correlate?: CorrelateSettings;
  detect?: DetectSettings;
}

/**
 * Builds `links` and `findings` (and the tables they rest on) from the analysis tables, as
 * part of `build` when given, else on its own (its problems saved in `problems`).
 */
export function buildLinksAndFindings(
  c: DuckDBConnection,
  settings: InsightSettings = {},
  build?: Build,
): Promise<ProblemRow[]> {
  return buildPart(c, build, async (b) => {
    await buildCorrelation(c, settings.correlate ?? DEFAULT_SETTINGS, b);
    await buildMcp(c, b);
    await buildFindings(c, settings.detect ?? DEFAULT_DETECT_SETTINGS, b);
    await buildMcpFindings(c, b);
  });
}
