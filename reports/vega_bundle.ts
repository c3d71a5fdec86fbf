/**
 * The browser builds of vega, vega-lite and vega-embed, read from the pinned npm packages
 * (their UMD bundles beside each package's entry point), to inline in a report page so that
 * it opens offline: no CDN, no network.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { inlineScript } from "./html.ts";

/** The packages and their browser bundle, in load order (vega-embed uses the other two). */
const BUNDLES = [
  ["vega", "vega.min.js"],
  ["vega-lite", "vega-lite.min.js"],
  ["vega-embed", "vega-embed.min.js"],
] as const;

function resolvePackageFile(pkg: string, file: string): string {
  // each package's entry point is in its build/ folder, beside the browser bundle
  const entry = import.meta.resolve(pkg);
  if (!entry.startsWith("file:")) {
    throw new Error(`cannot find the ${pkg} package on disk (resolved to ${entry})`);
  }
  return fileURLToPath(new URL(file, entry));
}

let cached: { name: string; source: string }[] | null = null;

/** The bundles' sources, ready to inline in `<script>` elements, in load order. */
export function vegaBundles(): { name: string; source: string }[] {
  cached ??= BUNDLES.map(([pkg, file]) => ({
    name: pkg,
    source: inlineScript(readFileSync(resolvePackageFile(pkg, file), "utf8")),
  }));
  return cached;
}
