/** The echo filter: a repeat within ECHO_MS of the last counted signal is not counted. */
import assert from "node:assert/strict";
import { ECHO_MS, signalEchoFilter } from "./signal_echo.ts";

Deno.test("signal echo: the same signal 7 and 15 ms later is the echo; 250 ms later it counts", () => {
  let t = 1000;
  const fresh = signalEchoFilter(() => t);
  assert.equal(fresh("SIGINT"), true);
  t += 7;
  assert.equal(fresh("SIGINT"), false, "deno task's copy of the terminal's SIGINT");
  t += 8;
  assert.equal(fresh("SIGINT"), false, "measured from the counted one, 15 ms");
  // another kind is no echo of it
  assert.equal(fresh("SIGTERM"), true);
  t = 1000 + ECHO_MS;
  assert.equal(fresh("SIGINT"), true, "the user's second Ctrl-C");
  t += ECHO_MS - 1;
  assert.equal(fresh("SIGINT"), false);
  t += 1;
  assert.equal(fresh("SIGINT"), true);
});
