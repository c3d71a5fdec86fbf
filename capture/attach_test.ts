/**
 * A file is reported hooked only when every probe that carries plaintext attached: a failed
 * read or write probe (say GnuTLS's, whose programs load apart from SSL_free's) makes it "not
 * hooked" with the functions and the error, and the end's warning (a problems row) says so.
 */
import assert from "node:assert/strict";
import {
  ATTACH_FAILED_NAMED,
  type AttachedProbe,
  attachFailure,
  attachFailureWarning,
  AttachManager,
  preattachCandidates,
  type ReportEntry,
} from "./attach.ts";
import type { LoaderClient, Reply } from "./loader.ts";
import { type Hook, type Inspection, PROBES } from "./tls_targets.ts";

const probe = (fn: string, program: string, ok: boolean, error?: string): AttachedProbe => ({
  fn,
  program,
  kind: "uprobe",
  offset: "0x10",
  ok,
  ...(error ? { error } : {}),
});
const LOAD = "the other TLS programs failed to load: Invalid argument";

Deno.test("attachFailure: GnuTLS with only gnutls_deinit attached is not hooked", () => {
  const probes = [
    probe("gnutls_record_send", "sl_gnutls_send_entry", false, LOAD),
    probe("gnutls_record_send", "sl_gnutls_send_ret", false, LOAD),
    probe("gnutls_record_recv", "sl_gnutls_recv_entry", false, LOAD),
    probe("gnutls_deinit", "sl_ssl_free_entry", true),
  ];
  assert.equal(
    attachFailure(probes),
    `gnutls_record_send, gnutls_record_recv failed to attach: ${LOAD}`,
  );
});

Deno.test("attachFailure: one direction failing says which attached", () => {
  const probes = [
    probe("SSL_write", "sl_ssl_write_entry", true),
    probe("SSL_read", "sl_ssl_read_entry", false, "Device or resource busy"),
    probe("SSL_free", "sl_ssl_free_entry", true),
  ];
  assert.equal(
    attachFailure(probes),
    "only SSL_write attached; SSL_read failed to attach: Device or resource busy",
  );
});

Deno.test("attachFailure: hooked when every data probe attached (a failed free does not count)", () => {
  assert.equal(
    attachFailure([
      probe("SSL_write", "sl_ssl_write_entry", true),
      probe("SSL_read", "sl_ssl_read_entry", true),
      probe("SSL_free", "sl_ssl_free_entry", false, "No such file or directory"),
    ]),
    undefined,
  );
  assert.equal(
    attachFailure([probe("SSL_free", "sl_ssl_free_entry", false, "x")]),
    "no probe attached",
  );
});

Deno.test("attachFailure: a candidate replaced by the locator's next one is no failure; the last one's is", () => {
  const replaced = (p: AttachedProbe): AttachedProbe => ({ ...p, replaced: true });
  // candidate 1 of SSL_write refused by the kernel, candidate 2 attached
  assert.equal(
    attachFailure([
      replaced(probe("SSL_write", "sl_ssl_write_entry", false, "Invalid argument")),
      probe("SSL_write", "sl_ssl_write_entry", true),
      probe("SSL_read", "sl_ssl_read_entry", true),
    ]),
    undefined,
  );
  // every candidate refused: the last one's failure stands
  assert.equal(
    attachFailure([
      replaced(probe("SSL_write", "sl_ssl_write_entry", false, "Invalid argument")),
      probe("SSL_write", "sl_ssl_write_entry", false, "Invalid argument"),
      probe("SSL_read", "sl_ssl_read_entry", true),
    ]),
    "only SSL_read attached; SSL_write failed to attach: Invalid argument",
  );
  // a replaced candidate's probe that had attached (and came off) hooks nothing
  assert.equal(
    attachFailure([replaced(probe("SSL_write", "sl_ssl_write_entry", true))]),
    "no probe attached",
  );
});

