/** The session headers of an exchange (session_headers.ts), on heads as agents send them. */
import assert from "node:assert/strict";
import { sessionHeaders, sseSessionId, targetPath } from "./session_headers.ts";
import { buildHeaderLookup } from "../../protocols/header_fields.ts";

Deno.test("session headers: the request's, else the answer's; a masked id is none", () => {
  // Codex's initialize (no session yet) and the server-everything answer assigning one
  const init = buildHeaderLookup([["accept", "application/json, text/event-stream"]]);
  const assigned = buildHeaderLookup([["mcp-session-id", "0b6f3c1e-9a"]]);
  assert.deepEqual(sessionHeaders("/mcp", init, assigned), {
    http_path: "/mcp",
    mcp_session_id: "0b6f3c1e-9a",
    mcp_protocol_version: null,
    a2a_version: null,
  });
  const later = buildHeaderLookup([
    ["Mcp-Session-Id", "0b6f3c1e-9a"],
    ["MCP-Protocol-Version", "2025-11-25"],
  ]);
  assert.equal(sessionHeaders("/mcp", later, undefined).mcp_protocol_version, "2025-11-25");
  const masked = buildHeaderLookup([["mcp-session-id", "************************************"]]);
  assert.equal(sessionHeaders("/mcp", masked, masked).mcp_session_id, null);
  // an HPACK Huffman-coded mask (protocols/hpack.ts secretMask: the symbols of each code
  // length) is a mask too: two sessions' masks of one length must not make one session
  const huffmanMask = buildHeaderLookup([[
    "mcp-session-id",
    "0000000000_________________________*",
  ]]);
  assert.equal(sessionHeaders("/mcp", huffmanMask, undefined).mcp_session_id, null);
  const a2a = buildHeaderLookup([["A2A-Version", "0.3"]]);
  assert.equal(sessionHeaders("/", a2a, undefined).a2a_version, "0.3");
});

Deno.test("targetPath: origin-form and absolute-form targets, query and fragment left out", () => {
  assert.equal(targetPath("/mcp?sessionId=1"), "/mcp");
  assert.equal(targetPath("http://127.0.0.1:8080/a/mcp#x"), "/a/mcp");
  assert.equal(targetPath("http://127.0.0.1:8080"), "/");
  assert.equal(targetPath(null), null);
});

Deno.test("HTTP+SSE's session: the sessionId (or session_id) parameter of a URL, none when masked or absent", () => {
  assert.equal(sseSessionId("/messages?sessionId=Ab3_x.9-&x=1"), "Ab3_x.9-");
  assert.equal(sseSessionId("http://h:1/m?a=b&SESSIONID=q#f"), "q");
  assert.equal(sseSessionId("/messages?sessionId=****"), null);
  assert.equal(sseSessionId("/messages?sessionId="), null);
  assert.equal(sseSessionId("/messages?xsessionId=a"), null);
  assert.equal(sseSessionId(null), null);
  // the Python SDK's (FastMCP's) name
  assert.equal(sseSessionId("/messages/?session_id=1beded10f1764848"), "1beded10f1764848");
  assert.equal(sseSessionId("http://h:1/messages/?x=1&Session_Id=q"), "q");
  assert.equal(sseSessionId("/messages/?session_id=****"), null);
  assert.equal(sseSessionId("/messages/?xsession_id=a"), null);
});
