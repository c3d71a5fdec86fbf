/**
 * Reading a recording back without DuckDB: its manifest, its rows, and the TLS byte streams
 * rebuilt per connection and direction. Used by tests and small tools; the analysis
 * pipeline has its own DuckDB loader.
 */
import { readArrowRows } from "./arrow_reader.ts";
import { type Manifest, readManifest } from "./manifest.ts";
import type { FileRow, IpcRow, NetRow, PrivilegeRow, ProcessRow, TlsRow } from "./schema.ts";
import { concatBytes } from "../kit/bytes.ts";
import { isFile } from "../kit/files.ts";

export interface Recording {
  dir: string;
  manifest: Manifest;
  process: ProcessRow[];
  file: FileRow[];
  net: NetRow[];
  tls: TlsRow[];
  /** empty for recordings made before privilege.arrow existed */
  privilege: PrivilegeRow[];
  /** ipc.arrow's rows; empty when the recording has none (capture --no-ipc) */
  ipc: IpcRow[];
}

export function readRecording(dir: string): Recording {
  return {
    dir,
    manifest: readManifest(dir),
    process: readArrowRows(`${dir}/process.arrow`) as unknown as ProcessRow[],
    file: readArrowRows(`${dir}/file.arrow`) as unknown as FileRow[],
    net: readArrowRows(`${dir}/net.arrow`) as unknown as NetRow[],
    tls: readArrowRows(`${dir}/tls.arrow`) as unknown as TlsRow[],
    privilege: isFile(`${dir}/privilege.arrow`)
      ? readArrowRows(`${dir}/privilege.arrow`) as unknown as PrivilegeRow[]
      : [],
    ipc: isFile(`${dir}/ipc.arrow`) ? readArrowRows(`${dir}/ipc.arrow`) as unknown as IpcRow[] : [],
  };
}

export interface TlsStream {
  pid: number;
  connId: bigint;
  connGen: number;
  lib: string;
  write: Uint8Array;
  read: Uint8Array;
  /** seq numbers missing, truncated calls, bytes lost */
  gaps: number;
  truncated: boolean;
  lost: number;
}

/** A TLS connection's key: its process, connection id and generation (a reused id's next). */
export const connKey = (r: { pid: number; conn_id: bigint; conn_gen: number }): string =>
  `${r.pid}:${r.conn_id}:${r.conn_gen}`;

/** Concatenates `data` per (pid, conn_id, conn_gen, direction) in `seq` order. */
export function tlsStreams(rows: TlsRow[]): TlsStream[] {
  const groups = Map.groupBy(rows, connKey);
  const out: TlsStream[] = [];
  for (const rs of groups.values()) {
    const s: TlsStream = {
      pid: rs[0].pid,
      connId: rs[0].conn_id,
      connGen: rs[0].conn_gen,
      lib: rs[0].lib,
      write: new Uint8Array(0),
      read: new Uint8Array(0),
      gaps: 0,
      truncated: false,
      lost: 0,
    };
    for (const dir of ["write", "read"] as const) {
      const calls = rs.filter((r) => r.direction === dir).sort((a, b) => Number(a.seq - b.seq));
      let expect = 0n;
      for (const c of calls) {
        if (c.seq !== expect) s.gaps++;
        expect = c.seq + 1n;
        if (c.truncated) s.truncated = true;
        s.lost += Number(c.lost);
      }
      s[dir] = concatBytes(calls.map((c) => c.data));
    }
    out.push(s);
  }
  return out;
}
