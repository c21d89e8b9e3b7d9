-- How far behind is China? The US–China frontier gap, snapshot by snapshot, in every attribution
-- mode, with how many days behind the follower is (lag_days) and the models holding each frontier.
-- Change the pair or scope ('all', 'unflagged', 'official', 'no_merges') to ask another question.
SELECT leaderboard, snapshot_date, attribution, leader, round(leader_score, 2) AS leader_score,
       follower, round(follower_score, 2) AS follower_score, round(gap, 2) AS gap,
       round(100 * relative_gap, 1) AS gap_pct, lag_days, leader_model, follower_model
FROM marts.gap
WHERE pair = 'US-CN' AND scope = 'all'
ORDER BY leaderboard, attribution, snapshot_date;
