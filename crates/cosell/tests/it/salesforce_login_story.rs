//! Going live with a Salesforce refresh token: `cosell login salesforce`
//! runs the web server flow with PKCE on a localhost redirect (this test is
//! the person in the browser: it opens the printed page, signs in and
//! presses Allow), keeps the refresh token sealed in the store, and `cosell
//! sync` then works with it and nothing else.
//!
//! Run: `cargo nextest run -p cosell -E 'test(/salesforce_login_story/)'`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cosell::config::{secrets, Config};
use cosell::credentials::SF_REFRESH_TOKEN;
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};
use store::seal::CredentialKey;

use crate::credentials_story::write_config;

/// The configuration for `auth = "refresh_token"` (no username needed).
fn refresh_token_config(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    dir: &Path,
) -> PathBuf {
    let path = write_config(pc, sf, dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let username = format!("username = \"{}\"\n", SfOptions::default().username);
    let text = text
        .replace("auth = \"password\"", "auth = \"refresh_token\"")
        .replace(&username, "");
    std::fs::write(&path, text).unwrap();
    path
}

/// Secrets without any Salesforce password or refresh token, with a store key.
fn env(key: &str) -> BTreeMap<String, String> {
    let mut env = cosell::emulated::secrets_env();
    env.remove(secrets::SF_PASSWORD);
    env.insert(secrets::STORE_KEY.to_owned(), key.to_owned());
    env
}

fn cosell(args: &[&str], config: &Path, env: &BTreeMap<String, String>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cosell"));
    command
        .args(args)
        .arg("-c")
        .arg(config)
        .env_remove(secrets::SF_PASSWORD)
        .env_remove(secrets::SF_REFRESH_TOKEN)
        .envs(env);
    command
}

/// A port nobody listens on right now, for the callback URL the app lists.
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `(name, value)` of every hidden input of `html`'s form.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |v: &str| {
        v.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|input| {
            let name = input.strip_prefix("name=\"")?.split('"').next()?;
            let value = input.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), unescape(value)))
        })
        .collect()
}

/// The person: opens `url`, signs in as the integration user and presses
/// `action` (`allow` or `deny`); the browser follows Salesforce's redirect to
/// cosell's callback.
pub(crate) async fn answer_in_browser(url: &str, action: &str) -> String {
    let browser = reqwest::Client::new();
    let page = browser.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200, "the authorize page opens");
    let page_url = page.url().clone();
    let html = page.text().await.unwrap();
    assert!(html.contains("Allow"), "{html}");
    let mut form = hidden_fields(&html);
    assert!(
        form.iter().any(|(k, _)| k == "code_challenge"),
        "PKCE is on: {html}"
    );
    let options = SfOptions::default();
    form.push(("username".into(), options.username));
    form.push(("pw".into(), options.password));
    form.push(("action".into(), action.into()));
    let landed = browser
        .post(page_url.join("/services/oauth2/authorize").unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(
        landed.url().as_str().starts_with("http://localhost:"),
        "the browser is back on cosell's callback: {}",
        landed.url()
    );
    landed.text().await.unwrap()
}

/// Runs `cosell login salesforce`, and once the page is printed lets `person`
/// act on its URL; what the browser tab showed, cosell's output and stdout.
pub(crate) async fn login<F, Fut>(
    config: &Path,
    env: &BTreeMap<String, String>,
    port: u16,
    person: F,
) -> (String, Output, String)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let mut child = cosell(
        &["login", "salesforce", "--port", &port.to_string()],
        config,
        env,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("cosell runs");
    let stdout = child.stdout.take().unwrap();
    let (url_tx, url_rx) = tokio::sync::oneshot::channel();
    let reader = tokio::task::spawn_blocking(move || {
        let mut printed = String::new();
        let mut url_tx = Some(url_tx);
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(url) = line
                .trim()
                .strip_prefix("http")
                .map(|rest| format!("http{rest}"))
            {
                if let Some(tx) = url_tx.take() {
                    let _ = tx.send(url);
                }
            }
            printed.push_str(&line);
            printed.push('\n');
        }
        printed
    });
    let url = url_rx.await.expect("cosell printed the page to open");
    let page = person(url).await;
    let printed = reader.await.unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (page, output, printed)
}

