/**
 * Runs a capture in-process for a test and waits until its loader has gone, so that no
 * child process outlives the test.
 */
import { h2RedactorFactory } from "../../capture/h2_glue.ts";
import { locateForCapture } from "../../capture/locator_glue.ts";
import { type CaptureOptions, type CaptureResult, run } from "../../capture/recorder.ts";
import { readRecording, type Recording } from "../../recording/recording.ts";

export async function captureForTest(
  opts: CaptureOptions,
): Promise<{ res: CaptureResult; rec: Recording }> {
  const out = opts.out ?? `${await Deno.makeTempDir({ prefix: "sl-rec-" })}/rec`;
  const res = await run({
    quiet: true,
    locator: locateForCapture,
    h2Redactor: h2RedactorFactory,
    ...opts,
    out,
  });
  await res.loaderExit;
  return { res, rec: readRecording(out) };
}
