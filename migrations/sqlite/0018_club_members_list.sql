-- The panel's member list filtered by "opted out of marketing": walks only those
-- members, newest first, instead of every member of the tenant.
CREATE INDEX club_members_opted_out ON club_members (tenant_id, customer_id) WHERE marketing_opt_out;
