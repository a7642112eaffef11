-- A notification may point somewhere other than a survey case: a fraud flag links to
-- the club page's flags. A panel path under /panel (e.g. "/club#flags"); NULL = the case.
ALTER TABLE panel_notifications ADD COLUMN link TEXT;
