-- The curation queue: publishers whose country is unknown, ranked by how much they matter, and
-- how much of each snapshot's top 100 is attributed (coverage) per mode.
SELECT leaderboard, priority, name, coalesce(org_id, '(not in registry)') AS org_id, reason,
       top100_appearances, round(best_score, 2) AS best_score, best_model, last_seen
FROM marts.unattributed
WHERE attribution = 'publisher' AND priority <= 25
ORDER BY leaderboard, priority;
