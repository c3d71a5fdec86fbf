/** The model server's request log hides what the capture masks: secret headers and query values. */
import assert from "node:assert/strict";
import { redactHeaders, redactPath } from "./request_log.ts";

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
