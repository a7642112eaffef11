-- Complaint follow-up in the panel (issue #9): case owners, notes and one-click replies
-- in a case's history, the invitation SMS of each survey, the panel users alerted about
-- low scores and their notifications.
-- Keep in step with migrations/postgres/0013_survey_followup.sql.

ALTER TABLE survey_cases ADD COLUMN owner_user_id INTEGER REFERENCES panel_users(id) ON DELETE SET NULL;

-- SQLite cannot change a CHECK: the history table is rebuilt with the new kinds and the
-- panel user who acted (NULL = the system or the command line).
CREATE TABLE survey_case_events_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES survey_cases(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('opened', 'alert', 'reply', 'status', 'credit', 'note', 'owner')),
    sms_id      INTEGER REFERENCES sms_outbox(id) ON DELETE SET NULL,
    detail      TEXT,
    user_id     INTEGER REFERENCES panel_users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);
INSERT INTO survey_case_events_new (id, case_id, kind, sms_id, detail, created_at)
    SELECT id, case_id, kind, sms_id, detail, created_at FROM survey_case_events;
DROP TABLE survey_case_events;
ALTER TABLE survey_case_events_new RENAME TO survey_case_events;
CREATE INDEX survey_case_events_case ON survey_case_events (case_id, id);

-- Each invitation and reminder SMS of a survey, so a case shows what the customer got.
CREATE TABLE survey_invitation_sms (
    invitation_id  INTEGER NOT NULL REFERENCES survey_invitations(id) ON DELETE CASCADE,
    sms_id         INTEGER NOT NULL REFERENCES sms_outbox(id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, sms_id)
);

-- Panel users the owner picked to hear about every low score (SMS and notification).
CREATE TABLE survey_alert_users (
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, user_id)
);

-- What a panel user should look at (a low score's case), until they read it.
CREATE TABLE panel_notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    case_id     INTEGER REFERENCES survey_cases(id) ON DELETE CASCADE,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX panel_notifications_user ON panel_notifications (user_id, tenant_id, read_at);
