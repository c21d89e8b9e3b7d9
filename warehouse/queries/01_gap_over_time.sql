-- How far behind is China? The US–China frontier gap, snapshot by snapshot, in every attribution
-- mode, with how many days behind the follower is and the models holding each frontier. A censored
-- lag (the record does not show when the leader got there) reads "at least N days"; after_hole
-- marks the first snapshot after more than 45 days without one (break a chart's line there).
-- Change the pair or scope ('all', 'unflagged', 'official', 'no_merges') to ask another question.
SELECT leaderboard, snapshot_date, attribution, leader, round(leader_score, 2) AS leader_score,
       follower, round(follower_score, 2) AS follower_score, round(gap, 2) AS gap,
       round(100 * relative_gap, 1) AS gap_pct,
       CASE WHEN lag_censored THEN 'at least ' || lag_days_at_least ELSE lag_days::VARCHAR END AS days_behind,
       after_hole, leader_model, follower_model
FROM marts.gap
WHERE pair = 'US-CN' AND scope = 'all'
ORDER BY leaderboard, attribution, snapshot_date;
