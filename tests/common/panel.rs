//! A panel user in tests: a cookie-keeping client that signs in with the SMS code the
//! console provider delivered, picks a tenant and echoes the CSRF token in forms.

use std::collections::HashMap;

use super::{Db, HttpResponse, form_encode, http_request, otp_from_inbox};

/// A browser: keeps cookies, echoes the CSRF cookie in forms.
pub struct Client {
    pub http: String,
    pub cookies: HashMap<String, String>,
    /// Says the request came over TLS, as a reverse proxy would.
    pub tls: bool,
}

impl Client {
    pub fn new(http: &str) -> Client {
        Client {
            http: http.to_string(),
            cookies: HashMap::new(),
            tls: false,
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &HttpResponse) {
        for (k, v) in &response.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let Some((name, value)) = v.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            if value.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn headers<'a>(&self, cookie: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut headers = vec![("Cookie", cookie)];
        if self.tls {
            headers.push(("X-Forwarded-Proto", "https"));
        }
        headers
    }

    pub fn get(&mut self, path: &str) -> HttpResponse {
        let cookie = self.cookie_header();
        let r = http_request(&self.http, "GET", path, &self.headers(&cookie), "");
        self.keep(&r);
        r
    }

    pub fn csrf(&self) -> String {
        self.cookies
            .get("sx_portal_csrf")
            .cloned()
            .unwrap_or_default()
    }

    /// A form post carrying the CSRF token, as the panel's forms do.
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        let csrf = self.csrf();
        let mut pairs = vec![("csrf", csrf.as_str())];
        pairs.extend_from_slice(fields);
        self.post_raw(path, &form_encode(&pairs))
    }

    /// A file upload form (`multipart/form-data`): the CSRF field, then the file.
    pub fn upload(
        &mut self,
        path: &str,
        field: &str,
        file: &[u8],
        with_csrf: bool,
    ) -> HttpResponse {
        let boundary = "smartxTestBoundary7";
        let mut body = Vec::new();
        if with_csrf {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n",
                    self.csrf()
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
                 filename=\"customers.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.http).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nCookie: {}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
            self.http,
            self.cookie_header(),
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        // A refused upload may be answered before it is all sent.
        let _ = stream.write_all(&body);
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn post_raw(&mut self, path: &str, body: &str) -> HttpResponse {
        let cookie = self.cookie_header();
        let mut headers = self.headers(&cookie);
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        let r = http_request(&self.http, "POST", path, &headers, body);
        self.keep(&r);
        r
    }
}

pub fn location(r: &HttpResponse) -> &str {
    r.header("location").unwrap_or("")
}

/// Signs in with the code the console provider delivered.
pub fn sign_in(db: &Db, http: &str, phone: &str) -> Client {
    sign_in_over(db, http, phone, false)
}

pub fn sign_in_over(db: &Db, http: &str, phone: &str, tls: bool) -> Client {
    let mut c = Client::new(http);
    c.tls = tls;
    let page = c.get("/panel/login");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("dir=\"rtl\""), "Persian first");
    let code_page = c.post("/panel/login", &[("phone", phone)]);
    assert_eq!(code_page.status, 200, "{}", code_page.body);
    let challenge = code_page.hidden("challenge").expect("code page");
    let e164 = code_page.hidden("phone").unwrap();
    let code = otp_from_inbox(db, phone);
    let done = c.post(
        "/panel/login/verify",
        &[("phone", &e164), ("challenge", &challenge), ("code", &code)],
    );
    assert_eq!(done.status, 303, "[{}] {}", db.label, done.body);
    let cookie = done.header("set-cookie").unwrap_or("");
    assert!(
        done.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("set-cookie")
                && v.starts_with("sx_panel=")
                && v.contains("HttpOnly")
                && v.contains("SameSite=Lax")
                && v.contains("Secure") == tls),
        "session cookie: {cookie}"
    );
    c
}

/// Ids named in the page's links or forms: `/panel/{what}/{id}`.
pub fn ids_in(body: &str, what: &str) -> Vec<String> {
    let marker = format!("/panel/{what}/");
    body.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &body[i + marker.len()..];
            let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (!id.is_empty()).then_some(id)
        })
        .collect()
}

pub fn select_tenant(c: &mut Client, name: &str) {
    let page = c.get("/panel/tenants");
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page.body.find(&format!("<span>{name}</span>")).expect(name);
    let before = &page.body[..at];
    let marker = "name=\"tenant\" value=\"";
    let start = before.rfind(marker).unwrap() + marker.len();
    let id: String = before[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let r = c.post("/panel/tenants/select", &[("tenant", &id)]);
    assert_eq!(r.status, 303, "{}", r.body);
}

/// The id in `value="…"` of the checkbox or option just before `phone` on a page.
pub fn user_id_before(body: &str, phone: &str) -> String {
    let at = body
        .find(phone)
        .unwrap_or_else(|| panic!("{phone}: {body}"));
    let marker = "value=\"";
    let start = body[..at].rfind(marker).unwrap() + marker.len();
    body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}
