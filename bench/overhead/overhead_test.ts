/**
 * The overhead benchmark end to end, reduced for CI: Claude Code on the quick repository, the
 * three workloads at zero latency and the compile workload with realistic model timing, one
 * pair each, no warm-up. Checks that it ran and that its numbers hang
 * together — every run succeeded, the agent's side effects happened every time, each capture
 * has rows in every table and holds every LLM request the server answered, no drops, the report
 * files are written — and never how fast anything was.
 */
import assert from "node:assert/strict";
import { skipWithoutRoot } from "../../tests/support/ebpf.ts";
import { writeOverheadReport } from "./report.ts";
import { run } from "./run.ts";
import { WORKLOAD_NAMES } from "./workloads.ts";

/** LLM requests each quick workload makes with Claude Code (side effects are checked per run). */
const EXPECTED_REQUESTS = { understand: 12 + 5, write: 40, compile: 2 };

Deno.test({
  name: "overhead benchmark (quick, reduced): every run succeeds and the numbers hang together",
  ignore: skipWithoutRoot(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "sl-bench-test-" });
    try {
      const lines: string[] = [];
      const r = await run({
        quick: true,
        agents: ["claude"],
        workloads: [...WORKLOAD_NAMES],
        runs: 1,
        warmup: false,
        tmpDir: tmp,
        log: (l) => lines.push(l),
      });
      const why = () => lines.join("\n");
      assert.equal(r.runs.length, 6, why());
      for (const m of r.runs) {
        assert.ok(m.ok, `${m.workload} ${m.mode}: ${m.problems.join("; ")}\n${why()}`);
        assert.equal(
          m.llmRequests,
          EXPECTED_REQUESTS[m.workload as keyof typeof EXPECTED_REQUESTS],
        );
        assert.ok(m.agentMs > 0 && m.agentCpuMs > 0);
        if (m.mode === "capture") {
          assert.equal(m.recordedLlmRequests, m.llmRequests, "the capture holds every LLM request");
          for (const t of ["process", "file", "net", "tls"]) assert.ok(m.rows![t] > 0, t);
          assert.ok(m.tlsBytes! > 0);
          assert.deepEqual(m.drops, {}, "no drops");
          assert.equal(m.missedRuns, 0);
          assert.ok(m.endToEndMs >= m.agentMs, "the capture command outlasts the agent in it");
          assert.ok(m.captureCpuMs! > 0 && m.denoPeakRssKb! > 0);
        }
      }
      assert.equal(r.cells.length, 3);
      for (const c of r.cells) {
        assert.equal(c.runs, 1);
        assert.equal(c.failed, 0);
        for (const x of [c.overhead, c.endToEnd]) {
          assert.ok(Number.isFinite(x.ratio) && x.ratio > 0);
          assert.ok(x.lo <= x.ratio && x.ratio <= x.hi);
        }
        assert.ok(
          c.baselineMs.min <= c.baselineMs.median && c.baselineMs.median <= c.baselineMs.max,
        );
      }
      // one pair with the realistic model timing, on the workload with the fewest model calls:
      // the pauses are replayed (the agent waited at least the model's time) and all still runs
      const timed = await run({
        quick: true,
        agents: ["claude"],
        workloads: ["compile"],
        timings: ["realistic"],
        runs: 1,
        warmup: false,
        tmpDir: tmp,
        log: (l) => lines.push(l),
      });
      assert.equal(timed.runs.length, 2, why());
      const [tc] = timed.cells;
      assert.equal(tc.timing, "realistic");
      assert.match(tc.timingSource, /timed by profile realistic-v1, seed 1/);
      assert.ok(tc.modelMs > 1000, `model time ${tc.modelMs} ms`);
      for (const m of timed.runs) {
        assert.ok(m.ok, `${m.mode}: ${m.problems.join("; ")}\n${why()}`);
        assert.equal(m.timing, "realistic");
        assert.equal(m.llmRequests, EXPECTED_REQUESTS.compile);
        assert.ok(m.agentMs > tc.modelMs, "the agent waited for the model's pauses");
      }
      const quickCell = r.cells.find((c) => c.workload === "compile")!;
      assert.equal(quickCell.timing, "zero");
      r.cells.push(tc);
      r.runs.push(...timed.runs);
      r.meta.timings = ["zero", "realistic"];
      const md = await writeOverheadReport(`${tmp}/report`, r);
      for (const t of ["Understand repo", "Code writing", "Repo compilation"]) {
        assert.ok(md.includes(t));
      }
      const json = JSON.parse(await Deno.readTextFile(`${tmp}/report/overhead.json`));
      assert.equal(json.runs.length, 8);
      assert.match(md, /\| claude \| Repo compilation \| realistic \|/);
      assert.match(md, /\| claude \| Repo compilation \| stress \(zero latency\) \|/);
      assert.match(await Deno.readTextFile(`${tmp}/report/overhead.svg`), /^<svg /);
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
