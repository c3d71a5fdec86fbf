/**
 * A TCP relay on 127.0.0.1 that records the raw bytes of each direction of the connections it
 * carries, used by the fixture generators to capture what real HTTP implementations send.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { concatBytes } from "../../kit/bytes.ts";

export interface Recording {
  client: Uint8Array[];
  server: Uint8Array[];
  /** Arrival order of reads: "c<n>" = n bytes client -> server, "s<n>" = server -> client. */
  order: string[];
}

/** Starts a relay to `targetPort`; returns its port, the recording and a close function. */
export async function startRecordingRelay(
  targetPort: number,
): Promise<{ port: number; recording: Recording; close(): void }> {
  const recording: Recording = { client: [], server: [], order: [] };
  const relay = net.createServer((down) => {
    const up = net.connect(targetPort, "127.0.0.1");
    down.on("data", (b: Uint8Array) => {
      recording.client.push(new Uint8Array(b));
      recording.order.push(`c${b.length}`);
      up.write(b);
    });
    up.on("data", (b: Uint8Array) => {
      recording.server.push(new Uint8Array(b));
      recording.order.push(`s${b.length}`);
      down.write(b);
    });
    down.on("end", () => up.end());
    up.on("end", () => down.end());
    down.on("error", () => up.destroy());
    up.on("error", () => down.destroy());
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  const port = (relay.address() as net.AddressInfo).port;
  return { port, recording, close: () => relay.close() };
}

/**
 * Writes a recorded fixture into `out`: `client.bin` and `server.bin` (each direction's bytes)
 * and `meta.json` (`meta`: what was sent and how, the arrival order).
 */
export function writeRecording(out: URL, rec: Recording, meta: Record<string, unknown>): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL("client.bin", out), concatBytes(rec.client));
  writeFileSync(new URL("server.bin", out), concatBytes(rec.server));
  writeFileSync(new URL("meta.json", out), JSON.stringify(meta, null, 2) + "\n");
}

/**
 * A generator's command line: without `--update`, one line and exit 2 (the fixture is
 * committed); with it, records, writes the fixture into `out` with `meta(recording)` and says
 * so.
 */
export async function generateFixture(
  out: URL,
  record: () => Promise<Recording>,
  meta: (rec: Recording) => Record<string, unknown>,
): Promise<void> {
  if (!Deno.args.includes("--update")) {
    console.error("refusing to overwrite the fixture without --update");
    Deno.exit(2);
  }
  const rec = await record();
  writeRecording(out, rec, meta(rec));
  console.log(`wrote ${out.pathname}: ${rec.order.length} reads`);
}

export { concatBytes as concat };
