-- One model graph (core.model_lineage), censored lags and holes in marts.gap, calendar trends,
-- the lineage coverage split, and the provenance of funding series. Every mart is recomputed in
-- full on every run, so tables whose shape changes are recreated empty here.

CREATE TABLE core.model_lineage (
    model_key         VARCHAR NOT NULL,
    model_id          VARCHAR NOT NULL,
    leaderboards      VARCHAR NOT NULL,
    publisher_org_id  VARCHAR,
    root_model        VARCHAR,
    org_id            VARCHAR,
    organisation      VARCHAR,
    country           VARCHAR,
    method            VARCHAR NOT NULL,
    hops              BIGINT NOT NULL,
    curated_edges     BIGINT NOT NULL,
    lineage_path      VARCHAR NOT NULL,
    evidence          VARCHAR NOT NULL
);
COMMENT ON TABLE core.model_lineage IS 'One lineage per model, resolved once over one model graph of every leaderboard (attribution/lineage.py), so a model has the same lineage on every board: its base-model edges (a board''s base_model, the most recent usable report; curated, cited edges in data/registry/lineage.csv replace them) are followed to a root, a model published by a foundation-model developer (data/registry/foundation_developers.csv). A self-referencing base_model is a root only for such a developer. Unresolved chains fall back only to an architecture whose weights come from one developer alone, else stay unattributed. core.model_attribution''s lineage rows are these.';
COMMENT ON COLUMN core.model_lineage.model_key IS 'The model, case-insensitively: a Hugging Face id lower-cased, or an Arena model key.';
COMMENT ON COLUMN core.model_lineage.model_id IS 'The model as a board lists it (the first spelling in sort order).';
COMMENT ON COLUMN core.model_lineage.leaderboards IS 'The boards the model is on, comma-separated.';
COMMENT ON COLUMN core.model_lineage.publisher_org_id IS 'Who published the model itself (registry org_id; NULL when not in the registry).';
COMMENT ON COLUMN core.model_lineage.root_model IS 'The root the chain ended at (NULL unless method is root, base model chain or curated edge).';
COMMENT ON COLUMN core.model_lineage.org_id IS 'The lineage: the root''s developer, or the developer of an exclusive architecture; NULL when unattributed.';
COMMENT ON COLUMN core.model_lineage.country IS 'The lineage developer''s country (ISO-3166 alpha-2); NULL when unknown (never guessed).';
COMMENT ON COLUMN core.model_lineage.method IS 'root (the model is a foundation developer''s own, with no edge to another model) | base model chain (reported edges led to a root) | curated edge (at least one edge on the way is curated, with a citation) | exclusive architecture (no usable chain; the architecture holds one developer''s weights only, per data/registry/architectures.csv) | unattributed (no evidence; evidence says why).';
COMMENT ON COLUMN core.model_lineage.hops IS 'Number of base-model edges followed.';
COMMENT ON COLUMN core.model_lineage.curated_edges IS 'How many of them are curated (data/registry/lineage.csv).';
COMMENT ON COLUMN core.model_lineage.lineage_path IS 'The models followed, model -> base -> ... -> root (or to where the chain stops).';
COMMENT ON COLUMN core.model_lineage.evidence IS 'Why: the root''s publisher, where each edge comes from (board and date, or the curated citation), or why the chain stops and what the architecture says.';

COMMENT ON TABLE core.model_attribution IS 'Every model attributed to an organisation and a country in three modes: publisher (who published it: HF namespace or Arena organisation), lineage (its row of core.model_lineage: the same on every board; never the family, except an exclusive architecture, which method says), family (the creator of its architecture). country NULL = unknown (never guessed). Recomputed from data/registry on every run.';
COMMENT ON COLUMN core.model_attribution.method IS 'How the attribution was made: publisher mode registry alias / unknown ...; lineage mode root, base model chain, curated edge, exclusive architecture or unattributed (see core.model_lineage.method); family mode architecture family / generic architecture ...';
COMMENT ON COLUMN core.model_attribution.evidence IS 'The trail behind it, e.g. abacusai/Smaug-72B-v0.1 -> moreh/MoMo-72B-lora-1.8.7-DPO -> Qwen/Qwen-72B: published by alibaba (CN), a foundation-model developer; edges: ... (open-llm-v2 base_model, 2025-03-21); ... (curated: https://huggingface.co/abacusai/Smaug-72B-v0.1).';

