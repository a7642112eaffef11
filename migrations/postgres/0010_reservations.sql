-- Reservations: bookable resources per branch (tables; staff, chairs and rooms for
-- appointments), each branch's booking rules, bookings, and the slot rows that make a
-- double booking impossible at save time. Keep in step with
-- migrations/sqlite/0010_reservations.sql.

-- One row per branch that takes bookings. Durations are minutes (multiples of 5).
CREATE TABLE reservation_settings (
    branch_id         BIGINT  PRIMARY KEY REFERENCES branches(id) ON DELETE CASCADE,
    tenant_id         BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- IANA zone the opening hours and dates are read in.
    time_zone         TEXT    NOT NULL,
    slot_interval     BIGINT  NOT NULL DEFAULT 15,
    stay_minutes      BIGINT  NOT NULL DEFAULT 90,
    -- Per party size overrides, e.g. `1-2=60, 7-=150` (see reservations::rules).
    stay_by_party     TEXT    NOT NULL DEFAULT '',
    buffer_minutes    BIGINT  NOT NULL DEFAULT 15,
    min_notice        BIGINT  NOT NULL DEFAULT 60,
    max_days_ahead    BIGINT  NOT NULL DEFAULT 30,
    -- Allowed-hours text, e.g. `sat-thu 12:00-23:00; fri 16:00-23:00`.
    opening_hours     TEXT    NOT NULL DEFAULT '12:00-23:00',
    updated_at        BIGINT  NOT NULL
);

-- Local dates (YYYYMMDD in the branch zone) a branch takes no bookings.
CREATE TABLE reservation_closed_dates (
    branch_id  BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    tenant_id  BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day        BIGINT  NOT NULL,
    PRIMARY KEY (branch_id, day)
);

-- A table, or for appointments a staff member, chair or room.
CREATE TABLE reservation_resources (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id      BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('table', 'staff', 'chair', 'room')),
    -- The table number or the person's/room's name, unique per branch.
    name           TEXT    NOT NULL,
    min_party      BIGINT  NOT NULL DEFAULT 1,
    max_party      BIGINT  NOT NULL,
    zone           TEXT,
    -- Allowed-hours text for staff (gaps are breaks); NULL = the branch's opening hours.
    working_hours  TEXT,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     BIGINT  NOT NULL,
    UNIQUE (branch_id, name)
);

-- Tables that can be pushed together for a bigger party (stored once, low id first).
CREATE TABLE reservation_joins (
    tenant_id  BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    a_id       BIGINT  NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    b_id       BIGINT  NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    PRIMARY KEY (a_id, b_id),
    CHECK (a_id < b_id)
);

CREATE TABLE bookings (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id    BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    customer_id  BIGINT  NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    phone        TEXT    NOT NULL,
    name         TEXT,
    party        BIGINT  NOT NULL,
    starts_at    BIGINT  NOT NULL,
    ends_at      BIGINT  NOT NULL,
    -- The branch zone the booking was made in (times above are UTC).
    time_zone    TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('booked', 'confirmed', 'seated', 'finished',
                                                    'cancelled', 'no_show', 'waitlisted')),
    source       TEXT    NOT NULL CHECK (source IN ('web', 'staff')),
    note         TEXT,
    -- Secret in the customer's confirm/cancel link.
    token        TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX bookings_branch_time ON bookings (tenant_id, branch_id, starts_at);
CREATE INDEX bookings_customer ON bookings (customer_id, starts_at);

-- Which resources a booking holds (several when tables are joined).
CREATE TABLE booking_resources (
    booking_id   BIGINT  NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
    resource_id  BIGINT  NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    PRIMARY KEY (booking_id, resource_id)
);

-- One row per 5-minute unit a resource is held (stay + buffer) by a live booking. The
-- primary key is what refuses a double booking, inside the booking's transaction, on
-- both databases and across processes.
CREATE TABLE booking_slots (
    resource_id  BIGINT  NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    slot         BIGINT  NOT NULL,
    booking_id   BIGINT  NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
    PRIMARY KEY (resource_id, slot)
);
CREATE INDEX booking_slots_booking ON booking_slots (booking_id);

-- The same for the guest: one person cannot hold two bookings at the same time.
CREATE TABLE booking_guest_slots (
    customer_id  BIGINT  NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    slot         BIGINT  NOT NULL,
    booking_id   BIGINT  NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, slot)
);
CREATE INDEX booking_guest_slots_booking ON booking_guest_slots (booking_id);

-- The SMS sent around a booking, per tenant, all editable: which, when, and the text.
CREATE TABLE booking_messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    -- confirmation: `offset_minutes` after booking; reminder: before the start;
    -- thank_you: after the guest left (finished); no_show: after marked no-show.
    kind            TEXT    NOT NULL CHECK (kind IN ('confirmation', 'reminder', 'thank_you', 'no_show')),
    offset_minutes  BIGINT  NOT NULL DEFAULT 0,
    -- Text with {name} {date} {time} {party} {branch} {link}.
    template        TEXT    NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX booking_messages_tenant ON booking_messages (tenant_id);

-- Which message went out for which booking (the key makes each one go out once).
CREATE TABLE booking_messages_sent (
    booking_id  BIGINT  NOT NULL REFERENCES bookings(id) ON DELETE CASCADE,
    message_id  BIGINT  NOT NULL REFERENCES booking_messages(id) ON DELETE CASCADE,
    outbox_id   BIGINT,
    queued_at   BIGINT  NOT NULL,
    PRIMARY KEY (booking_id, message_id)
);
