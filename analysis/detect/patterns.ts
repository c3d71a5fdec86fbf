/**
 * The detectors' pattern files: sensitive paths (globs with a severity and a scope), the
 * network allowlist and instruction-like phrases. Each is a text file, one entry a line, `#`
 * starts a comment; users add files of their own. A bad line fails with one line naming the
 * file, the line number and the problem.
 */
import { filePath } from "../../kit/file_path.ts";

export const DEFAULT_SENSITIVE_PATHS = filePath("./sensitive_paths.txt", import.meta.url);
export const DEFAULT_PERSISTENCE_PATHS = filePath("./persistence_paths.txt", import.meta.url);
export const DEFAULT_ALLOWLIST = filePath("./allowlist.txt", import.meta.url);
export const DEFAULT_INJECTION_PHRASES = filePath("./injection_phrases.txt", import.meta.url);

export const SEVERITIES = [
  "info",
  "low",
  "medium",
  "high",
  "critical",
] as const;
export type Severity = typeof SEVERITIES[number];
const SCOPES = ["tools", "all", "named"] as const;

export interface SensitivePattern {
  pattern: string;
  regex: string;
  home_regex: string | null;
  severity: Severity;
  scope: typeof SCOPES[number];
  label: string;
  source: string;
}

export interface PersistencePattern {
  pattern: string;
  regex: string;
  home_regex: string | null;
  label: string;
  source: string;
}

export interface AllowEntry {
  host: string;
  port: number | null;
  source: string;
}

export interface InjectionPattern {
  name: string;
  regex: string;
  source: string;
}

export class PatternFileError extends Error {}

/**
 * The lines of the files `paths`, in order, without comments and blank lines (each file read
 * when its lines are reached).
 */
function* lines(paths: string[]): Generator<{ text: string; where: string }> {
  for (const path of paths) {
    let body: string;
    try {
      body = Deno.readTextFileSync(path);
    } catch (e) {
      throw new PatternFileError(
        `${path}: cannot read (${(e as Error).message.split("\n")[0]})`,
      );
    }
    for (const [i, raw] of body.split("\n").entries()) {
      const text = raw.replace(/(^|\s)#.*$/, "").trim();
      if (text) yield { text, where: `${path}:${i + 1}` };
    }
  }
}

const escapeRe = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/**
 * A path glob as an anchored regular expression: `**` any depth (`**\/` also none), `*` and `?`
 * within one name, `{ver}` a version number (`1`, `1.2.3`: dot-separated digits), `~/` any home
 * directory.
 */
export function globToRegex(glob: string): string {
  if (
    !glob.startsWith("/") && !glob.startsWith("~/") && !glob.startsWith("**")
  ) {
    throw new Error("must start with /, ~/ or **");
  }
  let out = "";
  let rest = glob;
  if (rest.startsWith("~/")) {
    out = "(/root|/home/[^/]+|.*/home)/";
    rest = rest.slice(2);
  }
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (rest.startsWith("{ver}", i)) {
      out += "[0-9]+(\\.[0-9]+)*";
      i += 4;
    } else if (ch === "*" && rest[i + 1] === "*") {
      if (rest[i + 2] === "/") {
        out += "(.*/)?";
        i += 2;
      } else {
        out += ".*";
        i += 1;
      }
    } else if (ch === "*") out += "[^/]*";
    else if (ch === "?") out += "[^/]";
    else out += escapeRe(ch);
  }
  return `^${out}$`;
}

/**
 * A `~/` glob's rest as an anchored regular expression of a path relative to a home directory
 * (`~/.ssh/**` is `^\.ssh/.*$`), for the homes a recording shows beyond /root and /home/*;
 * null for any other glob.
 */
export function homeRegex(glob: string): string | null {
  return glob.startsWith("~/") ? "^" + globToRegex("/" + glob.slice(2)).slice(2) : null;
}

export function loadSensitivePatterns(paths: string[]): SensitivePattern[] {
  const out: SensitivePattern[] = [];
  for (const { text, where } of lines(paths)) {
    const [pattern, severity, scope, ...label] = text.split(/\s+/);
    if (!SEVERITIES.includes(severity as Severity)) {
      throw new PatternFileError(
        `${where}: severity must be one of ${SEVERITIES.join(", ")}`,
      );
    }
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new PatternFileError(
        `${where}: scope must be one of ${SCOPES.join(", ")}`,
      );
    }
    let regex: string;
    try {
      regex = globToRegex(pattern);
    } catch (e) {
      throw new PatternFileError(
        `${where}: ${pattern}: ${(e as Error).message}`,
      );
    }
    out.push({
      pattern,
      regex,
      home_regex: homeRegex(pattern),
      severity: severity as Severity,
      scope: scope as SensitivePattern["scope"],
      label: label.join(" ") || pattern,
      source: where,
    });
  }
  return out;
}

/** Persistence paths (`persistence_paths.txt`): `GLOB LABEL...` a line. */
export function loadPersistencePatterns(paths: string[]): PersistencePattern[] {
  const out: PersistencePattern[] = [];
  for (const { text, where } of lines(paths)) {
    const [pattern, ...label] = text.split(/\s+/);
    let regex: string;
    try {
      regex = globToRegex(pattern);
    } catch (e) {
      throw new PatternFileError(`${where}: ${pattern}: ${(e as Error).message}`);
    }
    out.push({
      pattern,
      regex,
      home_regex: homeRegex(pattern),
      label: label.join(" ") || pattern,
      source: where,
    });
  }
  return out;
}

export function loadAllowlist(paths: string[]): AllowEntry[] {
  const out: AllowEntry[] = [];
  for (const { text, where } of lines(paths)) {
    const m = text.match(
      /^(\*\.)?([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/,
    );
    if (!m || text.includes(" ")) {
      throw new PatternFileError(
        `${where}: expected HOST or HOST:PORT, got ${text}`,
      );
    }
    const port = m[3] === undefined ? null : Number(m[3]);
    if (port !== null && (port < 1 || port > 65535)) {
      throw new PatternFileError(`${where}: port out of range`);
    }
    out.push({
      host: ((m[1] ?? "") + m[2].replace(/^\[|\]$/g, "")).toLowerCase(),
      port,
      source: where,
    });
  }
  return out;
}

export function loadInjectionPatterns(paths: string[]): InjectionPattern[] {
  const out: InjectionPattern[] = [];
  for (const { text, where } of lines(paths)) {
    const m = text.match(/^(\S+)\s+(.+)$/);
    if (!m) throw new PatternFileError(`${where}: expected NAME REGEX`);
    try {
      new RegExp(m[2], "i");
    } catch (e) {
      throw new PatternFileError(
        `${where}: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    out.push({ name: m[1], regex: m[2], source: where });
  }
  return out;
}
