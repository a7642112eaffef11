-- SMS: the durable outbox every message goes through, and the console provider's
-- "phone inbox" (development delivery channel). Keep in step with
-- migrations/postgres/0003_sms.sql.

CREATE TABLE sms_outbox (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id            INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- +989XXXXXXXXX; providers get the 09… form.
    phone                TEXT    NOT NULL,
    kind                 TEXT    NOT NULL CHECK (kind IN ('otp', 'text')),
    -- What the message is for, e.g. `otp`, `reservation_reminder`.
    purpose              TEXT    NOT NULL,
    -- The text; `***` for an OTP once it left (codes do not stay in the database).
    body                 TEXT    NOT NULL,
    -- Template parameters as a JSON object (an OTP's `code`); NULL once redacted.
    params               TEXT,
    status               TEXT    NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      INTEGER NOT NULL,
    -- Which drainer holds a `sending` message, and since when (crash recovery).
    claim_token          TEXT,
    claimed_at           INTEGER,
    provider             TEXT,
    provider_message_id  TEXT,
    -- The provider's last delivery state, e.g. `10` (Kavenegar delivered).
    provider_status      TEXT,
    last_error           TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    sent_at              INTEGER,
    delivered_at         INTEGER,
    -- Last time the drainer asked the provider for the delivery state.
    checked_at           INTEGER
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_provider_message ON sms_outbox (provider, provider_message_id);
CREATE INDEX sms_outbox_tenant ON sms_outbox (tenant_id, id);

CREATE TABLE sms_console (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    outbox_id   INTEGER,
    phone       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX sms_console_phone ON sms_console (phone, id);
