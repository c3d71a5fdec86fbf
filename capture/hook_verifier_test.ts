/**
 * Run-time verification of hooks: the classifier on real protocol bytes and on encrypted ones,
 * the verifier's decisions, and, for real, a capture whose locator deliberately hooks a
 * function that sees ciphertext: the hook is detected, its data dropped, its probes detached,
 * the locator's next candidate attached and verified, and the attach report says all of it; and
 * one whose first candidate the kernel refuses to attach: the next is attached in its place.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ElfFile } from "./elf.ts";
import { HookVerifier } from "./hook_verifier.ts";
import { classify } from "./plaintext_check.ts";
import type { TlsCall } from "./tls_assembler.ts";
import { type Hook, type Inspection, PROBES } from "./tls_targets.ts";
import type { AttachManager, Locator } from "./attach.ts";
import { makeTestCerts } from "../tests/support/certs.ts";
import { simpleResponse, startRawHttpsServer } from "../tests/support/raw_https_server.ts";
import { skipWithoutRoot } from "../tests/support/ebpf.ts";
import { captureForTest } from "../tests/support/capture.ts";
import { tlsStreams } from "../recording/recording.ts";
import { encodeWebSocketFrame } from "../protocols/websocket_frame.ts";
import { concatBytes } from "../kit/bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("classify: client and server plaintext, TLS records and random bytes", () => {
  const cases: [Uint8Array, 0 | 1, string][] = [
    [enc.encode("POST /v1/messages HTTP/1.1\r\nHost: x\r\n\r\n{}"), 0, "plaintext"],
    [enc.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04"), 0, "plaintext"],
    [enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi"), 1, "plaintext"],
    // an HTTP/2 server's first frame: SETTINGS, 3 settings, stream 0
    [new Uint8Array([0, 0, 18, 4, 0, 0, 0, 0, 0, ...new Array(18).fill(1)]), 1, "plaintext"],
    [enc.encode('{"model":"x","messages":[{"role":"user","content":"hi"}]}'), 0, "plaintext"],
    // a ClientHello record and an application-data record
    [new Uint8Array([0x16, 3, 1, 0, 4, 1, 0, 0, 0]), 0, "ciphertext"],
    [new Uint8Array([0x17, 3, 3, 0, 64, ...randomBytes(64)]), 0, "ciphertext"],
    [new Uint8Array(randomBytes(200)), 0, "ciphertext"],
    [new Uint8Array(randomBytes(200)), 1, "ciphertext"],
    [new Uint8Array([1, 2, 3]), 0, "undecided"],
    // an HTTP/2 HEADERS frame on stream 1 whose HPACK block is dense: a frame, not ciphertext
    [new Uint8Array([0, 0, 100, 1, 4, 0, 0, 0, 1, ...randomBytes(100)]), 1, "plaintext"],
    // too few random bytes to call ciphertext
    [new Uint8Array(randomBytes(100)), 0, "undecided"],
    // a connection joined after its WebSocket upgrade (capture --pid): a client's masked
    // frames and a server's compressed ones look random, but their lengths account for the
    // buffer; a frame longer than the buffer is left undecided
    [wsFrame(368, true), 0, "plaintext"],
    [concatBytes([wsFrame(200, true), wsFrame(0, true, 9), wsFrame(40_000, true)]), 0, "plaintext"],
    [concatBytes([wsFrame(200, true), wsFrame(300, true).subarray(0, 100)]), 0, "undecided"],
    [wsFrame(300, false, 1, true), 1, "plaintext"],
    [concatBytes([wsFrame(70_000, false, 2)]), 1, "plaintext"],
    [wsFrame(30_000, true).subarray(0, 16_384), 0, "undecided"],
    [wsFrame(300, true).subarray(0, 299), 0, "undecided"],
    // not frames: a masked and an unmasked frame together, RSV2 set, a frame then bytes that
    // begin none
    [concatBytes([wsFrame(200, true), wsFrame(200, false)]), 0, "ciphertext"],
    [Uint8Array.from(wsFrame(300, true), (b, i) => i === 0 ? b | 0x20 : b), 0, "ciphertext"],
    [concatBytes([wsFrame(200, true), Uint8Array.of(0x20), randomBytes(60)]), 0, "ciphertext"],
  ];
  for (const [bytes, dir, want] of cases) {
    const got = classify(bytes, dir);
    assert.equal(got.kind, want, `${JSON.stringify(dec.decode(bytes.slice(0, 20)))}: ${got.what}`);
  }
});

/** A WebSocket frame of `n` random payload bytes (which is how masked or compressed ones look). */
function wsFrame(n: number, masked: boolean, opcode = 1, rsv1 = false): Uint8Array {
  return encodeWebSocketFrame({
    opcode,
    payload: new Uint8Array(randomBytes(n)),
    rsv1,
    mask: masked ? new Uint8Array(randomBytes(4)) : undefined,
  });
}

