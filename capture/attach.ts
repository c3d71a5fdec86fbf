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
import {
  cachedInspection,
  type CaptureCaches,
  type FileStamp,
  inspectFileCached,
  sameFile,
  stampOf,
  unchanged,
} from "./inspect_cache.ts";
import { type Hook, type Inspection, PER_DIRECTION_CONTEXT, PROBES } from "./tls_targets.ts";
import type { HookCheck } from "./hook_verifier.ts";
import { whichSync } from "./which.ts";
import { OFF_THREAD_MIN_BYTES, OffThreadInspector } from "./off_thread.ts";

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
  /** the hook's target id (the TLS rows' cookie): all probes of one hook share it */
  target?: number;
  /** detached at run time because the hook proved wrong */
  detached?: boolean;
  /** a probe of this candidate failed to attach: it was taken off and the locator's next
   * candidate for the function attached in its place (see that hook's check's `action`) */
  replaced?: boolean;
}

/** The run-time check of one hook (hook_verifier.ts), as the attach report shows it. */
export interface HookReport extends Omit<HookCheck, "target"> {
  fn: string;
  offset: string;
  /** which of the locator's candidates this hook is, e.g. "2 of 3" */
  candidate?: string;
  /** what was done about it, e.g. "detached; trying candidate 2 of 3 at 0x..." */
  action?: string;
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
  /** each hook's run-time check: whether its bytes looked like plaintext */
  checks?: HookReport[];
  /** how the file was found: "preattach", "exec", "mmap", or "running" (mapped by a process
   * joined with --pid or --comm before the capture joined it: `runningCodeFiles`) */
  seenBy: string;
  inspectMs: number;
  /** inspected again: the gate found the file changed (its size, mtime or ctime) since it was
   * inspected, in this capture or an earlier one (written in place, or its inode reused) */
  changed?: true;
}

export interface CookieInfo {
  lib: string;
  fn: string;
  hook: Hook;
  entry: ReportEntry;
  /** which candidate of the locator this is (1 = its first choice) and of how many */
  candidate: number;
  candidates: number;
  /** set when the hook was dropped */
  action?: string;
}

/** Extra inspection for files without exported TLS symbols (the static-binary locator). */
export type Locator = (
  path: string,
  insp: Inspection,
  /** the locator's cache directory (default its own, `.cache/locate`) */
  cacheDir?: string,
  /** hears why its cache could not be written (its answer stands) */
  onCacheError?: (why: string) => void,
  /** where to do the work, given for a big file: not on the capture's main thread */
  offThread?: OffThreadInspector,
) => Promise<Inspection>;

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

/**
 * The loader's `known` arguments: the file, and the size and times it had when it was inspected
 * (mtime in ms, ctime in s, as stat gave them), which the gate compares with the inode's before
 * it lets the file through; without a stamp of that very file (the path holds another now),
 * the file alone.
 */
function knownArgs(fid: FileId, stamp: FileStamp | undefined): (bigint | number)[] {
  const same = stamp && userDevToKernel(stamp.dev) === fid.dev && BigInt(stamp.ino) === fid.ino;
  return same
    ? [fid.dev, fid.ino, stamp.size, stamp.mtime, Math.floor(stamp.ctime / 1000)]
    : [fid.dev, fid.ino];
}

export class AttachManager {
  #loader: LoaderClient;
  #locator?: Locator;
  #caches?: CaptureCaches;
  #done = new Map<string, Promise<ReportEntry>>();
  /** files whose stamp was given to the kernel side again (it still saw them changed) */
  #restamped = new Set<string>();
  /** each file (device:inode) as it was when it was inspected, as the kernel side was told */
  #stamps = new Map<string, FileStamp | undefined>();
  #cookies = new Map<number, CookieInfo>();
  #nextCookie = 1;
  #trackingFds = false;
  readonly entries: ReportEntry[] = [];
  /** files seen through the gate whose path could not be found */
  readonly unresolved: { pid: number; dev: string; ino: string; reason: string }[] = [];
  /** files inspected with nothing to hook in them, stamped before (for later captures: preknown) */
  readonly nothingToHook: FileStamp[] = [];
  /** files earlier captures listed that preknown found gone or changed (dropped from the list) */
  readonly goneFromList: FileStamp[] = [];
  /** files the kernel side could not be told were inspected (its map of known files full, or
   * the update failed otherwise), by device:inode: the gate stops at each use of them */
  readonly #notKnown = new Map<string, NotKnown>();
  /** the first reason an inspection or the locator's answer could not be cached */
  #cacheError?: string;
  #noteCacheError = (why: string) => this.#cacheError ??= why;
  /** where big files are inspected: a worker, so that the gate's other stops are answered
   * meanwhile (started at the first big file not in the caches) */
  readonly #offThread = new OffThreadInspector();

