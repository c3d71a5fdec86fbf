/**
 * The lab's entry points refuse bad input the way every command does (kit/cli.ts): the error in
 * one line naming the command and what was wrong, then the usage, and exit code 2 — before
 * they start anything (no agent, capture or root needed). An option given an empty value too.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";

const ROOT = filePath("../", import.meta.url);
const dec = new TextDecoder();

const CASES: [string, string[], RegExp][] = [
  [
    "lab/eval/eval_main.ts",
    ["--agents", "claude,cursor"],
    /^eval: --agents: unknown agent "cursor"/,
  ],
  ["lab/eval/eval_main.ts", ["--window-ms", "0"], /^eval: --window-ms: expected milliseconds > 0/],
  ["lab/eval/mcp_eval_main.ts", ["--runs", "0"], /^eval:mcp: --runs wants a whole number from 1/],
  [
    "lab/case_studies/case_studies_main.ts",
    ["--studies", "heist"],
    /^case-studies: --studies: unknown study "heist"/,
  ],
  ["lab/agents/demo.ts", ["--agents", "aider"], /^demo: --agents: unknown agent "aider"/],
  [
    "lab/coverage/main.ts",
    ["--capture", "some"],
    /^coverage: --capture must be sample, all or none/,
  ],
  ["lab/evasion/blind_spots_main.ts", ["--bogus"], /^blind-spots: Unknown option '--bogus'/],
  // an empty value (a variable unset): refused, not read as every agent or study, or as here
  ...([
    ["lab/eval/eval_main.ts", "eval", "agents"],
    ["lab/eval/mcp_eval_main.ts", "eval:mcp", "runs"],
    ["lab/case_studies/case_studies_main.ts", "case-studies", "studies"],
    ["lab/agents/demo.ts", "demo", "agents"],
    ["lab/coverage/main.ts", "coverage", "agent"],
    ["lab/evasion/blind_spots_main.ts", "blind-spots", "out"],
  ].map(([main, name, option]): [string, string[], RegExp] => [
    main,
    [`--${option}=`],
    new RegExp(`^${name}: --${option} wants a value, got an empty string$`),
  ])),
];

for (const [main, args, message] of CASES) {
  Deno.test(`entry point: ${main} ${args.join(" ")} is one line and exit 2`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `${ROOT}${main}`, ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const [first, ...rest] = dec.decode(out.stderr).trimEnd().split("\n");
    assert.equal(out.code, 2);
    assert.match(first, message);
    assert.match(rest.join("\n"), /^usage: /, "the usage follows the one line");
    assert.equal(dec.decode(out.stdout), "");
  });
}
