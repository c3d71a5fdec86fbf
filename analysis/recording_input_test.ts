/**
 * What a manifest says the capture lost, as problems: counts per kind, and a manifest whose
 * fields have the wrong shape said as such, not read into nonsense.
 */
import assert from "node:assert/strict";
import { captureLosses, manifestInfo, statedStreamLoss } from "./recording_input.ts";

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

Deno.test("capture losses: rows the capture could not write (the disk full), per table", () => {
  const got = captureLosses({
    tables: {
      file: { file: "file.arrow", rows: 900, bytes: 1, lost: 12000 },
      process: { file: "process.arrow", rows: 10, bytes: 1, lost: 1 },
      net: { file: "net.arrow", rows: 5, bytes: 1 },
      tls: { file: "tls.arrow", rows: 0, bytes: 1, lost: "many" },
    },
  });
  assert.deepEqual(got, [
    {
      source: "file.arrow",
      kind: "lost",
      message: "12000 rows the capture had could not be written (the disk refused them): " +
        "the file has the other 900",
    },
    {
      source: "process.arrow",
      kind: "lost",
      message: "1 row the capture had could not be written (the disk refused it): the file " +
        "has the other 10",
    },
  ]);
});

Deno.test("capture losses: exec command lines cut at the capture's bound or short by bytes lost", () => {
  const got = captureLosses({
    exec_argv: { max_bytes: 1048576, cut: 2, lost: 1, lost_bytes: 16384 },
  });
  assert.deepEqual(got, [
    {
      source: "process.arrow",
      kind: "truncated",
      message: "2 execs had a command line longer than the 1048576 bytes the capture keeps, cut " +
        "there (argv_truncated): argv, the command lines shown and the links' argument " +
        "matching see only its start",
    },
    {
      source: "process.arrow",
      kind: "lost",
      message: "1 exec had 16384 bytes of its command line lost (ring buffer full, or memory " +
        "the kernel could not read; argv_truncated): argv ends early",
    },
  ]);
  // nothing cut or lost: no problem; a recording from before the larger bound has no
  // exec_argv (its 16 KiB cuts stay in argv_truncated) and none either
  assert.deepEqual(
    captureLosses({ exec_argv: { max_bytes: 1048576, cut: 0, lost: 0, lost_bytes: 0 } }),
    [],
  );
  assert.deepEqual(captureLosses({}), []);
  assert.deepEqual(captureLosses({ drops: { argv: 2 } }).map((p) => p.message), [
    "the kernel dropped 2 argv records (ring buffer full): pieces of long command lines; those " +
    "execs' argv end early",
  ]);
  assert.deepEqual(captureLosses({ exec_argv: 3 }).map((p) => p.message), [
    "exec_argv is not an object of counts: which command lines are whole is unknown",
  ]);
});

Deno.test("stated stream loss: TLS or ipc records dropped, or their rows not written, and nothing else", () => {
  const m = (f: Record<string, unknown>) => f as unknown as Parameters<typeof statedStreamLoss>[0];
  assert.equal(statedStreamLoss(null), null);
  assert.equal(statedStreamLoss(m({ drops: { exec: 4 }, tables: { file: { lost: 2 } } })), null);
  assert.equal(
    statedStreamLoss(m({ drops: { tls: 3, exec: 1 }, tables: { ipc: { lost: 1 } } })),
    "3 tls records dropped by the kernel, 1 ipc.arrow row not written",
  );
});

Deno.test("manifest fields of an unexpected type are named in one problem, not used", () => {
  const said: string[] = [];
  const info = manifestInfo({
    format: "sightline-recording",
    format_version: "1",
    command: ["claude", 7],
    started_ns: "12ab",
    ended_ns: null,
    exit_code: 1.5,
    complete: "yes",
    mode: 3,
    tool: { name: "sightline", version: 2 },
    tables: { process: { file: "process.arrow", rows: "10" }, net: [] },
    blind_spots: [{ id: "x", what: "y" }, { id: 1 }],
  }, (m) => said.push(m));
  assert.deepEqual(said, [
    "fields of an unexpected type, not used: format_version (a string; a number expected); " +
    "command (a list; a list of strings or one string expected); started_ns (a string; " +
    "nanoseconds expected); exit_code (a fraction; an integer expected); complete (a string; " +
    "true or false expected); mode (a number; command, pid or comm expected); tool.version " +
    "(a number; a string expected); tables.process.rows (a string; a count expected); " +
    "tables.net (a list; an object expected); blind_spots (1 without an id and a text)",
  ]);
  // what is of the right type is still read
  assert.equal(info?.ended_ns, null);
  assert.deepEqual(info?.blind_spots, [{ id: "x", what: "y" }]);
  assert.deepEqual(info?.rows, {});
});

