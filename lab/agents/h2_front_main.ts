/**
 * Runs the h2 front (`h2_front.ts`) in a process of its own, so that a crash of the runtime's
 * HTTP/2 ends the front, which the run then reports, not the runner with the servers it started
 * (the front's first version, on `node:http2`, aborted in Deno's nghttp2 in ~1 of 8 Codex runs,
 * `find_stream_on_goaway_func`: denoland/deno#36788; it now speaks HTTP/2 through `Deno.serve`). Reads the
 * certificate and key as JSON on stdin (`{cert, key}`: never on a command line), prints
 * `listening PORT`, then `alpn PROTOCOL` for each connection; ends on SIGTERM.
 *
 *   deno run -A lab/agents/h2_front_main.ts HOSTNAME PORT BACKEND_HOSTNAME BACKEND_PORT
 */
import { startH2Front } from "./h2_front.ts";

if (import.meta.main) {
  const [hostname, port, backendHostname, backendPort] = Deno.args;
  if (!hostname || !port || !backendHostname || !backendPort) {
    console.error(
      "usage: h2_front_main.ts HOSTNAME PORT BACKEND_HOSTNAME BACKEND_PORT",
    );
    Deno.exit(2);
  }
  const { cert, key } = JSON.parse(
    await new Response(Deno.stdin.readable).text(),
  );
  const front = await startH2Front({
    hostname,
    port: Number(port),
    cert,
    key,
    backend: { hostname: backendHostname, port: Number(backendPort) },
    onConnection: (alpn) => console.log(`alpn ${alpn}`),
  });
  console.log(`listening ${front.port}`);
  const stop = async () => {
    await front.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", stop);
}
