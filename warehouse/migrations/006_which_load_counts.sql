-- Which load counts (warehouse/store.py, "which load counts"): a superseded load points to the load
-- that replaced it, and a feed URL's content is dated by the day it was first retrieved, never by
-- the server's Last-Modified. Loads already published twice for one identity are resolved by
-- store.migrate right after this file (the later one counts), so marts never pick between copies.
ALTER TABLE meta.loads ADD COLUMN superseded_by VARCHAR;
ALTER TABLE meta.loads ADD COLUMN superseded_at TIMESTAMPTZ;
COMMENT ON TABLE meta.loads IS 'Load ledger: one row per load (source, snapshot_key, content; a content published again after a revert gets a new load_id ending #2, #3 ...). published = its rows are in core.* and count; superseded = replaced by later accepted content for the same snapshot (same key, or same leaderboard and date, or same funding figures): its rows were removed from every core table in the transaction that published superseded_by; quarantined = held back (failed the gate, could not be parsed, or two contents claimed one snapshot in one run), raw bytes kept at raw_path, reasons says why; skipped = the same bytes as an already published load.';
COMMENT ON COLUMN meta.loads.superseded_by IS 'The load_id of the load that replaced this one (status superseded); NULL otherwise.';
COMMENT ON COLUMN meta.loads.superseded_at IS 'When this load was superseded.';
COMMENT ON COLUMN meta.loads.snapshot_date IS 'The date of the data, from the data: a file or folder name, a URL path, a Hub commit, the content (arena-daily meta.fetched_at), a funding edition. Never the clock nor an HTTP Last-Modified.';

ALTER TABLE meta.feed_validators RENAME COLUMN served_date TO first_fetched;
COMMENT ON COLUMN meta.feed_validators.first_fetched IS 'The day this content was first retrieved from the URL: the edition of a funding feed URL whose path names none ("retrieved on").';
COMMENT ON COLUMN meta.feed_validators.last_modified IS 'The server''s Last-Modified, sent back as If-Modified-Since: metadata for conditional GET, never a date of the data.';
