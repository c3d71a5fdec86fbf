/**
 * The scripted model server as a command (`deno task model-server`, lab/simulator/main.ts):
 * starts it, prints the URLs and the environment agents need, serves until stopped (SIGINT,
 * SIGTERM or SIGHUP), then saves the transcript if asked and says how many requests and
 * problems it served. A transcript path that cannot be written is an error before anything is
 * served, not at the end, where the session's transcript would be lost.
 */

import { startModelServer } from "./server.ts";
import { checkTranscriptPath } from "./transcript.ts";

/** What to serve and how (the command line's options, paths absolute). */
export interface ServeOptions {
  scenario?: string;
  replay?: string;
  /** replay with the transcript's pauses (default) or at once */
  timing: "transcript" | "zero";
  port: number;
  host: string;
  http1: boolean;
  /** plain HTTP/1.1, no TLS */
  plainHttp: boolean;
  saveTranscript?: string;
  log?: string;
  logBodies: boolean;
  vars: Record<string, string>;
}

/** Runs the server until `stop` resolves (by default: SIGINT or SIGTERM). */
export async function run(
  opts: ServeOptions,
  stop?: Promise<void>,
): Promise<void> {
  if (opts.saveTranscript) checkTranscriptPath(opts.saveTranscript);
  const server = await startModelServer({
    scenario: opts.scenario,
    transcript: opts.replay,
    timing: opts.timing,
    port: opts.port,
    hostname: opts.host,
    http1: opts.http1,
    plainHttp: opts.plainHttp,
    logFile: opts.log,
    logBodies: opts.logBodies,
    vars: opts.vars,
  });
  const lines = [
    `model server: ${server.origin} (${
      opts.plainHttp
        ? "plain HTTP/1.1, no TLS"
        : opts.http1
        ? "HTTP/1.1 only"
        : "HTTP/2 and HTTP/1.1"
    })`,
    `  ANTHROPIC_BASE_URL=${server.origin}`,
    `  GOOGLE_GEMINI_BASE_URL=${server.origin}`,
    `  OPENAI_BASE_URL=${server.url}`,
    ...(opts.plainHttp ? [] : [
      `  NODE_EXTRA_CA_CERTS=${server.caCertPath} SSL_CERT_FILE=${server.caCertPath} CODEX_CA_CERTIFICATE=${server.caCertPath}`,
    ]),
    ...server.pages.map((p) => `  page ${p.name}: ${p.url} (${p.addressUrl})`),
  ];
  console.log(lines.join("\n"));
  const signalled = stop ?? new Promise<void>((resolve) => {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      Deno.addSignalListener(s, () => resolve());
    }
  });
  await signalled;
  await server.close();
  if (opts.saveTranscript) {
    await server.saveTranscript(opts.saveTranscript);
    console.log(
      `transcript: ${opts.saveTranscript} (${server.transcript.exchanges.length} exchanges)`,
    );
  }
  console.log(
    `served ${server.requests.length} requests, ${server.errors.length} problems`,
  );
  for (const e of server.errors) console.log(`  problem: ${e}`);
}
