/**
 * The attach layer: decides which files to hook and hooks each once (by device and inode).
 *
 * Targets come from two places: files known up front (the command's binary, the system
 * libssl) and the gate, which reports every file a traced process executes or maps as code
 * that has not been inspected yet — stopping the process until its hooks are in place. Each
 * file is inspected (exported TLS symbols, or the static-binary locator), its probes attached
 * by file offset with a cookie that names (file, function) in every TLS record, and the
 * outcome kept for the manifest's attach report.
 */
import type { LoaderClient } from "./loader.ts";
import { inspectFileCached } from "./inspect_cache.ts";
import { type Hook, type Inspection, PER_DIRECTION_CONTEXT } from "./tls_targets.ts";
import { whichSync } from "./which.ts";

export { whichSync };

/** How a file is identified: the kernel's dev_t (major << 20 | minor) and inode. */
export interface FileId {
  dev: bigint;
  ino: bigint;
}

export interface AttachedProbe {
  fn: string;
  program: string;
  kind: "uprobe" | "uretprobe";
  offset: string;
  ok: boolean;
  error?: string;
  /** how the offset was found */
  method?: string;
}

export interface ReportEntry {
  path: string;
  dev: string;
  ino: string;
  status: Inspection["status"];
  library?: string;
  method?: string;
  reason?: string;
  buildId?: string;
  /** what the static-binary locator tried, when it ran */
  tried?: string[];
  probes: AttachedProbe[];
  /** how the file was found: "preattach", "exec" or "mmap" */
  seenBy: string;
  inspectMs: number;
}

export interface CookieInfo {
  lib: string;
  fn: string;
}

/** Extra inspection for files without exported TLS symbols (the static-binary locator). */
export type Locator = (path: string, insp: Inspection) => Promise<Inspection>;

/** stat(2)'s st_dev (glibc's encoding) to the kernel's internal dev_t. */
export function userDevToKernel(dev: number): bigint {
  const d = BigInt(dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return (major << 20n) | minor;
}

export function fileIdOf(path: string): FileId {
  const st = Deno.statSync(path);
  return { dev: userDevToKernel(st.dev), ino: BigInt(st.ino ?? 0) };
}

export class AttachManager {
  #loader: LoaderClient;
  #locator?: Locator;
  #done = new Map<string, Promise<ReportEntry>>();
  #cookies = new Map<number, CookieInfo>();
  #nextCookie = 1;
  #trackingFds = false;
  readonly entries: ReportEntry[] = [];
  /** files seen through the gate whose path could not be found */
  readonly unresolved: { pid: number; dev: string; ino: string; reason: string }[] = [];

  constructor(loader: LoaderClient, locator?: Locator) {
    this.#loader = loader;
    this.#locator = locator;
  }

  cookie(id: number): CookieInfo | undefined {
    return this.#cookies.get(id);
  }

  /** Inspects and hooks `path` once per (dev, inode); later calls share the first's result. */
  ensure(path: string, seenBy: string, id?: FileId): Promise<ReportEntry> {
    let fid: FileId;
    try {
      fid = id ?? fileIdOf(path);
    } catch (e) {
      return Promise.resolve(this.#record({
        path,
        dev: "?",
        ino: "?",
        status: "error",
        reason: (e as Error).message,
        probes: [],
        seenBy,
        inspectMs: 0,
      }));
    }
    const key = `${fid.dev}:${fid.ino}`;
    let p = this.#done.get(key);
    if (!p) {
      p = this.#inspectAndAttach(path, fid, seenBy);
      this.#done.set(key, p);
    }
    return p;
  }

  /** Whether a file was already handled (the gate may report it again before `known`). */
  has(id: FileId): boolean {
    return this.#done.has(`${id.dev}:${id.ino}`);
  }

  async #inspectAndAttach(path: string, fid: FileId, seenBy: string): Promise<ReportEntry> {
    const t0 = performance.now();
    let insp = inspectFileCached(path);
    if (insp.status === "unlocated") {
      try {
        insp = this.#locator
          ? await this.#locator(path, insp)
          : { ...insp, status: "none", reason: "no exported TLS symbols" };
      } catch (e) {
        insp = { ...insp, status: "error", reason: `locator failed: ${(e as Error).message}` };
      }
    }
    const entry: ReportEntry = {
      path,
      dev: String(fid.dev),
      ino: String(fid.ino),
      status: insp.status,
      library: insp.library,
      method: insp.method,
      reason: insp.reason,
      buildId: insp.buildId,
      ...(insp.tried ? { tried: insp.tried } : {}),
      probes: [],
      seenBy,
      inspectMs: Math.round(performance.now() - t0),
    };
    if (insp.status === "hooked") {
      const attaches: Promise<void>[] = [];
      for (const h of insp.hooks) {
        if (h.entry) attaches.push(this.#attach(entry, path, h, h.entry, h.offset, false));
        if (h.ret) attaches.push(this.#attach(entry, path, h, h.ret, h.offset, true));
        for (const off of h.atRet ? h.retOffsets ?? [] : []) {
          attaches.push(this.#attach(entry, path, h, h.atRet!, off, false));
        }
      }
      await Promise.all(attaches);
      if (!entry.probes.some((p) => p.ok)) entry.status = "error";
      if (!this.#trackingFds && insp.hooks.some((h) => PER_DIRECTION_CONTEXT.has(h.fn))) {
        // per-direction contexts: have the kernel side say which socket each one uses
        this.#trackingFds = true;
        await this.#loader.command("trackfds");
      }
    }
    await this.#loader.command("known", fid.dev, fid.ino);
    return this.#record(entry);
  }

  async #attach(
    entry: ReportEntry,
    path: string,
    h: Hook,
    prog: string,
    offset: number,
    ret: boolean,
  ) {
    const cookie = this.#nextCookie++;
    this.#cookies.set(cookie, { lib: path, fn: h.fn });
    const r = await this.#loader.command(
      "attach",
      cookie,
      prog,
      offset.toString(16),
      ret ? 1 : 0,
      path,
    );
    entry.probes.push({
      fn: h.fn,
      program: prog,
      kind: ret ? "uretprobe" : "uprobe",
      offset: "0x" + offset.toString(16),
      ok: r.err === 0,
      method: h.method,
      ...(r.err ? { error: r.text } : {}),
    });
  }

  #record(e: ReportEntry): ReportEntry {
    this.entries.push(e);
    return e;
  }

  /**
   * Handles a gate report: finds the file the process executed or mapped, makes sure it is
   * inspected and hooked, tells the kernel side it is known, and resumes the process.
   */
  async gate(
    ev: { pid: number; dev: bigint; ino: bigint; fd: number; reason: number; stopped: boolean },
    fallbackPath?: string,
  ): Promise<void> {
    const id = { dev: ev.dev, ino: ev.ino };
    try {
      const path = findMappedPath(ev.pid, id, ev.reason === 1, ev.fd) ?? fallbackPath;
      if (path) {
        await this.ensure(path, ev.reason === 1 ? "exec" : "mmap", id);
      } else {
        this.unresolved.push({
          pid: ev.pid,
          dev: String(ev.dev),
          ino: String(ev.ino),
          reason: "the process was gone before its file could be found",
        });
        await this.#loader.command("known", ev.dev, ev.ino);
      }
    } finally {
      if (ev.stopped) await this.#loader.command("cont", ev.pid);
    }
  }

  /** The attach report for the manifest. */
  report(): { hooked: ReportEntry[]; not_hooked: ReportEntry[]; unresolved: unknown[] } {
    const interesting = (e: ReportEntry) => e.status !== "none";
    return {
      hooked: this.entries.filter((e) => e.status === "hooked"),
      not_hooked: this.entries.filter((e) => interesting(e) && e.status !== "hooked"),
      unresolved: this.unresolved,
    };
  }
}

