/**
 * The capture's Deno side per event, without root: a synthetic loader stream of N file events
 * (and the committed fixture stream) goes through the frame parser, the decoder and the record
 * sink into Arrow files in a temp dir, as a live capture's would; prints us/event as the median
 * of several runs with its spread.
 *
 *   deno run -A bench/decode_sink.ts [--events N] [--runs R] [--baseline DIR]
 *
 * --baseline names another checkout's root (e.g. `git archive main | tar -x -C DIR`): its
 * pipeline (frames, decoder, sink, writers) and this one run interleaved in the same process,
 * the ratio is printed, and the Arrow files both write (the synthetic stream, with non-ASCII
 * and invalid UTF-8 paths, and the fixture) are compared by hash; a difference exits 1.
 */
import { createHash } from "node:crypto";
import process from "node:process";
import * as events from "../capture/events.ts";
import * as frames from "../capture/frames.ts";
import * as sinks from "../capture/record_sink.ts";
import * as manifests from "../capture/manifest_builder.ts";
import { CliError, intOption, parseCommand, runCommand, userPath } from "../kit/cli.ts";
import { median } from "../kit/stats.ts";

const { Kind, LAYOUT } = events;

/** The parts of a checkout the benchmark runs. */
interface Pipeline {
  events: typeof events;
  frames: typeof frames;
  sinks: typeof sinks;
  manifests: typeof manifests;
}

async function pipelineAt(root: string): Promise<Pipeline> {
  try {
    Deno.statSync(`${root}/capture/events.ts`);
  } catch {
    throw new CliError(`--baseline ${root}: not a checkout (no capture/events.ts in it)`, 2);
  }
  const at = (p: string) =>
    new URL(p, new URL(`${root.replace(/\/?$/, "/")}`, `file://${Deno.cwd()}/`)).href;
  return {
    events: await import(at("capture/events.ts")),
    frames: await import(at("capture/frames.ts")),
    sinks: await import(at("capture/record_sink.ts")),
    manifests: await import(at("capture/manifest_builder.ts")),
  };
}

const FIXTURE = new URL("../tests/fixtures/capture/loader_stream.bin.gz", import.meta.url);

const enc = new TextEncoder();

/** One framed record: u32 length, header, body. */
function frame(kind: number, body: Uint8Array, ts: bigint, pid = 4242): Uint8Array {
  const rec = new Uint8Array(LAYOUT.sl_hdr.size + body.length);
  const v = new DataView(rec.buffer);
  v.setUint8(0, kind);
  v.setUint32(LAYOUT.sl_hdr.pid, pid, true);
  v.setUint32(LAYOUT.sl_hdr.tid, pid, true);
  v.setUint32(LAYOUT.sl_hdr.uid, 1000, true);
  v.setBigUint64(LAYOUT.sl_hdr.ts, ts, true);
  rec.set(body, LAYOUT.sl_hdr.size);
  const out = new Uint8Array(4 + rec.length);
  new DataView(out.buffer).setUint32(0, rec.length, true);
  out.set(rec, 4);
  return out;
}

function nulJoin(parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length + 1, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length + 1;
  }
  return out;
}

/** A file record (sl_file) for `path`, relative to `base` (leaf first) when not absolute. */
function fileRecord(i: number, path: Uint8Array, base: Uint8Array[]): Uint8Array {
  const L = LAYOUT.sl_file;
  const baseBytes = base.length ? nulJoin(base) : new Uint8Array(0);
  const body = new Uint8Array(L.size - LAYOUT.sl_hdr.size + baseBytes.length + path.length + 1);
  const v = new DataView(body.buffer);
  const at = (off: number) => off - LAYOUT.sl_hdr.size;
  v.setBigInt64(at(L.ret), BigInt(3 + (i % 50)), true);
  v.setBigInt64(at(L.flags), BigInt(i % 3 ? 0 : 0o101), true);
  v.setUint32(at(L.mode), 0o644, true);
  v.setUint8(at(L.op), 1);
  v.setUint16(at(L.path_len), path.length + 1, true);
  v.setUint16(at(L.base_len), baseBytes.length, true);
  body.set(baseBytes, at(L.data));
  body.set(path, at(L.data) + baseBytes.length);
  return frame(Kind.FILE, body, 1_000_000n + BigInt(i) * 1000n);
}

/**
 * N file events like an agent's: absolute and relative paths under a project, and (for the
 * hash comparison) every 97th path non-ASCII, every 89th invalid UTF-8.
 */
