/**
 * Command line: `deno run -A capture/locate/cli.ts [--no-cache] [--quick] PATH...` prints
 * locate() (or quickScan()) results as JSON, one object per path.
 */

import { locate } from "./mod.ts";
import { quickScan } from "./quick_scan.ts";

if (import.meta.main) {
  const args = Deno.args.filter((a) => !a.startsWith("--"));
  const noCache = Deno.args.includes("--no-cache");
  for (const path of args) {
    const r = Deno.args.includes("--quick") ? quickScan(path) : await locate(path, { noCache });
    console.log(
      JSON.stringify(
        { path, ...r },
        (_k, v) =>
          typeof v === "number" && Number.isInteger(v) && v > 0xffff ? "0x" + v.toString(16) : v,
        1,
      ),
    );
  }
}
