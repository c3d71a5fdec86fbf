/**
 * The session's flush every second, without root: the loader stream recorded from a real
 * capture fed into a record sink, and the flush writing its rows and the manifest as the
 * running capture does: rows to their files at every flush, manifest.json at most every 5 s
 * but at once when a warning is new, room kept for the last manifest, the timer's tick.
 */
import assert from "node:assert/strict";
import { refreshManifest } from "./manifest_builder.ts";
import { ManifestPacer, PACE_MS } from "./manifest_pacer.ts";
import { LiveFlush } from "./live_flush.ts";
import { type Manifest, writeManifest } from "../recording/manifest.ts";
import { RESERVE_BYTES, RESERVE_FILE } from "../recording/manifest_reserve.ts";
import { UNKNOWN_HOOKS } from "../recording/blind_spots.ts";
import { fixtureSink, fixtureStream, sinkFeeder } from "../tests/support/loader_stream.ts";

const onDisk = (dir: string): Manifest => JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`));
const rowsOf = (m: Manifest) => Object.values(m.tables).reduce((n, t) => n + (t.rows ?? 0), 0);

Deno.test("live flush: rows at every flush, the manifest when due or alarmed, room kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-flush-" });
  try {
    const { manifest, sink } = fixtureSink(dir);
    const written = writeManifest(dir, manifest);
    let now = 0;
    const live = new LiveFlush(
      {
        dir,
        manifest,
        sink,
        refresh: () => refreshManifest(manifest, sink.state(), UNKNOWN_HOOKS),
        written,
      },
      new ManifestPacer(PACE_MS, () => now),
    );
    // room for the last manifest from the start
    assert.ok(Deno.statSync(`${dir}/${RESERVE_FILE}`).size >= RESERVE_BYTES);
    assert.equal(rowsOf(onDisk(dir)), 0);

    const bytes = await fixtureStream();
    const feeder = sinkFeeder(sink);
    const half = bytes.length >> 1;
    feeder.feed(bytes.subarray(0, half));
    live.flush(); // the first flush: due
    const first = rowsOf(onDisk(dir));
    assert.ok(first > 0, "the first half's rows are counted in manifest.json");
    assert.equal(first, rowsOf(manifest));

    feeder.feed(bytes.subarray(half));
    assert.equal(feeder.end(), 0);
    now += 1000;
    live.flush(); // a second later: not due, the manifest on disk stays
    const counted = Object.values(sink.state().tables).reduce((n, t) => n + t.rows, 0);
    assert.ok(counted > first, "the sink counted the second half");
    assert.equal(rowsOf(onDisk(dir)), first);

    manifest.warnings.push("something new to say");
    now += 1000;
    live.flush(); // a new warning: written at once
    assert.deepEqual(onDisk(dir).warnings, ["something new to say"]);
    assert.equal(rowsOf(onDisk(dir)), rowsOf(manifest));
    const size = Deno.statSync(`${dir}/manifest.json`).size;
    assert.ok(Deno.statSync(`${dir}/${RESERVE_FILE}`).size >= Math.max(RESERVE_BYTES, 2 * size));

    // the timer: each tick flushes (the sink's rows to their files) and, paced, the manifest
    let tick: (() => void) | undefined;
    let stopped = false;
    live.start(false, 1000, (_ms, fn) => {
      tick = fn;
      return { stop: () => stopped = true };
    });
    manifest.warnings.push("another");
    tick!();
    assert.deepEqual(onDisk(dir).warnings, ["something new to say", "another"]);
    live.stop();
    assert.ok(stopped);
    await sink.settled();
    sink.finish();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A LiveFlush over a stand-in sink whose rows lost can be set, counting the manifest's refreshes. */
function countingFlush(dir: string, now: () => number) {
  const manifest = {
    tables: { file: { file: "file.arrow", rows: 0, bytes: 0 } },
    drops: {},
    missed_runs: 0,
    warnings: [],
    errors: [],
  } as unknown as Manifest;
  const counters = { diskLost: 0 };
  const sink = { flush() {}, tick() {}, counters } as unknown as ConstructorParameters<
    typeof LiveFlush
  >[0]["sink"];
  const state = { refreshes: 0, rows: 0 };
  const live = new LiveFlush(
    {
      dir,
      manifest,
      sink,
      refresh: () => {
        state.refreshes++;
        manifest.tables.file.rows = state.rows;
        if (counters.diskLost) manifest.tables.file.lost = counters.diskLost;
      },
      written: writeManifest(dir, manifest),
    },
    new ManifestPacer(PACE_MS, now),
  );
  return { live, manifest, counters, state };
}

Deno.test("live flush: the manifest is brought up to date only when it is to be written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-flush-" });
  try {
    let now = 0;
    const { live, state } = countingFlush(dir, () => now);
    live.flush(); // the first: due
    assert.equal(state.refreshes, 1);
    for (let s = 1; s < 5; s++) {
      now = s * 1000;
      state.rows += 10;
      live.flush(); // an idle or busy second in between: the rows to their files, nothing else
    }
    assert.equal(state.refreshes, 1, "not rebuilt on the four flushes in between");
    now = PACE_MS;
    live.flush();
    assert.equal(state.refreshes, 2);
    assert.equal(rowsOf(onDisk(dir)), 40, "when due, written up to date");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("live flush: rows the disk lost make the manifest due at once, up to date", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-flush-" });
  try {
    let now = 0;
    const { live, counters, state } = countingFlush(dir, () => now);
    live.flush();
    now = 1000;
    counters.diskLost = 7; // the sink's flush lost rows (a full disk)
    live.flush();
    assert.equal(state.refreshes, 2);
    assert.equal(onDisk(dir).tables.file.lost, 7, "written at once with the loss");
    now = 2000;
    live.flush();
    assert.equal(state.refreshes, 2, "the same loss again is not new");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
