import assert from "node:assert/strict";
import { later } from "./later.ts";

Deno.test("later() imports the module at the URL when called", async () => {
  const m = await later<typeof import("./cli_error.ts")>(
    new URL("./cli_error.ts", import.meta.url),
  );
  const e = new m.CliError("no such file", 2);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, "no such file");
});

Deno.test("later() rejects with the import's error for a module that is not there", async () => {
  await assert.rejects(later(new URL("./no_such_module.ts", import.meta.url)));
});
