//! Surveys driven through the real server for other tests: a POS invoice, the survey
//! SMS sent with an injected clock, the page answered with attachments.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::{Db, Server, form_encode, http_request};

/// What a raw upload got back.
pub struct Upload {
    pub status: u16,
    pub body: String,
}

/// POSTs `body` as raw bytes (a media upload): status and body text.
pub fn post_bytes(addr: &str, path: &str, cookie: &str, csrf: Option<&str>, body: &[u8]) -> Upload {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(c) = csrf {
        head.push_str(&format!("X-CSRF-Token: {c}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading it all.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Upload { status, body }
}

/// The `item_{id}` field names of the form, in order, without repeats.
pub fn item_fields(body: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for part in body.split("name=\"item_").skip(1) {
        let id = part.split('"').next().unwrap();
        let name = format!("item_{id}");
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A tiny JPEG and Ogg voice message, as the sniffing recognises them.
pub const PHOTO: &[u8] = b"\xFF\xD8\xFF\xE0 a tiny jpeg";
pub const VOICE: &[u8] = b"OggS a voice message";
/// A real picture (96×64 PNG), for screenshots.
pub const PICTURE: &[u8] = include_bytes!("photo.png");

/// Turns surveys on in `tenant` (no delay, no quiet hours, an unhappy canned reply),
/// adds `branch` with a POS key, and posts one invoice for `phone` served by `Sara-07`;
/// the key.
pub fn invoice(db: &Db, server: &Server, tenant: &str, branch: &str, phone: &str) -> String {
    let t = ["--tenant", tenant];
    db.ok(&[&t[..], &["branch", "add", "--name", branch]].concat());
    let key = db.ok(&[&t[..], &["pos-key", "create", "--branch", branch]].concat());
    let key = key.trim().to_string();
    db.ok(&[
        &t[..],
        &[
            "survey",
            "settings",
            "--enabled",
            "true",
            "--delay-minutes",
            "0",
            "--quiet-hours",
            "-",
            "--reply-unhappy",
            "ببخشید؛ {tenant} با شما تماس می‌گیرد.",
        ],
    ]
    .concat());
    let body = format!(
        r#"{{"phone": "{phone}", "amount": 450000, "staff": " Sara-07 ",
            "items": [{{"name": "Latte", "category": "drinks", "qty": 2, "unit_price": 150000}},
                      {{"name": "Cheesecake", "qty": 1, "unit_price": 150000}}]}}"#
    );
    post_invoice(db, server, &key, &body);
    key
}

/// Posts the invoice `body` (JSON) through the POS API with `key`; it must be accepted.
pub fn post_invoice(db: &Db, server: &Server, key: &str, body: &str) {
    let auth = format!("Bearer {key}");
    let r = http_request(
        server.http.as_deref().unwrap(),
        "POST",
        "/api/v1/invoices",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    assert_eq!(r.status, 201, "[{}] {}", db.label, r.body);
}

/// Where the survey tests put their screenshots: `target/test-output/survey/`.
pub fn out_dir() -> std::path::PathBuf {
    let bin = std::path::PathBuf::from(super::BIN);
    let target = bin.parent().and_then(|p| p.parent()).expect("target dir");
    target.join("test-output").join("survey")
}

/// Sends what is due in `tenant` a minute from now (the injected clock) and returns the
/// survey page's path from `phone`'s SMS.
pub fn send_due(db: &Db, tenant: &str, phone: &str) -> String {
    let now = (crm::clock::now() + 60).to_string();
    let sent = db.ok(&[
        "--tenant",
        tenant,
        "survey",
        "send-due",
        "--public-url",
        "https://club.example/",
        "--now",
        &now,
    ]);
    assert!(
        sent.contains("queued 1 survey SMS"),
        "[{}] {sent}",
        db.label
    );
    let inbox = db.wait_for_inbox(phone, "https://club.example/s/");
    let at = inbox.find("https://club.example/s/").expect(&inbox) + "https://club.example/s/".len();
    let token: String = inbox[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 22, "[{}] {inbox}", db.label);
    format!("/s/{token}")
}

/// Answers the survey at `path` with `rating` stars, a comment and the given
/// attachments (each must be accepted).
pub fn answer(server: &Server, path: &str, rating: &str, comment: &str, files: &[&[u8]]) {
    let http = server.http.as_deref().unwrap();
    let page = http_request(http, "GET", path, &[], "");
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").expect("csrf field");
    let cookie = page
        .header("set-cookie")
        .expect("csrf cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    for file in files {
        let r = post_bytes(http, &format!("{path}/media"), &cookie, Some(&csrf), file);
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // The first item gets the overall rating, the others five stars.
    let items = item_fields(&page.body);
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("lang", "fa"),
        ("rating", rating),
        ("nps", "3"),
        ("comment", comment),
    ];
    for (i, item) in items.iter().enumerate() {
        fields.push((item, if i == 0 { rating } else { "5" }));
    }
    let body = form_encode(&fields);
    let r = http_request(
        http,
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &cookie),
        ],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A low score's case in `tenant` with a picture: invoice, SMS, answer; the case id.
pub fn low_score_case(db: &Db, server: &Server, tenant: &str, branch: &str, phone: &str) -> String {
    invoice(db, server, tenant, branch, phone);
    let path = send_due(db, tenant, phone);
    answer(
        server,
        &path,
        "1",
        "قهوه سرد بود و دیر رسید.",
        &[PICTURE, VOICE],
    );
    let cases = db.ok(&["--tenant", tenant, "survey", "cases"]);
    cases
        .lines()
        .nth(1)
        .and_then(|row| row.split_whitespace().next())
        .unwrap_or_else(|| panic!("[{}] a case: {cases}", db.label))
        .to_string()
}
