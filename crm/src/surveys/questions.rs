//! The "precision" add-on: a tenant's own survey questions, asked after the overall
//! rating — a 1–5 rating, 1–5 per category of the invoice, 0–10, one or several options,
//! free text — each required or optional, and each possibly asked only after a low
//! overall rating ("show if the rating is at most N"). `check` is pure so the page can
//! put each problem next to its question and `responses::answer` refuses the same.

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::audit::{self, Actor};
use crate::branches::Scope;
use crate::clock;
use crate::error::{Error, Result};
use crate::store::{Store, flag};
use crate::tenants::Tenant;
use crate::ui::Locale;

pub const MAX_QUESTIONS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 200;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION_CHARS: usize = 80;
pub const MAX_TEXT_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One 1–5 rating ("how was the service?").
    Rating,
    /// A 1–5 rating for each category of the invoice's items.
    Categories,
    /// 0–10 ("how likely are you to recommend …").
    Nps,
    /// Exactly one of the options.
    Choice,
    /// Any number of the options.
    Multi,
    Text,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Rating,
        Kind::Categories,
        Kind::Nps,
        Kind::Choice,
        Kind::Multi,
        Kind::Text,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Rating => "rating",
            Kind::Categories => "categories",
            Kind::Nps => "nps",
            Kind::Choice => "choice",
            Kind::Multi => "multi",
            Kind::Text => "text",
        }
    }

    pub fn parse(name: &str) -> Result<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown question kind {name:?}: rating, categories, nps, choice, multi or text"
                ))
            })
    }

    pub fn has_options(self) -> bool {
        matches!(self, Kind::Choice | Kind::Multi)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// 0 for one not stored yet.
    pub id: i64,
    pub kind: Kind,
    /// Persian, the survey page's first language (and what reports show).
    pub label: String,
    /// The choices of `Choice` and `Multi`; empty for the others. Answers keep these.
    pub options: Vec<String>,
    /// The English label; empty = English pages show `label`.
    pub label_en: String,
    /// The English options in the order of `options` (all or none); empty = English
    /// pages show `options`.
    pub options_en: Vec<String>,
    pub required: bool,
    /// Asked only when the overall rating is at or below this (1–4); `None` = always.
    pub show_if_at_most: Option<i64>,
}

fn plain(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// Options are 1 to `MAX_OPTION_CHARS` characters on one line, none listed twice.
fn check_options(options: &[String]) -> Result<()> {
    for (i, o) in options.iter().enumerate() {
        let n = o.trim().chars().count();
        if n == 0 || n > MAX_OPTION_CHARS || !plain(o) {
            return Err(Error::invalid(format!(
                "options must be 1 to {MAX_OPTION_CHARS} characters on one line"
            )));
        }
        if options[..i].iter().any(|p| p.trim() == o.trim()) {
            return Err(Error::invalid(format!(
                "the option {:?} is listed twice",
                o.trim()
            )));
        }
    }
    Ok(())
}

impl Question {
    /// Checks a definition; the error names what is wrong.
    pub fn validate(&self) -> Result<()> {
        let n = self.label.trim().chars().count();
        if n == 0 || n > MAX_LABEL_CHARS || !plain(&self.label) {
            return Err(Error::invalid(format!(
                "the question must be 1 to {MAX_LABEL_CHARS} characters on one line"
            )));
        }
        if self.kind.has_options() {
            if !(2..=MAX_OPTIONS).contains(&self.options.len()) {
                return Err(Error::invalid(format!(
                    "a multiple-choice question needs 2 to {MAX_OPTIONS} options"
                )));
            }
            check_options(&self.options)?;
            if !self.options_en.is_empty() {
                if self.options_en.len() != self.options.len() {
                    return Err(Error::invalid(
                        "English options: one for each option, in the same order (or none)",
                    ));
                }
                check_options(&self.options_en)?;
            }
        } else if !self.options.is_empty() || !self.options_en.is_empty() {
            return Err(Error::invalid(
                "only multiple-choice questions (choice, multi) have options",
            ));
        }
        if self.label_en.trim().chars().count() > MAX_LABEL_CHARS || !plain(&self.label_en) {
            return Err(Error::invalid(format!(
                "the English question must be at most {MAX_LABEL_CHARS} characters on one line"
            )));
        }
        if self.show_if_at_most.is_some_and(|n| !(1..=4).contains(&n)) {
            return Err(Error::invalid(
                "\"show if the rating is at most\" must be 1 to 4 stars",
            ));
        }
        Ok(())
    }

    /// The label in `locale`: English when there is one, else the Persian.
    pub fn label_in(&self, locale: Locale) -> &str {
        match locale {
            Locale::En if !self.label_en.trim().is_empty() => &self.label_en,
            _ => &self.label,
        }
    }

    /// Option `i` in `locale`, falling back to the Persian like `label_in`.
    pub fn option_in(&self, i: usize, locale: Locale) -> &str {
        match (locale, self.options_en.get(i)) {
            (Locale::En, Some(en)) => en,
            _ => self.options.get(i).map_or("", String::as_str),
        }
    }

    /// Whether the customer is asked this after giving `rating` overall.
    pub fn shown_for(&self, rating: Option<i64>) -> bool {
        match self.show_if_at_most {
            None => true,
            Some(n) => rating.is_some_and(|r| r <= n),
        }
    }
}

/// The customer's answer to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `Rating` (1–5) or `Nps` (0–10).
    Number(i64),
    /// `Categories`: (category, 1–5).
    Categories(Vec<(String, i64)>),
    /// `Choice`, `Multi`: indexes into the options.
    Choices(Vec<usize>),
    Text(String),
}

