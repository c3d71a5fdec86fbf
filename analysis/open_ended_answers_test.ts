/**
 * Which answers a client need not read (open_ended_answers.ts): a POST whose JSON-RPC body
 * holds no request, told from its body alone (whole-connection cases, from real bytes, are in
 * http_tables_test.ts).
 */
import assert from "node:assert/strict";
import type { Exchange } from "./connection_parser.ts";
import {
  answerMayStayOpen,
  holdsNoJsonRpcRequest,
  postsNoJsonRpcRequest,
} from "./open_ended_answers.ts";

/** A POST exchange, its request whole (or not), no answer read. */
function post(method = "POST", complete = true): Exchange {
  return {
    protocol: "http/1.1",
    request: {
      method,
      target: "/mcp",
      headers: [],
      lookup: {},
      start: 0,
      end: 10,
      body: [],
      bodyLength: 10,
      bodyKept: true,
      complete,
    },
    errors: [],
  };
}

const body = (s: string) => new TextEncoder().encode(s);

Deno.test("a POST of JSON-RPC notifications and responses alone needs no answer; one carrying a request does", () => {
  const none: [string, boolean][] = [
    ['{"jsonrpc":"2.0","method":"notifications/initialized"}', true],
    ['{"result":{"roots":[]},"jsonrpc":"2.0","id":0}', true],
    ['{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}', true],
    ['{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}', true],
    // a batch (MCP 2025-03-26) of a response and a notification
    ['[{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","method":"n"}]', true],
    // a request (id and method), alone or in a batch: its answer is its result
    ['{"method":"tools/list","jsonrpc":"2.0","id":1}', false],
    ['[{"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","id":2,"method":"ping"}]', false],
    // not JSON-RPC 2.0 (no "jsonrpc"), not JSON, an empty batch, part not JSON-RPC
    ['{"method":"n"}', false],
    ["hello", false],
    ["[]", false],
    ['[{"jsonrpc":"2.0","method":"n"},{"x":1}]', false],
  ];
  for (const [text, ok] of none) {
    assert.equal(postsNoJsonRpcRequest(post(), body(text)), ok, text);
    assert.equal(answerMayStayOpen(post(), [], body(text)), ok, text);
    assert.equal(holdsNoJsonRpcRequest(body(text)), ok, text);
  }
  const n = body('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  // only a POST, whole, whose body was kept
  assert.equal(postsNoJsonRpcRequest(post("PUT"), n), false);
  assert.equal(postsNoJsonRpcRequest(post("POST", false), n), false);
  assert.equal(postsNoJsonRpcRequest(post(), null), false);
});

/** `x` answered by a head of `status`, its body not read to its end. */
function answered(x: Exchange, status: number): Exchange {
  return {
    ...x,
    response: {
      status,
      headers: [],
      lookup: {},
      start: 20,
      end: 30,
      body: [],
      bodyLength: 0,
      bodyKept: true,
      complete: false,
    },
  };
}

Deno.test("a POST of no JSON-RPC request needs no answer read only when none was read or it is 202 Accepted; an error status is the server's word", () => {
  const n = body('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  assert.equal(postsNoJsonRpcRequest(answered(post(), 202), n), true);
  for (const status of [200, 400, 404, 500]) {
    assert.equal(postsNoJsonRpcRequest(answered(post(), status), n), false, String(status));
    assert.equal(answerMayStayOpen(answered(post(), status), [], n), false, String(status));
  }
});