Deno.test("a manifest the capture writes, and an older one, have no field of a wrong type", () => {
  for (const dir of ["datasets/demo-claude", "datasets/demo-gemini"]) {
    const said: string[] = [];
    manifestInfo(JSON.parse(Deno.readTextFileSync(`${dir}/manifest.json`)), (m) => said.push(m));
    assert.deepEqual(said, [], dir);
  }
  const said: string[] = [];
  manifestInfo(
    {
      command: "claude -p hi",
      started_ns: 5,
      started_at: "2025-01-01T00:00:00Z",
      complete: true,
      tables: {},
    },
    (m) => said.push(m),
  );
  assert.deepEqual(said, []);
});

Deno.test("a manifest lacking complete or tables says what cannot be told without them", () => {
  const base = JSON.parse(Deno.readTextFileSync("datasets/demo-claude/manifest.json"));
  for (
    const [drop, line] of [
      [
        ["complete"],
        "lacks complete, which every manifest a capture writes holds (recording/RECORDING.md): " +
        "whether the capture ended cleanly is unknown (read as not)",
      ],
      [
        ["tables"],
        "lacks tables, which every manifest a capture writes holds (recording/RECORDING.md): " +
        "rows missing from its table files (a file cut short) cannot be told",
      ],
    ] as const
  ) {
    const m = { ...base };
    for (const k of drop) delete m[k];
    const said: string[] = [];
    const info = manifestInfo(m, (s) => said.push(s));
    assert.deepEqual(said, [line]);
    if (drop[0] === "complete") assert.equal(info?.complete, false);
    else assert.deepEqual(info?.rows, {});
  }
});

Deno.test("capture losses: the capture's warnings are problems of kind capture, not left in the manifest", () => {
  const got = captureLosses({
    warnings: [
      "hook SSL_read in /x/libssl.so.3 saw ciphertext, not plaintext (tls record header): " +
      "its data is dropped and it is detached",
      "the kernel side could not be told of 3 inspected files\nmore",
      // what the rows show already: said from them, not again
      "tls: 4096 bytes of TLS plaintext lost (ring buffer full, or unreadable memory)",
      "exec: 1 command line longer than 1048576 bytes cut there (argv_truncated)",
      "2 traced processes had not exited when the capture ended (pid 1 a, pid 2 b): what " +
      "they did afterwards is not recorded",
    ],
  });
  assert.deepEqual(got, [
    {
      source: "capture",
      kind: "capture",
      message: "warning: hook SSL_read in /x/libssl.so.3 saw ciphertext, not plaintext (tls " +
        "record header): its data is dropped and it is detached",
    },
    {
      source: "capture",
      kind: "capture",
      message: "warning: the kernel side could not be told of 3 inspected files",
    },
  ]);
  // the loader's fatal line is both an error and a warning: said once, as the error
  const fatal = "loading the eBPF programs: Operation not permitted";
  assert.deepEqual(
    captureLosses({ errors: [fatal], warnings: [fatal] }).map((p) => p.message),
    [fatal],
  );
  assert.deepEqual(captureLosses({ warnings: "x" }).map((p) => p.message), [
    "warnings is not a list: what the capture warned of is unknown",
  ]);
});

Deno.test("capture losses: a start interrupted by a signal is said by its error alone, not also as a capture that may stop early", () => {
  const interrupted = "the capture was interrupted (SIGINT) while it started: the command was " +
    "not run";
  assert.deepEqual(
    captureLosses({ complete: false, errors: [interrupted] }).map((p) => p.message),
    [interrupted],
  );
  assert.match(
    captureLosses({ complete: false, errors: ["boom"] }).map((p) => p.message).join("\n"),
    /did not end cleanly .* may stop early/,
  );
});
