/**
 * ManifestPacer on a clock of its own: manifest.json at most every 5 s while nothing goes
 * wrong, at once whenever a warning, an error, a drop, a lost row or a skipped program run is
 * new. (For real, under a capture: hook_verifier_test.ts, a wrong hook's warning on disk
 * within the flush after it.)
 */
import assert from "node:assert/strict";
import type { Manifest } from "../recording/manifest.ts";
import { alarms, ManifestPacer, PACE_MS } from "./manifest_pacer.ts";

function manifest(): Manifest {
  return {
    tables: { process: { file: "process.arrow", rows: 0, bytes: 0 } },
    drops: {},
    missed_runs: 0,
    warnings: [],
    errors: [],
  } as unknown as Manifest;
}

Deno.test("ManifestPacer: the first flush writes, then at most every 5 s while rows only grow", () => {
  let t = 0;
  const p = new ManifestPacer(PACE_MS, () => t);
  const m = manifest();
  assert.equal(p.due(m), true, "the first flush writes");
  p.wrote(m);
  for (t = 1000; t < PACE_MS; t += 1000) {
    m.tables.process.rows += 100; // rows change every second: not a reason to write
    assert.equal(p.due(m), false, `not due at ${t} ms`);
  }
  t = PACE_MS;
  assert.equal(p.due(m), true, "due 5 s after the last write");
  p.wrote(m);
  t += 1000;
  assert.equal(p.due(m), false);
});

Deno.test("ManifestPacer: a new warning, error, drop, lost row or missed run is written at once", () => {
  const grow: [string, (m: Manifest) => void][] = [
    ["warning", (m) => m.warnings.push("hook x saw ciphertext")],
    ["error", (m) => m.errors.push("the capture's loader was killed by SIGKILL")],
    ["drop", (m) => m.drops.file = (m.drops.file ?? 0) + 1],
    ["lost row", (m) => m.tables.process.lost = (m.tables.process.lost ?? 0) + 3],
    ["missed run", (m) => m.missed_runs++],
  ];
  for (const [what, change] of grow) {
    let t = 0;
    const p = new ManifestPacer(PACE_MS, () => t);
    const m = manifest();
    p.wrote(m);
    t = 1000;
    assert.equal(p.due(m), false);
    change(m);
    assert.equal(p.due(m), true, `a new ${what} is due at once`);
    p.wrote(m);
    t = 2000;
    assert.equal(p.due(m), false, `the same ${what} again is not`);
    change(m);
    assert.equal(p.due(m), true, `one more ${what} is`);
  }
});

Deno.test("ManifestPacer: a write that failed (no room) is tried again at the next flush", () => {
  let t = 0;
  const p = new ManifestPacer(PACE_MS, () => t);
  const m = manifest();
  p.wrote(m);
  t = 1000;
  m.warnings.push("the disk refused");
  assert.equal(p.due(m), true);
  // not written: wrote() not called
  t = 2000;
  assert.equal(p.due(m), true, "still due");
  assert.equal(alarms(m), 1);
});

Deno.test("ManifestPacer: rows lost counted apart stand for the tables' own", () => {
  let t = 0;
  const p = new ManifestPacer(PACE_MS, () => t);
  const m = manifest();
  m.tables.process.lost = 5; // stale: the manifest's tables not yet brought up to date
  p.wrote(m, 0);
  t = 1000;
  assert.equal(p.due(m, 0), false, "the tables' stale count is not used");
  assert.equal(p.due(m, 2), true, "rows lost since the last write are new");
  p.wrote(m, 2);
  t = 2000;
  assert.equal(p.due(m, 2), false);
  assert.equal(alarms(m), 5);
  assert.equal(alarms(m, 2), 2);
});
