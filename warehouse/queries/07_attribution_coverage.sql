-- Coverage per snapshot and mode: share of models / of the top 100 whose country is known, and
-- whose organisation is known (individuals of unknown location count as organisation known).
SELECT leaderboard, snapshot_date, mode, models, round(rows_share, 3) AS rows_share,
       round(top100_share, 3) AS top100_share, round(org_rows_share, 3) AS org_rows_share,
       round(org_top100_share, 3) AS org_top100_share
FROM marts.attribution_coverage
ORDER BY leaderboard, snapshot_date, mode;