impl Reply {
    fn is_empty(&self) -> bool {
        match self {
            Reply::Number(_) => false,
            Reply::Categories(c) => c.is_empty(),
            Reply::Choices(c) => c.is_empty(),
            Reply::Text(t) => t.trim().is_empty(),
        }
    }
}

/// What is wrong with the answer to one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    /// Out of range, an unknown option or category, or the wrong shape.
    Invalid,
    OneOnly,
    TooLong,
}

impl Problem {
    pub fn message(self) -> &'static str {
        match self {
            Problem::Required => "this question must be answered",
            Problem::Invalid => "this answer is not one of the choices",
            Problem::OneOnly => "only one option may be chosen",
            Problem::TooLong => "the text is too long or has control characters",
        }
    }
}

fn check_one(q: &Question, categories: &[String], reply: &Reply) -> Option<Problem> {
    let stars = |n: i64| (1..=5).contains(&n);
    match (q.kind, reply) {
        (Kind::Rating, Reply::Number(n)) => (!stars(*n)).then_some(Problem::Invalid),
        (Kind::Nps, Reply::Number(n)) => (!(0..=10).contains(n)).then_some(Problem::Invalid),
        (Kind::Categories, Reply::Categories(rated)) => {
            let bad = rated.iter().enumerate().any(|(i, (c, n))| {
                !stars(*n) || !categories.contains(c) || rated[..i].iter().any(|(d, _)| d == c)
            });
            if bad {
                Some(Problem::Invalid)
            } else if q.required && rated.len() < categories.len() {
                Some(Problem::Required)
            } else {
                None
            }
        }
        (Kind::Choice | Kind::Multi, Reply::Choices(picked)) => {
            let bad = picked
                .iter()
                .enumerate()
                .any(|(i, &p)| p >= q.options.len() || picked[..i].contains(&p));
            if bad {
                Some(Problem::Invalid)
            } else if q.kind == Kind::Choice && picked.len() > 1 {
                Some(Problem::OneOnly)
            } else {
                None
            }
        }
        (Kind::Text, Reply::Text(t)) => (t.chars().count() > MAX_TEXT_CHARS
            || t.chars().any(|c| c.is_control() && c != '\n' && c != '\r'))
        .then_some(Problem::TooLong),
        _ => Some(Problem::Invalid),
    }
}

