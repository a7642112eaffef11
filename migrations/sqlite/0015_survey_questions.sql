-- The "precision" add-on of surveys: a per-tenant switch (set by the operator) and the
-- tenant's own questions, asked after the overall rating; one row per answered part.
-- Keep in step with migrations/postgres/0015_survey_questions.sql.

ALTER TABLE survey_settings ADD COLUMN precision_addon INTEGER NOT NULL DEFAULT FALSE;

-- kind: rating (1-5), categories (1-5 per category on the invoice), nps (0-10),
-- choice (one option), multi (several options), text. options: one per line (choice,
-- multi). show_if_at_most: asked only when the overall rating is at or below it.
-- Removed questions keep removed_at so earlier answers still name them.
CREATE TABLE survey_questions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('rating', 'categories', 'nps', 'choice', 'multi', 'text')),
    label            TEXT    NOT NULL,
    options          TEXT    NOT NULL DEFAULT '',
    required         INTEGER NOT NULL DEFAULT FALSE,
    show_if_at_most  INTEGER CHECK (show_if_at_most BETWEEN 1 AND 4),
    created_at       INTEGER NOT NULL,
    removed_at       INTEGER
);
CREATE INDEX survey_questions_tenant ON survey_questions (tenant_id, position);

-- number: the score (rating, nps, a category's rating) or the option's index (choice,
-- multi, one row per option picked); text: the option's label as it was, the category,
-- or the free text.
CREATE TABLE survey_answers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    response_id  INTEGER NOT NULL REFERENCES survey_responses(id) ON DELETE CASCADE,
    question_id  INTEGER NOT NULL REFERENCES survey_questions(id) ON DELETE CASCADE,
    number       INTEGER,
    text         TEXT
);
CREATE INDEX survey_answers_response ON survey_answers (response_id);
CREATE INDEX survey_answers_question ON survey_answers (question_id);
