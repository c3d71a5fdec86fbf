/**
 * The gate remembers across captures what had nothing to hook: a file an earlier capture
 * inspected and found no TLS library in is let through at once (inspect_cache.ts
 * nothing_to_hook.json, AttachManager.preknown) while it is the file inspected; changed, it is
 * stopped and inspected again. The captures keep that list in a cache of their own
 * (`--cache-dir`), not the project's. Needs root (eBPF).
 */
import assert from "node:assert/strict";
import { captureForTest, captureTest, systemLibssl } from "../tests/support/capture.ts";
import { readNothingToHook } from "./inspect_cache.ts";
import { CAPTURE_MAIN } from "./command_line.ts";
import type { AttachManager } from "./attach.ts";
import { launch } from "./launch.ts";
import { type CaptureOptions, run } from "./recorder.ts";
import { summary } from "./status.ts";
import { locateForCapture } from "./locator_glue.ts";
import { h2RedactorFactory } from "./h2_glue.ts";

/** The paths a nothing-to-hook list in `dir` names (the project's without one). */
const listed = (dir?: string) => readNothingToHook(dir).map((s) => s.path);

/** A fresh copy of `id` (never inspected) at `dir/tool`, and a shell command running it twice. */
async function freshTool(dir: string): Promise<{ tool: string; cmd: string[] }> {
  const tool = `${dir}/tool`;
  await Deno.copyFile("/usr/bin/id", tool);
  return { tool, cmd: ["/bin/sh", "-c", `"$0" > /dev/null && "$0" -u > /dev/null`, tool] };
}

/** Python that maps the first 4 KiB of the file `sys.argv[1]` names as code. */
const MAP_AS_CODE = "import mmap, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); " +
  "mmap.mmap(fd, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)";

/** The two ways to name a capture's cache directory: `--cache-dir`, else the variable. */
const cacheDirWays = (path: (way: string) => string) =>
  [
    ["flag", ["--cache-dir", path("flag")], {}],
    ["env", [], { SIGHTLINE_CACHE_DIR: path("env") }],
  ] as const;

/** `deno task capture ARGS...` run as a user would, with `env` added. */
const captureMain = (args: string[], env: Record<string, string>) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CAPTURE_MAIN, ...args],
    env,
  }).output();

captureTest(
  "gate: a tool an earlier capture found nothing to hook in runs without a stop, with the " +
    "same rows; rewritten, it is stopped again",
  "sl-known-",
  async (dir) => {
    // a fresh file (never inspected), run twice by a shell
    const { tool, cmd } = await freshTool(dir);
    const cacheDir = `${dir}/cache`;
    const capture = async (name: string) => {
      const { res } = await captureForTest({ cmd, out: `${dir}/${name}`, cacheDir });
      assert.equal(res.exitCode, 0);
      const m = res.manifest;
      return {
        gated: m.gated_processes,
        process: m.tables.process.rows,
        file: m.tables.file.rows,
      };
    };
    const first = await capture("first");
    assert.ok(first.gated >= 1, `the fresh tool was stopped at: ${first.gated}`);
    assert.ok(listed(`${cacheDir}/inspect`).includes(tool), "listed in the test's own cache");
    assert.ok(!listed().includes(tool), "not in the project's cache");
    const second = await capture("second");
    assert.equal(second.gated, 0, "nothing stopped: every file was known from the first");
    assert.deepEqual(
      { process: second.process, file: second.file },
      { process: first.process, file: first.file },
      "the same rows",
    );
    // written again (the same bytes, path and inode; a later mtime): not the file inspected
    await Deno.writeFile(tool, await Deno.readFile("/usr/bin/id"));
    const third = await capture("third");
    assert.ok(third.gated >= 1, `the rewritten tool was stopped at: ${third.gated}`);

    // the command line: --cache-dir, else SIGHTLINE_CACHE_DIR
    for (const [name, args, env] of cacheDirWays((way) => `${dir}/${way}-cache`)) {
      const r = await captureMain(
        [...args, "--quiet", "--out", `${dir}/${name}`, "--", ...cmd],
        env,
      );
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      assert.ok(listed(`${dir}/${name}-cache/inspect`).includes(tool), name);
    }
    assert.ok(!listed().includes(tool), "never in the project's cache");
  },
);

