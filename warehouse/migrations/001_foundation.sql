-- Foundation: the load ledger, the Open LLM Leaderboard v2 core table, the first marts.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS marts;

CREATE TABLE meta.loads (
    load_id         VARCHAR PRIMARY KEY,
    source          VARCHAR NOT NULL,
    snapshot_key    VARCHAR NOT NULL,
    snapshot_date   DATE,
    content_sha256  VARCHAR NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('published', 'quarantined', 'skipped', 'superseded')),
    rows_in         BIGINT,
    rows_published  BIGINT,
    reasons         VARCHAR,   -- JSON list: failed checks, each with a few offending rows
    details         VARCHAR,   -- JSON object: parser facts (header variant, ignored columns ...)
    raw_path        VARCHAR,   -- the immutable raw file, relative to the warehouse folder
    flow_run_id     VARCHAR,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE meta.loads IS 'Load ledger: one row per (source, snapshot_key, content) seen. published = in core.*; quarantined = failed the gate, raw bytes kept at raw_path, reasons says why; skipped = same content as an already published snapshot; superseded = replaced by newer content under the same key.';
COMMENT ON COLUMN meta.loads.reasons IS 'JSON list of failed checks: check, column, reason (one line), unexpected_count, sample (offending rows).';
COMMENT ON COLUMN meta.loads.raw_path IS 'Immutable raw bytes, relative to the folder of the warehouse file; name ends with the sha256 of the content.';

CREATE TABLE meta.runs (
    run_id       VARCHAR PRIMARY KEY,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    state        VARCHAR NOT NULL,
    summary      VARCHAR    -- JSON: per source published / skipped / quarantined, marts, latest gaps
);
COMMENT ON TABLE meta.runs IS 'One row per pipeline run (the Prefect flow run id), with its summary as JSON. The only table a run that finds nothing new still writes to.';

CREATE TABLE core.open_llm_v2_entries (
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
    official_provider  BOOLEAN,
    chat_template      BOOLEAN,
    generation         BIGINT,
    base_model         VARCHAR,
    co2_kg             DOUBLE,
    submission_date    DATE,
    upload_date        DATE,
    average            DOUBLE,
    ifeval             DOUBLE,
    ifeval_raw         DOUBLE,
    bbh                DOUBLE,
    bbh_raw            DOUBLE,
    math_lvl5          DOUBLE,
    math_lvl5_raw      DOUBLE,
    gpqa               DOUBLE,
    gpqa_raw           DOUBLE,
    musr               DOUBLE,
    musr_raw           DOUBLE,
    mmlu_pro           DOUBLE,
    mmlu_pro_raw       DOUBLE
);
COMMENT ON TABLE core.open_llm_v2_entries IS 'Open LLM Leaderboard v2, one row per evaluated (model, precision, revision) per published snapshot, every header variant normalised (datasets/open_llm/v2.py). Scraper quirks corrected: flagged/moe un-inverted, params_b -1 -> NULL.';
COMMENT ON COLUMN core.open_llm_v2_entries.load_id IS 'The meta.loads row this row came from (source, snapshot key, content hash).';
COMMENT ON COLUMN core.open_llm_v2_entries.average IS 'Leaderboard average of the six normalised benchmark scores, 0-100.';
COMMENT ON COLUMN core.open_llm_v2_entries.ifeval_raw IS 'Raw benchmark accuracy, 0-1; the column without _raw is the leaderboard''s normalised score, 0-100.';
COMMENT ON COLUMN core.open_llm_v2_entries.merged IS 'A merge of other models (from not_merged / features_is_merged).';
COMMENT ON COLUMN core.open_llm_v2_entries.official_provider IS 'Published by the original model provider (the leaderboard''s "official providers" / "maintainer''s highlight" flag).';
COMMENT ON COLUMN core.open_llm_v2_entries.base_model IS 'Base model as reported (may be "Removed", point to itself, or end in " (Merge)").';

CREATE TABLE marts.country_frontier (
    leaderboard    VARCHAR NOT NULL,
    snapshot_date  DATE NOT NULL,
    attribution    VARCHAR NOT NULL,
    country        VARCHAR NOT NULL,
    best_score     DOUBLE NOT NULL,
    best_model     VARCHAR NOT NULL,
    models         BIGINT NOT NULL
);
COMMENT ON TABLE marts.country_frontier IS 'Per leaderboard, snapshot and attribution mode: each country''s best score, the model that holds it, and how many distinct models the country has on the board. country = ''unattributed'' gathers models whose country is unknown.';

CREATE TABLE marts.gap (
    leaderboard     VARCHAR NOT NULL,
    snapshot_date   DATE NOT NULL,
    attribution     VARCHAR NOT NULL,
    leader          VARCHAR NOT NULL,
    follower        VARCHAR NOT NULL,
    leader_score    DOUBLE NOT NULL,
    follower_score  DOUBLE NOT NULL,
    gap             DOUBLE NOT NULL
);
COMMENT ON TABLE marts.gap IS 'Per leaderboard, snapshot and attribution mode: the frontier gap between a pair of countries (US vs CN by default). leader = the country with the higher best score; gap = leader_score - follower_score, in the leaderboard''s own points.';
