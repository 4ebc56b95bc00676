//! No secret ever shows: every secret cosell holds is set to a distinctive
//! canary value, cosell is driven through everything an operator sees
//! (`config check`, `status`, `plan`, `sync`, a short `cosell run` with
//! every dashboard page, `/api`, `/metrics`, `/readyz`, a refused webhook,
//! an unauthenticated request) and through its error paths (refused
//! credentials for both services), and every output (stdout, stderr with the
//! logs, HTTP bodies, the store's audit and credential health, the store
//! file itself) is searched for every canary.
//!
//! Run: `cargo nextest run -p cosell -E 'test(/canary/)'`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use cosell::config::{secrets, Config, WEBHOOK_PATH};
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};
use store::seal::CredentialKey;

use crate::credentials_story::write_config;
use crate::salesforce_login_story::{answer_in_browser, free_port, login};
use crate::service_support::eventually;

const PC_CLIENT_SECRET: &str = "CANARY-pc-client-secret-4b1f";
const PC_REFRESH_TOKEN: &str = "CANARY-pc-refresh-token-a97c";
const SF_CLIENT_SECRET: &str = "CANARY-sf-client-secret-0d2e";
const SF_REFRESH_TOKEN: &str = "CANARY-sf-refresh-token-e6a3";
const ADMIN_TOKEN: &str = "CANARY-admin-token-73c5";

/// Everything that must never be shown.
struct Canaries {
    values: Vec<(String, String)>,
}

impl Canaries {
    /// The fixed canaries, the store key, and every line of the private key.
    fn new(store_key: &str, private_key_pem: &str) -> Self {
        let mut values: Vec<(String, String)> = [
            ("PC client secret", PC_CLIENT_SECRET),
            ("PC refresh token", PC_REFRESH_TOKEN),
            ("SF client secret", SF_CLIENT_SECRET),
            ("SF refresh token", SF_REFRESH_TOKEN),
            ("admin token", ADMIN_TOKEN),
            ("store key", store_key),
        ]
        .into_iter()
        .map(|(what, value)| (what.to_owned(), value.to_owned()))
        .collect();
        // A PEM body line is 64 characters of the key itself.
        for line in private_key_pem.lines().filter(|l| !l.starts_with("-----")) {
            values.push(("SF private key".to_owned(), line.trim().to_owned()));
        }
        Self { values }
    }

    /// Adds a secret learned during the run (a rotated refresh token).
    fn add(&mut self, what: &str, value: String) {
        self.values.push((what.to_owned(), value));
    }

    /// Fails naming the canary and the output it appeared in.
    fn assert_absent(&self, name: &str, text: &str) {
        for (what, value) in &self.values {
            assert!(
                !text.contains(value.as_str()),
                "the {what} appears in {name}:\n{text}"
            );
        }
    }

    fn assert_absent_bytes(&self, name: &str, bytes: &[u8]) {
        for (what, value) in &self.values {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "the {what} appears in {name}"
            );
        }
    }
}

/// Everything captured, by where it came from.
#[derive(Default)]
struct Captured {
    outputs: Vec<(String, String)>,
}

impl Captured {
    fn push(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.outputs.push((name.into(), text.into()));
    }

    fn command(&mut self, name: &str, output: &Output) {
        self.push(
            format!("{name} stdout"),
            String::from_utf8_lossy(&output.stdout),
        );
        self.push(
            format!("{name} stderr"),
            String::from_utf8_lossy(&output.stderr),
        );
    }
}

fn cosell(args: &[&str], env: &BTreeMap<String, String>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cosell"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env);
    command
}

async fn output(command: Command) -> Output {
    let mut command = command;
    tokio::task::spawn_blocking(move || command.output().expect("cosell runs"))
        .await
        .unwrap()
}

