-- Whose base model is it? One lineage per model, the same on every board, with the path followed
-- and the evidence (reported base_model with its board and date, or a curated edge's citation).
SELECT model_id, leaderboards, publisher_org_id, org_id AS lineage_org, country, method, lineage_path, evidence
FROM core.model_lineage
WHERE model_key IN ('abacusai/smaug-72b-v0.1', '01-ai/yi-1.5-34b-chat', 'athene-v2-chat-72b',
                    'deepseek-ai/deepseek-r1-distill-llama-70b', 'mtsair/multiverse_70b')
ORDER BY model_id;
