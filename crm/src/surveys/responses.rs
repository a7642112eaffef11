//! Answers (one per link) and the tenant's report: participation, CSAT, NPS.

use super::{invitations, score};
use sqlx::AssertSqlSafe;

use crate::branches::Scope;
use crate::error::{Error, Result, conflict_if_unique};
use crate::store::Store;
use crate::tenants::Tenant;

/// Longest comment kept.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// What the customer answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Overall satisfaction, 1 to 5.
    pub rating: i64,
    /// "Would you recommend us?", 0 to 10, if answered.
    pub nps: Option<i64>,
    pub comment: Option<String>,
    /// (`invoice_items.id`, 1 to 5) for the items they rated.
    pub items: Vec<(i64, i64)>,
    /// (question id, reply) to the "precision" questions; ignored without the add-on.
    pub questions: Vec<(i64, super::questions::Reply)>,
}

impl Answer {
    fn validate(&self, page: &invitations::SurveyPage) -> Result<()> {
        if !(1..=5).contains(&self.rating) {
            return Err(Error::invalid("the rating must be 1 to 5 stars"));
        }
        if self.nps.is_some_and(|n| !(0..=10).contains(&n)) {
            return Err(Error::invalid("the recommendation score must be 0 to 10"));
        }
        if let Some(c) = &self.comment {
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(Error::invalid(format!(
                    "the comment may have at most {MAX_COMMENT_CHARS} characters"
                )));
            }
            if c.chars()
                .any(|ch| ch.is_control() && ch != '\n' && ch != '\r')
            {
                return Err(Error::invalid("the comment contains control characters"));
            }
        }
        for (i, &(item, rating)) in self.items.iter().enumerate() {
            if !page.items.iter().any(|it| it.id == item) {
                return Err(Error::invalid(format!(
                    "item #{item} is not on this invoice"
                )));
            }
            if self.items[..i].iter().any(|&(other, _)| other == item) {
                return Err(Error::invalid(format!("item #{item} is rated twice")));
            }
            if !(1..=5).contains(&rating) {
                return Err(Error::invalid("item ratings must be 1 to 5 stars"));
            }
        }
        let problems = super::questions::check(
            &page.questions,
            &page.categories,
            Some(self.rating),
            &self.questions,
        );
        if let Some(&(id, problem)) = problems.first() {
            return Err(Error::invalid(format!(
                "question #{id}: {}",
                problem.message()
            )));
        }
        Ok(())
    }
}

use invitations::ANSWERED;

