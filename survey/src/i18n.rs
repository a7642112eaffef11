//! Every word the survey page shows, in Persian and English. Templates hold no text.

use crm::ui::Locale;

pub struct Texts {
    pub title: &'static str,
    pub intro: &'static str,
    pub overall: &'static str,
    pub items: &'static str,
    pub nps: &'static str,
    pub nps_low: &'static str,
    pub nps_high: &'static str,
    pub comment: &'static str,
    pub comment_hint: &'static str,
    pub send: &'static str,
    pub thanks_title: &'static str,
    pub thanks: &'static str,
    pub answered_title: &'static str,
    pub answered: &'static str,
    pub unknown_title: &'static str,
    pub unknown: &'static str,
    pub need_rating: &'static str,
    pub check_answers: &'static str,
    pub expired_form: &'static str,
    pub server_error: &'static str,
    pub other_language: &'static str,
    pub other_language_tag: &'static str,
    pub star: &'static str,
}

pub static FA: Texts = Texts {
    title: "نظرسنجی",
    intro: "از خریدتان سپاسگزاریم. نظر شما به ما کمک می‌کند بهتر شویم؛ کمتر از یک دقیقه وقت می‌گیرد.",
    overall: "در مجموع چقدر راضی بودید؟",
    items: "به هر چیزی که گرفتید امتیاز دهید (اختیاری)",
    nps: "چقدر احتمال دارد ما را به دوستانتان پیشنهاد کنید؟ (اختیاری)",
    nps_low: "اصلاً",
    nps_high: "حتماً",
    comment: "توضیح شما (اختیاری)",
    comment_hint: "هر چه دوست دارید بگویید…",
    send: "ارسال نظر",
    thanks_title: "سپاسگزاریم!",
    thanks: "نظر شما ثبت شد.",
    answered_title: "قبلاً پاسخ داده‌اید",
    answered: "این نظرسنجی یک بار پاسخ داده شده است. از وقتی که گذاشتید سپاسگزاریم.",
    unknown_title: "پیوند نامعتبر",
    unknown: "این پیوند نظرسنجی معتبر نیست. لطفاً پیوند پیامک را کامل باز کنید.",
    need_rating: "لطفاً امتیاز کلی را انتخاب کنید.",
    check_answers: "پاسخ‌ها درست نبود؛ لطفاً دوباره انتخاب کنید.",
    expired_form: "صفحه منقضی شده است؛ لطفاً دوباره پاسخ دهید.",
    server_error: "خطای موقت؛ چند لحظه بعد دوباره تلاش کنید.",
    other_language: "English",
    other_language_tag: "en",
    star: "ستاره",
};

pub static EN: Texts = Texts {
    title: "Survey",
    intro: "Thank you for your purchase. Your opinion helps us improve; it takes less than a minute.",
    overall: "Overall, how satisfied were you?",
    items: "Rate what you had (optional)",
    nps: "How likely are you to recommend us to a friend? (optional)",
    nps_low: "Not at all",
    nps_high: "Certainly",
    comment: "Anything to add? (optional)",
    comment_hint: "Tell us anything…",
    send: "Send",
    thanks_title: "Thank you!",
    thanks: "Your feedback was recorded.",
    answered_title: "Already answered",
    answered: "This survey has been answered already. Thank you for your time.",
    unknown_title: "Invalid link",
    unknown: "This survey link is not valid. Please open the whole link from the SMS.",
    need_rating: "Please choose an overall rating.",
    check_answers: "Some answers were not valid; please choose again.",
    expired_form: "The page expired; please answer again.",
    server_error: "Temporary error; please try again in a moment.",
    other_language: "فارسی",
    other_language_tag: "fa",
    star: "stars",
};

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Fa => &FA,
        Locale::En => &EN,
    }
}
