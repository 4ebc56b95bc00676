//! `Config`: parsing, defaults, every kind of problem, secrets.

use secrecy::ExposeSecret;
use toml::Value;

use cosell::config::{Config, SalesforceAuth, SalesforceCredentials, StoreUrl};

use crate::config_support::*;

#[test]
fn the_example_file_parses_and_states_every_default() {
    let fx = Fixture::new();
    let config = fx
        .load(EXAMPLE, &base_env())
        .unwrap_or_else(|e| panic!("{e}"));
    let minimal = fx.load(MINIMAL, &base_env()).unwrap();
    // The example writes every default out: it must agree with the code.
    assert_eq!(
        format!("{:?}", config.partner_center.api_url),
        format!("{:?}", minimal.partner_center.api_url)
    );
    assert_eq!(format!("{:?}", config.sync), format!("{:?}", minimal.sync));
    assert_eq!(
        format!("{:?}", config.server),
        format!("{:?}", minimal.server)
    );
    assert_eq!(
        format!("{:?}", config.worker),
        format!("{:?}", minimal.worker)
    );
    assert_eq!(
        config.store.url.expose_url(),
        minimal.store.url.expose_url()
    );
    assert_eq!(config.salesforce.auth(), SalesforceAuth::JwtBearer);
}

#[test]
fn defaults_apply_to_a_minimal_file() {
    let fx = Fixture::new();
    let c = fx.load(MINIMAL, &base_env()).unwrap();
    let pc = &c.partner_center;
    assert_eq!(
        pc.api_url.as_str(),
        "https://api.partner.microsoft.com/v1.0/engagements"
    );
    assert_eq!(
        pc.webhooks_url.as_str(),
        "https://api.partnercenter.microsoft.com/webhooks/v1"
    );
    assert_eq!(
        pc.webhook_cert_url_prefixes,
        ["https://3psostorageacct.blob.core.windows.net/cert/"]
    );
    assert_eq!(pc.webhook_trust_anchors_file, None);
    assert_eq!(pc.webhook_issuer_organization, "Microsoft Corporation");
    assert_eq!(
        pc.portal_url.as_str(),
        "https://partner.microsoft.com/dashboard/v2/referrals/cosell"
    );
    assert_eq!(pc.tenant(), Some("contoso.onmicrosoft.com"));
    assert_eq!(
        pc.refresh_token.as_ref().map(|t| t.expose_secret()),
        Some(PC_REFRESH)
    );
    assert!(pc.client_secret.is_none());
    assert_eq!(
        pc.referral_link("abc"),
        "https://partner.microsoft.com/dashboard/v2/referrals/cosell/abc"
    );

    let sf = &c.salesforce;
    assert_eq!(sf.login_url.as_str(), "https://login.salesforce.com/");
    assert_eq!(sf.api_version.as_str(), "v62.0");
    assert_eq!(sf.username(), Some("cosell@example.com"));
    let SalesforceCredentials::JwtBearer {
        private_key_file,
        private_key_pem,
        ..
    } = &sf.credentials
    else {
        panic!("jwt_bearer is the default")
    };
    assert_eq!(private_key_file, &fx.path().join("salesforce-jwt.key"));
    assert_eq!(private_key_pem.expose_secret(), FAKE_KEY_PEM);

    let s = &c.sync;
    assert_eq!(
        (s.won_stage.as_deref(), s.lost_stage.as_deref()),
        (None, None)
    );
    assert!(s.show_checkmark && s.co_sell_only);
    assert_eq!(s.country_code_field.as_str(), "BillingCountry");
    assert_eq!(s.deal_value_field.as_str(), "Amount");
    assert_eq!(s.currency_field, "CurrencyIsoCode");
    let f = &s.fields;
    let names = [
        &f.sync_flag,
        &f.referral_id,
        &f.referral_link,
        &f.help,
        &f.visibility,
        &f.microsoft_crm_id,
        &f.audit,
        &f.solution_object,
        &f.solution_opportunity_field,
        &f.solution_id_field,
    ]
    .map(|n| n.as_str());
    assert_eq!(
        names,
        [
            "Sync_with_Partner_Center__c",
            "Referral_Identifier__c",
            "Referral_Link__c",
            "How_can_Microsoft_help__c",
            "Microsoft_Referral_Visibility__c",
            "Microsoft_CRM_Identifier__c",
            "Audit__c",
            "Microsoft_Solution__c",
            "Opportunity__c",
            "Solution_Id__c",
        ]
    );

    let expected_db = fx.path().join("cosell.db");
    assert!(matches!(&c.store.url, StoreUrl::Sqlite { path: Some(p), .. } if *p == expected_db));
    assert_eq!(
        c.store.url.expose_url(),
        format!("sqlite://{}", expected_db.display())
    );

    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.public_url, None);
    assert_eq!(c.server.webhook_body_limit_bytes, 1024 * 1024);

    let w = &c.worker;
    assert_eq!(
        (w.concurrency, w.batch_size, w.max_attempts, w.lease_seconds),
        (4, 50, 8, 60)
    );
    assert_eq!(
        (
            w.salesforce_poll_seconds,
            w.partner_center_reconcile_seconds,
            w.poll_overlap_seconds
        ),
        (10, 300, 5)
    );

    // Fail-closed webhooks and the missing public URL are pointed out.
    let warned: Vec<&str> = c.warnings.iter().map(|w| w.key.as_str()).collect();
    assert!(
        warned.contains(&"partner_center.webhook_trust_anchors_file"),
        "{warned:?}"
    );
    assert!(warned.contains(&"server.public_url"), "{warned:?}");
}

