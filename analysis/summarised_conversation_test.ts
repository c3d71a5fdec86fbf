/**
 * `quotes`: what a summariser's text must hold of a conversation's prompt to be its compaction.
 * The rule as a whole, on HTTP exchanges: conversations_test.ts (opencode's summariser).
 */
import assert from "node:assert/strict";
import { quotedChars, quotes } from "./summarised_conversation.ts";

const TEXT = '<conversation>\n[User]: "Fix the tokenizer bug in src/parser.ts"\n' +
  "and keep the tests green\n[Assistant]: Looking at it.\n</conversation>";

Deno.test("a transcript that prefixes the prompt's line with its role still quotes it", () => {
  assert.equal(quotes(TEXT, "Fix the tokenizer bug in src/parser.ts"), true);
  assert.equal(quotes(TEXT, "  Fix the tokenizer bug in src/parser.ts  \n"), true);
});

Deno.test("most of a prompt of many lines must be quoted, a reminder beside it need not", () => {
  assert.equal(
    quotes(TEXT, "Fix the tokenizer bug in src/parser.ts\nand keep the tests green\n<r>x</r>"),
    true,
  );
  assert.equal(
    quotes(
      TEXT,
      "Fix the tokenizer bug in src/parser.ts\n" + "a line the summariser dropped ".repeat(3),
    ),
    false,
  );
});

Deno.test("a prompt too short to tell, or one not in the text, is not quoted", () => {
  assert.equal(quotes(TEXT, "Looking"), false); // under MIN_LINE
  assert.equal(quotes("[User]: fix it now", "fix it now"), false); // under 12 characters
  assert.equal(quotes(TEXT, "Write a README for the project"), false);
});

Deno.test("quotedChars: the characters of the lines the text holds, a line under MIN_LINE not counted", () => {
  assert.equal(quotedChars(TEXT, "and keep the tests green"), "and keep the tests green".length);
  assert.equal(quotedChars(TEXT, "and keep the tests green\nLooking\nnot in the text at all"), 24);
  assert.equal(quotedChars(TEXT, "Write a README for the project"), 0);
});
