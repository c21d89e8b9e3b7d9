-- Who holds the top 100? Each country's share over time, by publisher and by lineage.
SELECT leaderboard, snapshot_date, attribution, country, models, round(share, 3) AS share
FROM marts.topn_share
WHERE top_n = 100 AND scope = 'all' AND attribution IN ('publisher', 'lineage')
ORDER BY leaderboard, attribution, snapshot_date, share DESC;