/// Whether `q` is asked at all: shown for the rating, and a categories question only
/// when the invoice has categories.
fn asked(q: &Question, categories: &[String], rating: Option<i64>) -> bool {
    q.shown_for(rating) && (q.kind != Kind::Categories || !categories.is_empty())
}

/// Problems with `replies` to `questions` after an overall `rating`, by question id (a
/// reply to a question not asked is dropped by `kept`, not refused: the page's script
/// may have hidden it after it was filled in).
pub fn check(
    questions: &[Question],
    categories: &[String],
    rating: Option<i64>,
    replies: &[(i64, Reply)],
) -> Vec<(i64, Problem)> {
    let mut problems = Vec::new();
    for (i, (id, _)) in replies.iter().enumerate() {
        if !questions.iter().any(|q| q.id == *id) || replies[..i].iter().any(|(o, _)| o == id) {
            problems.push((*id, Problem::Invalid));
        }
    }
    for q in questions.iter().filter(|q| asked(q, categories, rating)) {
        let reply = replies
            .iter()
            .find(|(id, _)| *id == q.id)
            .map(|(_, r)| r)
            .filter(|r| !r.is_empty());
        let problem = match reply {
            None => q.required.then_some(Problem::Required),
            Some(r) => check_one(q, categories, r),
        };
        if let Some(p) = problem {
            problems.push((q.id, p));
        }
    }
    problems
}

/// The replies worth storing: to questions asked, not empty.
fn kept<'a>(
    questions: &'a [Question],
    categories: &[String],
    rating: i64,
    replies: &'a [(i64, Reply)],
) -> impl Iterator<Item = (&'a Question, &'a Reply)> {
    let asked: Vec<&Question> = questions
        .iter()
        .filter(|q| asked(q, categories, Some(rating)))
        .collect();
    replies.iter().filter_map(move |(id, r)| {
        let q = asked.iter().find(|q| q.id == *id)?;
        (!r.is_empty()).then_some((*q, r))
    })
}

/// The answer to the first 0–10 question, which stands for the response's NPS when the
/// tenant asks it as a precision question (the basic one is then left out).
pub(crate) fn nps_of(
    questions: &[Question],
    categories: &[String],
    rating: i64,
    replies: &[(i64, Reply)],
) -> Option<i64> {
    kept(questions, categories, rating, replies).find_map(|(q, r)| match (q.kind, r) {
        (Kind::Nps, Reply::Number(n)) => Some(*n),
        _ => None,
    })
}

