/**
 * A WebSocket the capture joined after its upgrade (`capture --pid` of a Codex already talking
 * to its model: protocols/websocket_start.ts), on real Codex bytes (the codex_ws* fixtures'
 * TLS calls, made under capture): joined at each of its calls, both directions, the TLS
 * streams and the tcp ipc redactor pass its frames as they pass them after an upgrade (byte
 * for byte, as main did, so the analysis reads them: analysis/websocket_joined.ts), whole,
 * byte by byte, and split at every byte of its first frames; after a lost call too. A join in
 * the middle of a frame, which no frames prove, is masked (same length) or withheld; text that starts a
 * joined direction stays masked (redact_adversarial_test.ts).
 */
import assert from "node:assert/strict";
import type { TlsCall } from "./tls_assembler.ts";
import { type RedactedCall, TlsStreams } from "./tls_streams.ts";
import { IpcRedactor, type RedactableCall } from "./ipc_redact.ts";
import { h2RedactorFactory, loadH2Redactor } from "./h2_glue.ts";
import { TEST_DIGEST } from "../protocols/testing.ts";
import { concatBytes } from "../kit/bytes.ts";
import { readArrowRows } from "../recording/arrow_reader.ts";
import { webSocketFrameHeader } from "../protocols/websocket_frame.ts";

const FIXTURES = [
  "codex_ws_tool_marker",
  "codex_ws_no_context_tool_marker",
  "codex_ws_refused_tool_marker",
];

/** A call of one direction: its bytes. */
interface Call {
  dir: 0 | 1;
  data: Uint8Array;
}

/**
 * The fixture's WebSocket after its upgrade, its calls in the order they were made (the
 * handshake's bytes dropped: a call holding the 101's head and frames keeps the frames), and
 * where frames begin in each direction's bytes.
 */
function joinedCalls(name: string): { calls: Call[]; starts: [Set<number>, Set<number>] } {
  const rows = readArrowRows(
    new URL(`../tests/fixtures/analysis/${name}/tls.arrow`, import.meta.url).pathname,
  )
    .sort((a, b) => Number(a.ts_ns as bigint - (b.ts_ns as bigint)));
  const calls: Call[] = [];
  const skip = [-1, -1];
  for (const r of rows) {
    const dir = r.direction === "write" ? 0 : 1;
    let data = r.data as Uint8Array;
    if (skip[dir] < 0) {
      // the head of the upgrade request or of the 101
      const end = new TextDecoder().decode(data).indexOf("\r\n\r\n");
      assert.ok(end > 0, `${name}: a head first`);
      skip[dir] = 0;
      data = data.subarray(end + 4);
    }
    if (data.length) calls.push({ dir, data });
  }
  const starts: [Set<number>, Set<number>] = [new Set(), new Set()];
  for (const dir of [0, 1] as const) {
    const bytes = concatBytes(calls.filter((c) => c.dir === dir).map((c) => c.data));
    for (let q = 0; q < bytes.length;) {
      const h = webSocketFrameHeader(bytes, q);
      assert.ok(h && h !== "short", `${name} dir ${dir}: a frame at ${q}`);
      starts[dir].add(q);
      q += h.headerLength + h.payloadLength;
    }
  }
  return { calls, starts };
}

/** The calls through the TLS streams (a lost call before each index in `lostBefore`): each direction's bytes out. */
function tlsRun(calls: Call[], lostBefore = new Set<number>()): [Uint8Array, Uint8Array] {
  const out: RedactedCall[] = [];
  const s = new TlsStreams(
    { keepSecrets: false, h2Redactor: h2RedactorFactory, digest: TEST_DIGEST },
    (r) => out.push(r),
  );
  const seq = [0, 0];
  calls.forEach((c, k) => {
    if (lostBefore.has(k)) seq[c.dir]++;
    const call: TlsCall = {
      pid: 1,
      tid: 1,
      ts: BigInt(k),
      conn: 3n,
      gen: 0,
      dir: c.dir,
      seq: BigInt(seq[c.dir]++),
      total: c.data.length,
      data: c.data,
      truncated: false,
      lost: 0,
      target: 1,
    };
    s.push(call);
  });
  s.finish();
  const dir = (d: 0 | 1) => concatBytes(out.filter((r) => r.call.dir === d).map((r) => r.data));
  return [dir(0), dir(1)];
}