captureTest(
  "gate: a known file written over in place (the same inode) is stopped and inspected " +
    "again, said in the attach report; the hooks in what it held before come off",
  "sl-known-changed-",
  async (dir) => {
    // run as a program with nothing to hook, then libssl's bytes written into the same
    // inode and mapped as code (the kernel side knew it by device and inode), then the
    // program's bytes again, mapped again
    const tool = `${dir}/tool`;
    await Deno.copyFile("/usr/bin/id", tool);
    const ino = Deno.statSync(tool).ino;
    const libssl = systemLibssl();
    const cmd = [
      "/bin/sh",
      "-c",
      `"$0" > /dev/null && cat ${libssl} > "$0" && python3 -c '${MAP_AS_CODE}' "$0" && ` +
      `cat /usr/bin/id > "$0" && python3 -c '${MAP_AS_CODE}' "$0"`,
      tool,
    ];
    const { res } = await captureForTest({ cmd, out: `${dir}/rec`, cacheDir: `${dir}/cache` });
    assert.equal(res.exitCode, 0);
    assert.equal(Deno.statSync(tool).ino, ino, "set-up: written in place");
    const attach = res.manifest.attach as ReturnType<AttachManager["report"]>;
    const hooked = attach.hooked.filter((e) => e.path === tool);
    assert.equal(hooked.length, 1, JSON.stringify(res.manifest.attach));
    assert.equal(hooked[0].changed, true, "said to have changed since it was inspected");
    assert.equal(hooked[0].seenBy, "mmap");
    assert.ok(hooked[0].probes.some((p) => p.fn === "SSL_write" && p.ok), "libssl's code hooked");
    assert.ok(
      hooked[0].probes.every((p) => p.detached),
      "its hooks detached once the program's bytes were back",
    );
    const again = attach.not_hooked.filter((e) => e.path === tool);
    assert.deepEqual(again.map((e) => [e.status, e.changed]), [["none", true]]);
  },
);

captureTest(
  "gate: a hooked file whose ctime alone moved (a hard link made, a chmod) keeps its hooks: " +
    "inspected again, the same hooks found, none detached",
  "sl-known-relinked-",
  async (dir) => {
    const copy = `${dir}/libssl-copy.so`;
    await Deno.copyFile(systemLibssl(), copy);
    // mapped (hooked), then linked and chmodded a second later (the kernel keeps ctime in
    // whole seconds), then mapped again
    const cmd = [
      "/bin/sh",
      "-c",
      `python3 -c '${MAP_AS_CODE}' "$0" && sleep 1.1 && ln "$0" "$0.link" && chmod 0700 "$0" && ` +
      `python3 -c '${MAP_AS_CODE}' "$0"`,
      copy,
    ];
    const { res } = await captureForTest({ cmd, out: `${dir}/rec`, cacheDir: `${dir}/cache` });
    assert.equal(res.exitCode, 0);
    const attach = res.manifest.attach as ReturnType<AttachManager["report"]>;
    const entries = [...attach.hooked, ...attach.not_hooked].filter((e) => e.path === copy);
    assert.equal(entries.length, 1, JSON.stringify(res.manifest.attach));
    assert.equal(entries[0].status, "hooked");
    assert.ok(entries[0].probes.some((p) => p.fn === "SSL_write" && p.ok), "hooked");
    assert.ok(entries[0].probes.every((p) => !p.detached), "none of its hooks detached");
  },
);