ALTER TABLE marts.gap ADD COLUMN lag_censored BOOLEAN;
ALTER TABLE marts.gap ADD COLUMN lag_days_at_least BIGINT;
ALTER TABLE marts.gap ADD COLUMN days_since_previous BIGINT;
ALTER TABLE marts.gap ADD COLUMN after_hole BOOLEAN;
COMMENT ON COLUMN marts.gap.lag_days IS 'How many days before this snapshot the leader first reached the follower''s current frontier ("the follower is N days behind"), in the same leaderboard, attribution mode and scope. NULL when censored (see lag_censored): never 0 for "unknown".';
COMMENT ON COLUMN marts.gap.lag_censored IS 'True when the leader was already at the follower''s level on the first snapshot of the series: the recorded history does not reach back to when it got there, so the lag is only known to be at least lag_days_at_least.';
COMMENT ON COLUMN marts.gap.lag_days_at_least IS 'A lower bound on the lag: days since the series starts when lag_censored, else equal to lag_days. Print "at least N days" for censored rows.';
COMMENT ON COLUMN marts.gap.days_since_previous IS 'Days since the previous row of the same series (leaderboard, attribution, scope, pair); NULL on its first row.';
COMMENT ON COLUMN marts.gap.after_hole IS 'True when the previous row of the series is more than 45 days earlier (a hole in the record, see marts.snapshot_holes): a chart breaks its line before this row.';

CREATE OR REPLACE VIEW marts.open_weights_gap AS
SELECT leaderboard, snapshot_date, attribution,
       CASE scope WHEN 'open_weights' THEN 'open' ELSE 'proprietary' END AS weights,
       pair, leader, follower, leader_score, follower_score, gap, relative_gap, lag_days, lag_censored,
       lag_days_at_least, leader_model, follower_model, days_since_previous, after_hole
FROM marts.gap
WHERE scope IN ('open_weights', 'proprietary');
COMMENT ON VIEW marts.open_weights_gap IS 'The frontier gap within each class of weights (marts.gap in scopes open_weights / proprietary), per leaderboard (arena-text), snapshot, attribution mode and pair: the best open-weights US model vs the best open-weights Chinese model, and the same for proprietary models. weights: open = weights published under a named licence (non-commercial included), proprietary = API or app only, from the licence with curated corrections (data/arena/model_overrides.csv); models of unknown licence are in neither. A row exists only where both countries have a model of that class. Lags are censored as in marts.gap.';

DROP TABLE marts.gap_trend;
CREATE TABLE marts.gap_trend (
    leaderboard     VARCHAR NOT NULL,
    snapshot_date   DATE NOT NULL,
    attribution     VARCHAR NOT NULL,
    scope           VARCHAR NOT NULL,
    pair            VARCHAR NOT NULL,
    window_days     INTEGER NOT NULL,
    country_a       VARCHAR NOT NULL,
    country_b       VARCHAR NOT NULL,
    leader          VARCHAR NOT NULL,
    gap_a_minus_b   DOUBLE NOT NULL,
    target_date     DATE NOT NULL,
    tolerance_days  INTEGER NOT NULL,
    compared_with   DATE,
    days_apart      BIGINT,
    gap_then        DOUBLE,
    abs_gap_change  DOUBLE,
    trend           VARCHAR
);
COMMENT ON TABLE marts.gap_trend IS 'The pair gap now against the snapshot nearest to 30 and to 90 days earlier (window_days), by calendar time: compared_with is the snapshot nearest to target_date = snapshot_date - window_days within +/- tolerance_days (7 for 30 days, 21 for 90; a tie goes to the earlier); when there is none (a hole, or the series is younger), compared_with, gap_then and trend are NULL. gap_a_minus_b > 0: country_a leads. trend: closing / widening (the absolute gap shrank / grew by more than 0.5% of the leader''s score), flat, or leader changed.';
COMMENT ON COLUMN marts.gap_trend.days_apart IS 'snapshot_date - compared_with, in days (within window_days +/- tolerance_days).';

