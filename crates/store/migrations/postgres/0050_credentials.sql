-- Credentials cosell keeps between runs: the Partner Center refresh token,
-- which Entra replaces on every use, and tokens from `cosell login`. The
-- secret is sealed (AEAD) by the application under the key from
-- COSELL_STORE_KEY, so the database never holds it in the clear.
CREATE TABLE credentials (
    name            TEXT PRIMARY KEY,
    -- Bumped by every write; a rotation compares and sets it.
    version         BIGINT NOT NULL,
    -- Format byte, nonce, ciphertext and tag (store::seal).
    sealed          BYTEA NOT NULL,
    -- When an operator signed in: the start of this chain of tokens.
    signed_in_at    TIMESTAMPTZ NOT NULL,
    -- When the current secret was issued and when it is expected to expire.
    obtained_at     TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    last_refresh_at TIMESTAMPTZ,
    -- The last failed refresh (its AADSTS or Salesforce code in the text).
    last_error      TEXT,
    last_error_at   TIMESTAMPTZ,
    -- Whether the last access token carried the MFA claim (NULL: unknown).
    mfa             BOOLEAN,
    updated_at      TIMESTAMPTZ NOT NULL
);
