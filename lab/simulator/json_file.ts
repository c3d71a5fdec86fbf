/**
 * Reading the server's JSON input files (scenarios, transcripts): one error naming the file and
 * what went wrong, in the caller's error type.
 */
import { parseJsonText } from "../../kit/json_text.ts";

/** Reads and parses `path`; failures become `fail(field, problem)` (`file` or `json`). */
export async function readJsonFile(
  path: string,
  fail: (field: "file" | "json", problem: string) => Error,
): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw fail("file", `cannot read: ${(e as Error).message}`);
  }
  try {
    return parseJsonText(text); // a leading byte order mark (an editor's) ignored
  } catch (e) {
    throw fail("json", `not valid JSON: ${(e as Error).message}`);
  }
}