ALTER TABLE marts.attribution_coverage ADD COLUMN top100_chain_share DOUBLE;
ALTER TABLE marts.attribution_coverage ADD COLUMN top100_curated_share DOUBLE;
ALTER TABLE marts.attribution_coverage ADD COLUMN top100_architecture_share DOUBLE;
COMMENT ON COLUMN marts.attribution_coverage.top100_chain_share IS 'Lineage mode only (NULL otherwise): share of the top 100 whose lineage country was found through the model graph (method root, base model chain or curated edge).';
COMMENT ON COLUMN marts.attribution_coverage.top100_curated_share IS 'Lineage mode only: the part of top100_chain_share that needed a curated edge (data/registry/lineage.csv).';
COMMENT ON COLUMN marts.attribution_coverage.top100_architecture_share IS 'Lineage mode only: share of the top 100 whose lineage country comes from an exclusive architecture (no usable chain). top100_share = top100_chain_share + top100_architecture_share.';

CREATE TABLE marts.snapshot_holes (
    leaderboard           VARCHAR NOT NULL,
    last_snapshot_before  DATE NOT NULL,
    first_snapshot_after  DATE NOT NULL,
    days_between          BIGINT NOT NULL,
    hole_days_threshold   INTEGER NOT NULL
);
COMMENT ON TABLE marts.snapshot_holes IS 'Holes in each leaderboard''s record: stretches of more than hole_days_threshold (45) days without a published snapshot, between last_snapshot_before and first_snapshot_after. Nothing is known about the gap inside a hole; charts break their lines there (marts.gap.after_hole).';

ALTER TABLE marts.funding_gap_all_editions ADD COLUMN upstream VARCHAR;
COMMENT ON COLUMN marts.funding_gap_all_editions.upstream IS 'The original estimate the figures come from (marts.funding_provenance): sources with the same upstream republish one estimate and do not confirm each other.';

ALTER TABLE marts.race_by_year ADD COLUMN upstream VARCHAR;
ALTER TABLE marts.race_by_year ADD COLUMN same_upstream_as VARCHAR;
COMMENT ON COLUMN marts.race_by_year.upstream IS 'The original estimate a funding row comes from (marts.funding_provenance); the leaderboard for frontier_gap rows.';
COMMENT ON COLUMN marts.race_by_year.same_upstream_as IS 'Other sources of the same year and measure whose figures come from the same upstream (funding-cset and funding-eto: CSET''s estimates): one estimate republished, not independent confirmation. NULL when none.';

CREATE TABLE marts.funding_provenance (
    source                VARCHAR NOT NULL,
    series                VARCHAR NOT NULL,
    upstream              VARCHAR NOT NULL,
    derived_from          VARCHAR,
    evidence              VARCHAR,
    notes                 VARCHAR,
    shares_upstream_with  VARCHAR
);
COMMENT ON TABLE marts.funding_provenance IS 'What each published funding series derives from (data/funding/crosswalk/provenance.csv): upstream names the original estimate (ai-index-quid, cset, oecd-preqin, cb-insights ...), derived_from describes it, evidence cites it. shares_upstream_with lists the other sources republishing the same estimate (NULL when none); a series no rule matches is its own upstream, with derived_from NULL (unknown).';
