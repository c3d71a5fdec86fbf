/** Tests for the model server's command line. */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseServeArgs, run } from "./main.ts";
import { CliError, userPath } from "../../kit/cli.ts";

const SCENARIO = fileURLToPath(
  new URL("../scenarios/text_hello.json", import.meta.url),
);

Deno.test("parseServeArgs: options and one-line errors", () => {
  const o = parseServeArgs([
    "--scenario",
    "s.json",
    "--port",
    "8443",
    "--http1",
    "--var",
    "a=b=c",
  ]);
  assert.equal(o.port, 8443);
  assert.equal(o.http1, true);
  assert.deepEqual(o.vars, { a: "b=c" });
  assert.equal(o.timing, "transcript");
  assert.equal(o.plainHttp, false);
  assert.equal(parseServeArgs(["--scenario", "s.json", "--plain-http"]).plainHttp, true);
  assert.equal(parseServeArgs(["--replay", "t.json", "--timing", "zero"]).timing, "zero");
  // deno task's --; paths are the user's
  assert.equal(parseServeArgs(["--", "--scenario", "s.json"]).scenario, userPath("s.json"));
  const bad: [string[], RegExp][] = [
    [[], /give --scenario FILE or --replay TRANSCRIPT/],
    [["--scenario", "s", "--port", "x"], /--port: expected 0-65535/],
    [
      ["--scenario", "s", "--host", "10.1.2.3"],
      /--host: must be a loopback address/,
    ],
    [["--scenario", "s", "--var", "novalue"], /--var: expected NAME=VALUE/],
    [["--replay", "t", "--timing", "slow"], /--timing: expected transcript or zero/],
    [["--scenario", "s", "--bogus"], /Unknown option '--bogus'/],
    [["--scenario", "s", "--http1", "--plain-http"], /--http1 .* or --plain-http .*, not both/],
  ];
  for (const [args, re] of bad) {
    assert.throws(
      () => parseServeArgs(args),
      (e: Error) =>
        e instanceof CliError && e.exitCode === 2 && re.test(e.message) &&
        !e.message.includes("\n"),
    );
  }
});

Deno.test("the CLI entry point serves until stopped, then saves the transcript", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  let release!: () => void;
  const stop = new Promise<void>((r) => release = r);
  const done = run({
    ...parseServeArgs([
      "--scenario",
      SCENARIO,
      "--save-transcript",
      `${dir}/t.json`,
    ]),
  }, stop);
  try {
    for (let i = 0; i < 100 && lines.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const origin = /model server: (https:\/\/127\.0\.0\.1:\d+)/.exec(lines[0])![1];
    const ca = /NODE_EXTRA_CA_CERTS=(\S+)/.exec(lines.join("\n"))![1];
    const client = Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(ca)],
    });
    const r = await fetch(`${origin}/v1/chat/completions`, {
      method: "POST",
      client,
      body: JSON.stringify({
        model: "m",
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    assert.equal(
      (await r.json()).choices[0].message.content,
      "Hello from the Sightline scripted model.",
    );
    client.close();
  } finally {
    release();
    await done;
    console.log = log;
  }
  const t = JSON.parse(await Deno.readTextFile(`${dir}/t.json`));
  await Deno.remove(dir, { recursive: true });
  assert.equal(t.exchanges.length, 1);
  assert.ok(lines.some((l) => l.startsWith("served 1 requests, 0 problems")));
});
