/**
 * Names an agent chooses, shown back to a person: a real capture (tests/fixtures/hostile_names,
 * made by `deno task capture -- commands.sh` there) of `touch` and `echo` given file names and
 * arguments holding an OSC 52 clipboard write, a clear-screen and colour sequence, an OSC 8
 * hidden link, a bidi override (U+202E), bytes that are not UTF-8, a line feed, `<script>` and
 * an `<img onerror>`. The `sql` table and the HTML report (page and SVG charts) show each of
 * them, visibly and inert; `sql --format json` gives them back exactly. A finding's explanation
 * naming such a path is one line in the summary `analyze` and `findings` print.
 */
import { filePath } from "../kit/file_path.ts";
import assert from "node:assert/strict";
import { denoTask, recordingCopy } from "../analysis/testing.ts";
import { buildReport } from "../reports/report.ts";
import { addFindings, analyse } from "../reports/testing.ts";
import { withDb } from "../analysis/analysed_db.ts";
import { DB_FILE } from "../analysis/analyze.ts";
import { queryRows } from "../kit/sql_runner.ts";
import { join } from "node:path";
import { formatFindings } from "../analysis/detect/format.ts";

const FIXTURE = filePath("./fixtures/hostile_names", import.meta.url);
const WORK = "/tmp/hostile34/work/";
/** The names commands.sh created, as the recording keeps them (bytes not UTF-8: U+FFFD x..). */
const NAMES = [
  "\x1b]52;c;aGk=\x07",
  '"><img src=x onerror=alert(2)>',
  "evil\x1b[2J\x1b[31mRED",
  "bidi\u202eexe.txt",
  "bad\uFFFDxff\uFFFDxfeutf8",
  "new\nline",
];
/** Characters that act instead of showing: C0 but tab/LF/CR, DEL, C1, bidi controls. */
// deno-lint-ignore no-control-regex
const ACTING = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// deno-lint-ignore no-control-regex
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

const SQL = `SELECT DISTINCT path FROM file WHERE path LIKE '${WORK}%' ORDER BY path`;

Deno.test("sql: every hostile file name listed, inert in the table, exact in JSON", async () => {
  const rec = await recordingCopy(FIXTURE, { prefix: "sightline-hostile-" });
  try {
    const json = await denoTask(["sql", "--format", "json", rec, "--", SQL]);
    assert.equal(json.code, 0, json.stderr);
    const paths = (JSON.parse(json.stdout) as { path: string }[]).map((r) => r.path);
    for (const n of NAMES) assert.ok(paths.includes(WORK + n), `${JSON.stringify(n)} recorded`);

    const table = await denoTask(["sql", rec, "--", SQL]);
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout, ACTING);
    const lines = table.stdout.split("\n");
    for (
      const shown of ["\\x1b]52;c;aGk=\\x07", "evil\\x1b[2J\\x1b[31mRED", "bidi\\u202eexe.txt"]
    ) {
      assert.ok(lines.includes(WORK + shown), `${shown} shown as escapes`);
    }
  } finally {
    Deno.removeSync(rec.slice(0, rec.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("report: no markup or acting character from the names; every SVG chart is well-formed XML text", async () => {
  const rec = await recordingCopy(FIXTURE, { prefix: "sightline-hostile-" });
  try {
    const r = await buildReport({ recording: rec, log: () => {} });
    const page = Deno.readTextFileSync(r.html);
    const ours = page.replace(/<script data-lib="[^"]*">[\s\S]*?<\/script>/g, "");
    assert.doesNotMatch(ours, ACTING);
    assert.doesNotMatch(ours, /<img src=x|<script>alert/);
    assert.ok(ours.includes("touch &#39;\\x1b]52;c;aGk=\\x07&#39;"), "the OSC 52 name shown");
    assert.ok(ours.includes("bidi\\u202eexe.txt"), "the bidi override shown");
    assert.ok(ours.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "<script> shown as text");
    for (const [name, path] of Object.entries(r.svgs)) {
      const svg = Deno.readTextFileSync(path);
      assert.doesNotMatch(svg, NOT_XML, `${name}.svg holds a character XML cannot`);
      assert.doesNotMatch(svg, ACTING, name);
    }
    const timeline = Deno.readTextFileSync(r.svgs.timeline);
    assert.ok(timeline.includes("touch evil\\x1b[2J\\x1b[31mRED"), "the process named in its lane");
  } finally {
    Deno.removeSync(rec.slice(0, rec.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("findings summary: an explanation naming a hostile path is one inert line", async () => {
  const rec = await recordingCopy(FIXTURE, { prefix: "sightline-hostile-" });
  try {
    await analyse(rec);
    const path = `${WORK}${NAMES[0]}\n  #9 INFO nothing to see`;
    await addFindings(rec, [{
      kind: "sensitive_access",
      severity: "high",
      start_ns: 1n,
      end_ns: null,
      evidence: ["file:1"],
      explanation: `read ${path}`,
      details: "{}",
    }]);
    const text = await withDb(join(rec, DB_FILE), async (c) => {
      const [r] = await queryRows(c, "SELECT recording FROM findings");
      return await formatFindings(c, String(r.recording));
    });
    assert.doesNotMatch(text, ACTING);
    const lines = text.split("\n").filter((l) => l.includes("#"));
    assert.equal(lines.length, 1, text);
    assert.ok(
      lines[0].endsWith("read /tmp/hostile34/work/\\x1b]52;c;aGk=\\x07\\n  #9 INFO nothing to see"),
      lines[0],
    );
  } finally {
    Deno.removeSync(rec.slice(0, rec.lastIndexOf("/")), { recursive: true });
  }
});
