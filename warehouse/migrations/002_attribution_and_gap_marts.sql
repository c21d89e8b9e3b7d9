-- Attribution in three modes and the full set of leaderboard gap marts (recomputed on every run).
DROP TABLE IF EXISTS marts.country_frontier;
DROP TABLE IF EXISTS marts.gap;

CREATE TABLE core.model_attribution (
    leaderboard   VARCHAR NOT NULL,
    model_id      VARCHAR NOT NULL,
    mode          VARCHAR NOT NULL,
    org_id        VARCHAR,
    organisation  VARCHAR,
    country       VARCHAR,
    method        VARCHAR NOT NULL,
    evidence      VARCHAR NOT NULL
);
COMMENT ON TABLE core.model_attribution IS 'Every model attributed to an organisation and a country in three modes: publisher (who published it: HF namespace or Arena organisation), lineage (the root base model''s developer, following base_model through fine-tunes and merges; family fallback), family (the creator of its architecture). country NULL = unknown (never guessed). Recomputed from data/registry on every run.';
COMMENT ON COLUMN core.model_attribution.method IS 'How the attribution was made (registry alias, base model chain, architecture family, family fallback (...), unknown ...).';
COMMENT ON COLUMN core.model_attribution.evidence IS 'The trail behind it, e.g. abacusai/Smaug-72B-v0.1 -> moreh/MoMo-72B-lora-1.8.7-DPO -> Qwen/Qwen-72B = alibaba (CN).';

CREATE TABLE marts.model_scores (
    leaderboard        VARCHAR NOT NULL,
    snapshot_date      DATE NOT NULL,
    model_id           VARCHAR NOT NULL,
    score              DOUBLE NOT NULL,
    params_b           DOUBLE,
    official_provider  BOOLEAN,
    merged             BOOLEAN,
    flagged            BOOLEAN,
    open_weights       BOOLEAN,
    publisher          VARCHAR,
    country_publisher  VARCHAR,
    country_lineage    VARCHAR,
    country_family     VARCHAR,
    load_id            VARCHAR NOT NULL
);
COMMENT ON TABLE marts.model_scores IS 'Every leaderboard as one row per model per snapshot (the input of every gap mart): its score, filter flags, size, publisher, its country in each attribution mode (NULL = unknown) and the load it came from. Precisions/revisions of one model count once, with their best score.';

CREATE TABLE marts.country_frontier (
    leaderboard    VARCHAR NOT NULL,
    snapshot_date  DATE NOT NULL,
    attribution    VARCHAR NOT NULL,
    scope          VARCHAR NOT NULL,
    country        VARCHAR NOT NULL,
    best_score     DOUBLE NOT NULL,
    best_model     VARCHAR NOT NULL,
    models         BIGINT NOT NULL
);
COMMENT ON TABLE marts.country_frontier IS 'Per leaderboard, snapshot, attribution mode and scope: each country''s best score, the model holding it (ties: alphabetical) and its number of distinct models. country = ''unattributed'' gathers models of unknown country. One row per model per snapshot: precisions/revisions count once, with their best score.';
COMMENT ON COLUMN marts.country_frontier.scope IS 'all = every model; unflagged = flagged models excluded; official = official providers only (unflagged); no_merges = merges excluded (unflagged); open_weights / proprietary = by licence (Arena). A leaderboard has the scopes its data supports.';
COMMENT ON COLUMN marts.country_frontier.attribution IS 'publisher, lineage or family (see core.model_attribution).';

CREATE TABLE marts.gap (
    leaderboard     VARCHAR NOT NULL,
    snapshot_date   DATE NOT NULL,
    attribution     VARCHAR NOT NULL,
    scope           VARCHAR NOT NULL,
    pair            VARCHAR NOT NULL,
    leader          VARCHAR NOT NULL,
    follower        VARCHAR NOT NULL,
    leader_score    DOUBLE NOT NULL,
    follower_score  DOUBLE NOT NULL,
    gap             DOUBLE NOT NULL,
    relative_gap    DOUBLE NOT NULL,
    lag_days        BIGINT,
    leader_model    VARCHAR NOT NULL,
    follower_model  VARCHAR NOT NULL
);
COMMENT ON TABLE marts.gap IS 'The frontier gap between pairs of countries (pair = ''US-CN'' by default; configure with AIGAP_GAP_PAIRS), per leaderboard, snapshot, attribution mode and scope, where both countries are on the board. gap = leader_score - follower_score in the leaderboard''s own points; relative_gap = gap / leader_score.';
COMMENT ON COLUMN marts.gap.lag_days IS 'How many days before this snapshot the leader first reached the follower''s current frontier ("the follower is N days behind"); NULL when it never did within the data.';