function call(target: number, conn: bigint, dir: 0 | 1, data: Uint8Array): TlsCall {
  return {
    pid: 1,
    tid: 1,
    ts: 0n,
    conn,
    gen: 0,
    dir,
    seq: 0n,
    total: data.length,
    data,
    truncated: false,
    lost: 0,
    target,
  };
}

Deno.test("HookVerifier: plaintext verifies, ciphertext drops the hook and all its calls", () => {
  const wrong: number[] = [];
  const v = new HookVerifier((t) => wrong.push(t));
  const req = enc.encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.equal(v.check(call(1, 10n, 0, req)), true);
  assert.equal(v.checks().get(1)!.state, "verified");
  // a later connection of a verified hook beginning oddly keeps it, but is noted
  assert.equal(v.check(call(1, 11n, 0, new Uint8Array(randomBytes(300)))), true);
  assert.equal(v.checks().get(1)!.state, "verified");
  assert.match(v.checks().get(1)!.evidence, /but another connection/);
  // a hook whose first bytes are a TLS record is wrong: dropped, reported once
  const record = new Uint8Array([0x17, 3, 3, 0, 40, ...randomBytes(40)]);
  assert.equal(v.check(call(2, 20n, 0, record)), false);
  assert.equal(v.check(call(2, 20n, 0, req)), false, "every later call of a wrong hook too");
  assert.deepEqual(wrong, [2]);
  const c = v.checks().get(2)!;
  assert.equal(c.state, "wrong");
  assert.equal(c.dropped_calls, 2);
  assert.equal(c.dropped_bytes, record.length + req.length);
  // too short to judge: passes and waits for more
  assert.equal(v.check(call(3, 30n, 0, new Uint8Array([1, 2]))), true);
  assert.equal(v.checks().get(3)!.state, "unverified");
});

Deno.test("HookVerifier: a hook placed by the file's symbols is never wrong, whatever its first bytes", () => {
  // libssl's SSL_read on a connection a capture joined mid-stream, inside a gzip body: random
  // bytes, and a TLS record carried inside TLS; the locator's guess on the same bytes is wrong
  const wrong: number[] = [];
  const v = new HookVerifier((t) => wrong.push(t), (t) => t === 1);
  const random = new Uint8Array(randomBytes(300));
  const record = new Uint8Array([0x17, 3, 3, 0, 40, ...randomBytes(40)]);
  assert.equal(v.check(call(1, 10n, 1, random)), true);
  assert.equal(v.check(call(1, 11n, 0, record)), true);
  assert.equal(v.check(call(1, 11n, 0, random)), true, "later calls kept too");
  const c = v.checks().get(1)!;
  assert.notEqual(c.state, "wrong");
  assert.equal(c.ciphertext, 2, "counted");
  assert.match(c.evidence, /placed by symbol, so that is its plaintext: kept/);
  assert.equal(v.check(call(2, 20n, 1, random)), false);
  assert.deepEqual(wrong, [2]);
});

/** A locator that hooks SSL_write at `relay_write` (sees ciphertext) and offers app_write. */
function wrongLocator(client: string): Locator {
  return (path: string, insp: Inspection): Promise<Inspection> => {
    if (path !== client) return Promise.resolve({ ...insp, status: "none", hooks: [] });
    using elf = ElfFile.open(path);
    const sym = (name: string): Hook => {
      const s = elf.staticSymbols().find((x) => x.name === name)!;
      return {
        fn: "SSL_write",
        offset: elf.vaddrToOffset(s.value)!,
        vaddr: s.value,
        ...PROBES.SSL_write,
        method: `test: ${name} (deliberately ${name === "relay_write" ? "wrong" : "right"})`,
      };
    };
    return Promise.resolve({
      path,
      status: "hooked",
      library: "test",
      method: "test locator",
      hooks: [{ ...sym("relay_write"), alternates: [sym("app_write")] }],
    });
  };
}

