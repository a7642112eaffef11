-- Mid-session control: where each session's router answers Disconnect/CoA, and a log of
-- every request sent and how the router answered.

ALTER TABLE sessions ADD COLUMN nas_ip TEXT;

CREATE TABLE coa_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    session_id   INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('disconnect', 'coa')),
    reason       TEXT    NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('ack', 'nak', 'timeout', 'error')),
    error_cause  INTEGER,
    detail       TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX coa_requests_session ON coa_requests (session_id);
