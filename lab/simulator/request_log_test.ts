/** The model server's request log hides what the capture masks: secret headers and query values. */
import assert from "node:assert/strict";
import { JsonlLog, redactHeaders, redactPath } from "./request_log.ts";

Deno.test("request log: secret query values and headers are redacted, the rest kept", () => {
  assert.equal(
    redactPath("/v1beta/models/m:streamGenerateContent?alt=sse&key=AIza123&x=1"),
    "/v1beta/models/m:streamGenerateContent?alt=sse&key=[redacted]&x=1",
  );
  assert.equal(
    redactPath("/messages?sessionId=7f3c-9a2e&access_token=t0k"),
    "/messages?sessionId=[redacted]&access_token=[redacted]",
  );
  assert.equal(redactPath("/v1/responses?max_tokens=5"), "/v1/responses?max_tokens=5");
  assert.deepEqual(
    redactHeaders({ "Helicone-Auth": "Bearer sk-h", "content-type": "application/json" }),
    { "Helicone-Auth": "[redacted]", "content-type": "application/json" },
  );
});

Deno.test("request log: a line that cannot be written is counted, never an unhandled rejection", async () => {
  const dir = await Deno.makeTempDir();
  const log = new JsonlLog(`${dir}/log.jsonl`, false);
  const record = {
    seq: 0,
    time: "t",
    method: "POST",
    path: "/",
    httpVersion: "2",
    authority: "a",
    headers: {},
    bodySize: 0,
    kind: "main" as const,
  };
  log.append(record);
  await log.flush();
  // the file goes away and a directory takes its place: later lines cannot be written
  await Deno.remove(`${dir}/log.jsonl`);
  await Deno.mkdir(`${dir}/log.jsonl`);
  log.append({ ...record, seq: 1 });
  log.append({ ...record, seq: 2 });
  await log.flush();
  assert.equal(log.unwritten, 2);
  assert.match(log.problem()!, /^--log \S+log\.jsonl: 2 lines not written \(.+\)$/);
  await Deno.remove(dir, { recursive: true });
});
