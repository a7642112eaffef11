-- Captive portal: one-time codes, rate-limit counters that survive restarts, and the
-- customer club membership every verified phone joins.

CREATE TABLE otp_challenges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone        TEXT    NOT NULL,
    purpose      TEXT    NOT NULL,
    -- SHA-256 of salt + code, hex; the code itself is never stored.
    code_hash    TEXT    NOT NULL,
    salt         TEXT    NOT NULL,
    mac          TEXT,
    ip           TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    verified_at  INTEGER
);
CREATE INDEX otp_challenges_phone ON otp_challenges (tenant_id, phone, created_at);

-- Fixed-window counters: `key` names what is limited (e.g. `otp:phone:+98912…`).
CREATE TABLE rate_counters (
    key           TEXT    NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE club_members (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    source       TEXT    NOT NULL CHECK (source IN ('wifi', 'sms', 'pos', 'reservation', 'manual', 'import')),
    joined_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id)
);

ALTER TABLE tenants ADD COLUMN otp_length INTEGER NOT NULL DEFAULT 5;
