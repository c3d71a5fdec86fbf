/** kit/shell.ts against a real /bin/sh: every word it makes is read back unchanged. */
import assert from "node:assert/strict";
import { shellJoin, shellWord, shQuote } from "./shell.ts";

/** The words sh reads from `line`, one per line of output (printf's format repeats). */
async function words(line: string): Promise<string[]> {
  const r = await new Deno.Command("/bin/sh", {
    args: ["-c", `printf '%s\\0' ${line}`],
    stdout: "piped",
  }).output();
  assert.equal(r.code, 0);
  return new TextDecoder().decode(r.stdout).split("\0").slice(0, -1);
}

const WORDS = [
  "plain",
  "plain-word_1.txt",
  "a,b=c:d@e%f+g",
  "it's",
  "a b\tc",
  "$HOME `id` $(id)",
  "'\"\\'",
  "",
  "new\nline",
  "*.ts",
  "~/x",
  "{a,b}",
  "#c",
];

Deno.test("shQuote and shellWord: any word survives the shell", async () => {
  for (const w of WORDS) {
    assert.deepEqual(await words(shQuote(w)), [w], `shQuote ${JSON.stringify(w)}`);
    assert.deepEqual(await words(shellWord(w)), [w], `shellWord ${JSON.stringify(w)}`);
  }
  assert.deepEqual(await words(shellJoin(WORDS)), WORDS);
});

Deno.test("shellWord leaves plain words bare and quotes the rest", () => {
  assert.equal(shellWord("plain-word_1.txt"), "plain-word_1.txt");
  assert.equal(shellWord("a,b=c:d@e%f+g"), "a,b=c:d@e%f+g");
  assert.equal(shellWord("a b"), "'a b'");
  assert.equal(shellWord(""), "''");
  assert.equal(shellJoin(["tee", "marker.txt", "it's"]), "tee marker.txt 'it'\\''s'");
});
