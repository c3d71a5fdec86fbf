/**
 * What a manifest says the capture lost, as problems: counts per kind, and a manifest whose
 * fields have the wrong shape said as such, not read into nonsense.
 */
import assert from "node:assert/strict";
import { captureLosses } from "./recording_input.ts";

Deno.test("capture losses: drops per kind, missed runs, errors", () => {
  assert.deepEqual(
    captureLosses({ drops: { file: 2, tls: 0 }, missed_runs: 1, errors: ["boom"] }).map((p) =>
      p.message
    ),
    [
      "the kernel dropped 2 file records (ring buffer full): those events are not in the recording",
      "the kernel skipped 1 eBPF program run (recursion protection): events not seen",
      "boom",
    ],
  );
});

Deno.test("capture losses: drops and errors of the wrong shape are said, not misread", () => {
  const got = captureLosses({ drops: [1, 2], errors: "boom" });
  assert.deepEqual(got, [
    {
      source: "manifest.json",
      kind: "file",
      message: "drops is not an object of counts per kind: what the capture dropped is unknown",
    },
    {
      source: "manifest.json",
      kind: "file",
      message: "errors is not a list: what the capture reported is unknown",
    },
  ]);
});
