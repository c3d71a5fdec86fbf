/**
 * The steps that build an analysed database, run so that no row and no statement can end the
 * run: each declared table is created without its NOT NULL constraints, filled (by the
 * appender or by its `.sql` file), then every row with a null where the declaration forbids
 * one is set aside as a `problems` row naming the table and the row, and the constraints are
 * added once all steps are done. A statement that fails as a whole (a type or conversion
 * error) becomes a `problems` row naming its file and the table it fills, which then holds
 * what the step could not build: nothing from it. Later steps still run.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { TableDef } from "../kit/columns.ts";
import { bindFor, hasTables, queryRows, type SqlValue } from "../kit/sql_runner.ts";
import { errorLine } from "../kit/cli.ts";
import type { Columns } from "../recording/arrow_input.ts";
import { type ArrowLoad, loadArrowFile, type OnArrowRows } from "./arrow_load.ts";
import { appendColumns, appendRows, createTables } from "./duckdb_tables.ts";
import { type ProblemRow, problemsTable } from "./schema.ts";
import { sqlText, tableSql } from "./sql_files.ts";

/** Rows set aside per table and step that get a `problems` row each; the rest are counted. */
export const MAX_ROW_PROBLEMS = 200;

/** Columns that name a row in a message: the first four besides `recording`. */
function keyColumns(def: TableDef): string[] {
  return def.columns.map((c) => c.name).filter((n) => n !== "recording").slice(0, 4);
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "null";
  const s = typeof v === "string" ? JSON.stringify(v) : String(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/** One build of tables in one database, collecting its problems. */
export class Build {
  readonly problems: ProblemRow[] = [];
  /** steps run (their file names), for replacing their problems on a rebuild */
  readonly steps = new Set<string>();
  /** tables created, likewise */
  readonly tables = new Set<string>();
  #tables = new Map<string, TableDef>();

  constructor(readonly c: DuckDBConnection, readonly recording: string | null) {}

  /** Runs a statement with its parameters bound; DuckDB's error as it is. */
  #exec(sql: string, values: Record<string, SqlValue> = {}): Promise<unknown> {
    const bound = bindFor(sql, values);
    return this.c.run(sql, Object.keys(bound).length ? bound as never : undefined);
  }

  problem(source: string, kind: string, message: string, exchangeId: bigint | null = null): void {
    this.problems.push({
      recording: this.recording ?? "",
      source,
      kind,
      message,
      exchange_id: exchangeId,
    });
  }

  /**
   * (Re-)creates tables without their NOT NULL constraints (added by `finish`). A view among
   * them is dropped (its step makes it again; a table of its name, from an analysis that
   * stored it, goes too) and has no constraints. All in one transaction when it can be (one
   * commit, not one per statement); if a statement fails there (a table where a view is
   * declared), nothing of it is kept and they run one by one.
   */
  async create(defs: readonly TableDef[]): Promise<void> {
    const tables = defs.filter((def) => !def.view);
    // `oneByOne`: a view's name that holds a table has the table dropped instead (a failed
    // statement inside the transaction would abort it: there it fails, and this runs again)
    const dropAndCreate = async (oneByOne: boolean) => {
      for (const def of [...defs].reverse()) {
        if (!def.view) await this.#exec(tableSql("table_drop", def.name));
        else if (!oneByOne) await this.#exec(tableSql("view_drop", def.name));
        else {
          await this.#exec(tableSql("view_drop", def.name))
            .catch(() => this.#exec(tableSql("table_drop", def.name)));
        }
      }
      await createTables(this.c, tables, { notNull: false });
    };
    if (!await this.#together(() => dropAndCreate(false))) await dropAndCreate(true);
    for (const def of tables) this.#tables.set(def.name, def);
    for (const def of defs) this.tables.add(def.name);
  }

  /**
   * Runs `statements` in one transaction of their own: one commit (and one sync of DuckDB's
   * log) for all of them, where each statement on its own is a commit. False, with nothing of
   * them kept, when one fails, or when the caller has a transaction open (a BEGIN there would
   * abort it): the caller then runs them one by one. A statement that failed without throwing
   * (a caller that catches) is found too: DuckDB's COMMIT of a transaction a failure aborted
   * succeeds and keeps nothing, so the transaction is probed before it commits.
   */
  async #together(statements: () => Promise<void>): Promise<boolean> {
    const id = async () => (await queryRows(this.c, sqlText("transaction_id")))[0]?.id;
    if (await id() === await id()) return false;
    await this.#exec("BEGIN TRANSACTION");
    try {
      await statements();
      await this.#exec("SELECT 1"); // throws when a statement aborted the transaction
      await this.#exec("COMMIT");
      return true;
    } catch {
      // the statements run again one by one, each failure said there
      await this.#exec("ROLLBACK").catch(() => {});
      return false;
    }
  }

  #rejected(def: TableDef, source: string, label: (row: number) => string) {
    let n = 0;
    return {
      onReject: ({ row, why }: { row: number; why: string }) => {
        if (++n <= MAX_ROW_PROBLEMS) {
          this.problem(source, "row", `${def.name}: ${label(row)}: ${why}; row left out`);
        }
      },
      done: () => {
        if (n > MAX_ROW_PROBLEMS) {
          this.problem(
            source,
            "row",
            `${def.name}: ${n - MAX_ROW_PROBLEMS} more rows left out (${n} in all)`,
          );
        }
      },
    };
  }

  /** Appends columns read from a file (`source`, e.g. `process.arrow`); bad rows set aside. */
  async appendColumns(
    def: TableDef,
    cols: Columns,
    extra: Record<string, unknown>,
    source: string,
  ): Promise<void> {
    const r = this.#rejected(def, source, (row) => `row ${row} of ${source}`);
    try {
      await appendColumns(this.c, def, cols, extra, r);
    } catch (e) {
      this.problem(source, "sql", `${def.name}: ${errorLine(e)}; its rows were not loaded`);
      await this.#exec(tableSql("table_clear", def.name)).catch(() => {});
    }
    r.done();
  }

  /**
   * Streams an Arrow file (`source`, e.g. `tls.arrow`, at `path`) into its table, one batch at a
   * time; bad rows set aside as `appendColumns` sets them aside. What the file says (missing,
   * damaged, ...) is returned for the caller to report; a load that fails in DuckDB leaves the
   * table empty and is a problem here. `onRows` sees the rows as they are appended.
   */
  async loadArrow(
    def: TableDef,
    path: string,
    constants: Record<string, string>,
    source: string,
    onRows?: OnArrowRows,
  ): Promise<ArrowLoad> {
    const r = this.#rejected(def, source, (row) => `row ${row} of ${source}`);
    try {
      return await loadArrowFile(this.c, def, path, constants, r.onReject, onRows);
    } catch (e) {
      this.problem(source, "sql", `${def.name}: ${errorLine(e)}; its rows were not loaded`);
      await this.#exec(tableSql("table_clear", def.name)).catch(() => {});
      return { rows: 0, batches: 0 };
    } finally {
      r.done();
    }
  }

  /**
   * Appends rows made by the analysis (to `into`, a working table of `def`'s columns, when
   * given; problems still name `def`); bad rows set aside.
   */
  async appendRows(
    def: TableDef,
    rows: readonly Record<string, unknown>[],
    into?: string,
  ): Promise<void> {
    const keys = keyColumns(def);
    const r = this.#rejected(
      def,
      def.name,
      (i) => `row (${keys.map((k) => `${k}=${show(rows[i][k])}`).join(", ")})`,
    );
    try {
      await appendRows(this.c, def, rows, { ...r, into });
    } catch (e) {
      this.problem(def.name, "sql", `${def.name}: ${errorLine(e)}; its rows were not loaded`);
      await this.#exec(tableSql("table_clear", into ?? def.name)).catch(() => {});
    }
    r.done();
  }

  /**
   * Runs a statement (`file` names it) that fills `def`; rows it made with nulls the
   * declaration forbids are set aside. A statement that fails adds nothing.
   */
  async insert(
    def: TableDef,
    file: string,
    sql: string,
    values: Record<string, SqlValue> = {},
  ): Promise<boolean> {
    if (!(await this.run(file, sql, values, `${def.name} has no rows from it`))) return false;
    await this.#setAsideNulls(def, file);
    return true;
  }

  /** Runs a statement that fills nothing declared (a view, a macro); false when it failed. */
  async run(
    file: string,
    sql: string,
    values: Record<string, SqlValue> = {},
    consequence = "skipped",
  ): Promise<boolean> {
    this.steps.add(file);
    try {
      const bound = bindFor(sql, values, file);
      await this.c.run(sql, Object.keys(bound).length ? bound as never : undefined);
      return true;
    } catch (e) {
      this.problem(file, "sql", `${errorLine(e)}; ${consequence}`);
      return false;
    }
  }

  async #setAsideNulls(def: TableDef, file: string): Promise<void> {
    const required = def.columns.filter((c) => !c.nullable).map((c) => c.name);
    if (!required.length) return;
    const [nulls] = await queryRows(this.c, tableSql("table_null_counts", def.name), { required });
    if (Object.values(nulls ?? {}).every((n) => !n)) return;
    const keys = keyColumns(def);
    const rows = await queryRows(this.c, tableSql("table_null_rows", def.name), {
      columns: [...keys, ...required],
      required,
      limit: MAX_ROW_PROBLEMS,
    });
    if (!rows.length) return;
    for (const row of rows) {
      const nulls = required.filter((n) => row[n] === null);
      this.problem(
        file,
        "row",
        `${def.name}: row (${keys.map((k) => `${k}=${show(row[k])}`).join(", ")}): ` +
          `${nulls.join(", ")} ${nulls.length > 1 ? "are" : "is"} null; row left out`,
      );
    }
    const n = Number(rows[0].n);
    if (n > rows.length) {
      this.problem(file, "row", `${def.name}: ${n - rows.length} more rows left out (${n} in all)`);
    }
    await this.#exec(tableSql("table_delete_null_rows", def.name), { required });
  }

  /**
   * Adds the NOT NULL constraints of every table this build created: all in one transaction
   * (one commit, not one per column: 0.35–0.8 s of wall time at 1M events on a busy machine
   * against 1.9–2.8, reports/bench/analysis.md session 27); if one fails there (a null that
   * slipped past the steps), none is kept, and they are added one by one, its rows set aside.
   */
  async finish(): Promise<void> {
    const together = await this.#together(async () => {
      for (const def of this.#tables.values()) {
        for (const col of def.columns) {
          if (!col.nullable) await this.#exec(tableSql("column_set_not_null", def.name, col.name));
        }
      }
    });
    if (together) {
      this.#tables.clear();
      return;
    }
    for (const def of this.#tables.values()) {
      for (const col of def.columns) {
        if (col.nullable) continue;
        const notNull = tableSql("column_set_not_null", def.name, col.name);
        try {
          await this.#exec(notNull);
        } catch {
          // a row that slipped past the steps (a raw table's values damaged in the file, its
          // validity bits flipped): each named as the steps name theirs, set aside, constrain
          await this.#setAsideNulls(def, def.name);
          await this.#exec(notNull);
        }
      }
    }
    this.#tables.clear();
  }

  /**
   * For a build run on its own over an analysed database (`deno task findings`, a notebook):
   * replaces the problems earlier runs of the same steps left in `problems` with this run's.
   * A problem the steps say of a recording's file (MCP's readers name `ipc.arrow` or
   * `tls.arrow`, not a step) that `problems` already holds, from the analysis or an earlier
   * run, is not added again.
   */
  async saveProblems(): Promise<void> {
    if (!(await hasTables(this.c, problemsTable.name))) {
      if (this.problems.length) {
        const p = this.problems[0];
        throw new Error(`${p.source}: ${p.message}`);
      }
      return;
    }
    const sources = [...this.steps, ...this.tables];
    if (sources.length) {
      await this.#exec(sqlText("problems_clear_sources"), { sources });
    }
    if (!this.recording) {
      const [r] = await queryRows(this.c, sqlText("recording_name"));
      const name = String(r?.recording ?? "");
      for (const p of this.problems) p.recording = name;
    }
    const said = new Set(
      (await queryRows(this.c, sqlText("problems_said")))
        .map((r) => JSON.stringify([r.recording, r.source, r.kind, r.message])),
    );
    const fresh = this.problems.filter((p) =>
      !said.has(JSON.stringify([p.recording, p.source, p.kind, p.message]))
    );
    await appendRows(this.c, problemsTable, fresh);
  }
}

/**
 * Runs `steps` as part of `build` when given (its problems are the caller's), else as a build
 * of their own over `c` whose problems then replace, in `problems`, those earlier runs of the
 * same steps left; returns the build's problems.
 */
export async function buildPart(
  c: DuckDBConnection,
  build: Build | undefined,
  steps: (b: Build) => Promise<void>,
): Promise<ProblemRow[]> {
  const b = build ?? new Build(c, null);
  await steps(b);
  if (!build) await b.saveProblems();
  return b.problems;
}
