-- Coverage per snapshot and mode: share of models / of the top 100 whose country is known, and
-- whose organisation is known (individuals of unknown location count as organisation known). For
-- lineage, the top-100 share found through the model graph (a root or a chain of base-model edges,
-- some curated) and by an exclusive architecture (one developer's weights only), separately.
SELECT leaderboard, snapshot_date, mode, models, round(rows_share, 3) AS rows_share,
       round(top100_share, 3) AS top100_share, round(org_rows_share, 3) AS org_rows_share,
       round(org_top100_share, 3) AS org_top100_share, round(top100_chain_share, 3) AS top100_chain_share,
       round(top100_curated_share, 3) AS top100_curated_share,
       round(top100_architecture_share, 3) AS top100_architecture_share
FROM marts.attribution_coverage
ORDER BY leaderboard, snapshot_date, mode;
