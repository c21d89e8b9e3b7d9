-- Is the US–China gap closing or widening? Against the snapshot nearest to 30 and to 90 days
-- earlier (within +/- 7 and +/- 21 days; no trend when there is none, e.g. across a hole).
SELECT leaderboard, snapshot_date, attribution, window_days, compared_with, days_apart,
       round(gap_a_minus_b, 2) AS us_minus_cn_now, round(gap_then, 2) AS us_minus_cn_then,
       round(abs_gap_change, 2) AS abs_gap_change, trend
FROM marts.gap_trend
WHERE pair = 'US-CN' AND scope = 'all'
QUALIFY snapshot_date = max(snapshot_date) OVER (PARTITION BY leaderboard)
ORDER BY leaderboard, attribution, window_days;
