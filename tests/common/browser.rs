//! Driving headless Chromium from tests through chromedriver's W3C WebDriver HTTP API:
//! raw HTTP over a `TcpStream` and JSON, no browser-automation crates. Debian's
//! `chromium` and `chromium-driver` packages provide the binaries (scripts/test.sh
//! installs them).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// `<target dir>/test-output/<name>` (the binary lives in `<target dir>/debug`): where
/// a browser test leaves its screenshots.
pub fn output_dir(name: &str) -> PathBuf {
    super::target_path(&["test-output", name])
}

/// W3C name of the key that holds an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A raw HTTP/1.1 response.
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads one HTTP/1.1 message head (up to the blank line) and its body, using
/// `Content-Length` or chunked encoding when given, else reading to the end.
fn read_message(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok((String::from_utf8_lossy(&buf).into_owned(), Vec::new()));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut body = buf[head_end + 4..].to_vec();
    let header = |name: &str| {
        head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while body.len() < len {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(len);
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        // Read everything (Connection: close), then decode the chunks.
        stream.read_to_end(&mut body)?;
        let mut out = Vec::new();
        let mut rest = body.as_slice();
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            let size_line = String::from_utf8_lossy(&rest[..i]);
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .unwrap_or(0);
            rest = &rest[i + 2..];
            if size == 0 || rest.len() < size {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = rest.get(size + 2..).unwrap_or_default();
        }
        body = out;
    } else {
        stream.read_to_end(&mut body)?;
    }
    Ok((head, body))
}

/// A minimal HTTP/1.1 request with an optional JSON body (`Connection: close`).
pub fn http_json(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if body.is_some() {
        request.push_str("Content-Type: application/json; charset=utf-8\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream.write_all(request.as_bytes())?;
    let (head, body) = read_message(&mut stream)?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

/// Standard base64 (with or without padding, whitespace ignored).
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// A free loopback TCP port (bound, read, released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A WebDriver element reference.
#[derive(Clone, Debug)]
pub struct Element(String);

/// Headless Chromium behind its own chromedriver. Dropping it quits the session, stops
/// chromedriver and removes the profile directory — also when a test panics.
pub struct Browser {
    driver: Child,
    addr: String,
    session: Option<String>,
    profile: PathBuf,
    /// Where `screenshot` writes.
    pub out_dir: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a phone-sized headless Chromium
    /// session (`width`×`height` CSS pixels). Panics with a clear message when Debian's
    /// `chromium`/`chromium-driver` are missing: scripts/test.sh installs them.
    pub fn start(out_dir: &Path, width: u32, height: u32) -> Browser {
        for (bin, pkg) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: install the Debian package `{pkg}` \
                 (apt-get install chromium chromium-driver; scripts/test.sh does it)"
            );
        }
        std::fs::create_dir_all(out_dir).expect("create the screenshot directory");
        let profile = std::env::temp_dir().join(format!(
            "smartx-chromium-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                profile.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chromedriver");
        let mut browser = Browser {
            driver,
            addr: format!("127.0.0.1:{port}"),
            session: None,
            profile,
            out_dir: out_dir.to_path_buf(),
        };
        browser.wait_ready();
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-default-apps".into(),
            "--disable-extensions".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--hide-scrollbars".into(),
            format!(
                "--user-data-dir={}",
                browser.profile.join("profile").display()
            ),
            format!("--window-size={width},{height}"),
        ];
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    // Every step waits for what it expects itself, so a navigation
                    // still pending (the hand-off page posting to the router) does not
                    // block screenshots.
                    "pageLoadStrategy": "none",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": args,
                        // Headless windows are at least 500px wide; a phone's viewport
                        // (and its pixel density and touch) comes from emulation.
                        "mobileEmulation": {
                            "deviceMetrics": {
                                "width": width,
                                "height": height,
                                "pixelRatio": 2.0,
                                "touch": true,
                                "mobile": true,
                            }
                        },
                    },
                }
            }
        });
        let value = browser.call("POST", "/session", Some(&caps));
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {value}"))
            .to_string();
        browser.session = Some(id);
        browser.call_session(
            "POST",
            "/timeouts",
            Some(&json!({ "script": 10_000, "pageLoad": 30_000, "implicit": 0 })),
        );
        browser
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http_json(&self.addr, "GET", "/status", None, Duration::from_secs(5)) {
                let ready = serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| v["value"]["ready"].as_bool());
                if ready == Some(true) {
                    return;
                }
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited early: {status}\n{}", self.driver_log());
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready on {}\n{}",
                self.addr,
                self.driver_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn driver_log(&self) -> String {
        let log =
            std::fs::read_to_string(self.profile.join("chromedriver.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    /// One WebDriver command; its `value`, or a panic with WebDriver's error.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let response = http_json(&self.addr, method, path, body, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let value: Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!(
                "WebDriver {method} {path}: bad JSON ({e}): {}",
                String::from_utf8_lossy(&response.body)
            )
        });
        if response.status != 200 {
            panic!(
                "WebDriver {method} {path} → {}: {} {}\n{}",
                response.status,
                value["value"]["error"],
                value["value"]["message"],
                self.driver_log()
            );
        }
        value["value"].clone()
    }

    fn call_session(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let id = self.session.as_deref().expect("no WebDriver session");
        self.call(method, &format!("/session/{id}{path}"), body)
    }

    pub fn goto(&self, url: &str) {
        self.call_session("POST", "/url", Some(&json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call_session("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` (a function body: use `return`) with `args`.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.call_session(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// Polls the JavaScript expression `condition` until it is truthy; panics with
    /// `what` (and where the browser is) after `timeout`.
    pub fn wait_for(&self, condition: &str, timeout: Duration, what: &str) {
        let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
        let deadline = Instant::now() + timeout;
        loop {
            if self.js(&script, json!([])) == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what} ({condition}); the browser is at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the document has loaded, its fonts are ready and `condition` holds.
    pub fn wait_page(&self, condition: &str, what: &str) {
        self.wait_for(
            &format!(
                "document.readyState === 'complete' && document.fonts.status === 'loaded' && ({condition})"
            ),
            Duration::from_secs(15),
            what,
        );
    }

    pub fn find(&self, css: &str) -> Element {
        let value = self.call_session(
            "POST",
            "/element",
            Some(&json!({ "using": "css selector", "value": css })),
        );
        Element(
            value[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("no element for {css}: {value}"))
                .to_string(),
        )
    }

    pub fn exists(&self, css: &str) -> bool {
        self.js(
            "return document.querySelector(arguments[0]) !== null;",
            json!([css]),
        ) == Value::Bool(true)
    }

    pub fn click(&self, css: &str) {
        let Element(id) = self.find(css);
        self.call_session("POST", &format!("/element/{id}/click"), Some(&json!({})));
    }

    /// Clears the field `css` and types `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let Element(id) = self.find(css);
        self.call_session("POST", &format!("/element/{id}/clear"), Some(&json!({})));
        self.call_session(
            "POST",
            &format!("/element/{id}/value"),
            Some(&json!({ "text": text })),
        );
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call_session(
            "POST",
            "/goog/cdp/execute",
            Some(&json!({ "cmd": cmd, "params": params })),
        )
    }

    /// The visible text of `css`.
    pub fn text(&self, css: &str) -> String {
        let Element(id) = self.find(css);
        self.call_session("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a PNG of the viewport as `out_dir/name` and returns its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let value = self.call_session("GET", "/screenshot", None);
        let png = base64_decode(value.as_str().expect("base64 screenshot"));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "screenshot is not a PNG"
        );
        let path = self.out_dir.join(name);
        std::fs::write(&path, png).expect("write screenshot");
        println!("screenshot: {}", path.display());
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            if std::thread::panicking() {
                // Best effort: what the browser showed when the test failed.
                let png = http_json(
                    &self.addr,
                    "GET",
                    &format!("/session/{id}/screenshot"),
                    None,
                    Duration::from_secs(10),
                )
                .ok()
                .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
                .and_then(|v| v["value"].as_str().map(base64_decode));
                let path = self.out_dir.join("failure.png");
                if png.is_some_and(|png| std::fs::write(&path, png).is_ok()) {
                    eprintln!("failure screenshot: {}", path.display());
                }
            }
            let _ = http_json(
                &self.addr,
                "DELETE",
                &format!("/session/{id}"),
                None,
                Duration::from_secs(20),
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // If chromedriver could not quit it, the browser is still running: its
        // processes are the ones with this test's profile directory.
        stop_processes_mentioning(&format!(
            "--user-data-dir={}",
            self.profile.join("profile").display()
        ));
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// SIGTERM (then SIGKILL after two seconds) to every process whose command line
/// contains `needle`.
fn stop_processes_mentioning(needle: &str) {
    let pids = || -> Vec<String> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|cmd| cmd.split(|&b| b == 0).any(|arg| arg == needle.as_bytes()))
            })
            .collect()
    };
    let signal = |sig: &str, pids: &[String]| {
        if !pids.is_empty() {
            let _ = Command::new("kill")
                .arg(sig)
                .args(pids)
                .stderr(Stdio::null())
                .status();
        }
    };
    signal("-TERM", &pids());
    let deadline = Instant::now() + Duration::from_secs(2);
    while !pids().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    signal("-KILL", &pids());
}

/// One request the fake router received.
#[derive(Clone, Debug)]
pub struct RouterHit {
    pub method: String,
    pub path: String,
    pub body: String,
}

/// A stand-in for the MikroTik hotspot's login endpoint on 127.0.0.1: answers every
/// request with a small "router: logged in" page and records what was sent.
pub struct FakeRouter {
    pub addr: String,
    hits: Arc<Mutex<Vec<RouterHit>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeRouter {
    pub fn start() -> FakeRouter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake router");
        let addr = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (hits, stop) = (hits.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let hits = hits.clone();
                    std::thread::spawn(move || serve_router(&mut stream, &hits));
                }
            })
        };
        FakeRouter {
            addr,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    pub fn hits(&self) -> Vec<RouterHit> {
        self.hits.lock().unwrap().clone()
    }
}

fn serve_router(stream: &mut TcpStream, hits: &Mutex<Vec<RouterHit>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok((head, body)) = read_message(stream) else {
        return;
    };
    let mut words = head.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    if method.is_empty() {
        return;
    }
    hits.lock().unwrap().push(RouterHit {
        method,
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                <title>router</title></head><body><h1 id=\"router\">router: logged in</h1></body></html>";
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{page}",
        page.len()
    );
}

impl Drop for FakeRouter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Parses `application/x-www-form-urlencoded` into pairs.
pub fn form_decode(body: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    match u8::from_str_radix(hex, 16) {
                        Ok(b) => {
                            out.push(b);
                            i += 2;
                        }
                        Err(_) => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}
