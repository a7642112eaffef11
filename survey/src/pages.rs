//! The survey form, the thank-you page, and the pages for used or unknown links.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use crm::Error;
use crm::surveys::questions::{self, Kind, Problem};
use crm::surveys::{self, Answer, SurveyPage};
use crm::ui::Locale;
use portal::csrf;

use crate::SurveyState;
use crate::i18n::{Texts, texts};

struct ItemRow {
    id: i64,
    name: String,
    qty: i64,
    qty_display: String,
    chosen: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "survey.html")]
struct FormPage<'a> {
    t: &'static Texts,
    lang: &'static str,
    dir: &'static str,
    venue: &'a str,
    action: String,
    csrf: &'a str,
    /// (value, label in the page's digits)
    stars: Vec<(i64, String)>,
    scale: Vec<(i64, String)>,
    items: Vec<ItemRow>,
    comment: &'a str,
    /// What was chosen before a refused post (-1 = nothing).
    rating: i64,
    nps: i64,
    error: Option<&'static str>,
    /// The "precision" questions (empty without the add-on).
    questions: Vec<crate::questions::QuestionView>,
    /// The basic 0–10 question, unless the tenant asks its own.
    basic_nps: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    t: &'static Texts,
    lang: &'static str,
    dir: &'static str,
    venue: &'a str,
    heading: &'static str,
    message: &'static str,
    alert: bool,
}

fn locale(tag: Option<&str>) -> Locale {
    tag.and_then(Locale::from_tag).unwrap_or(Locale::Fa)
}

fn message(
    status: StatusCode,
    locale: Locale,
    venue: &str,
    heading: impl Fn(&Texts) -> &'static str,
    text: impl Fn(&Texts) -> &'static str,
    alert: bool,
) -> Response {
    let t = texts(locale);
    let page = MessagePage {
        t,
        lang: locale.tag(),
        dir: locale.dir(),
        venue,
        heading: heading(t),
        message: text(t),
        alert,
    };
    (status, page).into_response()
}

/// The page for a crm error: unknown link, already answered, or a server fault.
fn failure(e: Error, locale: Locale) -> Response {
    match e {
        Error::NotFound(_) => message(
            StatusCode::NOT_FOUND,
            locale,
            "",
            |t| t.unknown_title,
            |t| t.unknown,
            true,
        ),
        Error::Conflict(_) => message(
            StatusCode::CONFLICT,
            locale,
            "",
            |t| t.answered_title,
            |t| t.answered,
            false,
        ),
        e => {
            tracing::warn!(error = %e, "survey page failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                locale,
                "",
                |t| t.title,
                |t| t.server_error,
                true,
            )
        }
    }
}

