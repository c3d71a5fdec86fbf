/** The TypeScript decoder's layout of events.h matches what the C compiler laid out. */
import assert from "node:assert/strict";
import {
  decode,
  DNS_ANSWER_MAX,
  GROUPS_KEPT,
  Kind,
  LAYOUT,
  PrivOp,
  splitNul,
  waitStatus,
} from "./events.ts";
import { LOADER_PATH } from "./loader.ts";
import { textBytes } from "../recording/byte_text.ts";

Deno.test("LAYOUT mirrors bpf/events.h as compiled (sightline-loader --layout)", async () => {
  const out = await new Deno.Command(LOADER_PATH, { args: ["--layout"], stdout: "piped" }).output();
  assert.ok(out.success, "bpf/build/sightline-loader --layout runs (make -C bpf)");
  const c = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<
    string,
    Record<string, number>
  >;
  for (const [struct, fields] of Object.entries(c)) {
    const mine = (LAYOUT as Record<string, Record<string, number>>)[struct];
    assert.ok(mine, `events.ts knows ${struct}`);
    for (const [f, v] of Object.entries(fields)) {
      if (f === "_") continue;
      assert.equal(mine[f], v, `${struct}.${f}`);
    }
  }
  assert.deepEqual(Object.keys(LAYOUT).sort(), Object.keys(c).sort());
});

Deno.test("decode: a fork record, and short records are errors not crashes", () => {
  const b = new Uint8Array(LAYOUT.sl_fork.size);
  const v = new DataView(b.buffer);
  v.setUint8(0, Kind.FORK);
  v.setUint32(4, 42, true);
  v.setUint32(8, 42, true);
  v.setBigUint64(16, 123n, true);
  v.setUint32(LAYOUT.sl_fork.ppid, 7, true);
  b.set(new TextEncoder().encode("bash"), LAYOUT.sl_fork.comm);
  const ev = decode(b);
  assert.equal(ev.kind, Kind.FORK);
  if (ev.kind !== Kind.FORK) return;
  assert.equal(ev.pid, 42);
  assert.equal(ev.ppid, 7);
  assert.equal(ev.comm, "bash");
  assert.equal(ev.ts, 123n);
  assert.throws(() => decode(b.subarray(0, 30)), /fork record of 30 bytes/);
  assert.throws(() => decode(new Uint8Array(3)), /shorter than a header/);
});

Deno.test("splitNul and waitStatus", () => {
  const enc = new TextEncoder();
  assert.deepEqual(splitNul(enc.encode("a\0bc\0"), 0, 5), ["a", "bc"]);
  assert.deepEqual(splitNul(enc.encode("a\0\0c"), 0, 4), ["a", "", "c"]);
  assert.deepEqual(waitStatus(0), { code: 0, signal: null });
  assert.deepEqual(waitStatus(3 << 8), { code: 3, signal: null });
  assert.deepEqual(waitStatus(9), { code: null, signal: 9 });
});

Deno.test("splitNul: valid UTF-8 gives what TextDecoder gives, any bytes give them back (ASCII, UTF-8, invalid UTF-8, long)", () => {
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const enc = new TextEncoder();
  const cases: Uint8Array[] = [
    enc.encode("/home/user/données/fichier.txt"),
    enc.encode("emoji 😀 and CJK 漢字"),
    new Uint8Array([0x2f, 0x74, 0xc3, 0x28, 0xff, 0x61, 0xe2, 0x82]), // invalid and cut short
    new Uint8Array([0xed, 0xa0, 0x80, 0x7f, 0x80, 0xc0, 0xaf]), // surrogate, overlong
    enc.encode("a".repeat(255)),
    enc.encode("b".repeat(256)),
    enc.encode("c".repeat(257)),
    enc.encode("d".repeat(4000)),
    new Uint8Array([...enc.encode("e".repeat(300)), 0xff]),
    new Uint8Array([...enc.encode("f".repeat(20)), 0xfe]),
  ];
  // and random bytes (a fixed seed), NULs included, of every length up to 600
  let seed = 18;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  for (let n = 0; n <= 600; n += 7) {
    cases.push(Uint8Array.from({ length: n }, () => rand() % 3 ? rand() & 0x7f : rand() & 0xff));
  }
  for (const bytes of cases) {
    const parts: Uint8Array[] = [];
    let s = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) {
        parts.push(bytes.subarray(s, i));
        s = i + 1;
      }
    }
    if (s < bytes.length) parts.push(bytes.subarray(s));
    const got = splitNul(bytes, 0, bytes.length);
    assert.equal(got.length, parts.length);
    got.forEach((t, i) => {
      assert.deepEqual(textBytes(t), parts[i], "the exact bytes back");
      let valid = true;
      try {
        assert.equal(t, utf8.decode(parts[i]));
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        valid = false;
      }
      if (!valid) assert.ok(t.includes("\uFFFDx"), "an invalid byte shows as an escape");
    });
  }
});

