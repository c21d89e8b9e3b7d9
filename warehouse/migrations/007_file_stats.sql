-- What a local snapshot file looked like when its bytes were last read: a file whose path, size and
-- modification time are unchanged holds the same bytes (as make and rsync assume), so a run knows it
-- is already loaded without reading it (engine/load.py `known_without_reading`).
CREATE TABLE meta.file_stats (
    source VARCHAR NOT NULL,
    snapshot_key VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    read_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, snapshot_key, path)
);
COMMENT ON TABLE meta.file_stats IS 'Each local snapshot file as last read (path, size, mtime, sha256 of its bytes): a file unchanged since is recognised as known content without reading it. Delete a row (or touch the file) to have it read again.';
