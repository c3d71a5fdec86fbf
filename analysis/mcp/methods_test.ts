/** isMcpMethod: MCP's requests and notifications, and other JSON-RPC protocols' methods. */
import assert from "node:assert/strict";
import { isMcpMethod, MCP_REQUEST_METHODS } from "./methods.ts";

Deno.test("MCP's methods are MCP's; Agent2Agent's, ACP's and LSP's are not", () => {
  for (const m of ["initialize", "tools/call", "sampling/createMessage", "tasks/get"]) {
    assert.ok(isMcpMethod(m), m);
  }
  for (const m of ["notifications/initialized", "notifications/tasks/status"]) {
    assert.ok(isMcpMethod(m), m);
  }
  for (
    const m of [
      "message/send",
      "message/stream",
      "session/prompt",
      "textDocument/didOpen",
      "eth_call",
    ]
  ) {
    assert.ok(!isMcpMethod(m), m);
  }
  assert.equal(new Set(MCP_REQUEST_METHODS).size, MCP_REQUEST_METHODS.length);
});
