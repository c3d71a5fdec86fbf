/**
 * The loader stream recorded from a real capture (tests/fixtures/capture/, made by
 * record_stream.ts) for tests of the capture's session steps without root: the stream's bytes,
 * the live capture's manifest, a record sink started as that capture started its own, and a
 * feeder that decodes the bytes into it as the session does.
 */
import { filePath } from "../../kit/file_path.ts";
import { decode, Kind } from "../../capture/events.ts";
import { createFrameParser } from "../../capture/frames.ts";
import { RecordSink } from "../../capture/record_sink.ts";
import { startManifest } from "../../capture/manifest_builder.ts";
import { h2RedactorFactory } from "../../capture/h2_glue.ts";
import type { Manifest } from "../../recording/manifest.ts";

export const STREAM_FIXTURE = filePath("../fixtures/capture/", import.meta.url);

/** The recorded loader stream, unzipped. */
export async function fixtureStream(): Promise<Uint8Array> {
  const file = await Deno.open(`${STREAM_FIXTURE}loader_stream.bin.gz`);
  const gunzipped = file.readable.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(gunzipped).arrayBuffer());
}

/** The manifest the live capture of the stream wrote. */
export function liveManifest(): Manifest {
  return JSON.parse(Deno.readTextFileSync(`${STREAM_FIXTURE}manifest.json`));
}

/** A manifest and record sink writing into `dir`, started as the live capture started. */
export function fixtureSink(dir: string, live = liveManifest()) {
  const manifest = startManifest(
    { cmd: live.command! },
    {
      cwd: live.cwd,
      uid: live.uid,
      gate: true,
      ipc: true,
      maxTlsBytes: live.options.max_tls_bytes,
    },
    BigInt(live.started_ns),
  );
  const sink = new RecordSink(
    { dir, maxTlsBytes: live.options.max_tls_bytes, ipc: true, h2Redactor: h2RedactorFactory },
    manifest,
  );
  return { manifest, sink };
}

/**
 * A feeder of loader bytes into `sink`, decoded as the session decodes them (the loader's
 * replies are its client's, not the sink's). `end()`: the parser's bytes left over (0 when
 * the stream ended on a whole frame).
 */
export function sinkFeeder(sink: RecordSink) {
  const parser = createFrameParser({
    onFrame: (rec) => {
      const ev = decode(rec);
      if (ev.kind !== Kind.REPLY) sink.push(ev);
    },
  });
  return { feed: (bytes: Uint8Array) => parser.feed(bytes), end: () => parser.end() };
}
