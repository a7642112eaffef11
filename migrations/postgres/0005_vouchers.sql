-- Vouchers: batches of printed hotspot logins. Each voucher is a hotspot account that
-- belongs to a batch, may be valid for a time from its first use, and may expire.

CREATE TABLE voucher_batches (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    group_id    BIGINT  NOT NULL REFERENCES groups(id),
    count       BIGINT  NOT NULL,
    valid_for   BIGINT,
    expires_at  BIGINT,
    created_at  BIGINT  NOT NULL
);

ALTER TABLE hotspot_accounts ADD COLUMN batch_id BIGINT  REFERENCES voucher_batches(id) ON DELETE CASCADE;
ALTER TABLE hotspot_accounts ADD COLUMN valid_for BIGINT;
ALTER TABLE hotspot_accounts ADD COLUMN first_used_at BIGINT;
CREATE INDEX hotspot_accounts_batch ON hotspot_accounts (batch_id);
