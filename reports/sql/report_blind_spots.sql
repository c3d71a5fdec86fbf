-- report_blind_spots: what the recording cannot show, as its manifest states (analysis
-- blind_spots): first what the run ran into (counted), then the rest in the manifest's order.
SELECT spot_id, title, what, count
FROM (SELECT *, row_number() OVER (ORDER BY rowid) AS n FROM blind_spots)
ORDER BY count IS NULL, n;
