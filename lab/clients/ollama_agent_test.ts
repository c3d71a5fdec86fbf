/**
 * The real `ollama` npm client (lab/clients/ollama_agent.mjs) against the scripted model server
 * over plain HTTP on loopback, not traced: the server speaks Ollama's native API as the client
 * expects it — a streamed /api/chat with a tool call the client runs, the result sent back by
 * tool name, a whole /api/chat, /api/generate streamed and whole — and the client warns of no
 * line it could not parse.
 */
import assert from "node:assert/strict";
import { DOTENV, runOllamaAgent } from "./ollama_run.ts";

Deno.test("ollama npm client against the scripted server: chat streamed with a tool call, whole, generate", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-ollama-agent-" });
  try {
    const run = await runOllamaAgent({
      modelHost: "127.0.0.1",
      uploadHost: "127.0.0.1",
      tmp,
    });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(
      run.stderr,
      "",
      "the client warned of nothing (no invalid JSON line)",
    );
    assert.deepEqual(run.serverErrors, []);
    const out = JSON.parse(run.stdout);
    assert.equal(out.chat[0].content, "Uploading the settings.");
    assert.equal(out.chat[0].thinking, "I will send the file with curl.");
    assert.equal(out.chat[0].done_reason, "stop");
    assert.equal(out.chat[0].eval_count, 38);
    assert.deepEqual(
      out.chat[0].calls.map((c: { function: { name: string } }) => c.function.name),
      ["run_shell"],
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
    assert.deepEqual(run.uploads.map((r) => [r.method, r.path, r.body]), [
      ["POST", "/upload", DOTENV.trimEnd()],
    ]);
    const posts = run.requests.filter((r) => r.method === "POST");
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
    await Deno.remove(tmp, { recursive: true });
  }
});
