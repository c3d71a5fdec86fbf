/** Request targets in origin form, from absolute form (a proxy's requests) or as they were. */
import assert from "node:assert/strict";
import { absoluteTarget, originForm } from "./request_target.ts";

Deno.test("originForm: absolute form to path and query; other forms unchanged", () => {
  assert.equal(
    originForm("http://10.213.7.1:8080/v1/chat/completions"),
    "/v1/chat/completions",
  );
  assert.equal(originForm("http://[fd00::5]:8000/v1/models?x=1"), "/v1/models?x=1");
  assert.equal(originForm("HTTP://models.lan.test"), "/");
  assert.equal(originForm("http://h?q=1"), "/?q=1");
  assert.equal(originForm("https://h/a#frag"), "/a");
  for (const t of ["/v1/messages?beta=true", "*", "api.anthropic.com:443", "/http://x"]) {
    assert.equal(originForm(t), t);
  }
});

Deno.test("absoluteTarget: scheme (lower case) and authority of absolute form; else null", () => {
  assert.deepEqual(absoluteTarget("HTTP://User@[::1]:8080/v1?x#y"), {
    scheme: "http",
    authority: "User@[::1]:8080",
  });
  assert.deepEqual(absoluteTarget("ftp://h.test"), { scheme: "ftp", authority: "h.test" });
  assert.deepEqual(absoluteTarget("http://h?q=1"), { scheme: "http", authority: "h" });
  assert.deepEqual(absoluteTarget("http:///x"), { scheme: "http", authority: "" });
  for (const t of ["/v1/messages", "*", "api.anthropic.com:443", "/http://x", "1http://x"]) {
    assert.equal(absoluteTarget(t), null, t);
  }
});