#[test]
fn each_required_key_missing_is_named() {
    let fx = Fixture::new();
    for key in [
        "partner_center.token_url",
        "partner_center.client_id",
        "salesforce.client_id",
        "salesforce.username",
        "salesforce.private_key_file",
        "sync.active_stage",
        "sync.on_hold_stage",
    ] {
        let text = with(MINIMAL, key, None);
        let message = expect_issue(fx.load(&text, &base_env()), key);
        assert!(message.contains("is missing"), "{message}");
    }
}

#[test]
fn an_empty_file_lists_every_required_key() {
    let fx = Fixture::new();
    let err = fx.load("", &env(&[])).unwrap_err();
    let keys = err.keys();
    for key in [
        "partner_center.token_url",
        "partner_center.client_id",
        "COSELL_PC_REFRESH_TOKEN",
        "salesforce.client_id",
        "salesforce.username",
        "salesforce.private_key_file",
        "sync.active_stage",
        "sync.on_hold_stage",
    ] {
        assert!(keys.contains(&key), "{key} not in {keys:?}");
    }
}

#[test]
fn the_active_stage_error_says_how_to_fix_it() {
    let fx = Fixture::new();
    let message = expect_issue(
        fx.load(&with(MINIMAL, "sync.active_stage", None), &base_env()),
        "sync.active_stage",
    );
    assert!(
        message.contains("API name of your org's active stage"),
        "{message}"
    );
    assert!(message.contains("\"Qualification\""), "{message}");
}

#[test]
fn unknown_keys_are_named_with_the_nearest_valid_key() {
    let fx = Fixture::new();
    let text = with(MINIMAL, "sync.show_checkmrk", Some(Value::Boolean(false)));
    let message = expect_issue(fx.load(&text, &base_env()), "sync.show_checkmrk");
    assert!(
        message.contains("did you mean `sync.show_checkmark`?"),
        "{message}"
    );

    let text = with(MINIMAL, "worker.concurency", Some(Value::Integer(2)));
    let message = expect_issue(fx.load(&text, &base_env()), "worker.concurency");
    assert!(message.contains("`worker.concurrency`"), "{message}");

    let text = with(
        MINIMAL,
        "sync.fields.audit_field",
        Some(Value::String("Audit__c".into())),
    );
    expect_issue(fx.load(&text, &base_env()), "sync.fields.audit_field");

    let text = format!("{MINIMAL}\n[salesfroce]\nlogin_url = \"https://test.salesforce.com\"\n");
    let message = expect_issue(fx.load(&text, &base_env()), "salesfroce");
    assert!(message.contains("did you mean `salesforce`?"), "{message}");
}

