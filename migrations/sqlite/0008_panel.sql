-- The owners' panel: who may sign in (panel users), where and as what (memberships,
-- custom roles, branch limits), their browser sessions, and the audit log.
-- Built-in roles live in code (crm::roles); only custom roles are rows here.
-- Keep in step with migrations/postgres/0008_panel.sql.

CREATE TABLE panel_users (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    phone        TEXT    NOT NULL UNIQUE,
    name         TEXT,
    is_operator  INTEGER NOT NULL DEFAULT FALSE,
    created_at   INTEGER NOT NULL
);

CREATE TABLE panel_roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE panel_role_permissions (
    role_id     INTEGER NOT NULL REFERENCES panel_roles(id) ON DELETE CASCADE,
    permission  TEXT    NOT NULL,
    PRIMARY KEY (role_id, permission)
);

-- `role` is a built-in role name, or 'custom' with custom_role_id set.
CREATE TABLE panel_memberships (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    role            TEXT    NOT NULL,
    custom_role_id  INTEGER REFERENCES panel_roles(id) ON DELETE RESTRICT,
    created_at      INTEGER NOT NULL,
    UNIQUE (tenant_id, user_id)
);
CREATE INDEX panel_memberships_user ON panel_memberships (user_id);

-- No rows = every branch of the tenant.
CREATE TABLE panel_membership_branches (
    membership_id  INTEGER NOT NULL REFERENCES panel_memberships(id) ON DELETE CASCADE,
    branch_id      INTEGER NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    PRIMARY KEY (membership_id, branch_id)
);

CREATE TABLE panel_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the cookie token, hex; the token itself is never stored.
    token_hash    TEXT    NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    -- The tenant the user is working in; NULL until one is picked.
    tenant_id     INTEGER REFERENCES tenants(id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX panel_sessions_user ON panel_sessions (user_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL for platform-level changes (a tenant created, an operator added).
    tenant_id   INTEGER REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES panel_users(id) ON DELETE SET NULL,
    at          INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    entity      TEXT    NOT NULL,
    entity_id   INTEGER,
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
