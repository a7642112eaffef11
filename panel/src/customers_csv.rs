//! Customers as CSV: the export (the whole list, or what the search finds) and the
//! import form's result page. Parsing and storing live in `crm::customers_csv`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use crm::customers::{self, PageQuery};
use crm::customers_csv::{self, BOM, EXPORT_HEADER, FileError, Reason};
use serde::Deserialize;

use crate::customers::ListQuery;
use crate::guard::{Ctx, PageResult};
use crate::view::{self, Frame};
use crate::{PanelState, i18n};

/// The export walks the list by keyset pages of this size.
const EXPORT_PAGE: i64 = 200;

/// `GET /panel/customers.csv?q=`: UTF-8 with a BOM, so Excel shows Persian names.
pub async fn export(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let zone = view::zone(&ctx);
    let mut body = String::from(BOM);
    body.push_str(&customers_csv::line(&EXPORT_HEADER));
    let mut after = None;
    loop {
        let page = customers::page(
            &state.store,
            &ctx.tenant,
            &PageQuery {
                search: Some(query.q.clone()),
                after,
                limit: EXPORT_PAGE,
            },
        )
        .await?;
        for c in &page.customers {
            body.push_str(&customers_csv::export_line(c, &zone));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(download("customers.csv", body))
}

/// A CSV file the browser saves as `name`.
pub(crate) fn download(name: &str, body: String) -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
}

pub struct RejectedRow {
    line: String,
    phone: String,
    reason: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "customers_import.html")]
struct ResultPage {
    f: Frame,
    error: Option<&'static str>,
    /// Added, merged, rejected.
    counts: Option<(String, String, String)>,
    rejected: Vec<RejectedRow>,
}

/// `POST /panel/customers/import`: one transaction, one audit entry, a result page.
pub async fn import(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(form): Form<ImportForm>,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let f = Frame::tenant(&ctx, t.import_result, "/customers");
    let parsed = match customers_csv::parse(&form.csv) {
        Ok(parsed) => parsed,
        Err(e) => {
            let error = match e {
                FileError::Empty => t.import_empty,
                FileError::NoPhoneColumn => t.import_no_phone_column,
            };
            return Ok(ResultPage {
                f,
                error: Some(error),
                counts: None,
                rejected: Vec::new(),
            }
            .into_response());
        }
    };
    let outcome = customers_csv::import(&state.store, &ctx.tenant, parsed, ctx.actor()).await?;
    let num = |n: u64| view::num(locale, i64::try_from(n).unwrap_or(i64::MAX));
    let rejected = outcome
        .rejected
        .iter()
        .map(|r| RejectedRow {
            line: num(r.line as u64),
            phone: r.phone.clone(),
            reason: match r.reason {
                Reason::MissingPhone => t.reason_missing_phone,
                Reason::BadPhone => t.reason_bad_phone,
                Reason::UnclosedQuote => t.reason_unclosed_quote,
            },
        })
        .collect();
    Ok(ResultPage {
        f,
        error: None,
        counts: Some((
            num(outcome.added),
            num(outcome.merged),
            num(outcome.rejected.len() as u64),
        )),
        rejected,
    }
    .into_response())
}
