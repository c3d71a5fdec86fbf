/** The case-studies command line: studies, agents and the output directory, and bad values. */
import assert from "node:assert/strict";
import { parseCaseStudyArgs } from "./case_studies_main.ts";

Deno.test("case-studies: command line", async () => {
  const dir = await Deno.makeTempDir();
  const c = parseCaseStudyArgs(["--studies", "loop,team", "--agents", "codex", "--out", dir]);
  assert.deepEqual([c.studies, c.agents, c.outDir], [["loop", "team"], ["codex"], dir]);
  assert.throws(() => parseCaseStudyArgs(["--studies", "heist"]), /unknown study "heist"/);
  assert.throws(() => parseCaseStudyArgs(["--agents", "cursor"]), /unknown agent "cursor"/);
  await Deno.remove(dir);
});
