/**
 * The capture's end-of-run summaries that restate what the recording's rows show are the ones
 * recording/manifest.ts `restatesRows` knows (an analysis says those from the rows, and would
 * say them twice otherwise); every other warning (a hook dropped or not attached, a cache not
 * written, files the kernel side was not told of) is not, so the analysis repeats it as a problem.
 */
import assert from "node:assert/strict";
import { restatesRows } from "../recording/manifest.ts";
import { damageWarnings } from "./stream_damage.ts";
import { argvWarnings } from "./argv_assembler.ts";
import { outlivedWarnings } from "./record_sink.ts";
import { cacheWarning } from "./inspect_cache.ts";
import { attachFailureWarning, notKnownWarning } from "./attach.ts";
import { workerWarning } from "./off_thread.ts";
import { pairingWarnings } from "./conn_pairing.ts";
import { encodedOverCapWarning } from "../protocols/http1_body_secrets.ts";

Deno.test("restated warnings: the capture's summaries of what the rows show are known as such; the rest are not", () => {
  const damage = { cut: 2, lost: 100n, withheld: 7n };
  const restating = [
    ...damageWarnings("tls", "TLS plaintext", damage, 1 << 20),
    ...damageWarnings("ipc", "JSON-RPC on pipes and unix sockets", damage, 1 << 20),
    ...damageWarnings("ipc", "cleartext HTTP over TCP", damage, 1 << 20),
    ...argvWarnings({ cut: 1, lost: 2, lostBytes: 30 }),
    ...argvWarnings({ cut: 3, lost: 1, lostBytes: 1 }),
    ...outlivedWarnings(new Map([[12, "sleep"]])),
    ...outlivedWarnings(new Map([[12, "sleep"], [13, "node"]])),
  ];
  assert.equal(restating.length, 15, "set-up: every summary made");
  for (const w of restating) assert.ok(restatesRows(w), w);
  // the loader's line (bpf/loader.c) when io_uring's tracepoints cannot be attached
  const loader = Deno.readTextFileSync(new URL("../bpf/loader.c", import.meta.url));
  assert.match(
    loader,
    /"%s could not be attached \(%s\): actions taken through "\s*"io_uring are not recorded"/,
  );
  assert.ok(restatesRows(
    "io_uring:io_uring_submit_req could not be attached (No such file or directory): actions " +
      "taken through io_uring are not recorded",
  ));
  const own = [
    ...encodedOverCapWarning("TLS plaintext", 2),
    ...encodedOverCapWarning("cleartext HTTP over TCP", 1),
    cacheWarning("Permission denied"),
    workerWarning("Module not found", 2),
    notKnownWarning([{ path: "/usr/bin/x", dev: "1", ino: "2", error: "the map is full" }])!,
    attachFailureWarning([{
      path: "/x/libgnutls.so.30",
      dev: "1",
      ino: "2",
      status: "error",
      reason: "gnutls_record_send failed to attach: Invalid argument",
      probes: [{
        fn: "gnutls_record_send",
        program: "p",
        kind: "uprobe",
        offset: "0x1",
        ok: false,
      }],
      seenBy: "mmap",
      inspectMs: 0,
    }])!,
    "hook SSL_read in /x/libssl.so.3 saw ciphertext, not plaintext (a TLS record): its data " +
    "is dropped and it is detached",
    "the capture's loader was killed; 2 stopped processes resumed",
    // rustls records maybe on the wrong connection: the rows do not say so
    ...pairingWarnings({ calls: 3, bytes: 90, contexts: 1 }, { contexts: 1, moves: 2 }),
  ];
  assert.equal(own.length, 10, "set-up: every warning made");
  for (const w of own) assert.ok(!restatesRows(w), w);
});
