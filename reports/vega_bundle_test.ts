/** Tests that the inlined Vega libraries are the pinned packages' browser builds. */
import assert from "node:assert/strict";
import { vegaBundles } from "./vega_bundle.ts";

Deno.test("vega, vega-lite and vega-embed bundles are found, in load order, and inlinable", () => {
  const bundles = vegaBundles();
  assert.deepEqual(bundles.map((b) => b.name), ["vega", "vega-lite", "vega-embed"]);
  for (const b of bundles) {
    assert.ok(b.source.length > 50_000, `${b.name} is a whole bundle (${b.source.length} bytes)`);
    assert.doesNotMatch(b.source, /<\/script/i);
  }
  // the versions pinned in deno.json
  assert.match(bundles[0].source, /version="6\.4\.0"/);
  assert.match(bundles[1].source, /n="6\.5\.0"/);
  assert.match(bundles[2].source, /="7\.3\.0"/);
});
