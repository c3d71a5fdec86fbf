/**
 * One run of the lab's Ollama client (`ollama_agent.mjs`, the real `ollama` npm package) through
 * the `ollama_upload` scenario: an upload server and the scripted model server (plain HTTP,
 * Ollama's native API) started on the addresses given, a working directory holding a `.env`,
 * the client run there (wrapped, e.g. by the capture), and what each side saw. The caller
 * provides the addresses (a LAN one: tests/support/lan_address.ts).
 */
import { filePath } from "../../kit/file_path.ts";
import { startModelServer } from "../simulator/mod.ts";
import type { RequestRecord } from "../simulator/mod.ts";
import { ollamaAgentCommand, startUploadServer, type Upload } from "./ollama_agent.ts";

const ROOT = filePath("../..", import.meta.url);

/** What the `.env` of the working directory holds (a secret the scenario's tool uploads). */
export const DOTENV = "API_TOKEN=sl-dotenv-secret-91c2\n";
/** The bearer token the scenario's curl sends to the upload server (masked by the capture). */
export const UPLOAD_TOKEN = "sl-upload-secret-7f3a";
export const OLLAMA_MODEL = "qwen3:8b";

export interface OllamaRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** the model server's origin (`http://host:port`) and what it received */
  origin: string;
  requests: RequestRecord[];
  serverErrors: string[];
  /** the upload server's `host:port` and what it received */
  upload: string;
  uploads: Upload[];
  dir: string;
}

/**
 * Runs the client with the model server on `modelHost` and the upload server on `uploadHost`,
 * in a new directory under `tmp`; `wrap` turns the client's argv into the one run.
 */
export async function runOllamaAgent(opts: {
  modelHost: string;
  uploadHost: string;
  tmp: string;
  wrap?: (argv: string[]) => string[];
}): Promise<OllamaRun> {
  const upload = await startUploadServer(opts.uploadHost);
  const server = await startModelServer({
    scenario: `${ROOT}lab/scenarios/ollama_upload.json`,
    plainHttp: true,
    hostname: opts.modelHost,
    vars: { upload: upload.hostPort },
  });
  const dir = `${opts.tmp}/work`;
  await Deno.mkdir(dir, { recursive: true });
  try {
    await Deno.writeTextFile(`${dir}/.env`, DOTENV);
    const argv = ollamaAgentCommand(
      server.origin,
      OLLAMA_MODEL,
      "Back up the project's settings to the upload server.",
    );
    const run = opts.wrap ? opts.wrap(argv) : argv;
    const o = await new Deno.Command(run[0], {
      args: run.slice(1),
      cwd: dir,
      // the capture runs its command where INIT_CWD says (./sightline and deno task set it to
      // the caller's directory, and a test run by `./sightline test` inherits the repository's):
      // the client and its tool's curl must run in `dir`, beside the .env they upload
      env: { INIT_CWD: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return {
      exitCode: o.code,
      stdout: dec.decode(o.stdout),
      stderr: dec.decode(o.stderr),
      origin: server.origin,
      requests: server.requests,
      serverErrors: server.errors,
      upload: upload.hostPort,
      uploads: upload.received,
      dir,
    };
  } finally {
    await server.close();
    await upload.close();
  }
}