#[test]
fn bad_values_are_reported_on_their_key() {
    let fx = Fixture::new();
    let cases: &[(&str, Value)] = &[
        ("partner_center.api_url", Value::String("not a url".into())),
        (
            "partner_center.api_url",
            Value::String("http://api.partner.microsoft.com/v1.0/engagements".into()),
        ),
        (
            "partner_center.webhooks_url",
            Value::String("ftp://example.com".into()),
        ),
        (
            "partner_center.token_url",
            Value::String("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token".into()),
        ),
        (
            "partner_center.token_url",
            Value::String("https://login.microsoftonline.com/common/oauth2/token".into()),
        ),
        (
            "partner_center.portal_url",
            Value::String("https://partner.microsoft.com/x?y=z".into()),
        ),
        (
            "partner_center.webhook_issuer_organization",
            Value::String(" ".into()),
        ),
        ("partner_center.client_id", Value::String("".into())),
        (
            "salesforce.login_url",
            Value::String("https://login.salesforce.com/services/oauth2/token".into()),
        ),
        ("salesforce.auth", Value::String("oauth".into())),
        ("salesforce.api_version", Value::String("62.0".into())),
        ("salesforce.api_version", Value::String("v20.0".into())),
        ("sync.on_hold_stage", Value::String("Qualification".into())),
        ("sync.show_checkmark", Value::String("yes".into())),
        (
            "sync.country_code_field",
            Value::String("Billing Country".into()),
        ),
        ("sync.deal_value_field", Value::String("9Amount".into())),
        (
            "sync.opportunity_record_type",
            Value::String("Partner Deal".into()),
        ),
        ("sync.fields.audit", Value::String("Audit".into())),
        (
            "sync.fields.sync_flag",
            Value::String("Sync with Partner Center".into()),
        ),
        ("store.url", Value::String("mysql://db/cosell".into())),
        ("server.listen", Value::String("localhost:8080".into())),
        ("server.listen", Value::String("127.0.0.1".into())),
        (
            "server.public_url",
            Value::String("http://cosell.example.com".into()),
        ),
        ("server.webhook_body_limit_bytes", Value::Integer(10)),
        ("worker.batch_size", Value::Integer(500)),
        ("worker.batch_size", Value::Integer(0)),
        ("worker.concurrency", Value::Integer(-1)),
        ("worker.max_attempts", Value::String("8".into())),
        ("worker.poll_overlap_seconds", Value::Integer(-5)),
    ];
    for (key, value) in cases {
        let text = with(MINIMAL, key, Some(value.clone()));
        expect_issue(fx.load(&text, &base_env()), key);
    }
}

#[test]
fn batch_size_error_gives_the_range() {
    let fx = Fixture::new();
    let text = with(MINIMAL, "worker.batch_size", Some(Value::Integer(500)));
    let message = expect_issue(fx.load(&text, &base_env()), "worker.batch_size");
    assert!(message.contains("from 1 to 200"), "{message}");
}

#[test]
fn bad_auth_suggests_the_nearest_method() {
    let fx = Fixture::new();
    let text = with_str(MINIMAL, "salesforce.auth", "client_credential");
    let message = expect_issue(fx.load(&text, &base_env()), "salesforce.auth");
    assert!(
        message.contains("did you mean \"client_credentials\"?"),
        "{message}"
    );
}

#[test]
fn loopback_urls_may_use_http() {
    let fx = Fixture::new();
    let mut text = with_str(
        MINIMAL,
        "partner_center.api_url",
        "http://127.0.0.1:9081/v1.0/engagements",
    );
    text = with_str(
        &text,
        "partner_center.token_url",
        "http://127.0.0.1:9081/tenant-1/oauth2/v2.0/token",
    );
    text = with(
        &text,
        "partner_center.webhook_cert_url_prefixes",
        Some(Value::Array(vec![Value::String(
            "http://127.0.0.1:9081/_emulator/cert/".into(),
        )])),
    );
    text = with_str(&text, "salesforce.login_url", "http://localhost:9082");
    text = with_str(&text, "server.public_url", "http://127.0.0.1:8080/base/");
    let c = fx
        .load(&text, &base_env())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.partner_center.tenant(), Some("tenant-1"));
    assert_eq!(
        c.server.webhook_url().unwrap().as_str(),
        "http://127.0.0.1:8080/base/webhooks/partner-center"
    );
}

