//! Canned replies: the tenant's predefined SMS to a satisfied or an unsatisfied customer,
//! sent automatically with the answer (purpose `survey_reply`).

use sqlx::AnyConnection;

use super::settings::SurveySettings;
use crate::error::Result;
use crate::phone::Phone;
use crate::tenants::Tenant;

/// The reply a rating earns, with `{tenant}` filled in; `None` in between the thresholds
/// or when the tenant wrote none.
pub fn for_rating(s: &SurveySettings, tenant_name: &str, rating: i64) -> Option<String> {
    let text = if rating >= s.happy_from {
        s.reply_happy.as_deref()
    } else if rating <= s.alert_below {
        s.reply_unhappy.as_deref()
    } else {
        None
    }?;
    Some(text.replace("{tenant}", tenant_name))
}

/// Queues the canned reply for `rating` to the customer who answered `invitation_id`.
pub(crate) async fn send_in(
    conn: &mut AnyConnection,
    tenant: &Tenant,
    s: &SurveySettings,
    invitation_id: i64,
    rating: i64,
) -> Result<Option<i64>> {
    let Some(text) = for_rating(s, &tenant.name, rating) else {
        return Ok(None);
    };
    let phone: String = sqlx::query_scalar(
        "SELECT c.phone FROM survey_invitations i JOIN customers c ON c.id = i.customer_id \
         WHERE i.id = $1 AND i.tenant_id = $2",
    )
    .bind(invitation_id)
    .bind(tenant.id)
    .fetch_one(&mut *conn)
    .await?;
    let phone = Phone::parse(&phone)?;
    crate::sms::wallet::send_paid_in(conn, tenant, &phone, &text, "survey_reply").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rating_picks_the_reply() {
        let s = SurveySettings {
            reply_happy: Some("{tenant}: thank you!".into()),
            reply_unhappy: Some("Sorry; {tenant} will call you.".into()),
            ..Default::default()
        };
        assert_eq!(
            for_rating(&s, "Cafe", 5).as_deref(),
            Some("Cafe: thank you!")
        );
        assert_eq!(
            for_rating(&s, "Cafe", 4).as_deref(),
            Some("Cafe: thank you!")
        );
        assert_eq!(for_rating(&s, "Cafe", 3), None);
        assert_eq!(
            for_rating(&s, "Cafe", 2).as_deref(),
            Some("Sorry; Cafe will call you.")
        );
        let none = SurveySettings::default();
        assert_eq!(for_rating(&none, "Cafe", 5), None);
        assert_eq!(for_rating(&none, "Cafe", 1), None);
    }
}
