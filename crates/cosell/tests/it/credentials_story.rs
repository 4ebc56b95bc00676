//! Going live with Partner Center credentials: the Referrals admin signs in
//! with `cosell login partner-center` (this test approves the code as the
//! person would), `cosell run` keeps the rotated refresh token sealed in the
//! store and keeps syncing across a restart after the signed-in token has
//! expired; and two instances on one PostgreSQL database refreshing at once
//! never redeem one refresh token twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use cosell::config::{secrets, Config};
use cosell::credentials::{StoreVault, PC_REFRESH_TOKEN};
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, SalesforceEmulator};
use partner_center::auth::{Grant, TokenConfig, REFERRALS_SCOPE};
use partner_center::{EntraTokenProvider, TokenSource};
use secrecy::SecretString;
use store::seal::CredentialKey;
use store::Store;

use crate::scale::PgDatabase;
use crate::service_support::{eventually, eventually_within, AppOptions};

/// The environment of an installation that signs in with `cosell login`:
/// the emulators' secrets without a refresh token, and a store key.
pub(crate) fn login_env(key: &str) -> BTreeMap<String, String> {
    let mut env = cosell::emulated::secrets_env();
    env.remove(secrets::PC_REFRESH_TOKEN);
    env.insert(secrets::STORE_KEY.to_owned(), key.to_owned());
    env
}

/// A configuration for the emulators with its SQLite store in `dir`.
pub(crate) fn write_config(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    dir: &Path,
) -> PathBuf {
    let ca = cosell::emulated::write_ca(pc, dir).expect("write CA");
    let o = AppOptions::default();
    let text = format!(
        r#"{connections}
[store]
url = "sqlite://{store}"

[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"

[worker]
concurrency = {concurrency}
salesforce_poll_seconds = {sf_poll}
partner_center_reconcile_seconds = 1
poll_overlap_seconds = {overlap}
"#,
        connections = cosell::emulated::connection_sections(pc, sf, &ca),
        store = dir.join("cosell.db").display(),
        concurrency = o.concurrency,
        sf_poll = o.salesforce_poll_seconds,
        overlap = o.poll_overlap_seconds,
    );
    let path = dir.join("cosell.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Runs `cosell login partner-center -c FILE` as a person does, off the runtime.
/// Both emulators (device codes polled every second), a config for them in
/// a temporary directory, and a store key with the environment to sign in.
pub(crate) struct LoginWorld {
    pub pc: PartnerCenterEmulator,
    pub sf: SalesforceEmulator,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    pub key: CredentialKey,
    /// The key as `COSELL_STORE_KEY` holds it.
    pub key_text: String,
    pub env: BTreeMap<String, String>,
}

impl LoginWorld {
    pub(crate) async fn start() -> Self {
        let listener = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() };
        let pc = PartnerCenterEmulator::start(listener().await, PcOptions::default())
            .await
            .unwrap();
        let sf = SalesforceEmulator::start(listener().await, SfOptions::default())
            .await
            .unwrap();
        pc.set_device_code_timing(Duration::from_secs(1), Duration::from_secs(120));
        let dir = tempfile::tempdir().unwrap();
        let config_path = write_config(&pc, &sf, dir.path());
        let (key, key_text) = CredentialKey::generate().unwrap();
        let env = login_env(&key_text);
        Self {
            pc,
            sf,
            dir,
            config_path,
            key,
            key_text,
            env,
        }
    }
}

pub(crate) async fn login(config: PathBuf, env: BTreeMap<String, String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_cosell"))
            .args(["login", "partner-center", "-c"])
            .arg(config)
            .env_remove(secrets::PC_REFRESH_TOKEN)
            .envs(env)
            .output()
            .expect("cosell runs")
    })
    .await
    .unwrap()
}

