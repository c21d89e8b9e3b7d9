-- Funding feeds: observations kept by edition, the validators of fetched feed URLs, funding marts.

CREATE TABLE core.funding_observations (
    load_id              VARCHAR NOT NULL,
    source               VARCHAR NOT NULL,
    snapshot_key         VARCHAR NOT NULL,
    series               VARCHAR NOT NULL,
    publication          VARCHAR,
    edition              VARCHAR NOT NULL,
    edition_date         DATE NOT NULL,
    period               VARCHAR NOT NULL,
    period_type          VARCHAR NOT NULL,
    year                 BIGINT,
    quarter              BIGINT,
    period_start         DATE,
    period_end           DATE,
    complete             BOOLEAN NOT NULL,
    region_name          VARCHAR NOT NULL,
    region_code          VARCHAR NOT NULL,
    region_kind          VARCHAR NOT NULL,
    metric               VARCHAR NOT NULL,
    metric_as_published  VARCHAR NOT NULL,
    metric_kind          VARCHAR NOT NULL,
    segment              VARCHAR NOT NULL,
    value                DOUBLE NOT NULL,
    unit                 VARCHAR NOT NULL,
    price_basis          VARCHAR,
    notes                VARCHAR,
    source_url           VARCHAR
);
COMMENT ON TABLE core.funding_observations IS 'Every published funding figure, one row per (source, series, edition, period, region, metric, segment), as the source states it (value in its own unit and price basis). Editions are never overwritten: a newer edition is a new load next to the old one (see marts.funding_revisions).';
COMMENT ON COLUMN core.funding_observations.load_id IS 'The meta.loads row this figure came from (source, snapshot key, content hash).';
COMMENT ON COLUMN core.funding_observations.series IS 'The line of editions a figure belongs to: the source itself for feeds; for published figures the report series (data/funding/crosswalk/published_series.csv), else the publication.';
COMMENT ON COLUMN core.funding_observations.publication IS 'The dataset or report as named by the source (published figures: the row''s source column).';
COMMENT ON COLUMN core.funding_observations.edition IS 'Vintage as published: YYYY, YYYY-MM or YYYY-MM-DD (feed folder name, the served Last-Modified date of a feed URL, or a report''s publication date).';
COMMENT ON COLUMN core.funding_observations.edition_date IS 'First day of the edition, for ordering editions.';
COMMENT ON COLUMN core.funding_observations.period IS 'Period as published, normalised: 2023, 2023Q4, 2024-01 (a month), 2013-2024 (a range), 2023 YTD, 2024 (projected), unspecified ...';
COMMENT ON COLUMN core.funding_observations.period_type IS 'year | quarter | month | range | year_to_date | projection | unspecified. Annual marts use year only.';
COMMENT ON COLUMN core.funding_observations.year IS 'The calendar year of a year, quarter, month, year-to-date or projection; NULL for ranges and unspecified periods.';
COMMENT ON COLUMN core.funding_observations.complete IS 'FALSE where the source says the period is not fully counted yet (ETO complete=False, year-to-date, projections, unspecified periods).';
COMMENT ON COLUMN core.funding_observations.region_name IS 'The region exactly as the source names it (China, China (mainland), CHN, EU+UK ...).';
COMMENT ON COLUMN core.funding_observations.region_code IS 'ISO-3166 alpha-2 code, or a named aggregate (WORLD, EUROPE, ASIA, EU27, EU27_GB ...) whose members are listed in data/funding/crosswalk/aggregates.csv.';
COMMENT ON COLUMN core.funding_observations.region_kind IS 'country | aggregate | world | comparison (a comparison such as US vs CN is never summed with regions).';
COMMENT ON COLUMN core.funding_observations.metric IS 'Canonical metric (private_investment, private_investment_disclosed, vc_investment, equity_funding, newly_funded_companies, deals, talent_share_* ...) from data/funding/crosswalk/metrics.csv.';
COMMENT ON COLUMN core.funding_observations.metric_kind IS 'amount | count (additive across disjoint regions) | share | score | average | change.';
COMMENT ON COLUMN core.funding_observations.segment IS 'all, or the slice the figure covers: an ETO AI field (NLP, Robotics ...), OECD generative_ai / ai_compute.';
COMMENT ON COLUMN core.funding_observations.unit IS 'USD | USD millions | USD billions | EUR billions | count | percent | score.';
COMMENT ON COLUMN core.funding_observations.price_basis IS 'nominal | constant-2021-USD for money amounts; NULL for counts, percents and scores.';

CREATE TABLE meta.feed_validators (
    source          VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    etag            VARCHAR,
    last_modified   VARCHAR,
    served_date     DATE NOT NULL,
    content_sha256  VARCHAR NOT NULL,
    raw_path        VARCHAR NOT NULL,
    fetched_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, url)
);
COMMENT ON TABLE meta.feed_validators IS 'The last content fetched from each feed URL with its ETag / Last-Modified, sent back on the next fetch (conditional GET): a 304 Not Modified reuses the raw file at raw_path and costs no download.';
COMMENT ON COLUMN meta.feed_validators.served_date IS 'The date the server said the content was last modified (Last-Modified), else the day it was first fetched: the edition of a feed URL.';

