/** first_inspection's answer check: a file answered differently by the two trees (a lost hook,
 * another status) or by one tree in two runs is a DIFF line; the same answers are none. */
import assert from "node:assert/strict";
import { answerDiffs } from "./first_inspection.ts";

const hooked = JSON.stringify(["hooked", [["SSL_write", 4352], ["SSL_read", 4368]]]);
const lostOne = JSON.stringify(["hooked", [["SSL_write", 4352]]]);
const none = JSON.stringify(["none", []]);

Deno.test("the same answers in every run of both trees are no difference", () => {
  const answers = new Map([
    ["/lib/a.so", new Map([["baseline", [hooked, hooked]], ["this tree", [hooked, hooked]]])],
    ["/lib/b.so", new Map([["baseline", [none]], ["this tree", [none]]])],
  ]);
  assert.deepEqual(answerDiffs(answers), []);
});

Deno.test("a lost hook, or a tree disagreeing with itself, is a DIFF line naming the file", () => {
  const answers = new Map([
    ["/lib/a.so", new Map([["baseline", [hooked]], ["this tree", [lostOne]]])],
    ["/lib/b.so", new Map([["baseline", [none, none]], ["this tree", [none, hooked]]])],
    ["/lib/c.so", new Map([["baseline", [none]], ["this tree", [none]]])],
  ]);
  assert.deepEqual(answerDiffs(answers), [
    `DIFF /lib/a.so: baseline ${hooked}; this tree ${lostOne}`,
    `DIFF /lib/b.so: baseline ${none}; this tree ${none} | ${hooked}`,
  ]);
});