captureTest(
  "gate: the kernel's map of known files full: a fresh tool is stopped at each of its runs, " +
    "and the attach report and the end's summary say which file and why",
  "sl-known-full-",
  async (dir) => {
    const { tool, cmd } = await freshTool(dir);
    const opts: CaptureOptions = {
      cmd,
      out: `${dir}/rec`,
      cacheDir: `${dir}/cache`,
      quiet: true,
      locator: locateForCapture,
      h2Redactor: h2RedactorFactory,
    };
    const launched = launch(opts);
    // 16,384 made-up files (device 0) fill the map before the capture tells it of any
    let filled = 0;
    const loader = launched.loader.then(async (l) => {
      const replies = [];
      for (let ino = 1; ino <= 16384; ino++) replies.push(l.command("known", 0, ino));
      filled = (await Promise.all(replies)).filter((r) => r.err === 0).length;
      return l;
    });
    const res = await run(opts, { ...launched, loader });
    await res.loaderExit;
    assert.equal(filled, 16384, "set-up: the map took the made-up files");
    assert.equal(res.exitCode, 0);
    const attach = res.manifest.attach as ReturnType<AttachManager["report"]>;
    const named = attach.not_known?.named ?? [];
    const mine = named.find((f) => f.path === tool);
    assert.ok(mine, `the tool named in attach.not_known: ${JSON.stringify(attach.not_known)}`);
    assert.match(mine.error, /^the kernel's map of known files is full, at 16384 entries$/);
    assert.equal(attach.not_known!.files, named.length);
    assert.ok(
      res.manifest.gated_processes >= 2,
      `each run stopped: ${res.manifest.gated_processes}`,
    );
    const line = summary(res.dir, res.manifest).split("\n").find((l) =>
      l.includes("could not be told of")
    );
    assert.match(
      line ?? "",
      new RegExp(
        `^  warning: the kernel side could not be told of ${named.length} inspected files? ` +
          `\\(the kernel's map of known files is full, at 16384 entries\\): .*nothing was lost`,
      ),
    );
  },
);

captureTest(
  "a cache directory that cannot be written (--cache-dir, SIGHTLINE_CACHE_DIR) is one line " +
    "and exit 2 before anything starts; one that stops taking writes mid-capture is a warning",
  "sl-cache-unwritable-",
  async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    const bad = `${dir}/file/cache`; // under a regular file: ENOTDIR, root or not
    for (const [name, args, env] of cacheDirWays(() => bad)) {
      const r = await captureMain([...args, "--out", `${dir}/${name}`, "--", "/bin/true"], env);
      const err = new TextDecoder().decode(r.stderr);
      assert.equal(r.code, 2, err);
      assert.match(
        err,
        new RegExp(
          `^sightline: cannot write the cache directory ${bad} \\(--cache-dir or ` +
            `SIGHTLINE_CACHE_DIR\\): Not a directory[^\\n]*\\n$`,
        ),
      );
      assert.throws(() => Deno.statSync(`${dir}/${name}`), Deno.errors.NotFound, "no recording");
    }

    // writable when the capture starts; the command puts a file where its inspections go
    const tool = `${dir}/tool`;
    await Deno.copyFile("/usr/bin/id", tool);
    const cacheDir = `${dir}/cache`;
    const cmd = [
      "/bin/sh",
      "-c",
      `rm -r "$1/inspect" && : > "$1/inspect" && "$0" > /dev/null`,
      tool,
      cacheDir,
    ];
    const { res } = await captureForTest({ cmd, out: `${dir}/rec`, cacheDir });
    assert.equal(res.exitCode, 0);
    const exec = res.manifest.gated_processes;
    assert.ok(exec >= 1, `the tool stopped and inspected: ${exec}`);
    const line = summary(res.dir, res.manifest).split("\n").find((l) => l.includes("its cache"));
    assert.match(
      line ?? "",
      new RegExp(
        "^  warning: what this capture learnt of files could not be kept in its cache " +
          `\\([^()]* \\(os error \\d+\\)[^)]*${cacheDir}/inspect[^)]*\\): later ` +
          "captures inspect them again.*; nothing was lost$",
      ),
    );
  },
);