/// Stores the answer to the survey behind `token`; returns the response id. `NotFound`
/// for an unknown token, `Conflict` if it was answered already (the database holds one
/// response per invitation even against concurrent posts).
pub async fn answer(store: &Store, token: &str, answer: &Answer, now: i64) -> Result<i64> {
    let mut tx = store.begin().await?;
    let page = invitations::unanswered_in(&mut tx, token, now).await?;
    answer.validate(&page)?;
    let comment = answer
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO survey_responses (tenant_id, invitation_id, rating, nps, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(page.tenant.id)
    .bind(page.invitation_id)
    .bind(answer.rating)
    .bind(answer.nps.or_else(|| {
        super::questions::nps_of(
            &page.questions,
            &page.categories,
            answer.rating,
            &answer.questions,
        )
    }))
    .bind(comment)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| conflict_if_unique(e, || ANSWERED.into()))?;
    for &(item, rating) in &answer.items {
        sqlx::query(
            "INSERT INTO survey_item_ratings (response_id, invoice_item_id, rating) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(item)
        .bind(rating)
        .execute(&mut *tx)
        .await?;
    }
    super::questions::store_in(
        &mut tx,
        id,
        &page.questions,
        &page.categories,
        answer.rating,
        &answer.questions,
    )
    .await?;
    let s = super::settings::get_in(&mut tx, page.tenant.id).await?;
    let case =
        super::cases::open_if_low_in(&mut tx, &page.tenant, &s, id, answer.rating, now).await?;
    let reply =
        super::replies::send_in(&mut tx, &page.tenant, &s, page.invitation_id, answer.rating)
            .await?;
    if let (Some(case), Some(sms)) = (case, reply) {
        super::cases::record_in(&mut tx, case, "reply", Some(sms), None, now).await?;
    }
    sqlx::query(
        "UPDATE survey_invitations SET answered_at = $2, opened_at = COALESCE(opened_at, $2), \
             next_send_at = NULL WHERE id = $1",
    )
    .bind(page.invitation_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    crate::sms::wakeup().notify_one();
    Ok(id)
}

/// A tenant's survey figures for invitations created in `[since, until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Invitations queued, sent (at least one SMS), opened, answered.
    pub queued: i64,
    pub invited: i64,
    pub opened: i64,
    pub answered: i64,
    /// Answered ÷ invited, whole percent.
    pub participation: Option<i64>,
    /// Overall ratings 1..=5: how many of each (index 0 = one star).
    pub ratings: [i64; 5],
    pub csat: Option<i64>,
    pub nps: Option<i64>,
    /// How many answered the 0–10 question.
    pub nps_answers: i64,
}

/// The responses to invitations created in `[$2, $3)` for invoices in `scope`
/// (`r`: response, `i`: invitation, `v`: invoice, plus the extra `joins`): the FROM and
/// WHERE every figure of the report shares, so a branch manager's report counts only
/// their branches.
pub(crate) fn answers_in(scope: &Scope, joins: &str) -> String {
    format!(
        "survey_responses r JOIN survey_invitations i ON i.id = r.invitation_id \
         JOIN invoices v ON v.id = i.invoice_id {joins} \
         WHERE r.tenant_id = $1 AND i.created_at >= $2 AND i.created_at < $3 AND {}",
        scope.condition("v.branch_id")
    )
}

/// `(score, how many)` of `column` (`rating` or `nps`) of the responses in the window.
async fn histogram(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    column: &str,
    since: i64,
    until: i64,
) -> Result<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT r.{column}, CAST(COUNT(*) AS BIGINT) FROM {} AND r.{column} IS NOT NULL \
         GROUP BY r.{column}",
        answers_in(scope, "")
    );
    Ok(sqlx::query_as(AssertSqlSafe(sql))
        .bind(tenant.id)
        .bind(since)
        .bind(until)
        .fetch_all(store.pool())
        .await?)
}

/// Participation and scores of invitations created in `[since, until)` for invoices of
/// the branches in `scope`.
pub async fn report(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    since: i64,
    until: i64,
) -> Result<Report> {
    let (queued, invited, opened, answered): (i64, i64, i64, i64) =
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(i.sent_at) AS BIGINT), \
                    CAST(COUNT(i.opened_at) AS BIGINT), CAST(COUNT(i.answered_at) AS BIGINT) \
             FROM survey_invitations i JOIN invoices v ON v.id = i.invoice_id \
             WHERE i.tenant_id = $1 AND i.created_at >= $2 AND i.created_at < $3 AND {}",
            scope.condition("v.branch_id")
        )))
        .bind(tenant.id)
        .bind(since)
        .bind(until)
        .fetch_one(store.pool())
        .await?;
    let ratings_h = histogram(store, tenant, scope, "rating", since, until).await?;
    let nps_h = histogram(store, tenant, scope, "nps", since, until).await?;
    let mut ratings = [0; 5];
    for &(r, n) in &ratings_h {
        if let Some(slot) = usize::try_from(r - 1).ok().and_then(|i| ratings.get_mut(i)) {
            *slot = n;
        }
    }
    Ok(Report {
        queued,
        invited,
        opened,
        answered,
        participation: (invited > 0).then(|| answered * 100 / invited),
        ratings,
        csat: score::csat(&ratings_h),
        nps: score::nps(&nps_h),
        nps_answers: nps_h.iter().map(|&(_, n)| n).sum(),
    })
}

/// What a breakdown groups satisfaction by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// The invoice's branch: overall ratings and NPS.
    Branch,
    /// The invoice's staff member as the POS named them (empty when it sent none):
    /// overall ratings and NPS.
    Staff,
    /// The invoice line's name: per-item ratings (no NPS).
    Item,
    /// The invoice line's category (empty when the POS sent none): per-item ratings.
    Category,
}

