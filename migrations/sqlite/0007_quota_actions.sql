-- What a group does when a quota runs out (cut, or throttle to a rate), groups that
-- customers move in and out of by rule, and whether a tenant's months (monthly data
-- quota) start on the Gregorian or the Jalali first.

ALTER TABLE groups ADD COLUMN throttle_rate TEXT;
ALTER TABLE groups ADD COLUMN membership_rule TEXT;
ALTER TABLE tenants ADD COLUMN month_start TEXT NOT NULL DEFAULT 'gregorian'
    CHECK (month_start IN ('gregorian', 'jalali'));

-- Sessions closed outside accounting (as stale): RADIUS nodes re-read open sessions.
INSERT INTO cache_generations (name, generation) VALUES ('sessions', 0);
