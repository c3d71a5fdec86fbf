/**
 * The committed recording of the lab's Ollama client (tests/fixtures/ollama/lan_upload, made by
 * its make_fixture.ts under a real capture: the `ollama` npm client against the scripted model
 * server on 10.213.7.1, curl uploading `.env` to the same address) analysed as the capture test
 * requires (lab/clients/ollama_checks.ts), against what the servers received (`served.json`).
 * Runs without root.
 */
import { analyzeRecording } from "../../analysis/analyze.ts";
import { prices } from "../../analysis/testing.ts";
import { assertOllamaRecording, type OllamaServed } from "./ollama_checks.ts";

const FIXTURE = new URL("../../tests/fixtures/ollama/lan_upload/", import.meta.url).pathname;

Deno.test("ollama fixture: the native-API calls, the LAN upload in http_exchanges, links and the finding", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sl-ollama-fixture-" });
  try {
    const dir = `${tmp}/lan_upload`;
    await Deno.mkdir(dir);
    for (const e of Deno.readDirSync(FIXTURE)) {
      await Deno.copyFile(`${FIXTURE}${e.name}`, `${dir}/${e.name}`);
    }
    const served = JSON.parse(
      await Deno.readTextFile(`${dir}/served.json`),
    ) as OllamaServed;
    const s = await analyzeRecording(dir, prices, {
      quiet: true,
      err: () => {},
    });
    await assertOllamaRecording(s.db, served, s.problems);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
