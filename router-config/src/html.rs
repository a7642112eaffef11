//! The hotspot pages uploaded to the router's `html-directory`.
//!
//! RouterOS serves these itself and replaces every `$(name)` with its value before
//! sending the page (e.g. `$(chap-challenge)` becomes `\357\015…`); everything else is
//! sent as written. So the pages carry no external assets, and text we insert (the portal
//! URL) is HTML-escaped *and* has `$` written as `&#36;`, so that the router can never
//! read part of it as a variable.
//!
//! Which page the router shows (MikroTik manual, "HotSpot customisation: serving servlet
//! pages"): `login.html` for `/login` (also after a failed login, when there is no
//! `flogin.html`); `rlogin.html` when a not-logged-in guest asks for another site (falls
//! back to `redirect.html`); `alogin.html` after a successful login; `logout.html` after
//! logging out. `redirect.html` is also the fallback for the status pages we do not ship.
//! `chap-id`/`chap-challenge` are documented for `login.html` only, so `rlogin.html` does
//! not post to the portal itself: it sends the browser to the router's `/login`
//! (`$(link-redirect)`, which keeps the original URL as `dst`), whose `login.html` does.

use std::io;
use std::path::{Path, PathBuf};

use crate::{RouterSetup, fields};

/// The files [`write_html_dir`] writes, in order.
pub const PAGES: [&str; 5] = [
    "login.html",
    "rlogin.html",
    "alogin.html",
    "logout.html",
    "redirect.html",
];

/// Escapes text for an HTML attribute or text node: `& " < > '`, and `$` (see module docs).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            '$' => out.push_str("&#36;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:Tahoma,system-ui,sans-serif;text-align:center;\
margin:3em 1em;color:#222;background:#fff}\
button,a{font:inherit;font-size:1.1em}\
button{padding:.6em 2.4em;margin-top:1em}";

/// The top of every page, up to and including `<body>`.
fn head(extra: &str) -> String {
    format!(
        "<!DOCTYPE html>\n\
         <html lang=\"fa\" dir=\"rtl\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"pragma\" content=\"no-cache\">\n\
         <meta http-equiv=\"expires\" content=\"-1\">\n\
         {extra}\
         <title>Wi-Fi</title>\n\
         <style>{STYLE}</style>\n\
         </head>\n\
         <body>\n"
    )
}

/// Persian, then English in its own direction.
fn bilingual(fa: &str, en: &str) -> String {
    format!("{fa} <span lang=\"en\" dir=\"ltr\">{en}</span>")
}

const TAIL: &str = "</body>\n</html>\n";

/// `login.html`: posts the router's variables to `<portal>/hotspot/start` — at once with
/// JavaScript, or with the visible button without it.
pub fn login_html(s: &RouterSetup) -> String {
    let mut o = head("");
    o.push_str("<!-- smartx: hands the guest over to the portal (smartx router-config) -->\n");
    o.push_str(&format!(
        "<form id=\"smartx\" method=\"post\" action=\"{}\">\n",
        html_escape(&s.portal_url.start_url())
    ));
    for name in fields::ROUTER {
        o.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"$({name})\">\n"
        ));
    }
    o.push_str(&format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
        fields::NAS,
        s.nas_id
    ));
    o.push_str(&format!(
        "<p>{}</p>\n",
        bilingual("در حال انتقال…", "Redirecting…")
    ));
    o.push_str(&format!(
        "<button type=\"submit\">{}</button>\n",
        bilingual("ادامه", "Continue")
    ));
    o.push_str("</form>\n");
    o.push_str("<script>document.getElementById(\"smartx\").submit();</script>\n");
    o.push_str(TAIL);
    o
}

/// A page that sends the browser on to `$(link-redirect)` (with a link if it does not go).
fn redirect_html(fa: &str, en: &str) -> String {
    let mut o = head("<meta http-equiv=\"refresh\" content=\"0; url=$(link-redirect)\">\n");
    o.push_str(&format!("<p>{}</p>\n", bilingual(fa, en)));
    o.push_str(&format!(
        "<p><a href=\"$(link-redirect)\">{}</a></p>\n",
        bilingual("ادامه", "Continue")
    ));
    o.push_str(TAIL);
    o
}

/// `logout.html`: a plain "you are logged out" page with a link to log in again.
fn logout_html() -> String {
    let mut o = head("");
    o.push_str(&format!(
        "<p>{}</p>\n",
        bilingual("از اینترنت خارج شدید.", "You have logged out.")
    ));
    o.push_str(&format!(
        "<p><a href=\"$(link-login-only)\">{}</a></p>\n",
        bilingual("ورود دوباره", "Log in again")
    ));
    o.push_str(TAIL);
    o
}

/// The content of one of [`PAGES`], or `None` for another name.
pub fn page(name: &str, s: &RouterSetup) -> Option<String> {
    Some(match name {
        "login.html" => login_html(s),
        // The guest asked for another site: go through the router's /login (see module docs).
        "rlogin.html" | "redirect.html" => redirect_html("در حال انتقال…", "Redirecting…"),
        // Logged in: on to the page first asked for (the `dst` the portal sent back).
        "alogin.html" => redirect_html("به اینترنت وصل شدید.", "You are online."),
        "logout.html" => logout_html(),
        _ => return None,
    })
}

/// Writes [`PAGES`] into `dir` (created if missing); returns the paths written.
pub fn write_html_dir(s: &RouterSetup, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::with_capacity(PAGES.len());
    for name in PAGES {
        let path = dir.join(name);
        let text = page(name, s).expect("every name in PAGES has a page");
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}
