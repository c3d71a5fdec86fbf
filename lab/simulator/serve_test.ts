/** Tests for serve.ts: the model server as a command, started, used and stopped. */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { run } from "./serve.ts";

const SCENARIO = fileURLToPath(
  new URL("../scenarios/text_hello.json", import.meta.url),
);

Deno.test("run serves until stopped, then saves the transcript", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  let release!: () => void;
  const stop = new Promise<void>((r) => release = r);
  const done = run({
    scenario: SCENARIO,
    timing: "transcript",
    port: 0,
    host: "127.0.0.1",
    http1: false,
    plainHttp: false,
    saveTranscript: `${dir}/t.json`,
    logBodies: false,
    vars: {},
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

Deno.test("run: a --log or --save-transcript that cannot be written is one line before serving", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  const opts = {
    scenario: SCENARIO,
    timing: "transcript" as const,
    port: 0,
    host: "127.0.0.1",
    http1: false,
    plainHttp: false,
    logBodies: false,
    vars: {},
  };
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    for (
      const [extra, what] of [
        [{ log: `${dir}/file/log.jsonl` }, "--log"],
        [{ saveTranscript: `${dir}/file/t.json` }, "--save-transcript"],
        [{ saveTranscript: dir }, "--save-transcript"],
        [{ log: `${dir}/none/log.jsonl` }, "--log"],
      ] as const
    ) {
      // the server never starts: a session's transcript is not lost at its end
      await assert.rejects(
        () => run({ ...opts, ...extra }, new Promise(() => {})),
        (e: Error) => {
          assert.match(e.message, new RegExp(`^${what} \\S+: cannot write it \\(.+\\)$`));
          return true;
        },
      );
    }
  } finally {
    console.log = log;
  }
  assert.deepEqual(lines, []);
  // nothing was left behind by the checks
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"]);
  await Deno.remove(dir, { recursive: true });
});
