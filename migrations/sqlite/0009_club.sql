-- Customer club: earning settings, the credit ledger (append-only entries, lots with
-- their own expiry, which entry used which lot), POS keys and invoices, idempotent API
-- replies, and the marketing opt-out on memberships.
-- Keep in step with migrations/postgres/0009_club.sql.

ALTER TABLE club_members ADD COLUMN marketing_opt_out INTEGER NOT NULL DEFAULT FALSE;
ALTER TABLE club_members ADD COLUMN opted_out_at INTEGER;
-- The member's birthday as a Jalali month-day (`09-13`), for birthday gifts.
ALTER TABLE club_members ADD COLUMN birthday TEXT;

-- The earning formula of a tenant (branch_id 0) and optional per-branch overrides.
-- Rates are basis points (1/100 of a percent); amounts are rials; 0 caps mean "no cap".
CREATE TABLE club_settings (
    tenant_id          INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id          INTEGER NOT NULL DEFAULT 0,
    earn_bp            INTEGER NOT NULL,
    min_purchase       INTEGER NOT NULL,
    cap_per_invoice    INTEGER NOT NULL,
    cap_per_day        INTEGER NOT NULL,
    max_redeem_bp      INTEGER NOT NULL,
    expiry_days        INTEGER NOT NULL,
    pending_seconds    INTEGER NOT NULL,
    -- JSON object: item category → basis points, e.g. {"drinks": 1000}.
    category_rates     TEXT    NOT NULL,
    tier_metric        TEXT    NOT NULL CHECK (tier_metric IN ('earned', 'spend', 'visits')),
    tier_window_days   INTEGER NOT NULL,
    demote_after_days  INTEGER NOT NULL,
    -- JSON list of {"name", "threshold", "multiplier_bp"}, lowest threshold first.
    tiers              TEXT    NOT NULL,
    -- Most manual credit one staff member may add per local day (0 = no cap).
    manual_daily_cap   INTEGER NOT NULL DEFAULT 0,
    -- Fraud thresholds (0 = rule off): invoices or manual credits for one phone within
    -- fraud_window_seconds; one staff member's manual credits per local day; a single
    -- manual credit above fraud_manual_amount.
    fraud_window_seconds  INTEGER NOT NULL DEFAULT 3600,
    fraud_max_invoices    INTEGER NOT NULL DEFAULT 0,
    fraud_max_manual      INTEGER NOT NULL DEFAULT 0,
    fraud_staff_daily     INTEGER NOT NULL DEFAULT 0,
    fraud_manual_amount   INTEGER NOT NULL DEFAULT 0,
    -- Phones (+989…, comma-separated) that get an alert SMS on every flag and block.
    fraud_alert_phones    TEXT    NOT NULL DEFAULT '',
    -- Member notifications: an SMS when a purchase earns credit; one before credit
    -- expires (days ahead, 0 = off).
    notify_earned         INTEGER NOT NULL DEFAULT FALSE,
    expiry_notice_days    INTEGER NOT NULL DEFAULT 0,
    -- Credit given on a member's (Jalali) birthday and on each anniversary of joining.
    birthday_credit       INTEGER NOT NULL DEFAULT 0,
    anniversary_credit    INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, branch_id)
);

-- One row per customer who ever had credit: every ledger transaction updates it first,
-- which serialises a member's ledger writes on PostgreSQL (row lock) as on SQLite.
CREATE TABLE credit_accounts (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, customer_id)
);

-- Append-only: never updated or deleted. amount > 0 adds credit, < 0 takes it away.
-- invoice_id has no foreign key on purpose: the ledger is history and invoices are
-- never deleted, only cancelled.
CREATE TABLE credit_entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('earn', 'redeem', 'manual', 'coupon', 'expire', 'reverse')),
    amount       INTEGER NOT NULL CHECK (amount <> 0),
    invoice_id   INTEGER,
    reason       TEXT    NOT NULL,
    -- Who or what caused it: `staff:<id>`, `pos:<key id>`, `system`.
    actor        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX credit_entries_customer ON credit_entries (tenant_id, customer_id, id);
CREATE INDEX credit_entries_invoice ON credit_entries (invoice_id);

-- Every award is a lot with its own pending window and expiry; `remaining` is what is
-- left after the uses below (kept in step in the same transaction).
CREATE TABLE credit_lots (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    entry_id      INTEGER NOT NULL REFERENCES credit_entries(id) ON DELETE CASCADE,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    remaining     INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    spendable_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX credit_lots_customer ON credit_lots (tenant_id, customer_id, expires_at);
CREATE INDEX credit_lots_due ON credit_lots (expires_at, remaining);

-- Which lots a taking entry (redeem, expire, reverse) consumed, and how much of each.
CREATE TABLE credit_lot_uses (
    entry_id  INTEGER NOT NULL REFERENCES credit_entries(id) ON DELETE CASCADE,
    lot_id    INTEGER NOT NULL REFERENCES credit_lots(id) ON DELETE CASCADE,
    amount    INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (entry_id, lot_id)
);
CREATE INDEX credit_lot_uses_lot ON credit_lot_uses (lot_id);

-- POS API keys: one branch each; only the SHA-256 of the key is stored.
CREATE TABLE pos_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id   INTEGER NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    key_hash    TEXT    NOT NULL UNIQUE,
    -- The key's first characters, to tell keys apart in listings.
    prefix      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE invoices (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id           INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id           INTEGER NOT NULL REFERENCES branches(id),
    customer_id         INTEGER NOT NULL REFERENCES customers(id),
    amount              INTEGER NOT NULL CHECK (amount >= 0),
    -- Credit this invoice earned and credit paid with on it (both reversed on cancel).
    earned              INTEGER NOT NULL DEFAULT 0,
    redeemed            INTEGER NOT NULL DEFAULT 0,
    pos_transaction_id  TEXT,
    reservation_id      INTEGER,
    pos_key_id          INTEGER REFERENCES pos_keys(id) ON DELETE SET NULL,
    status              TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
    created_at          INTEGER NOT NULL,
    cancelled_at        INTEGER,
    UNIQUE (tenant_id, branch_id, pos_transaction_id)
);
CREATE INDEX invoices_customer ON invoices (tenant_id, customer_id, created_at);

CREATE TABLE invoice_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id  INTEGER NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    category    TEXT,
    qty         INTEGER NOT NULL,
    unit_price  INTEGER NOT NULL
);
CREATE INDEX invoice_items_invoice ON invoice_items (invoice_id);