/** The calls through the ipc redactor, as a tcp socket's: each direction's bytes out. */
function ipcRun(calls: Call[]): [Uint8Array, Uint8Array] {
  const out: RedactableCall[] = [];
  const r = new IpcRedactor({ h2Redactor: h2RedactorFactory, digest: TEST_DIGEST }, (c) => {
    out.push(c);
  });
  const off = [0, 0];
  for (const c of calls) {
    r.push({
      inode: 5n,
      dir: c.dir,
      kind: "tcp",
      streamOff: BigInt(off[c.dir]),
      total: c.data.length,
      data: c.data,
      truncated: false,
      lost: 0,
    });
    off[c.dir] += c.data.length;
  }
  r.finish();
  const dir = (d: 0 | 1) => concatBytes(out.filter((c) => c.dir === d).map((c) => c.data));
  return [dir(0), dir(1)];
}

const RUNS: [string, (calls: Call[]) => [Uint8Array, Uint8Array]][] = [["tls", tlsRun], [
  "tcp",
  ipcRun,
]];

const bytesOf = (calls: Call[], dir: 0 | 1) =>
  concatBytes(calls.filter((c) => c.dir === dir).map((c) => c.data));

Deno.test("a WebSocket joined after its upgrade (real Codex), at each call, both directions: its frames pass as after an upgrade; joined inside a frame: masked", async () => {
  await loadH2Redactor();
  for (const name of FIXTURES) {
    const { calls, starts } = joinedCalls(name);
    let joins = 0, inside = 0;
    // joined at each call of either direction: the calls from there on (the other direction's
    // from its first call at or after it)
    for (let k = 0; k < calls.length; k++) {
      const from = calls.slice(k);
      // where each direction's first joined byte is in its whole stream
      const at = ([0, 1] as const).map((d) => {
        const before = calls.slice(0, k).filter((c) => c.dir === d);
        return before.reduce((n, c) => n + c.data.length, 0);
      });
      for (const [how, run] of RUNS) {
        const out = run(from);
        for (const dir of [0, 1] as const) {
          const input = bytesOf(from, dir);
          const label = `${name} ${how} joined at call ${k}, dir ${dir}`;
          assert.equal(out[dir].length, input.length, `${label}: every byte's place`);
          if (!input.length) continue;
          if (starts[dir].has(at[dir])) {
            assert.deepEqual(out[dir], input, `${label}: passed as after an upgrade`);
            joins++;
          } else {
            assert.notDeepEqual(out[dir], input, `${label}: inside a frame, masked`);
            inside++;
          }
        }
      }
    }
    // (Codex's calls all begin at a frame) joined inside its first frame: no frames from the
    // first byte, masked or withheld
    for (const dir of [0, 1] as const) {
      const first = calls.findIndex((c) => c.dir === dir);
      for (let cut = 1; cut <= 20; cut++) {
        const from = calls.slice(first).filter((c) => c.dir === dir);
        from[0] = { dir, data: from[0].data.subarray(cut) };
        for (const [how, run] of RUNS) {
          const out = run(from)[dir];
          const input = bytesOf(from, dir);
          const label = `${name} ${how} dir ${dir} joined ${cut} bytes into a frame`;
          // masked, or withheld (bytes that may be HTTP/2 frames)
          if (out.length) assert.equal(out.length, input.length, label);
          assert.notDeepEqual(out, input, label);
          inside++;
        }
      }
    }
    assert.ok(joins > 10 && inside > 0, `${name}: ${joins} joins at a frame, ${inside} inside one`);
  }
});

Deno.test("a joined WebSocket's direction whole, byte by byte, at every split of its first frames, and after a lost call: passed", async () => {
  await loadH2Redactor();
  for (const name of FIXTURES) {
    const { calls } = joinedCalls(name);
    for (const dir of [0, 1] as const) {
      const input = bytesOf(calls, dir);
      const mine = calls.filter((c) => c.dir === dir);
      const ways: [string, Call[]][] = [
        ["whole", [{ dir, data: input }]],
        ["byte by byte", Array.from(input, (_, i) => ({ dir, data: input.subarray(i, i + 1) }))],
      ];
      for (let at = 1; at < Math.min(input.length, 600); at++) {
        ways.push([`split at ${at}`, [{ dir, data: input.subarray(0, at) }, {
          dir,
          data: input.subarray(at),
        }]]);
      }
      for (const [way, pieces] of ways) {
        for (const [how, run] of RUNS) {
          assert.deepEqual(run(pieces)[dir], input, `${name} ${how} dir ${dir}, ${way}`);
        }
      }
      // a call lost after the start: the rest goes through, as in a tunnel after an upgrade
      if (mine.length > 3) {
        const out = tlsRun(mine, new Set([2]))[dir];
        assert.deepEqual(out, input, `${name} tls dir ${dir}: a lost call`);
      }
    }
  }
});
