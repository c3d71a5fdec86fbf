/**
 * The process tree of the session as HTML: each process under its parent (pid reuse told
 * apart by start time), with what it executed (argv), where (cwd), its agent role, how long it
 * ran and how it ended (exit code or signal). Nodes with children are collapsible; the first
 * levels start open.
 */
import { shellJoin } from "../kit/shell.ts";
import { h, type Html, join } from "./html.ts";
import type { Proc, ReportData } from "./report_data.ts";

/** Levels of the tree shown open. */
const OPEN_DEPTH = 3;
/** At most this many characters of an argv. */
const ARGV_CHARS = 2000;
/** Longer argvs start collapsed, showing this many characters. */
const SHORT_ARGV = 240;

/** A process's name: its executable's file name, else its comm, else `?`. */
export function procName(p: Proc): string {
  const base = p.exe ? p.exe.split("/").pop()! : "";
  return base || p.comm || "?";
}

/**
 * The processes as a forest: each under its parent (by incarnation key) when the parent was
 * recorded, else a root; children in the order given.
 */
export function processForest(procs: readonly Proc[]): {
  roots: Proc[];
  children: Map<string, Proc[]>;
} {
  const byKey = new Map(procs.map((p) => [p.key, p]));
  const children = new Map<string, Proc[]>();
  const roots: Proc[] = [];
  for (const p of procs) {
    if (p.parentKey && p.parentKey !== p.key && byKey.has(p.parentKey)) {
      const list = children.get(p.parentKey) ?? [];
      list.push(p);
      children.set(p.parentKey, list);
    } else roots.push(p);
  }
  return { roots, children };
}

/** `exit 0`, `exit 2`, `signal 9` or `running`, and whether it is a failure. */
export function exitOf(p: Proc): { text: string; failed: boolean } {
  if (p.exitSignal !== null) {
    const by = p.killedByPid === null ? "" : ` from pid ${p.killedByPid}`;
    return { text: `signal ${p.exitSignal}${by}`, failed: true };
  }
  if (p.exitCode !== null) return { text: `exit ${p.exitCode}`, failed: p.exitCode !== 0 };
  return { text: p.endNs === null ? "running at the end" : "exit ?", failed: false };
}

function duration(p: Proc): string {
  if (p.endNs === null) return "";
  const ms = Number(p.endNs - p.startNs) / 1e6;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

function node(p: Proc, kids: Html | null, depth: number): Html {
  const exit = exitOf(p);
  const name = procName(p);
  const argv = p.argv ? shellJoin(p.argv) : null;
  const shownArgv = argv && argv.length > ARGV_CHARS
    ? `${argv.slice(0, ARGV_CHARS)}… (${argv.length} characters)`
    : argv;
  const argvHtml = shownArgv === null
    ? ""
    : shownArgv.length > SHORT_ARGV
    ? h`<details class="argv"><summary><code>${
      shownArgv.slice(0, SHORT_ARGV)
    }…</code></summary><code>${shownArgv}</code></details>`
    : h`<div class="argv"><code>${shownArgv}</code></div>`;
  const role = p.agentRole === "agent"
    ? h`<span class="tag agent">agent ${p.agent ?? ""}${
      p.llmCalls ? ` · ${p.llmCalls} LLM calls` : ""
    }</span>`
    : p.agent
    ? h`<span class="tag">${p.agent}</span>`
    : "";
  const line = h`<span class="pid">${p.pid}</span> <code class="name">${name}</code> ${role}
    <span class="exit ${exit.failed ? "failed" : "ok"}">${exit.text}</span>
    <span class="dur">${duration(p)}</span>${
    p.execCount === 0 ? h` <span class="note">(forked, no exec)</span>` : ""
  }`;
  const body = h`${argvHtml}${p.cwd ? h`<div class="cwd">in <code>${p.cwd}</code></div>` : ""}`;
  const id = `proc-${p.pid}-${p.startNs}`;
  if (!kids) return h`<li id="${id}"><div class="proc">${line}</div>${body}</li>`;
  return h`<li id="${id}"><details${
    depth < OPEN_DEPTH ? " open" : ""
  }><summary class="proc">${line}</summary>${body}<ul>${kids}</ul></details></li>`;
}

/** The tree as nested lists. */
export function processTreeHtml(data: ReportData): Html {
  const procs = data.processes;
  if (!procs.length) return h`<p class="notice">No processes were recorded.</p>`;
  const { roots, children } = processForest(procs);
  const render = (p: Proc, depth: number): Html => {
    const kids = children.get(p.key);
    return node(p, kids ? join(kids.map((k) => render(k, depth + 1))) : null, depth);
  };
  return h`<ul class="tree">${roots.map((r) => render(r, 0))}</ul>`;
}