  /** `caches`: where inspections and the locator's answers are kept (default the project's) */
  constructor(loader: LoaderClient, locator?: Locator, caches?: CaptureCaches) {
    this.#loader = loader;
    this.#locator = locator;
    this.#caches = caches;
  }

  cookie(id: number): CookieInfo | undefined {
    return this.#cookies.get(id);
  }

  /**
   * Inspects and hooks `path` once per (dev, inode); later calls share the first's result.
   * `changed`: the gate said the file it knew by that (dev, inode) has changed since: it is
   * inspected again, unless it was already at its size and times now.
   */
  ensure(path: string, seenBy: string, id?: FileId, changed = false): Promise<ReportEntry> {
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
    const p = this.#done.get(key);
    if (p && !changed) return p;
    const stamp = stampOf(path);
    // several reports of one change: the first inspects it again, the others share that
    const was = this.#stamps.get(key);
    if (p && was && stamp && sameFile(was, stamp)) {
      // the kernel side still sees a change stat does not (its stamp is older than the one
      // inspected): given the stamp again; should it say so once more, the file is trusted by
      // device and inode alone from then on, said, rather than stopped at every use
      const again = this.#restamped.has(key);
      this.#restamped.add(key);
      if (again) {
        this.unresolved.push({
          pid: 0,
          dev: String(fid.dev),
          ino: String(fid.ino),
          reason: `${path}: the kernel sees its size or times other than stat(2) does; ` +
            "trusted by device and inode alone from now on (a change in place is not seen)",
        });
      }
      return p.then(async (e) => {
        await this.#tellKnown(path, again ? [fid.dev, fid.ino] : knownArgs(fid, stamp));
        return e;
      });
    }
    this.#stamps.set(key, stamp);
    // inspected again; the hooks placed before the change come off unless they are the very
    // same (their offsets are the old contents': a breakpoint there could land inside other
    // code), while the process that reported it waits
    const next = p
      ? p.catch(() => undefined).then((old) =>
        this.#inspectAndAttach(path, fid, seenBy, stamp, changed, old)
      )
      : this.#inspectAndAttach(path, fid, seenBy, stamp, changed);
    this.#done.set(key, next);
    return next;
  }

  /** Whether a file was already handled (the gate may report it again before `known`). */
  has(id: FileId): boolean {
    return this.#done.has(`${id.dev}:${id.ino}`);
  }

