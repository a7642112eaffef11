-- Single-use hotspot credentials the portal mints after a verified OTP, and the
-- generation counters RADIUS caches poll to notice changes made by other processes.

CREATE TABLE hotspot_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    username     TEXT    NOT NULL,
    password     TEXT    NOT NULL,
    mac          TEXT,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (tenant_id, username)
);
CREATE INDEX hotspot_tokens_expiry ON hotspot_tokens (expires_at);

CREATE TABLE cache_generations (
    name        TEXT    PRIMARY KEY,
    generation  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO cache_generations (name, generation) VALUES ('nas', 0), ('subscribers', 0);

ALTER TABLE sessions ADD COLUMN group_id INTEGER REFERENCES groups(id) ON DELETE SET NULL;
CREATE INDEX sessions_account ON sessions (account_id, started_at);
