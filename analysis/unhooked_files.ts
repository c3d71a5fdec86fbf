/**
 * What a recording says of the files a process that connected to port 443 with no TLS recorded
 * ran and loaded (https_unrecorded.sql, its `blind` problem in analyze.ts): each file's state
 * in manifest.json's attach section — hooked, not hooked (unsupported, or an error: with the
 * capture's reason), hooked but with no data through any of its hooks at run time (said so:
 * hooks in the wrong place look like that), or absent, which means inspected and judged to hold
 * no TLS stack of its own (files with nothing to hook are not listed there) when the section lists every file it
 * looked for, and only "not inspected, or judged to hold none" when it lists some it could not
 * find (`unresolved`) or is missing — so that the problem names where an unhooked TLS stack may
 * be instead of pointing at the whole manifest. Files are matched by their whole path (only
 * the merged-/usr aliases made one), never by base name.
 *
 * Of the libraries a process opened (the `file` table's opens of `*.so*` and `*.node`: the
 * dynamic loader's and dlopen's alike), those named are the ones the attach section lists as
 * not hooked, and those outside the dynamic loader's default directories (`/lib`, `/usr/lib`,
 * their multiarch and 32/64 directories) and the runtime-owned module directories (Python's
 * lib-dynload, gconv, sasl2): an application's own libraries, Node addons and
 * Python extensions, where a TLS stack of its own is linked in (GitHub Copilot CLI's
 * `runtime.node`), rather than the system's, whose TLS libraries are hooked by name.
 *
 * A Java VM (its executable or a library it opened is `libjvm.so`) is said as such first: its
 * TLS is Java's own (JSSE), bytecode the JIT compiles into memory no file holds, which no
 * uprobe can hook, so no file it names holds a TLS stack to report (OpenJDK 17 probed so,
 * reports/coverage/runtimes.md).
 */

/** A file's state in the attach section. */
export interface AttachState {
  status: string;
  reason?: string;
  /** a hooked file whose every hook the capture's run-time check (its `checks`) saw no data
   * through: the functions hooked, by name */
  silent?: string[];
}

/**
 * The functions of an entry's run-time checks when none of them saw a connection's bytes
 * (plaintext, ciphertext or undecided all 0), else undefined (no checks: not said).
 */
function silentHooks(checks: unknown): string[] | undefined {
  if (!Array.isArray(checks) || !checks.length) return undefined;
  const fns: string[] = [];
  for (const c of checks) {
    const { fn, plaintext, ciphertext, undecided } = (c ?? {}) as Record<string, unknown>;
    if (typeof fn !== "string") return undefined;
    if ([plaintext, ciphertext, undecided].some((n) => typeof n !== "number" || n !== 0)) {
      return undefined;
    }
    if (!fns.includes(fn)) fns.push(fn);
  }
  return fns;
}

/**
 * The attach section's files by path (`hooked` and `not_hooked`; what is malformed is left
 * out), keyed by their path with the merged-/usr aliases made one (usrPath). `complete`: the
 * section is there and lists no file it could not find (`unresolved`), so a file it does not
 * list was inspected and judged to hold no TLS stack.
 */
export class AttachStates extends Map<string, AttachState> {
  /** the path each key is listed under */
  readonly listedAs = new Map<string, string>();
  complete = false;
}

/** The attach section's files (see AttachStates). */
export function attachStates(attach: unknown): AttachStates {
  const out = new AttachStates();
  const isObject = typeof attach === "object" && attach !== null && !Array.isArray(attach);
  const a = (isObject ? attach : {}) as Record<string, unknown>;
  for (const key of ["hooked", "not_hooked"]) {
    const list = a[key];
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      const { path, status, reason, checks } = (e ?? {}) as Record<string, unknown>;
      if (typeof path !== "string" || typeof status !== "string") continue;
      const silent = status === "hooked" ? silentHooks(checks) : undefined;
      out.set(usrPath(path), {
        status,
        ...(typeof reason === "string" ? { reason } : {}),
        ...(silent ? { silent } : {}),
      });
      out.listedAs.set(usrPath(path), path);
    }
  }
  out.complete = isObject && Array.isArray(a.hooked) && Array.isArray(a.not_hooked) &&
    (!Array.isArray(a.unresolved) || a.unresolved.length === 0);
  return out;
}

/**
 * A path with the merged-/usr aliases made one: `/lib*`, `/bin` and `/sbin` are `/usr`'s (the
 * attach section names a file as its mappings showed it; the dynamic loader opens it through
 * `/lib`). Nothing else: a file of the same base name elsewhere is another file.
 */
export function usrPath(path: string): string {
  return /^\/(lib|lib32|lib64|libx32|bin|sbin)(\/|$)/.test(path) ? `/usr${path}` : path;
}

