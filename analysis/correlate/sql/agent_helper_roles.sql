-- agent_helper_roles: after agent_helpers.sql (a statement of its own: a file of several
-- statements binds its values to the last alone), the helpers' role in `processes` too.
UPDATE processes p
SET agent_role = 'helper'
FROM lineage l
WHERE l.recording = p.recording AND l.pid = p.pid AND l.start_ns IS NOT DISTINCT FROM p.start_ns
  AND l.role = 'helper';
