-- Smart evaluation (surveys): per-tenant settings, an invitation per invoice (sent by SMS
-- with an unguessable link), one response per invitation with optional per-item ratings.
-- Keep in step with migrations/postgres/0011_surveys.sql.

CREATE TABLE survey_settings (
    tenant_id      INTEGER  PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    enabled        INTEGER NOT NULL DEFAULT FALSE,
    delay_minutes  INTEGER  NOT NULL,
    -- Local minutes of the day [quiet_start, quiet_end), may wrap midnight; equal = none.
    quiet_start    INTEGER  NOT NULL,
    quiet_end      INTEGER  NOT NULL,
    -- At most one invitation per customer per cap_days (0 = every invoice).
    cap_days       INTEGER  NOT NULL,
    max_reminders  INTEGER  NOT NULL,
    -- Ask for a rating of every item on the invoice too.
    per_item       INTEGER NOT NULL DEFAULT FALSE,
    -- An overall rating at or below this opens a case and alerts (0 = never).
    alert_below    INTEGER NOT NULL DEFAULT 2,
    -- Phones (+989…, comma-separated) texted about every low score.
    alert_phones   TEXT    NOT NULL DEFAULT '',
    -- Canned replies texted to the customer on answering: reply_happy for a rating at or
    -- above happy_from, reply_unhappy for one at or below alert_below (NULL = none).
    happy_from     INTEGER NOT NULL DEFAULT 4,
    reply_happy    TEXT,
    reply_unhappy  TEXT,
    updated_at     INTEGER  NOT NULL
);

-- One invitation per invoice. next_send_at is when the next SMS (the first, or a
-- reminder) is due; NULL once answered or out of reminders.
CREATE TABLE survey_invitations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    invoice_id    INTEGER  NOT NULL UNIQUE REFERENCES invoices(id) ON DELETE CASCADE,
    customer_id   INTEGER  NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    token         TEXT    NOT NULL UNIQUE,
    next_send_at  INTEGER,
    sends         INTEGER  NOT NULL DEFAULT 0,
    created_at    INTEGER  NOT NULL,
    sent_at       INTEGER,
    opened_at     INTEGER,
    answered_at   INTEGER
);
CREATE INDEX survey_invitations_due ON survey_invitations (next_send_at);
CREATE INDEX survey_invitations_customer ON survey_invitations (tenant_id, customer_id, created_at);

CREATE TABLE survey_responses (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- One response per link, enforced here whatever the callers do.
    invitation_id  INTEGER  NOT NULL UNIQUE REFERENCES survey_invitations(id) ON DELETE CASCADE,
    rating         INTEGER  NOT NULL CHECK (rating BETWEEN 1 AND 5),
    nps            INTEGER  CHECK (nps BETWEEN 0 AND 10),
    comment        TEXT,
    created_at     INTEGER  NOT NULL
);
CREATE INDEX survey_responses_tenant ON survey_responses (tenant_id, created_at);

CREATE TABLE survey_item_ratings (
    response_id      INTEGER NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
    invoice_item_id  INTEGER NOT NULL REFERENCES invoice_items(id) ON DELETE CASCADE,
    rating           INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    PRIMARY KEY (response_id, invoice_item_id)
);

-- A low score opens a case for follow-up (open → contacted → resolved).
CREATE TABLE survey_cases (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    response_id  INTEGER NOT NULL UNIQUE REFERENCES survey_responses(id) ON DELETE CASCADE,
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'contacted', 'resolved')),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX survey_cases_tenant ON survey_cases (tenant_id, status, created_at);

-- Photos, voice and video the customer attached (at most a few per invitation). The
-- file lives under the data directory as survey-media/{tenant}/{file}; its name is ours
-- (random), never the customer's; content_type comes from sniffing the bytes.
CREATE TABLE survey_media (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    invitation_id  INTEGER NOT NULL REFERENCES survey_invitations(id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('photo', 'audio', 'video')),
    content_type   TEXT    NOT NULL,
    size           INTEGER NOT NULL,
    file           TEXT    NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL
);
CREATE INDEX survey_media_invitation ON survey_media (invitation_id);

-- What happened on a case, in order: opened, each SMS sent about it (alerts, the reply to
-- the customer; the text itself stays in sms_outbox), status changes, compensation credit.
CREATE TABLE survey_case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES survey_cases(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('opened', 'alert', 'reply', 'status', 'credit')),
    sms_id      INTEGER REFERENCES sms_outbox(id) ON DELETE SET NULL,
    detail      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX survey_case_events_case ON survey_case_events (case_id, id);
