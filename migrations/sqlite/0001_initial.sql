-- smartx initial schema (SQLite). Times are UTC unix seconds; money is integer rials;
-- flags are INTEGER 0/1 because sqlx's Any driver has no SQLite boolean type.
-- Keep in step with migrations/postgres/0001_initial.sql.

CREATE TABLE tenants (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL UNIQUE,
    club_code       TEXT    NOT NULL UNIQUE CHECK (length(club_code) = 5),
    time_zone       TEXT    NOT NULL DEFAULT 'Asia/Tehran',
    locale          TEXT    NOT NULL DEFAULT 'fa',
    remember_days   INTEGER NOT NULL DEFAULT 30,
    created_at      INTEGER NOT NULL
);

CREATE TABLE branches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE groups (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id             INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL,
    rate_limit            TEXT,
    burst_limit           TEXT,
    burst_threshold       TEXT,
    burst_time            TEXT,
    priority              INTEGER,
    session_timeout       INTEGER,
    idle_timeout          INTEGER,
    daily_time_quota      INTEGER,
    daily_data_quota      INTEGER,
    monthly_data_quota    INTEGER,
    simultaneous_devices  INTEGER,
    allowed_hours         TEXT,
    interim_interval      INTEGER NOT NULL DEFAULT 300,
    address_list          TEXT,
    is_default            INTEGER NOT NULL DEFAULT FALSE,
    created_at            INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE nas (
    id                              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id                       INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id                       INTEGER REFERENCES branches(id) ON DELETE SET NULL,
    name                            TEXT    NOT NULL,
    address                         TEXT    NOT NULL UNIQUE,
    secret                          TEXT    NOT NULL,
    require_message_authenticator   INTEGER NOT NULL DEFAULT FALSE,
    coa_port                        INTEGER NOT NULL DEFAULT 3799,
    created_at                      INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone         TEXT    NOT NULL,
    name          TEXT,
    group_id      INTEGER REFERENCES groups(id) ON DELETE SET NULL,
    disabled      INTEGER NOT NULL DEFAULT FALSE,
    visits        INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER,
    UNIQUE (tenant_id, phone)
);
CREATE INDEX customers_group ON customers (group_id);

CREATE TABLE devices (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id         INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id       INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    mac               TEXT    NOT NULL,
    remembered_until  INTEGER,
    first_seen_at     INTEGER NOT NULL,
    last_seen_at      INTEGER NOT NULL,
    UNIQUE (tenant_id, mac)
);
CREATE INDEX devices_customer ON devices (customer_id);

CREATE TABLE hotspot_accounts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username    TEXT    NOT NULL,
    -- Cleartext on purpose: CHAP (RouterOS' default login-by) needs the shared password.
    password    TEXT    NOT NULL,
    group_id    INTEGER NOT NULL REFERENCES groups(id),
    disabled    INTEGER NOT NULL DEFAULT FALSE,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, username)
);

CREATE TABLE sessions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id         INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    nas_id            INTEGER NOT NULL REFERENCES nas(id) ON DELETE CASCADE,
    acct_session_id   TEXT    NOT NULL,
    username          TEXT    NOT NULL,
    customer_id       INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    account_id        INTEGER REFERENCES hotspot_accounts(id) ON DELETE SET NULL,
    mac               TEXT,
    framed_ip         TEXT,
    started_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    stopped_at        INTEGER,
    session_time      INTEGER NOT NULL DEFAULT 0,
    input_octets      INTEGER NOT NULL DEFAULT 0,
    output_octets     INTEGER NOT NULL DEFAULT 0,
    terminate_cause   TEXT,
    UNIQUE (nas_id, acct_session_id, username)
);
CREATE INDEX sessions_open ON sessions (tenant_id, stopped_at);
CREATE INDEX sessions_customer ON sessions (customer_id, started_at);

-- One row per subject (customer or static account) per local day (YYYYMMDD in the tenant's zone).
CREATE TABLE usage_daily (
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subject_kind   TEXT    NOT NULL CHECK (subject_kind IN ('customer', 'account')),
    subject_id     INTEGER NOT NULL,
    day            INTEGER NOT NULL,
    session_time   INTEGER NOT NULL DEFAULT 0,
    input_octets   INTEGER NOT NULL DEFAULT 0,
    output_octets  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, subject_kind, subject_id, day)
);
