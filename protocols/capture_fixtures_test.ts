/**
 * Golden tests over every recorded connection in `testdata/captures/<name>/`: each directory
 * holds `meta.json` (at least `{"protocol": "http1" | "http2"}`), `client.bin`, `server.bin`
 * and the golden `expected.json`. Adding a capture = adding such a directory; its golden file
 * is written only by an explicit `deno test -A protocols/ -- --update`, and must then
 * be reviewed. Every capture is also checked to parse identically when both directions are
 * fed in many random chunkings.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { type CaptureInput, summarizeCapture } from "./capture_summary.ts";
import { chunkings } from "./testing.ts";
import { concatBytes } from "../kit/bytes.ts";

const ROOT = new URL("./testdata/captures/", import.meta.url);
const UPDATE = Deno.args.includes("--update");

function load(name: string): CaptureInput {
  const dir = new URL(`${name}/`, ROOT);
  const meta = JSON.parse(readFileSync(new URL("meta.json", dir), "utf8"));
  return {
    protocol: meta.protocol,
    client: new Uint8Array(readFileSync(new URL("client.bin", dir))),
    server: new Uint8Array(readFileSync(new URL("server.bin", dir))),
  };
}

/** Round-trips through JSON so undefined fields vanish exactly as in the golden file. */
const normalize = (v: unknown) => JSON.parse(JSON.stringify(v));

const names = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory())
  .map((d) => d.name).sort();

Deno.test("there are capture fixtures for both protocols", () => {
  const protocols = new Set(names.map((n) => load(n).protocol));
  assert.deepEqual([...protocols].sort(), ["http1", "http2"]);
});

for (const name of names) {
  Deno.test(`capture ${name} matches its golden summary`, async () => {
    const input = load(name);
    const summary = normalize(await summarizeCapture(input));
    const golden = new URL(`${name}/expected.json`, ROOT);
    if (UPDATE) {
      writeFileSync(golden, JSON.stringify(summary, null, 2) + "\n");
      return;
    }
    assert.ok(
      existsSync(golden),
      `no golden output for ${name}: run deno test -A protocols/ -- --update, review it`,
    );
    assert.deepEqual(summary, JSON.parse(readFileSync(golden, "utf8")));
  });

  Deno.test(`capture ${name} parses the same in random chunkings`, async () => {
    const input = load(name);
    const reference = normalize(await summarizeCapture(input));
    // Re-chunk both directions; the parsers see the pieces, the summary must not change.
    const rechunked = async (client: Uint8Array[], server: Uint8Array[]) => {
      return normalize(
        await summarizeCapture({
          ...input,
          client: concatBytes(client),
          server: concatBytes(server),
        }),
      );
    };
    const cs = [
      ...chunkings(input.client, { splitPointLimit: 0, randomRuns: 3, skipByteByByte: true }),
    ];
    const ss = [
      ...chunkings(input.server, { splitPointLimit: 0, randomRuns: 3, skipByteByByte: true }),
    ];
    for (let i = 0; i < cs.length; i++) {
      assert.deepEqual(await rechunked(cs[i].chunks, ss[i].chunks), reference);
    }
  });
}
