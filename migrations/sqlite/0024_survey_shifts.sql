-- Each tenant's shift windows for the satisfaction report by shift.
-- Keep in step with migrations/postgres/0024_survey_shifts.sql.

-- Local start minutes of morning, afternoon, evening and night, comma-separated
-- (e.g. '420,720,1020,1440': night 1440 = no night after the evening); empty = the
-- defaults 06:00, 12:00, 17:00, 22:00.
ALTER TABLE survey_settings ADD COLUMN shifts TEXT NOT NULL DEFAULT '';
