-- The owners' panel: who may sign in (panel users), where and as what (memberships,
-- custom roles, branch limits), their browser sessions, and the audit log.
-- Built-in roles live in code (crm::roles); only custom roles are rows here.
-- Keep in step with migrations/sqlite/0008_panel.sql.

CREATE TABLE panel_users (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone        TEXT    NOT NULL UNIQUE,
    name         TEXT,
    is_operator  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   BIGINT  NOT NULL
);

CREATE TABLE panel_roles (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE panel_role_permissions (
    role_id     BIGINT  NOT NULL REFERENCES panel_roles(id) ON DELETE CASCADE,
    permission  TEXT    NOT NULL,
    PRIMARY KEY (role_id, permission)
);

-- `role` is a built-in role name, or 'custom' with custom_role_id set.
CREATE TABLE panel_memberships (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         BIGINT  NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    role            TEXT    NOT NULL,
    custom_role_id  BIGINT  REFERENCES panel_roles(id) ON DELETE RESTRICT,
    created_at      BIGINT  NOT NULL,
    UNIQUE (tenant_id, user_id)
);
CREATE INDEX panel_memberships_user ON panel_memberships (user_id);

-- No rows = every branch of the tenant.
CREATE TABLE panel_membership_branches (
    membership_id  BIGINT  NOT NULL REFERENCES panel_memberships(id) ON DELETE CASCADE,
    branch_id      BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    PRIMARY KEY (membership_id, branch_id)
);

CREATE TABLE panel_sessions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SHA-256 of the cookie token, hex; the token itself is never stored.
    token_hash    TEXT    NOT NULL UNIQUE,
    user_id       BIGINT  NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    -- The tenant the user is working in; NULL until one is picked.
    tenant_id     BIGINT  REFERENCES tenants(id) ON DELETE SET NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX panel_sessions_user ON panel_sessions (user_id);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL for platform-level changes (a tenant created, an operator added).
    tenant_id   BIGINT  REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     BIGINT  REFERENCES panel_users(id) ON DELETE SET NULL,
    at          BIGINT  NOT NULL,
    action      TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   BIGINT,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

-- The panel's customer list: newest first and keyset pages by id, prefix search by
-- name (phone prefix search uses the UNIQUE (tenant_id, phone) index).
CREATE INDEX customers_tenant_id ON customers (tenant_id, id);
CREATE INDEX customers_tenant_name ON customers (tenant_id, name);
-- Dashboard: new customers per day.
CREATE INDEX customers_tenant_created ON customers (tenant_id, created_at);
-- Dashboard: logins per day.
CREATE INDEX sessions_tenant_started ON sessions (tenant_id, started_at);