#[test]
fn secrets_in_the_file_are_refused() {
    let fx = Fixture::new();
    for (key, var) in [
        ("partner_center.client_secret", "COSELL_PC_CLIENT_SECRET"),
        ("partner_center.refresh_token", "COSELL_PC_REFRESH_TOKEN"),
        ("salesforce.client_secret", "COSELL_SF_CLIENT_SECRET"),
        ("salesforce.password", "COSELL_SF_PASSWORD"),
        ("salesforce.refresh_token", "COSELL_SF_REFRESH_TOKEN"),
    ] {
        let text = with_str(MINIMAL, key, "hunter2-in-file");
        let message = expect_issue(fx.load(&text, &base_env()), key);
        assert!(message.contains(var), "{message}");
        assert!(message.contains("_FILE"), "{message}");
        assert!(
            !message.contains("hunter2"),
            "the secret was echoed: {message}"
        );
    }
    let text = with_str(
        MINIMAL,
        "salesforce.private_key",
        "-----BEGIN PRIVATE KEY-----",
    );
    let message = expect_issue(fx.load(&text, &base_env()), "salesforce.private_key");
    assert!(message.contains("private_key_file"), "{message}");
}

#[test]
fn required_secrets_depend_on_the_salesforce_auth() {
    let fx = Fixture::new();
    let cases: &[(&str, &[&str])] = &[
        ("jwt_bearer", &[]),
        ("client_credentials", &["COSELL_SF_CLIENT_SECRET"]),
        (
            "refresh_token",
            &["COSELL_SF_CLIENT_SECRET", "COSELL_SF_REFRESH_TOKEN"],
        ),
        (
            "password",
            &["COSELL_SF_CLIENT_SECRET", "COSELL_SF_PASSWORD"],
        ),
    ];
    for (auth, needed) in cases {
        let mut text = with_str(MINIMAL, "salesforce.auth", auth);
        text = with_str(
            &text,
            "salesforce.login_url",
            "https://acme.my.salesforce.com",
        );
        if *auth != "jwt_bearer" {
            text = with(&text, "salesforce.private_key_file", None);
        }
        // Missing: each needed variable is named.
        match fx.load(&text, &base_env()) {
            Ok(_) => assert!(needed.is_empty(), "{auth} loaded without {needed:?}"),
            Err(err) => {
                let mut keys = err.keys();
                keys.sort_unstable();
                assert_eq!(keys, *needed, "{auth}: {err}");
            }
        }
        // Present: loads, and the credentials carry them.
        let mut vars = base_env();
        for var in *needed {
            vars.insert((*var).to_owned(), format!("value-of-{var}"));
        }
        let c = fx
            .load(&text, &vars)
            .unwrap_or_else(|e| panic!("{auth}: {e}"));
        assert_eq!(c.salesforce.auth().as_str(), *auth);
        match &c.salesforce.credentials {
            SalesforceCredentials::JwtBearer { .. } => {}
            SalesforceCredentials::ClientCredentials { client_secret } => {
                assert_eq!(
                    client_secret.expose_secret(),
                    "value-of-COSELL_SF_CLIENT_SECRET"
                );
            }
            SalesforceCredentials::RefreshToken {
                client_secret,
                refresh_token,
            } => {
                assert_eq!(
                    client_secret.expose_secret(),
                    "value-of-COSELL_SF_CLIENT_SECRET"
                );
                assert_eq!(
                    refresh_token.as_ref().map(ExposeSecret::expose_secret),
                    Some("value-of-COSELL_SF_REFRESH_TOKEN")
                );
            }
            SalesforceCredentials::Password {
                username,
                client_secret,
                password,
            } => {
                assert_eq!(username, "cosell@example.com");
                assert_eq!(
                    client_secret.expose_secret(),
                    "value-of-COSELL_SF_CLIENT_SECRET"
                );
                assert_eq!(password.expose_secret(), "value-of-COSELL_SF_PASSWORD");
            }
        }
    }
}

