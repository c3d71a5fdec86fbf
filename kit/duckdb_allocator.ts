/**
 * DuckDB's allocator told to keep the memory it frees for five seconds before handing it back to
 * the kernel, not one: imported for its effect by `kit/duckdb.ts` before it loads DuckDB's
 * library (which reads the setting once, when it is loaded), so every DuckDB the project opens
 * (analyze, sql, export, reports, the lab, the benchmarks) runs with it.
 *
 * DuckDB's Linux builds allocate through their own jemalloc, whose pages freed are returned to
 * the kernel once they have been unused for `dirty_decay_ms` (then `muzzy_decay_ms`; DuckDB
 * builds it with 1000 each). An analysis frees and allocates DuckDB's buffers all through the
 * load, the parse and the SQL steps, so returned pages are faulted in again moments later
 * (at 10M events 1.25–1.35M page faults and 18–23 s of system CPU). Kept for good (-1) the faults
 * fell by 18–30% but the 10M peak rose to 1.8–1.9 GiB in two of three runs, near the 2 GiB target;
 * five seconds saved about half as many faults at a peak of 1.4 GiB (reports/bench/analysis.md,
 * session 37). The embedded jemalloc reads `DUCKDB_JE_MALLOC_CONF` (jemalloc's `MALLOC_CONF`
 * under the library's symbol prefix) and merges it over the options built in: only the two decays
 * change. A value the user has set is left as it is (`dirty_decay_ms:-1,muzzy_decay_ms:-1` keeps
 * freed pages for good); builds of DuckDB without jemalloc (macOS, Windows) never read it.
 */
export const DUCKDB_ALLOCATOR_ENV = "DUCKDB_JE_MALLOC_CONF";
export const DUCKDB_ALLOCATOR_CONF = "dirty_decay_ms:5000,muzzy_decay_ms:5000";

try {
  if (Deno.env.get(DUCKDB_ALLOCATOR_ENV) === undefined) {
    Deno.env.set(DUCKDB_ALLOCATOR_ENV, DUCKDB_ALLOCATOR_CONF);
  }
} catch { /* without --allow-env: DuckDB's own defaults */ }
