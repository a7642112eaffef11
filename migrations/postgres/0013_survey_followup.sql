-- Complaint follow-up in the panel (issue #9): case owners, notes and one-click replies
-- in a case's history, the invitation SMS of each survey, the panel users alerted about
-- low scores and their notifications.
-- Keep in step with migrations/sqlite/0013_survey_followup.sql.

ALTER TABLE survey_cases ADD COLUMN owner_user_id BIGINT REFERENCES panel_users(id) ON DELETE SET NULL;

ALTER TABLE survey_case_events DROP CONSTRAINT survey_case_events_kind_check;
ALTER TABLE survey_case_events ADD CONSTRAINT survey_case_events_kind_check
    CHECK (kind IN ('opened', 'alert', 'reply', 'status', 'credit', 'note', 'owner'));
-- The panel user who acted (NULL = the system or the command line).
ALTER TABLE survey_case_events ADD COLUMN user_id BIGINT REFERENCES panel_users(id) ON DELETE SET NULL;

-- Each invitation and reminder SMS of a survey, so a case shows what the customer got.
CREATE TABLE survey_invitation_sms (
    invitation_id  BIGINT NOT NULL REFERENCES survey_invitations(id) ON DELETE CASCADE,
    sms_id         BIGINT NOT NULL REFERENCES sms_outbox(id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, sms_id)
);

-- Panel users the owner picked to hear about every low score (SMS and notification).
CREATE TABLE survey_alert_users (
    tenant_id  BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, user_id)
);

-- What a panel user should look at (a low score's case), until they read it.
CREATE TABLE panel_notifications (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
    case_id     BIGINT REFERENCES survey_cases(id) ON DELETE CASCADE,
    body        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX panel_notifications_user ON panel_notifications (user_id, tenant_id, read_at);