#[test]
fn the_partner_center_refresh_token_is_required_unless_the_store_keeps_it() {
    let fx = Fixture::new();
    let message = expect_issue(fx.load(MINIMAL, &env(&[])), "COSELL_PC_REFRESH_TOKEN");
    assert!(
        message.contains("COSELL_PC_REFRESH_TOKEN_FILE"),
        "{message}"
    );
    assert!(message.contains("cosell login partner-center"), "{message}");

    let (_, key) = store::seal::CredentialKey::generate().unwrap();
    let c = fx
        .load(MINIMAL, &env(&[("COSELL_STORE_KEY", key.as_str())]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.partner_center.refresh_token.is_none());
    assert!(c.store.key.is_some());

    let message = expect_issue(
        fx.load(MINIMAL, &env(&[("COSELL_STORE_KEY", "too-short")])),
        "COSELL_STORE_KEY",
    );
    assert!(
        !message.contains("too-short"),
        "the key is never echoed: {message}"
    );
}

#[test]
fn secrets_come_from_file_variables() {
    let fx = Fixture::new();
    let refresh = fx.write("pc_refresh", "from-a-file\n");
    let secret = fx.write("pc_secret", "client-secret-from-file\r\n");
    let vars = env(&[
        ("COSELL_PC_REFRESH_TOKEN_FILE", refresh.to_str().unwrap()),
        ("COSELL_PC_CLIENT_SECRET_FILE", secret.to_str().unwrap()),
    ]);
    let c = fx.load(MINIMAL, &vars).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        c.partner_center
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret()),
        Some("from-a-file")
    );
    assert_eq!(
        c.partner_center
            .client_secret
            .as_ref()
            .unwrap()
            .expose_secret(),
        "client-secret-from-file"
    );
    let summary = c.summary();
    assert!(
        summary.contains("COSELL_PC_REFRESH_TOKEN_FILE"),
        "{summary}"
    );
    assert!(!summary.contains("from-a-file"), "{summary}");

    let vars = env(&[(
        "COSELL_PC_REFRESH_TOKEN_FILE",
        "/nonexistent/cosell/refresh",
    )]);
    expect_issue(fx.load(MINIMAL, &vars), "COSELL_PC_REFRESH_TOKEN_FILE");
    let vars = env(&[
        ("COSELL_PC_REFRESH_TOKEN", "a"),
        ("COSELL_PC_REFRESH_TOKEN_FILE", refresh.to_str().unwrap()),
    ]);
    expect_issue(fx.load(MINIMAL, &vars), "COSELL_PC_REFRESH_TOKEN");
}

#[test]
fn debug_and_summary_never_show_secrets() {
    let fx = Fixture::new();
    let secrets = [
        "pc-secret-1f3a",
        "pc-refresh-2b4c",
        "sf-secret-3c5d",
        "sf-password-4d6e",
        "db-password-5e7f",
    ];
    let mut text = with_str(MINIMAL, "salesforce.auth", "password");
    text = with_str(
        &text,
        "store.url",
        "postgres://cosell:db-password-5e7f@db.internal:5432/cosell",
    );
    let vars = env(&[
        ("COSELL_PC_CLIENT_SECRET", secrets[0]),
        ("COSELL_PC_REFRESH_TOKEN", secrets[1]),
        ("COSELL_SF_CLIENT_SECRET", secrets[2]),
        ("COSELL_SF_PASSWORD", secrets[3]),
    ]);
    let c = fx.load(&text, &vars).unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{c:?}");
    let pretty = format!("{c:#?}");
    let summary = c.summary();
    for secret in secrets {
        assert!(!debug.contains(secret), "Debug shows {secret}");
        assert!(!pretty.contains(secret), "pretty Debug shows {secret}");
        assert!(!summary.contains(secret), "summary shows {secret}");
    }
    assert!(
        summary.contains("postgres://cosell:***@db.internal:5432/cosell"),
        "{summary}"
    );
    assert_eq!(
        c.store.url.expose_url(),
        "postgres://cosell:db-password-5e7f@db.internal:5432/cosell"
    );

    // The private key's content is never shown either.
    let c = fx.load(MINIMAL, &base_env()).unwrap();
    assert!(!format!("{c:?}").contains("TUlJ"));
    assert!(!c.summary().contains("TUlJ"));
}

