-- Data used per router, group and local day, so a dashboard of some branches counts
-- exactly what their routers carried that day (usage_daily is per customer and knows no
-- router). group_id 0 stands for "no group": a primary key column cannot be NULL.
-- Accounting adds to it in the same transaction as usage_daily; it starts empty.
CREATE TABLE usage_nas_daily (
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    nas_id         INTEGER NOT NULL,
    group_id       INTEGER NOT NULL,
    day            INTEGER NOT NULL,
    session_time   INTEGER NOT NULL DEFAULT 0,
    input_octets   INTEGER NOT NULL DEFAULT 0,
    output_octets  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (nas_id, group_id, day)
);
CREATE INDEX usage_nas_daily_tenant_day ON usage_nas_daily (tenant_id, day);
