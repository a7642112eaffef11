-- Satisfaction per staff member, and English labels for survey questions.
-- Keep in step with migrations/sqlite/0020_survey_staff_labels.sql.

-- The cashier or waiter as the POS names them (trimmed, 1-60 characters), for the
-- "by staff" report; NULL when the POS did not send one.
ALTER TABLE invoices ADD COLUMN staff TEXT;

-- The question's English label and options (one a line, in the order of `options`);
-- empty = fall back to the Persian ones in `label` and `options`.
ALTER TABLE survey_questions ADD COLUMN label_en TEXT NOT NULL DEFAULT '';
ALTER TABLE survey_questions ADD COLUMN options_en TEXT NOT NULL DEFAULT '';
