//! The customer club: members and credit at a glance with the open fraud flags (clear
//! one, with a reason), a customer's balance and ledger, manual credit, and the member's
//! birthday and marketing consent (on their word, `edit_customers`). Everything
//! goes through `crm::club` and `crm::ledger`, so the per-staff daily cap and the fraud
//! rules apply here as at the counter; ids are looked up in the current tenant.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use crm::club::{self, fraud, manual};
use crm::ledger::{self, EntryKind};
use crm::roles::Permission;
use crm::ui::Locale;
use crm::{customers, phone::Phone};
use serde::Deserialize;

use crate::guard::{Ctx, Fail, PageResult};
use crate::view::{self, Frame};
use crate::{BASE, PanelState, i18n};

/// Newest entries shown on a customer's ledger page.
const ENTRIES: i64 = 200;

/// Rials in the page's digits, with the unit.
pub(crate) fn rials(locale: Locale, amount: i64) -> String {
    format!(
        "{} {}",
        view::num(locale, amount),
        i18n::texts(locale).rials
    )
}

/// Who a fraud flag or decision is about, for people.
pub(crate) fn subject(locale: Locale, kind: &str, id: i64) -> String {
    let t = i18n::texts(locale);
    let who = if kind == "staff" {
        t.flag_staff
    } else {
        t.flag_customer
    };
    format!("{who} #{}", view::num(locale, id))
}

pub struct FlagRow {
    id: i64,
    subject: String,
    rule: String,
    blocked: bool,
    reason: String,
    since: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "club.html")]
