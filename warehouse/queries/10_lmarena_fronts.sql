-- LMArena's own dataset, front by front (subset, category, style control), latest publish of each.
-- Does China lead on Chinese-language prompts? The US-China gap on text / chinese, with and without
-- style control: gap_a_minus_b > 0 means the best US model leads, tied when the two frontiers'
-- 95% intervals overlap (the bounds straddle 0). Elo points, publisher attribution.
select subset, category, style_control, snapshot_date, model_a as us_model, round(rating_a, 1) as us_rating,
       model_b as cn_model, round(rating_b, 1) as cn_rating, round(gap_a_minus_b, 1) as gap_us_minus_cn,
       round(gap_a_minus_b_lower, 1) as gap_lower, round(gap_a_minus_b_upper, 1) as gap_upper, tied, status
from marts.lmarena_latest_gap
where pair = 'US-CN' and subset = 'text' and category = 'chinese'
order by style_control;

-- How much does style control change the gap? Per front that has both forms, the US-China gap
-- without and with style control on the same publish date, and the change.
select s.subset, s.category, s.snapshot_date,
       round(r.gap_a_minus_b, 1) as gap_raw, r.status as status_raw,
       round(s.gap_a_minus_b, 1) as gap_style_control, s.status as status_style_control,
       round(s.gap_a_minus_b - r.gap_a_minus_b, 1) as change_with_style_control
from marts.lmarena_gap s
join marts.lmarena_gap r
  on r.subset = s.subset and r.category = s.category and r.snapshot_date = s.snapshot_date
 and r.pair = s.pair and not r.style_control
where s.style_control and s.pair = 'US-CN'
  and s.snapshot_date = (select max(snapshot_date) from marts.lmarena_gap g
                         where g.subset = s.subset and g.category = s.category and g.style_control)
order by s.subset, abs(s.gap_a_minus_b - r.gap_a_minus_b) desc nulls last;