Deno.test("attachFailureWarning: names each file whose probes failed, none otherwise", () => {
  const entry = (path: string, status: ReportEntry["status"], reason?: string): ReportEntry => ({
    path,
    dev: "1",
    ino: "2",
    status,
    reason,
    probes: [probe("SSL_write", "sl_ssl_write_entry", status === "hooked")],
    seenBy: "mmap",
    inspectMs: 0,
  });
  assert.equal(attachFailureWarning([entry("/lib/libssl.so.3", "hooked")]), undefined);
  // an unreadable file has no probes: not an attach failure
  assert.equal(
    attachFailureWarning([{ ...entry("/x", "error", "unreadable"), probes: [] }]),
    undefined,
  );
  assert.equal(
    attachFailureWarning([
      entry("/lib/libssl.so.3", "hooked"),
      entry("/lib/libgnutls.so.30", "error", "gnutls_record_send failed to attach: E"),
    ]),
    "TLS plaintext not recorded where probes failed to attach: /lib/libgnutls.so.30: " +
      "gnutls_record_send failed to attach: E (manifest.json attach.not_hooked)",
  );
  // many such files (a kernel where the on-demand TLS programs failed to load, every Go
  // binary of a build): the first few named, the rest counted
  const many = Array.from(
    { length: ATTACH_FAILED_NAMED + 3 },
    (_, i) => entry(`/bin/go${i}`, "error", "no probe attached"),
  );
  const said = attachFailureWarning(many)!;
  assert.equal(said.match(/\/bin\/go/g)?.length, ATTACH_FAILED_NAMED);
  assert.match(said, /; and 3 more files \(manifest\.json attach\.not_hooked\)$/);
});

/** An SSL_write hook at `offset`, as the test locator offers it. */
const writeHook = (offset: number): Hook => ({
  fn: "SSL_write",
  offset,
  vaddr: offset,
  ...PROBES.SSL_write,
  method: `test: at 0x${offset.toString(16)}`,
});

/** An AttachManager over `loader` whose locator offers SSL_write at 0x1000, then at 0x2000. */
function twoCandidates(loader: LoaderClient, caches: string): AttachManager {
  const locator = (path: string, insp: Inspection): Promise<Inspection> =>
    Promise.resolve({
      ...insp,
      path,
      status: "hooked",
      library: "test",
      method: "test locator",
      hooks: [{ ...writeHook(0x1000), alternates: [writeHook(0x2000)] }],
    });
  return new AttachManager(loader, locator, {
    inspect: `${caches}/inspect`,
    locate: `${caches}/locate`,
  });
}

Deno.test("a candidate whose attached probes cannot be detached: the next one is not attached, the failure stands", async () => {
  const caches = await Deno.makeTempDir({ prefix: "sl-attach-" });
  try {
    // the kernel refuses the first candidate's return probe and will not detach its entry probe
    const sent: string[] = [];
    const reply = (verb: string, args: (string | number | bigint)[]): Reply => {
      sent.push([verb, ...args.slice(1, 4)].join(" "));
      if (verb === "attach" && args[2] === "1000" && args[3] === 1) {
        return { err: 22, text: "Invalid argument" };
      }
      if (verb === "detach") return { err: 16, text: "Device or resource busy" };
      return { err: 0, text: "ok" };
    };
    const loader = {
      command: (verb: string, ...args: (string | number | bigint)[]) =>
        Promise.resolve(reply(verb, args)),
    } as unknown as LoaderClient;
    const true_ = Deno.realPathSync("/bin/true");
    const am = twoCandidates(loader, caches);
    const entry = await am.ensure(true_, "exec");
    // two candidates never live at once: the second is not attached
    assert.deepEqual(sent.filter((s) => s.startsWith("attach")), [
      "attach sl_ssl_write_entry 1000 0",
      "attach sl_ssl_write_ret 1000 1",
    ]);
    assert.ok(sent.includes("detach"), sent.join("\n"));
    // the failure stands, said with why no other candidate was tried
    assert.equal(entry.status, "error");
    assert.equal(
      entry.reason,
      "SSL_write failed to attach: Invalid argument; detaching its other probes failed " +
        "(Device or resource busy); candidate 2 of 2 not tried",
    );
    assert.ok(entry.probes.every((p) => !p.replaced && !p.detached));
    assert.equal(attachFailure(entry.probes), entry.reason);
  } finally {
    await Deno.remove(caches, { recursive: true });
  }
});

