-- Where publisher and lineage disagree: models published in one country on a base model from
-- another (a US fine-tune of Qwen is a Qwen derivative), among the latest top 100, with the trail.
WITH latest AS (
    SELECT leaderboard, max(snapshot_date) AS snapshot_date FROM marts.model_scores GROUP BY 1
), top100 AS (
    SELECT m.* FROM marts.model_scores m JOIN latest USING (leaderboard, snapshot_date)
    QUALIFY row_number() OVER (PARTITION BY m.leaderboard ORDER BY m.score DESC, m.model_id) <= 100
)
SELECT t.leaderboard, t.model_id, round(t.score, 2) AS score,
       coalesce(t.country_publisher, 'unattributed') AS publisher_country,
       coalesce(t.country_lineage, 'unattributed') AS lineage_country, a.evidence AS lineage_evidence
FROM top100 t
JOIN core.model_attribution a ON a.leaderboard = t.leaderboard AND a.model_id = t.model_id AND a.mode = 'lineage'
WHERE t.country_publisher IS DISTINCT FROM t.country_lineage
ORDER BY t.leaderboard, t.score DESC;
