/**
 * What the TLS redaction costs per MB on a real recording's calls, and whether two trees' code
 * gives the same bytes: the HTTP/1 scanners every recorded TLS byte goes through, each alone
 * (the header redactor of capture/redact.ts, protocols/url_param_mask.ts,
 * protocols/http1_body_secrets.ts) and together as capture/tls_streams.ts runs them.
 *
 * `deno run -A bench/tls_recording_bench.ts RECORDING [RUNS] [ROOT...]` reads RECORDING's
 * tls.arrow (record with `--keep-secrets`, so that the bytes are as the capture saw them), feeds
 * its calls in the recorded order to each ROOT's code (default this tree; another tree to compare,
 * read only), RUNS times (default 9) with the trees interleaved run by run, and prints ms/MiB: the
 * median and the range. Before timing, every ROOT's whole path must give the first ROOT's bytes,
 * both in the recorded calls and with each direction cut again into pieces of random sizes at
 * random buffer offsets; any difference is printed and the exit code is 1.
 */
import { filePath } from "../kit/file_path.ts";
import { readArrowRows } from "../recording/arrow_reader.ts";
import { concatBytes } from "../kit/bytes.ts";
import { seededRandom } from "../kit/random.ts";

const USAGE = "usage: deno run -A bench/tls_recording_bench.ts RECORDING [RUNS] [ROOT...]";
const MiB = 1 << 20;

interface Call {
  pid: number;
  conn: bigint;
  gen: number;
  dir: 0 | 1;
  seq: bigint;
  data: Uint8Array;
  lost: number;
  truncated: boolean;
}

interface Code {
  root: string;
  // deno-lint-ignore no-explicit-any
  m: Record<string, any>;
}

function fail(line: string): never {
  console.error(`tls_recording_bench: ${line}`);
  Deno.exit(2);
}

function args(): { recording: string; runs: number; roots: string[] } {
  const [recording, runsArg, ...rootArgs] = Deno.args;
  if (!recording) fail(USAGE);
  const runs = Number(runsArg ?? 9);
  if (!Number.isInteger(runs) || runs < 1) fail(`RUNS must be a positive integer, not ${runsArg}`);
  const roots = (rootArgs.length ? rootArgs : [filePath("../", import.meta.url)]).map(
    (r) => {
      try {
        return Deno.realPathSync(r).replace(/\/?$/, "/");
      } catch (e) {
        fail(`${r}: ${(e as Error).message}`);
      }
    },
  );
  return { recording, runs, roots };
}

function loadCalls(dir: string): Call[] {
  let rows: Record<string, unknown>[];
  try {
    rows = readArrowRows(`${dir}/tls.arrow`);
  } catch (e) {
    fail(`${dir}/tls.arrow: ${(e as Error).message}`);
  }
  if (!rows.length) fail(`${dir}/tls.arrow has no calls`);
  return rows.map((r) => ({
    pid: r.pid as number,
    conn: r.conn_id as bigint,
    gen: r.conn_gen as number,
    dir: r.direction === "write" ? 0 : 1,
    seq: r.seq as bigint,
    data: r.data as Uint8Array,
    lost: Number(r.lost),
    truncated: r.truncated as boolean,
  }));
}

async function load(root: string): Promise<Code> {
  const m = {
    ...await import(`${root}capture/redact.ts`),
    ...await import(`${root}protocols/http1_body_secrets.ts`),
    ...await import(`${root}capture/tls_streams.ts`),
  };
  return { root, m };
}

const keyOf = (c: Call) => `${c.pid}:${c.conn}:${c.gen}`;

/** TlsStreams' calls made of ours (outside the timed part). */
const tlsCalls = (calls: Call[]) =>
  calls.map((c) => ({ ...c, tid: 1, ts: 0n, total: c.data.length, target: 1 }));

/** The whole path over `calls`: each direction's bytes out, concatenated, by connection key. */
function streams(code: Code, calls: Call[]): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array[]>();
  const ts = new code.m.TlsStreams(
    { keepSecrets: false },
    (r: { call: Call; data: Uint8Array }) => {
      const k = `${keyOf(r.call)}/${r.call.dir}`;
      (out.get(k) ?? out.set(k, []).get(k)!).push(r.data.slice());
    },
  );
  for (const c of tlsCalls(calls)) ts.push(c);
  ts.finish();
  return new Map([...out].map(([k, v]) => [k, concatBytes(v)]));
}

/** The whole path over `calls` as the capture runs it (the bytes out only counted), ms. */
function wholePath(code: Code, calls: ReturnType<typeof tlsCalls>, bytes: number): number {
  let n = 0;
  const ts = new code.m.TlsStreams({ keepSecrets: false }, (r: { data: Uint8Array }) => {
    n += r.data.length;
  });
  const t0 = performance.now();
  for (const c of calls) ts.push(c);
  ts.finish();
  const ms = performance.now() - t0;
  if (n !== bytes) throw new Error(`${n} bytes out of ${bytes}`);
  return ms;
}

