//! Customers as CSV: the export (the whole list, or what the search finds) and the
//! import form's result page. Parsing and storing live in `crm::customers_csv`.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use crm::customers::{self, PageQuery};
use crm::customers_csv::{self, BOM, EXPORT_HEADER, FileError, Reason};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use crate::customers::ListQuery;
use crate::guard::{Ctx, PageResult};
use crate::i18n::Texts;
use crate::view::{self, Frame};
use crate::{PanelState, i18n, multipart};

/// The export walks the list by keyset pages of this size.
const EXPORT_PAGE: i64 = 200;

/// `GET /panel/customers.csv?q=`: UTF-8 with a BOM, so Excel shows Persian names.
/// Streamed a keyset page at a time, so a million customers never sit in memory.
pub async fn export(
    State(state): State<PanelState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let head = customers_csv::line(&EXPORT_HEADER);
    let (store, tenant, zone) = (state.store.clone(), ctx.tenant.clone(), view::zone(&ctx));
    Ok(paged_download("customers.csv", head, move |after| {
        let (store, tenant, zone) = (store.clone(), tenant.clone(), zone.clone());
        let query = PageQuery {
            search: Some(query.q.clone()),
            after,
            limit: EXPORT_PAGE,
        };
        async move {
            let page = customers::page(&store, &tenant, &query).await?;
            let lines = page
                .customers
                .iter()
                .map(|c| customers_csv::export_line(c, &zone))
                .collect();
            Ok((lines, page.next))
        }
    }))
}

/// A CSV download (a BOM, `head`, then the pages) streamed a keyset page at a time:
/// `page(after)` gives a page's lines and where the next one starts, `None` after the
/// last. A page that fails ends the download unfinished, so the browser reports it.
pub(crate) fn paged_download<F, Fut>(name: &str, head: String, page: F) -> axum::response::Response
where
    F: Fn(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(String, Option<String>), crm::Error>> + Send + 'static,
{
    // `Some(after)` while there is a page to read.
    let pages = stream::unfold(Some(None), move |at: Option<Option<String>>| {
        let next = at.map(&page);
        async move {
            match next?.await {
                Ok((lines, after)) => Some((Ok(lines), after.map(Some))),
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed");
                    Some((Err(e), None))
                }
            }
        }
    });
    let head = stream::once(async move { Ok::<_, crm::Error>(format!("{BOM}{head}")) });
    download(name, Body::from_stream(head.chain(pages)))
}

/// A CSV file the browser saves as `name`.
pub(crate) fn download(name: &str, body: impl Into<Body>) -> axum::response::Response {
    view::attachment("text/csv; charset=utf-8", name, body)
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

/// The CSV text of the import form: pasted (`csv`), or the uploaded file (`file`,
/// multipart). `Err` is why there is none to read.
fn sent_text(headers: &HeaderMap, body: &[u8], t: &'static Texts) -> Result<String, &'static str> {
    let upload = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(multipart::boundary);
    let Some(boundary) = upload else {
        let form: ImportForm = serde_urlencoded::from_bytes(body).map_err(|_| t.import_empty)?;
        return Ok(form.csv);
    };
    let file = multipart::parse(body, &boundary)
        .and_then(|parts| parts.into_iter().find(|p| p.name == "file"))
        .ok_or(t.import_empty)?;
    // Excel's "CSV UTF-8" is UTF-8; its older "CSV" is the Windows code page.
    String::from_utf8(file.data.to_vec()).map_err(|_| t.import_not_utf8)
}

/// `POST /panel/customers/import`: one transaction, one audit entry, a result page.
pub async fn import(
    State(state): State<PanelState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let f = Frame::tenant(&ctx, t.import_result, "/customers");
    let refused = |f: Frame, error: &'static str| {
        Ok(ResultPage {
            f,
            error: Some(error),
            counts: None,
            rejected: Vec::new(),
        }
        .into_response())
    };
    let text = match sent_text(&headers, &body, t) {
        Ok(text) => text,
        Err(error) => return refused(f, error),
    };
    let parsed = match customers_csv::parse(&text) {
        Ok(parsed) => parsed,
        Err(FileError::Empty) => return refused(f, t.import_empty),
        Err(FileError::NoPhoneColumn) => return refused(f, t.import_no_phone_column),
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
