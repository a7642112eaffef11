-- Vouchers: batches of printed hotspot logins. Each voucher is a hotspot account that
-- belongs to a batch, may be valid for a time from its first use, and may expire.

CREATE TABLE voucher_batches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    group_id    INTEGER NOT NULL REFERENCES groups(id),
    count       INTEGER NOT NULL,
    valid_for   INTEGER,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL
);

ALTER TABLE hotspot_accounts ADD COLUMN batch_id INTEGER REFERENCES voucher_batches(id) ON DELETE CASCADE;
ALTER TABLE hotspot_accounts ADD COLUMN valid_for INTEGER;
ALTER TABLE hotspot_accounts ADD COLUMN first_used_at INTEGER;
CREATE INDEX hotspot_accounts_batch ON hotspot_accounts (batch_id);