/// The refresh token stored under the Partner Center credential, opened.
async fn stored_token(store: &dyn Store, key: &CredentialKey) -> Option<(i64, String)> {
    let stored = store.credential(PC_REFRESH_TOKEN).await.unwrap()?;
    let token = key.open(PC_REFRESH_TOKEN, &stored.sealed).unwrap();
    Some((stored.version, token))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_login_the_service_syncs_across_a_restart_past_the_first_tokens_expiry() {
    let LoginWorld {
        pc,
        sf: _sf,
        dir: _dir,
        config_path,
        key,
        key_text,
        env,
    } = LoginWorld::start().await;

    let signing_in = tokio::spawn(login(config_path.clone(), env.clone()));
    let user_code = eventually("a code waiting for the admin", || async {
        pc.pending_user_codes().into_iter().next()
    })
    .await;
    assert!(pc.approve_device_code(&user_code));
    let output = signing_in.await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&user_code), "the code is shown: {stdout}");
    assert!(
        stdout.contains("https://microsoft.com/devicelogin"),
        "{stdout}"
    );

    let config = Config::load_with_env(&config_path, &env).expect("the config loads");
    let store = cosell::connect::store(&config).await.unwrap();
    let (version, signed_in) = stored_token(store.as_ref(), &key)
        .await
        .expect("the token is stored");
    let sealed = store
        .credential(PC_REFRESH_TOKEN)
        .await
        .unwrap()
        .unwrap()
        .sealed;
    assert!(
        !sealed
            .windows(signed_in.len())
            .any(|w| w == signed_in.as_bytes()),
        "the token is sealed at rest"
    );

    let tuning = AppOptions::default().tuning;
    let service = cosell::service::start(config, tuning, None).await.unwrap();
    eventually("the rotated refresh token saved", || async {
        stored_token(store.as_ref(), &key)
            .await
            .filter(|(v, _)| *v > version)
    })
    .await;
    service.stop().await.unwrap();

    // 90 days later: the token from the sign-in has expired.
    pc.expire_refresh_token(&signed_in);
    let config = Config::load_with_env(&config_path, &env).expect("the config loads");
    let service = cosell::service::start(config, tuning, None).await.unwrap();
    let referral = pc
        .share_referral(emulator::sellers::co_sell_referral("After The Restart"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually_within(Duration::from_secs(60), "the referral synced", || async {
        store
            .pair_by_referral(&referral)
            .await
            .unwrap()
            .filter(|p| p.opportunity_id.is_some())
    })
    .await;
    assert_eq!(
        pc.max_refresh_token_redemptions(),
        1,
        "each token redeemed once"
    );
    service.stop().await.unwrap();

    // What an operator reads shows the credential's health and no secret.
    let (_, newest) = stored_token(store.as_ref(), &key).await.unwrap();
    let status = cosell_status(config_path, env).await;
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{text}");
    assert!(text.contains(PC_REFRESH_TOKEN), "{text}");
    assert!(text.contains("MFA"), "{text}");
    for secret in [signed_in.as_str(), newest.as_str(), key_text.as_str()] {
        assert!(!text.contains(secret), "status shows a secret: {text}");
        assert!(!stdout.contains(secret), "login shows a secret: {stdout}");
    }
}

/// Runs `cosell status -c FILE`.
async fn cosell_status(config: PathBuf, env: BTreeMap<String, String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_cosell"))
            .args(["status", "-c"])
            .arg(config)
            .env_remove(secrets::PC_REFRESH_TOKEN)
            .envs(env)
            .output()
            .expect("cosell runs")
    })
    .await
    .unwrap()
}

/// A provider of delegated tokens whose refresh token lives in `store`.
fn provider(
    pc: &PartnerCenterEmulator,
    store: Arc<dyn Store>,
    key: Arc<CredentialKey>,
) -> EntraTokenProvider {
    let options = PcOptions::default();
    let config = TokenConfig {
        token_url: pc.token_url().parse().unwrap(),
        client_id: options.client_id,
        client_secret: Some(SecretString::from(options.client_secret)),
        scope: REFERRALS_SCOPE.to_owned(),
        grant: Grant::RefreshToken(SecretString::from(String::new())),
    };
    EntraTokenProvider::new(config).with_vault(Arc::new(StoreVault::new(
        store,
        key,
        PC_REFRESH_TOKEN,
    )))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_refreshing_at_once_never_redeem_one_token_twice() {
    const ROUNDS: usize = 6;
    let pc = PartnerCenterEmulator::start(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        PcOptions::default(),
    )
    .await
    .unwrap();
    let db = PgDatabase::create().await;
    let (a, b) = (
        store::open(&db.url).await.unwrap(),
        store::open(&db.url).await.unwrap(),
    );
    let (key, _) = CredentialKey::generate().unwrap();
    let key = Arc::new(key);
    StoreVault::new(Arc::clone(&a), Arc::clone(&key), PC_REFRESH_TOKEN)
        .sign_in(
            &SecretString::from(PcOptions::default().refresh_token),
            Some(true),
        )
        .await
        .unwrap();
    let first = provider(&pc, Arc::clone(&a), Arc::clone(&key));
    let second = provider(&pc, Arc::clone(&b), Arc::clone(&key));
    for _ in 0..ROUNDS {
        first.invalidate().await;
        second.invalidate().await;
        let (x, y) = tokio::join!(first.token(), second.token());
        x.expect("the first instance gets a token");
        y.expect("the second instance gets a token");
    }
    assert_eq!(
        pc.max_refresh_token_redemptions(),
        1,
        "no refresh token was redeemed twice"
    );
    let (version, newest) = stored_token(b.as_ref(), &key).await.unwrap();
    assert_eq!(
        version,
        1 + 2 * ROUNDS as i64,
        "every rotated token was saved"
    );
    // The newest one works: nothing was lost.
    let third = provider(&pc, Arc::clone(&b), Arc::clone(&key));
    third.token().await.expect("the stored token still redeems");
    let (_, after) = stored_token(b.as_ref(), &key).await.unwrap();
    assert_ne!(after, newest, "redeeming it stored its successor");
}