fn run(command: Command) -> impl std::future::Future<Output = Output> {
    let mut command = command;
    async move {
        tokio::task::spawn_blocking(move || command.output().expect("cosell runs"))
            .await
            .unwrap()
    }
}

/// Both emulators, the Salesforce one with `port`'s callback URL.
async fn emulators(port: u16) -> (PartnerCenterEmulator, SalesforceEmulator) {
    let listener = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
    let pc = PartnerCenterEmulator::start(listener().await, PcOptions::default())
        .await
        .unwrap();
    let sf = SalesforceEmulator::start(
        listener().await,
        SfOptions {
            callback_urls: vec![format!("http://localhost:{port}/OauthRedirect")],
            ..SfOptions::default()
        },
    )
    .await
    .unwrap();
    (pc, sf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_or_forged_sign_in_stores_nothing_and_says_so() {
    let port = free_port();
    let (pc, sf) = emulators(port).await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = refresh_token_config(&pc, &sf, dir.path());
    let (_, key_text) = CredentialKey::generate().unwrap();
    let env = env(&key_text);

    let (page, denied, _) = login(&config_path, &env, port, |url| async move {
        answer_in_browser(&url, "deny").await
    })
    .await;
    assert!(page.contains("did not allow"), "{page}");
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(!denied.status.success());
    assert!(err.contains("access_denied"), "{err}");

    // A redirect that did not come from this sign-in (another state).
    let (_, forged, _) = login(&config_path, &env, port, |_| async move {
        reqwest::get(format!(
            "http://127.0.0.1:{port}/OauthRedirect?code=aPrxStolen&state=someone-elses"
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
    })
    .await;
    let err = String::from_utf8_lossy(&forged.stderr);
    assert!(!forged.status.success());
    assert!(err.contains("state does not match"), "{err}");

    let config = Config::load_with_env(&config_path, &env).unwrap();
    let store = cosell::connect::store(&config).await.unwrap();
    assert!(store.credential(SF_REFRESH_TOKEN).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_login_salesforce_sync_works_with_the_stored_refresh_token() {
    let port = free_port();
    let (pc, sf) = emulators(port).await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = refresh_token_config(&pc, &sf, dir.path());
    let (key, key_text) = CredentialKey::generate().unwrap();
    let env = env(&key_text);

    // Before signing in, sync says what to do.
    let before = run(cosell(&["sync"], &config_path, &env)).await;
    let err = String::from_utf8_lossy(&before.stderr);
    assert!(!before.status.success());
    assert!(err.contains("cosell login salesforce"), "{err}");

    let (page, output, printed) = login(&config_path, &env, port, |url| async move {
        answer_in_browser(&url, "allow").await
    })
    .await;
    assert!(
        page.contains("Signed in"),
        "the browser tab says so: {page}"
    );
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("Signed in to"), "{printed}");

    let config = Config::load_with_env(&config_path, &env).expect("the config loads");
    let store = cosell::connect::store(&config).await.unwrap();
    let stored = store
        .credential(SF_REFRESH_TOKEN)
        .await
        .unwrap()
        .expect("the refresh token is stored");
    let token = key.open(SF_REFRESH_TOKEN, &stored.sealed).unwrap();
    assert!(
        !stored
            .sealed
            .windows(token.len())
            .any(|w| w == token.as_bytes()),
        "sealed at rest"
    );
    assert_eq!(stored.expires_at, None, "valid until revoked");
    assert!(
        !printed.contains(&token),
        "login shows no secret: {printed}"
    );

    let referral = pc
        .share_referral(emulator::sellers::co_sell_referral("Signed In Deal"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sync = run(cosell(&["sync"], &config_path, &env)).await;
    let out = String::from_utf8_lossy(&sync.stdout);
    assert!(
        sync.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    let pair = store
        .pair_by_referral(&referral)
        .await
        .unwrap()
        .expect("paired");
    let opportunity = pair.opportunity_id.expect("an opportunity was created");
    assert!(sf.record("Opportunity", &opportunity).is_some());
    let refreshed = store.credential(SF_REFRESH_TOKEN).await.unwrap().unwrap();
    assert!(
        refreshed.last_refresh_at.is_some(),
        "the health shows the refresh"
    );

    let status = run(cosell(&["status"], &config_path, &env)).await;
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains(SF_REFRESH_TOKEN), "{text}");
    assert!(
        !text.contains(&token) && !out.contains(&token),
        "{text}{out}"
    );
}
