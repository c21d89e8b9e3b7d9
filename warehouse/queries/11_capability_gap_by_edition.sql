-- The US-China gap on the Artificial Analysis Intelligence Index, edition by edition (each edition is
-- its own scale: never read two editions as one series), with the lag by release date: the US first
-- released a model at China's current best level lag_days before China did ("at least" when censored).
SELECT edition, leader, leader_value, leader_model, follower, follower_value, follower_model, round(gap, 1) AS gap,
       leader_reached_on, follower_reached_on,
       CASE WHEN lag_censored THEN 'at least ' || lag_days_at_least ELSE lag_days::VARCHAR END AS lag_days,
       edition - leader_reached_on AS days_since_leader_reached_at_edition
FROM marts.capability_gap
WHERE latest AND pair = 'US-CN' AND index_name = 'intelligence_index'
ORDER BY edition;
