//! The route table: every panel page is one row saying what it needs. Nothing is
//! routed any other way, so a new page cannot skip the guard, and tests walk the table.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get as get_route, post as post_route};
use crm::roles::Permission;

use crate::{
    BASE, PanelState, audit_page, booking_messages, booking_report, booking_resources,
    booking_services, booking_settings, bookings, cases, club, club_members, club_settings,
    coupons, custom_roles, customers, customers_csv, dashboard, feedback, groups, guard, login,
    notifications, people, reports, routers, sessions, survey_settings, table_board, vouchers,
};

/// What a route requires before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone (the sign-in pages).
    Public,
    /// A signed-in person, no tenant yet (picking one, signing out).
    Signed,
    /// A platform operator.
    Operator,
    /// A signed-in person working in a tenant, with this permission there.
    Tenant(Permission),
    /// Anyone working in the tenant, whatever their role: their own things (notifications).
    Member,
}

/// One row of the table, as tests see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    /// Under `/panel`; `{id}` marks an entity id of the current tenant.
    pub path: &'static str,
    pub need: Need,
}

struct Row {
    info: RouteInfo,
    handler: MethodRouter<PanelState>,
}

fn get<H, T>(path: &'static str, need: Need, handler: H) -> Row
where
    H: Handler<T, PanelState>,
    T: 'static,
{
    Row {
        info: RouteInfo {
            method: Method::GET.as_str(),
            path,
            need,
        },
        handler: get_route(handler),
    }
}

fn post<H, T>(path: &'static str, need: Need, handler: H) -> Row
where
    H: Handler<T, PanelState>,
    T: 'static,
{
    Row {
        info: RouteInfo {
            method: Method::POST.as_str(),
            path,
            need,
        },
        handler: post_route(handler),
    }
}

fn rows() -> Vec<Row> {
    use Need::{Member, Operator, Public, Signed, Tenant};
    use Permission::*;
    vec![
        get("/login", Public, login::phone_page),
        post("/login", Public, login::request_code),
        post("/login/verify", Public, login::verify),
        post("/logout", Signed, login::logout),
        get("/tenants", Signed, login::tenants),
        post("/tenants/select", Signed, login::select_tenant),
        post("/tenants", Operator, login::create_tenant),
        get("/", Tenant(ViewDashboard), dashboard::page),
        get("/customers", Tenant(ViewCustomers), customers::list),
        get(
            "/customers.csv",
            Tenant(ExportCustomers),
            customers_csv::export,
        ),
        post(
            "/customers/import",
            Tenant(ExportCustomers),
            customers_csv::import,
        ),
        get("/customers/{id}", Tenant(ViewCustomers), customers::show),
        post(
            "/customers/{id}/block",
            Tenant(EditCustomers),
            customers::block,
        ),
        post(
            "/customers/{id}/unblock",
            Tenant(EditCustomers),
            customers::unblock,
        ),
        post(
            "/customers/{id}/group",
            Tenant(EditCustomers),
            customers::set_group,
        ),
        get(
            "/customers/{id}/ledger",
            Tenant(ViewClub),
            club::ledger_page,
        ),
        post("/customers/{id}/credit", Tenant(ManualCredit), club::credit),
        post(
            "/customers/{id}/club-profile",
            Tenant(EditCustomers),
            club::set_profile,
        ),
        get("/club", Tenant(ViewClub), club::page),
        get("/club/members", Tenant(ViewClub), club_members::list),
        get(
            "/club/members.csv",
            Tenant(ExportCustomers),
            club_members::export,
        ),
        get(
            "/club/settings",
            Tenant(EditClubSettings),
            club_settings::page,
        ),
        post(
            "/club/settings",
            Tenant(EditClubSettings),
            club_settings::save,
        ),
        post(
            "/club/flags/{id}/clear",
            Tenant(ClearFraudFlags),
            club::clear_flag,
        ),
        get(
            "/club/decisions",
            Tenant(ClearFraudFlags),
            coupons::decisions,
        ),
        get("/coupons", Tenant(ManageCoupons), coupons::list),
        post("/coupons", Tenant(ManageCoupons), coupons::create),
        get("/coupons/{id}", Tenant(ManageCoupons), coupons::show),
        get("/reports", Tenant(ViewReports), reports::page),
        get("/reports.csv", Tenant(ViewReports), reports::csv),
        post("/reports/wallet", Tenant(TopUpWallet), reports::top_up),
        get("/cases", Tenant(ViewFeedback), cases::list),
        get("/cases/{id}", Tenant(ViewFeedback), cases::show),
        get(
            "/cases/{id}/media/{media_id}",
            Tenant(ViewFeedback),
            cases::media,
        ),
        post("/cases/{id}/status", Tenant(HandleCases), cases::set_status),
        post("/cases/{id}/owner", Tenant(HandleCases), cases::set_owner),
        post("/cases/{id}/note", Tenant(HandleCases), cases::add_note),
        post("/cases/{id}/reply", Tenant(HandleCases), cases::reply),
        post("/cases/{id}/credit", Tenant(ManualCredit), cases::credit),
        get("/notifications", Member, notifications::list),
        post("/notifications/read", Member, notifications::read_all),
        get("/feedback", Tenant(ViewFeedback), feedback::page),
        get("/feedback.csv", Tenant(ViewFeedback), feedback::csv),
        get(
            "/surveys/settings",
            Tenant(EditClubSettings),
            survey_settings::page,
        ),
        post(
            "/surveys/settings",
            Tenant(EditClubSettings),
            survey_settings::save,
        ),
        // Who hears about low scores: choosing people is the owner's (manage_people).
        post(
            "/surveys/alerts",
            Tenant(ManagePeople),
            survey_settings::alerts,
        ),
        post(
            "/surveys/alert-phones",
            Tenant(ManagePeople),
            survey_settings::alert_phone,
        ),
        post(
            "/surveys/questions",
            Tenant(EditClubSettings),
            survey_settings::question,
        ),
        get(
            "/feedback/branches",
            Tenant(CompareBranches),
            feedback::branches,
        ),
        get("/bookings", Tenant(ViewBookings), bookings::list),
        get(
            "/bookings/report",
            Tenant(ViewBookings),
            booking_report::page,
        ),
        post("/bookings", Tenant(ManageBookings), bookings::create),
        post(
            "/bookings/{id}/status",
            Tenant(ManageBookings),
            bookings::set_status,
        ),
        get(
            "/bookings/settings",
            Tenant(EditBookingSettings),
            booking_settings::page,
        ),
        post(
            "/bookings/settings",
            Tenant(EditBookingSettings),
            booking_settings::save,
        ),
        post(
            "/bookings/tables",
            Tenant(EditBookingSettings),
            booking_settings::add_table,
        ),
        post(
            "/bookings/tables/active",
            Tenant(EditBookingSettings),
            booking_settings::set_table_active,
        ),
        get(
            "/bookings/tables/{id}",
            Tenant(EditBookingSettings),
            booking_resources::edit_page,
        ),
        post(
            "/bookings/tables/{id}",
            Tenant(EditBookingSettings),
            booking_resources::update,
        ),
        post(
            "/bookings/tables/{id}/closed",
            Tenant(EditBookingSettings),
            booking_resources::resource_closed,
        ),
        post(
            "/bookings/closed",
            Tenant(EditBookingSettings),
            booking_resources::branch_closed,
        ),
        post(
            "/bookings/deposit-rules",
            Tenant(EditBookingSettings),
            booking_resources::add_rule,
        ),
        post(
            "/bookings/deposit-rules/remove",
            Tenant(EditBookingSettings),
            booking_resources::remove_rule,
        ),
        post(
            "/bookings/services",
            Tenant(EditBookingSettings),
            booking_services::save,
        ),
        post(
            "/bookings/services/remove",
            Tenant(EditBookingSettings),
            booking_services::remove,
        ),
        get(
            "/bookings/messages",
            Tenant(EditBookingSettings),
            booking_messages::page,
        ),
        post(
            "/bookings/messages",
            Tenant(EditBookingSettings),
            booking_messages::add,
        ),
        post(
            "/bookings/messages/{id}",
            Tenant(EditBookingSettings),
            booking_messages::update,
        ),
        post(
            "/bookings/{id}/move",
            Tenant(ManageBookings),
            bookings::move_booking,
        ),
        post(
            "/bookings/{id}/deposit",
            Tenant(ManageBookings),
            bookings::deposit,
        ),
        get("/tables", Tenant(ViewBookings), table_board::page),
        get("/tables/live", Tenant(ViewBookings), table_board::live),
        post(
            "/tables/{id}/free",
            Tenant(ManageBookings),
            table_board::free,
        ),
        get("/sessions", Tenant(ViewSessions), sessions::list),
        post(
            "/sessions/{id}/disconnect",
            Tenant(DisconnectSessions),
            sessions::disconnect,
        ),
        get("/routers", Tenant(ViewRouters), routers::list),
        post("/routers", Tenant(EditRouters), routers::add),
        get("/routers/{id}", Tenant(EditRouters), routers::edit),
        post("/routers/{id}", Tenant(EditRouters), routers::save),
        get("/routers/{id}/script", Tenant(EditRouters), routers::script),
        get(
            "/routers/{id}/pages.zip",
            Tenant(EditRouters),
            routers::pages,
        ),
        post("/routers/{id}/remove", Tenant(EditRouters), routers::remove),
        get("/groups", Tenant(ViewGroups), groups::list),
        get("/groups/{id}", Tenant(EditGroups), groups::edit),
        post("/groups/{id}", Tenant(EditGroups), groups::save),
        get("/vouchers", Tenant(ViewVouchers), vouchers::list),
        post("/vouchers", Tenant(CreateVouchers), vouchers::create),
        get(
            "/vouchers/{id}/print",
            Tenant(CreateVouchers),
            vouchers::print,
        ),
        get("/people", Tenant(ManagePeople), people::list),
        post("/people", Tenant(ManagePeople), people::add),
        post("/people/{id}/remove", Tenant(ManagePeople), people::remove),
        post("/roles", Tenant(ManagePeople), people::create_role),
        get("/roles/{id}", Tenant(ManagePeople), custom_roles::edit),
        post("/roles/{id}", Tenant(ManagePeople), custom_roles::save),
        // Last of the role rows: the route walk deletes the role it edits.
        post(
            "/roles/{id}/delete",
            Tenant(ManagePeople),
            custom_roles::delete,
        ),
        get("/audit", Tenant(ViewAudit), audit_page::list),
    ]
}

/// Every route of the panel and what it needs.
pub fn table() -> Vec<RouteInfo> {
    rows().into_iter().map(|r| r.info).collect()
}

/// The router: each row under [`BASE`], wrapped in the guard with its need.
pub(crate) fn build(state: PanelState) -> Router<PanelState> {
    let router = rows().into_iter().fold(Router::new(), |router, row| {
        let layer = from_fn_with_state((state.clone(), row.info.need), guard::guard);
        router.route(
            &format!("{BASE}{}", row.info.path),
            row.handler.layer(layer),
        )
    });
    // The guard caps every body (larger for a signed-in upload); axum's own 2 MB
    // default would refuse a CSV file the guard let through.
    router.layer(DefaultBodyLimit::disable())
}
