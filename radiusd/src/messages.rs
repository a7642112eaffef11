//! Why a login was refused, in the words the guest sees (Reply-Message, shown by the
//! router's login page as `$(error)`), in the tenant's language.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// Unknown user or wrong password: deliberately the same message.
    BadCredentials,
    Disabled,
    Expired,
    AlreadyUsed,
    OtherDevice,
    OutsideHours,
    TooManyDevices,
    DailyTimeUsed,
    DailyDataUsed,
    MonthlyDataUsed,
}

impl RejectReason {
    /// Stable label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::BadCredentials => "bad_credentials",
            RejectReason::Disabled => "disabled",
            RejectReason::Expired => "expired",
            RejectReason::AlreadyUsed => "already_used",
            RejectReason::OtherDevice => "other_device",
            RejectReason::OutsideHours => "outside_hours",
            RejectReason::TooManyDevices => "too_many_devices",
            RejectReason::DailyTimeUsed => "daily_time_used",
            RejectReason::DailyDataUsed => "daily_data_used",
            RejectReason::MonthlyDataUsed => "monthly_data_used",
        }
    }

    pub fn message(self, locale: &str) -> &'static str {
        let fa = locale.starts_with("fa");
        match (self, fa) {
            (RejectReason::BadCredentials, true) => "نام کاربری یا رمز درست نیست",
            (RejectReason::BadCredentials, false) => "Wrong username or password",
            (RejectReason::Disabled, true) => "دسترسی شما به اینترنت مسدود شده است",
            (RejectReason::Disabled, false) => "Your internet access is suspended",
            (RejectReason::Expired, true) => "مهلت این ورود تمام شده است؛ دوباره وارد شوید",
            (RejectReason::Expired, false) => "This login has expired; please log in again",
            (RejectReason::AlreadyUsed, true) => "این ورود قبلاً استفاده شده است؛ دوباره وارد شوید",
            (RejectReason::AlreadyUsed, false) => {
                "This login was already used; please log in again"
            }
            (RejectReason::OtherDevice, true) => "این ورود برای دستگاه دیگری صادر شده است",
            (RejectReason::OtherDevice, false) => "This login was issued for another device",
            (RejectReason::OutsideHours, true) => "اکنون خارج از ساعت مجاز استفاده است",
            (RejectReason::OutsideHours, false) => "Internet access is not allowed at this time",
            (RejectReason::TooManyDevices, true) => "تعداد دستگاه‌های همزمان شما کامل است",
            (RejectReason::TooManyDevices, false) => "Too many of your devices are online",
            (RejectReason::DailyTimeUsed, true) => "زمان مجاز امروز شما تمام شده است",
            (RejectReason::DailyTimeUsed, false) => "Your online time for today is used up",
            (RejectReason::DailyDataUsed, true) => "حجم مجاز امروز شما تمام شده است",
            (RejectReason::DailyDataUsed, false) => "Your data for today is used up",
            (RejectReason::MonthlyDataUsed, true) => "حجم مجاز این ماه شما تمام شده است",
            (RejectReason::MonthlyDataUsed, false) => "Your data for this month is used up",
        }
    }
}
