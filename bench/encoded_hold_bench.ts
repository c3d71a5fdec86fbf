/**
 * What an encoded request on a connection not yet MCP's costs the capture's redactor
 * (protocols/http1_body_secrets.ts holds it, decodes it, judges it): decompression bombs (gzip,
 * br, zstd of 200 MiB of zeros; a gzip'd JSON-RPC call with a key and 200 MiB of padding) and a
 * body past the encoded cap (24 MiB stored gzip), each a POST through TlsStreams in 16 KiB
 * calls, timed whole (wall and the process's CPU, ms, medians of `--runs`, after one warm-up
 * that also loads node:zlib), and checked: its body must come out `*`s. `deno run -A bench/encoded_hold_bench.ts [--runs N]`
 */
import * as zlib from "node:zlib";
import { type RedactedCall, TlsStreams } from "../capture/tls_streams.ts";
import { tlsCall } from "./redact_harness.ts";
import { concatBytes } from "../kit/bytes.ts";

const runsAt = Deno.args.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(Deno.args[runsAt + 1]) : 7;
const enc = new TextEncoder();
/** the process's CPU so far, ms (every thread: zlib's work and the GC's too) */
const cpuMs = () => {
  const p = (globalThis as { process?: { cpuUsage(): { user: number; system: number } } }).process;
  const u = p!.cpuUsage();
  return (u.user + u.system) / 1000;
};
const SECRET = "ghp_Bench8Kq3Wm6Yx1Vr5Nb9";

function bodies(): [string, string, Uint8Array][] {
  const zeros = new Uint8Array(200 << 20);
  const rpcHead = enc.encode(
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{"api_key":"${SECRET}"}},"pad":"`,
  );
  const rpc = new Uint8Array(rpcHead.length + (200 << 20) + 2).fill(0x20);
  rpc.set(rpcHead);
  rpc.set(enc.encode('"}'), rpc.length - 2);
  // deno-lint-ignore no-explicit-any
  const z = zlib as any;
  // a JSON-RPC call whose padding zlib cannot shrink much (letters from a random table)
  const random = crypto.getRandomValues(new Uint8Array(65536));
  const big = new Uint8Array(rpcHead.length + (24 << 20) + 2)
    .map((_, i) => 65 + (random[(i * 7919) & 65535] ^ (i >> 16)) % 26);
  big.set(rpcHead);
  big.set(enc.encode('"}'), big.length - 2);
  return [
    ["gzip bomb", "gzip", zlib.gzipSync(zeros, { level: 9 })],
    ["br bomb", "br", zlib.brotliCompressSync(zeros)],
    ["zstd bomb", "zstd", z.zstdCompressSync(zeros)],
    ["gzip JSON-RPC bomb", "gzip", zlib.gzipSync(rpc, { level: 9 })],
    ["24 MiB JSON-RPC, stored gzip", "gzip", zlib.gzipSync(big, { level: 0 })],
  ];
}

/** The request through the redactor: ms taken, and whether its body came out all `*`s. */
function run(coding: string, body: Uint8Array): { ms: number; cpu: number; masked: boolean } {
  const head = enc.encode(
    `POST /messages?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Encoding: ${coding}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`,
  );
  const req = concatBytes([head, body]);
  const out: RedactedCall[] = [];
  const t = performance.now(), c = cpuMs();
  const s = new TlsStreams({ keepSecrets: false }, (r) => out.push(r));
  let seq = 0;
  for (let a = 0; a < req.length; a += 16384) {
    s.push(tlsCall(0, req.subarray(a, a + 16384), seq, BigInt(seq++)));
  }
  s.finish();
  const ms = performance.now() - t, cpu = cpuMs() - c;
  const got = concatBytes(out.map((r) => r.data)).subarray(head.length);
  return { ms, cpu, masked: got.length === body.length && got.every((c) => c === 0x2a) };
}

const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1];
for (const [name, coding, body] of bodies()) {
  run(coding, body); // warm-up
  const times: number[] = [], cpus: number[] = [];
  let masked = true;
  for (let k = 0; k < RUNS; k++) {
    const r = run(coding, body);
    times.push(r.ms);
    cpus.push(r.cpu);
    masked &&= r.masked;
  }
  console.log(
    `${name} (${body.length} bytes): CPU median ${median(cpus).toFixed(1)} ms ` +
      `(min ${cpus[0].toFixed(1)}, max ${cpus.at(-1)!.toFixed(1)}), wall median ` +
      `${median(times).toFixed(1)} ms; masked whole: ${masked}`,
  );
}
