-- The fraud rule "one device cycling through phones": who logged in on which device,
-- kept for the longest fraud window (30 days) per device; and its per-tenant threshold.
-- Keep in step with migrations/postgres/0014_device_cycling.sql.

ALTER TABLE club_settings ADD COLUMN fraud_device_phones INTEGER NOT NULL DEFAULT 0;

CREATE TABLE device_logins (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    mac          TEXT    NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    at           INTEGER NOT NULL
);
CREATE INDEX device_logins_mac ON device_logins (tenant_id, mac, at);
