/**
 * A TCP relay on 127.0.0.1 that records the raw bytes of each direction of the connections it
 * carries, used by the fixture generators to capture what real HTTP implementations send.
 */

import { filePath } from "../../kit/file_path.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { concatBytes } from "../../kit/bytes.ts";

export interface Recording {
  client: Uint8Array[];
  server: Uint8Array[];
  /** Arrival order of reads: "c<n>" = n bytes client -> server, "s<n>" = server -> client. */
  order: string[];
}

/** The bytes of one connection, each direction's reads in order. */
export interface Connection {
  client: Uint8Array[];
  server: Uint8Array[];
}

/** A running relay: its port, what it has recorded so far, and how to close it. */
export interface Relay {
  port: number;
  /** every connection's reads together */
  recording: Recording;
  /** each connection's, in the order they were opened */
  connections: Connection[];
  close(): void;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts a relay to `targetPort`; returns its port, the recording and a close function. */
export async function startRecordingRelay(targetPort: number): Promise<Relay> {
  const recording: Recording = { client: [], server: [], order: [] };
  const connections: Connection[] = [];
  const relay = net.createServer((down) => {
    const conn: Connection = { client: [], server: [] };
    connections.push(conn);
    const up = net.connect(targetPort, "127.0.0.1");
    down.on("data", (b: Uint8Array) => {
      recording.client.push(new Uint8Array(b));
      conn.client.push(new Uint8Array(b));
      recording.order.push(`c${b.length}`);
      up.write(b);
    });
    up.on("data", (b: Uint8Array) => {
      recording.server.push(new Uint8Array(b));
      conn.server.push(new Uint8Array(b));
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
  return { port, recording, connections, close: () => relay.close() };
}

/** Starts `server` on a free port of 127.0.0.1 and a recording relay in front of it. */
export async function relayTo(server: net.Server): Promise<Relay> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return startRecordingRelay((server.address() as net.AddressInfo).port);
}

/** Closes an HTTP/2 client session 50 ms after its last stream (node:http2 `close`). */
export async function closeSession(session: { close(callback: () => void): void }) {
  await sleep(50);
  await new Promise<void>((r) => session.close(() => r()));
}

/**
 * Ends a recording: closes the client (`closeClient`), lets its last bytes cross the relay
 * (50 ms), closes the relay and the server, and returns what the relay recorded.
 */
export async function endRecording(
  relay: Relay,
  server: { close(): unknown },
  closeClient: () => unknown,
): Promise<Recording> {
  await closeClient();
  await sleep(50);
  relay.close();
  server.close();
  return relay.recording;
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

/** A generator's command line without `--update`: one line and exit 2 (the fixture is committed). */
export function requireUpdate(): void {
  if (!Deno.args.includes("--update")) {
    console.error("refusing to overwrite the fixture without --update");
    Deno.exit(2);
  }
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
  requireUpdate();
  const rec = await record();
  writeRecording(out, rec, meta(rec));
  console.log(`wrote ${filePath(out)}: ${rec.order.length} reads`);
}

export { concatBytes as concat };
