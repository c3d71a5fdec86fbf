/** Tests for run_and_report.ts: an agent run as `deno task agent` makes it (offline, no capture). */

import assert from "node:assert/strict";
import { parseAgentArgs } from "./agent_args.ts";
import { defaultRecordingName, run } from "./run_and_report.ts";

Deno.test("defaultRecordingName: <agent>-<scenario>, the scenario file's name without .json", () => {
  const c = parseAgentArgs(["gemini", "tool_marker", "--capture"]);
  assert.equal(defaultRecordingName(c.agent, c.scenario), "gemini-tool_marker");
});

Deno.test("run: runs an agent as the command line says, prints its answer and saves the transcript", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sightline-cli-" });
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    const r = await run(parseAgentArgs([
      "codex",
      "text_hello",
      "--workdir",
      `${dir}/work`,
      "--save-transcript",
      `${dir}/t.json`,
    ]));
    assert.equal(r.exitCode, 0, r.stderr);
  } finally {
    console.log = log;
  }
  const out = lines.join("\n");
  const transcript = JSON.parse(await Deno.readTextFile(`${dir}/t.json`));
  // the saved transcript replays through the same command line (--replay with the scenario)
  const replayed: string[] = [];
  console.log = (...a: unknown[]) => replayed.push(a.join(" "));
  let replay;
  try {
    replay = await run(parseAgentArgs([
      "codex",
      "text_hello",
      "--workdir",
      `${dir}/work2`,
      "--replay",
      `${dir}/t.json`,
    ]));
  } finally {
    console.log = log;
  }
  await Deno.remove(dir, { recursive: true });
  assert.match(out, /Hello from the Sightline scripted model\./);
  assert.match(out, /agent: codex, exit 0/);
  // Codex's default transport: a WebSocket, warmed up before the turn
  assert.match(out, /requests: 2 \(side:warmup, main\)/);
  assert.equal(transcript.format, "sightline-transcript");
  assert.equal(transcript.exchanges.length, 2);
  assert.equal(replay.exitCode, 0, replay.stderr);
  assert.deepEqual(replay.serverErrors, []);
  const again = replayed.join("\n");
  assert.match(again, /Hello from the Sightline scripted model\./);
  assert.match(again, /requests: 2 \(side:warmup, main\)/);
});

Deno.test("run: a --save-transcript that cannot be written is one line before the agent runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sightline-cli-" });
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await assert.rejects(
      () =>
        run(parseAgentArgs([
          "codex",
          "text_hello",
          "--workdir",
          `${dir}/work`,
          "--save-transcript",
          `${dir}/file/t.json`,
        ])),
      /^Error: --save-transcript \S+\/file\/t\.json: cannot write it \(Not a directory/,
    );
    // the agent never ran: no work directory was made
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["file"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
