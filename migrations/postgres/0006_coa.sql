-- Mid-session control: where each session's router answers Disconnect/CoA, and a log of
-- every request sent and how the router answered.

ALTER TABLE sessions ADD COLUMN nas_ip TEXT;

CREATE TABLE coa_requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    session_id   BIGINT  REFERENCES sessions(id) ON DELETE SET NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('disconnect', 'coa')),
    reason       TEXT    NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('ack', 'nak', 'timeout', 'error')),
    error_cause  BIGINT,
    detail       TEXT,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX coa_requests_session ON coa_requests (session_id);
