/**
 * Renders Vega-Lite charts to SVG headless: compiles a Vega-Lite spec with the npm `vega-lite`
 * package and renders it with `vega`'s SVG string renderer (no canvas, no browser). Text widths
 * are estimated, which is fine for reports. Shared by the benchmarks and the reports.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { showControlsIn } from "../kit/control_chars.ts";

export type { TopLevelSpec as VegaLiteSpec } from "vega-lite";

/** The Vega-Lite schema the pinned vega-lite package speaks. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Compiles a Vega-Lite spec to a Vega spec; throws on an invalid spec. */
export function compileVegaLite(spec: TopLevelSpec): vega.Spec {
  return compile(spec).spec;
}

/**
 * Renders a Vega-Lite spec to an SVG document (a string starting with `<svg`). Control
 * characters in the spec's text (a recorded file name holding ESC) are written as escapes
 * (kit/control_chars.ts): XML cannot hold them, and one made the whole SVG unreadable.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const parsed = vega.parse(compileVegaLite(showControlsIn(spec)));
  const view = new vega.View(parsed, { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders a Vega-Lite spec and writes the SVG to `path`. */
export async function writeSvg(path: string, spec: TopLevelSpec): Promise<void> {
  await Deno.writeTextFile(path, await renderSvg(spec));
}
