-- Links between a Salesforce opportunity and its opportunity in a co-sell
-- cloud other than Partner Center (AWS Partner Central). Kept apart from
-- `pairs`: one opportunity may be linked to Partner Center and to a cloud.
-- Timestamps are timestamptz (microsecond precision, UTC); the snapshot is
-- `json` so it keeps its key order.
CREATE TABLE cloud_links (
    id              UUID PRIMARY KEY,
    -- Cloud::as_str; unchecked, so a new cloud needs no table rebuild.
    cloud           TEXT NOT NULL,
    opportunity_id  TEXT,
    -- The 15-character record id inside a 15- or 18-character Salesforce id.
    opportunity_key TEXT GENERATED ALWAYS AS (substr(opportunity_id, 1, 15)) STORED,
    remote_id       TEXT,
    invitation_id   TEXT,
    client_token    TEXT,
    name            TEXT NOT NULL,
    -- Unicode lower-cased name, written by the application, for search.
    name_folded     TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('synced', 'on_hold', 'closed', 'failed')),
    review_status   TEXT,
    snapshot        JSON,
    remote_version  TEXT,
    last_error      TEXT,
    last_synced_at  TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- Each id names at most one link of a cloud.
CREATE UNIQUE INDEX cloud_links_opportunity_key ON cloud_links (cloud, opportunity_key)
    WHERE opportunity_key IS NOT NULL;
CREATE UNIQUE INDEX cloud_links_remote_id ON cloud_links (cloud, remote_id)
    WHERE remote_id IS NOT NULL;
CREATE UNIQUE INDEX cloud_links_invitation_id ON cloud_links (cloud, invitation_id)
    WHERE invitation_id IS NOT NULL;
CREATE INDEX cloud_links_updated ON cloud_links (cloud, updated_at DESC, id DESC);
CREATE INDEX cloud_links_state ON cloud_links (cloud, state);