struct ClubPage {
    f: Frame,
    members: String,
    outstanding: String,
    pending: String,
    open_flags: String,
    flags: Vec<FlagRow>,
    can_clear: bool,
    /// The club's other pages this person may open: (label, href).
    links: Vec<(&'static str, String)>,
    error: Option<String>,
}

async fn render_club(state: &PanelState, ctx: &Ctx, error: Option<String>) -> PageResult {
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    let now = crm::clock::now();
    let totals = club::totals(&state.store, &ctx.tenant, now).await?;
    let flags: Vec<FlagRow> = fraud::flags(&state.store, &ctx.tenant, true)
        .await?
        .into_iter()
        .map(|f| FlagRow {
            id: f.id,
            subject: subject(locale, &f.subject_kind, f.subject_id),
            rule: f.rule,
            blocked: f.state == "blocked",
            reason: f.reason,
            since: view::moment(locale, &zone, f.created_at),
        })
        .collect();
    Ok(ClubPage {
        f: Frame::tenant(ctx, t.club_title, "/club"),
        members: view::num(locale, totals.members),
        outstanding: rials(locale, totals.outstanding),
        pending: rials(locale, totals.pending),
        open_flags: view::num(locale, flags.len() as i64),
        flags,
        can_clear: ctx.can(Permission::ClearFraudFlags),
        links: [
            (t.members_link, "/club/members", Permission::ViewClub),
            (
                t.club_settings_link,
                "/club/settings",
                Permission::EditClubSettings,
            ),
            (t.coupons_title, "/coupons", Permission::ManageCoupons),
            (
                t.decisions_title,
                "/club/decisions",
                Permission::ClearFraudFlags,
            ),
            (t.reports_title, "/reports", Permission::ViewReports),
        ]
        .into_iter()
        .filter(|(_, _, p)| ctx.can(*p))
        .map(|(label, path, _)| (label, format!("{BASE}{path}")))
        .collect(),
        error,
    }
    .into_response())
}

/// `GET /panel/club`.
pub async fn page(State(state): State<PanelState>, ctx: Ctx) -> PageResult {
    render_club(&state, &ctx, None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ClearForm {
    #[serde(default)]
    reason: String,
}

/// `POST /panel/club/flags/{id}/clear`. Clearing a flag that is already cleared (a
/// second click) is done, not an error; another tenant's flag is not found.
pub async fn clear_flag(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ClearForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let store = &state.store;
    match fraud::clear(
        store,
        &ctx.tenant,
        id,
        ctx.staff(),
        &form.reason,
        crm::clock::now(),
    )
    .await
    {
        Ok(()) => {}
        Err(crm::Error::Invalid(_)) => {
            return render_club(&state, &ctx, Some(t.clear_reason_needed.to_string())).await;
        }
        Err(crm::Error::NotFound(_)) => {
            let ours = fraud::flags(store, &ctx.tenant, false).await?;
            if !ours.iter().any(|f| f.id == id) {
                return Err(Fail::NotFound);
            }
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("{BASE}/club")).into_response())
}

pub struct EntryRow {
    when: String,
    kind: &'static str,
    amount: String,
    negative: bool,
    reason: String,
    actor: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "ledger.html")]
struct LedgerPage {
    f: Frame,
    id: i64,
    phone: String,
    member: bool,
    spendable: String,
    pending: String,
    next_expiry: Option<String>,
    entries: Vec<EntryRow>,
    can_credit: bool,
    form: CreditForm,
    error: Option<String>,
    /// The member's details form, for those who may edit customers.
    profile: Option<ProfileForm>,
    profile_error: Option<String>,
    /// The stored birthday in the other calendar, under the field.
    birthday_note: Option<String>,
}

/// What the ledger page re-renders with after a refused form.
#[derive(Default)]
struct Typed {
    credit: CreditForm,
    error: Option<String>,
    profile: Option<ProfileForm>,
    profile_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    birthday: String,
    /// A checkbox: present = opted out of marketing SMS.
    #[serde(default)]
    opt_out: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CreditForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

fn kind_name(t: &i18n::Texts, kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Earn => t.entry_earn,
        EntryKind::Manual => t.entry_manual,
        EntryKind::Redeem => t.entry_redeem,
        EntryKind::Expire => t.entry_expire,
        EntryKind::Coupon => t.entry_coupon,
        EntryKind::Reverse => t.entry_reverse,
    }
}

async fn render_ledger(state: &PanelState, ctx: &Ctx, id: i64, typed: Typed) -> PageResult {
    let store = &state.store;
    let locale = ctx.locale();
    let t = i18n::texts(locale);
    let zone = view::zone(ctx);
    let now = crm::clock::now();
    let c = customers::by_id(store, &ctx.tenant, id).await?;
    let details = club::profile::get(store, &ctx.tenant, c.id).await?;
    let member = details.is_some();
    let this_year = zone.day_key(now) / 10_000;
    let birthday_note = details
        .as_ref()
        .and_then(|p| p.birthday.as_deref())
        .map(|b| birthday_note(locale, b, this_year));
    let profile = details
        .filter(|_| ctx.can(Permission::EditCustomers))
        .map(|p| {
            typed.profile.unwrap_or_else(|| ProfileForm {
                birthday: p
                    .birthday
                    .as_deref()
                    .map(|b| birthday_field(locale, b, this_year))
                    .unwrap_or_default(),
                opt_out: p.marketing_opt_out.then(String::new),
            })
        });
    let balance = ledger::balance(store, &ctx.tenant, c.id, now).await?;
    let entries = ledger::entries(store, &ctx.tenant, c.id, ENTRIES)
        .await?
        .into_iter()
        .map(|e| EntryRow {
            when: view::moment(locale, &zone, e.created_at),
            kind: kind_name(t, e.kind),
            amount: rials(locale, e.amount),
            negative: e.amount < 0,
            reason: e.reason,
            actor: e.actor,
        })
        .collect();
    Ok(LedgerPage {
        f: Frame::tenant(ctx, t.ledger_title, "/customers"),
        id: c.id,
        phone: locale.digits(&view::national(&c.phone)),
        member,
        spendable: rials(locale, balance.spendable),
        pending: rials(locale, balance.pending),
        next_expiry: balance.next_expiry.map(|(at, amount)| {
            format!(
                "{} — {}",
                view::day(locale, zone.day_key(at)),
                rials(locale, amount)
            )
        }),
        entries,
        can_credit: ctx.can(Permission::ManualCredit),
        form: typed.credit,
        error: typed.error,
        profile,
        profile_error: typed.profile_error,
        birthday_note,
    }
    .into_response())
}

/// `GET /panel/customers/{id}/ledger`.
pub async fn ledger_page(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> PageResult {
    render_ledger(&state, &ctx, id, Typed::default()).await
}

/// `POST /panel/customers/{id}/credit`: manual credit as the signed-in person; the cap
/// and the fraud rules refuse on the page, with what was typed kept.
pub async fn credit(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<CreditForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let store = &state.store;
    let c = customers::by_id(store, &ctx.tenant, id).await?;
    let phone = Phone::parse(&c.phone).map_err(|_| Fail::Server)?;
    let Ok(amount) = Phone::digits_only(&form.amount).parse::<i64>() else {
        let typed = Typed {
            credit: form,
            error: Some(t.credit_invalid.into()),
            ..Typed::default()
        };
        return render_ledger(&state, &ctx, id, typed).await;
    };
    let done = manual::credit(
        store,
        &ctx.tenant,
        &phone,
        amount,
        &form.reason,
        ctx.staff(),
        crm::clock::now(),
    )
    .await;
    let error = match done {
        Ok(_) => return Ok(Redirect::to(&format!("{BASE}/customers/{id}/ledger")).into_response()),
        Err(crm::Error::Invalid(_)) => t.credit_invalid.to_string(),
        Err(crm::Error::Conflict(why)) => format!("{} ({why})", t.credit_refused),
        Err(e) => return Err(e.into()),
    };
    let typed = Typed {
        credit: form,
        error: Some(error),
        ..Typed::default()
    };
    render_ledger(&state, &ctx, id, typed).await
}

/// The birthday as the field shows it: Jalali `MM-DD` in Persian, the Gregorian
/// month-day it falls on this year in English (either is read back).
fn birthday_field(locale: Locale, birthday: &str, year: i64) -> String {
    match locale {
        Locale::Fa => locale.digits(birthday),
        Locale::En => club::profile::gregorian_of(birthday, year as i32)
            .unwrap_or_else(|| birthday.to_string()),
    }
}

/// The birthday spelled out in Jalali ("13 Azar"), next to the field.
fn birthday_note(locale: Locale, birthday: &str, year: i64) -> String {
    let (m, d) = birthday.split_once('-').unwrap_or(("1", "1"));
    let j = crm::jalali::JalaliDate {
        year: year as i32 - 621,
        month: m.parse().unwrap_or(1),
        day: d.parse().unwrap_or(1),
    };
    let long = j.long(locale == Locale::Fa);
    // Without the year: a birthday recurs.
    let day_month = long.rsplit_once(' ').map_or(long.as_str(), |(dm, _)| dm);
    locale.digits(day_month)
}

/// `POST /panel/customers/{id}/club-profile`: the member's birthday (typed in the
/// page's calendar, or a full date in either) and marketing consent, on their word.
pub async fn set_profile(
    State(state): State<PanelState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(form): Form<ProfileForm>,
) -> PageResult {
    let t = i18n::texts(ctx.locale());
    let store = &state.store;
    let c = customers::by_id(store, &ctx.tenant, id).await?;
    let calendar = match ctx.locale() {
        Locale::Fa => club::profile::Calendar::Jalali,
        Locale::En => club::profile::Calendar::Gregorian,
    };
    let birthday = match form.birthday.trim() {
        "" => Ok(None),
        typed => club::profile::parse_any_birthday(typed, calendar).map(Some),
    };
    let refused = |why: &str| Typed {
        profile_error: Some(why.to_string()),
        ..Typed::default()
    };
    let Ok(birthday) = birthday else {
        let typed = Typed {
            profile: Some(form),
            ..refused(t.birthday_invalid)
        };
        return render_ledger(&state, &ctx, id, typed).await;
    };
    let new = club::profile::Profile {
        birthday,
        marketing_opt_out: form.opt_out.is_some(),
    };
    match club::profile::update(
        store,
        &ctx.tenant,
        c.id,
        &new,
        ctx.actor(),
        crm::clock::now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{BASE}/customers/{id}/ledger")).into_response()),
        Err(crm::Error::NotFound(_)) => {
            render_ledger(&state, &ctx, id, refused(t.not_club_member)).await
        }
        Err(e) => Err(e.into()),
    }
}
