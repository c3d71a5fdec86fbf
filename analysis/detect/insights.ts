/**
 * The one call the analysis makes after building its tables: correlation (`links` and the
 * tables behind it) then the detectors (`findings` and theirs), in the same database.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { buildCorrelation } from "../correlate/build.ts";
import { type CorrelateSettings, DEFAULT_SETTINGS } from "../correlate/settings.ts";
import { buildFindings } from "./build.ts";
import { DEFAULT_DETECT_SETTINGS, type DetectSettings } from "./settings.ts";

export interface InsightSettings {
  correlate?: CorrelateSettings;
  detect?: DetectSettings;
}

/** Builds `links` and `findings` (and the tables they rest on) from the analysis tables. */
export async function buildLinksAndFindings(
  c: DuckDBConnection,
  settings: InsightSettings = {},
): Promise<void> {
  await buildCorrelation(c, settings.correlate ?? DEFAULT_SETTINGS);
  await buildFindings(c, settings.detect ?? DEFAULT_DETECT_SETTINGS);
}
