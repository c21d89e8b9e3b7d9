-- China's best models on the latest snapshot of each leaderboard, by publisher and by lineage,
-- with the load each score came from (meta.loads tells which file and when).
WITH latest AS (
    SELECT leaderboard, max(snapshot_date) AS snapshot_date FROM marts.model_scores GROUP BY 1
)
SELECT m.leaderboard, m.snapshot_date, m.model_id, round(m.score, 2) AS score,
       m.country_publisher, m.country_lineage, m.params_b, m.load_id
FROM marts.model_scores m JOIN latest USING (leaderboard, snapshot_date)
WHERE m.country_publisher = 'CN' OR m.country_lineage = 'CN'
QUALIFY row_number() OVER (PARTITION BY m.leaderboard ORDER BY m.score DESC, m.model_id) <= 10
ORDER BY m.leaderboard, m.score DESC;
