/**
 * A storm of signals at the threads of an agent's process, for capture tests: the fault
 * that a signal handler runs on whatever thread the signal lands, between any two of that
 * thread's instructions. Codex (tokio) catches SIGCHLD (its child processes' exits): the
 * handler writes one byte to the signal driver's Unix socketpair, on the thread it interrupted,
 * so a storm puts those writes between a TLS record's seal and the write of its record, as a
 * tool command's exit may do once in a long session.
 *
 * The storm runs in a Worker (the test's server answers meanwhile): every `periodUs` it sends
 * `signal` with kill(2) to each thread id of each process below this one whose executable is
 * named `exe` and its parent's is not (the agent, not its helpers nor its children before
 * their exec: those run tools, whose results must not suffer), kill(tid) preferring that
 * thread of all the process's threads for the signal; or only to its threads named `threads`
 * (a tool's SIGCHLD goes to the thread that started the tool, in Codex one of tokio's, which
 * also run its connection). New processes and threads are looked for every 20 ms. `stop()`
 * ends it and says how many signals were sent to how many processes.
 */

export interface Storm {
  stop(): Promise<{ sent: number; processes: number }>;
}

export interface StormOptions {
  /** the executable's file name, e.g. "codex" (not the Node.js wrapper of the same name) */
  exe: string;
  signal: Deno.Signal;
  periodUs: number;
  /** only the threads of this name (/proc/PID/task/TID/comm: at most 15 bytes), else all */
  threads?: string;
}

/** The message the worker gets first. */
export interface StormStart extends StormOptions {
  root: number;
  stop: SharedArrayBuffer;
}

/** Starts the storm; stop() it in a `finally`. */
export function signalStorm(opts: StormOptions): Storm {
  const stop = new SharedArrayBuffer(4);
  const w = new Worker(new URL("./signal_storm_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const done = new Promise<{ sent: number; processes: number }>((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`signal storm worker: ${e.message}`));
    };
  });
  w.postMessage({ ...opts, root: Deno.pid, stop } satisfies StormStart);
  return {
    async stop() {
      Atomics.store(new Int32Array(stop), 0, 1);
      try {
        return await done;
      } finally {
        w.terminate();
      }
    },
  };
}
