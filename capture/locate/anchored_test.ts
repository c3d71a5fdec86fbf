/** findNeedles: every needle found wherever it lies whole in the bytes, none that does not;
 * needlePositions: every place each begins. */
import assert from "node:assert/strict";
import { anchoredNeedles, findNeedles, needlePositions } from "./anchored.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function found(hay: string, needles: string[], anchor = "/"): string[] {
  const n = anchoredNeedles(needles, anchor);
  const f = needles.map(() => false);
  findNeedles(bytes(hay), n, f);
  return needles.filter((_, i) => f[i]);
}

Deno.test("needles are found at the start, the end and the middle, by any of their anchors", () => {
  const needles = ["/ring-0.", "ssl/ssl_lib.c\0", "/cipher/aead.c\0"];
  assert.deepEqual(found("/ring-0.17", needles), ["/ring-0."]);
  assert.deepEqual(found("x\0ssl/ssl_lib.c\0", needles), ["ssl/ssl_lib.c\0"]);
  assert.deepEqual(found("a/b//cipher/aead.c\0/ring-0.", needles), [
    "/ring-0.",
    "/cipher/aead.c\0",
  ]);
  // the needle's first anchor leads; a later one in it does not hide the match
  assert.deepEqual(found("src/ssl/ssl_lib.c\0", ["ssl/ssl_lib.c\0", "/ssl_lib.c\0"]), [
    "ssl/ssl_lib.c\0",
    "/ssl_lib.c\0",
  ]);
});

Deno.test("a needle cut off by the end of the bytes, or with one byte changed, is not found", () => {
  assert.deepEqual(found("/ring-0", ["/ring-0."]), []);
  assert.deepEqual(found("ssl/ssl_lib.cc\0", ["ssl/ssl_lib.c\0"]), []);
  assert.deepEqual(found("sl/ssl_lib.c\0", ["ssl/ssl_lib.c\0"]), []);
  assert.deepEqual(found("", ["/x"]), []);
});

Deno.test("names in a string table, anchored on the NUL that ends each", () => {
  const table = "\0_ZN3fooEv\0XSSL_write\0gnutls_record_send_x\0SSL_read\0";
  assert.deepEqual(found(table, ["SSL_write\0", "SSL_read\0", "gnutls_record_send\0"], "\0"), [
    "SSL_write\0", // a suffix of XSSL_write: a name offset may point there
    "SSL_read\0",
  ]);
});

Deno.test("a needle without the anchor, or of the anchor alone, is refused", () => {
  assert.throws(
    () => anchoredNeedles(["ring"], "/"),
    /needle "ring" is not the anchor "\/" and more/,
  );
  assert.throws(() => anchoredNeedles(["/"], "/"), /needle "\/" is not the anchor/);
});

Deno.test("needlePositions gives every place each needle begins", () => {
  const hay = Uint8Array.from("\0a_SSL_write\0SSL_write\0SSL_read\0", (c) => c.charCodeAt(0));
  assert.deepEqual(
    needlePositions(hay, anchoredNeedles(["SSL_write\0", "SSL_read\0", "gnutls_deinit\0"], "\0")),
    [[3, 13], [23], []],
  );
});

Deno.test("needles alike count as one: the first found marks the others, and the search stops", () => {
  const needles = ["/cipher/aead.c\0", "/cipher/aead.cc\0", "/ring-0."];
  const n = anchoredNeedles(needles, "/");
  const f = needles.map(() => false);
  findNeedles(bytes("x/cipher/aead.cc\0/ring-0.17"), n, f, ["aead", "aead", "ring"]);
  assert.deepEqual(f, [true, true, true]);
  // all found: a later occurrence is not looked at
  const g = [false, false, true];
  findNeedles(bytes("/cipher/aead.c\0"), n, g, ["aead", "aead", "ring"]);
  assert.deepEqual(g, [true, true, true]);
});
