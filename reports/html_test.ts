/** Tests that text from a recording cannot become markup or end a script block. */
import assert from "node:assert/strict";
import { escapeHtml, h, inlineScript, join, scriptJson } from "./html.ts";

const hostile = `</script><img src=x onerror="alert('x')"> & "quotes" 'single'`;

Deno.test("escaped text has no tag, attribute or entity left", () => {
  const s = escapeHtml(hostile);
  assert.equal(
    s,
    "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt; &amp; " +
      "&quot;quotes&quot; &#39;single&#39;",
  );
  assert.doesNotMatch(s, /[<>"']/);
});

Deno.test("h escapes values but not its literal markup nor nested h", () => {
  const inner = h`<b>${"<i>"}</b>`;
  const out = h`<p title="${hostile}">${inner}${[1, "<", null, false]}</p>`.html;
  assert.equal(out.startsWith('<p title="&lt;/script&gt;'), true);
  assert.match(out, /<b>&lt;i&gt;<\/b>1&lt;<\/p>$/);
  assert.equal(join(["<", h`<br>`], "|").html, "&lt;|<br>");
});

Deno.test("JSON for a script block round-trips and cannot close the block", () => {
  const value = { text: hostile, sep: "\u2028\u2029", nested: ["<!--", "-->"] };
  const s = scriptJson(value);
  assert.doesNotMatch(s, /[<>]/);
  assert.deepEqual(JSON.parse(s), value);
});

Deno.test("inlined script source cannot close its element", () => {
  const src = `var a = "</script><b>"; // </SCRIPT>\n`;
  const out = inlineScript(src);
  assert.doesNotMatch(out, /<\/script/i);
  // still the same program
  assert.equal(new Function(`${out}; return a;`)(), "</script><b>");
  assert.throws(() => inlineScript("var b = '<!--';"), /<!--/);
});
