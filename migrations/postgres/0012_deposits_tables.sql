-- Reservations, second part: deposits (a branch's rule, each booking's deposit, the
-- invoice it was deducted from) and the live table board's POS/host state. Keep in step
-- with migrations/sqlite/0012_deposits_tables.sql.

-- The deposit rule: none, per guest or fixed, asked from `deposit_from_party` guests
-- up, refundable when cancelled at least `deposit_refund_hours` before the start.
ALTER TABLE reservation_settings ADD COLUMN deposit_mode TEXT NOT NULL DEFAULT 'none'
    CHECK (deposit_mode IN ('none', 'per_guest', 'fixed'));
ALTER TABLE reservation_settings ADD COLUMN deposit_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reservation_settings ADD COLUMN deposit_from_party BIGINT NOT NULL DEFAULT 1;
ALTER TABLE reservation_settings ADD COLUMN deposit_refund_hours BIGINT NOT NULL DEFAULT 24;

-- A booking's deposit (rials) and where it stands: none, due (asked, not paid), paid,
-- applied (deducted from invoice `deposit_invoice_id`), refund_due (cancelled in time),
-- refunded, forfeited (cancelled late or no-show), void (cancelled before paying).
ALTER TABLE bookings ADD COLUMN deposit_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN deposit_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE bookings ADD COLUMN deposit_refundable_until BIGINT;
ALTER TABLE bookings ADD COLUMN deposit_paid_at BIGINT;
ALTER TABLE bookings ADD COLUMN deposit_invoice_id BIGINT;

-- What an invoice had deducted as its reservation's deposit (0 = none).
ALTER TABLE invoices ADD COLUMN deposit_applied BIGINT NOT NULL DEFAULT 0;

-- A table's state besides its bookings: opened by the POS (`open`) or closed and waiting
-- for a host to mark it clean (`cleaning`). No row = nothing but bookings.
CREATE TABLE table_states (
    resource_id  BIGINT  PRIMARY KEY REFERENCES reservation_resources(id) ON DELETE CASCADE,
    tenant_id    BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    branch_id    BIGINT NOT NULL REFERENCES branches(id) ON DELETE CASCADE,
    state        TEXT    NOT NULL CHECK (state IN ('open', 'cleaning')),
    since        BIGINT NOT NULL
);
CREATE INDEX table_states_branch ON table_states (tenant_id, branch_id);
