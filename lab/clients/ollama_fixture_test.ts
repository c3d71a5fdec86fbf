/**
 * The committed recording of the lab's Ollama client (tests/fixtures/ollama/lan_upload, made by
 * its make_fixture.ts under a real capture: the `ollama` npm client against the scripted model
 * server on 10.213.7.1, curl uploading `.env` to the same address) analysed as the capture test
 * requires (lab/clients/ollama_checks.ts), against what the servers received (`served.json`).
 * Runs without root.
 */
import { filePath } from "../../kit/file_path.ts";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { analysedCopy } from "../../analysis/testing.ts";
import { extractTranscript } from "../simulator/transcript_export.ts";
import { responseChunks } from "../simulator/replay.ts";
import { assertOllamaRecording, type OllamaServed } from "./ollama_checks.ts";

const FIXTURE = filePath("../../tests/fixtures/ollama/lan_upload/", import.meta.url);

Deno.test("ollama fixture: the native-API calls, the LAN upload in http_exchanges, links and the finding", async () => {
  const s = await analysedCopy(FIXTURE, { prefix: "sl-ollama-fixture-" });
  const dir = s.dir;
  try {
    const served = JSON.parse(
      await Deno.readTextFile(`${FIXTURE}served.json`),
    ) as OllamaServed;
    await assertOllamaRecording(s.db, served, s.problems);
    // its transcript (cleartext calls included) replays the answers as served: NDJSON by line
    const t = await extractTranscript(dir);
    assert.deepEqual(t.exchanges.map((x) => [x.provider, x.path, x.streaming, x.status]), [
      ["ollama", "/api/chat", true, 200],
      ["ollama", "/api/chat", false, 200],
      ["ollama", "/api/generate", true, 200],
      ["ollama", "/api/generate", false, 200],
    ]);
    const lines = responseChunks(t.exchanges[0]).map((c) =>
      JSON.parse(new TextDecoder().decode(c))
    );
    assert.ok(lines.length >= 3);
    assert.deepEqual(lines.map((l) => l.done), [...lines.slice(1).map(() => false), true]);
    assert.equal(lines.at(-1).eval_count, 38);
  } finally {
    await Deno.remove(dirname(dir), { recursive: true });
  }
});
