-- tool_terms: what each tool call's input names, for argument matching. String leaves of the
-- JSON input are classed by their key: commands (`command`, `cmd`, ...; an array of them is
-- joined with spaces; a custom tool's free-form input counts as one), paths (`*path*`, `file`,
-- ...; not `workdir`/`cwd`/`dir_path`, which only say where a command runs), URLs, and patches
-- (`*** Begin Patch`: the paths of its Add/Update/Delete/Move lines). Commands are normalised
-- (quotes and backslashes dropped, white space collapsed: agents re-quote commands in their
-- wrappers) and their words yield paths, URLs and host names; a quoted or escaped word that
-- holds white space (`cat "my notes.txt"`) is also a path, read as the shell reads it. Lists of names are tested with
-- list_contains, not IN: DuckDB makes each IN list of constants a join, and copied them into
-- every reader of `cls` (84 joins, most of this step's time).
INSERT INTO tool_terms
WITH
nodes AS (
  SELECT t.recording, t.tool_call_id, j.type, j.fullkey, j.value,
    lower(coalesce(regexp_extract(j.fullkey, '([A-Za-z_][A-Za-z0-9_]*)(\[[0-9]+\])*$', 1), ''))
      AS key,
    regexp_matches(j.fullkey, '\]$') AS in_array
  FROM tool_calls t, json_tree(t.input) j
  WHERE j.type IN ('VARCHAR', 'ARRAY')
),
leaves AS (
  -- strings, except those inside command arrays (taken joined, below)
  SELECT recording, tool_call_id, key, value ->> '$' AS v
  FROM nodes
  WHERE type = 'VARCHAR'
    AND NOT (in_array AND list_contains(['command', 'cmd', 'args', 'argv'], key))
  UNION ALL
  SELECT recording, tool_call_id, key,
    array_to_string(json_extract_string(value, '$[*]'), ' ')
  FROM nodes
  WHERE type = 'ARRAY' AND list_contains(['command', 'cmd', 'args', 'argv'], key)
    AND json_type(value -> '$[0]') = 'VARCHAR'
),
classed AS (
  SELECT recording, tool_call_id, key, v,
    CASE
      WHEN v LIKE '*** Begin Patch%' THEN 'patch'
      WHEN list_contains(
        ['command', 'cmd', 'script', 'code', 'shell', 'args', 'argv', 'input', ''], key)
        THEN 'command'
      WHEN list_contains(['workdir', 'cwd', 'dir_path', 'working_directory'], key) THEN 'context'
      WHEN key LIKE '%path%' OR list_contains(['file', 'filename', 'dir', 'directory', 'target',
        'source', 'destination'], key) THEN 'path'
      WHEN list_contains(['url', 'uri', 'href', 'urls', 'endpoint'], key) THEN 'url'
      ELSE 'text'
    END AS cls
  FROM leaves
  WHERE v IS NOT NULL AND length(trim(v)) > 0
),
commands AS (
  SELECT recording, tool_call_id, key, v,
    trim(regexp_replace(regexp_replace(v, '[''"\\]', '', 'g'), '\s+', ' ', 'g')) AS norm
  FROM classed WHERE cls = 'command'
),
-- The words of each command, an option's `--name=` (or `NAME=`, `@`) dropped. Besides the
-- words split at white space and quotes, a word the shell keeps whole although it holds white
-- space (`spaced`): quoted ("my notes.txt", 'a b.txt') or escaped (a\ b.txt), read as the shell
-- reads it: quotes removed, a backslash kept inside single quotes, escaping only $ ` " \ inside
-- double quotes, and any character outside quotes.
words AS (
  SELECT recording, tool_call_id, key, spaced,
    regexp_replace(w, '^(--?[A-Za-z0-9_-]+=|[A-Za-z_][A-Za-z0-9_]*=|@)', '') AS w
  FROM (
    SELECT recording, tool_call_id, key, false AS spaced,
      unnest(regexp_extract_all(v, '[^\s''"|;&<>()`]+')) AS w
    FROM commands
    UNION ALL
    SELECT recording, tool_call_id, key, true,
      array_to_string(list_transform(
        regexp_extract_all(t, '''[^'']*''|"(?:[^"\\]|\\.)*"|\\.|[^''"\\]+'),
        s -> CASE left(s, 1)
          WHEN '''' THEN s[2:-2]
          WHEN '"' THEN regexp_replace(s[2:-2], '\\([$`"\\])', '\1', 'g')
          WHEN '\' THEN s[2:]
          ELSE s
        END), '')
    FROM (
      SELECT recording, tool_call_id, key,
        unnest(regexp_extract_all(v,
          '(?:[^\s''"|;&<>()`\\]|\\.|''[^'']*''|"(?:[^"\\]|\\.)*")+')) AS t
      FROM commands
    )
    WHERE regexp_matches(t, '[''"\\]')
  )
),
-- Of the words read whole, those that hold white space once read (the others are among the
-- split words) and could be a name: no newline, no shell punctuation (`;|&<>$` and backquote).
spaced_words AS (
  SELECT recording, tool_call_id, key, w
  FROM words
  WHERE spaced AND regexp_matches(w, '\s') AND NOT regexp_matches(w, '[\n\r;|&<>`$]')
    AND w NOT LIKE '-%' AND length(w) <= 1024
),
urls AS (
  SELECT recording, tool_call_id, key AS source, cls = 'command' AS in_command,
    unnest(regexp_extract_all(v, '[A-Za-z][A-Za-z0-9+.-]*://[^\s''"<>|;`()]+')) AS url
  FROM classed WHERE cls IN ('command', 'url')
),
paths AS (
  SELECT recording, tool_call_id, key AS source, w AS p, true AS in_command
  FROM words
  WHERE NOT spaced AND w NOT LIKE '%://%' AND w NOT LIKE '-%' AND length(w) >= 2
    AND (w LIKE '%/%' OR regexp_full_match(w, '[A-Za-z0-9_.+~-]*[A-Za-z0-9_+-]\.[A-Za-z0-9]{1,10}'))
    AND NOT regexp_full_match(w, '[0-9.]+')
  UNION ALL
  SELECT recording, tool_call_id, key AS source, w AS p, true AS in_command
  FROM spaced_words
  WHERE w LIKE '%/%' OR regexp_full_match(w, '[^/]*[^/\s]\.[A-Za-z0-9]{1,10}')
  UNION ALL
  SELECT recording, tool_call_id, key, trim(v), false FROM classed WHERE cls = 'path'
  UNION ALL
  SELECT recording, tool_call_id, 'patch',
    trim(unnest(regexp_extract_all(v, '\*\*\* (?:Add File|Update File|Delete File|Move to): ([^\n]+)', 1))),
    false
  FROM classed WHERE cls = 'patch'
),
hosts AS (
  SELECT recording, tool_call_id, key AS source,
    lower(regexp_replace(w, '^[^@]*@', '')) AS h
  FROM words
  WHERE NOT spaced AND w NOT LIKE '%/%'
    AND regexp_full_match(w, '([A-Za-z0-9._-]+@)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}')
),
terms AS (
  SELECT recording, tool_call_id, 'command' AS kind, norm AS term, NULL AS suffix,
    NULL AS basename, NULL AS host, NULL::INTEGER AS port, key AS source, true AS in_command
  FROM commands WHERE length(norm) >= 2
  UNION ALL
  SELECT recording, tool_call_id, 'path', p,
    CASE WHEN p NOT LIKE '/%' THEN '/' || regexp_replace(p, '^(\./|~/|\.\./)+', '') END,
    nullif(regexp_extract(rtrim(p, '/'), '[^/]+$'), ''), NULL, NULL, source, in_command
  FROM paths
  WHERE NOT list_contains(['/dev/null', '/dev/stdin', '/dev/stdout', '/dev/stderr', '/dev/tty', '/',
    '.', '..', '~'], p)
  UNION ALL
  SELECT recording, tool_call_id, 'url', url, NULL, NULL,
    -- the host and port of its authority, by the one rule (macros.sql authority_host)
    authority_host(authority), authority_port(authority, scheme_port(scheme)), source,
    in_command
  FROM (
    SELECT *, regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)', 1) AS authority,
      lower(regexp_extract(url, '^([A-Za-z][A-Za-z0-9+.-]*)://', 1)) AS scheme
    FROM urls
  )
  UNION ALL
  SELECT recording, tool_call_id, 'host', h, NULL, NULL, h, NULL, source, true FROM hosts
)
SELECT DISTINCT recording, tool_call_id, kind, term, suffix, basename, host, port, source,
  in_command
FROM terms
WHERE term IS NOT NULL AND term <> ''
ORDER BY recording, tool_call_id, kind, term;