/// The form; after a refused post, `posted` keeps what the customer had chosen.
fn form(
    page: &SurveyPage,
    token: &str,
    locale: Locale,
    posted: &[(String, String)],
    error: Option<&'static str>,
    problems: &[(i64, Problem)],
) -> Response {
    let t = texts(locale);
    let chosen = |name: &str| {
        field(posted, name)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(-1)
    };
    let csrf_token = csrf::new_token();
    let digits = |n: i64| locale.digits(&n.to_string());
    let body = FormPage {
        t,
        lang: locale.tag(),
        dir: locale.dir(),
        venue: &page.tenant.name,
        action: format!("{}/{token}", crate::PATH_PREFIX),
        csrf: &csrf_token,
        stars: (1..=5).map(|n| (n, digits(n))).collect(),
        scale: (0..=10).map(|n| (n, digits(n))).collect(),
        items: page
            .items
            .iter()
            .map(|i| ItemRow {
                id: i.id,
                name: i.name.clone(),
                qty: i.qty,
                qty_display: digits(i.qty),
                chosen: chosen(&format!("item_{}", i.id)),
            })
            .collect(),
        comment: field(posted, "comment").unwrap_or(""),
        rating: chosen("rating"),
        nps: chosen("nps"),
        error,
        questions: crate::questions::views(
            &page.questions,
            &page.categories,
            posted,
            problems,
            locale,
            t,
        ),
        basic_nps: !page.questions.iter().any(|q| q.kind == Kind::Nps),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = (status, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&csrf::cookie(&csrf_token, crate::PATH_PREFIX)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /s/{token}`: the form, or why there is none.
pub async fn show(
    State(state): State<SurveyState>,
    Path(token): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let locale = locale(field(&query, "lang"));
    match surveys::open(&state.store, &token, crm::clock::now()).await {
        Ok(page) if page.answered => message(
            StatusCode::OK,
            locale,
            &page.tenant.name,
            |t| t.answered_title,
            |t| t.answered,
            false,
        ),
        Ok(page) => form(&page, &token, locale, &[], None, &[]),
        Err(e) => failure(e, locale),
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What was wrong with a posted form, for the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormProblem {
    NeedRating,
    CheckAnswers,
}

impl FormProblem {
    fn text(self, t: &'static Texts) -> &'static str {
        match self {
            FormProblem::NeedRating => t.need_rating,
            FormProblem::CheckAnswers => t.check_answers,
        }
    }
}

/// The answer as posted.
fn parse(pairs: &[(String, String)]) -> Result<Answer, FormProblem> {
    let number = |v: &str| v.trim().parse::<i64>().ok();
    let rating = field(pairs, "rating")
        .and_then(number)
        .ok_or(FormProblem::NeedRating)?;
    let nps = match field(pairs, "nps").map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Some(number(v).ok_or(FormProblem::CheckAnswers)?),
        None => None,
    };
    let mut items = Vec::new();
    for (key, value) in pairs {
        if let Some(id) = key.strip_prefix("item_") {
            let id = number(id).ok_or(FormProblem::CheckAnswers)?;
            items.push((id, number(value).ok_or(FormProblem::CheckAnswers)?));
        }
    }
    Ok(Answer {
        rating,
        nps,
        comment: field(pairs, "comment").map(str::to_string),
        items,
        questions: Vec::new(),
    })
}

/// `POST /s/{token}`: stores the answer once, then thanks.
pub async fn submit(
    State(state): State<SurveyState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let locale = locale(field(&pairs, "lang"));
    let store = &state.store;
    let now = crm::clock::now();
    let page = match surveys::open(store, &token, now).await {
        Ok(page) if page.answered => return failure(Error::Conflict(String::new()), locale),
        Ok(page) => page,
        Err(e) => return failure(e, locale),
    };
    if !csrf::matches(&headers, field(&pairs, "csrf").unwrap_or("")) {
        let expired = Some(texts(locale).expired_form);
        return form(&page, &token, locale, &pairs, expired, &[]);
    }
    let basic = parse(&pairs);
    let (replies, mut problems) =
        crate::questions::parse(&pairs, &page.questions, &page.categories);
    let rating = basic.as_ref().ok().map(|a| a.rating);
    problems.extend(questions::check(
        &page.questions,
        &page.categories,
        rating,
        &replies,
    ));
    let answer = match basic {
        Err(why) => {
            let why = Some(why.text(texts(locale)));
            return form(&page, &token, locale, &pairs, why, &problems);
        }
        Ok(_) if !problems.is_empty() => {
            let why = Some(texts(locale).q_check);
            return form(&page, &token, locale, &pairs, why, &problems);
        }
        Ok(answer) => Answer {
            questions: replies,
            ..answer
        },
    };
    match surveys::answer(store, &token, &answer, now).await {
        Ok(_) => message(
            StatusCode::OK,
            locale,
            &page.tenant.name,
            |t| t.thanks_title,
            |t| t.thanks,
            false,
        ),
        Err(Error::Invalid(_)) => form(
            &page,
            &token,
            locale,
            &pairs,
            Some(texts(locale).check_answers),
            &[],
        ),
        Err(e) => failure(e, locale),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn answers_parse_from_the_form() {
        let a = parse(&pairs(&[
            ("rating", "4"),
            ("nps", "9"),
            ("item_7", "5"),
            ("comment", "ok"),
        ]))
        .unwrap();
        assert_eq!((a.rating, a.nps, a.items), (4, Some(9), vec![(7, 5)]));
        assert!(parse(&pairs(&[("nps", "9")])).is_err());
        assert!(parse(&pairs(&[("rating", "4"), ("item_x", "5")])).is_err());
        assert_eq!(
            parse(&pairs(&[("rating", "1"), ("nps", "")])).unwrap().nps,
            None
        );
    }
}
