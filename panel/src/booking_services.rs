//! The booking settings' services (appointment businesses): list, add, edit, remove.
//! crm checks and audits each change; a refused form comes back with what was typed.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use crm::reservations::resources::{self, Kind};
use crm::reservations::services::{self, NewService};

use crate::bookings::{Place, place};
use crate::club_settings::parse_whole;
use crate::guard::{Ctx, Fail, PageResult};
use crate::view;
use crate::{BASE, PanelState};

/// A service as typed (add or edit; `id` empty = add).
#[derive(Debug, Default, Clone)]
pub struct ServiceForm {
    pub id: String,
    pub name: String,
    pub name_en: String,
    pub duration: String,
    pub price: String,
    /// Names of the resources ticked.
    pub resources: Vec<String>,
}

impl ServiceForm {
    fn from_pairs(pairs: &[(String, String)]) -> (String, ServiceForm) {
        let mut branch = String::new();
        let mut f = ServiceForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "branch" => branch = v.clone(),
                "id" => f.id = v.clone(),
                "name" => f.name = v.clone(),
                "name_en" => f.name_en = v.clone(),
                "duration" => f.duration = v.clone(),
                "price" => f.price = v.clone(),
                "resource" => f.resources.push(v.clone()),
                _ => {}
            }
        }
        (branch, f)
    }

    fn parse(&self) -> Option<NewService> {
        let price = self.price.trim();
        Some(NewService {
            name: self.name.clone(),
            name_en: Some(self.name_en.clone()),
            duration: parse_whole(&self.duration)?,
            price: if price.is_empty() {
                None
            } else {
                Some(parse_whole(price)?)
            },
            resources: self.resources.clone(),
        })
    }
}

/// One service as listed, with its edit form's values.
pub struct ServiceRow {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub duration: String,
    pub price: String,
    pub performers: String,
    pub form: ServiceForm,
}

/// The services section of the settings page.
#[derive(Default)]
pub struct ServicesView {
    pub rows: Vec<ServiceRow>,
    /// The staff, chairs and rooms that can perform services.
    pub performers: Vec<String>,
    /// The add form (what was typed when refused).
    pub form: ServiceForm,
    /// The id of the refused form (`0` = the add form), when one was.
    pub refused: Option<i64>,
}

impl ServicesView {
    /// Whether `name` is ticked in `form`.
    pub fn ticked(&self, form: &ServiceForm, name: &String) -> bool {
        form.resources.contains(name)
    }
}

/// The services of branch `p`; `typed` = a refused form to show again.
pub async fn view(
    state: &PanelState,
    ctx: &Ctx,
    p: &Place,
    typed: Option<ServiceForm>,
) -> Result<ServicesView, Fail> {
    let locale = ctx.locale();
    let all = resources::list(&state.store, &ctx.tenant, &p.branch).await?;
    let name_of = |id: i64| {
        all.iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let mut rows: Vec<ServiceRow> = services::list(&state.store, &ctx.tenant, &p.branch)
        .await?
        .into_iter()
        .map(|s| {
            let names: Vec<String> = s.resources.iter().map(|&id| name_of(id)).collect();
            ServiceRow {
                id: s.id,
                name: s.name.clone(),
                name_en: s.name_en.clone().unwrap_or_default(),
                duration: view::num(locale, s.duration),
                price: s.price.map(|p| view::num(locale, p)).unwrap_or_default(),
                performers: names.join("، "),
                form: ServiceForm {
                    id: s.id.to_string(),
                    name: s.name,
                    name_en: s.name_en.unwrap_or_default(),
                    duration: s.duration.to_string(),
                    price: s.price.map(|p| p.to_string()).unwrap_or_default(),
                    resources: names,
                },
            }
        })
        .collect();
    let mut form = ServiceForm {
        duration: "30".into(),
        ..Default::default()
    };
    let mut refused = None;
    if let Some(typed) = typed {
        let id: i64 = typed.id.trim().parse().unwrap_or(0);
        refused = Some(id);
        match rows.iter_mut().find(|r| r.id == id) {
            Some(row) => row.form = typed,
            None => form = typed,
        }
    }
    Ok(ServicesView {
        rows,
        performers: all
            .into_iter()
            .filter(|r| r.kind != Kind::Table)
            .map(|r| r.name)
            .collect(),
        form,
        refused,
    })
}

fn back(branch: i64) -> axum::response::Response {
    Redirect::to(&format!(
        "{BASE}/bookings/settings?branch={branch}&saved=1#services"
    ))
    .into_response()
}

/// `POST /panel/bookings/services`: adds a service (`id` empty) or edits one; audited.
pub async fn save(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (branch, form) = ServiceForm::from_pairs(&pairs);
    let Some(p) = place(&state, &ctx, branch.trim().parse().ok()).await? else {
        return Err(Fail::NotFound);
    };
    let done = match (form.parse(), form.id.trim()) {
        (None, _) => Err(crm::Error::Invalid("not a number".into())),
        (Some(new), "") => services::add(&state.store, &ctx.tenant, &p.branch, ctx.actor(), &new)
            .await
            .map(drop),
        (Some(new), id) => {
            let id = id.parse().map_err(|_| Fail::NotFound)?;
            services::update(&state.store, &ctx.tenant, &p.branch, ctx.actor(), id, &new)
                .await
                .map(drop)
        }
    };
    match done {
        Ok(()) => Ok(back(p.branch.id)),
        Err(crm::Error::Invalid(_) | crm::Error::Conflict(_)) => {
            refused(&state, &ctx, p, form).await
        }
        // A resource name that is not (or no longer) the branch's: shown as refused too.
        Err(crm::Error::NotFound(_)) if form.id.trim().is_empty() => {
            refused(&state, &ctx, p, form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(state: &PanelState, ctx: &Ctx, p: Place, form: ServiceForm) -> PageResult {
    let mut x = crate::booking_resources::extras(state, ctx, &p, None, None).await?;
    x.services = view(state, ctx, &p, Some(form)).await?;
    // Shown like the page's other refused forms: the page again, the reason by the form.
    crate::booking_settings::render(state, ctx, p, x).await
}

/// `POST /panel/bookings/services/remove` with `branch` and the service's `id`; audited.
/// Its bookings stay, without a service.
pub async fn remove(
    State(state): State<PanelState>,
    ctx: Ctx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (branch, form) = ServiceForm::from_pairs(&pairs);
    let Some(p) = place(&state, &ctx, branch.trim().parse().ok()).await? else {
        return Err(Fail::NotFound);
    };
    let id = form.id.trim().parse().unwrap_or(0);
    match services::remove(&state.store, &ctx.tenant, &p.branch, ctx.actor(), id).await {
        // Already gone (another tab): the page shows what there is.
        Ok(()) | Err(crm::Error::NotFound(_)) => Ok(back(p.branch.id)),
        Err(e) => Err(e.into()),
    }
}
