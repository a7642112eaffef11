-- smartx initial schema (PostgreSQL). Times are UTC unix seconds; money is integer rials;
-- flags are BOOLEAN (INTEGER 0/1 in SQLite, where sqlx's Any driver has no boolean type).
-- Keep in step with migrations/sqlite/0001_initial.sql.

CREATE TABLE tenants (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    club_code       TEXT    NOT NULL UNIQUE CHECK (char_length(club_code) = 5),
    time_zone       TEXT    NOT NULL DEFAULT 'Asia/Tehran',
    locale          TEXT    NOT NULL DEFAULT 'fa',
    remember_days   BIGINT  NOT NULL DEFAULT 30,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE branches (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE groups (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id             BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL,
    rate_limit            TEXT,
    burst_limit           TEXT,
    burst_threshold       TEXT,
    burst_time            TEXT,
    priority              BIGINT,
    session_timeout       BIGINT,
    idle_timeout          BIGINT,
    daily_time_quota      BIGINT,
    daily_data_quota      BIGINT,
    monthly_data_quota    BIGINT,
    simultaneous_devices  BIGINT,
    allowed_hours         TEXT,
    interim_interval      BIGINT  NOT NULL DEFAULT 300,
    address_list          TEXT,
    is_default            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            BIGINT  NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE nas (
    id                              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id                       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id                       BIGINT  REFERENCES branches(id) ON DELETE SET NULL,
    name                            TEXT    NOT NULL,
    address                         TEXT    NOT NULL UNIQUE,
    secret                          TEXT    NOT NULL,
    require_message_authenticator   BOOLEAN NOT NULL DEFAULT FALSE,
    coa_port                        BIGINT  NOT NULL DEFAULT 3799,
    created_at                      BIGINT  NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE customers (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    phone         TEXT    NOT NULL,
    name          TEXT,
    group_id      BIGINT  REFERENCES groups(id) ON DELETE SET NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    visits        BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT,
    UNIQUE (tenant_id, phone)
);
CREATE INDEX customers_group ON customers (group_id);

CREATE TABLE devices (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id       BIGINT  NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    mac               TEXT    NOT NULL,
    remembered_until  BIGINT,
    first_seen_at     BIGINT  NOT NULL,
    last_seen_at      BIGINT  NOT NULL,
    UNIQUE (tenant_id, mac)
);
CREATE INDEX devices_customer ON devices (customer_id);

CREATE TABLE hotspot_accounts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    username    TEXT    NOT NULL,
    -- Cleartext on purpose: CHAP (RouterOS' default login-by) needs the shared password.
    password    TEXT    NOT NULL,
    group_id    BIGINT  NOT NULL REFERENCES groups(id),
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at  BIGINT,
    created_at  BIGINT  NOT NULL,
    UNIQUE (tenant_id, username)
);

CREATE TABLE sessions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    nas_id            BIGINT  NOT NULL REFERENCES nas(id) ON DELETE CASCADE,
    acct_session_id   TEXT    NOT NULL,
    username          TEXT    NOT NULL,
    customer_id       BIGINT  REFERENCES customers(id) ON DELETE SET NULL,
    account_id        BIGINT  REFERENCES hotspot_accounts(id) ON DELETE SET NULL,
    mac               TEXT,
    framed_ip         TEXT,
    started_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    stopped_at        BIGINT,
    session_time      BIGINT  NOT NULL DEFAULT 0,
    input_octets      BIGINT  NOT NULL DEFAULT 0,
    output_octets     BIGINT  NOT NULL DEFAULT 0,
    terminate_cause   TEXT,
    UNIQUE (nas_id, acct_session_id, username)
);
CREATE INDEX sessions_open ON sessions (tenant_id, stopped_at);
CREATE INDEX sessions_customer ON sessions (customer_id, started_at);

-- One row per subject (customer or static account) per local day (YYYYMMDD in the tenant's zone).
CREATE TABLE usage_daily (
    tenant_id      BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subject_kind   TEXT    NOT NULL CHECK (subject_kind IN ('customer', 'account')),
    subject_id     BIGINT  NOT NULL,
    day            BIGINT  NOT NULL,
    session_time   BIGINT  NOT NULL DEFAULT 0,
    input_octets   BIGINT  NOT NULL DEFAULT 0,
    output_octets  BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, subject_kind, subject_id, day)
);