export function synthStream(n: number): Uint8Array {
  const ready = new Uint8Array(LAYOUT.sl_ready.size - LAYOUT.sl_hdr.size);
  new DataView(ready.buffer).setBigInt64(0, 1_700_000_000_000_000_000n, true);
  new DataView(ready.buffer).setUint32(8, 4242, true);
  const parts = [frame(Kind.READY, ready, 0n, 0)];
  const base = ["project", "work", "user", "home"].map((s) => enc.encode(s));
  for (let i = 0; i < n; i++) {
    let path: Uint8Array;
    if (i % 89 === 0) path = new Uint8Array([0x2f, 0x74, 0xc3, 0x28, 0xff, 0x61, 0xe2, 0x82]);
    else if (i % 97 === 0) path = enc.encode(`/home/user/projet/données/fichier_${i}.txt`);
    else if (i % 2) path = enc.encode(`src/module_${i % 40}/file_${i % 300}.ts`);
    else path = enc.encode(`/home/user/work/project/node_modules/pkg_${i % 60}/index.js`);
    parts.push(fileRecord(i, path, i % 2 ? base : []));
  }
  const len = parts.reduce((k, p) => k + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function fixtureStream(): Promise<Uint8Array> {
  const file = await Deno.open(FIXTURE);
  const gunzipped = file.readable.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(gunzipped).arrayBuffer());
}

/**
 * Replays `bytes` in 64 KiB reads (what the loader socket delivers) into a new sink writing
 * to `dir`, flushing every 16 reads; returns the process's CPU milliseconds (user + system:
 * the capture's goal is CPU, and on a shared machine it varies less than the wall clock) it
 * took, finish included.
 */
function replay(p: Pipeline, bytes: Uint8Array, dir: string): number {
  const decode = p.events.decode;
  const manifest = p.manifests.startManifest(
    { cmd: ["bench"] },
    { cwd: "/home/user/work/project", uid: 1000, gate: true, ipc: true, maxTlsBytes: 1 << 20 },
    0n,
  );
  const t0 = cpuMs();
  const sink = new p.sinks.RecordSink({ dir, maxTlsBytes: 1 << 20, ipc: true }, manifest);
  const parser = p.frames.createFrameParser({
    onFrame: (rec) => {
      const ev = decode(rec);
      if (ev.kind !== Kind.REPLY) sink.push(ev);
    },
  });
  const step = 1 << 16;
  for (let off = 0, k = 0; off < bytes.length; off += step, k++) {
    parser.feed(bytes.subarray(off, off + step));
    if (k % 16 === 15) {
      sink.tick();
      sink.flush();
    }
  }
  if (parser.end() !== 0) throw new Error("the stream ends inside a frame");
  sink.finish();
  if (sink.writeError) throw new Error(sink.writeError);
  return cpuMs() - t0;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    out[e.name] = createHash("sha256").update(Deno.readFileSync(`${dir}/${e.name}`)).digest(
      "hex",
    ).slice(0, 16);
  }
  return out;
}

const USAGE = "usage: deno run -A bench/decode_sink.ts [--events N] [--runs R] [--baseline DIR]";

async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    events: { type: "string", default: "300000" },
    runs: { type: "string", default: "9" },
    baseline: { type: "string" },
  }, { positionals: false });
  const n = intOption("events", values.events, 1)!;
  const runs = intOption("runs", values.runs, 1)!;
  const decoders: [string, Pipeline][] = [["this", { events, frames, sinks, manifests }]];
  if (values.baseline) {
    decoders.unshift(["baseline", await pipelineAt(userPath(values.baseline))]);
  }
  const synth = synthStream(n);
  const fixture = await fixtureStream();
  const tmp = await Deno.makeTempDir({ prefix: "sl-decode-bench-" });
  try {
    // the same Arrow files from every decoder
    const hashes = decoders.map(([name, d], i) => {
      const a = `${tmp}/synth_${i}`, b = `${tmp}/fixture_${i}`;
      Deno.mkdirSync(a);
      Deno.mkdirSync(b);
      replay(d, synth, a);
      replay(d, fixture, b);
      return { name, synth: hashDir(a), fixture: hashDir(b) };
    });
    const same = hashes.every((h) =>
      JSON.stringify(h) === JSON.stringify({ ...hashes[0], name: h.name })
    );
    console.log(`arrow files (${n} synthetic events, and the fixture):`);
    for (const h of hashes) {
      console.log(
        `  ${h.name}: file.arrow ${h.synth["file.arrow"]} fixture ${JSON.stringify(h.fixture)}`,
      );
    }
    if (decoders.length > 1) console.log(same ? "  identical" : "  DIFFERENT");
    // interleaved timed runs (the first of each is a warm-up, not counted)
    const us: number[][] = decoders.map(() => []);
    for (let r = 0; r <= runs; r++) {
      for (let i = 0; i < decoders.length; i++) {
        const dir = `${tmp}/run_${r}_${i}`;
        Deno.mkdirSync(dir);
        const ms = replay(decoders[i][1], synth, dir);
        Deno.removeSync(dir, { recursive: true });
        if (r > 0) us[i].push(ms * 1000 / n);
      }
    }
    console.log(`CPU us/event over ${n} file events, ${runs} runs (median, min-max):`);
    decoders.forEach(([name], i) => {
      const xs = us[i];
      console.log(
        `  ${name.padEnd(8)} ${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${
          Math.max(...xs).toFixed(2)
        })`,
      );
    });
    if (decoders.length > 1) {
      const ratios = us[1].map((x, r) => x / us[0][r]);
      console.log(
        `  this/baseline per pair: median ${median(ratios).toFixed(3)} (${
          Math.min(...ratios).toFixed(3)
        }-${Math.max(...ratios).toFixed(3)})`,
      );
    }
    return same ? 0 : 1;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) await runCommand("decode_sink", USAGE, main);
