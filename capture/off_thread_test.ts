/**
 * The inspection worker: a big binary's inspection runs beside the main thread, which goes on
 * meanwhile, with the answer the main thread would have had; a worker that fails is said and
 * its work done on the main thread; a request that fails is rejected with its error.
 */
import assert from "node:assert/strict";
import { OFF_THREAD_MIN_BYTES, OffThreadInspector } from "./off_thread.ts";
import { inspectFileCached } from "./inspect_cache.ts";
import { locateCached } from "./locate/mod.ts";
import { systemLibssl } from "../tests/support/capture.ts";

/** Without `cached` and `durationMs`, which differ per call. */
const answer = <T extends { cached?: boolean; durationMs?: number }>(r: T) => {
  const { cached: _c, durationMs: _d, ...rest } = r;
  return rest;
};

Deno.test("OffThreadInspector: a big binary is located beside the main thread, which goes on meanwhile; the same answer, cached", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-off-thread-" });
  const off = new OffThreadInspector();
  try {
    const big = Deno.execPath(); // ~90 MB, its TLS library recognised: the locator's methods run
    assert.ok(Deno.statSync(big).size >= OFF_THREAD_MIN_BYTES);
    assert.equal(off.started, false, "no worker before the first request");
    // the main thread's timer, ticking every 5 ms: the longest it went without a tick
    let last = performance.now(), longest = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    const r = await off.locate(big, `${dir}/locate`);
    const took = performance.now() - t0;
    clearInterval(tick);
    assert.ok(off.started);
    assert.equal(r.cached, false);
    assert.ok(r.tried.length >= 2, `the locator's methods ran: ${r.tried}`);
    // blocked, the main thread would have gone the whole inspection without a tick
    assert.ok(longest < took / 2, `the main thread went ${longest} ms without a tick of ${took}`);
    // the worker kept its answer where the main thread looks first
    const hit = await locateCached(big, `${dir}/locate`);
    assert.ok(hit?.cached);
    assert.deepEqual(answer(hit), answer(r));

    // inspections too: the same answer as on the main thread
    const lib = systemLibssl();
    assert.deepEqual(await off.inspect(lib, `${dir}/a`), inspectFileCached(lib, `${dir}/b`));
    assert.equal(off.warning(), undefined, "nothing to say");
  } finally {
    off.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OffThreadInspector: a worker that cannot start is said, and its requests are answered on the main thread", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-off-thread-" });
  const off = new OffThreadInspector(new URL("./no_such_worker.ts", import.meta.url));
  try {
    const lib = systemLibssl();
    const [a, b] = await Promise.all([
      off.inspect(lib, `${dir}/a`),
      off.inspect("/bin/true", `${dir}/a`),
    ]);
    assert.deepEqual(a, inspectFileCached(lib, `${dir}/b`));
    assert.deepEqual(b, inspectFileCached("/bin/true", `${dir}/b`));
    const w = off.warning();
    assert.match(
      w ?? "",
      /^the capture's inspection worker failed \(\S.*\): 2 inspections were done on its main thread instead, .* nothing was lost$/,
    );
    assert.ok(!w!.includes("\n") && !w!.includes("\x1b"), `one plain line: ${w}`);
  } finally {
    off.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OffThreadInspector: a request that fails in the worker is rejected with its error; the worker goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-off-thread-" });
  const off = new OffThreadInspector();
  try {
    await assert.rejects(off.locate(`${dir}/missing`, `${dir}/locate`), /No such file/);
    assert.equal((await off.inspect(systemLibssl(), `${dir}/a`)).status, "hooked");
    assert.equal(off.warning(), undefined, "the worker did not fail");
  } finally {
    off.close();
    await Deno.remove(dir, { recursive: true });
  }
});
