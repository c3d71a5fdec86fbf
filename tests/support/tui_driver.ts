/**
 * Drives a real agent's own terminal UI as a user does, from an interactive shell (bash) on a
 * terminal (terminal.ts): for the agent runner's `terminal` option (lab/agents/run_agent.ts).
 * It notes the terminal's settings (`stty -g`), types the command line it is given (the agent
 * under capture), waits for the agent's input box, types the prompt, waits for the tool_marker
 * scenario's answer on the screen, suspends the agent with Ctrl-Z and brings it back with `fg`
 * (the agents that suspend), quits it the agent's way, reads the exit code the shell got, and
 * notes the terminal's settings again.
 *
 * What a user does that the agents depend on: a pause before Enter. Gemini CLI takes an Enter
 * that comes within 30 ms of the key before it for part of a paste (a new line in the input, not
 * a submission): the driver waits until the typed text is drawn, then PAUSE_MS, before Enter.
 */
import { Terminal, type TerminalExit } from "./terminal.ts";
import type { AgentName, TerminalEnd, TerminalRun } from "../../lab/agents/mod.ts";
import { shQuote } from "../../kit/shell.ts";

/** A user's pause before Enter (see the module's doc). */
export const PAUSE_MS = 300;

/** The shell's prompt says the last exit code. */
const PROMPT = "[rc=$?]$ ";
const prompted = (rc: string) => new RegExp(`\\[rc=${rc}\\]\\$ $`);
/** `stty -g`'s output: the terminal's settings. */
const STTY = /\n([0-9a-f]+(?::[0-9a-f]+){4,})\n/;

/** Words as a full-screen program draws them (between them any run of spaces or line breaks). */
export function words(s: string): RegExp {
  return new RegExp(
    s.split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+"),
  );
}

/** How to use one agent's UI. */
export interface Ui {
  /** shown once it reads keys */
  ready: RegExp;
  /** it suspends itself on Ctrl-Z (and is brought back with fg) */
  suspends: boolean;
  /** quits it */
  quit: (t: Terminal) => Promise<void>;
}

/** Types `text`, waits until `drawn` is shown, pauses as a user does, types Enter. */
export async function enter(t: Terminal, text: string, drawn: RegExp, what: string) {
  await t.type(text);
  await t.until(drawn, what);
  await new Promise((r) => setTimeout(r, PAUSE_MS));
  await t.type("\r");
}

export const UIS: Partial<Record<AgentName, Ui>> = {
  claude: {
    ready: words("bypass permissions on"),
    suspends: true,
    async quit(t) {
      // its first Ctrl-C only says how to quit: proof that the key reached it, not the capture
      await t.type("\x03");
      await t.until(/Press\s+Ctrl-C\s+again\s+to\s+exit/i, "Claude Code's hint: Ctrl-C reached it");
      await enter(t, "/exit", /\/exit/, "/exit typed");
    },
  },
  gemini: {
    ready: words("Type your message"),
    suspends: false, // its Ctrl-Z undoes an edit
    async quit(t) {
      await enter(t, "/quit", words("Exit the cli"), "/quit typed and its suggestion");
    },
  },
  qwen: {
    ready: words("Type your message"),
    suspends: false, // as Gemini CLI's, its Ctrl-Z undoes an edit
    async quit(t) {
      await enter(t, "/quit", words("exit the cli"), "/quit typed and its suggestion");
    },
  },
};

/** What the driver saw besides how the agent ended (the test asserts on it). */
export interface Seen {
  sttyBefore?: string;
  sttyAfter?: string;
  /** the token the scripted answer quotes, as shown */
  answer?: string;
  /** the scenario's turns the server had served when the answer was shown */
  turnsServed?: number;
  /** how the shell ended after its `exit` */
  shellEnd?: TerminalExit;
}

/** The `terminal` driver for `agent`; what it saw goes into `seen`. */
export function driveUi(agent: AgentName, seen: Seen): (run: TerminalRun) => Promise<TerminalEnd> {
  const ui = UIS[agent];
  if (!ui) throw new Error(`no terminal driver for ${agent}`);
  return async ({ argv, env, cwd, prompt, server }) => {
    const t = Terminal.start(["/bin/bash", "--norc", "--noprofile", "-i"], {
      env: { ...env, PS1: PROMPT },
      cwd,
    });
    try {
      await t.until(prompted("0"), "the shell's first prompt");
      await t.type("stty -g\r");
      seen.sttyBefore = (await t.until(STTY, "the terminal's settings before"))[1];
      await t.type(argv.map(shQuote).join(" ") + "\r");
      await t.until(ui.ready, "the agent's input box", 60_000);
      await enter(t, prompt, words(prompt), "the prompt typed into the input box");
      seen.answer = (await t.until(
        /The\s+command\s+printed:\s+(token-[0-9a-f]{16})/,
        "the scripted answer",
        60_000,
      ))[1];
      seen.turnsServed = server.requests.filter((r) => r.kind === "main").length;
      if (ui.suspends) {
        await t.type("\x1a");
        await t.until(/Stopped[\s\S]*\[rc=148\]\$ $/, "the job stopped, the shell's prompt back");
        await t.type("fg\r");
        await t.until(ui.ready, "the agent back after fg");
      }
      await ui.quit(t);
      const rc = await t.until(/\[rc=(\d+)\]\$ $/, "the shell's prompt after the agent", 60_000);
      await t.type("stty -g\r");
      seen.sttyAfter = (await t.until(STTY, "the terminal's settings after"))[1];
      await t.type("exit\r");
      seen.shellEnd = await t.exited();
      return { exitCode: Number(rc[1]), signal: null, output: t.text };
    } finally {
      await t.close();
    }
  };
}
