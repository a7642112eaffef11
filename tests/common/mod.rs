//! Helpers for end-to-end tests that drive the real `smartx` binary.
#![allow(dead_code)]

pub mod booking;
pub mod browser;
pub mod panel;
pub mod radius;
pub mod survey;
pub mod usage;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_smartx");

/// `<target dir>/<parts…>` (the binary lives in `<target dir>/debug`): where tests
/// leave screenshots and other output for people to look at.
pub fn target_path(parts: &[&str]) -> PathBuf {
    let bin = PathBuf::from(BIN);
    let mut path = bin
        .parent()
        .and_then(|profile| profile.parent())
        .expect("target dir")
        .to_path_buf();
    path.extend(parts);
    path
}

/// A database for one test, as the binary's flags name it.
pub struct Db {
    pub args: Vec<String>,
    pub label: &'static str,
    schema: Option<String>,
    dir: PathBuf,
}

fn temp_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "smartx-e2e-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Db {
    pub fn sqlite() -> Db {
        let dir = temp_dir();
        Db {
            args: vec!["--data-dir".into(), dir.join("data").display().to_string()],
            label: "sqlite",
            schema: None,
            dir,
        }
    }

    pub fn postgres() -> Db {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (url, schema) = rt.block_on(crm::testing::postgres_schema_url());
        Db {
            args: vec!["--database-url".into(), url],
            label: "postgres",
            schema: Some(schema),
            dir: temp_dir(),
        }
    }

    pub fn both() -> Vec<Db> {
        vec![Db::sqlite(), Db::postgres()]
    }

    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    /// Runs `smartx <db args> <args>` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(&self.args)
            .args(args)
            .env_remove("SMARTX_DATABASE_URL")
            .current_dir(&self.dir)
            .output()
            .expect("run smartx")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "[{}] smartx {args:?} failed: {}",
            self.label,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "[{}] smartx {args:?} should fail",
            self.label
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Starts `smartx serve` on free loopback ports and waits until it says where it listens.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(&self.args)
            .args([
                "serve",
                "--http",
                "127.0.0.1:0",
                "--radius-auth",
                "127.0.0.1:0",
                "--radius-acct",
                "127.0.0.1:0",
            ])
            .args(extra)
            .current_dir(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn smartx serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            http: None,
            radius_auth: None,
            radius_acct: None,
            lines: rx,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = server
                .lines
                .recv_timeout(left)
                .expect("smartx serve did not report its addresses");
            let addr = |prefix: &str| line.rsplit(prefix).next().map(str::to_string);
            if line.contains("http://") {
                server.http = addr("http://");
            } else if line.trim_start().starts_with("radius auth") {
                server.radius_auth = addr("udp://");
            } else if line.trim_start().starts_with("radius acct") {
                server.radius_acct = addr("udp://");
            }
            if line.contains("is ready") {
                break;
            }
        }
        server
    }

    /// The same database the binary uses, opened from the test.
    pub fn store(&self, rt: &tokio::runtime::Runtime) -> crm::Store {
        let config = match self.args[0].as_str() {
            "--data-dir" => crm::StoreConfig::new(&self.args[1], None),
            _ => crm::StoreConfig::new(std::env::temp_dir(), Some(self.args[1].clone())),
        };
        rt.block_on(crm::Store::open(&config))
            .expect("open the test database")
    }

    /// Polls `smartx sms inbox` until `wanted` shows up (or 10 s pass); returns the inbox.
    pub fn wait_for_inbox(&self, phone: &str, wanted: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let inbox = self.ok(&["sms", "inbox", "--phone", phone]);
            if inbox.contains(wanted) || std::time::Instant::now() > deadline {
                return inbox;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn cleanup(self) {
        if let Some(schema) = &self.schema {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(crm::testing::drop_postgres_schema(schema));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Server {
    pub child: Child,
    pub http: Option<String>,
    pub radius_auth: Option<String>,
    pub radius_acct: Option<String>,
    pub lines: mpsc::Receiver<String>,
}

impl Server {
    pub fn http_get(&self, path: &str) -> (u16, String) {
        http_get(self.http.as_deref().expect("web role"), path)
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("wait for smartx")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 GET: status code and body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// An HTTP response as tests need it.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `value` of the first `<input name="{name}" value="…">` (HTML-unescaped).
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `application/x-www-form-urlencoded` encoding of `pairs`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A minimal HTTP/1.1 request (`Connection: close`), enough for our server's responses.
pub fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    HttpResponse {
        status,
        headers,
        body: if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    }
}

/// The body of a `Transfer-Encoding: chunked` response (a streamed download).
fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let (Some(data), Some(next)) = (after.get(..size), after.get(size..)) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.push_str(data);
        rest = next.trim_start_matches("\r\n");
    }
    out
}

/// The code in the newest console SMS to `phone` (the last run of digits in the text).
pub fn otp_from_inbox(db: &Db, phone: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let inbox = db.ok(&["sms", "inbox", "--phone", phone, "--limit", "1"]);
        let code = inbox.lines().nth(1).and_then(|row| {
            row.split(|c: char| !c.is_ascii_digit())
                .rfind(|w| !w.is_empty())
                .filter(|w| (4..=10).contains(&w.len()))
                .map(str::to_string)
        });
        if let Some(code) = code {
            return code;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no SMS reached the console inbox of {phone}: {inbox}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
