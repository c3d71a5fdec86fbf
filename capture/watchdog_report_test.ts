/**
 * The loader's watchdog's report: its lines read back (an unknown line kept as an error, a
 * report without `done` said to be partial), read from a connection to its end or to the time
 * limit, merged with what the capture resumed itself, and said in words.
 */
import assert from "node:assert/strict";
import { describeWatchdog, parseWatchdogReport, readWatchdogReport } from "./watchdog_report.ts";
import { describeResumed, handledBy, mergeResumed } from "./gate_stops.ts";

Deno.test("watchdog report: lines read back", () => {
  const r = parseWatchdogReport(
    "resumed 10\ngone 11\nfailed 12 Operation not permitted\nunsettled 1\nresumed 13\n" +
      "error cannot map the gate's switch: Bad file descriptor\ndone\n",
  );
  assert.deepEqual(r, {
    resumed: [10, 13],
    gone: [11],
    failed: [{ pid: 12, error: "Operation not permitted" }],
    unsettled: 1,
    errors: ["cannot map the gate's switch: Bad file descriptor"],
    done: true,
  });
  assert.deepEqual(handledBy(r), [10, 13, 11, 12]);
  const partial = parseWatchdogReport("resumed 10\nresu");
  assert.equal(partial.done, false);
  assert.deepEqual(partial.resumed, [10]);
  assert.deepEqual(partial.errors, ['unreadable line: "resu"']);
  assert.deepEqual(parseWatchdogReport(""), {
    resumed: [],
    gone: [],
    failed: [],
    unsettled: 0,
    errors: [],
    done: false,
  });
});

Deno.test("watchdog report: merged with the capture's own, and in words", () => {
  const wd = parseWatchdogReport("resumed 12\nresumed 10\ngone 14\ndone\n");
  const own = { resumed: [11], gone: [10, 15], failed: [] };
  const r = mergeResumed(own, wd);
  assert.deepEqual(r, { resumed: [10, 11, 12], gone: [14, 15], failed: [] });
  assert.equal(
    describeResumed(r),
    "3 processes its gate had stopped were resumed (pids 10, 11, 12); 2 processes its gate " +
      "had stopped had ended meanwhile (pids 14, 15)",
  );
  // the capture had been told of 10 and 11 only: 12's stop was unread as the loader died
  assert.equal(
    describeWatchdog(wd, [10, 11]),
    "the loader's watchdog resumed 2 (pids 12, 10), 1 of them unknown to the capture (stops " +
      "unread as the loader died)",
  );
  assert.equal(describeWatchdog(wd, [10, 11, 12]), "the loader's watchdog resumed 2 (pids 12, 10)");
  assert.equal(describeWatchdog(parseWatchdogReport("done\n"), []), undefined);
  assert.equal(describeWatchdog(undefined, []), undefined); // no gate, no watchdog
  assert.match(describeWatchdog(parseWatchdogReport(""), [])!, /watchdog did not report/);
  assert.match(
    describeWatchdog(parseWatchdogReport("unsettled 2\ndone\n"), [])!,
    /^2 stops were still under way .*: a process may stay stopped$/,
  );
  assert.deepEqual(mergeResumed(own, undefined), own);
});

Deno.test("watchdog report: read to the end of the connection, or to the time limit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-wd-" });
  const listener = Deno.listen({ transport: "unix", path: `${dir}/s` });
  try {
    // whole: the writer says done and closes
    const w1 = Deno.connect({ transport: "unix", path: `${dir}/s` });
    const r1 = await listener.accept();
    const c1 = await w1;
    await c1.write(new TextEncoder().encode("resumed 7\n"));
    const read1 = readWatchdogReport(r1, 5000);
    await c1.write(new TextEncoder().encode("done\n"));
    c1.close();
    assert.deepEqual((await read1).resumed, [7]);
    assert.equal((await read1).done, true);
    // a writer that never ends: what came by the limit, not done
    const w2 = Deno.connect({ transport: "unix", path: `${dir}/s` });
    const r2 = await listener.accept();
    const c2 = await w2;
    await c2.write(new TextEncoder().encode("resumed 8\n"));
    const t0 = performance.now();
    const read2 = await readWatchdogReport(r2, 200);
    assert.ok(performance.now() - t0 < 2000);
    assert.deepEqual(read2.resumed, [8]);
    assert.equal(read2.done, false);
    c2.close();
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
