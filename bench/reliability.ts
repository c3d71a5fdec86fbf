/**
 * `deno task reliability [--minutes N] [--seed N] [--no-ebpf]`: what was tried against the
 * analysis and the commands, and what came of it, written to `reports/reliability.md`:
 *   - the fuzzer (bench/fuzz) for N minutes (default 3): inputs by mutation, crashes, broken
 *     promises, damage reported, calls of undamaged connections lost, time and memory;
 *   - the tests of every legal row shape, of the build steps that turn bad rows into problems,
 *     of the capture under faults (not root, no BTF, command not found, disk full, SIGKILL of
 *     the capture mid-run) and of interrupting agent, demo and bench with SIGINT and SIGTERM
 *     under capture (no process, no probe left): each test file's passes and failures.
 * The eBPF tests need root and run under `flock /tmp/sightline-ebpf.lock` (skipped with
 * --no-ebpf or without root, and said so). Exit 1 when anything failed.
 */
import { join } from "node:path";
import { intOption, parseCommand, PROJECT_ROOT, runCommand, usageError } from "../kit/cli.ts";
import { type Outcome, runFuzz } from "./fuzz/fuzz.ts";

const USAGE = "usage: deno task reliability [--minutes N] [--seed N] [--no-ebpf]";
const OUT = join(PROJECT_ROOT, "reports", "reliability.md");

/** Where the hand-written part of the report starts; what follows it is kept on a rerun. */
const HAND_WRITTEN = "<!-- hand-written below: kept when the report is rewritten -->";

/** The hand-written part of a report's text (from its marker on), or "". */
export function handWritten(text: string): string {
  const at = text.indexOf(HAND_WRITTEN);
  return at < 0 ? "" : text.slice(at);
}

/** The test files whose results the report gives, with what each tries. */
const SUITES: { file: string; what: string; ebpf: boolean }[] = [
  {
    file: "analysis/row_shapes_test.ts",
    what: "every row shape the kernel emits (exits by signal, unseen starts, outliving the " +
      "capture, pid reuse, thread exec, out of order), tables empty or missing, old manifests",
    ebpf: false,
  },
  {
    file: "analysis/build_steps_test.ts",
    what:
      "failing statements and rows that break a declaration become problems, never an exception",
    ebpf: false,
  },
  {
    file: "analysis/hostile_input_test.ts",
    what: "hand-made hostile input: random bytes, a 100 MB header, bad HPACK, a 50 MB SSE event",
    ebpf: false,
  },
  {
    file: "tests/hostile_names_test.ts",
    what: "a real capture of file names and arguments holding terminal escapes, a bidi " +
      "override, bytes not UTF-8 and markup: the sql table, the analyze/findings summary and " +
      "the report show them inert",
    ebpf: false,
  },
  {
    file: "kit/cli_test.ts",
    what: "signals stop a command's whole process tree (daemons, children ignoring SIGTERM)",
    ebpf: false,
  },
  {
    file: "capture/capture_errors_test.ts",
    what: "capture under faults: not root, no BTF, command not found, --out not empty, " +
      "SIGKILL of the capture mid-run, --comm",
    ebpf: true,
  },
  {
    file: "capture/capture_disk_full_test.ts",
    what: "the recording's disk filled by the command: kept to the end (rows lost counted, " +
      "the rest readable and analysed) or freed again in time (nothing lost)",
    ebpf: true,
  },
  {
    file: "capture/capture_faults_test.ts",
    what: "capture under faults: the loader killed, the capture killed (nothing left attached), " +
      "two captures at once, a ring-buffer overflow (drops counted per kind), a setuid exec",
    ebpf: true,
  },
  {
    file: "lab/integration/interrupt_test.ts",
    what: "agent, demo and bench interrupted with SIGINT and SIGTERM under capture: no process, " +
      "no eBPF program or link left",
    ebpf: true,
  },
];

interface SuiteResult {
  file: string;
  what: string;
  tests: number;
  failures: number;
  skipped: number;
  seconds: number;
  note?: string;
}

/** Runs one test file (under the eBPF lock when it loads eBPF); counts from its JUnit report. */
async function runSuite(s: (typeof SUITES)[number], ebpf: boolean): Promise<SuiteResult> {
  const base = { file: s.file, what: s.what, tests: 0, failures: 0, skipped: 0, seconds: 0 };
  if (s.ebpf && !ebpf) return { ...base, note: "not run (needs root and eBPF)" };
  const junit = await Deno.makeTempFile({ suffix: ".xml" });
  const test = [
    Deno.execPath(),
    "test",
    "-A",
    "--quiet",
    "--reporter=dot",
    `--junit-path=${junit}`,
    s.file,
  ];
  const argv = s.ebpf ? ["flock", "/tmp/sightline-ebpf.lock", ...test] : test;
  const t0 = performance.now();
  await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: PROJECT_ROOT,
    stdout: "null",
    stderr: "null",
  }).output();
  const xml = await Deno.readTextFile(junit).catch(() => "");
  await Deno.remove(junit).catch(() => {});
  const attr = (name: string) =>
    [...xml.matchAll(new RegExp(`<testsuite [^>]*${name}="(\\d+)"`, "g"))]
      .reduce((n, m) => n + Number(m[1]), 0);
  if (!xml) return { ...base, failures: 1, note: "the test run wrote no report" };
  return {
    ...base,
    tests: attr("tests"),
    failures: attr("failures") + attr("errors"),
    skipped: attr("skipped"),
    seconds: (performance.now() - t0) / 1000,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};

