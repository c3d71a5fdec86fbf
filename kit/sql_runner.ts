/**
 * Runs Sightline's `.sql` files with bound parameters: a file's named parameters (`$name`,
 * outside comments) are looked up in the values given, so one settings object serves every
 * file and a file that names a missing value fails with one line saying which. Identifiers,
 * which SQL cannot take as parameters, go in through `withNames` alone.
 */
import { type DuckDBConnection, type DuckDBListValue, listValue } from "./duckdb.ts";
import { isDeclared, quoteIdent } from "./columns.ts";

/** The `$name` parameters a statement uses, comments excluded. */
export function paramNames(sql: string): string[] {
  const code = sql.split("\n").map((l) => l.replace(/--.*$/, "")).join("\n")
    .replace(/'(?:[^']|'')*'/g, "''");
  return [...new Set([...code.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
}

/** A value bound to a parameter: a list of strings is bound as a `VARCHAR[]`. */
export type SqlValue = string | number | bigint | boolean | null | readonly string[];

/** The values of the parameters `sql` uses; throws naming the first missing one. */
export function bindFor(
  sql: string,
  values: Record<string, SqlValue>,
  name = "statement",
): Record<string, Exclude<SqlValue, readonly string[]> | DuckDBListValue> {
  const out: Record<string, Exclude<SqlValue, readonly string[]> | DuckDBListValue> = {};
  for (const p of paramNames(sql)) {
    if (!(p in values)) throw new Error(`${name}: no value for parameter $${p}`);
    const v = values[p];
    out[p] = Array.isArray(v)
      ? listValue(v as string[])
      : v as Exclude<SqlValue, readonly string[]>;
  }
  return out;
}

/** The `{{name}}` identifier placeholders of a `.sql` template, in order of first use. */
export function namePlaceholders(sql: string): string[] {
  return [...new Set([...sql.matchAll(/\{\{([a-z_]+)\}\}/g)].map((m) => m[1]))];
}

/**
 * A `.sql` template with its identifiers put in. This is the one function that puts names
 * into SQL text, and its rule is:
 * - a statement that must name a table or column that varies (SQL binds values, not names)
 *   says so with a placeholder: `{{table}}` (or `{{..._table}}`) for a table, any other
 *   `{{name}}` for a column of the statement's `{{table}}`;
 * - a name is accepted only from the declared schema: a table declared with kit/columns.ts
 *   `table()`, a column declared in it; anything else, a placeholder without a name or a name
 *   without a placeholder, throws one line naming `file`;
 * - every name is quoted as an identifier, and nothing but names goes in this way: values are
 *   bound as `$name` parameters.
 */
export function withNames(
  sql: string,
  names: Record<string, string>,
  file = "statement",
): string {
  const used = namePlaceholders(sql);
  for (const k of Object.keys(names)) {
    if (!used.includes(k)) throw new Error(`${file}: no placeholder {{${k}}}`);
  }
  const isTable = (k: string) => k === "table" || k.endsWith("_table");
  // the tables first: a column is judged by its table
  for (const k of [...used.filter(isTable), ...used.filter((k) => !isTable(k))]) {
    const name = names[k];
    if (name === undefined) throw new Error(`${file}: no name for {{${k}}}`);
    if (isTable(k) ? !isDeclared(name) : !isDeclared(names.table ?? "", name)) {
      const what = isTable(k) ? "a declared table" : `a declared column of {{table}}`;
      throw new Error(`${file}: {{${k}}} = ${JSON.stringify(name)} is not ${what}`);
    }
  }
  return sql.replace(/\{\{([a-z_]+)\}\}/g, (_, k: string) => quoteIdent(names[k]));
}

const texts = new Map<string, string>();

/** The text of `name.sql` in `dir` (read once). */
export function readSql(dir: URL, name: string): string {
  const url = new URL(`${name}.sql`, dir).href;
  let t = texts.get(url);
  if (t === undefined) texts.set(url, t = Deno.readTextFileSync(new URL(url)));
  return t;
}

/** Runs one statement with the parameters it uses. */
export async function runSql(
  c: DuckDBConnection,
  sql: string,
  values: Record<string, SqlValue>,
  name?: string,
): Promise<void> {
  const bound = bindFor(sql, values, name);
  try {
    await c.run(sql, Object.keys(bound).length ? bound as never : undefined);
  } catch (e) {
    throw new Error(`${name ?? "statement"}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Runs a query and returns its rows as plain JS objects (BIGINT as bigint, lists as arrays). */
export async function queryRows(
  c: DuckDBConnection,
  sql: string,
  values: Record<string, SqlValue> = {},
): Promise<Record<string, unknown>[]> {
  const bound = bindFor(sql, values);
  const r = await c.runAndReadAll(sql, Object.keys(bound).length ? bound as never : undefined);
  return r.getRowObjectsJS() as Record<string, unknown>[];
}

/** The names of the tables and views the connection can see. */
export async function tableNames(c: DuckDBConnection): Promise<Set<string>> {
  const rows = await queryRows(c, readSql(new URL("./sql/", import.meta.url), "table_names"));
  return new Set(rows.map((r) => String(r.table_name)));
}

/** Whether the database has every one of these tables (or views). */
export async function hasTables(c: DuckDBConnection, ...names: string[]): Promise<boolean> {
  const have = await tableNames(c);
  return names.every((n) => have.has(n));
}

/** Every `.sql` file name (without extension) in `dir`. */
export function sqlFilesIn(dir: URL): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".sql"))
    .map((e) => e.name.slice(0, -4)).sort();
}
