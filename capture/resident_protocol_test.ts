import assert from "node:assert/strict";
import { checkRequest, PROTOCOL } from "./resident_protocol.ts";

const request = { pid: 1234, start: 5, args: ["--via", "--", "true"], cwd: "/", env: {} };

Deno.test("a request of another protocol version is refused in one line that says what to do", () => {
  assert.equal(checkRequest({ v: PROTOCOL, ...request }).pid, 1234);
  const refusal = (v: unknown) => {
    try {
      checkRequest({ v, ...request });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail(`protocol ${v} accepted`);
  };
  // an older client (or one that says no version): rebuild the client
  for (const v of [PROTOCOL - 1, String(PROTOCOL), undefined]) {
    const m = refusal(v);
    assert.ok(!m.includes("\n") && m.includes(`not ${PROTOCOL}`), m);
    assert.ok(m.includes("make -C native") && !m.includes("restart"), m);
  }
  // a newer client than the server: rebuilding the client cannot help, the server must restart
  const newer = refusal(PROTOCOL + 1);
  assert.ok(newer.includes("restart it") && !newer.includes("make -C native"), newer);
  // what the request said is cut short, the line stays short
  assert.ok(refusal("x".repeat(100_000)).length < 300);
});
