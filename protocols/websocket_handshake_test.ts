import assert from "node:assert/strict";
import { buildHeaderLookup, type HeaderPair } from "./header_fields.ts";
import { acceptedDeflate, parseExtensions } from "./permessage_deflate.ts";
import { isWebSocketRequest, websocketAccept, websocketAgreement } from "./websocket_handshake.ts";

const lookup = (pairs: HeaderPair[]) => buildHeaderLookup(pairs);

Deno.test("handshake: the RFC 6455 1.3 accept value", () => {
  assert.equal(websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("extensions: RFC 6455 9.1 grammar, RFC 7692 parameters", () => {
  // what Codex 0.169 (tungstenite) offers, and offers with several alternatives
  assert.deepEqual(parseExtensions(["permessage-deflate; client_max_window_bits"]), [
    { name: "permessage-deflate", params: { client_max_window_bits: true } },
  ]);
  assert.deepEqual(
    parseExtensions([
      'permessage-deflate; client_max_window_bits="10"; server_no_context_takeover, x-foo',
      "permessage-deflate",
    ]),
    [
      {
        name: "permessage-deflate",
        params: { client_max_window_bits: "10", server_no_context_takeover: true },
      },
      { name: "x-foo", params: {} },
      { name: "permessage-deflate", params: {} },
    ],
  );
  assert.equal(parseExtensions(['permessage-deflate; a="open']), null);
  assert.equal(parseExtensions(["bad name; x"]), null);
  const both = acceptedDeflate(
    parseExtensions([
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
      "server_max_window_bits=10; client_max_window_bits=12",
    ])!,
  );
  assert.deepEqual(both, {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 12,
  });
  assert.deepEqual(acceptedDeflate(parseExtensions(["permessage-deflate"])!), {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  });
  assert.equal(acceptedDeflate(parseExtensions(["x-other"])!), null);
  assert.throws(
    () => acceptedDeflate(parseExtensions(["permessage-deflate; server_max_window_bits=7"])!),
    /bad server_max_window_bits/,
  );
  assert.throws(
    () => acceptedDeflate(parseExtensions(["permessage-deflate; client_max_window_bits"])!),
    /needs a value/,
  );
});

Deno.test("handshake: what a request and its response agreed", () => {
  const req = lookup([
    ["Upgrade", "websocket"],
    ["Connection", "Upgrade"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["sec-websocket-extensions", "permessage-deflate; client_max_window_bits"],
  ]);
  assert.equal(isWebSocketRequest(req), true);
  assert.equal(isWebSocketRequest(lookup([["Upgrade", "h2c"]])), false);
  const ok = websocketAgreement(
    req,
    101,
    lookup([
      ["Upgrade", "websocket"],
      ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
      ["Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover"],
    ]),
  );
  assert.equal(ok.switched, true);
  assert.equal(ok.deflate?.serverNoContextTakeover, true);
  assert.equal(ok.deflate?.clientNoContextTakeover, false);
  assert.deepEqual(ok.problems, []);
  // compression refused: no extension in the 101
  const plain = websocketAgreement(req, 101, lookup([["Upgrade", "websocket"]]));
  assert.equal(plain.deflate, null);
  assert.equal(plain.accepted, null);
  // declined upgrade, and a wrong accept value
  assert.equal(websocketAgreement(req, 426, lookup([])).switched, false);
  const bad = websocketAgreement(
    req,
    101,
    lookup([["Upgrade", "websocket"], ["Sec-WebSocket-Accept", "nope"]]),
  );
  assert.deepEqual(bad.problems, ["Sec-WebSocket-Accept does not match the request's key"]);
});
