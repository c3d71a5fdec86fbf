import assert from "node:assert/strict";
import { signalName } from "./signal_names.ts";

Deno.test("signal names: the standard ones by their number, real-time ones from SIGRTMIN, others as numbers", () => {
  assert.equal(signalName(1), "SIGHUP");
  assert.equal(signalName(9), "SIGKILL");
  assert.equal(signalName(15), "SIGTERM");
  assert.equal(signalName(17), "SIGCHLD");
  assert.equal(signalName(31), "SIGSYS");
  assert.equal(signalName(32), "SIGRTMIN");
  assert.equal(signalName(34), "SIGRTMIN+2");
  assert.equal(signalName(64), "SIGRTMIN+32");
  assert.equal(signalName(65), "65");
  assert.equal(signalName(0), "0");
  assert.equal(signalName(-3), "-3");
});
