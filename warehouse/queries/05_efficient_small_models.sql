-- The efficient-models question: the best model under 10B parameters per country on the latest
-- snapshot (lineage mode), next to the US–China gap within each size bucket over time.
WITH latest AS (
    SELECT leaderboard, max(snapshot_date) AS snapshot_date FROM marts.model_scores GROUP BY 1
)
SELECT 'best under 10B' AS question, m.leaderboard, m.snapshot_date, coalesce(m.country_lineage, 'unattributed') AS country,
       NULL AS size_bucket, arg_max(m.model_id, m.score) AS model, round(max(m.score), 2) AS score, NULL AS gap
FROM marts.model_scores m JOIN latest USING (leaderboard, snapshot_date)
WHERE m.params_b < 10
GROUP BY ALL
UNION ALL
SELECT 'US-CN gap by size', leaderboard, snapshot_date, leader, size_bucket, leader_model, round(leader_score, 2), round(gap, 2)
FROM marts.size_gap
WHERE pair = 'US-CN' AND attribution = 'lineage' AND scope = 'all'
ORDER BY question, leaderboard, snapshot_date, score DESC;
