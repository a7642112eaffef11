-- Reservations, fourth part: a resource's own closed dates (a staff member's day off),
-- deposit rules per time slot and party size, and tables opened by the POS without a
-- booking (walk-ins) holding their table in `booking_slots` like a booking does. Keep in
-- step with migrations/sqlite/0019_reservation_edits.sql.

-- Local dates (YYYYMMDD in the branch zone) one resource takes no bookings.
CREATE TABLE reservation_resource_closed_dates (
    resource_id  BIGINT  NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day          BIGINT  NOT NULL,
    PRIMARY KEY (resource_id, day)
);

-- A deposit for bookings starting inside `hours` (allowed-hours text, e.g.
-- `thu-fri 19:00-23:00`; '' = any time) with a party of `min_party`..`max_party`
-- (NULL = no upper bound). The most specific matching rule wins over the branch's own
-- rule (see reservations::deposits::SlotRule).
CREATE TABLE reservation_deposit_rules (
    id          BIGSERIAL PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id   BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    hours       TEXT    NOT NULL DEFAULT '',
    min_party   BIGINT  NOT NULL DEFAULT 1,
    max_party   BIGINT,
    mode        TEXT    NOT NULL CHECK (mode IN ('none', 'per_guest', 'fixed')),
    amount      BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX reservation_deposit_rules_branch ON reservation_deposit_rules (tenant_id, branch_id);

-- A table the POS opened with no seated booking on it: it holds its table's slot rows
-- from `opened_at` to `held_until` until the POS closes it (the row and its slots go).
CREATE TABLE walk_ins (
    id           BIGSERIAL PRIMARY KEY,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id    BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    resource_id  BIGINT  NOT NULL UNIQUE REFERENCES reservation_resources(id) ON DELETE CASCADE,
    opened_at    BIGINT  NOT NULL,
    held_until   BIGINT  NOT NULL
);

-- A slot row is owned by a booking or by a walk-in: the same primary key keeps both
-- apart.
ALTER TABLE booking_slots ALTER COLUMN booking_id DROP NOT NULL;
ALTER TABLE booking_slots ADD COLUMN walk_in_id BIGINT REFERENCES walk_ins(id) ON DELETE CASCADE;
ALTER TABLE booking_slots ADD CONSTRAINT booking_slots_one_owner
    CHECK ((booking_id IS NULL) <> (walk_in_id IS NULL));
CREATE INDEX booking_slots_walk_in ON booking_slots (walk_in_id);
