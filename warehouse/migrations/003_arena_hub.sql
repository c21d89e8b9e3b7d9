-- Chatbot Arena and Open LLM Leaderboard v1: core tables, and the open-weights gap mart.

CREATE TABLE core.open_llm_v1_entries (
    load_id            VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    snapshot_key       VARCHAR NOT NULL,
    snapshot_date      DATE NOT NULL,
    model_id           VARCHAR NOT NULL,
    namespace          VARCHAR,
    precision          VARCHAR,
    revision_sha       VARCHAR,
    model_type         VARCHAR,
    weight_type        VARCHAR,
    architecture       VARCHAR,
    params_b           DOUBLE,
    license            VARCHAR,
    hub_likes          BIGINT,
    available_on_hub   BOOLEAN,
    merged             BOOLEAN,
    flagged            BOOLEAN,
    moe                BOOLEAN,
    submission_date    DATE,
    average            DOUBLE,
    arc                DOUBLE,
    hellaswag          DOUBLE,
    mmlu               DOUBLE,
    truthfulqa         DOUBLE,
    winogrande         DOUBLE,
    gsm8k              DOUBLE
);
COMMENT ON TABLE core.open_llm_v1_entries IS 'Open LLM Leaderboard v1 (retired June 2024), one row per evaluated (model, precision, revision) per published snapshot, from the archived scrape or the Hub dataset open-llm-leaderboard-old/contents (datasets/open_llm/v1.py). Scraper quirks corrected: merged/flagged/moe un-inverted, params_b 0 -> NULL.';
COMMENT ON COLUMN core.open_llm_v1_entries.load_id IS 'The meta.loads row this row came from (source, snapshot key, content hash).';
COMMENT ON COLUMN core.open_llm_v1_entries.average IS 'Leaderboard average of the six benchmark scores (ARC, HellaSwag, MMLU, TruthfulQA, Winogrande, GSM8K), 0-100.';
COMMENT ON COLUMN core.open_llm_v1_entries.submission_date IS 'When the model was submitted for evaluation (the table''s date column).';

CREATE TABLE core.arena_entries (
    load_id           VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    snapshot_key      VARCHAR NOT NULL,
    snapshot_date     DATE NOT NULL,
    leaderboard       VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    model_key         VARCHAR NOT NULL,
    organization      VARCHAR,
    license           VARCHAR,
    open_weights      BOOLEAN,
    score             DOUBLE NOT NULL,
    ci                VARCHAR,
    ci_plus           DOUBLE,
    ci_minus          DOUBLE,
    votes             BIGINT,
    rank              BIGINT,
    rank_style        VARCHAR,
    rank_stylectrl    BIGINT,
    knowledge_cutoff  VARCHAR,
    url               VARCHAR
);
COMMENT ON TABLE core.arena_entries IS 'Chatbot Arena (LMSYS / LMArena) text leaderboard: one row per model per published snapshot that carries an Arena score (scraped tables, the Space''s 2023 tables with Elo, the daily JSON feed). Every layout normalised by datasets/arena/parse.py.';
COMMENT ON COLUMN core.arena_entries.leaderboard IS 'Always arena-text (the text leaderboard; vision and other arenas are not loaded).';
COMMENT ON COLUMN core.arena_entries.model IS 'Model name exactly as published on that date.';
COMMENT ON COLUMN core.arena_entries.model_key IS 'One key per model across name drift: the name trimmed, lower-cased, inner whitespace collapsed (GPT-4o-2024-05-13 and gpt-4o-2024-05-13 are one model).';
COMMENT ON COLUMN core.arena_entries.organization IS 'Organisation as published (drifts: DeepSeek / DeepSeek AI, Nvidia / NVIDIA ...); the registry''s arena_organization aliases map it. NULL in the Space''s 2023 tables.';
COMMENT ON COLUMN core.arena_entries.open_weights IS 'Weights published, derived from the licence: Proprietary (and the typo Propretary) -> false; empty, -, N/A -> NULL (unknown); any named licence, non-commercial ones included -> true. Known misreports are corrected in the marts (data/arena/model_overrides.csv), not here.';
COMMENT ON COLUMN core.arena_entries.score IS 'Arena score (Elo scale; published as arena_elo, arena_score, Arena Elo rating or score).';
COMMENT ON COLUMN core.arena_entries.ci IS 'The 95% confidence interval as published: +plus/-minus text, or the JSON feed''s single +/- number.';
COMMENT ON COLUMN core.arena_entries.ci_plus IS 'Upper half-width of the 95% CI, parsed from ci.';
COMMENT ON COLUMN core.arena_entries.ci_minus IS 'Lower half-width of the 95% CI, parsed from ci.';
COMMENT ON COLUMN core.arena_entries.rank IS 'Rank as published; see rank_style for what it means.';
COMMENT ON COLUMN core.arena_entries.rank_style IS 'ties = 1 + the number of models statistically better (LMSYS table, ties share a rank); position = the row position (2025 lmarena table, daily JSON feed); NULL = no rank published.';
COMMENT ON COLUMN core.arena_entries.rank_stylectrl IS 'Rank with style control, as published from 2024-10-16 (no style-controlled score is published).';

CREATE TABLE core.arena_models (
    load_id           VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    snapshot_key      VARCHAR NOT NULL,
    snapshot_date     DATE NOT NULL,
    arena_key         VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    model_key         VARCHAR NOT NULL,
    organization      VARCHAR,
    license           VARCHAR,
    open_weights      BOOLEAN,
    mt_bench          DOUBLE,
    mmlu              DOUBLE,
    knowledge_cutoff  VARCHAR,
    url               VARCHAR
);
COMMENT ON TABLE core.arena_models IS 'The Arena Space''s model metadata (leaderboard_table_YYYYMMDD.csv from 2024 on): organisation, licence, MT-bench, MMLU per model and date. These tables carry NO Arena score (it lives in elo_results_*.pkl, which aigap never opens): they are used only to fill a missing organisation or licence of core.arena_entries rows, never as scores.';
COMMENT ON COLUMN core.arena_models.arena_key IS 'The Arena''s own internal model key (e.g. claude-3-5-sonnet-20240620), unique per table.';
COMMENT ON COLUMN core.arena_models.model_key IS 'The display name normalised like core.arena_entries.model_key, to join the two.';
COMMENT ON COLUMN core.arena_models.mt_bench IS 'MT-bench score, 0-10 (NULL where the table says -).';

-- The open-weights race is a scope of marts.gap (scope = 'open_weights' / 'proprietary').
CREATE VIEW marts.open_weights_gap AS
SELECT leaderboard, snapshot_date, attribution,
       CASE scope WHEN 'open_weights' THEN 'open' ELSE 'proprietary' END AS weights,
       pair, leader, follower, leader_score, follower_score, gap, relative_gap, lag_days,
       leader_model, follower_model
FROM marts.gap
WHERE scope IN ('open_weights', 'proprietary');
COMMENT ON VIEW marts.open_weights_gap IS 'The frontier gap within each class of weights (marts.gap in scopes open_weights / proprietary), per leaderboard (arena-text), snapshot, attribution mode and pair: the best open-weights US model vs the best open-weights Chinese model, and the same for proprietary models. weights: open = weights published under a named licence (non-commercial included), proprietary = API or app only, from the licence with curated corrections (data/arena/model_overrides.csv); models of unknown licence are in neither. A row exists only where both countries have a model of that class.';