/** The path the attach section lists a file under, by its whole path; null: not listed. */
export function listedPath(states: AttachStates, path: string): string | null {
  return states.listedAs.get(usrPath(path)) ?? null;
}

/** A file's state (null: not listed). */
export function stateOf(states: AttachStates, path: string): AttachState | null {
  return states.get(usrPath(path)) ?? null;
}

/**
 * A library that is not the application's own: one in the dynamic loader's default
 * directories (the system's), or in a directory a runtime or libc loads its own modules from
 * (Python's `lib-dynload`, wherever that Python is installed; glibc's `gconv`; Cyrus SASL's
 * `sasl2`), which a process opens first and which link the system's TLS libraries if any.
 */
export function systemLibrary(path: string): boolean {
  return /^\/(usr\/)?lib(32|64|x32)?\/([a-z0-9_]+-linux-[a-z0-9_]+\/)?[^/]+$/.test(path) ||
    /\/(lib-dynload|gconv|sasl2)\/[^/]+$/.test(path);
}

/** A state in words; `complete`: whether a file not listed was inspected (AttachStates). */
export function stateWords(s: AttachState | null, complete = true): string {
  if (!s) {
    return complete
      ? "no TLS stack found in it"
      : "not in manifest.json's attach section: not inspected, or judged to hold no TLS stack";
  }
  if (s.status === "hooked" && s.silent) {
    // hooks placed (by a locator's guess, or a cached answer of another file) where its TLS
    // does not run look so: opencode 1.17.0's at file offsets 0x2000 off, mid-function
    return `hooked, but no TLS data went through its hooks (${s.silent.join(", ")}): ` +
      "they are not where its TLS runs, or its TLS went through other code";
  }
  if (s.status === "hooked") return "hooked";
  return `not hooked: ${s.reason ?? s.status}`;
}

/** Whether `exe` or one of `libs` is a Java VM's `libjvm.so` (see the top). */
export function javaVm(exe: string | null, libs: readonly string[] | null): boolean {
  return [exe, ...(libs ?? [])].some((f) => f !== null && /(^|\/)libjvm\.so$/.test(f));
}

/** What describeFiles says first of a Java VM. */
export const JAVA_VM_WORDS = "a Java VM: its TLS is Java's own (JSSE), bytecode compiled at run " +
  "time that the capture cannot hook, so its HTTPS cannot be recorded";

/** How many libraries one process's part of the message names. */
export const LIBS_NAMED = 3;

/**
 * One process's files in words: its executable and the libraries worth naming (see the top),
 * or that the recording holds no library it opened. `libs`: null when none was recorded.
 */
export function describeFiles(
  states: AttachStates,
  exe: string | null,
  libs: readonly string[] | null,
): string {
  const parts = [
    ...(javaVm(exe, libs) ? [JAVA_VM_WORDS] : []),
    exe
      ? `ran ${exe} (${stateWords(stateOf(states, exe), states.complete)})`
      : "its executable is not recorded",
  ];
  if (!libs?.length) {
    parts.push("no library it opened is recorded");
  } else {
    // those the attach section lists as not hooked first, then the application's own
    const listed = libs.filter((l) => (stateOf(states, l)?.status ?? "hooked") !== "hooked");
    const own = libs.filter((l) => !stateOf(states, l) && !systemLibrary(l));
    const named = [...listed, ...own];
    if (!named.length) {
      parts.push(`loaded only the system's libraries (${libs.length}), none of them left unhooked`);
    } else {
      const shown = named.slice(0, LIBS_NAMED).map((l) =>
        `${l} (${stateWords(stateOf(states, l), states.complete)})`
      );
      const more = named.length > LIBS_NAMED ? ` and ${named.length - LIBS_NAMED} more` : "";
      parts.push(`loaded ${shown.join(", ")}${more}`);
    }
  }
  return parts.join("; ");
}

/**
 * Whether a file of the process already has a problem of its own: it is listed in the attach
 * section and a `capture` problem names it (the capture's warning of probes that failed to
 * attach, or of a hook dropped at run time).
 */
export function saidAlready(
  states: AttachStates,
  files: readonly string[],
  problems: readonly { source: string; message: string }[],
): boolean {
  return files.some((f) => {
    const listed = listedPath(states, f);
    if (listed === null) return false;
    // the whole path, as a capture message names it (`PATH:`, `PATH (`, `PATH,`, at the end)
    const named = new RegExp(`(^|[\\s(])${escapeRegExp(listed)}(?=[:,;)\\s]|$)`);
    return problems.some((p) => p.source === "capture" && named.test(p.message));
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