/** `calls` with each direction's bytes cut again into pieces of 1..max bytes at odd offsets. */
function recut(calls: Call[], seed: number, max: number): Call[] {
  const rand = seededRandom(seed);
  const byDir = Map.groupBy(calls, (c) => `${keyOf(c)}/${c.dir}`);
  const out: Call[] = [];
  for (const cs of byDir.values()) {
    const bytes = concatBytes(cs.map((c) => c.data));
    let seq = 0n;
    for (let p = 0; p < bytes.length;) {
      const n = Math.min(bytes.length - p, 1 + Math.floor(rand() * max));
      const offset = Math.floor(rand() * 4);
      const buf = new Uint8Array(n + offset);
      buf.set(bytes.subarray(p, p + n), offset);
      out.push({ ...cs[0], seq: seq++, data: buf.subarray(offset), lost: 0, truncated: false });
      p += n;
    }
  }
  return out;
}

function sameStreams(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): string | null {
  if (a.size !== b.size) return `${a.size} directions against ${b.size}`;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y) return `${k} missing`;
    if (x.length !== y.length) return `${k}: ${x.length} bytes against ${y.length}`;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `${k}: byte ${i} differs`;
  }
  return null;
}

/** One direction's scanner alone over the calls, ms. */
function scanner(calls: Call[], make: (shared: unknown) => { transform(b: Uint8Array): unknown }) {
  const made = new Map<string, { transform(b: Uint8Array): unknown }>();
  const shared = new Map<string, unknown>();
  const t0 = performance.now();
  for (const c of calls) {
    const k = keyOf(c);
    let t = made.get(`${k}/${c.dir}`);
    if (!t) {
      const s = shared.get(k) ?? shared.set(k, { methods: [] }).get(k);
      made.set(`${k}/${c.dir}`, t = make(s));
    }
    t.transform(c.data);
  }
  return performance.now() - t0;
}

if (import.meta.main) {
  const { recording, runs, roots } = args();
  const calls = loadCalls(recording);
  const codes = await Promise.all(roots.map(load));
  const mib = calls.reduce((n, c) => n + c.data.length, 0) / MiB;
  const [load1] = Deno.loadavg();
  console.log(
    `${recording}: ${calls.length} calls, ${mib.toFixed(1)} MiB · ${runs} runs · load ${load1}`,
  );

  const want = streams(codes[0], calls);
  let masked = 0;
  const input = Map.groupBy(calls, (c) => `${keyOf(c)}/${c.dir}`);
  for (const [k, cs] of input) {
    const raw = concatBytes(cs.map((c) => c.data)), out = want.get(k)!;
    for (let i = 0; i < Math.min(raw.length, out.length); i++) if (raw[i] !== out[i]) masked++;
  }
  let differ = 0;
  for (const code of codes) {
    for (
      const [how, cs] of [
        ["recorded calls", calls],
        ...[1, 2, 3].map((s) =>
          [`re-cut #${s}`, recut(calls, s, [64, 1500, 20000][s - 1])] as const
        ),
      ] as const
    ) {
      const d = sameStreams(want, streams(code, cs as Call[]));
      if (d) {
        differ++;
        console.log(`${code.root}, ${how}: ${d}`);
      }
    }
  }
  console.log(
    differ
      ? `${differ} comparisons differ`
      : `same bytes out of every tree, recorded and re-cut 3 ways (${masked} bytes masked)`,
  );

  const pushed = tlsCalls(calls);
  const bytes = calls.reduce((n, c) => n + c.data.length, 0);
  const times = new Map<string, number[]>();
  for (let run = 0; run < runs; run++) {
    for (const [i, { m }] of codes.entries()) {
      const timed: [string, () => number][] = [
        ["header", () => scanner(calls, () => m.createHttp1Redactor())],
        ["param", () => scanner(calls, () => m.createParamRedactor(m.SECRET_PARAM))],
        ["body", () => scanner(calls, (s) => m.createHttp1BodySecrets(s))],
        ["whole path", () => wholePath(codes[i], pushed, bytes)],
      ];
      for (const [what, f] of timed) {
        const k = `${i} ${what}`;
        (times.get(k) ?? times.set(k, []).get(k)!).push(f() / mib);
      }
    }
  }
  for (const [k, v] of times) {
    v.sort((a, b) => a - b);
    const [i, what] = [Number(k.split(" ")[0]), k.slice(k.indexOf(" ") + 1)];
    console.log(
      `${roots[i]} ${what}: ${v[v.length >> 1].toFixed(3)} ms/MiB (median; ${v[0].toFixed(3)}-${
        v.at(-1)!.toFixed(3)
      })`,
    );
  }
  if (differ) Deno.exit(1);
}
