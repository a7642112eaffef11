-- Tenant-paid SMS (member notices, booking and survey texts) the SMS wallet could not
-- pay for: skipped, never sent, and counted here so the panel can show what an empty
-- wallet cost. Keep in step with migrations/sqlite/0016_sms_unpaid.sql.

CREATE TABLE sms_unpaid (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX sms_unpaid_tenant ON sms_unpaid (tenant_id, created_at);
