import assert from "node:assert/strict";
import { later } from "./later.ts";
import { CliError } from "./cli_error.ts";
import { filePath } from "./file_path.ts";

Deno.test("later() imports the module at the URL when called", async () => {
  const m = await later<typeof import("./cli_error.ts")>(
    new URL("./cli_error.ts", import.meta.url),
  );
  const e = new m.CliError("no such file", 2);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, "no such file");
});

Deno.test("later() of a module that is not there: a CliError of one line naming it", async () => {
  const url = new URL("./no_such_module.ts", import.meta.url);
  const e = await later(url).then(() => undefined, (e) => e);
  assert.ok(e instanceof CliError, `${e}`);
  assert.equal(e.exitCode, 1);
  assert.ok(!e.message.includes("\n"), e.message);
  assert.ok(
    e.message.startsWith(`cannot load ${filePath(url)}: `) &&
      e.message.endsWith(" (is the checkout whole?)"),
    e.message,
  );
});

Deno.test("later() of a module that does not parse: a CliError of one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sightline-later-" });
  try {
    await Deno.writeTextFile(`${dir}/broken.ts`, "export const x = ;\n");
    const url = new URL(`file://${dir}/broken.ts`);
    const e = await later(url).then(() => undefined, (e) => e);
    assert.ok(e instanceof CliError, `${e}`);
    assert.ok(!e.message.includes("\n"), e.message);
    assert.ok(e.message.startsWith(`cannot load ${dir}/broken.ts: `), e.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("later() of a module importing a package no import map names (deno run --no-config): a CliError of one line naming the import and deno.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sightline-later-" });
  try {
    await Deno.writeTextFile(`${dir}/bare.ts`, 'import "sightline-no-such-package";\n');
    const url = new URL(`file://${dir}/bare.ts`);
    const e = await later(url).then(() => undefined, (e) => e);
    assert.ok(e instanceof CliError, `${e}`);
    assert.equal(e.exitCode, 1);
    assert.ok(!e.message.includes("\n"), e.message);
    assert.ok(e.message.startsWith(`cannot load ${dir}/bare.ts: `), e.message);
    assert.ok(e.message.includes('"sightline-no-such-package"'), e.message);
    assert.ok(e.message.includes("deno.json") && e.message.includes("drop --no-config"), e.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
