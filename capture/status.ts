/**
 * What capture tells the user: a live line on a terminal (events/s, TLS bytes, HTTP
 * requests seen, drops, rows a full disk holds back or cost) and the summary printed at the end.
 */
import type { Manifest } from "../recording/manifest.ts";

const METHODS = ["GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS "].map((m) =>
  new TextEncoder().encode(m)
);

/** Whether a written chunk begins an HTTP/1 request, or is an HTTP/2 client preface. */
export function startsRequest(b: Uint8Array): boolean {
  if (b.length >= 3 && b[0] === 0x50 && b[1] === 0x52 && b[2] === 0x49) return true; // "PRI"
  return METHODS.some((m) => m.length <= b.length && m.every((x, i) => b[i] === x));
}

export class Counters {
  events = 0;
  tlsBytes = 0;
  httpRequests = 0;
  drops = 0;
  /** rows held in memory while the disk refuses them, and rows it cost (record_sink.ts) */
  diskHeld = 0;
  diskLost = 0;
  #lastEvents = 0;
  #lastT = performance.now();

  /** One status line; `rate` is events per second since the previous call. */
  line(): string {
    const t = performance.now();
    const rate = ((this.events - this.#lastEvents) * 1000) / Math.max(1, t - this.#lastT);
    this.#lastEvents = this.events;
    this.#lastT = t;
    return `sightline: ${this.events} events (${Math.round(rate)}/s) · TLS ${
      fmtBytes(this.tlsBytes)
    } · ` +
      `${this.httpRequests} HTTP requests · ${this.drops} dropped` +
      (this.diskHeld || this.diskLost
        ? ` · disk full: ${this.diskHeld} rows held, ${this.diskLost} lost`
        : "");
  }
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * What the recording cannot show, for the summary: what this run ran into (io_uring requests
 * not decoded, io_uring not attached) and the kernel's hooks in full, the standing blind spots
 * by title; an empty table is no proof that nothing happened along them.
 */
export function blindSpotLines(m: Manifest): string[] {
  const spots = m.blind_spots ?? [];
  if (!spots.length) return [];
  const lines = ["  blind spots (what this recording cannot show; an empty table proves nothing):"];
  const full = spots.filter((b) => b.id.startsWith("io_uring") || b.id === "kernel-hooks");
  for (const b of full) lines.push(`    ${b.title ?? b.id}: ${b.what}`);
  const rest = spots.filter((b) => !full.includes(b)).map((b) => b.title ?? b.id);
  if (rest.length) lines.push(`    also: ${rest.join("; ")} (manifest.json blind_spots)`);
  return lines;
}

/** The end-of-capture summary, several lines. */
export function summary(dir: string, m: Manifest): string {
  const lines: string[] = [];
  const t = m.tables;
  const rows = Object.entries(t).map(([k, v]) =>
    `${k} ${v.rows}` + (v.lost ? ` (${v.lost} not written: the disk refused them)` : "")
  ).join(", ");
  lines.push(`sightline: recording in ${dir}`);
  lines.push(`  rows: ${rows}; TLS plaintext ${fmtBytes(m.tls_bytes)}`);
  const dropped = Object.entries(m.drops).filter(([, n]) => n > 0);
  const dropText = dropped.length ? dropped.map(([k, n]) => `${k} ${n}`).join(", ") : "none";
  lines.push(
    `  dropped: ${dropText}${m.missed_runs ? `; missed program runs: ${m.missed_runs}` : ""}`,
  );
  const a = m.attach as {
    hooked: {
      path: string;
      library?: string;
      method?: string;
      probes: { ok: boolean; replaced?: boolean; detached?: boolean }[];
      checks?: { fn: string; state: string; plaintext: number; ciphertext: number }[];
    }[];
    not_hooked: { path: string; status: string; reason?: string }[];
  };
  if (a.hooked.length) {
    for (const h of a.hooked) {
      // the live ones: not a candidate taken off for the next, nor a probe detached since
      const ok = h.probes.filter((p) => p.ok && !p.replaced && !p.detached).length;
      // the run-time checks of the hooks that saw data (the others say nothing yet)
      const seen = (h.checks ?? []).filter((c) => c.plaintext || c.ciphertext);
      const checks = seen.length ? `; ${seen.map((c) => `${c.fn} ${c.state}`).join(", ")}` : "";
      lines.push(
        `  hooked: ${h.path} (${h.library ?? "?"}, ${h.method ?? "?"}, ${ok} probes${checks})`,
      );
    }
  } else {
    lines.push("  hooked: no TLS library");
  }
  for (const n of a.not_hooked) {
    lines.push(`  not hooked: ${n.path}: ${n.reason ?? n.status}`);
  }
  lines.push(...blindSpotLines(m));
  for (const w of m.warnings) lines.push(`  warning: ${w}`);
  for (const e of m.errors) lines.push(`  error: ${e}`);
  if (m.exit_code !== null) lines.push(`  command exited with ${m.exit_code}`);
  else if (m.exit_signal !== null) lines.push(`  command killed by signal ${m.exit_signal}`);
  return lines.join("\n");
}
