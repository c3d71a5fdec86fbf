/**
 * DuckDB's allocator told to keep the memory it frees for reuse instead of handing it back to
 * the kernel after a second: imported for its effect, first, by the entry points that analyse
 * (before anything loads DuckDB's library, which reads the setting once, when it is loaded).
 *
 * DuckDB's Linux builds allocate through their own jemalloc, whose pages freed are returned to
 * the kernel once they have been unused for `dirty_decay_ms` (then `muzzy_decay_ms`; DuckDB
 * builds it with 1000 each). An analysis frees and allocates DuckDB's buffers all through the
 * load, the parse and the SQL steps, so returned pages are faulted in again moments later: at
 * 1M events about 60,000 of the run's 360,000 page faults and 0.9 s of its system CPU
 * (reports/bench/analysis.md, session 37). With decay off, freed pages stay with jemalloc and are
 * reused. What DuckDB holds at once is still bounded by its memory limit; the process's peak is
 * measured by the analysis benchmark. The embedded jemalloc reads `DUCKDB_JE_MALLOC_CONF`
 * (jemalloc's `MALLOC_CONF` under the library's symbol prefix), and merges it over the options
 * built in: only the two decays change. A value the user has set is left as it is; builds of
 * DuckDB without jemalloc (macOS, Windows) never read it.
 */
export const DUCKDB_ALLOCATOR_ENV = "DUCKDB_JE_MALLOC_CONF";
export const DUCKDB_ALLOCATOR_CONF = "dirty_decay_ms:-1,muzzy_decay_ms:-1";

try {
  if (Deno.env.get(DUCKDB_ALLOCATOR_ENV) === undefined) {
    Deno.env.set(DUCKDB_ALLOCATOR_ENV, DUCKDB_ALLOCATOR_CONF);
  }
} catch { /* without --allow-env: DuckDB's own defaults */ }
