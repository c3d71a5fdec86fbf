/**
 * Public face of the export: analysed recordings handed to other systems — every table as
 * hive-partitioned Parquet that DuckDB, Spark, Trino or ClickHouse read as it is (and reading
 * such an export back with `deno task sql`), and each session as an OpenTelemetry GenAI trace. Command: `deno task export`; see README.md here.
 */
export {
  analysedDb,
  type ExportFormat,
  type ExportOptions,
  run as exportRecordings,
} from "./export.ts";
export { EXPORT_MARKER, exportParquet, type ParquetExport, partitionPath } from "./parquet.ts";
export { exportTables, isParquetExport, listExport, parquetScan } from "./parquet_source.ts";
export { EXPORT_NAMES, EXPORT_TABLES, PARTITION_KEYS, timestampName } from "./tables.ts";
export { exportOtlp, type OtlpOptions, type OtlpResult, otlpTarget } from "./otlp.ts";