Deno.test("a verdict on a candidate while its fall-through detaches it: the next candidate is attached once", async () => {
  const caches = await Deno.makeTempDir({ prefix: "sl-attach-" });
  try {
    // the kernel refuses the first candidate's return probe; its entry probe's detach waits
    const sent: string[] = [];
    let release!: () => void;
    const detaching = new Promise<void>((r) => release = r);
    let detachAsked!: () => void;
    const asked = new Promise<void>((r) => detachAsked = r);
    const loader = {
      command: async (verb: string, ...args: (string | number | bigint)[]): Promise<Reply> => {
        sent.push([verb, ...args.slice(1, 4)].join(" "));
        if (verb === "attach" && args[2] === "1000" && args[3] === 1) {
          return { err: 22, text: "Invalid argument" };
        }
        if (verb === "detach") {
          detachAsked();
          await detaching;
        }
        return { err: 0, text: "ok" };
      },
    } as unknown as LoaderClient;
    const am = twoCandidates(loader, caches);
    const ensured = am.ensure(Deno.realPathSync("/bin/true"), "exec");
    await asked;
    // a run-time verdict on the first candidate's cookie arrives while it is being detached
    const dropped = am.dropHook(1);
    release();
    const entry = await ensured;
    await dropped;
    const second = sent.filter((s) => s.startsWith("attach") && s.includes(" 2000 "));
    assert.deepEqual(second, [
      "attach sl_ssl_write_entry 2000 0",
      "attach sl_ssl_write_ret 2000 1",
    ]);
    assert.equal(entry.status, "hooked", entry.reason);
  } finally {
    await Deno.remove(caches, { recursive: true });
  }
});

Deno.test("a hook proved wrong at run time whose probes cannot be detached: the next candidate is not attached beside it", async () => {
  const caches = await Deno.makeTempDir({ prefix: "sl-attach-" });
  try {
    const sent: string[] = [];
    const loader = {
      command: (verb: string, ...args: (string | number | bigint)[]): Promise<Reply> => {
        sent.push([verb, ...args.slice(1, 4)].join(" "));
        return Promise.resolve(
          verb === "detach" ? { err: 16, text: "Device or resource busy" } : { err: 0, text: "ok" },
        );
      },
    } as unknown as LoaderClient;
    const am = twoCandidates(loader, caches);
    await am.ensure(Deno.realPathSync("/bin/true"), "exec");
    const said = await am.dropHook(1);
    assert.deepEqual(sent.filter((s) => s.includes(" 2000 ")), []);
    assert.equal(
      said,
      "SSL_write in " + Deno.realPathSync("/bin/true") + ": detach failed: Device or resource " +
        "busy; candidate 2 of 2 not tried while its probes stay attached",
    );
  } finally {
    await Deno.remove(caches, { recursive: true });
  }
});

Deno.test("a command named through a symlinked directory is preattached under its real path, as the kernel names it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sl-preattach-" });
  try {
    // a worktree's `.cache` linked to another checkout's, as the coverage runs had it
    const real = `${dir}/real`;
    await Deno.mkdir(`${real}/bin`, { recursive: true });
    await Deno.copyFile("/bin/true", `${real}/bin/agent`);
    await Deno.symlink(real, `${dir}/link`);
    const got = preattachCandidates(`${dir}/link/bin/agent`);
    assert.equal(got[0], Deno.realPathSync(`${real}/bin/agent`));
    assert.ok(!got.some((p) => p.includes("/link/")), got.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
