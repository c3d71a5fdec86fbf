/** Tests for `{{name}}` placeholders. */

import assert from "node:assert/strict";
import { fillTemplate, fillTemplatesDeep, TemplateError } from "./templates.ts";

Deno.test("placeholders are filled, deep too", () => {
  assert.equal(
    fillTemplate("a {{x}} b {{ pages.docs.url }}", {
      x: "1",
      "pages.docs.url": "u",
    }),
    "a 1 b u",
  );
  assert.deepEqual(
    fillTemplatesDeep({ k: ["{{x}}", 2, { y: "{{x}}" }] }, { x: "v" }),
    {
      k: ["v", 2, { y: "v" }],
    },
  );
});

Deno.test("an unknown placeholder is an error listing the known names", () => {
  assert.throws(
    () =>
      fillTemplate("{{tool_output}}", {
        workdir: "/w",
        tool_output: undefined,
      }),
    (e: Error) =>
      e instanceof TemplateError &&
      e.message === "no value for {{tool_output}} (known: workdir)",
  );
});