-- The stored reply to a POST with an Idempotency-Key, written in the same transaction
-- as what the POST did, so a retry gets the same answer and never a second invoice.
CREATE TABLE api_idempotency (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint  TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Inbound SMS (self-join, balance, STOP), one row per provider message: a provider
-- retrying its callback does not join or reply twice.
CREATE TABLE sms_inbound (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    provider     TEXT    NOT NULL,
    message_id   TEXT    NOT NULL,
    phone        TEXT    NOT NULL,
    line         TEXT,
    body         TEXT    NOT NULL,
    -- What it was taken for: join, member, unknown_code, balance, opt_out, not_member.
    outcome      TEXT    NOT NULL,
    tenant_id    INTEGER REFERENCES tenants(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (provider, message_id)
);

-- Fraud detector: a suspicious pattern raises a flag on its subject (a customer, or a
-- staff member's manual-credit right); a repeat while flagged blocks it until a manager
-- clears it. Every decision is logged with its reason.
CREATE TABLE fraud_flags (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    subject_kind  TEXT    NOT NULL CHECK (subject_kind IN ('customer', 'staff')),
    subject_id    INTEGER NOT NULL,
    rule          TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('flagged', 'blocked', 'cleared')),
    reason        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    cleared_by    TEXT
);
CREATE INDEX fraud_flags_subject ON fraud_flags (tenant_id, subject_kind, subject_id, state);

CREATE TABLE fraud_decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    flag_id       INTEGER REFERENCES fraud_flags(id) ON DELETE CASCADE,
    subject_kind  TEXT    NOT NULL,
    subject_id    INTEGER NOT NULL,
    decision      TEXT    NOT NULL CHECK (decision IN ('flag', 'block', 'refuse', 'clear')),
    reason        TEXT    NOT NULL,
    actor         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX fraud_decisions_tenant ON fraud_decisions (tenant_id, id);

-- Coupons: batches of codes (or one code per listed phone) carrying credit or a
-- discount, valid for a period, each code usable max_uses times, once per phone.
CREATE TABLE coupon_batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('credit', 'discount', 'percent')),
    -- Rials of credit, rials off the invoice, or basis points off it (percent).
    value        INTEGER NOT NULL CHECK (value > 0),
    valid_from   INTEGER,
    valid_until  INTEGER,
    max_uses     INTEGER NOT NULL CHECK (max_uses > 0),
    created_at   INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE coupons (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    batch_id    INTEGER NOT NULL REFERENCES coupon_batches(id) ON DELETE CASCADE,
    code        TEXT    NOT NULL,
    -- Set for a phone-list batch: only this phone (+989…) may use the code.
    phone       TEXT,
    uses        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, code)
);
CREATE INDEX coupons_batch ON coupons (batch_id);

CREATE TABLE coupon_redemptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    coupon_id    INTEGER NOT NULL REFERENCES coupons(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    invoice_id   INTEGER,
    amount       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (coupon_id, customer_id)
);

-- The tenant's SMS wallet: member SMS (notifications) are paid from it.
CREATE TABLE sms_wallets (
    tenant_id      INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    balance        INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    -- Rials debited per member SMS queued.
    price_per_sms  INTEGER NOT NULL DEFAULT 0
);

-- Every top-up and debit, append-only.
CREATE TABLE sms_wallet_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('topup', 'debit')),
    amount      INTEGER NOT NULL,
    outbox_id   INTEGER,
    reason      TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX sms_wallet_entries_tenant ON sms_wallet_entries (tenant_id, id);

-- Editable member-notification texts; without a row the Persian default is used.
CREATE TABLE club_templates (
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('credit_earned', 'credit_expiring')),
    body        TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

-- Lots whose "about to expire" notice went out (once per lot).
CREATE TABLE credit_expiry_notices (
    lot_id      INTEGER PRIMARY KEY REFERENCES credit_lots(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);

-- Birthday and anniversary gifts given, one per member, kind and Jalali year.
CREATE TABLE club_rewards (
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('birthday', 'anniversary')),
    year         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, kind, year)
);

-- A tenant's own SMS line: texts to it belong to that club (keywords, replies).
CREATE TABLE club_lines (
    line        TEXT    PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
);
