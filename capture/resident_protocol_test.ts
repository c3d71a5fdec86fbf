import assert from "node:assert/strict";
import { checkRequest, PROTOCOL } from "./resident_protocol.ts";

const request = { pid: 1234, start: 5, args: ["--via", "--", "true"], cwd: "/", env: {} };

Deno.test("a request of another protocol version is refused in one line that says how to rebuild the C client", () => {
  assert.equal(checkRequest({ v: PROTOCOL, ...request }).pid, 1234);
  for (const v of [PROTOCOL - 1, PROTOCOL + 1, "4", undefined]) {
    assert.throws(
      () => checkRequest({ v, ...request }),
      (e: Error) =>
        !e.message.includes("\n") && e.message.includes(`not ${PROTOCOL}`) &&
        e.message.includes("make -C native"),
    );
  }
});
