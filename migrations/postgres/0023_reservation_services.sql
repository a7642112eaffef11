-- Reservations, fifth part: services of appointment businesses (a haircut, a massage).
-- A service lasts `duration` minutes and is performed by some of the branch's resources;
-- a booking for it holds one of them for the duration (plus the branch's buffer). Keep in
-- step with migrations/sqlite/0023_reservation_services.sql.

CREATE TABLE reservation_services (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id   BIGINT  NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    name_en     TEXT,
    duration    BIGINT  NOT NULL,
    -- Rials; NULL = not shown.
    price       BIGINT,
    created_at  BIGINT  NOT NULL,
    UNIQUE (branch_id, name)
);
CREATE INDEX reservation_services_branch ON reservation_services (tenant_id, branch_id);

-- Which resources perform a service.
CREATE TABLE reservation_service_resources (
    service_id   BIGINT  NOT NULL REFERENCES reservation_services(id) ON DELETE CASCADE,
    resource_id  BIGINT  NOT NULL REFERENCES reservation_resources(id) ON DELETE CASCADE,
    tenant_id    BIGINT  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, resource_id)
);

-- The service a booking is for (NULL: a table booking, or the service was removed).
ALTER TABLE bookings ADD COLUMN service_id BIGINT  REFERENCES reservation_services(id) ON DELETE SET NULL;
