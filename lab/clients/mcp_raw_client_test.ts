/** Tests of the raw MCP client's answers to a server's own requests (mcp_raw_client.ts). */
import assert from "node:assert/strict";
import { answerServerRequest, SCRIPT } from "./mcp_raw_client.ts";

Deno.test("answers sampling, elicitation and roots as a client that declared them", () => {
  const sampled = answerServerRequest("sampling/createMessage").result as Record<string, unknown>;
  assert.deepEqual(sampled.role, "assistant");
  assert.deepEqual(
    (answerServerRequest("elicitation/create").result as Record<string, unknown>).action,
    "accept",
  );
  assert.deepEqual(
    (answerServerRequest("roots/list").result as { roots: unknown[] }).roots.length,
    1,
  );
});

Deno.test("an unknown request from the server gets a JSON-RPC method-not-found error", () => {
  assert.deepEqual(
    (answerServerRequest("tasks/list").error as { code: number }).code,
    -32601,
  );
});

Deno.test("the script names old and new server-everything tools for each tool step", () => {
  const progress = SCRIPT.find((s) => s.label === "progress")!;
  assert.deepEqual(progress.tools, ["trigger-long-running-operation", "longRunningOperation"]);
  assert.deepEqual(progress.progress, true);
});
