//! A small Chrome DevTools Protocol client for the browser test: starts
//! headless Chromium, attaches to its page over the DevTools websocket and
//! drives it as a person would — navigate, click (real mouse events at the
//! element's position), type, read text.
//!
//! Protocol used: `Target.attachToTarget` with `flatten: true` (one socket,
//! commands carry a `sessionId`), `Page.navigate`, `Runtime.evaluate`,
//! `Input.dispatchMouseEvent`, `Input.insertText`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Where Debian's `chromium` package installs the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Overrides [`CHROMIUM`] (another build of Chromium or Chrome).
pub const CHROMIUM_ENV: &str = "COSELL_CHROMIUM";
/// Longest wait for the browser to start, a page to load or a call to answer.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Pause between two looks while waiting for a page.
const POLL: Duration = Duration::from_millis(50);
/// Line Chromium prints on stderr once DevTools listens.
const LISTENING: &str = "DevTools listening on ";
/// Window size, so every control is on screen without scrolling surprises.
const WINDOW: &str = "--window-size=1280,1000";

/// The browser to use: `$COSELL_CHROMIUM` (which must exist), else
/// `/usr/bin/chromium` if installed, else None.
pub fn chromium_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(CHROMIUM_ENV) {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "{CHROMIUM_ENV}={} does not exist",
            path.display()
        );
        return Some(path);
    }
    let path = PathBuf::from(CHROMIUM);
    path.exists().then_some(path)
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A headless Chromium with one page under our control. Killed on drop.
pub struct Browser {
    child: Child,
    socket: Socket,
    session: String,
    next_id: u64,
    _profile: TempDir,
}

impl Browser {
    /// Starts the browser with a fresh profile and attaches to its page.
    pub async fn launch(binary: &Path) -> Result<Self> {
        let profile = tempfile::tempdir().context("profile dir")?;
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                WINDOW,
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stderr = child.stderr.take().context("chromium stderr")?;
        let url = tokio::time::timeout(TIMEOUT, async {
            let mut lines = BufReader::new(stderr).lines();
            let mut seen = Vec::new();
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.trim().strip_prefix(LISTENING) {
                    // Keep draining stderr so Chromium never blocks on it.
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    return Ok(url.to_owned());
                }
                seen.push(line);
            }
            Err(anyhow!(
                "chromium exited before DevTools listened:\n{}",
                seen.join("\n")
            ))
        })
        .await
        .context("chromium did not start DevTools in time")??;
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .context("connecting to DevTools")?;
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser
            .send(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await?["targetId"]
            .as_str()
            .context("no targetId")?
            .to_owned();
        browser.session = browser
            .send(
                None,
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await?["sessionId"]
            .as_str()
            .context("no sessionId")?
            .to_owned();
        browser.call("Page.enable", json!({})).await?;
        browser.call("Runtime.enable", json!({})).await?;
        Ok(browser)
    }

    /// Sends a command to the page and returns its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        let session = self.session.clone();
        self.send(Some(&session), method, params).await
    }

