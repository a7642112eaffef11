//! `smartx survey`: the tenant's survey settings, sending due invitations, the report
//! (docs/surveys.md).

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use crm::branches::Scope;
use crm::clock;
use crm::surveys::{self, questions, settings};

use super::open_tenant;

const CLI: crm::audit::Actor = crm::audit::Actor::CLI;
use crate::{config::Config, table};

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// Show the survey settings, or change the given ones
    Settings(SettingsArgs),
    /// Queue the SMS of every invitation and reminder due now (the worker does this every minute)
    SendDue {
        /// Base URL of the survey links, e.g. https://club.example
        #[arg(long, env = "SMARTX_PUBLIC_URL")]
        public_url: String,
        /// Act as if it were this unix time [default: now]
        #[arg(long)]
        now: Option<i64>,
    },
    /// Cases opened by low scores, newest first (open ones unless --all)
    Cases {
        #[arg(long)]
        all: bool,
    },
    /// A case and every message about it; --status moves it (open, contacted, resolved)
    Case {
        id: i64,
        #[arg(long)]
        status: Option<String>,
        /// Give the customer this many rials of club credit as compensation
        #[arg(long, requires = "reason")]
        credit: Option<i64>,
        /// Why (with --credit; kept in the ledger and on the case)
        #[arg(long)]
        reason: Option<String>,
    },
    /// The "precision" add-on's questions, in the order asked
    Questions,
    /// Add, change, remove or reorder a "precision" question
    #[command(subcommand)]
    Question(QuestionAction),
    /// Participation, ratings, CSAT and NPS of the invitations of the last days
    Report {
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Satisfaction per branch, staff member, item or category instead of the totals
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum QuestionAction {
    /// Add a question at the end
    Add(QuestionArgs),
    /// Replace question ID
    Edit {
        id: i64,
        #[command(flatten)]
        question: QuestionArgs,
    },
    /// Stop asking question ID (its answers stay in cases and reports)
    Remove { id: i64 },
    /// Ask question ID one place earlier
    Up { id: i64 },
    /// Ask question ID one place later
    Down { id: i64 },
}

#[derive(Args)]
pub struct QuestionArgs {
    /// rating (1-5), categories (1-5 per category on the invoice), nps (0-10),
    /// choice (one option), multi (several options), text
    #[arg(long)]
    kind: String,
    /// The question as the customer reads it
    #[arg(long)]
    label: String,
    /// An option of choice/multi (repeat, 2 to 10)
    #[arg(long = "option")]
    options: Vec<String>,
    /// The question in English (English survey pages; default: the label)
    #[arg(long)]
    label_en: Option<String>,
    /// The options in English, in the same order (all or none)
    #[arg(long = "option-en")]
    options_en: Vec<String>,
    /// The customer must answer it (when it is shown)
    #[arg(long)]
    required: bool,
    /// Ask it only when the overall rating is at most this many stars (1-4)
    #[arg(long)]
    show_if_at_most: Option<i64>,
}

impl QuestionArgs {
    fn question(self) -> Result<questions::Question> {
        Ok(questions::Question {
            id: 0,
            kind: questions::Kind::parse(&self.kind)?,
            label: self.label,
            options: self.options,
            label_en: self.label_en.unwrap_or_default(),
            options_en: self.options_en,
            required: self.required,
            show_if_at_most: self.show_if_at_most,
        })
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Args)]
pub struct SettingsArgs {
    /// The "precision" add-on: the tenant's own questions after the overall rating
    #[arg(long)]
    precision: Option<Switch>,
    /// Turn surveys on or off
    #[arg(long)]
    enabled: Option<bool>,
    /// Minutes after the invoice the SMS is due
    #[arg(long)]
    delay_minutes: Option<i64>,
    /// Quiet hours in local time, HH:MM-HH:MM (e.g. 22:00-09:00; "-" = none)
    #[arg(long)]
    quiet_hours: Option<String>,
    /// Shift starts for the report by shift: morning, afternoon, evening, night, local
    /// HH:MM (e.g. "07:00 12:00 17:00 24:00"; 24:00 = no night; "-" = the defaults)
    #[arg(long)]
    shifts: Option<String>,
    /// At most one invitation per customer per this many days (0 = every invoice)
    #[arg(long)]
    cap_days: Option<i64>,
    /// Reminders while unanswered, a day apart (0 to 5)
    #[arg(long)]
    max_reminders: Option<i64>,
    /// Ask for a rating of every item on the invoice too
    #[arg(long)]
    per_item: Option<bool>,
    /// An overall rating at or below this opens a case and alerts (0 = never)
    #[arg(long)]
    alert_below: Option<i64>,
    /// Replace the phones texted about low scores (repeat; "-" clears them)
    #[arg(long = "alert-phone")]
    alert_phones: Vec<String>,
    /// A rating at or above this gets the happy reply
    #[arg(long)]
    happy_from: Option<i64>,
    /// Canned SMS to satisfied customers ({tenant} = the name; "-" = none)
    #[arg(long)]
    reply_happy: Option<String>,
    /// Canned SMS to customers at or below the alert threshold ("-" = none)
    #[arg(long)]
    reply_unhappy: Option<String>,
}

impl SurveyCommand {
    pub async fn run(self, config: &Config) -> Result<()> {
        let (store, tenant) = open_tenant(config).await?;
        match self {
            SurveyCommand::Settings(a) => {
                let mut s = settings::get(&store, &tenant).await?;
                let before = s.clone();
                s.enabled = a.enabled.unwrap_or(s.enabled);
                s.delay_minutes = a.delay_minutes.unwrap_or(s.delay_minutes);
                s.cap_days = a.cap_days.unwrap_or(s.cap_days);
                s.max_reminders = a.max_reminders.unwrap_or(s.max_reminders);
                s.per_item = a.per_item.unwrap_or(s.per_item);
                s.alert_below = a.alert_below.unwrap_or(s.alert_below);
                s.happy_from = a.happy_from.unwrap_or(s.happy_from);
                if let Some(p) = a.precision {
                    s.precision = matches!(p, Switch::On);
                }
                let text = |t: String| (t != "-").then_some(t);
                if let Some(t) = a.reply_happy {
                    s.reply_happy = text(t);
                }
                if let Some(t) = a.reply_unhappy {
                    s.reply_unhappy = text(t);
                }
                if !a.alert_phones.is_empty() {
                    s.alert_phones = a.alert_phones.into_iter().filter(|p| p != "-").collect();
                }
                if let Some(q) = &a.quiet_hours {
                    (s.quiet_start, s.quiet_end) = settings::parse_quiet_hours(q)?;
                }
                if let Some(text) = &a.shifts {
                    s.shift_starts = settings::parse_shifts(text)?;
                }
                if s != before {
                    settings::set(&store, &tenant, &s).await?;
                }
                println!("enabled        {}", s.enabled);
                println!("delay          {} minutes", s.delay_minutes);
                println!("quiet hours    {}", settings::quiet_hours_text(&s));
                println!("cap            one per {} days", s.cap_days);
                println!("reminders      {}", s.max_reminders);
                println!("per-item       {}", s.per_item);
                println!("case at/below  {} stars", s.alert_below);
                println!("alert phones   {}", s.alert_phones.join(", "));
                let shown = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".into());
                println!("happy from     {} stars", s.happy_from);
                println!("reply happy    {}", shown(&s.reply_happy));
                println!("reply unhappy  {}", shown(&s.reply_unhappy));
                println!("precision      {}", if s.precision { "on" } else { "off" });
                println!("shifts         {}", settings::shifts_text(&s));
            }
            SurveyCommand::SendDue { public_url, now } => {
                let n =
                    surveys::send_due(&store, &public_url, now.unwrap_or_else(clock::now)).await?;
                println!("queued {n} survey SMS");
            }
            SurveyCommand::Cases { all } => {
                let cases = surveys::cases::list(&store, &tenant, all, 200).await?;
                let rows: Vec<Vec<String>> = cases
                    .into_iter()
                    .map(|c| {
                        vec![
                            c.id.to_string(),
                            clock::format_utc(c.created_at),
                            c.status,
                            format!("#{}", c.invoice_id),
                            c.phone,
                            c.rating.to_string(),
                            c.comment.unwrap_or_default(),
                        ]
                    })
                    .collect();
                table::print(
                    &[
                        "ID",
                        "OPENED (UTC)",
                        "STATUS",
                        "INVOICE",
                        "PHONE",
                        "RATING",
                        "COMMENT",
                    ],
                    &rows,
                );
            }
            SurveyCommand::Case {
                id,
                status,
                credit,
                reason,
            } => {
                if let Some(amount) = credit {
                    let reason = reason.unwrap_or_default();
                    surveys::cases::compensate(&store, &tenant, id, amount, &reason, clock::now())
                        .await?;
                }
                if let Some(status) = status {
                    surveys::cases::set_status(
                        &store,
                        &tenant,
                        id,
                        &status,
                        crm::audit::Actor::CLI,
                        clock::now(),
                    )
                    .await?;
                }
                let (case, events) = surveys::cases::history(&store, &tenant, id).await?;
                println!(
                    "case {} ({}): {} stars on invoice #{} from {}",
                    case.id, case.status, case.rating, case.invoice_id, case.phone
                );
                if let Some(comment) = &case.comment {
                    println!("comment: {comment}");
                }
                let rows: Vec<Vec<String>> = events
                    .into_iter()
                    .map(|e| {
                        vec![
                            clock::format_utc(e.created_at),
                            e.kind,
                            e.detail.unwrap_or_default(),
                            e.sms_status.unwrap_or_default(),
                            e.sms_body.unwrap_or_default().replace('\n', " / "),
                        ]
                    })
                    .collect();
                table::print(&["WHEN (UTC)", "WHAT", "DETAIL", "SMS", "TEXT"], &rows);
            }
            SurveyCommand::Questions => print_questions(&store, &tenant).await?,
            SurveyCommand::Question(action) => {
                match action {
                    QuestionAction::Add(q) => {
                        let id = questions::add(&store, &tenant, &q.question()?, CLI).await?;
                        println!("added question {id}");
                    }
                    QuestionAction::Edit { id, question } => {
                        questions::update(&store, &tenant, id, &question.question()?, CLI).await?;
                    }
                    QuestionAction::Remove { id } => {
                        questions::remove(&store, &tenant, id, CLI).await?
                    }
                    QuestionAction::Up { id } => {
                        questions::shift(&store, &tenant, id, true, CLI).await?
                    }
                    QuestionAction::Down { id } => {
                        questions::shift(&store, &tenant, id, false, CLI).await?
                    }
                }
                print_questions(&store, &tenant).await?;
            }
            SurveyCommand::Report { days, by } => {
                let until = clock::now();
                let since = until - days.max(1) * 86_400;
                let pct = |v: Option<i64>| v.map_or("-".to_string(), |v| format!("{v}%"));
                if let Some(by) = by {
                    let by = match by.as_str() {
                        "branch" => surveys::Breakdown::Branch,
                        "staff" => surveys::Breakdown::Staff,
                        "item" => surveys::Breakdown::Item,
                        "category" => surveys::Breakdown::Category,
                        other => {
                            return Err(anyhow!(
                                "--by {other:?}: expected branch, staff, item or category"
                            ));
                        }
                    };
                    let rows: Vec<Vec<String>> =
                        surveys::breakdown(&store, &tenant, &Scope::Every, by, since, until + 1)
                            .await?
                            .into_iter()
                            .map(|g| {
                                vec![
                                    g.key,
                                    g.ratings.to_string(),
                                    g.average.map_or("-".to_string(), |v| {
                                        format!("{}.{}", v / 10, v % 10)
                                    }),
                                    pct(g.csat),
                                    g.nps.map_or("-".to_string(), |v| v.to_string()),
                                ]
                            })
                            .collect();
                    table::print(&["NAME", "RATINGS", "AVERAGE", "CSAT", "NPS"], &rows);
                    return Ok(());
                }
                let r = surveys::report(&store, &tenant, &Scope::Every, since, until + 1).await?;
                println!("queued         {}", r.queued);
                println!("invited        {}", r.invited);
                println!("opened         {}", r.opened);
                println!("answered       {} ({})", r.answered, pct(r.participation));
                println!("ratings 1..5   {:?}", r.ratings);
                println!("CSAT           {}", pct(r.csat));
                println!(
                    "NPS            {} of {} answers",
                    r.nps.map_or("-".to_string(), |v| v.to_string()),
                    r.nps_answers
                );
                for q in questions::choice_shares(&store, &tenant, &Scope::Every, since, until + 1)
                    .await?
                {
                    println!("{} ({} answers)", q.label, q.answered);
                    for (option, n, share) in q.options {
                        println!("  {option:<20} {n:>5}  {}", pct(share));
                    }
                }
            }
        }
        Ok(())
    }
}

async fn print_questions(store: &crm::Store, tenant: &crm::tenants::Tenant) -> Result<()> {
    let rows: Vec<Vec<String>> = questions::list(store, tenant)
        .await?
        .into_iter()
        .map(|q| {
            vec![
                q.id.to_string(),
                q.kind.name().to_string(),
                if q.required { "yes" } else { "no" }.to_string(),
                q.show_if_at_most
                    .map_or("always".to_string(), |n| format!("rating <= {n}")),
                q.label,
                q.options.join(" | "),
            ]
        })
        .collect();
    table::print(
        &["ID", "KIND", "REQUIRED", "ASKED", "QUESTION", "OPTIONS"],
        &rows,
    );
    Ok(())
}
