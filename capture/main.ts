/**
 * `deno task capture [OPTIONS] -- CMD ARGS...`: records what CMD and its descendants do.
 * Parses arguments (capture_args.ts, without node:util: the first node: import costs ~70 ms,
 * which would delay the loader's start), starts the loader (launch), loads the rest while it
 * attaches, calls run(), and maps errors to exit codes. Its static imports are what every mode
 * needs, `--via` (a resident capture's client, paid once per session) included; each mode's
 * modules are imported when that mode runs, by later() (kit/later.ts), so that Deno reads
 * none of them at start-up: `--via` reads the client's few modules, not the capture's ~90
 * (reports/bench/capture.md, Sessions 34 and 36; capture/start_graph_test.ts guards both, and
 * that each later() names one module as its type and its URL).
 */
import { CliError } from "../kit/cli_error.ts";
import { phase } from "./phase_log.ts";
import { captureOptions, parseOptions, residentMode, splitArgs, USAGE } from "./capture_args.ts";
import { later } from "../kit/later.ts";

/** A module of this directory, imported when its mode runs (kit/later.ts). */
const here = (name: string) => new URL(name, import.meta.url);

/** A session of the resident capture at `socket` (default: --socket's in `args`) asked with
 * the command line `args` (resident_client.ts): its exit code. */
async function viaClient(args: string[], socket?: string): Promise<number> {
  const { via, viaSocket } = await later<typeof import("./resident_client.ts")>(
    here("./resident_client.ts"),
  );
  try {
    return await via(socket ?? viaSocket(args), args, Deno.cwd(), Deno.env.toObject());
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    console.error(`sightline: ${e.message}`);
    return e.exitCode;
  }
}

export async function main(args: string[]): Promise<number> {
  phase("main");
  // Relative paths (the command, --out) are the user's: run where they ran the task from
  // (deno task and ./sightline start in the project root and keep theirs in INIT_CWD).
  const from = Deno.env.get("INIT_CWD");
  if (from) {
    try {
      Deno.chdir(from);
    } catch (e) {
      console.error(`sightline: cannot enter ${from} (${(e as Error).message})`);
      return 1;
    }
  }
  // a resident capture's session, --via first: its command line goes to the server unparsed
  // (via_session.ts reads it, for this client and native/via_client.c alike)
  // (but `--via --help` is answered here, server or none, as `capture --help` is)
  const help = splitArgs(args).opts.some((o) => o === "--help" || o === "-h");
  if (args[0] === "--via" && !help) return await viaClient(args);
  const { opts: optArgs, cmd } = splitArgs(args);
  let values;
  try {
    values = parseOptions(optArgs);
  } catch (e) {
    console.error(`sightline: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const resident = residentMode(values, cmd);
    if (resident?.mode === "serve") {
      const { serve } = await later<typeof import("./resident_server.ts")>(
        here("./resident_server.ts"),
      );
      return await serve(resident.socket);
    }
    if (resident) return await viaClient(args, resident.socket);
    const opts = captureOptions(values, cmd);
    // The loader loads and attaches the eBPF programs while the rest of the capture loads.
    const { launch } = await later<typeof import("./launch.ts")>(here("./launch.ts"));
    const launched = launch(opts);
    const [{ run }, { h2RedactorFactory }, { locateForCapture }] = await Promise.all([
      later<typeof import("./recorder.ts")>(here("./recorder.ts")),
      later<typeof import("./h2_glue.ts")>(here("./h2_glue.ts")),
      later<typeof import("./locator_glue.ts")>(here("./locator_glue.ts")),
    ]);
    phase("modules loaded");
    const res = await run(
      { ...opts, locator: locateForCapture, h2Redactor: h2RedactorFactory },
      launched,
    );
    return res.exitCode;
  } catch (e) {
    if (e instanceof CliError) {
      console.error(`sightline: ${e.message}`);
      return e.exitCode;
    }
    console.error(`sightline: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  phase("exit");
  Deno.exit(code);
}
