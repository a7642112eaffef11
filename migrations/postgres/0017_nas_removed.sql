-- A removed router stays as a row, so the sessions (and usage history) that name it
-- survive; it is renamed and its address freed so the same name and address can be
-- added again. Every lookup of live routers skips removed ones.
ALTER TABLE nas ADD COLUMN removed_at BIGINT;