function fuzzTable(outcomes: Outcome[]): string[] {
  const kinds = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    // the mutation's kind: its name without the numbers drawn
    const k = `${o.level}: ${o.mutation.replace(/(?<![/-])\b\d+\b/g, "N")}`;
    kinds.set(k, [...(kinds.get(k) ?? []), o]);
  }
  const rows = [
    "| mutation | promise | inputs | crashes | broken promises | with problems rows | median ms | max ms |",
    "| --- | --- | --: | --: | --: | --: | --: | --: |",
  ];
  for (const [k, os] of [...kinds.entries()].sort()) {
    rows.push(
      `| ${k} | ${os[0].expect} | ${os.length} | ${os.filter((o) => o.crash).length} | ${
        os.filter((o) => o.violations.length).length
      } | ${os.filter((o) => o.problems > 0).length} | ${
        median(os.map((o) => o.ms)).toFixed(0)
      } | ${Math.max(...os.map((o) => o.ms)).toFixed(0)} |`,
    );
  }
  return rows;
}

async function commit(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["rev-parse", "--short", "HEAD"],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim() || "?";
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseCommand(args, {
    minutes: { type: "string", default: "3" },
    seed: { type: "string" },
    "no-ebpf": { type: "boolean", default: false },
  }, { positionals: false });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) {
    throw usageError(`--minutes wants a positive number, got "${values.minutes}"`);
  }
  const seed = intOption("seed", values.seed) ?? 20261202;
  const ebpf = !values["no-ebpf"] && Deno.uid() === 0;

  console.error(`reliability: fuzzing for ${minutes} min (seed ${seed})`);
  const fuzz = await runFuzz({ seed, tlsRuns: 40, fileRuns: 4, durationMs: minutes * 60_000 });
  const suites: SuiteResult[] = [];
  for (const s of SUITES) {
    console.error(`reliability: ${s.file}`);
    suites.push(await runSuite(s, ebpf));
  }
  const damaged = fuzz.outcomes.filter((o) => o.expect === "reported");
  const lost = fuzz.outcomes.filter((o) =>
    o.violations.some((v) => /call\(s\) of undamaged/.test(v))
  );
  const failedTests = suites.reduce((n, s) => n + s.failures, 0);
  const md = [
    "# Reliability",
    "",
    `<!-- written by \`deno task reliability --minutes ${minutes} --seed ${seed}\`; rerun it to refresh -->`,
    "",
    `Commit ${await commit()}, ${new Date().toISOString().slice(0, 16)} UTC, ` +
    `${navigator.hardwareConcurrency} cores, Linux ${Deno.osRelease()}.`,
    "",
    "## Summary",
    "",
    `- **${fuzz.inputs} fuzzed inputs, ${fuzz.crashes} crashes, ${
      fuzz.failures.length - fuzz.crashes
    } broken promises** (${(fuzz.ms / 1000).toFixed(0)} s, seed ${seed}): mutated real ` +
    "recordings of `datasets/` through the HTTP/LLM parsing and the whole analysis " +
    "(bench/fuzz, `deno task fuzz`).",
    `- **${damaged.length} faults injected** into recordings (TLS calls lost or duplicated, ` +
    `files cut at and inside batches): ${damaged.filter((o) => o.problems > 0).length} reported ` +
    "in `problems`; " +
    `calls of undamaged connections lost: ${
      lost.length === 0 ? "none" : `in ${lost.length} inputs`
    }.`,
    `- **${suites.reduce((n, s) => n + s.tests, 0)} tests** of row shapes, build steps, hostile ` +
    `input, signals, capture faults and interrupts: ${failedTests} failed` +
    (ebpf ? "." : " (the eBPF ones were not run: not root or --no-ebpf)."),
    "",
    "## Fuzzing",
    "",
    "Each mutation promises something (bench/README.md, `deno task fuzz`): `same` rows for " +
    "legal changes (times aside for `sameWithoutTimes`), no problem for `legal` row shapes, a " +
    "`problems` row naming the connection or file for `reported` damage and every call of the " +
    "other connections for `reported` and `contained` ones; all of them time and memory in " +
    "proportion to the input.",
    "",
    ...fuzzTable(fuzz.outcomes),
    "",
    `Peak memory growth in one input: at most ${
      (Math.max(0, ...fuzz.outcomes.map((o) => o.peakGrowth)) / 2 ** 20).toFixed(0)
    } MiB.`,
    ...(fuzz.failures.length
      ? [
        "",
        "Failures:",
        "",
        ...fuzz.failures.map((o) =>
          `- ${o.dataset}: ${o.mutation}: ${o.crash ?? o.violations.join("; ")}`
        ),
      ]
      : []),
    "",
    "## Tests",
    "",
    "| test file | what it tries | tests | failed | skipped | s (with the wait for the eBPF lock) |",
    "| --- | --- | --: | --: | --: | --: |",
    ...suites.map((s) =>
      `| \`${s.file}\` | ${s.what}${
        s.note ? ` (${s.note})` : ""
      } | ${s.tests} | ${s.failures} | ${s.skipped} | ${s.seconds.toFixed(0)} |`
    ),
    "",
  ].join("\n");
  let kept = "";
  try {
    kept = handWritten(await Deno.readTextFile(OUT));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.writeTextFile(OUT, kept ? `${md}\n${kept}` : md);
  console.log(md.split("\n## Fuzzing")[0]);
  console.log(`written: ${OUT}`);
  return fuzz.failures.length || failedTests ? 1 : 0;
}

if (import.meta.main) await runCommand("reliability", USAGE, main);
