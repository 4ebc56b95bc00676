//! `[server.sign_in]`: what a working section gives, and each mistake named
//! by its key with the fix.

use std::time::Duration;

use secrecy::ExposeSecret;
use toml::Value;

use crate::config_support::*;

const SECRET: (&str, &str) = ("COSELL_SIGN_IN_CLIENT_SECRET", "app-secret-9d2c");

fn signed_in(text: &str) -> String {
    let text = with_str(
        text,
        "server.sign_in.tenant",
        "0b6c8d2e-1f3a-4b5c-9d7e-8f0a1b2c3d4e",
    );
    let text = with_str(
        &text,
        "server.sign_in.client_id",
        "5e8f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
    );
    with(
        &text,
        "server.sign_in.allowed_users",
        Some(Value::Array(vec![Value::String(
            "Ada@Contoso.example".into(),
        )])),
    )
}

fn env_with_secret() -> std::collections::HashMap<String, String> {
    let mut env = base_env();
    env.insert(SECRET.0.into(), SECRET.1.into());
    env
}

#[test]
fn a_sign_in_section_points_at_the_tenant_and_calls_back_to_the_dashboard() {
    let fx = Fixture::new();
    let text = with_str(
        &signed_in(MINIMAL),
        "server.admin_url",
        "https://cosell-admin.example.com",
    );
    let config = fx
        .load(&text, &env_with_secret())
        .unwrap_or_else(|e| panic!("{e}"));
    let sign_in = config.server.sign_in.expect("sign-in is on");
    assert_eq!(
        sign_in.authority.as_str(),
        "https://login.microsoftonline.com/0b6c8d2e-1f3a-4b5c-9d7e-8f0a1b2c3d4e"
    );
    assert_eq!(
        sign_in.redirect_url.as_str(),
        "https://cosell-admin.example.com/auth/callback"
    );
    assert_eq!(sign_in.allowed_users, ["ada@contoso.example"]);
    assert_eq!(sign_in.client_secret.expose_secret(), SECRET.1);
    assert_eq!(sign_in.session_lifetime, Duration::from_secs(8 * 3600));
    assert!(fx
        .load(MINIMAL, &base_env())
        .unwrap()
        .server
        .sign_in
        .is_none());
}

#[test]
fn sign_in_mistakes_name_their_key() {
    let fx = Fixture::new();
    let message = expect_issue(
        fx.load(&signed_in(MINIMAL), &base_env()),
        "COSELL_SIGN_IN_CLIENT_SECRET",
    );
    assert!(message.contains("client secret"), "{message}");

    let nobody = with(&signed_in(MINIMAL), "server.sign_in.allowed_users", None);
    let message = expect_issue(
        fx.load(&nobody, &env_with_secret()),
        "server.sign_in.allowed_users",
    );
    assert!(
        message.contains("nobody could use the dashboard"),
        "{message}"
    );

    let anyone = with_str(&signed_in(MINIMAL), "server.sign_in.tenant", "common");
    let message = expect_issue(
        fx.load(&anyone, &env_with_secret()),
        "server.sign_in.tenant",
    );
    assert!(message.contains("any tenant"), "{message}");

    let no_client = with(&signed_in(MINIMAL), "server.sign_in.client_id", None);
    expect_issue(
        fx.load(&no_client, &env_with_secret()),
        "server.sign_in.client_id",
    );

    let forever = with(
        &signed_in(MINIMAL),
        "server.sign_in.session_hours",
        Some(Value::Integer(1000)),
    );
    expect_issue(
        fx.load(&forever, &env_with_secret()),
        "server.sign_in.session_hours",
    );

    let exposed = with_str(&signed_in(MINIMAL), "server.admin_listen", "0.0.0.0:8081");
    let message = expect_issue(fx.load(&exposed, &env_with_secret()), "server.admin_url");
    assert!(message.contains("only for localhost"), "{message}");

    let written = with_str(
        &signed_in(MINIMAL),
        "server.sign_in.client_secret",
        "hunter2",
    );
    let message = expect_issue(
        fx.load(&written, &env_with_secret()),
        "server.sign_in.client_secret",
    );
    assert!(
        message.contains("COSELL_SIGN_IN_CLIENT_SECRET"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}
