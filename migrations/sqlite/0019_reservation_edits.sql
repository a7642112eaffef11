-- Reservations, fourth part: a resource's own closed dates (a staff member's day off),
-- deposit rules per time slot and party size, and tables opened by the POS without a
-- booking (walk-ins) holding their table in `booking_slots` like a booking does. Keep in
-- step with migrations/postgres/0019_reservation_edits.sql.

-- Local dates (YYYYMMDD in the branch zone) one resource takes no bookings.
CREATE TABLE reservation_resource_closed_dates (
    resource_id  INTEGER NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day          INTEGER NOT NULL,
    PRIMARY KEY (resource_id, day)
);

-- A deposit for bookings starting inside `hours` (allowed-hours text, e.g.
-- `thu-fri 19:00-23:00`; '' = any time) with a party of `min_party`..`max_party`
-- (NULL = no upper bound). The most specific matching rule wins over the branch's own
-- rule (see reservations::deposits::SlotRule).
CREATE TABLE reservation_deposit_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id   INTEGER NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    hours       TEXT    NOT NULL DEFAULT '',
    min_party   INTEGER NOT NULL DEFAULT 1,
    max_party   INTEGER,
    mode        TEXT    NOT NULL CHECK (mode IN ('none', 'per_guest', 'fixed')),
    amount      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX reservation_deposit_rules_branch ON reservation_deposit_rules (tenant_id, branch_id);

-- A table the POS opened with no seated booking on it: it holds its table's slot rows
-- from `opened_at` to `held_until` until the POS closes it (the row and its slots go).
CREATE TABLE walk_ins (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id    INTEGER NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    resource_id  INTEGER NOT NULL UNIQUE REFERENCES reservation_resources(id) ON DELETE CASCADE,
    opened_at    INTEGER NOT NULL,
    held_until   INTEGER NOT NULL
);

-- A slot row is owned by a booking or by a walk-in: the same primary key keeps both
-- apart. (SQLite cannot relax NOT NULL in place; nothing references booking_slots, so
-- it is rebuilt.)
CREATE TABLE booking_slots_new (
    resource_id  INTEGER NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    slot         INTEGER NOT NULL,
    booking_id   INTEGER REFERENCES bookings(id) ON DELETE CASCADE,
    walk_in_id   INTEGER REFERENCES walk_ins(id) ON DELETE CASCADE,
    PRIMARY KEY (resource_id, slot),
    CHECK ((booking_id IS NULL) <> (walk_in_id IS NULL))
);
INSERT INTO booking_slots_new (resource_id, slot, booking_id)
    SELECT resource_id, slot, booking_id FROM booking_slots;
DROP TABLE booking_slots;
ALTER TABLE booking_slots_new RENAME TO booking_slots;
CREATE INDEX booking_slots_booking ON booking_slots (booking_id);
CREATE INDEX booking_slots_walk_in ON booking_slots (walk_in_id);
