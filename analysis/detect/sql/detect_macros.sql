-- detect_macros: the rules the detectors (and the MCP detectors after them) share, each defined
-- once here; created after the detector tables, since they read `findings`, `actions` and
-- `lineage`.
--
-- last_finding_id: the highest finding id a recording has so far (0 before its first), which
-- each detector numbers its new findings after.
CREATE OR REPLACE MACRO last_finding_id(rec) AS
  coalesce((SELECT max(f.finding_id) FROM findings f WHERE f.recording = rec), 0);
-- branch_exec_event: the evidence reference (`process:<event_id>`) of the exec that started a
-- process incarnation (pid, start_ns), or null when none was recorded.
CREATE OR REPLACE MACRO branch_exec_event(rec, for_pid, for_start_ns) AS
  (SELECT 'process:' || min(a.event_id) FROM actions a
    WHERE a.recording = rec AND a.pid = for_pid
      AND a.proc_start_ns = for_start_ns AND a.op = 'exec');
-- command_at: the command line (argv joined by spaces) a process incarnation ran at a time:
-- that of its last exec by then (`process`, as `process_programs` reads it), else, before its
-- first exec, the program it is a copy of (`process_programs`); null when neither is recorded.
-- Not its last one: a shell that listened and then exec'd `./cleanup` is the shell.
CREATE OR REPLACE MACRO command_at(rec, for_pid, for_start_ns, at_ns) AS
  coalesce(
    (SELECT array_to_string(arg_max(x.argv, x.ts_ns), ' ') FROM process x
      WHERE x.recording = rec AND x.pid = for_pid AND x.kind IN ('exec', 'joined')
        AND x.ts_ns >= for_start_ns AND x.ts_ns <= at_ns),
    (SELECT arg_max(g.exe, g.from_ns) FROM process_programs g
      WHERE g.recording = rec AND g.pid = for_pid AND g.from_ns >= for_start_ns
        AND g.from_ns <= at_ns));
-- branch_command: the command line (argv joined by spaces) of a process incarnation (its
-- last: see command_at for the one at a time).
CREATE OR REPLACE MACRO branch_command(rec, for_pid, for_start_ns) AS
  (SELECT array_to_string(l.argv, ' ') FROM lineage l
    WHERE l.recording = rec AND l.pid = for_pid AND l.start_ns = for_start_ns);
-- branch_first_command: the command line a process incarnation started with: that of its
-- first exec (the one branch_exec_event names), else its last (branch_command: a process
-- whose exec was not recorded). A shell that ran `curl ...` and then exec'd `./cleanup` is the
-- shell's `sh -c ...`.
CREATE OR REPLACE MACRO branch_first_command(rec, for_pid, for_start_ns) AS
  coalesce(
    (SELECT array_to_string(arg_min(a.argv, a.event_id), ' ') FROM actions a
      WHERE a.recording = rec AND a.pid = for_pid AND a.proc_start_ns = for_start_ns
        AND a.event_table = 'process' AND a.op = 'exec'),
    branch_command(rec, for_pid, for_start_ns));
-- recording_homes_shown: the directories each recording shows as homes beyond /root and
-- /home/* (which, with any directory named `home`, every `~/` pattern covers already): the
-- directory of a file only a home holds that a process opened or looked for (a failed open
-- too: it looked where its HOME is): git's $HOME/.gitconfig (read by every git command), a
-- shell's start-up and history files, the agents' own account files. The capture records no
-- environment, so a service user's home (/var/lib/jenkins) is known only this way. Such a
-- directory is a home only where a home can plausibly be: not under /etc (/etc/skel is the
-- template new homes are copied from) nor in any directory named `skel` (/usr/etc/skel,
-- /usr/share/skel), and not inside another home's subtree — /root's, a /home/* one's, a
-- directory named `home`, or another directory shown here (a dotfiles repository,
-- ~/dotfiles/.bashrc, is files kept in a home, not a home; a home itself under /home/x or
-- named `home` is one to the `~/` patterns already). `markers`: how many of those files it
-- showed, `first_ns`: when.
CREATE OR REPLACE MACRO recording_homes_shown() AS TABLE
  WITH shown AS (
    SELECT recording, dir, count(DISTINCT marker) AS markers, min(first_ns) AS first_ns
    FROM (
      SELECT recording, path, min(ts_ns) AS first_ns,
        regexp_extract(path, '^(/.+)/(\.gitconfig|\.bashrc|\.bash_profile|' ||
          '\.bash_history|\.profile|\.zshenv|\.zshrc|\.claude\.json|' ||
          '\.claude/\.credentials\.json|\.codex/auth\.json|\.gemini/oauth_creds\.json|' ||
          '\.gemini/google_accounts\.json)$', 1) AS dir,
        substr(path, length(dir) + 2) AS marker
      FROM file WHERE op = 'open' AND contains(path, '/.')
      GROUP BY recording, path
    )
    WHERE dir <> '' AND NOT regexp_matches(dir, '^(/root|/home/[^/]+|.*/home)$')
      AND NOT regexp_matches(dir, '^/etc/|(^|/)skel(/|$)')
      AND NOT regexp_matches(dir, '^(/root|/home/[^/]+|.*/home)/')
    GROUP BY recording, dir
  )
  SELECT s.recording, s.dir, s.markers, s.first_ns
  FROM shown s
  WHERE NOT EXISTS (SELECT 1 FROM shown o WHERE o.recording = s.recording
    AND starts_with(s.dir, o.dir || '/'));
-- recording_homes: recording_homes_shown, at most 64 a recording (those that showed the most
-- of the files, then the first shown): each home multiplies the `~/` patterns the detectors
-- try, and a recording showing more is said in a `problems` row (homes_capped.sql). A
-- directory taken for a home wrongly only adds patterns, never hides.
CREATE OR REPLACE MACRO recording_homes() AS TABLE
  SELECT recording, dir
  FROM recording_homes_shown()
  QUALIFY row_number() OVER (PARTITION BY recording ORDER BY markers DESC, first_ns, dir) <= 64;
-- home_patterns: each `~/` pattern of `sensitive_patterns` (kind `sensitive`) and
-- `persistence_patterns` (`persistence`) again under each home of recording_homes(), as a
-- regular expression of the whole path (the home's name escaped).
CREATE OR REPLACE MACRO home_patterns() AS TABLE
  SELECT h.recording, h.dir, p.kind, p.pattern, p.severity, p.scope, p.label,
    '^' || regexp_replace(h.dir, '([.+*?^$(){}|\[\]\\])', '\\\1', 'g') || '/' ||
      substr(p.home_regex, 2) AS regex
  FROM recording_homes() h
  JOIN (
    SELECT 'sensitive' AS kind, pattern, severity, scope, label, home_regex
    FROM sensitive_patterns
    UNION ALL
    SELECT 'persistence', pattern, NULL, NULL, label, home_regex FROM persistence_patterns
  ) p ON p.home_regex IS NOT NULL;