Deno.test("decode: names that are not UTF-8 (comm, argv, paths) stay distinct and give back their bytes", () => {
  const enc = new TextEncoder();
  // a fork's comm with a Latin-1 byte
  const f = new Uint8Array(LAYOUT.sl_fork.size);
  new DataView(f.buffer).setUint8(0, Kind.FORK);
  f.set([0x63, 0x61, 0x66, 0xe9], LAYOUT.sl_fork.comm); // "caf\xe9"
  const fork = decode(f);
  if (fork.kind !== Kind.FORK) throw new Error("not a fork");
  assert.equal(fork.comm, "caf\uFFFDxe9");
  // two file names that differ only in their invalid bytes
  const L = LAYOUT.sl_file;
  const fileRec = (name: number[]) => {
    const p = new Uint8Array([...name, 0]);
    const rec = new Uint8Array(L.size + p.length);
    const v = new DataView(rec.buffer);
    v.setUint8(0, Kind.FILE);
    v.setUint16(L.path_len, p.length, true);
    rec.set(p, L.data);
    return rec;
  };
  const names = [
    [...enc.encode("a"), 0xff],
    [...enc.encode("a"), 0xfe],
    [...enc.encode("a"), 0xef, 0xbf, 0xbd], // a real U+FFFD
  ];
  const paths = names.map((n) => {
    const ev = decode(fileRec(n));
    if (ev.kind !== Kind.FILE) throw new Error("not a file event");
    assert.deepEqual([...textBytes(ev.path)], n);
    return ev.path;
  });
  assert.equal(new Set(paths).size, 3, paths.join(" "));
});

Deno.test("decode: file events one after another each get their own directory", () => {
  const enc = new TextEncoder();
  const L = LAYOUT.sl_file;
  /** a file record of `path` relative to `base` (NUL-separated components, leaf first) */
  const fileRec = (base: string, path: string) => {
    const b = enc.encode(base), p = enc.encode(path + "\0");
    const rec = new Uint8Array(L.size + b.length + p.length);
    const v = new DataView(rec.buffer);
    v.setUint8(0, Kind.FILE);
    v.setUint16(L.base_len, b.length, true);
    v.setUint16(L.path_len, p.length, true);
    rec.set(b, L.data);
    rec.set(p, L.data + b.length);
    return rec;
  };
  // (the same length with other bytes, the same bytes again, none, and a longer one)
  const dirs = ["src\0app\0", "lib\0app\0", "src\0app\0", "", "src\0app\0", "deep\0src\0app\0"];
  const seen = dirs.map((d, i) => {
    const ev = decode(fileRec(d, `f${i}`));
    assert.equal(ev.kind, Kind.FILE);
    if (ev.kind !== Kind.FILE) throw new Error("not a file event");
    assert.equal(ev.path, `f${i}`);
    return ev.base;
  });
  assert.deepEqual(seen, [
    ["src", "app"],
    ["lib", "app"],
    ["src", "app"],
    [],
    ["src", "app"],
    ["deep", "src", "app"],
  ]);
});

Deno.test("GROUPS_KEPT is bpf/events.h's SL_GROUPS_KEPT", async () => {
  const h = await Deno.readTextFile(new URL("../bpf/events.h", import.meta.url));
  const m = h.match(/#define SL_GROUPS_KEPT (\d+)/);
  assert.ok(m, "events.h defines SL_GROUPS_KEPT");
  assert.equal(GROUPS_KEPT, Number(m[1]));
});

Deno.test("DNS_ANSWER_MAX is bpf/events.h's SL_DNS_ANSWER_MAX; PrivOp names every sl_priv_op", async () => {
  const h = await Deno.readTextFile(new URL("../bpf/events.h", import.meta.url));
  const m = h.match(/#define SL_DNS_ANSWER_MAX (\d+)/);
  assert.ok(m, "events.h defines SL_DNS_ANSWER_MAX");
  assert.equal(DNS_ANSWER_MAX, Number(m[1]));
  const ops = [...h.matchAll(/SL_PRIV_(\w+) = (\d+),/g)].map((x) => [Number(x[2]), x[1]]);
  assert.ok(ops.length >= 24);
  for (const [n, name] of ops) {
    assert.equal(
      PrivOp[n as number],
      (name as string).toLowerCase().replace(/^vm_/, "process_vm_")
        .replace("pidfd_signal", "pidfd_send_signal").replace("sigqueue", "rt_sigqueueinfo"),
    );
  }
});