CREATE TABLE marts.topn_share (
    leaderboard    VARCHAR NOT NULL,
    snapshot_date  DATE NOT NULL,
    attribution    VARCHAR NOT NULL,
    scope          VARCHAR NOT NULL,
    top_n          INTEGER NOT NULL,
    country        VARCHAR NOT NULL,
    models         BIGINT NOT NULL,
    share          DOUBLE NOT NULL,
    models_in_top  BIGINT NOT NULL
);
COMMENT ON TABLE marts.topn_share IS 'How many of the top 10 / 50 / 100 models (by score, ties alphabetical) each country holds; share = models / top_n (shares of one top_n sum to models_in_top / top_n <= 1).';

CREATE TABLE marts.benchmark_gap (
    leaderboard VARCHAR NOT NULL, snapshot_date DATE NOT NULL, attribution VARCHAR NOT NULL, scope VARCHAR NOT NULL,
    benchmark VARCHAR NOT NULL, pair VARCHAR NOT NULL, leader VARCHAR NOT NULL, follower VARCHAR NOT NULL,
    leader_score DOUBLE NOT NULL, follower_score DOUBLE NOT NULL, gap DOUBLE NOT NULL, relative_gap DOUBLE NOT NULL,
    leader_model VARCHAR NOT NULL, follower_model VARCHAR NOT NULL
);
COMMENT ON TABLE marts.benchmark_gap IS 'The pair gap on each benchmark separately (Open LLM v2: ifeval, bbh, math_lvl5, gpqa, musr, mmlu_pro, normalised 0-100): each country''s best model on that benchmark, which may differ from its best overall model.';

CREATE TABLE marts.size_gap (
    leaderboard VARCHAR NOT NULL, snapshot_date DATE NOT NULL, attribution VARCHAR NOT NULL, scope VARCHAR NOT NULL,
    size_bucket VARCHAR NOT NULL, pair VARCHAR NOT NULL, leader VARCHAR NOT NULL, follower VARCHAR NOT NULL,
    leader_score DOUBLE NOT NULL, follower_score DOUBLE NOT NULL, gap DOUBLE NOT NULL, relative_gap DOUBLE NOT NULL,
    leader_model VARCHAR NOT NULL, follower_model VARCHAR NOT NULL, leader_models BIGINT NOT NULL, follower_models BIGINT NOT NULL
);
COMMENT ON TABLE marts.size_gap IS 'The pair gap within parameter buckets (<10B, 10-40B, >40B; models of unknown size left out): do constrained labs win at small sizes?';

CREATE TABLE marts.gap_trend (
    leaderboard VARCHAR NOT NULL, snapshot_date DATE NOT NULL, attribution VARCHAR NOT NULL, scope VARCHAR NOT NULL,
    pair VARCHAR NOT NULL, country_a VARCHAR NOT NULL, country_b VARCHAR NOT NULL, leader VARCHAR NOT NULL,
    gap_a_minus_b DOUBLE NOT NULL, k INTEGER NOT NULL, compared_with DATE, gap_then DOUBLE, abs_gap_change DOUBLE,
    trend VARCHAR
);
COMMENT ON TABLE marts.gap_trend IS 'The pair gap now against k snapshots earlier. gap_a_minus_b > 0: country_a leads. trend: closing / widening (the absolute gap shrank / grew by more than 0.5% of the leader''s score), flat, or leader changed; NULL for the first k snapshots.';

CREATE TABLE marts.attribution_coverage (
    leaderboard VARCHAR NOT NULL, snapshot_date DATE NOT NULL, mode VARCHAR NOT NULL, models BIGINT NOT NULL,
    rows_share DOUBLE NOT NULL, top100_share DOUBLE, org_rows_share DOUBLE NOT NULL, org_top100_share DOUBLE
);
COMMENT ON TABLE marts.attribution_coverage IS 'Coverage is a metric in its own right: per snapshot and mode, the share of models (rows_share) and of the top 100 (top100_share) whose COUNTRY is known, and the shares whose ORGANISATION is known (org_*), which include individuals of unknown location.';

CREATE TABLE marts.unattributed (
    leaderboard VARCHAR NOT NULL, attribution VARCHAR NOT NULL, priority BIGINT NOT NULL, name VARCHAR NOT NULL,
    org_id VARCHAR, reason VARCHAR NOT NULL, top100_appearances BIGINT NOT NULL, best_score DOUBLE NOT NULL,
    best_model VARCHAR NOT NULL, models BIGINT NOT NULL, snapshots BIGINT NOT NULL, last_seen DATE NOT NULL
);
COMMENT ON TABLE marts.unattributed IS 'The curation queue: publishers (publisher mode) and architectures (family mode) whose country is unknown, ranked by how much they matter (appearances in a top 100, then best score). Add them to data/registry to attribute them.';

CREATE VIEW marts.latest_gap AS
SELECT * FROM marts.gap
QUALIFY snapshot_date = max(snapshot_date) OVER (PARTITION BY leaderboard, attribution, scope, pair);
COMMENT ON VIEW marts.latest_gap IS 'marts.gap on the latest snapshot of each leaderboard, per attribution mode, scope and pair.';