/**
 * The path of the file `pid` executes (exe) or has mapped with the given identity. Tries
 * /proc/PID/exe, /proc/PID/fd/FD and /proc/PID/maps; returns a path that opens the same
 * file even across mount namespaces (/proc/PID/root/...).
 */
export function findMappedPath(
  pid: number,
  id: FileId,
  isExec: boolean,
  fd: number,
): string | undefined {
  const matches = (p: string) => {
    try {
      const f = fileIdOf(p);
      return f.dev === id.dev && f.ino === id.ino;
    } catch {
      return false;
    }
  };
  const candidates: string[] = [];
  try {
    if (isExec) candidates.push(Deno.readLinkSync(`/proc/${pid}/exe`));
    else if (fd >= 0) candidates.push(Deno.readLinkSync(`/proc/${pid}/fd/${fd}`));
  } catch { /* gone, or not readable */ }
  try {
    const maps = Deno.readTextFileSync(`/proc/${pid}/maps`);
    for (const line of maps.split("\n")) {
      const m = line.match(/^\S+ \S+ \S+ \S+ (\d+)\s+(\/.*)$/);
      if (m && BigInt(m[1]) === id.ino) candidates.push(m[2].replace(/ \(deleted\)$/, ""));
    }
  } catch { /* gone */ }
  for (const c of candidates) {
    if (matches(c)) return c;
    const inRoot = `/proc/${pid}/root${c}`;
    if (matches(inRoot)) return inRoot;
  }
  return undefined;
}

/** The files worth hooking before the command starts: its own binary and the system libssl. */
export function preattachCandidates(cmdPath: string | undefined): string[] {
  const out: string[] = [];
  if (cmdPath) {
    out.push(cmdPath);
    const interp = shebangInterpreter(cmdPath);
    if (interp) out.push(interp);
  }
  for (
    const p of [
      "/usr/lib/x86_64-linux-gnu/libssl.so.3",
      "/usr/lib/aarch64-linux-gnu/libssl.so.3",
      "/usr/lib64/libssl.so.3",
    ]
  ) {
    try {
      out.push(Deno.realPathSync(p));
    } catch { /* not on this system */ }
  }
  return out;
}

/** The interpreter of a `#!` script (resolving `/usr/bin/env NAME` through PATH). */
export function shebangInterpreter(path: string): string | undefined {
  let head: string;
  try {
    const f = Deno.openSync(path);
    const buf = new Uint8Array(256);
    const n = f.readSync(buf) ?? 0;
    f.close();
    head = new TextDecoder().decode(buf.subarray(0, n));
  } catch {
    return undefined;
  }
  if (!head.startsWith("#!")) return undefined;
  const parts = head.slice(2).split("\n")[0].trim().split(/\s+/);
  if (!parts[0]) return undefined;
  if (parts[0].endsWith("/env")) {
    const name = parts.slice(1).find((p) => !p.startsWith("-"));
    return name ? whichSync(name) : undefined;
  }
  return parts[0];
}