impl Breakdown {
    /// Its name in exports.
    pub fn name(self) -> &'static str {
        match self {
            Breakdown::Branch => "branch",
            Breakdown::Staff => "staff",
            Breakdown::Item => "item",
            Breakdown::Category => "category",
        }
    }
}

/// One group of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupScore {
    pub key: String,
    /// Ratings counted (answers for a branch, item ratings for an item).
    pub ratings: i64,
    /// The mean 1–5 rating in tenths (43 = 4.3).
    pub average: Option<i64>,
    pub csat: Option<i64>,
    pub nps: Option<i64>,
}

impl GroupScore {
    /// The scores of one group from its histograms.
    pub fn of(key: String, ratings: &[(i64, i64)], nps: &[(i64, i64)]) -> GroupScore {
        GroupScore {
            key,
            ratings: ratings.iter().map(|&(_, n)| n).sum(),
            average: score::average_tenths(ratings),
            csat: score::csat(ratings),
            nps: score::nps(nps),
        }
    }
}

/// `(key, score, n)` rows of one breakdown's ratings (and its 0–10 answers when the
/// group is a property of the invoice).
fn breakdown_sql(by: Breakdown, scope: &Scope, nps: bool) -> String {
    let column = if nps { "r.nps" } else { "r.rating" };
    let per_invoice = |key: &str, join: &str| {
        format!(
            "SELECT {key}, {column}, CAST(COUNT(*) AS BIGINT) FROM {} AND {column} IS NOT NULL \
             GROUP BY {key}, {column}",
            answers_in(scope, join)
        )
    };
    let per_item = |key: &str| {
        format!(
            "SELECT {key}, s.rating, CAST(COUNT(*) AS BIGINT) FROM {} GROUP BY {key}, s.rating",
            answers_in(
                scope,
                "JOIN survey_item_ratings s ON s.response_id = r.id \
                 JOIN invoice_items it ON it.id = s.invoice_item_id"
            )
        )
    };
    match by {
        Breakdown::Branch => per_invoice("b.name", "JOIN branches b ON b.id = v.branch_id"),
        Breakdown::Staff => per_invoice("COALESCE(v.staff, '')", ""),
        Breakdown::Item => per_item("it.name"),
        Breakdown::Category => per_item("COALESCE(it.category, '')"),
    }
}

/// `key → [(score, n)]` from `(key, score, n)` rows.
async fn grouped(
    store: &Store,
    tenant: &Tenant,
    sql: String,
    since: i64,
    until: i64,
) -> Result<std::collections::BTreeMap<String, Vec<(i64, i64)>>> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(tenant.id)
        .bind(since)
        .bind(until)
        .fetch_all(store.pool())
        .await?;
    let mut groups = std::collections::BTreeMap::<String, Vec<(i64, i64)>>::new();
    for (key, score, n) in rows {
        groups.entry(key).or_default().push((score, n));
    }
    Ok(groups)
}

/// CSAT and the mean rating (and NPS for branches and staff) per group, for invitations
/// created in `[since, until)` for invoices in `scope`, sorted by name.
pub async fn breakdown(
    store: &Store,
    tenant: &Tenant,
    scope: &Scope,
    by: Breakdown,
    since: i64,
    until: i64,
) -> Result<Vec<GroupScore>> {
    let ratings = grouped(store, tenant, breakdown_sql(by, scope, false), since, until).await?;
    let nps = match by {
        Breakdown::Branch | Breakdown::Staff => {
            grouped(store, tenant, breakdown_sql(by, scope, true), since, until).await?
        }
        Breakdown::Item | Breakdown::Category => Default::default(),
    };
    Ok(ratings
        .into_iter()
        .map(|(key, histogram)| {
            let nps = nps.get(&key).map(Vec::as_slice).unwrap_or_default();
            GroupScore::of(key, &histogram, nps)
        })
        .collect())
}