#[test]
fn store_errors_never_echo_a_password() {
    let fx = Fixture::new();
    for url in [
        "postgres://u:pw-6f80@[::1/db",
        "mysql://u:pw-6f80@h/db",
        "u:pw-6f80@h/db",
    ] {
        let text = with_str(MINIMAL, "store.url", url);
        let message = expect_issue(fx.load(&text, &base_env()), "store.url");
        assert!(!message.contains("pw-6f80"), "{message}");
    }
}

#[test]
fn private_key_file_is_checked() {
    let fx = Fixture::new();
    let text = with_str(MINIMAL, "salesforce.private_key_file", "missing.key");
    let message = expect_issue(fx.load(&text, &base_env()), "salesforce.private_key_file");
    assert!(message.contains("missing.key"), "{message}");

    fx.write("cert.pem", FAKE_CERT_PEM);
    let text = with_str(MINIMAL, "salesforce.private_key_file", "cert.pem");
    let message = expect_issue(fx.load(&text, &base_env()), "salesforce.private_key_file");
    assert!(message.contains("certificate"), "{message}");

    fx.write(
        "enc.key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nTUlJ\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let text = with_str(MINIMAL, "salesforce.private_key_file", "enc.key");
    let message = expect_issue(fx.load(&text, &base_env()), "salesforce.private_key_file");
    assert!(message.contains("encrypted"), "{message}");
    assert!(!message.contains("TUlJ"), "{message}");

    let absolute = fx.path().join("salesforce-jwt.key");
    let text = with_str(
        MINIMAL,
        "salesforce.private_key_file",
        absolute.to_str().unwrap(),
    );
    assert!(fx.load(&text, &base_env()).is_ok());
}

#[test]
fn trust_anchors_file_is_checked_and_resolved() {
    let fx = Fixture::new();
    let text = with_str(
        MINIMAL,
        "partner_center.webhook_trust_anchors_file",
        "ca.pem",
    );
    expect_issue(
        fx.load(&text, &base_env()),
        "partner_center.webhook_trust_anchors_file",
    );

    fx.write("ca.pem", FAKE_KEY_PEM);
    expect_issue(
        fx.load(&text, &base_env()),
        "partner_center.webhook_trust_anchors_file",
    );

    fx.write("ca.pem", FAKE_CERT_PEM);
    let c = fx.load(&text, &base_env()).unwrap();
    assert_eq!(
        c.partner_center.webhook_trust_anchors_file,
        Some(fx.path().join("ca.pem"))
    );
    assert!(!c
        .warnings
        .iter()
        .any(|w| w.key == "partner_center.webhook_trust_anchors_file"));
}

#[test]
fn client_credentials_needs_a_my_domain() {
    let fx = Fixture::new();
    let text = with_str(MINIMAL, "salesforce.auth", "client_credentials");
    let vars = env(&[
        ("COSELL_PC_REFRESH_TOKEN", "x"),
        ("COSELL_SF_CLIENT_SECRET", "y"),
    ]);
    let message = expect_issue(fx.load(&text, &vars), "salesforce.login_url");
    assert!(message.contains("My Domain"), "{message}");
}

#[test]
fn an_empty_currency_field_means_a_single_currency_org() {
    let fx = Fixture::new();
    let single = with_str(MINIMAL, "sync.currency_field", "");
    let message = expect_issue(fx.load(&single, &base_env()), "sync.org_currency");
    assert!(message.contains("corporate currency"), "{message}");
    let c = fx
        .load(&with_str(&single, "sync.org_currency", "eur"), &base_env())
        .unwrap();
    assert!(c.sync.currency_field.is_empty());
    assert_eq!(c.sync.org_currency.as_deref(), Some("EUR"));
    let bad = with_str(&single, "sync.org_currency", "EURO");
    let message = expect_issue(fx.load(&bad, &base_env()), "sync.org_currency");
    assert!(message.contains("ISO 4217"), "{message}");
    let stray = with_str(MINIMAL, "sync.org_currency", "USD");
    let message = expect_issue(fx.load(&stray, &base_env()), "sync.org_currency");
    assert!(message.contains("single-currency"), "{message}");
}

#[test]
fn namespaced_custom_names_are_accepted() {
    let fx = Fixture::new();
    let text = with_str(MINIMAL, "sync.fields.audit", "mspc__Audit__c");
    let c = fx.load(&text, &base_env()).unwrap();
    assert_eq!(c.sync.fields.audit.as_str(), "mspc__Audit__c");
}

#[test]
fn all_problems_are_reported_at_once() {
    let fx = Fixture::new();
    let mut text = with(MINIMAL, "worker.batch_size", Some(Value::Integer(500)));
    text = with_str(&text, "server.listen", "nowhere");
    text = with_str(&text, "sync.fields.audit", "Audit");
    let err = fx.load(&text, &base_env()).unwrap_err();
    let keys = err.keys();
    for key in ["worker.batch_size", "server.listen", "sync.fields.audit"] {
        assert!(keys.contains(&key), "{keys:?}");
    }
    assert!(err.to_string().contains("3 problems"), "{err}");
}

#[test]
fn load_resolves_paths_against_the_file_folder() {
    let fx = Fixture::new();
    let path = fx.write("cosell.toml", MINIMAL);
    let c = Config::load_with_env(&path, &base_env()).unwrap();
    assert_eq!(c.source.as_deref(), Some(path.as_path()));
    assert_eq!(
        c.store.url.expose_url(),
        format!("sqlite://{}", fx.path().join("cosell.db").display())
    );

    let bad = fx.write("bad.toml", &with(MINIMAL, "sync.active_stage", None));
    let err = Config::load_with_env(&bad, &base_env()).unwrap_err();
    assert!(err.to_string().contains(bad.to_str().unwrap()), "{err}");

    let err = Config::load_with_env(fx.path().join("absent.toml"), &base_env()).unwrap_err();
    assert!(err.to_string().contains("absent.toml"), "{err}");
    assert!(err.to_string().contains("cosell init"), "{err}");
}

#[test]
fn a_mapping_to_a_field_the_connector_owns_is_refused_by_name() {
    let text = "[partner_center]\ntoken_url = \"https://login.microsoftonline.com/t/oauth2/v2.0/token\"\nclient_id = \"c\"\n\
        [salesforce]\nauth = \"password\"\nclient_id = \"c\"\nusername = \"u\"\n\
        [sync]\nactive_stage = \"Qualification\"\non_hold_stage = \"On Hold\"\n\
        [[mapping]]\nreferral = \"/details/customerAction\"\nsalesforce = \"Amount\"\n";
    let env: std::collections::HashMap<String, String> = [
        ("COSELL_PC_REFRESH_TOKEN", "r"),
        ("COSELL_SF_CLIENT_SECRET", "s"),
        ("COSELL_SF_PASSWORD", "p"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let err = cosell::config::Config::from_toml_str(text, std::path::Path::new("/tmp"), &env)
        .unwrap_err();
    let keys = err.keys();
    assert!(keys.contains(&"mapping[0].salesforce"), "{keys:?}: {err}");
}

#[test]
fn the_password_flow_is_warned_about_before_salesforce_retires_it() {
    let text = "[partner_center]\ntoken_url = \"https://login.microsoftonline.com/t/oauth2/v2.0/token\"\nclient_id = \"c\"\n\
        [salesforce]\nauth = \"password\"\nclient_id = \"c\"\nusername = \"u\"\n\
        [sync]\nactive_stage = \"Qualification\"\non_hold_stage = \"On Hold\"\n";
    let env: std::collections::HashMap<String, String> = [
        ("COSELL_PC_REFRESH_TOKEN", "r"),
        ("COSELL_SF_CLIENT_SECRET", "s"),
        ("COSELL_SF_PASSWORD", "p"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let c = cosell::config::Config::from_toml_str(text, std::path::Path::new("/tmp"), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let warning = c
        .warnings
        .iter()
        .find(|w| w.key == "salesforce.auth")
        .expect("a warning on salesforce.auth");
    assert!(
        warning.message.contains("2027-02-20"),
        "{}",
        warning.message
    );
}