    async fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .with_context(|| format!("sending {method}"))?;
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .with_context(|| format!("{method} got no answer"))?;
            let text = match next {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(_))) | None => bail!("DevTools closed during {method}"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e).context("DevTools socket"),
            };
            let value: Value = serde_json::from_str(text.as_str())?;
            // Events (messages without our id) are not needed: pages are
            // awaited by looking at the document itself.
            if value["id"] == id {
                if let Some(err) = value.get("error") {
                    bail!("{method} failed: {err}");
                }
                return Ok(value["result"].clone());
            }
        }
    }

    /// Evaluates a JavaScript expression in the page and returns its value.
    pub async fn eval(&mut self, expression: &str) -> Result<Value> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            bail!("script failed: {exception}");
        }
        Ok(result["result"]["value"].clone())
    }

    /// Opens a URL and waits until the page has loaded.
    pub async fn goto(&mut self, url: &str) -> Result<()> {
        self.mark_page().await?;
        let nav = self.call("Page.navigate", json!({"url": url})).await?;
        if let Some(error) = nav.get("errorText").and_then(Value::as_str) {
            bail!("navigating to {url}: {error}");
        }
        self.wait_for_new_page().await
    }

    /// Clicks the first element matching `selector` with real mouse events
    /// at its centre, then waits for the page it leads to.
    pub async fn click_and_wait(&mut self, selector: &str) -> Result<()> {
        self.mark_page().await?;
        self.click(selector).await?;
        self.wait_for_new_page().await
    }

    /// Clicks the first element matching `selector` (mouse down and up), at
    /// the centre of its first line box so a wrapped link is hit on its text.
    pub async fn click(&mut self, selector: &str) -> Result<()> {
        let sel = serde_json::to_string(selector)?;
        let point = self
            .eval(&format!(
                "(() => {{ const el = document.querySelector({sel}); if (!el) return null; \
                 el.scrollIntoView({{block: 'center', inline: 'center'}}); \
                 const r = el.getClientRects()[0] || el.getBoundingClientRect(); \
                 return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})()"
            ))
            .await?;
        if point.is_null() {
            bail!("nothing on the page matches {selector}");
        }
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": point["x"], "y": point["y"], "button": "left", "clickCount": 1}),
            )
            .await?;
        }
        Ok(())
    }

    /// Types text into the focused element.
    pub async fn type_text(&mut self, text: &str) -> Result<()> {
        self.call("Input.insertText", json!({"text": text})).await?;
        Ok(())
    }

    /// Visible text of the first element matching `selector`, if any.
    pub async fn text(&mut self, selector: &str) -> Result<Option<String>> {
        let sel = serde_json::to_string(selector)?;
        let v = self
            .eval(&format!(
                "(() => {{ const el = document.querySelector({sel}); \
                 return el ? el.innerText.replace(/\\s+/g, ' ').trim() : null; }})()"
            ))
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// How many elements match `selector`.
    pub async fn count(&mut self, selector: &str) -> Result<u64> {
        let sel = serde_json::to_string(selector)?;
        let v = self
            .eval(&format!("document.querySelectorAll({sel}).length"))
            .await?;
        v.as_u64().context("count is not a number")
    }

    /// An attribute of the first element matching `selector`.
    pub async fn attr(&mut self, selector: &str, name: &str) -> Result<Option<String>> {
        let sel = serde_json::to_string(selector)?;
        let name = serde_json::to_string(name)?;
        let v = self
            .eval(&format!(
                "(() => {{ const el = document.querySelector({sel}); return el ? el.getAttribute({name}) : null; }})()"
            ))
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// The page's current URL.
    pub async fn url(&mut self) -> Result<String> {
        let v = self.eval("location.href").await?;
        v.as_str().map(str::to_owned).context("no URL")
    }

    /// Saves a PNG of the whole page.
    pub async fn screenshot(&mut self, path: &Path) -> Result<()> {
        use base64::Engine as _;
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await?;
        let data = shot["data"].as_str().context("no screenshot data")?;
        let png = base64::engine::general_purpose::STANDARD.decode(data)?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Leaves a mark in the current document; a new document lacks it.
    async fn mark_page(&mut self) -> Result<()> {
        self.eval("window.__cosellOldPage = true").await?;
        Ok(())
    }

    /// Waits until a new document (without the mark) has fully loaded.
    async fn wait_for_new_page(&mut self) -> Result<()> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            // While the old document unloads, evaluation may fail: try again.
            let loaded = self
                .eval("!window.__cosellOldPage && document.readyState === 'complete'")
                .await
                .unwrap_or(Value::Bool(false));
            if loaded == Value::Bool(true) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                let url = self.url().await.unwrap_or_default();
                bail!("no new page loaded in time (still at {url})");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Our own child only, by its handle.
        let _ = self.child.start_kill();
    }
}