CREATE TABLE marts.funding_by_country (
    source          VARCHAR NOT NULL,
    series          VARCHAR NOT NULL,
    edition         VARCHAR NOT NULL,
    edition_date    DATE NOT NULL,
    latest_edition  BOOLEAN NOT NULL,
    metric          VARCHAR NOT NULL,
    segment         VARCHAR NOT NULL,
    unit            VARCHAR NOT NULL,
    price_basis     VARCHAR,
    year            BIGINT NOT NULL,
    region_code     VARCHAR NOT NULL,
    region_name     VARCHAR NOT NULL,
    region_kind     VARCHAR NOT NULL,
    value           DOUBLE NOT NULL,
    usd_billions    DOUBLE,
    world_value     DOUBLE,
    share_of_world  DOUBLE,
    yoy_growth      DOUBLE,
    complete        BOOLEAN NOT NULL
);
COMMENT ON TABLE marts.funding_by_country IS 'Annual funding amounts and counts per source, series, edition, metric and region (countries and named aggregates; the world total is in world_value). Every edition is here; latest_edition marks the newest one of each series and metric.';
COMMENT ON COLUMN marts.funding_by_country.usd_billions IS 'value in billions of US dollars (same price basis) for USD amounts; NULL for counts and other currencies.';
COMMENT ON COLUMN marts.funding_by_country.share_of_world IS 'value / the same source''s world total for the same series, edition, year, metric and segment; NULL where the source gives no world total.';
COMMENT ON COLUMN marts.funding_by_country.yoy_growth IS 'value / the previous year''s value in the same edition - 1; NULL when that year is missing or zero.';
COMMENT ON COLUMN marts.funding_by_country.complete IS 'FALSE where the source says the year is not fully counted (ETO complete=False).';

CREATE TABLE marts.funding_gap_all_editions (
    source          VARCHAR NOT NULL,
    series          VARCHAR NOT NULL,
    edition         VARCHAR NOT NULL,
    edition_date    DATE NOT NULL,
    latest_edition  BOOLEAN NOT NULL,
    metric          VARCHAR NOT NULL,
    segment         VARCHAR NOT NULL,
    unit            VARCHAR NOT NULL,
    price_basis     VARCHAR,
    year            BIGINT NOT NULL,
    country_a       VARCHAR NOT NULL,
    country_b       VARCHAR NOT NULL,
    value_a         DOUBLE NOT NULL,
    value_b         DOUBLE NOT NULL,
    ratio           DOUBLE,
    difference      DOUBLE NOT NULL,
    complete        BOOLEAN NOT NULL
);
COMMENT ON TABLE marts.funding_gap_all_editions IS 'Country A vs country B (US vs CN by default) per source, series, edition, metric, segment and year: both values in the source''s unit and price basis, ratio = value_a / value_b, difference = value_a - value_b. A row never mixes sources, editions or price bases.';
COMMENT ON COLUMN marts.funding_gap_all_editions.ratio IS 'value_a / value_b; NULL when value_b is 0.';

CREATE VIEW marts.funding_gap AS
SELECT * EXCLUDE (latest_edition) FROM marts.funding_gap_all_editions WHERE latest_edition;
COMMENT ON VIEW marts.funding_gap IS 'marts.funding_gap_all_editions restricted to the latest edition of each source, series and metric: the default view of the funding gap (US vs CN).';

CREATE TABLE marts.funding_revisions (
    source           VARCHAR NOT NULL,
    series           VARCHAR NOT NULL,
    metric           VARCHAR NOT NULL,
    segment          VARCHAR NOT NULL,
    unit             VARCHAR NOT NULL,
    price_basis      VARCHAR,
    period           VARCHAR NOT NULL,
    region_code      VARCHAR NOT NULL,
    region_name      VARCHAR NOT NULL,
    old_edition      VARCHAR NOT NULL,
    new_edition      VARCHAR NOT NULL,
    old_edition_date DATE NOT NULL,
    new_edition_date DATE NOT NULL,
    old_value        DOUBLE NOT NULL,
    new_value        DOUBLE NOT NULL,
    change           DOUBLE NOT NULL,
    change_pct       DOUBLE,
    old_load_id      VARCHAR NOT NULL,
    new_load_id      VARCHAR NOT NULL
);
COMMENT ON TABLE marts.funding_revisions IS 'What a newer edition changed for a period an earlier edition of the same series already reported: one row per revised figure and pair of consecutive editions reporting it (e.g. CB Insights 2023 world equity funding: 42.5 in the 2024-01 recap, 52.1 in the 2024-04 report).';
COMMENT ON COLUMN marts.funding_revisions.change_pct IS '(new_value - old_value) / old_value; NULL when old_value is 0.';

CREATE TABLE marts.race_by_year (
    year          BIGINT NOT NULL,
    measure       VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    series        VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    as_of         VARCHAR NOT NULL,
    country_a     VARCHAR NOT NULL,
    country_b     VARCHAR NOT NULL,
    value_a       DOUBLE NOT NULL,
    value_b       DOUBLE NOT NULL,
    difference    DOUBLE NOT NULL,
    ratio         DOUBLE,
    unit          VARCHAR NOT NULL,
    price_basis   VARCHAR,
    complete      BOOLEAN NOT NULL
);
COMMENT ON TABLE marts.race_by_year IS 'Per year, US vs CN on every measure, in long form for charts: measure = frontier_gap (each leaderboard''s year-end snapshot from marts.gap, publisher attribution; difference in points) or funding_ratio (each funding source''s latest edition, money amounts of all segments; ratio = US / CN).';
COMMENT ON COLUMN marts.race_by_year.as_of IS 'The leaderboard snapshot date used (the last one of the year) or the funding edition.';
COMMENT ON COLUMN marts.race_by_year.source IS 'The leaderboard (open-llm-v2 ...) or the funding source (funding-ai-index ...).';
COMMENT ON COLUMN marts.race_by_year.series IS 'The attribution mode for leaderboards; the funding series for funding.';