/**
 * A locator whose first candidate for SSL_write lies past the end of the file (the kernel
 * refuses a uprobe there) and whose second is the right one, `app_write`.
 */
function unattachableLocator(client: string): Locator {
  return (path: string, insp: Inspection): Promise<Inspection> => {
    if (path !== client) return Promise.resolve({ ...insp, status: "none", hooks: [] });
    using elf = ElfFile.open(path);
    const s = elf.staticSymbols().find((x) => x.name === "app_write")!;
    const right: Hook = {
      fn: "SSL_write",
      offset: elf.vaddrToOffset(s.value)!,
      vaddr: s.value,
      ...PROBES.SSL_write,
      method: "test: app_write",
    };
    const past = Deno.statSync(path).size + 0x1000;
    return Promise.resolve({
      path,
      status: "hooked",
      library: "test",
      method: "test locator",
      hooks: [{
        ...right,
        offset: past,
        method: "test: past the file's end",
        alternates: [right],
      }],
    });
  };
}

/** tests/fixtures/tls/relay_client.c built into `dir` (its path): a client whose first write hook sees ciphertext. */
async function buildRelayClient(dir: string): Promise<string> {
  const client = `${dir}/relay_client`;
  const src = filePath("../tests/fixtures/tls/relay_client.c", import.meta.url);
  const cc = await new Deno.Command("gcc", {
    args: ["-O1", "-g", "-o", client, src, "-lssl", "-lcrypto"],
    stderr: "piped",
  }).output();
  assert.ok(cc.success, dec.decode(cc.stderr));
  return client;
}

/**
 * Captures the relay client (built in a directory of its own) against a local HTTPS server,
 * hooked by the locator `locatorFor` makes for it; asserts it made its two requests and hands
 * the capture, the client's attach report entry (hooked or not) and the server to `check`.
 */
async function captureRelayClient(
  prefix: string,
  locatorFor: (client: string) => Locator,
  check: (c: {
    res: Awaited<ReturnType<typeof captureForTest>>["res"];
    rec: Awaited<ReturnType<typeof captureForTest>>["rec"];
    client: string;
    report: ReturnType<AttachManager["report"]>;
    exchanges: { request: Uint8Array }[];
  }) => void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  const client = await buildRelayClient(dir);
  const certs = await makeTestCerts();
  const srv = startRawHttpsServer(certs, (r) => simpleResponse(`you asked for ${r.path}`));
  try {
    const { res, rec } = await captureForTest({
      cmd: [client, "127.0.0.1", String(srv.port), certs.caPath],
      locator: locatorFor(client),
    });
    assert.equal(res.exitCode, 0);
    assert.equal(srv.exchanges.length, 2);
    const report = res.manifest.attach as ReturnType<AttachManager["report"]>;
    check({ res, rec, client, report, exchanges: srv.exchanges });
  } finally {
    await srv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a wrong hook (it sees ciphertext) is detected, dropped, detached and replaced",
  ignore: skipWithoutRoot(),
  fn: () =>
    captureRelayClient(
      "sl-wrong-hook-",
      wrongLocator,
      ({ res, rec, client, report, exchanges }) => {
        const entry = report.hooked.find((e) => e.path === client)!;
        const checks = entry.checks!;
        const relay = checks.find((c) => c.candidate === "1 of 2")!;
        const app = checks.find((c) => c.candidate === "2 of 2")!;
        // the wrong hook: said so, with why and what was done
        assert.equal(relay.state, "wrong");
        assert.match(relay.evidence, /TLS record header|random-looking/);
        assert.match(relay.action!, /^detached; trying candidate 2 of 2 at 0x/);
        assert.ok(relay.dropped_calls >= 1);
        const relayProbes = entry.probes.filter((p) => p.method?.includes("relay_write"));
        assert.ok(relayProbes.length && relayProbes.every((p) => p.detached), "relay detached");
        assert.ok(res.manifest.warnings.some((w) => /saw ciphertext/.test(w)));
        // its replacement: verified by the second request's plaintext
        assert.equal(app.state, "verified", app.evidence);
        // nothing of the wrong hook reached the recording; the second request is there exactly
        const mine = tlsStreams(rec.tls.filter((r) => r.lib === client));
        assert.ok(mine.every((s) => !s.write.length || s.write[0] === 0x47), "only plaintext");
        const second = mine.find((s) => dec.decode(s.write).startsWith("GET /second "));
        assert.ok(second, `second request captured: ${JSON.stringify(mine.map((s) => s.write))}`);
        assert.equal(dec.decode(second.write), dec.decode(exchanges[1].request));
      },
    ),
});

