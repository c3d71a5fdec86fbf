/**
 * A worker that reads a recording's tls.arrow and builds its HTTP and LLM rows
 * (`buildHttpTables`), so that parsing runs on a second core while the main thread loads the
 * raw tables into DuckDB. Message in: `{dir, recording, prices}`; out: `{tables}` or `{error}`.
 */
/// <reference lib="deno.worker" />
import { tlsView } from "./byte_streams.ts";
import { buildHttpTables, type HttpTables } from "./http_tables.ts";
import type { PriceTable } from "./pricing.ts";
import { readTable } from "./recording_input.ts";
import { rawTlsTable } from "./schema.ts";

export interface ParseRequest {
  dir: string;
  recording: string;
  prices: PriceTable;
}

export type ParseReply = { tables: HttpTables } | { error: string };

self.onmessage = async (e: MessageEvent<ParseRequest>) => {
  try {
    const { dir, recording, prices } = e.data;
    const tls = readTable(dir, rawTlsTable);
    const tables = await buildHttpTables(recording, tlsView(tls), prices);
    self.postMessage({ tables } satisfies ParseReply);
  } catch (err) {
    self.postMessage({ error: (err as Error).message } satisfies ParseReply);
  }
};
