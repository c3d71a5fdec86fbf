/**
 * Ctrl-C's timing and aim (ctrl_c.ts) without an agent: the moment to interrupt a streaming
 * answer is the server's log of its stall, an abort during the wait after it sends nothing, and a
 * process is signalled only if it is the one seen (its start time), never a reused pid.
 */
import assert from "node:assert/strict";
import { ctrlC, leftRunning, sigintGroup, stallingNow } from "./ctrl_c.ts";
import { procOf } from "../../kit/procs.ts";

const stall = { kind: "main" as const, error: "scripted failure: stall after 3" };

Deno.test("the stream's moment is the server's log of a stalling main answer, not a connection", () => {
  assert.equal(stallingNow([]), false);
  // an early side request (a preconnect, a title) is not the moment
  assert.equal(stallingNow([{ kind: "side" }, { kind: "main" }]), false);
  assert.equal(stallingNow([{ kind: "main" }, stall]), true);
  // the stall is over (the answer ended): too late
  assert.equal(stallingNow([{ ...stall, status: 200 }]), false);
  assert.equal(stallingNow([{ kind: "main", error: "scripted failure: HTTP 500" }]), false);
});

Deno.test("an interrupt in the stream without the server's log is an error", async () => {
  await assert.rejects(
    () => ctrlC("stream", new AbortController().signal),
    /needs the server's log/,
  );
});

/** A child `sleep 30` standing for the agent, and its end. */
function sleeper() {
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const proc = procOf(child.pid)!;
  return { child, proc };
}

Deno.test("Ctrl-C reaches the agent once the stall is in the log", async () => {
  const { child, proc } = sleeper();
  const hit = await ctrlC("stream", new AbortController().signal, {
    served: () => [stall],
    agent: () => proc,
    settleMs: 100,
  });
  assert.deepEqual(hit, ["sleep"]);
  assert.equal((await child.status).signal, "SIGINT");
});

Deno.test("an abort during the wait after the moment sends nothing", async () => {
  const { child, proc } = sleeper();
  const stop = new AbortController();
  try {
    const pending = ctrlC("stream", stop.signal, {
      served: () => [stall],
      agent: () => proc,
      settleMs: 2000,
    });
    // the moment comes within 200 ms; the agent ends during the wait
    await new Promise((r) => setTimeout(r, 600));
    stop.abort();
    assert.deepEqual(await pending, []);
    assert.ok(procOf(child.pid), "the process is not signalled");
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});

Deno.test("a pid reused by another process is never signalled", async () => {
  const { child, proc } = sleeper();
  try {
    // the process seen earlier had this pid with another start time: it ended, the pid was reused
    const earlier = { pid: proc.pid, start: String(Number(proc.start) - 1) };
    assert.deepEqual(sigintGroup(earlier, []), []);
    assert.deepEqual(sigintGroup(proc, [earlier]), ["sleep"]);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
});

Deno.test("leftovers are traced processes still running as recorded, wherever they run", async () => {
  // in another directory than the run's: found all the same (cwd is not the test)
  const child = new Deno.Command("sleep", { args: ["30"], cwd: "/" }).spawn();
  try {
    const forked = Date.now() * 1e6;
    const row = { pid: child.pid, comm: "sleep", start_ns: forked };
    assert.deepEqual(leftRunning([row]), [{ pid: child.pid, comm: "sleep" }]);
    // the recorded process was forked 10 s earlier: this one reuses its pid, not a leftover
    assert.deepEqual(leftRunning([{ ...row, start_ns: forked - 10e9 }]), []);
    // the capture's own watchdog is never one
    assert.deepEqual(leftRunning([{ ...row, comm: "sightline-watch" }]), []);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  // ended since: nothing to end
  assert.deepEqual(
    leftRunning([{ pid: child.pid, comm: "sleep", start_ns: Date.now() * 1e6 }]),
    [],
  );
});