  async #inspectAndAttach(
    path: string,
    fid: FileId,
    seenBy: string,
    stamp: FileStamp | undefined,
    changed: boolean,
    old?: ReportEntry,
  ): Promise<ReportEntry> {
    const t0 = performance.now();
    // a big file not in the caches is inspected in the worker; a small one takes milliseconds
    const offThread = (stamp?.size ?? 0) >= OFF_THREAD_MIN_BYTES ? this.#offThread : undefined;
    const dir = this.#caches?.inspect;
    let insp = cachedInspection(path, dir) ??
      (offThread
        ? await offThread.inspect(path, dir, this.#noteCacheError)
        : inspectFileCached(path, dir, this.#noteCacheError));
    const unlookedAt = insp.status === "unlocated" && !this.#locator;
    if (insp.status === "unlocated") {
      try {
        insp = this.#locator
          ? await this.#locator(path, insp, this.#caches?.locate, this.#noteCacheError, offThread)
          : { ...insp, status: "none", reason: "no exported TLS symbols" };
      } catch (e) {
        insp = { ...insp, status: "error", reason: `locator failed: ${(e as Error).message}` };
      }
    }
    if (old) {
      if (insp.status === "hooked" && this.#holdsHooks(old, insp.hooks)) {
        // the same hooks at the same places (a hard link made, a chmod: its ctime moved, not
        // its code): the probes stay, the kernel side is given the file's new stamp
        await this.#known(path, fid, stamp, true);
        return old;
      }
      await this.#detachAll(old);
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
      ...(changed ? { changed: true as const } : {}),
    };
    if (insp.status === "hooked") {
      await Promise.all(
        insp.hooks.map((h) => this.#attachHook(entry, path, h, 1, 1 + (h.alternates?.length ?? 0))),
      );
      const failed = attachFailure(entry.probes);
      if (failed) Object.assign(entry, { status: "error", reason: failed });
      if (!this.#trackingFds && insp.hooks.some((h) => PER_DIRECTION_CONTEXT.has(h.fn))) {
        // per-direction contexts: have the kernel side say which socket each one uses
        this.#trackingFds = true;
        await this.#loader.command("trackfds");
      }
    }
    await this.#known(path, fid, stamp, changed);
    // "none" without a locator means "not looked at": a later capture with one must look
    if (entry.status === "none" && stamp && !path.startsWith("/proc/") && !unlookedAt) {
      // this file's stamp replaces an earlier one of the same path (it changed since)
      const was = this.nothingToHook.findIndex((s) => s.path === stamp.path);
      if (was >= 0) this.nothingToHook.splice(was, 1);
      this.nothingToHook.push(stamp);
    }
    return this.#record(entry);
  }

  /**
   * Tells the kernel side that the files earlier captures found nothing to hook in
   * (inspect_cache.ts readNothingToHook) are known, those still unchanged, so the gate lets
   * their execs and maps through. Sends the commands at once (a `go` sent after them comes
   * after them); resolves to how many files the loader took.
   */
  preknown(stamps: readonly FileStamp[]): Promise<number> {
    const sent: Promise<boolean>[] = [];
    const live = unchanged(stamps);
    const isLive = new Set(live);
    this.goneFromList.push(...stamps.filter((s) => !isLive.has(s)));
    for (const s of live) {
      const fid = { dev: userDevToKernel(s.dev), ino: BigInt(s.ino) };
      const key = `${fid.dev}:${fid.ino}`;
      if (this.#done.has(key)) continue;
      this.#stamps.set(key, s);
      this.#done.set(
        key,
        Promise.resolve({
          path: s.path,
          dev: String(fid.dev),
          ino: String(fid.ino),
          status: "none",
          probes: [],
          seenBy: "earlier capture",
          inspectMs: 0,
        }),
      );
      this.nothingToHook.push(s);
      sent.push(this.#tellKnown(s.path, knownArgs(fid, s)));
    }
    return Promise.all(sent).then((ok) => ok.filter(Boolean).length);
  }

  /**
   * Attaches all probes of one hook under one cookie (its target id). When one of them fails
   * to attach and the locator had other candidates for the function, those that did attach
   * come off and the next candidate is attached in its place (and so on), said in the hook's
   * `action`; the last candidate's failure stands (`attachFailure`). When those that did attach
   * cannot be taken off, no other candidate is tried (two would be live): the failure stands.
   */
  async #attachHook(
    entry: ReportEntry,
    path: string,
    h: Hook,
    candidate: number,
    candidates: number,
  ): Promise<number> {
    const cookie = this.#nextCookie++;
    const info: CookieInfo = { lib: path, fn: h.fn, hook: h, entry, candidate, candidates };
    this.#cookies.set(cookie, info);
    const attaches: Promise<void>[] = [];
    if (h.entry) attaches.push(this.#attach(entry, path, h, cookie, h.entry, h.offset, false));
    if (h.ret) attaches.push(this.#attach(entry, path, h, cookie, h.ret, h.offset, true));
    for (const off of h.atRet ? h.retOffsets ?? [] : []) {
      attaches.push(this.#attach(entry, path, h, cookie, h.atRet!, off, false));
    }
    await Promise.all(attaches);
    const mine = entry.probes.filter((p) => p.target === cookie);
    const failed = mine.find((p) => !p.ok);
    const next = h.alternates?.[0];
    if (!failed || !next || info.action) return cookie;
    // this candidate cannot be hooked here (the kernel refused a probe): the next one is tried
    let action = `${failed.kind} at ${failed.offset} failed to attach: ` +
      (failed.error ?? "no reason given");
    if (mine.some((p) => p.ok)) {
      // taken before the wait: a run-time verdict on this cookie meanwhile (dropHook) must not
      // attach the next candidate too
      info.action = `${action}; detaching its other probes`;
      const r = await this.#loader.command("detach", cookie);
      if (r.err !== 0) {
        // its working probes stay live: the next candidate is not attached beside them, and
        // this one's failure stands (attachFailure counts it)
        const why = `detaching its other probes failed (${r.text}); ` +
          `candidate ${candidate + 1} of ${candidates} not tried`;
        failed.error = `${failed.error ?? "no reason given"}; ${why}`;
        info.action = `${action}; ${why}`;
        return cookie;
      }
      for (const p of mine) if (p.ok) p.detached = true;
      action += "; the others detached";
    }
    for (const p of mine) p.replaced = true;
    const n = candidate + 1;
    info.action = action +
      `; trying candidate ${n} of ${candidates} at 0x${next.offset.toString(16)}`;
    return this.#attachHook(
      entry,
      path,
      { ...next, alternates: h.alternates!.slice(1) },
      n,
      candidates,
    );
  }

  /**
   * Tells the kernel side the file is known, stamped with `stamp` when that is the file's own;
   * a changed file without a stamp of its own (its path gone, or holding another file now)
   * keeps the kernel's old stamp: reported again at its next use rather than trusted unstamped.
   */
  async #known(
    path: string,
    fid: FileId,
    stamp: FileStamp | undefined,
    changed: boolean,
  ): Promise<void> {
    const args = knownArgs(fid, stamp);
    if (changed && args.length === 2) return;
    await this.#tellKnown(path, args);
  }

  /**
   * Every `known` goes through here: one the loader refused (the kernel's map of known files
   * full, say) is kept for the attach report (`not_known`) and the end's warning, as the gate
   * then stops every process at each use of that file. Resolves to whether the kernel side
   * took it (false too when the loader had gone: nothing to say then).
   */
  async #tellKnown(path: string | undefined, args: (bigint | number)[]): Promise<boolean> {
    const r = await this.#loader.command("known", ...args);
    if (r.err === 0 || r.gone) return r.err === 0;
    const key = `${args[0]}:${args[1]}`;
    const was = this.#notKnown.get(key);
    if (was) was.error = r.text;
    else {
      this.#notKnown.set(key, {
        path: path ?? "?",
        dev: String(args[0]),
        ino: String(args[1]),
        error: r.text,
      });
    }
    return false;
  }

  /** The end's warning when the inspection worker failed (its files were inspected on the
   * main thread instead), or undefined. */
  workerWarning(): string | undefined {
    return this.#offThread.warning();
  }

  /** Ends the inspection worker, if one was started (at the capture's end; `abandon`: what it
   * was still inspecting is not needed any more, OffThreadInspector.close). */
  close(abandon = false): void {
    this.#offThread.close(abandon);
  }

  /** Why what was learnt of a file could not be cached (the first such failure), if it could not. */
  cacheError(): string | undefined {
    return this.#cacheError;
  }

  /** The files the kernel side could not be told of (see #tellKnown), oldest first. */
  notKnown(): NotKnown[] {
    return [...this.#notKnown.values()];
  }

  /** Whether the live probes of `entry` are exactly those `hooks` would place. */
  #holdsHooks(entry: ReportEntry, hooks: readonly Hook[]): boolean {
    const key = (h: Hook) =>
      JSON.stringify([h.fn, h.offset, h.entry, h.ret, h.atRet, h.retOffsets, h.ctxArg, h.lenArg]);
    const live = [...this.#cookies.values()].filter((i) => i.entry === entry && !i.action)
      .map((i) => key(i.hook)).sort();
    const want = hooks.map(key).sort();
    return entry.probes.every((p) => p.ok && !p.detached) &&
      JSON.stringify(live) === JSON.stringify(want);
  }

  /** Detaches every probe of `entry` still attached (its file changed since it was hooked). */
  async #detachAll(entry: ReportEntry): Promise<void> {
    // a run-time verdict on one of them arriving later must not detach or replace it again
    for (const info of this.#cookies.values()) {
      if (info.entry === entry && !info.action) info.action = "detached: its file changed";
    }
    const live = new Set(entry.probes.filter((p) => p.ok && !p.detached).map((p) => p.target));
    for (const target of live) {
      if (target === undefined) continue;
      const r = await this.#loader.command("detach", target);
      for (const p of entry.probes) if (p.target === target) p.detached = r.err === 0;
    }
  }

  /**
   * A hook proved wrong at run time: its probes are detached and, when the locator had other
   * candidates for the function, the next one is attached (and checked in its turn).
   */
  async dropHook(target: number): Promise<string | undefined> {
    const info = this.#cookies.get(target);
    if (!info || info.action) return undefined;
    // taken before the wait: a second verdict, or the attach's own fall-through, meanwhile
    // finds it handled
    info.action = "detaching";
    const r = await this.#loader.command("detach", target);
    for (const p of info.entry.probes) if (p.target === target) p.detached = r.err === 0;
    const next = info.hook.alternates?.[0];
    const action = r.err === 0 ? "detached" : `detach failed: ${r.text}`;
    if (next && r.err !== 0) {
      // its probes stay live: the next candidate is not attached beside them (two hooks on one
      // function would record every call twice)
      info.action = action + `; candidate ${info.candidate + 1} of ${info.candidates} not ` +
        `tried while its probes stay attached`;
    } else if (next) {
      const n = info.candidate + 1;
      info.action = action +
        `; trying candidate ${n} of ${info.candidates} at 0x${next.offset.toString(16)}`;
      await this.#attachHook(
        info.entry,
        info.lib,
        { ...next, alternates: info.hook.alternates!.slice(1) },
        n,
        info.candidates,
      );
    } else {
      info.action = action + `; no other candidate: ${info.fn} is not captured in ${info.lib}`;
    }
    return `${info.fn} in ${info.lib}: ${info.action}`;
  }

  /** Adds the run-time checks to the report entries (call before report()). */
  applyChecks(checks: Map<number, HookCheck>): void {
    const byEntry = new Map<ReportEntry, HookReport[]>();
    for (const [target, info] of this.#cookies) {
      if (info.hook.endsConnection) continue;
      const c = checks.get(target);
      const { target: _, ...rest } = c ?? {
        target,
        state: "unverified" as const,
        confidence: 0,
        evidence: "no TLS data seen through this hook",
        plaintext: 0,
        ciphertext: 0,
        undecided: 0,
        dropped_calls: 0,
        dropped_bytes: 0,
      };
      const list = byEntry.get(info.entry) ?? [];
      list.push({
        fn: info.fn,
        offset: "0x" + info.hook.offset.toString(16),
        ...rest,
        ...(info.candidates > 1 ? { candidate: `${info.candidate} of ${info.candidates}` } : {}),
        ...(info.action ? { action: info.action } : {}),
      });
      byEntry.set(info.entry, list);
    }
    for (const [entry, list] of byEntry) entry.checks = list;
  }

  async #attach(
    entry: ReportEntry,
    path: string,
    h: Hook,
    cookie: number,
    prog: string,
    offset: number,
    ret: boolean,
  ) {
    // the eBPF side reads the low 16 bits as the target, and the hook's parameters above
    const param = (h.ctxArg !== undefined ? (h.ctxArg + 1) * 2 ** 32 : 0) +
      (h.lenArg !== undefined ? (h.lenArg + 1) * 2 ** 40 : 0);
    const r = await this.#loader.command(
      "attach",
      cookie + param,
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
      target: cookie,
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
   * `answered` is called once the loader has replied to that `cont` (it has forgotten the
   * stop then), also when inspecting or hooking failed; not when the loader had gone.
   */
  async gate(
    ev: {
      pid: number;
      dev: bigint;
      ino: bigint;
      fd: number;
      reason: number;
      stopped: boolean;
      /** the kernel side knew the file, but it has changed since (Flag.STALE) */
      stale?: boolean;
    },
    fallbackPath?: string,
    answered?: () => void,
  ): Promise<void> {
    const id = { dev: ev.dev, ino: ev.ino };
    try {
      const path = findMappedPath(ev.pid, id, ev.reason === 1, ev.fd) ?? fallbackPath;
      if (path) {
        await this.ensure(path, ev.reason === 1 ? "exec" : "mmap", id, ev.stale);
      } else if (ev.stale) {
        // a file that changed since it was hooked, whose path is gone with the process: its
        // old hooks come off, and the kernel keeps its old stamp, so its next use is reported
        // again (and inspected then), not trusted from now on
        const old = await this.#done.get(`${ev.dev}:${ev.ino}`)?.catch(() => undefined);
        if (old) await this.#detachAll(old);
        this.unresolved.push({
          pid: ev.pid,
          dev: String(ev.dev),
          ino: String(ev.ino),
          reason: "the file changed since it was inspected, and the process was gone before " +
            "its file could be found: its earlier hooks detached, it is inspected at its next use",
        });
      } else {
        this.unresolved.push({
          pid: ev.pid,
          dev: String(ev.dev),
          ino: String(ev.ino),
          reason: "the process was gone before its file could be found",
        });
        await this.#tellKnown(undefined, [ev.dev, ev.ino]);
      }
    } finally {
      if (ev.stopped && !(await this.#loader.command("cont", ev.pid)).gone) answered?.();
    }
  }

  /** The attach report for the manifest (a file inspected again because it changed is listed
   * even when it has nothing to hook). */
  report(): {
    hooked: ReportEntry[];
    not_hooked: ReportEntry[];
    unresolved: unknown[];
    not_known?: { files: number; named: NotKnown[] };
  } {
    const interesting = (e: ReportEntry) => e.status !== "none" || e.changed === true;
    const notKnown = this.notKnown();
    return {
      hooked: this.entries.filter((e) => e.status === "hooked"),
      not_hooked: this.entries.filter((e) => interesting(e) && e.status !== "hooked"),
      unresolved: this.unresolved,
      ...(notKnown.length
        ? { not_known: { files: notKnown.length, named: notKnown.slice(0, NOT_KNOWN_NAMED) } }
        : {}),
    };
  }
}

/**
 * Why a file whose hooks were attached is not hooked, or undefined when it is: a probe of a
 * function that carries plaintext (not one that only ends a connection, like SSL_free) failed
 * to attach — that direction's bytes, or all of them, are not recorded — or no probe attached.
 * Says which functions failed, with the first error, and which carrying ones did attach.
 */
export function attachFailure(probes: readonly AttachedProbe[]): string | undefined {
  const carries = (p: AttachedProbe) => PROBES[p.fn]?.endsConnection !== true;
  // a failed candidate another took the place of is not a failure of the file's hooks
  const failed = probes.filter((p) => !p.ok && !p.replaced && carries(p));
  if (!failed.length) {
    return probes.some((p) => p.ok && !p.replaced) ? undefined : "no probe attached";
  }
  const fns = (ps: AttachedProbe[]) => [...new Set(ps.map((p) => p.fn))].join(", ");
  const ok = probes.filter((p) =>
    p.ok && !p.replaced && carries(p) && !failed.some((f) => f.fn === p.fn)
  );
  return `${ok.length ? `only ${fns(ok)} attached; ` : ""}${fns(failed)} failed to attach: ` +
    (failed.find((p) => p.error)?.error ?? "no reason given");
}

/**
 * The end's warning for the files whose hooks failed to attach (`attachFailure`), or
 * undefined for none: their plaintext, or part of it, is not in the recording.
 */
export function attachFailureWarning(entries: readonly ReportEntry[]): string | undefined {
  const failed = entries.filter((e) => e.status === "error" && e.probes.length);
  if (!failed.length) return undefined;
  const n = failed.length;
  const named = failed.slice(0, ATTACH_FAILED_NAMED).map((e) => `${e.path}: ${e.reason}`);
  return `TLS plaintext not recorded where probes failed to attach: ${named.join("; ")}${
    n > ATTACH_FAILED_NAMED ? `; and ${n - ATTACH_FAILED_NAMED} more files` : ""
  } (manifest.json attach.not_hooked)`;
}

/** How many of the files whose probes failed to attach the end's warning names. */
export const ATTACH_FAILED_NAMED = 5;

/** How many of the files the kernel side could not be told of the attach report names. */
export const NOT_KNOWN_NAMED = 20;

/**
 * A file the kernel side could not be told was inspected (the loader refused `known`), and why:
 * the gate reports and stops every use of it, a round trip to user space each time.
 */
export interface NotKnown {
  path: string;
  dev: string;
  ino: string;
  error: string;
}

/**
 * The end's warning for files the kernel side could not be told of, or undefined for none:
 * one line, with how many, the reason (the first file's), and the first few paths.
 */
export function notKnownWarning(files: readonly NotKnown[]): string | undefined {
  if (!files.length) return undefined;
  const n = files.length;
  const paths = files.slice(0, 3).map((f) => f.path).join(", ");
  return `the kernel side could not be told of ${n} inspected file${n === 1 ? "" : "s"} ` +
    `(${files[0].error}): the gate reported, and stopped, each use of ${
      n === 1 ? "it" : "them"
    } again, a round trip to the capture each time; nothing was lost (` +
    `${paths}${n > 3 ? `, and ${n - 3} more` : ""}; manifest.json attach.not_known)`;
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
  // a file with no name in any directory (a memfd, a deleted file): the process's own link
  // to it still opens it
  const own = isExec ? `/proc/${pid}/exe` : fd >= 0 ? `/proc/${pid}/fd/${fd}` : undefined;
  if (own && matches(own)) return own;
  return undefined;
}

/**
 * The files worth hooking before the command starts: its own binary and the system libssl,
 * each by its real path (symlinks followed), as the kernel names the file once it runs
 * (/proc/PID/exe, /proc/PID/maps, the exec's `exe`): the attach section lists a file under the
 * path its first sighting gave, and the analysis finds a process's files there by that path
 * (analysis/unhooked_files.ts). A command named through a symlinked directory was listed under
 * the link's path, so the `blind` problem said its hooked binary held no TLS stack.
 */
export function preattachCandidates(cmdPath: string | undefined): string[] {
  const out: string[] = [];
  if (cmdPath) {
    out.push(realPathOr(cmdPath));
    const interp = shebangInterpreter(cmdPath);
    if (interp) out.push(realPathOr(interp));
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

/** `path` with its symlinks followed; `path` itself when that fails (gone, or no access). */
function realPathOr(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/**
 * Of the processes running now, those the kernel side traces (the loader's answer for each):
 * after a `--pid` or `--comm` join, the processes joined and their descendants exactly as the
 * loader's trace_existing picked them (and those they started since), so that the code files
 * read for them (`runningCodeFiles`) are those of every process traced, one list for both: a
 * tree computed here again could miss a descendant reparented in between. Throws when the loader
 * cannot say (one built before it could: `make -C bpf`).
 */
export async function tracedNow(loader: LoaderClient): Promise<number[]> {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) if (/^\d+$/.test(e.name)) pids.push(Number(e.name));
  const answers = await Promise.all(pids.map((p) => loader.command("traced", p)));
  const failed = answers.find((a) => a.err !== 0 && !a.gone);
  if (failed) throw new Error(`the loader cannot say which processes it traces: ${failed.text}`);
  return pids.filter((_, i) => answers[i].text === "1");
}

/**
 * The code files the processes `traced` have mapped already (`tracedNow`, after a `--pid` or
 * `--comm` join): every executable mapping of each, their own binary among them, once per file
 * (device and inode). The gate reports only files executed or mapped after the capture joined,
 * so without these a running agent whose TLS is inside its own binary (Bun: Claude Code,
 * opencode; Rust: Codex; a Node built with its OpenSSL inside, as nodejs.org's and nvm's are)
 * would never be hooked. A file deleted or replaced since it was mapped (an agent that updated
 * itself while it ran) is named by its `/proc/PID/map_files/` link, which opens the mapped file
 * itself.
 */
export function runningCodeFiles(traced: readonly number[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pid of [...traced].sort((a, b) => a - b)) {
    let maps: string;
    try {
      maps = Deno.readTextFileSync(`/proc/${pid}/maps`);
    } catch {
      continue; // gone
    }
    for (const line of maps.split("\n")) {
      // address perms offset dev inode path
      const m = line.match(/^(\S+) \S\S(x)\S \S+ (\S+) (\d+)\s+(\/.*)$/);
      if (!m || m[4] === "0") continue;
      const key = `${m[3]} ${m[4]}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // the path as this capture sees it, else as the process sees it (another mount
      // namespace), else the mapping's own link; the same file by device and inode (an inode
      // number alone names another file on another file system: a tmpfs's first file is 2 in
      // every tmpfs)
      const [major, minor] = m[3].split(":").map((h) => BigInt(parseInt(h, 16)));
      const dev = (major << 20n) | minor;
      const holds = (p: string) => {
        try {
          const st = Deno.statSync(p);
          return String(st.ino) === m[4] && userDevToKernel(st.dev) === dev;
        } catch {
          return false; // not at that path any more
        }
      };
      const inRoot = `/proc/${pid}/root${m[5]}`;
      out.push(
        m[5].endsWith(" (deleted)")
          ? `/proc/${pid}/map_files/${m[1]}`
          : holds(m[5])
          ? m[5]
          : holds(inRoot)
          ? inRoot
          : `/proc/${pid}/map_files/${m[1]}`,
      );
    }
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
