/**
 * The file-system path of a file URL, e.g. of a file beside a module:
 * `filePath("./x.txt", import.meta.url)`. A URL's `pathname` keeps its percent-encoding (a
 * checkout under `/tmp/a b/` gives `/tmp/a%20b/...`, a file that is not there); this decodes
 * it. No imports (node:url's fileURLToPath is slow to load; the capture's start-up graph has
 * no node: module, capture/start_graph_test.ts).
 */

/** The path of `rel` resolved against the file URL `base` (`import.meta.url`), decoded. */
export function filePath(rel: string | URL, base?: string | URL): string {
  const url = new URL(rel, base);
  if (url.protocol !== "file:") throw new Error(`not a file URL: ${url.href}`);
  return decodeURIComponent(url.pathname);
}