/// The configuration for JWT bearer with `key`, listening on the given ports.
fn jwt_config(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    dir: &Path,
    key: &Path,
    ports: (u16, u16),
) -> PathBuf {
    let path = write_config(pc, sf, dir);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "auth = \"password\"",
            &format!(
                "auth = \"jwt_bearer\"\nprivate_key_file = \"{}\"",
                key.display()
            ),
        )
        .replace(
            "admin_listen = \"127.0.0.1:0\"",
            &format!("admin_listen = \"127.0.0.1:{}\"", ports.1),
        )
        .replace(
            "\nlisten = \"127.0.0.1:0\"",
            &format!("\nlisten = \"127.0.0.1:{}\"", ports.0),
        );
    std::fs::write(&path, text).unwrap();
    path
}

/// GETs `url` (with the admin token when `token`) and records the body.
async fn fetch(
    http: &reqwest::Client,
    captured: &mut Captured,
    url: &str,
    token: bool,
) -> (u16, String) {
    let mut request = http.get(url);
    if token {
        request = request.bearer_auth(ADMIN_TOKEN);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = format!("{:?}", response.headers());
    let body = response.text().await.unwrap();
    captured.push(format!("GET {url} headers"), headers);
    captured.push(format!("GET {url}"), body.clone());
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_any_output() {
    let listener = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
    let dir = tempfile::tempdir().unwrap();
    let mut captured = Captured::default();

    // The operator makes the Salesforce key pair with cosell.
    let mut keygen = cosell(&["setup", "salesforce-app", "--dir"], &BTreeMap::new());
    keygen.arg(dir.path());
    let keygen = output(keygen).await;
    assert!(
        keygen.status.success(),
        "{}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    captured.command("setup salesforce-app", &keygen);
    let key_path = dir
        .path()
        .join(cosell::commands::setup::salesforce_app::KEY_FILE);
    let cert = std::fs::read_to_string(
        dir.path()
            .join(cosell::commands::setup::salesforce_app::CERT_FILE),
    )
    .unwrap();
    let private_key = std::fs::read_to_string(&key_path).unwrap();

    let pc = PartnerCenterEmulator::start(
        listener().await,
        PcOptions {
            client_secret: PC_CLIENT_SECRET.into(),
            refresh_token: PC_REFRESH_TOKEN.into(),
            ..PcOptions::default()
        },
    )
    .await
    .unwrap();
    let callback_port = free_port();
    let sf = SalesforceEmulator::start(
        listener().await,
        SfOptions {
            client_secret: SF_CLIENT_SECRET.into(),
            callback_urls: vec![format!("http://localhost:{callback_port}/OauthRedirect")],
            jwt_certificate_pem: Some(cert),
            ..SfOptions::default()
        },
    )
    .await
    .unwrap();
    let ports = (free_port(), free_port());
    let config_path = jwt_config(&pc, &sf, dir.path(), &key_path, ports);
    let config_arg = config_path.to_str().unwrap().to_owned();
    let (key, key_text) = CredentialKey::generate().unwrap();
    let mut canaries = Canaries::new(&key_text, &private_key);
    let env: BTreeMap<String, String> = [
        (secrets::PC_CLIENT_SECRET, PC_CLIENT_SECRET),
        (secrets::PC_REFRESH_TOKEN, PC_REFRESH_TOKEN),
        // Set but unused with JWT bearer: warned about by name only.
        (secrets::SF_CLIENT_SECRET, SF_CLIENT_SECRET),
        (secrets::SF_REFRESH_TOKEN, SF_REFRESH_TOKEN),
        (secrets::ADMIN_TOKEN, ADMIN_TOKEN),
        (secrets::STORE_KEY, key_text.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let referral = pc
        .share_referral(emulator::sellers::co_sell_referral("Canary Deal"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for args in [
        vec!["config", "check", "-c", &config_arg],
        vec!["plan", "-c", &config_arg],
        vec!["sync", "-c", &config_arg],
        vec!["status", "-c", &config_arg],
        vec!["status", "--json", "-c", &config_arg],
        vec!["login", "salesforce", "-c", &config_arg],
    ] {
        let out = output(cosell(&args, &env)).await;
        captured.command(&args.join(" "), &out);
    }
    let config = Config::load_with_env(&config_path, &env).unwrap();
    let store = cosell::connect::store(&config).await.unwrap();
    let pair = store
        .pair_by_referral(&referral)
        .await
        .unwrap()
        .expect("sync paired the referral");

    // A short `cosell run`, its pages and endpoints.
    let run = cosell(&["run", "-c", &config_arg], &env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cosell run starts");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let admin = format!("http://127.0.0.1:{}", ports.1);
    let public = format!("http://127.0.0.1:{}", ports.0);
    eventually("cosell run serves the admin listener", || async {
        http.get(format!("{admin}/readyz"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .ok()
            .filter(|r| r.status() == 200)
    })
    .await;
    for path in [
        "/".to_owned(),
        "/pairs".to_owned(),
        format!("/pairs/{}", pair.id),
        "/dead-letters".to_owned(),
        "/api/overview".to_owned(),
        "/api/pairs".to_owned(),
        format!("/api/pairs/{}", pair.id),
        "/api/dead-letters".to_owned(),
        "/api/nowhere".to_owned(),
        "/metrics".to_owned(),
        "/readyz".to_owned(),
    ] {
        let (status, _) = fetch(&http, &mut captured, &format!("{admin}{path}"), true).await;
        assert!(status == 200 || path == "/api/nowhere", "{path}: {status}");
    }
    let (unauthorized, _) = fetch(
        &http,
        &mut captured,
        &format!("{admin}/api/overview"),
        false,
    )
    .await;
    assert_eq!(unauthorized, 401);
    fetch(&http, &mut captured, &format!("{public}/healthz"), false).await;
    let refused = http
        .post(format!("{public}{WEBHOOK_PATH}"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .body(r#"{"EventName":"referral-created","ResourceUri":"x"}"#)
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error(), "{}", refused.status());
    captured.push("refused webhook", refused.text().await.unwrap());
    // The Partner Center token has rotated by now: the successor is a secret too.
    let stored = store
        .credential(cosell::credentials::PC_REFRESH_TOKEN)
        .await
        .unwrap()
        .unwrap();
    canaries.add(
        "rotated PC refresh token",
        key.open(cosell::credentials::PC_REFRESH_TOKEN, &stored.sealed)
            .unwrap(),
    );
    let pid = run.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let run_output = tokio::task::spawn_blocking(move || run.wait_with_output().unwrap())
        .await
        .unwrap();
    captured.command("run", &run_output);

    // Error paths: both services refuse the credentials.
    let mut refused_env = env.clone();
    refused_env.insert(
        secrets::PC_CLIENT_SECRET.into(),
        format!("{PC_CLIENT_SECRET}-wrong"),
    );
    // A fresh store, so the refusal happens on the seed from the environment.
    let bad_pc_dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cosell.db").display().to_string();
    let bad_pc_path = bad_pc_dir.path().join("cosell.toml");
    std::fs::write(
        &bad_pc_path,
        std::fs::read_to_string(&config_path).unwrap().replace(
            &db,
            &bad_pc_dir.path().join("cosell.db").display().to_string(),
        ),
    )
    .unwrap();
    let bad_pc_path = bad_pc_path.display().to_string();
    for args in [
        vec!["sync", "-c", &bad_pc_path],
        vec!["status", "-c", &bad_pc_path],
    ] {
        let out = output(cosell(&args, &refused_env)).await;
        captured.command(&format!("refused PC: {}", args.join(" ")), &out);
    }
    let refresh_config = dir.path().join("refresh.toml");
    std::fs::write(
        &refresh_config,
        std::fs::read_to_string(&config_path)
            .unwrap()
            .replace("auth = \"jwt_bearer\"", "auth = \"refresh_token\""),
    )
    .unwrap();
    let refresh_arg = refresh_config.display().to_string();
    let mut no_key_env = env.clone();
    no_key_env.remove(secrets::STORE_KEY);
    for (name, args, env) in [
        (
            "refused SF refresh token",
            vec!["sync", "-c", &refresh_arg],
            &no_key_env,
        ),
        (
            "refused SF refresh token",
            vec!["plan", "-c", &refresh_arg],
            &no_key_env,
        ),
        (
            "SF refresh token missing from the store",
            vec!["sync", "-c", &refresh_arg],
            &env,
        ),
    ] {
        let out = output(cosell(&args, env)).await;
        assert!(
            !out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        captured.command(&format!("{name}: {}", args.join(" ")), &out);
    }

    // Signing in again, both ways; the new tokens are secrets too.
    pc.set_device_code_timing(Duration::from_secs(1), Duration::from_secs(120));
    let signing_in = tokio::spawn(crate::credentials_story::login(
        config_path.clone(),
        env.clone(),
    ));
    let user_code = eventually("a code waiting for the admin", || async {
        pc.pending_user_codes().into_iter().next()
    })
    .await;
    assert!(pc.approve_device_code(&user_code));
    let pc_login = signing_in.await.unwrap();
    assert!(
        pc_login.status.success(),
        "{}",
        String::from_utf8_lossy(&pc_login.stderr)
    );
    captured.command("login partner-center", &pc_login);
    let (tab, sf_login, printed) = login(&refresh_config, &env, callback_port, |url| async move {
        answer_in_browser(&url, "allow").await
    })
    .await;
    assert!(
        sf_login.status.success(),
        "{}",
        String::from_utf8_lossy(&sf_login.stderr)
    );
    captured.push("login salesforce: the browser tab", tab);
    captured.push("login salesforce: stdout", printed);
    captured.command("login salesforce", &sf_login);
    let signed_in_sync = output(cosell(&["sync", "-c", &refresh_arg], &env)).await;
    assert!(
        signed_in_sync.status.success(),
        "{}",
        String::from_utf8_lossy(&signed_in_sync.stderr)
    );
    captured.command("sync with the stored Salesforce token", &signed_in_sync);
    for name in [
        cosell::credentials::PC_REFRESH_TOKEN,
        cosell::credentials::SF_REFRESH_TOKEN,
    ] {
        let stored = store.credential(name).await.unwrap().unwrap();
        canaries.add(name, key.open(name, &stored.sealed).unwrap());
    }

    // What the store keeps, and the store file itself.
    for entry in store.recent_audit(10_000).await.unwrap() {
        captured.push("store audit", format!("{entry:?}"));
    }
    for credential in store.credentials().await.unwrap() {
        captured.push("stored credential health", format!("{credential:?}"));
    }
    for (name, text) in &captured.outputs {
        canaries.assert_absent(name, text);
    }
    for file in ["cosell.db", "cosell.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            canaries.assert_absent_bytes(file, &bytes);
        }
    }

    // The test saw what it meant to see.
    let all: String = captured.outputs.iter().map(|(_, t)| t.as_str()).collect();
    assert!(all.contains("Canary Deal"), "the pages show the deal");
    assert!(
        all.contains("cosell is serving"),
        "the service's log was captured"
    );
    assert!(
        all.contains("refreshing the credential failed") || all.contains("AADSTS"),
        "the refused PC sign-in was logged"
    );
    assert!(
        all.contains("cosell_credential_expiry_seconds"),
        "the metrics were read"
    );
    assert!(
        all.contains("invalid_client") || all.contains("AADSTS7000215"),
        "the PC refusal was seen"
    );
    assert!(all.contains("invalid_grant"), "the SF refusal was seen");
    assert!(
        all.contains("cosell login salesforce"),
        "the missing stored token names the fix"
    );
}