Deno.test({
  name:
    "a candidate the kernel refuses to attach: the next one is attached, said so, its plaintext recorded",
  ignore: skipWithoutRoot(),
  fn: () =>
    captureRelayClient(
      "sl-unattachable-",
      unattachableLocator,
      ({ res, rec, client, report, exchanges }) => {
        const entry = report.hooked.find((e) => e.path === client);
        assert.ok(entry, `hooked: ${JSON.stringify(report.not_hooked.map((e) => e.reason))}`);
        // the refused candidate: its probes failed, marked replaced, and the report says what
        // was done about it
        const refused = entry.probes.filter((p) => p.method === "test: past the file's end");
        assert.ok(refused.length && refused.every((p) => !p.ok && p.replaced), "refused, replaced");
        const first = entry.checks!.find((c) => c.candidate === "1 of 2")!;
        assert.match(first.action!, /failed to attach: .*; trying candidate 2 of 2 at 0x/);
        // the next candidate: attached, verified by plaintext, both requests recorded
        const second = entry.checks!.find((c) => c.candidate === "2 of 2")!;
        assert.equal(second.state, "verified", second.evidence);
        assert.ok(
          entry.probes.filter((p) => p.method === "test: app_write").every((p) => p.ok),
          "attached",
        );
        assert.ok(!res.manifest.warnings.some((w) => /failed to attach/.test(w)));
        const writes = tlsStreams(rec.tls.filter((r) => r.lib === client))
          .map((s) => dec.decode(s.write));
        for (const x of exchanges) {
          assert.ok(writes.includes(dec.decode(x.request)), JSON.stringify(writes));
        }
      },
    ),
});

Deno.test({
  name:
    "manifest.json during a capture: a wrong hook's warning is on disk at the next flush, though the manifest is otherwise rewritten at most every 5 s",
  ignore: skipWithoutRoot(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sl-paced-manifest-" });
    const client = await buildRelayClient(dir);
    const certs = await makeTestCerts();
    const srv = startRawHttpsServer(certs, (r) => simpleResponse(`you asked for ${r.path}`));
    const out = `${dir}/rec`, started = `${dir}/client-started`;
    try {
      // a second of nothing, the client (a wrong hook, its two requests 2 s apart), 6 s more
      const capture = captureForTest({
        cmd: [
          "sh",
          "-c",
          `sleep 1; touch ${started}; "$@"; sleep 6`,
          "sh",
          client,
          "127.0.0.1",
          String(srv.port),
          certs.caPath,
        ],
        out,
        locator: wrongLocator(client),
      });
      let ended = false;
      capture.finally(() => ended = true).catch(() => {});
      // watch manifest.json on disk: each rewrite is a new file (temp file + rename)
      let ino: number | null = null, rewrites = 0, clientAt = 0, warnedAt = 0;
      while (!ended) {
        const now = performance.now();
        if (!clientAt && (await Deno.stat(started).catch(() => null))) clientAt = now;
        const st = await Deno.stat(`${out}/manifest.json`).catch(() => null);
        if (st && st.ino !== ino) {
          ino = st.ino;
          rewrites++;
          const m = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`).catch(() => "{}"));
          if (
            !warnedAt && m.complete === false &&
            (m.warnings ?? []).some((w: string) => /saw ciphertext/.test(w))
          ) {
            warnedAt = now;
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const { res } = await capture;
      assert.equal(res.exitCode, 0);
      assert.ok(res.manifest.warnings.some((w) => /saw ciphertext/.test(w)), "warned at the end");
      assert.ok(clientAt > 0 && warnedAt > 0, "the warning was on disk while the capture ran");
      // the records reach the capture within a second (the loader's tick while they trickle),
      // the warning the disk at the next flush: not the next paced write, up to 5 s later
      assert.ok(
        warnedAt - clientAt < 3000,
        `warning on disk ${(warnedAt - clientAt).toFixed(0)} ms after the client started`,
      );
      // ~10 s of capture: the first write, one a flush later, the warning's, one 5 s on, and
      // maybe the end's, where a rewrite every second would be ~11
      assert.ok(rewrites <= 7, `${rewrites} manifests written while the capture ran`);
    } finally {
      await srv.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
