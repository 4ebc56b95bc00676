-- cosell store schema for PostgreSQL (shared by several `cosell run`
-- instances). Timestamps are timestamptz (microsecond precision, UTC);
-- JSON columns are `json` so documents keep their key order.

CREATE TABLE pairs (
    id                  UUID PRIMARY KEY,
    referral_id         TEXT UNIQUE,
    opportunity_id      TEXT,
    -- The 15-character record id inside a 15- or 18-character Salesforce id.
    opportunity_key     TEXT GENERATED ALWAYS AS (substr(opportunity_id, 1, 15)) STORED,
    name                TEXT NOT NULL,
    -- Unicode lower-cased name, written by the application, for search.
    name_folded         TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('synced', 'on_hold', 'closed', 'failed')),
    snapshot            JSON,
    referral_version    TEXT,
    opportunity_version TEXT,
    last_error          TEXT,
    last_pc_to_sf_at    TIMESTAMPTZ,
    last_sf_to_pc_at    TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE UNIQUE INDEX pairs_opportunity_key ON pairs (opportunity_key);
CREATE INDEX pairs_updated ON pairs (updated_at DESC, id DESC);
CREATE INDEX pairs_state ON pairs (state);

CREATE TABLE cursors (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE inbox (
    dedup_key   TEXT PRIMARY KEY,
    event_name  TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    body        JSON NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE jobs (
    id               UUID PRIMARY KEY,
    dedup_key        TEXT NOT NULL,
    payload          JSON NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    run_at           TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- At most one pending and one running job per key: enqueue merges into the
-- pending one, and concurrent claimers can never run two jobs of one key
-- (a racing claim fails on this index instead of double-running).
CREATE UNIQUE INDEX jobs_one_pending_per_key ON jobs (dedup_key) WHERE state = 'pending';
CREATE UNIQUE INDEX jobs_one_running_per_key ON jobs (dedup_key) WHERE state = 'running';
CREATE INDEX jobs_due ON jobs (run_at) WHERE state = 'pending';
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_owner ON jobs (lease_owner) WHERE lease_owner IS NOT NULL;
CREATE INDEX jobs_updated ON jobs (state, updated_at DESC);

CREATE TABLE audit (
    seq     BIGSERIAL PRIMARY KEY,
    id      UUID NOT NULL UNIQUE,
    pair_id UUID,
    at      TIMESTAMPTZ NOT NULL,
    level   TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    kind    TEXT NOT NULL,
    message TEXT NOT NULL,
    detail  JSON NOT NULL
);

CREATE INDEX audit_pair ON audit (pair_id, at DESC, seq DESC);
CREATE INDEX audit_at ON audit (at DESC, seq DESC);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
