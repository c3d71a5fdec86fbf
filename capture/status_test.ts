/**
 * The end-of-capture summary states what the recording cannot show: what the run ran into and
 * the kernel's hooks in full, the standing blind spots by title.
 */
import assert from "node:assert/strict";
import { blindSpotsOf, STANDING_BLIND_SPOTS } from "../recording/blind_spots.ts";
import type { Manifest } from "../recording/manifest.ts";
import { Counters, summary } from "./status.ts";

function manifest(blind: Manifest["blind_spots"]): Manifest {
  return {
    tables: { file: { file: "file.arrow", rows: 0, bytes: 0 } },
    tls_bytes: 0,
    drops: {},
    missed_runs: 0,
    attach: { hooked: [], not_hooked: [] },
    blind_spots: blind,
    warnings: [],
    errors: [],
    exit_code: 0,
    exit_signal: null,
  } as unknown as Manifest;
}

Deno.test("summary: blind spots, the ones this run ran into first", () => {
  const spots = blindSpotsOf({ requests: { fsetxattr: 1 }, recorded: {} }, false, {
    kprobes: false,
    fentry: false,
    bpf_lsm: false,
    why: { kprobes: "no kprobe event source" },
  });
  const lines = summary("/rec", manifest(spots)).split("\n");
  const at = lines.indexOf(
    "  blind spots (what this recording cannot show; an empty table proves nothing):",
  );
  assert.ok(at > 0, lines.join("\n"));
  assert.match(lines[at + 1], /^ {4}io_uring: The io_uring tracepoints could not be attached/);
  assert.match(
    lines[at + 2],
    /^ {4}io_uring requests not decoded: 1 io_uring request .*fsetxattr 1/,
  );
  assert.match(lines[at + 3], /^ {4}inside the kernel: .*kprobes: not available/);
  assert.equal(
    lines[at + 4],
    `    also: ${STANDING_BLIND_SPOTS.map((b) => b.title).join("; ")} (manifest.json blind_spots)`,
  );
});

Deno.test("summary: a manifest without blind spots (a capture still starting) prints none", () => {
  assert.doesNotMatch(summary("/rec", manifest(undefined)), /blind spots/);
});

Deno.test("summary: rows the disk refused are shown beside the table's rows", () => {
  const m = manifest(undefined);
  m.tables = {
    process: { file: "process.arrow", rows: 12, bytes: 1 },
    file: { file: "file.arrow", rows: 900, bytes: 1, lost: 12000 },
  };
  assert.match(
    summary("/rec", m),
    /rows: process 12, file 900 \(12000 not written: the disk refused them\);/,
  );
});

Deno.test("status line: rows a full disk holds back and costs", () => {
  const c = new Counters();
  assert.doesNotMatch(c.line(), /disk/);
  c.diskHeld = 5000;
  c.diskLost = 12;
  assert.match(c.line(), / · 0 dropped · disk full: 5000 rows held, 12 lost$/);
});

Deno.test("summary: a library whose data probes failed to attach is not hooked, with why", () => {
  const m = manifest(undefined);
  m.attach = {
    hooked: [],
    not_hooked: [{
      path: "/lib/libgnutls.so.30",
      status: "error",
      reason: "gnutls_record_send, gnutls_record_recv failed to attach: Invalid argument",
    }],
  } as unknown as Manifest["attach"];
  const lines = summary("/rec", m).split("\n");
  assert.ok(lines.includes("  hooked: no TLS library"), lines.join("\n"));
  assert.ok(lines.includes(
    "  not hooked: /lib/libgnutls.so.30: gnutls_record_send, gnutls_record_recv failed to " +
      "attach: Invalid argument",
  ));
});

Deno.test("summary: a hook's probes counted only while live (not a replaced candidate's)", () => {
  const m = manifest(undefined);
  const p = (ok: boolean, more: object = {}) => ({ ok, ...more });
  m.attach = {
    hooked: [{
      path: "/usr/bin/agent",
      library: "boringssl",
      method: "locator",
      probes: [
        // candidate 1 of SSL_write: its entry attached, its return probe refused, taken off
        p(true, { replaced: true, detached: true }),
        p(false, { replaced: true }),
        // candidate 2 of SSL_write and SSL_read: attached
        p(true),
        p(true),
        p(true),
        p(true),
      ],
    }],
    not_hooked: [],
  } as unknown as Manifest["attach"];
  const lines = summary("/rec", m).split("\n");
  assert.ok(
    lines.includes("  hooked: /usr/bin/agent (boringssl, locator, 4 probes)"),
    lines.join("\n"),
  );
});
