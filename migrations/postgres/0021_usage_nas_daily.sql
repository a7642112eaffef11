-- Data used per router, group and local day, so a dashboard of some branches counts
-- exactly what their routers carried that day (usage_daily is per customer and knows no
-- router). group_id 0 stands for "no group": a primary key column cannot be NULL.
-- Accounting adds to it in the same transaction as usage_daily; it starts empty.
CREATE TABLE usage_nas_daily (
    tenant_id      BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    nas_id         BIGINT NOT NULL,
    group_id       BIGINT NOT NULL,
    day            BIGINT NOT NULL,
    session_time   BIGINT NOT NULL DEFAULT 0,
    input_octets   BIGINT NOT NULL DEFAULT 0,
    output_octets  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (nas_id, group_id, day)
);
CREATE INDEX usage_nas_daily_tenant_day ON usage_nas_daily (tenant_id, day);
