-- view_drop: drops a declared view before a build makes it again (build_steps.ts Build.create).
DROP VIEW IF EXISTS {{table}}
