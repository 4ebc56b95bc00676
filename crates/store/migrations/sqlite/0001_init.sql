-- cosell store schema for SQLite. Timestamps are INTEGER microseconds since
-- the Unix epoch (UTC), so comparisons are numeric and exact; ids are UUID
-- text; JSON is text.

CREATE TABLE pairs (
    id                  TEXT PRIMARY KEY NOT NULL,
    referral_id         TEXT UNIQUE,
    opportunity_id      TEXT,
    -- The 15-character record id inside a 15- or 18-character Salesforce id.
    opportunity_key     TEXT GENERATED ALWAYS AS (substr(opportunity_id, 1, 15)) STORED,
    name                TEXT NOT NULL,
    -- Unicode lower-cased name, written by the application, for search.
    name_folded         TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('synced', 'on_hold', 'closed', 'failed')),
    snapshot            TEXT,
    referral_version    TEXT,
    opportunity_version TEXT,
    last_error          TEXT,
    last_pc_to_sf_at    INTEGER,
    last_sf_to_pc_at    INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX pairs_opportunity_key ON pairs (opportunity_key);
CREATE INDEX pairs_updated ON pairs (updated_at DESC, id DESC);
CREATE INDEX pairs_state ON pairs (state);

CREATE TABLE cursors (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE inbox (
    dedup_key   TEXT PRIMARY KEY NOT NULL,
    event_name  TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY NOT NULL,
    dedup_key        TEXT NOT NULL,
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_at           INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;

-- At most one pending and one running job per key: enqueue merges into the
-- pending one, and claim can never run two jobs of one key at once.
CREATE UNIQUE INDEX jobs_one_pending_per_key ON jobs (dedup_key) WHERE state = 'pending';
CREATE UNIQUE INDEX jobs_one_running_per_key ON jobs (dedup_key) WHERE state = 'running';
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_lease ON jobs (state, lease_expires_at);
CREATE INDEX jobs_owner ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX jobs_updated ON jobs (state, updated_at DESC);

CREATE TABLE audit (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    pair_id TEXT,
    at      INTEGER NOT NULL,
    level   TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    kind    TEXT NOT NULL,
    message TEXT NOT NULL,
    detail  TEXT NOT NULL
) STRICT;

CREATE INDEX audit_pair ON audit (pair_id, at DESC, seq DESC);
CREATE INDEX audit_at ON audit (at DESC, seq DESC);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
