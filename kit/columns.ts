/**
 * The column vocabulary of Sightline's tables: one declaration of a table yields its Arrow
 * schema (recording/arrow_ipc.ts writes it), its DuckDB DDL and its TypeScript row type, so
 * they cannot disagree.
 */

export type ColType =
  | "int64"
  | "int32"
  | "float64"
  | "bool"
  | "utf8"
  | "binary"
  | "list_utf8"
  | "json";

export interface Column<N extends string = string, T extends ColType = ColType> {
  name: N;
  type: T;
  nullable: boolean;
  doc: string;
  /**
   * For a column added after files were written without it: what a reader takes for it in
   * those files (`added`). Columns without it are required.
   */
  absent?: { value: boolean | string | number | bigint | null; since: string };
}

export interface TableDef<C extends readonly Column[] = readonly Column[]> {
  name: string;
  doc: string;
  columns: C;
  /**
   * A view (`view()`): its SQL makes the rows whenever it is read, nothing is stored; its
   * columns are declared as a table's are, and read, documented and exported the same way.
   */
  view?: true;
}

/** A non-null column. */
export function col<N extends string, T extends ColType>(
  name: N,
  type: T,
  doc: string,
): Column<N, T> & { nullable: false } {
  return { name, type, nullable: false, doc };
}

/** A nullable column. */
export function opt<N extends string, T extends ColType>(
  name: N,
  type: T,
  doc: string,
): Column<N, T> & { nullable: true } {
  return { name, type, nullable: true, doc };
}

/**
 * A column added in Sightline `since`: files written before it lack it, and read as `value`
 * (null for a nullable column unless said otherwise).
 */
export function added<C extends Column>(
  c: C,
  since: string,
  value: boolean | string | number | bigint | null = null,
): C & { absent: NonNullable<Column["absent"]> } {
  if (value === null && !c.nullable) throw new Error(`column ${c.name}: a value for old files`);
  return { ...c, absent: { value, since } };
}

/** Every table declared with `table()`, by name: the declared schema (see `isDeclared`). */
const declared = new Map<string, TableDef[]>();

/** Declares a table; its name and columns join the declared schema. */
export function table<const C extends readonly Column[]>(
  name: string,
  doc: string,
  columns: C,
): TableDef<C> {
  const def = { name, doc, columns };
  declared.set(name, [...declared.get(name) ?? [], def]);
  return def;
}

/**
 * Declares a view: the columns its SQL makes, with their docs, joining the declared schema as a
 * table's do. It is made by its SQL, never by `ddl`, and holds no constraints: what its rows may
 * hold follows from the tables it reads.
 */
export function view<const C extends readonly Column[]>(
  name: string,
  doc: string,
  columns: C,
): TableDef<C> {
  const def = table(name, doc, columns);
  def.view = true;
  return def;
}

/**
 * Whether `table` is a declared table (made by `table()`) and, when `column` is given, one of
 * its declared columns. The names that may be put into SQL text as identifiers are these
 * (kit/sql_runner.ts `withNames`).
 */
export function isDeclared(table: string, column?: string): boolean {
  const defs = declared.get(table);
  if (!defs) return false;
  return column === undefined || defs.some((d) => d.columns.some((c) => c.name === column));
}

type TsOf<T extends ColType> = T extends "int64" ? bigint
  : T extends "int32" | "float64" ? number
  : T extends "bool" ? boolean
  : T extends "utf8" | "json" ? string
  : T extends "binary" ? Uint8Array
  : T extends "list_utf8" ? string[]
  : never;

type ValueOf<K extends Column> = K["nullable"] extends true ? TsOf<K["type"]> | null
  : TsOf<K["type"]>;

/**
 * The TypeScript row type of a table. Columns `added` later may be left out: a writer puts
 * what files from before them read as.
 */
export type RowOf<D extends TableDef> =
  & {
    [K in D["columns"][number] as K extends { absent: object } ? never : K["name"]]: ValueOf<K>;
  }
  & {
    [K in D["columns"][number] as K extends { absent: object } ? K["name"] : never]?: ValueOf<K>;
  };

export function sqlType(t: ColType): string {
  switch (t) {
    case "int64":
      return "BIGINT";
    case "int32":
      return "INTEGER";
    case "float64":
      return "DOUBLE";
    case "bool":
      return "BOOLEAN";
    case "utf8":
      return "VARCHAR";
    case "json":
      return "JSON";
    case "binary":
      return "BLOB";
    case "list_utf8":
      return "VARCHAR[]";
  }
}

/**
 * CREATE TABLE for DuckDB, derived from the declaration (the one statement made in code for
 * every table). `name` overrides the table's own name; `notNull: false` leaves the NOT NULL
 * constraints out (a build fills the table, sets rows aside, then adds them); `temp: true`
 * makes a temporary table.
 */
export function ddl(
  def: TableDef,
  name = def.name,
  opts: { notNull?: boolean; temp?: boolean } = {},
): string {
  if (def.view) throw new Error(`${def.name} is a view: its SQL makes it, not CREATE TABLE`);
  const notNull = opts.notNull ?? true;
  const cols = def.columns.map((c) =>
    `  ${quoteIdent(c.name)} ${sqlType(c.type)}${c.nullable || !notNull ? "" : " NOT NULL"}`
  );
  const kind = opts.temp ? "TEMP TABLE" : "TABLE";
  return `CREATE ${kind} ${quoteIdent(name)} (\n${cols.join(",\n")}\n)`;
}

/** An SQL identifier, quoted (for names SQL cannot take as parameters: tables, columns). */
export function quoteIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * An SQL string literal, quoted: only for the statements DuckDB takes no parameters in
 * (`ATTACH`, `COPY ... TO`); everywhere else values are bound.
 */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Markdown documentation of tables (the schema docs are generated from this). */
export function markdownDoc(defs: TableDef[]): string {
  const out: string[] = [];
  for (const d of defs) {
    out.push(`### \`${d.name}\`\n\n${d.doc}\n`);
    out.push("| column | type | description |", "| --- | --- | --- |");
    for (const c of d.columns) {
      const old = c.absent
        ? ` (since ${c.absent.since}; older recordings read as ${
          c.absent.value === null ? "null" : `\`${c.absent.value}\``
        })`
        : "";
      out.push(
        `| \`${c.name}\` | ${sqlType(c.type)}${c.nullable ? "" : " NOT NULL"} | ${c.doc}${old} |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

/**
 * The command line of a schema document (`deno run -A SCRIPT --update`): writes `doc()` to
 * `path` and says so; without `--update`, a usage line and exit 2 (the document is committed,
 * and a test keeps it in step with the declarations).
 */
export async function schemaDocCommand(
  script: string,
  path: string,
  doc: () => string | Promise<string>,
): Promise<void> {
  if (!Deno.args.includes("--update")) {
    console.error(`usage: deno run -A ${script} --update`);
    Deno.exit(2);
  }
  await Deno.writeTextFile(path, await doc());
  console.log(`wrote ${path}`);
}
