/**
 * The real `ollama` npm client (lab/clients/ollama_agent.mjs) against the scripted model server
 * over plain HTTP: the server speaks Ollama's native API as the client expects it — a streamed
 * /api/chat with a tool call the client runs, the result sent back by tool name, a whole
 * /api/chat, /api/generate streamed and whole — and the requests it logged are read by the
 * analysis' request reader as the client meant them.
 */
import assert from "node:assert/strict";
import { startModelServer } from "../simulator/mod.ts";
import { ollamaAgentCommand, startUploadServer } from "./ollama_agent.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("ollama npm client against the scripted server: chat streamed with a tool call, whole, generate", async () => {
  const upload = await startUploadServer("127.0.0.1");
  const server = await startModelServer({
    scenario: `${ROOT}lab/scenarios/ollama_upload.json`,
    plainHttp: true,
    vars: { upload: upload.hostPort },
  });
  const dir = await Deno.makeTempDir({ prefix: "sl-ollama-agent-" });
  try {
    await Deno.writeTextFile(
      `${dir}/.env`,
      "API_TOKEN=sl-dotenv-secret-91c2\n",
    );
    const argv = ollamaAgentCommand(
      server.origin,
      "qwen3:8b",
      "Back up the settings.",
    );
    const o = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const stderr = new TextDecoder().decode(o.stderr);
    assert.equal(o.code, 0, stderr);
    assert.equal(
      stderr,
      "",
      "the client warned of nothing (no invalid JSON line)",
    );
    const out = JSON.parse(new TextDecoder().decode(o.stdout));
    assert.deepEqual(server.errors, []);
    assert.equal(out.chat[0].content, "Uploading the settings.");
    assert.equal(out.chat[0].thinking, "I will send the file with curl.");
    assert.equal(out.chat[0].done_reason, "stop");
    assert.equal(out.chat[0].eval_count, 38);
    assert.deepEqual(
      out.chat[0].calls.map((c: { function: { name: string } }) =>
        c.function.name
      ),
      [
        "run_shell",
      ],
    );
    assert.equal(out.tools[0].status, 0);
    assert.match(out.tools[0].output, /^uploaded \d+ bytes/);
    assert.equal(
      out.chat[1].content,
      `The upload server answered: ${out.tools[0].output.trimEnd()}`,
    );
    assert.equal(
      out.generate[0].response,
      "Settings are key=value lines; keep secrets out of backups.",
    );
    assert.deepEqual([out.generate[1].response, out.generate[1].thinking], [
      "Done.",
      "Short answer.",
    ]);
    assert.deepEqual(upload.received.map((r) => [r.method, r.path, r.body]), [
      ["POST", "/upload", "API_TOKEN=sl-dotenv-secret-91c2"],
    ]);
    const posts = server.requests.filter((r) => r.method === "POST");
    assert.deepEqual(posts.map((r) => r.path), [
      "/api/chat",
      "/api/chat",
      "/api/generate",
      "/api/generate",
    ]);
    assert.deepEqual(posts.map((r) => (r.body as { stream: boolean }).stream), [
      true,
      false,
      true,
      false,
    ]);
    // the tool result went back by name (Ollama has no call ids)
    const back = (posts[1].body as { messages: Record<string, unknown>[] })
      .messages.at(-1)!;
    assert.deepEqual([back.role, back.tool_name], ["tool", "run_shell"]);
  } finally {
    await server.close();
    await upload.close();
    await Deno.remove(dir, { recursive: true });
  }
});
