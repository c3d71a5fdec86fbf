/**
 * Header checks: every committed recording's headers are sound (nothing real is cut), and a
 * damaged count in a schema or a batch is said in the format's words, the stream cut before it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cutAtDamagedHeader, framedMessages } from "./arrow_header.ts";
import { EOS } from "./arrow_ipc.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function arrowFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory
      ? arrowFiles(join(dir, e.name))
      : e.name.endsWith(".arrow")
      ? [join(dir, e.name)]
      : []
  );
}

const FILES = [...arrowFiles(join(ROOT, "datasets")), ...arrowFiles(join(ROOT, "tests/fixtures"))];

Deno.test("arrow header: every committed recording's headers are sound, its streams kept whole", () => {
  assert.ok(FILES.length > 50, `set-up: ${FILES.length} files`);
  for (const f of FILES) {
    const bytes = Deno.readFileSync(f);
    const cut = cutAtDamagedHeader(bytes);
    assert.equal(cut.fault, null, f);
    assert.equal(cut.bytes, bytes, f);
  }
});

/** `clean` with the 4-byte word at `at` set to `word`. */
function withWord(clean: Uint8Array, at: number, word: number): Uint8Array {
  const bytes = clean.slice();
  new DataView(bytes.buffer).setUint32(at, word, true);
  return bytes;
}

Deno.test("arrow header: a count of billions in a schema or a batch is said, the stream cut before its message", () => {
  const clean = Deno.readFileSync(join(ROOT, "datasets/demo-claude/net.arrow"));
  const messages = [...framedMessages(clean)];
  assert.ok(messages.length >= 2, "set-up: a schema and a batch");
  const said = new Map<number, Set<string>>();
  for (const [i, { at, header }] of messages.slice(0, 2).entries()) {
    const start = header.byteOffset - clean.byteOffset;
    for (let w = start; w + 4 <= start + header.length; w += 4) {
      const cut = cutAtDamagedHeader(withWord(clean, w, 0x7fffffff));
      if (!cut.fault) continue;
      assert.equal(cut.message, i, `word ${w}: the damaged message is the one cut`);
      // what is before it is kept byte for byte, and the stream closed
      assert.deepEqual(cut.bytes, new Uint8Array([...clean.subarray(0, at), ...EOS]));
      const words = said.get(i) ?? new Set();
      words.add(cut.fault.replace(/\d+/g, "N"));
      said.set(i, words);
    }
  }
  assert.ok(
    said.get(0)?.has(
      "a message header is damaged: the schema's field list (N entries) lies past its N bytes",
    ),
    [...said.get(0) ?? []].join("\n"),
  );
  const batch = [...said.get(1) ?? []].join("\n");
  assert.match(batch, /the batch's (column|buffer) list \(N entries\) lies past its N bytes/);
  assert.match(batch, /a buffer \(N\+N\) lies past the N-byte body/);
});
