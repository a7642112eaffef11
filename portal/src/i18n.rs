//! Every word the portal shows, in Persian and English. Templates hold no text.

use crm::otp::Refusal;
use crm::ui::Locale;

pub struct Texts {
    pub title: &'static str,
    pub welcome: &'static str,
    pub phone_label: &'static str,
    pub phone_hint: &'static str,
    pub remember: &'static str,
    pub send_code: &'static str,
    pub code_title: &'static str,
    pub code_sent_to: &'static str,
    pub code_label: &'static str,
    pub verify: &'static str,
    pub resend: &'static str,
    pub change_number: &'static str,
    pub connecting: &'static str,
    pub connecting_hint: &'static str,
    pub connect: &'static str,
    pub error_title: &'static str,
    pub not_from_router: &'static str,
    pub cookies_needed: &'static str,
    pub try_again: &'static str,
    pub other_language: &'static str,
    pub other_language_tag: &'static str,
    pub club_note: &'static str,
    pub server_error: &'static str,
    pub suspended: &'static str,
}

pub static FA: Texts = Texts {
    title: "ورود به اینترنت",
    welcome: "برای اتصال به وای‌فای، شماره موبایل خود را وارد کنید. یک کد یک‌بارمصرف برایتان پیامک می‌شود.",
    phone_label: "شماره موبایل",
    phone_hint: "مثلاً ۰۹۱۲۱۲۳۴۵۶۷",
    remember: "این دستگاه را به خاطر بسپار",
    send_code: "ارسال کد",
    code_title: "کد تأیید",
    code_sent_to: "کد به این شماره پیامک شد:",
    code_label: "کد پیامک‌شده",
    verify: "ورود",
    resend: "ارسال دوباره کد",
    change_number: "تغییر شماره",
    connecting: "در حال اتصال…",
    connecting_hint: "اگر خودکار وصل نشدید، دکمه زیر را بزنید.",
    connect: "اتصال به اینترنت",
    error_title: "مشکلی پیش آمد",
    not_from_router: "این صفحه را از طریق صفحه ورود وای‌فای باز کنید: به شبکه وصل شوید و یک سایت را باز کنید.",
    cookies_needed: "نشست شما منقضی شده است. لطفاً دوباره از صفحه ورود وای‌فای شروع کنید.",
    try_again: "شروع دوباره",
    other_language: "English",
    other_language_tag: "en",
    club_note: "با ورود، عضو باشگاه مشتریان این مجموعه می‌شوید.",
    server_error: "خطای موقت؛ چند لحظه بعد دوباره تلاش کنید.",
    suspended: "دسترسی این شماره به اینترنت مسدود شده است. با کارکنان مجموعه صحبت کنید.",
};

pub static EN: Texts = Texts {
    title: "Get online",
    welcome: "Enter your mobile number to use the WiFi. We will text you a one-time code.",
    phone_label: "Mobile number",
    phone_hint: "e.g. 0912 123 4567",
    remember: "Remember this device",
    send_code: "Send code",
    code_title: "Verification code",
    code_sent_to: "We texted a code to",
    code_label: "Code from the SMS",
    verify: "Log in",
    resend: "Send the code again",
    change_number: "Change number",
    connecting: "Connecting…",
    connecting_hint: "If nothing happens, press the button below.",
    connect: "Connect to the internet",
    error_title: "Something went wrong",
    not_from_router: "Open this page through the WiFi login: join the network and open any website.",
    cookies_needed: "Your session expired. Please start again from the WiFi login page.",
    try_again: "Start again",
    other_language: "فارسی",
    other_language_tag: "fa",
    club_note: "By logging in you join this venue's customer club.",
    server_error: "A temporary error; please try again in a moment.",
    suspended: "Internet access for this number is suspended. Please talk to the staff.",
};

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Fa => &FA,
        Locale::En => &EN,
    }
}

/// What to tell the guest when a code is refused.
pub fn refusal(locale: Locale, refusal: Refusal) -> String {
    let n = |v: i64| locale.digits(&v.to_string());
    let minutes = |secs: i64| n((secs + 59) / 60);
    match (locale, refusal) {
        (Locale::Fa, Refusal::ResendTooSoon { retry_after }) => {
            format!("برای ارسال دوباره {} ثانیه صبر کنید.", n(retry_after))
        }
        (Locale::En, Refusal::ResendTooSoon { retry_after }) => format!(
            "Please wait {} seconds before asking for another code.",
            n(retry_after)
        ),
        (Locale::Fa, Refusal::PhoneLimited { retry_after })
        | (Locale::Fa, Refusal::DeviceLimited { retry_after })
        | (Locale::Fa, Refusal::IpLimited { retry_after }) => {
            format!(
                "درخواست‌های زیادی ثبت شده است. {} دقیقه دیگر دوباره تلاش کنید.",
                minutes(retry_after)
            )
        }
        (Locale::En, Refusal::PhoneLimited { retry_after })
        | (Locale::En, Refusal::DeviceLimited { retry_after })
        | (Locale::En, Refusal::IpLimited { retry_after }) => {
            format!(
                "Too many requests. Please try again in {} minutes.",
                minutes(retry_after)
            )
        }
        (Locale::Fa, Refusal::TenantLimited { .. }) => {
            "ارسال کد موقتاً ممکن نیست. کمی بعد تلاش کنید یا از کارکنان کمک بخواهید.".into()
        }
        (Locale::En, Refusal::TenantLimited { .. }) => {
            "Codes cannot be sent right now. Try again shortly or ask the staff.".into()
        }
        (Locale::Fa, Refusal::UnknownChallenge) | (Locale::Fa, Refusal::Expired) => {
            "این کد منقضی شده است. کد تازه بگیرید.".into()
        }
        (Locale::En, Refusal::UnknownChallenge) | (Locale::En, Refusal::Expired) => {
            "This code has expired. Please ask for a new one.".into()
        }
        (Locale::Fa, Refusal::TooManyAttempts) => {
            "تعداد تلاش‌ها بیش از حد مجاز بود. کد تازه بگیرید.".into()
        }
        (Locale::En, Refusal::TooManyAttempts) => {
            "Too many wrong tries. Please ask for a new code.".into()
        }
        (Locale::Fa, Refusal::WrongCode { attempts_left }) => format!(
            "کد درست نیست. {} بار دیگر می‌توانید تلاش کنید.",
            n(attempts_left)
        ),
        (Locale::En, Refusal::WrongCode { attempts_left }) => {
            format!("That code is not right. {} tries left.", n(attempts_left))
        }
    }
}

/// What to tell the guest about a phone number that does not parse.
pub fn bad_phone(locale: Locale) -> &'static str {
    match locale {
        Locale::Fa => "شماره موبایل معتبر نیست. یک شماره ایرانی مثل ۰۹۱۲۱۲۳۴۵۶۷ وارد کنید.",
        Locale::En => "That is not a valid Iranian mobile number (e.g. 0912 123 4567).",
    }
}