/// Stores the checked replies of response `response_id`: one row per part (a category,
/// an option picked). The caller has run `check` and holds the response's transaction.
pub(crate) async fn store_in(
    conn: &mut AnyConnection,
    response_id: i64,
    questions: &[Question],
    categories: &[String],
    rating: i64,
    replies: &[(i64, Reply)],
) -> Result<()> {
    for (q, reply) in kept(questions, categories, rating, replies) {
        let rows: Vec<(Option<i64>, Option<String>)> = match reply {
            Reply::Number(n) => vec![(Some(*n), None)],
            Reply::Categories(rated) => rated
                .iter()
                .map(|(c, n)| (Some(*n), Some(c.clone())))
                .collect(),
            Reply::Choices(picked) => picked
                .iter()
                .map(|&p| (i64::try_from(p).ok(), Some(q.options[p].trim().to_string())))
                .collect(),
            Reply::Text(t) => vec![(None, Some(t.trim().to_string()))],
        };
        for (number, text) in rows {
            sqlx::query(
                "INSERT INTO survey_answers (response_id, question_id, number, text) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(response_id)
            .bind(q.id)
            .bind(number)
            .bind(text)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Options stored one a line.
fn lines_of(text: &str) -> Vec<String> {
    text.lines()
        .filter(|o| !o.is_empty())
        .map(str::to_string)
        .collect()
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Question> {
    Ok(Question {
        id: r.try_get("id")?,
        kind: Kind::parse(&r.try_get::<String, _>("kind")?)?,
        label: r.try_get("label")?,
        options: lines_of(&r.try_get::<String, _>("options")?),
        label_en: r.try_get("label_en")?,
        options_en: lines_of(&r.try_get::<String, _>("options_en")?),
        required: flag(r, "required")?,
        show_if_at_most: r.try_get("show_if_at_most")?,
    })
}

/// The tenant's questions in the order asked.
pub async fn list(store: &Store, tenant: &Tenant) -> Result<Vec<Question>> {
    let mut conn = store.pool().acquire().await?;
    list_in(&mut conn, tenant.id).await
}

pub(crate) async fn list_in(conn: &mut AnyConnection, tenant_id: i64) -> Result<Vec<Question>> {
    sqlx::query(
        "SELECT id, kind, label, options, label_en, options_en, required, show_if_at_most \
         FROM survey_questions \
         WHERE tenant_id = $1 AND removed_at IS NULL ORDER BY position, id",
    )
    .bind(tenant_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

fn as_json(q: &Question) -> serde_json::Value {
    serde_json::json!({
        "kind": q.kind.name(),
        "label": q.label.trim(),
        "options": q.options.iter().map(|o| o.trim()).collect::<Vec<_>>(),
        "label_en": q.label_en.trim(),
        "options_en": q.options_en.iter().map(|o| o.trim()).collect::<Vec<_>>(),
        "required": q.required,
        "show_if_at_most": q.show_if_at_most,
    })
}

/// The audit entry of a change to question `id`, in the change's transaction.
async fn audit_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    actor: Actor,
    action: &str,
    id: i64,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    let change = audit::Change {
        tenant_id: Some(tenant.id),
        action,
        entity: "survey_question",
        entity_id: Some(id),
        before,
        after,
    };
    audit::record(&mut *conn, actor, &change).await
}

async fn one_in(conn: &mut AnyConnection, tenant: &Tenant, id: i64) -> Result<Question> {
    list_in(conn, tenant.id)
        .await?
        .into_iter()
        .find(|q| q.id == id)
        .ok_or_else(|| not_found(id))
}

/// Options as stored: trimmed, one a line.
fn options_text(options: &[String]) -> String {
    options
        .iter()
        .map(|o| o.trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Adds a question at the end (audited); returns its id.
pub async fn add(store: &Store, tenant: &Tenant, q: &Question, actor: Actor) -> Result<i64> {
    q.validate()?;
    let mut tx = store.begin().await?;
    super::settings::write_lock_in(&mut tx, tenant.id).await?;
    let (count, last): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(MAX(position), 0) AS BIGINT) \
         FROM survey_questions WHERE tenant_id = $1 AND removed_at IS NULL",
    )
    .bind(tenant.id)
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_QUESTIONS as i64 {
        return Err(Error::invalid(format!(
            "at most {MAX_QUESTIONS} questions per survey"
        )));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO survey_questions (tenant_id, position, kind, label, options, required, \
             show_if_at_most, created_at, label_en, options_en) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(tenant.id)
    .bind(last + 1)
    .bind(q.kind.name())
    .bind(q.label.trim())
    .bind(options_text(&q.options))
    .bind(q.required)
    .bind(q.show_if_at_most)
    .bind(clock::now())
    .bind(q.label_en.trim())
    .bind(options_text(&q.options_en))
    .fetch_one(&mut *tx)
    .await?;
    audit_in(
        &mut tx,
        tenant,
        actor,
        "survey.question_add",
        id,
        None,
        Some(as_json(q)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("question #{id}"))
}

/// Replaces question `id` of the tenant (earlier answers keep the option labels they
/// had), audited.
pub async fn update(
    store: &Store,
    tenant: &Tenant,
    id: i64,
    q: &Question,
    actor: Actor,
) -> Result<()> {
    q.validate()?;
    let mut tx = store.begin().await?;
    super::settings::write_lock_in(&mut tx, tenant.id).await?;
    let before = one_in(&mut tx, tenant, id).await?;
    sqlx::query(
        "UPDATE survey_questions SET kind = $3, label = $4, options = $5, required = $6, \
             show_if_at_most = $7, label_en = $8, options_en = $9 \
         WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(q.kind.name())
    .bind(q.label.trim())
    .bind(options_text(&q.options))
    .bind(q.required)
    .bind(q.show_if_at_most)
    .bind(q.label_en.trim())
    .bind(options_text(&q.options_en))
    .execute(&mut *tx)
    .await?;
    let (before, after) = audit::changed(&as_json(&before), &as_json(q));
    audit_in(
        &mut tx,
        tenant,
        actor,
        "survey.question_edit",
        id,
        Some(before),
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Stops asking question `id` (audited); its answers stay in the case pages and reports.
pub async fn remove(store: &Store, tenant: &Tenant, id: i64, actor: Actor) -> Result<()> {
    let mut tx = store.begin().await?;
    super::settings::write_lock_in(&mut tx, tenant.id).await?;
    let before = one_in(&mut tx, tenant, id).await?;
    sqlx::query(
        "UPDATE survey_questions SET removed_at = $3 \
         WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL",
    )
    .bind(tenant.id)
    .bind(id)
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    audit_in(
        &mut tx,
        tenant,
        actor,
        "survey.question_remove",
        id,
        Some(as_json(&before)),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves question `id` one place earlier (`up`) or later; a no-op at either end.
pub async fn shift(store: &Store, tenant: &Tenant, id: i64, up: bool, actor: Actor) -> Result<()> {
    let mut tx = store.begin().await?;
    super::settings::write_lock_in(&mut tx, tenant.id).await?;
    let mut ids: Vec<i64> = list_in(&mut tx, tenant.id)
        .await?
        .into_iter()
        .map(|q| q.id)
        .collect();
    let at = ids
        .iter()
        .position(|&q| q == id)
        .ok_or_else(|| not_found(id))?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.filter(|&o| o < ids.len()) else {
        return Ok(());
    };
    ids.swap(at, other);
    for (position, qid) in ids.iter().enumerate() {
        sqlx::query("UPDATE survey_questions SET position = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.id)
            .bind(qid)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
    }
    let order = |ids: &[i64]| serde_json::json!({ "order": ids });
    let mut before = ids.clone();
    before.swap(at, other);
    audit_in(
        &mut tx,
        tenant,
        actor,
        "survey.question_move",
        id,
        Some(order(&before)),
        Some(order(&ids)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One part of an answer as stored: the score or option index, and the option label,
/// category or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub number: Option<i64>,
    pub text: Option<String>,
}

/// The answer to one question, for the case page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub label: String,
    pub kind: Kind,
    pub parts: Vec<Part>,
    pub english: English,
}

/// A question's English wording beside its Persian: answers are stored with the
/// Persian option, so an English page looks each one up here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct English {
    pub label: String,
    /// (Persian option, English option)
    pub options: Vec<(String, String)>,
}

impl English {
    fn of(label_en: &str, options: &[String], options_en: &[String]) -> English {
        English {
            label: label_en.trim().to_string(),
            options: options
                .iter()
                .cloned()
                .zip(options_en.iter().cloned())
                .collect(),
        }
    }

    /// The question's label in `locale`: English when there is one, else `persian`.
    pub fn label_in<'a>(&'a self, persian: &'a str, locale: Locale) -> &'a str {
        match locale {
            Locale::En if !self.label.is_empty() => &self.label,
            _ => persian,
        }
    }

    /// A stored option in `locale`: its English when the question has one, else as
    /// stored (also an option since renamed).
    pub fn option_in<'a>(&'a self, stored: &'a str, locale: Locale) -> &'a str {
        match locale {
            Locale::En => self
                .options
                .iter()
                .find(|(fa, _)| fa == stored)
                .map_or(stored, |(_, en)| en),
            Locale::Fa => stored,
        }
    }
}

/// The precision answers of a response, in the questions' order.
pub async fn answers_of(store: &Store, response_id: i64) -> Result<Vec<Answered>> {
    let rows = sqlx::query(
        "SELECT q.id, q.kind, q.label, q.label_en, q.options, q.options_en, a.number, a.text \
         FROM survey_answers a \
         JOIN survey_questions q ON q.id = a.question_id \
         WHERE a.response_id = $1 ORDER BY q.position, q.id, a.id",
    )
    .bind(response_id)
    .fetch_all(store.pool())
    .await?;
    let mut out: Vec<(i64, Answered)> = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let part = Part {
            number: r.try_get("number")?,
            text: r.try_get("text")?,
        };
        match out.last_mut() {
            Some((last, a)) if *last == id => a.parts.push(part),
            _ => out.push((
                id,
                Answered {
                    label: r.try_get("label")?,
                    kind: Kind::parse(&r.try_get::<String, _>("kind")?)?,
                    parts: vec![part],
                    english: English::of(
                        &r.try_get::<String, _>("label_en")?,
                        &lines_of(&r.try_get::<String, _>("options")?),
                        &lines_of(&r.try_get::<String, _>("options_en")?),
                    ),
                },
            )),
        }
    }
    Ok(out.into_iter().map(|(_, a)| a).collect())
}

/// How the answers to one multiple-choice question split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceShare {
    pub label: String,
    pub multi: bool,
    /// Responses that picked at least one option.
    pub answered: i64,
    /// (option, responses that picked it, whole percent of `answered`): the current
    /// options first, then labels only earlier answers have.
    pub options: Vec<(String, i64, Option<i64>)>,
    pub english: English,
}

/// Option shares of the tenant's multiple-choice questions for invitations created in
/// `[since, until)`.
pub async fn choice_shares(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    since: i64,
    until: i64,
) -> Result<Vec<ChoiceShare>> {
    let questions = list(store, tenant).await?;
    let answers =
        super::responses::answers_in(scope, "JOIN survey_answers a ON a.response_id = r.id");
    let counts: Vec<(i64, String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT a.question_id, COALESCE(a.text, ''), CAST(COUNT(*) AS BIGINT) \
         FROM {answers} GROUP BY a.question_id, COALESCE(a.text, '')"
    )))
    .bind(tenant.id)
    .bind(since)
    .bind(until)
    .fetch_all(store.pool())
    .await?;
    let answered: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT a.question_id, CAST(COUNT(DISTINCT a.response_id) AS BIGINT) \
         FROM {answers} GROUP BY a.question_id"
    )))
    .bind(tenant.id)
    .bind(since)
    .bind(until)
    .fetch_all(store.pool())
    .await?;
    Ok(questions
        .into_iter()
        .filter(|q| q.kind.has_options())
        .map(|q| {
            let total = answered
                .iter()
                .find(|(id, _)| *id == q.id)
                .map_or(0, |&(_, n)| n);
            let mine: Vec<&(i64, String, i64)> =
                counts.iter().filter(|(id, _, _)| *id == q.id).collect();
            let count_of = |label: &str| mine.iter().find(|c| c.1 == label).map_or(0, |c| c.2);
            let share = |n: i64| (total > 0).then(|| super::score::percent(n, total));
            let mut options: Vec<(String, i64, Option<i64>)> = q
                .options
                .iter()
                .map(|o| (o.clone(), count_of(o), share(count_of(o))))
                .collect();
            for c in &mine {
                if !q.options.contains(&c.1) {
                    options.push((c.1.clone(), c.2, share(c.2)));
                }
            }
            ChoiceShare {
                english: English::of(&q.label_en, &q.options, &q.options_en),
                label: q.label,
                multi: q.kind == Kind::Multi,
                answered: total,
                options,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i64, kind: Kind, required: bool, show_if: Option<i64>) -> Question {
        Question {
            id,
            kind,
            label: format!("q{id}"),
            options: if kind.has_options() {
                vec!["a".into(), "b".into(), "c".into()]
            } else {
                vec![]
            },
            label_en: String::new(),
            options_en: vec![],
            required,
            show_if_at_most: show_if,
        }
    }

    #[test]
    fn english_labels_are_optional_and_fall_back_to_persian() {
        let mut c = q(0, Kind::Choice, false, None);
        assert_eq!(c.label_in(Locale::En), "q0");
        assert_eq!(c.option_in(1, Locale::En), "b");
        c.label_en = "Why?".into();
        c.options_en = vec!["A".into(), "B".into(), "C".into()];
        assert!(c.validate().is_ok());
        assert_eq!(
            (c.label_in(Locale::En), c.label_in(Locale::Fa)),
            ("Why?", "q0")
        );
        assert_eq!(
            (c.option_in(1, Locale::En), c.option_in(1, Locale::Fa)),
            ("B", "b")
        );
        // All options or none; each like an option; only on multiple-choice questions.
        c.options_en.pop();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("one for each option")
        );
        c.options_en = vec!["A".into(), "A".into(), "C".into()];
        assert!(c.validate().is_err());
        let mut t = q(0, Kind::Text, false, None);
        t.options_en = vec!["A".into()];
        assert!(t.validate().is_err());
        t.options_en.clear();
        t.label_en = "x".repeat(201);
        assert!(t.validate().is_err());
        t.label_en = "two\nlines".into();
        assert!(t.validate().is_err());
    }

    #[test]
    fn definitions_are_checked() {
        assert!(q(0, Kind::Choice, true, Some(2)).validate().is_ok());
        let mut bad = q(0, Kind::Choice, true, None);
        bad.options = vec!["a".into()];
        assert!(bad.validate().is_err());
        bad.options = vec!["a".into(), " a ".into()];
        assert!(bad.validate().is_err());
        let mut text = q(0, Kind::Text, false, None);
        text.options = vec!["x".into(), "y".into()];
        assert!(text.validate().is_err());
        assert!(q(0, Kind::Nps, false, Some(5)).validate().is_err());
        let mut empty = q(0, Kind::Rating, false, None);
        empty.label = "  ".into();
        assert!(empty.validate().is_err());
        assert!(Kind::parse("multi").is_ok() && Kind::parse("x").is_err());
    }

    #[test]
    fn answers_are_checked_per_question_and_branch() {
        let qs = vec![
            q(1, Kind::Nps, true, None),
            q(2, Kind::Choice, false, None),
            q(3, Kind::Multi, true, Some(2)),
            q(4, Kind::Categories, true, None),
        ];
        let cats = vec!["Drinks".to_string()];
        // Happy customer: the branch question is not asked, so not required.
        let ok = vec![
            (1, Reply::Number(9)),
            (4, Reply::Categories(vec![("Drinks".into(), 5)])),
        ];
        assert!(check(&qs, &cats, Some(5), &ok).is_empty());
        // Unhappy: it is.
        assert_eq!(
            check(&qs, &cats, Some(2), &ok),
            vec![(3, Problem::Required)]
        );
        let bad = vec![
            (1, Reply::Number(11)),
            (2, Reply::Choices(vec![0, 1])),
            (3, Reply::Choices(vec![7])),
            (9, Reply::Number(1)),
        ];
        assert_eq!(
            check(&qs, &cats, Some(1), &bad),
            vec![
                (9, Problem::Invalid),
                (1, Problem::Invalid),
                (2, Problem::OneOnly),
                (3, Problem::Invalid),
                (4, Problem::Required),
            ]
        );
        // No categories on the invoice: the categories question is not asked.
        assert!(check(&qs, &[], Some(5), &ok[..1]).is_empty());
        // A reply to a question hidden by its branch is dropped, not stored.
        let hidden = vec![(3, Reply::Choices(vec![0]))];
        assert_eq!(kept(&qs, &cats, 5, &hidden).count(), 0);
        assert_eq!(kept(&qs, &cats, 1, &hidden).count(), 1);
    }
}
