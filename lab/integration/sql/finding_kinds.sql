-- finding_kinds: the kinds of finding raised, in order (the proxy checks: as without a proxy).
SELECT DISTINCT kind FROM findings ORDER BY kind
