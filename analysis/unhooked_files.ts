/**
 * What a recording says of the files a process that connected to port 443 with no TLS recorded
 * ran and loaded (https_unrecorded.sql, its `blind` problem in analyze.ts): each file's state
 * in manifest.json's attach section — hooked, not hooked (unsupported, or an error: with the
 * capture's reason), or absent, which means inspected and judged to hold no TLS stack of its
 * own (files with nothing to hook are not listed there) — so that the problem names where an
 * unhooked TLS stack may be instead of pointing at the whole manifest.
 *
 * Of the libraries a process opened (the `file` table's opens of `*.so*` and `*.node`: the
 * dynamic loader's and dlopen's alike), those named are the ones the attach section lists as
 * not hooked, and those outside the dynamic loader's default directories (`/lib`, `/usr/lib`,
 * their multiarch and 32/64 directories): an application's own libraries, Node addons and
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
}

/** The attach section's files by path (`hooked` and `not_hooked`); what is malformed is left out. */
export function attachStates(attach: unknown): Map<string, AttachState> {
  const out = new Map<string, AttachState>();
  const a = (attach ?? {}) as Record<string, unknown>;
  for (const key of ["hooked", "not_hooked"]) {
    const list = a[key];
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      const { path, status, reason } = (e ?? {}) as Record<string, unknown>;
      if (typeof path !== "string" || typeof status !== "string") continue;
      out.set(path, { status, ...(typeof reason === "string" ? { reason } : {}) });
    }
  }
  return out;
}

/**
 * The path the attach section lists a file under, by its path as the process named it. The
 * attach section names a file by the path its process's mappings showed, which follows
 * symlinks (`/lib` is `/usr/lib` on a merged /usr): a path not listed as it is matches the one
 * listed file of the same base name, if only one; else null (not listed).
 */
export function listedPath(states: Map<string, AttachState>, path: string): string | null {
  if (states.has(path)) return path;
  const base = path.slice(path.lastIndexOf("/") + 1);
  const same = [...states.keys()].filter((p) => p.slice(p.lastIndexOf("/") + 1) === base);
  return same.length === 1 ? same[0] : null;
}

/** A file's state (null: not listed, judged to hold no TLS of its own). */
export function stateOf(states: Map<string, AttachState>, path: string): AttachState | null {
  const listed = listedPath(states, path);
  return listed === null ? null : states.get(listed)!;
}

/** A library in one of the dynamic loader's default directories (the system's). */
export function systemLibrary(path: string): boolean {
  return /^\/(usr\/)?lib(32|64|x32)?\/([a-z0-9_]+-linux-[a-z0-9_]+\/)?[^/]+$/.test(path);
}

/** A state in words. */
export function stateWords(s: AttachState | null): string {
  if (!s) return "no TLS stack found in it";
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
  states: Map<string, AttachState>,
  exe: string | null,
  libs: readonly string[] | null,
): string {
  const parts = [
    ...(javaVm(exe, libs) ? [JAVA_VM_WORDS] : []),
    exe ? `ran ${exe} (${stateWords(stateOf(states, exe))})` : "its executable is not recorded",
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
        `${l} (${stateWords(stateOf(states, l))})`
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
  states: Map<string, AttachState>,
  files: readonly string[],
  problems: readonly { source: string; message: string }[],
): boolean {
  return files.some((f) => {
    const listed = listedPath(states, f);
    return listed !== null &&
      problems.some((p) => p.source === "capture" && p.message.includes(listed));
  });
}
