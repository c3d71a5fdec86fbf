-- table_drop: drops a declared table before a build creates it again (build_steps.ts Build.create).
DROP TABLE IF EXISTS {{table}}
