//! The real client against the real Salesforce emulator: every OAuth grant,
//! token expiry mid-run, CRUD and upsert, Collections partial failure and
//! rollback, Composite references, paging over thousands of rows, SOQL
//! injection attempts, describe, limits, Tooling, injected faults, the daily
//! API limit and revoked sessions (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm>).
//!
//! Each test starts its own emulator on 127.0.0.1:0.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator::control::FaultConfig;
use emulator::salesforce::{Options, SalesforceEmulator, DEFAULT_CALLBACK_URL};
use salesforce::auth::web_server::{authorize_url, AuthorizeRequest, CodeExchange, Pkce};
use salesforce::auth::{
    AccessToken, AuthError, Grant, OAuthConfig, OAuthTokenProvider, StaticTokenProvider,
    TokenProvider,
};
use salesforce::retry::{Backoff, RetryPolicy};
use salesforce::{
    ClientConfig, CompositeRequest, Condition, Direction, Error, ErrorCode, Record,
    SalesforceClient, Soql, Subrequest, SubrequestMethod,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use url::Url;

/// Route key of the token endpoint in the emulator's call counter.
const TOKEN_ROUTE: &str = "POST /services/oauth2/token";
/// Route key of single-record PATCH in the emulator's call counter.
const RECORD_PATCH_ROUTE: &str = "PATCH /services/data/{version}/sobjects/{object}/{id}";
/// Route key of single-record create.
const CREATE_ROUTE: &str = "POST /services/data/{version}/sobjects/{object}";
/// Route key of query continuation pages.
const QUERY_MORE_ROUTE: &str = "GET /services/data/{version}/query/{locator}";
/// The connector's external-id field on Opportunity.
const REFERRAL_ID: &str = "Referral_Identifier__c";
/// Rows inserted for the paging story (more than one default 2,000-row batch).
const PAGING_ROWS: usize = 2_500;
/// A close date every opportunity here uses.
const CLOSE_DATE: &str = "2030-06-30";

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// Starts an emulator serving a fresh org.
async fn start(options: Options) -> SalesforceEmulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    SalesforceEmulator::start(listener, options).await.unwrap()
}

fn login_url(emulator: &SalesforceEmulator) -> Url {
    Url::parse(&emulator.url()).unwrap()
}

/// Fast retries so fault tests finish quickly, with enough of them that a
/// 40 % fault rate cannot exhaust them in practice (0.4^11 per call).
fn fast_config() -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy::new(
            11,
            Backoff::new(Duration::from_millis(2), Duration::from_millis(20)),
        ),
        ..ClientConfig::default()
    }
}

fn password_grant_with(password: &str) -> Grant {
    let options = Options::default();
    Grant::Password {
        client_id: options.client_id,
        client_secret: secret(&options.client_secret),
        username: options.username,
        password: secret(password),
        security_token: None,
    }
}

fn password_grant() -> Grant {
    password_grant_with(&Options::default().password)
}

fn provider(emulator: &SalesforceEmulator, grant: Grant) -> OAuthTokenProvider {
    OAuthTokenProvider::new(OAuthConfig::new(login_url(emulator), grant)).unwrap()
}

fn client_for(provider: impl TokenProvider + 'static) -> SalesforceClient {
    SalesforceClient::builder(Arc::new(provider))
        .config(fast_config())
        .build()
        .unwrap()
}

/// A client logged in with the password grant of the default options.
fn password_client(emulator: &SalesforceEmulator) -> SalesforceClient {
    client_for(provider(emulator, password_grant()))
}

/// Calls the emulator served on routes whose key contains `needle`.
fn served(emulator: &SalesforceEmulator, needle: &str) -> u64 {
    emulator.control().calls().matching(needle)
}

fn opportunity(name: &str) -> Record {
    Record::of_type("Opportunity")
        .with("Name", name)
        .with("StageName", "Prospecting")
        .with("CloseDate", CLOSE_DATE)
}

fn ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| r.str("Id").expect("record has an Id").to_owned())
        .collect()
}

/// The client's current access token.
async fn current_token(client: &SalesforceClient) -> String {
    client
        .access_token()
        .await
        .unwrap()
        .access_token
        .expose_secret()
        .to_owned()
}

/// Revokes an access token at the emulator's `/services/oauth2/revoke`.
async fn revoke(emulator: &SalesforceEmulator, token: &str) {
    let status = reqwest::Client::new()
        .post(format!("{}/services/oauth2/revoke", emulator.url()))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, reqwest::StatusCode::OK);
}

/// Checks a documented OAuth failure: 400, `error` and `error_description` (<https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm>).
fn assert_oauth_error(err: AuthError, want_error: &str, want_description: &str) {
    let description = assert_oauth_code(err, want_error);
    assert_eq!(description, want_description);
}

/// Checks a 400 OAuth failure's `error` where the reference gives no
/// description text; returns the description.
fn assert_oauth_code(err: AuthError, want_error: &str) -> String {
    match err {
        AuthError::OAuth {
            status,
            error,
            description,
        } => {
            assert_eq!(status, 400);
            assert_eq!(error, want_error);
            description
        }
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- OAuth grants

#[tokio::test]
async fn password_grant_logs_in_and_names_the_org_and_user() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let token = client.access_token().await.unwrap();
    assert_eq!(token.org_id(), Some(emulator.org_id().as_str()));
    assert_eq!(token.user_id(), Some(emulator.admin_user_id().as_str()));
    assert!(token.issued_at.is_some(), "issued_at is epoch milliseconds");
    assert_eq!(
        token.instance_url.as_str().trim_end_matches('/'),
        emulator.url()
    );
    let id = client
        .create("Account", &Record::of_type("Account").with("Name", "ACME"))
        .await
        .unwrap();
    let read = client.get("Account", &id, Some(&["Name"])).await.unwrap();
    assert_eq!(read.str("Name"), Some("ACME"));

    let wrong = provider(&emulator, password_grant_with("not-the-password"));
    assert_oauth_error(
        wrong.fetch_token().await.unwrap_err(),
        "invalid_grant",
        "authentication failure",
    );
}

#[tokio::test]
async fn client_credentials_grant_works_only_on_my_domain() {
    let options = Options::default();
    let grant = Grant::ClientCredentials {
        client_id: options.client_id.clone(),
        client_secret: secret(&options.client_secret),
    };
    let emulator = start(options.clone()).await;
    let client = client_for(provider(&emulator, grant.clone()));
    let limits = client.limits().await.unwrap();
    assert!(limits.contains_key("DailyApiRequests"));
    let token = client.access_token().await.unwrap();
    assert_eq!(token.user_id(), Some(emulator.admin_user_id().as_str()));

    let bad_secret = Grant::ClientCredentials {
        client_id: options.client_id.clone(),
        client_secret: secret("wrong"),
    };
    assert_oauth_code(
        provider(&emulator, bad_secret)
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_client",
    );

    // login.salesforce.com-style host: https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_endpoints.htm.
    let login_host = start(Options {
        my_domain: false,
        ..options
    })
    .await;
    assert_oauth_error(
        provider(&login_host, grant)
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_grant",
        "request not supported on this domain",
    );
}

#[tokio::test]
async fn the_web_server_flow_with_pkce_gives_a_refresh_token_that_keeps_minting() {
    let options = Options::default();
    let emulator = start(options.clone()).await;
    let login_url = Url::parse(&emulator.url()).unwrap();
    let pkce = Pkce::generate();
    let authorize = authorize_url(
        &AuthorizeRequest {
            login_url: &login_url,
            client_id: &options.client_id,
            redirect_uri: DEFAULT_CALLBACK_URL,
            scope: "api refresh_token",
            state: "st",
        },
        &pkce,
    )
    .unwrap();
    // The person signs in and allows access: the form the page posts.
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    for (k, v) in [
        ("username", options.username.as_str()),
        ("pw", options.password.as_str()),
        ("action", "allow"),
    ] {
        form.push((k.to_owned(), v.to_owned()));
    }
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/services/oauth2/authorize", emulator.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    let callback = Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned();
    let token_url = Url::parse(&format!("{}/services/oauth2/token", emulator.url())).unwrap();
    let client_secret = secret(&options.client_secret);
    let exchange = CodeExchange {
        token_url: &token_url,
        client_id: &options.client_id,
        client_secret: Some(&client_secret),
        redirect_uri: DEFAULT_CALLBACK_URL,
    };
    let http = reqwest::Client::new();
    let signed_in = exchange.redeem(&http, &code, &pkce).await.unwrap();
    assert_oauth_error(
        exchange.redeem(&http, &code, &pkce).await.unwrap_err(),
        "invalid_grant",
        "invalid authorization code",
    );
    let refresh_token = signed_in.refresh_token.expose_secret().to_owned();
    let first_access = signed_in.access.access_token.expose_secret().to_owned();

    let grant = |refresh: &str| Grant::RefreshToken {
        client_id: options.client_id.clone(),
        client_secret: Some(secret(&options.client_secret)),
        refresh_token: secret(refresh),
    };
    let client = client_for(provider(&emulator, grant(&refresh_token)));
    let id = client
        .create("Opportunity", &opportunity("Refreshed"))
        .await;
    assert!(id.is_ok(), "{id:?}");
    let first = current_token(&client).await;
    assert_ne!(first, first_access);

    // The refresh token keeps minting after the access token is revoked.
    revoke(&emulator, &first).await;
    let before = served(&emulator, TOKEN_ROUTE);
    client.get("Opportunity", &id.unwrap(), None).await.unwrap();
    assert_eq!(served(&emulator, TOKEN_ROUTE), before + 1);
    assert_ne!(current_token(&client).await, first);

    assert_oauth_error(
        provider(&emulator, grant("not-a-refresh-token"))
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_grant",
        "expired access/refresh token",
    );
    // A revoked refresh token stops working too.
    revoke(&emulator, &refresh_token).await;
    assert_oauth_error(
        provider(&emulator, grant(&refresh_token))
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_grant",
        "expired access/refresh token",
    );
}

/// An RSA key and a self-signed certificate for it, as uploaded to the app.
fn jwt_key_and_certificate() -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["cosell-connector".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (key.serialize_pem(), cert.pem())
}

#[tokio::test]
async fn jwt_bearer_grant_signs_with_the_key_whose_certificate_the_app_holds() {
    let (private_key, certificate) = jwt_key_and_certificate();
    let options = Options {
        jwt_certificate_pem: Some(certificate),
        ..Options::default()
    };
    let emulator = start(options.clone()).await;
    let grant = |key: &str, username: &str| Grant::JwtBearer {
        client_id: options.client_id.clone(),
        username: username.to_owned(),
        private_key_pem: secret(key),
        audience: None,
    };
    let client = client_for(provider(&emulator, grant(&private_key, &options.username)));
    let stages = client.opportunity_stages().await.unwrap();
    assert!(stages
        .iter()
        .any(|s| s.api_name == "Closed Won" && s.is_won));
    let token = client.access_token().await.unwrap();
    assert_eq!(token.user_id(), Some(emulator.admin_user_id().as_str()));

    // The production audience is accepted as well as the instance's own.
    let login_aud = Grant::JwtBearer {
        client_id: options.client_id.clone(),
        username: options.username.clone(),
        private_key_pem: secret(&private_key),
        audience: Some("https://login.salesforce.com".into()),
    };
    assert!(provider(&emulator, login_aud).fetch_token().await.is_ok());

    let (other_key, _) = jwt_key_and_certificate();
    assert_oauth_code(
        provider(&emulator, grant(&other_key, &options.username))
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_grant",
    );
    assert_oauth_error(
        provider(&emulator, grant(&private_key, "nobody@example.com"))
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_grant",
        "user hasn't approved this consumer",
    );
    let wrong_aud = Grant::JwtBearer {
        client_id: options.client_id.clone(),
        username: options.username.clone(),
        private_key_pem: secret(&private_key),
        audience: Some("https://example.com".into()),
    };
    assert_oauth_error(
        provider(&emulator, wrong_aud)
            .fetch_token()
            .await
            .unwrap_err(),
        "invalid_grant",
        "audience is invalid",
    );
}

// --------------------------------------------------------------- sessions

#[tokio::test]
async fn a_long_run_outlives_its_tokens_and_keeps_working() {
    let emulator = start(Options {
        token_lifetime: Duration::from_millis(150),
        ..Options::default()
    })
    .await;
    let client = password_client(&emulator);
    let id = client
        .create("Opportunity", &opportunity("Long run"))
        .await
        .unwrap();
    let started = Instant::now();
    let mut rounds = 0u32;
    while started.elapsed() < Duration::from_millis(800) {
        let amount = f64::from(rounds) * 10.0;
        client
            .update("Opportunity", &id, &Record::new().with("Amount", amount))
            .await
            .unwrap();
        let rows = client
            .query_all_records(
                &Soql::select(["Id", "Amount"])
                    .from("Opportunity")
                    .where_(Condition::eq("Id", id.as_str())),
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].f64("Amount"), Some(amount));
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let tokens = served(&emulator, TOKEN_ROUTE);
    assert!(
        tokens >= 3,
        "expected the token to be re-minted as it expired, token endpoint saw {tokens} calls in {rounds} rounds"
    );
}

#[tokio::test]
async fn a_revoked_session_is_refreshed_once_and_a_dead_one_is_reported() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let id = client
        .create(
            "Account",
            &Record::of_type("Account").with("Name", "Revoked"),
        )
        .await
        .unwrap();
    let token = current_token(&client).await;
    revoke(&emulator, &token).await;
    let tokens_before = served(&emulator, TOKEN_ROUTE);
    let read = client.get("Account", &id, None).await.unwrap();
    assert_eq!(read.str("Name"), Some("Revoked"));
    assert_eq!(served(&emulator, TOKEN_ROUTE), tokens_before + 1);

    // A provider that can only hand back the dead token: one refresh, one
    // resend, then INVALID_SESSION_ID surfaces typed (no loop).
    let dead = StaticTokenProvider::new(AccessToken::new(secret(&token), login_url(&emulator)));
    let stuck = client_for(dead);
    let gets_before = served(
        &emulator,
        "GET /services/data/{version}/sobjects/{object}/{id}",
    );
    let err = stuck.get("Account", &id, None).await.unwrap_err();
    match &err {
        Error::Api {
            status: 401,
            errors,
        } => {
            assert_eq!(errors[0].code, ErrorCode::InvalidSessionId);
            assert_eq!(errors[0].message, "Session expired or invalid");
        }
        other => panic!("expected 401 INVALID_SESSION_ID, got {other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(
        served(
            &emulator,
            "GET /services/data/{version}/sobjects/{object}/{id}"
        ),
        gets_before + 2,
        "one attempt and one resend after the refresh"
    );
}

// ------------------------------------------------------------ records

/// Team members skip the Recycle Bin: only getDeleted lists them, with the
/// window Salesforce answers for (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm>, <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityteammember.htm>).
#[tokio::test]
async fn get_deleted_lists_a_removed_team_member_inside_the_covered_window() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let users = client
        .query(&Soql::select(["Id"]).from("User"))
        .await
        .unwrap()
        .records;
    let opp = client
        .create("Opportunity", &opportunity("Team deal"))
        .await
        .unwrap();
    let mut members = Vec::new();
    for user in users.iter().take(2) {
        let member = Record::of_type("OpportunityTeamMember")
            .with("OpportunityId", opp.as_str())
            .with("UserId", user.id().unwrap());
        members.push(
            client
                .create("OpportunityTeamMember", &member)
                .await
                .unwrap(),
        );
    }
    let start = emulator.now() - chrono::Duration::minutes(2);
    client
        .delete("OpportunityTeamMember", &members[0])
        .await
        .unwrap();
    // The running minute is never covered: move the org a minute on.
    emulator.advance_clock(Duration::from_secs(61));
    let end = emulator.now();

    let answer = client
        .deleted("OpportunityTeamMember", start, end)
        .await
        .unwrap();
    let ids: Vec<&str> = answer
        .deleted_records
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(ids, vec![members[0].as_str()], "only the removed member");
    let deleted_at = answer.deleted_records[0].deleted_date;
    assert!(deleted_at >= start && deleted_at < answer.latest_date_covered);
    assert!(answer.latest_date_covered <= end);
    assert_eq!(
        answer.latest_date_covered.timestamp() % 60,
        0,
        "minute granularity"
    );

    // A window starting where the last one was covered lists nothing new.
    let next = client
        .deleted(
            "OpportunityTeamMember",
            answer.latest_date_covered,
            end + chrono::Duration::minutes(1),
        )
        .await
        .unwrap();
    assert!(next.deleted_records.is_empty(), "{next:?}");

    // More than 15 days back is refused with Salesforce's code.
    let refused = client
        .deleted(
            "OpportunityTeamMember",
            end - chrono::Duration::days(20),
            end,
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some(&ErrorCode::Other("INVALID_REPLICATION_DATE".into())),
        "{refused:?}"
    );
    // A window that ends before it starts never leaves the client.
    let backwards = client
        .deleted("OpportunityTeamMember", end, start)
        .await
        .unwrap_err();
    assert!(matches!(backwards, Error::InvalidInput(_)), "{backwards:?}");
}

#[tokio::test]
async fn a_record_is_created_read_updated_deleted_and_found_among_the_deleted() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let account = client
        .create(
            "Account",
            &Record::of_type("Account")
                .with("Name", "Contoso")
                .with("Website", "https://contoso.example"),
        )
        .await
        .unwrap();
    assert_eq!(account.len(), 18, "responses carry 18-character ids");
    let opp = client
        .create(
            "Opportunity",
            &opportunity("Contoso renewal").with("AccountId", account.as_str()),
        )
        .await
        .unwrap();
    let read = client.get("Opportunity", &opp, None).await.unwrap();
    assert_eq!(read.object_type(), Some("Opportunity"));
    assert_eq!(read.str("AccountId"), Some(account.as_str()));
    assert_eq!(read.bool("IsClosed"), Some(false));

    client
        .update(
            "Opportunity",
            &opp,
            &Record::new()
                .with("StageName", "Closed Won")
                .with("Amount", 1250.5),
        )
        .await
        .unwrap();
    let read = client
        .get("Opportunity", &opp, Some(&["StageName", "IsWon", "Amount"]))
        .await
        .unwrap();
    assert_eq!(read.str("StageName"), Some("Closed Won"));
    assert_eq!(read.bool("IsWon"), Some(true), "derived from the stage");
    assert_eq!(read.f64("Amount"), Some(1250.5));
    // The 15-character form is accepted too.
    let short = client.get("Opportunity", &opp[..15], Some(&["Id"])).await;
    assert_eq!(short.unwrap().id(), Some(opp.as_str()));

    client.delete("Opportunity", &opp).await.unwrap();
    let gone = client.get("Opportunity", &opp, None).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone:?}");
    assert_eq!(gone.code(), Some(&ErrorCode::EntityIsDeleted));
    let again = client.delete("Opportunity", &opp).await.unwrap_err();
    assert_eq!(again.code(), Some(&ErrorCode::EntityIsDeleted));

    let by_id = Soql::select(["Id", "IsDeleted"])
        .from("Opportunity")
        .where_(Condition::eq("Id", opp.as_str()));
    assert!(client.query(&by_id).await.unwrap().records.is_empty());
    let page = client.query_including_deleted(&by_id).await.unwrap();
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].bool("IsDeleted"), Some(true));
    let all = client
        .query_all_records_including_deleted(&by_id)
        .await
        .unwrap();
    assert_eq!(ids(&all), vec![opp]);

    let missing = client
        .get("Opportunity", "006000000000000AAA", None)
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");
}

#[tokio::test]
async fn upsert_by_referral_id_creates_then_updates_and_a_shared_key_is_ambiguous() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let first = client
        .upsert(
            "Opportunity",
            REFERRAL_ID,
            "R-1001",
            &opportunity("Referral deal"),
        )
        .await
        .unwrap();
    assert!(first.created, "201 created");
    let second = client
        .upsert(
            "Opportunity",
            REFERRAL_ID,
            "R-1001",
            &Record::of_type("Opportunity").with("StageName", "Qualification"),
        )
        .await
        .unwrap();
    assert!(!second.created, "200 updated");
    assert_eq!(second.id, first.id);
    let read = client
        .get("Opportunity", &first.id, Some(&["StageName", REFERRAL_ID]))
        .await
        .unwrap();
    assert_eq!(read.str("StageName"), Some("Qualification"));
    assert_eq!(read.str(REFERRAL_ID), Some("R-1001"));

    // Referral_Identifier__c is unique; a non-unique external id can match twice.
    let field = client
        .tooling_create(
            "CustomField",
            &json!({
                "FullName": "Opportunity.Legacy_Key__c",
                "Metadata": {"label": "Legacy Key", "type": "Text", "length": 40,
                             "externalId": true, "unique": false, "required": false}
            }),
        )
        .await
        .unwrap();
    assert!(field.starts_with("00N"), "{field}");
    for name in ["Twin A", "Twin B"] {
        emulator
            .insert(
                "Opportunity",
                json!({"Name": name, "StageName": "Prospecting", "CloseDate": CLOSE_DATE,
                       "Legacy_Key__c": "L-7"}),
            )
            .unwrap();
    }
    let err = client
        .upsert(
            "Opportunity",
            "Legacy_Key__c",
            "L-7",
            &Record::new().with("Amount", 5),
        )
        .await
        .unwrap_err();
    match err {
        Error::MultipleMatches { urls } => {
            assert_eq!(urls.len(), 2);
            assert!(urls
                .iter()
                .all(|u| u.starts_with("/services/data/v62.0/sobjects/Opportunity/006")));
        }
        other => panic!("expected MultipleMatches, got {other:?}"),
    }

    // A misspelled external-id field is 404 NOT_FOUND (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm).
    let err = client
        .upsert("Opportunity", "No_Such_Key__c", "x", &opportunity("x"))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn collections_create_reports_per_record_errors_or_rolls_everything_back() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let batch = |tag: &str| {
        vec![
            Record::of_type("Account").with("Name", format!("{tag} one")),
            Record::of_type("Account").with("Website", "https://no-name.example"),
            Record::of_type("Account").with("Name", format!("{tag} three")),
        ]
    };
    let accounts_named = |tag: &str| {
        Soql::select(["Id", "Name"])
            .from("Account")
            .where_(Condition::like(
                "Name",
                salesforce::LikePattern::starts_with(tag),
            ))
    };

    let partial = client.create_many(&batch("Partial"), false).await.unwrap();
    assert_eq!(partial.len(), 3);
    assert!(partial[0].success && partial[2].success);
    assert!(!partial[1].success);
    assert!(partial[1].id.is_none());
    let error = &partial[1].errors[0];
    assert_eq!(error.status_code, ErrorCode::RequiredFieldMissing);
    assert_eq!(error.fields, vec!["Name".to_owned()]);
    let saved = client
        .query_all_records(&accounts_named("Partial"))
        .await
        .unwrap();
    let mut saved_ids = ids(&saved);
    saved_ids.sort();
    let mut want: Vec<String> = [&partial[0], &partial[2]]
        .iter()
        .map(|r| r.id.clone().unwrap())
        .collect();
    want.sort();
    assert_eq!(saved_ids, want);

    let atomic = client.create_many(&batch("Atomic"), true).await.unwrap();
    assert!(atomic.iter().all(|r| !r.success));
    assert_eq!(
        atomic[1].errors[0].status_code,
        ErrorCode::RequiredFieldMissing
    );
    for sibling in [&atomic[0], &atomic[2]] {
        assert_eq!(
            sibling.errors[0].status_code,
            ErrorCode::AllOrNoneOperationRolledBack
        );
    }
    let persisted = client
        .query_all_records(&accounts_named("Atomic"))
        .await
        .unwrap();
    assert!(persisted.is_empty(), "all-or-none persisted {persisted:?}");
}

#[tokio::test]
async fn composite_chains_an_account_an_opportunity_and_a_read_by_reference() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let calls_before = emulator.api_usage();
    let request = CompositeRequest::new(true)
        .push(
            Subrequest::new(
                SubrequestMethod::Post,
                client.api_path("sobjects/Account"),
                "acct",
            )
            .with_body(json!({"Name": "Fabrikam"})),
        )
        .push(
            Subrequest::new(
                SubrequestMethod::Post,
                client.api_path("sobjects/Opportunity"),
                "opp",
            )
            .with_body(json!({"Name": "Fabrikam deal", "StageName": "Prospecting",
                              "CloseDate": CLOSE_DATE, "AccountId": "@{acct.id}"})),
        )
        .push(Subrequest::new(
            SubrequestMethod::Get,
            client.api_path("sobjects/Opportunity/@{opp.id}?fields=Id,AccountId,IsClosed"),
            "oppRead",
        ));
    let results = client.composite(&request).await.unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r.is_success()), "{results:?}");
    assert_eq!(results[0].http_status_code, 201);
    let account = results[0].id().unwrap();
    let opp = results[1].id().unwrap();
    assert_eq!(results[2].body["Id"], opp);
    assert_eq!(results[2].body["AccountId"], account);
    assert_eq!(
        emulator.api_usage(),
        calls_before + 1,
        "a composite request is one API call"
    );

    // All or none: a failing subrequest halts and rolls back its siblings.
    let failing = CompositeRequest::new(true)
        .push(
            Subrequest::new(
                SubrequestMethod::Post,
                client.api_path("sobjects/Account"),
                "ok",
            )
            .with_body(json!({"Name": "Rolled back"})),
        )
        .push(
            Subrequest::new(
                SubrequestMethod::Post,
                client.api_path("sobjects/Opportunity"),
                "bad",
            )
            .with_body(json!({"Name": "No stage", "CloseDate": CLOSE_DATE})),
        );
    let results = client.composite(&failing).await.unwrap();
    let by_ref = |r: &str| results.iter().find(|s| s.reference_id == r).unwrap();
    assert_eq!(
        by_ref("bad").errors()[0].code,
        ErrorCode::RequiredFieldMissing
    );
    assert_eq!(by_ref("ok").errors()[0].code, ErrorCode::ProcessingHalted);
    let rolled_back = client
        .query(
            &Soql::select(["Id"])
                .from("Account")
                .where_(Condition::eq("Name", "Rolled back")),
        )
        .await
        .unwrap();
    assert_eq!(rolled_back.total_size, 0);
}

// ------------------------------------------------------------------ SOQL

#[tokio::test]
async fn paging_returns_every_one_of_2500_rows_exactly_once() {
    let emulator = start(Options::default()).await;
    let mut inserted = HashSet::new();
    for i in 0..PAGING_ROWS {
        let id = emulator
            .insert(
                "Opportunity",
                json!({"Name": format!("Bulk {i:04}"), "StageName": "Prospecting",
                       "CloseDate": CLOSE_DATE}),
            )
            .unwrap();
        inserted.insert(id);
    }
    let client = password_client(&emulator);
    let soql = Soql::select(["Id", "Name", "SystemModstamp"])
        .from("Opportunity")
        .where_(Condition::like(
            "Name",
            salesforce::LikePattern::starts_with("Bulk "),
        ))
        .order_by("SystemModstamp", Direction::Asc)
        .order_by("Id", Direction::Asc);

    let first = client.query(&soql).await.unwrap();
    assert_eq!(first.total_size, PAGING_ROWS as u64);
    assert!(!first.done);
    assert!(first.next_records_url.is_some());
    assert!(first.records.len() < PAGING_ROWS);

    let pages_before = served(&emulator, QUERY_MORE_ROUTE);
    let rows = client.query_all_records(&soql).await.unwrap();
    assert_eq!(rows.len(), PAGING_ROWS);
    let got: Vec<String> = ids(&rows);
    let unique: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(unique.len(), PAGING_ROWS, "no row twice");
    assert_eq!(unique, inserted, "every row once");
    assert!(served(&emulator, QUERY_MORE_ROUTE) > pages_before);

    // A smaller batch size means more pages, same rows.
    let small = SalesforceClient::builder(Arc::new(provider(&emulator, password_grant())))
        .config(ClientConfig {
            query_batch_size: Some(500),
            ..fast_config()
        })
        .build()
        .unwrap();
    let pages_before = served(&emulator, QUERY_MORE_ROUTE);
    let rows = small.query_all_records(&soql).await.unwrap();
    let unique: HashSet<String> = ids(&rows).into_iter().collect();
    assert_eq!(rows.len(), PAGING_ROWS);
    assert_eq!(unique, inserted);
    assert_eq!(
        served(&emulator, QUERY_MORE_ROUTE) - pages_before,
        (PAGING_ROWS / 500 - 1) as u64,
        "batchSize=500 gives five pages"
    );
}

/// Names an attacker might pick to break out of a SOQL string literal.
const HOSTILE_NAMES: &[&str] = &[
    r"O'Brien's \ deal",
    "x' OR Name != '",
    r"\\' OR '1'='1",
    r"\' OR Name LIKE '%",
    "'; DELETE FROM Opportunity; --",
    "quote \" and\ttab\nnewline",
    "100% _match_ %",
    r"trailing backslash \",
];

#[tokio::test]
async fn hostile_names_round_trip_as_data_and_never_change_the_query() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    // A bystander that a broken-out `OR` condition would drag in.
    client
        .create("Opportunity", &opportunity("Innocent bystander"))
        .await
        .unwrap();
    let mut created = Vec::new();
    for name in HOSTILE_NAMES {
        let account = client
            .create("Account", &Record::of_type("Account").with("Name", *name))
            .await
            .unwrap();
        let opp = client
            .create(
                "Opportunity",
                &opportunity(name).with("AccountId", account.as_str()),
            )
            .await
            .unwrap();
        created.push((*name, account, opp));
    }
    for (name, account, opp) in &created {
        let accounts = client
            .query_all_records(
                &Soql::select(["Id", "Name"])
                    .from("Account")
                    .where_(Condition::eq("Name", *name)),
            )
            .await
            .unwrap();
        assert_eq!(ids(&accounts), vec![account.clone()], "{name:?}");
        assert_eq!(accounts[0].str("Name"), Some(*name));

        let opps = client
            .query_all_records(
                &Soql::select(["Id", "Name", "Account.Name"])
                    .from("Opportunity")
                    .where_(Condition::eq("Name", *name)),
            )
            .await
            .unwrap();
        assert_eq!(ids(&opps), vec![opp.clone()], "{name:?}");
        assert_eq!(opps[0].str("Name"), Some(*name));
        assert_eq!(opps[0].str("Account.Name"), Some(*name));

        // LIKE with the name as literal text matches only itself as well.
        let like =
            client
                .query_all_records(&Soql::select(["Id"]).from("Opportunity").where_(
                    Condition::like("Name", salesforce::LikePattern::new().text(*name)),
                ))
                .await
                .unwrap();
        assert_eq!(ids(&like), vec![opp.clone()], "LIKE {name:?}");

        // And the name reads back unchanged by id.
        let read = client
            .get("Opportunity", opp, Some(&["Name"]))
            .await
            .unwrap();
        assert_eq!(read.str("Name"), Some(*name));
    }
    // Nothing was deleted or widened along the way.
    let all = client
        .query_all_records(&Soql::select(["Id"]).from("Opportunity"))
        .await
        .unwrap();
    assert_eq!(all.len(), HOSTILE_NAMES.len() + 1);

    // Control: the same name pasted into the statement unescaped does widen
    // the query on this emulator, so the checks above can catch an injection.
    let naive = format!(
        "SELECT Id FROM Opportunity WHERE Name = '{}'",
        HOSTILE_NAMES[1]
    );
    let widened: Value = reqwest::Client::new()
        .get(format!("{}{}", emulator.url(), client.api_path("query")))
        .query(&[("q", naive)])
        .bearer_auth(current_token(&client).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(widened["totalSize"], json!(all.len()), "{widened}");
}

// ----------------------------------------------------- describe, limits, Tooling

#[tokio::test]
async fn describe_shows_the_connector_fields() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let describe = client.describe("Opportunity").await.unwrap();
    assert_eq!(describe.name, "Opportunity");
    assert_eq!(describe.key_prefix.as_deref(), Some("006"));
    let referral = describe.field(REFERRAL_ID).expect("Referral_Identifier__c");
    assert!(referral.custom && referral.external_id && referral.unique);
    assert_eq!(referral.field_type, "string");
    let help = describe
        .field("How_can_Microsoft_help__c")
        .expect("How_can_Microsoft_help__c");
    assert!(help.restricted_picklist);
    assert!(help
        .picklist_values
        .iter()
        .any(|v| v.value == "Proof of concept or demo"));
    for name in [
        "Sync_with_Partner_Center__c",
        "Referral_Link__c",
        "Microsoft_Referral_Visibility__c",
        "Microsoft_CRM_Identifier__c",
        "Audit__c",
        "CurrencyIsoCode",
    ] {
        assert!(describe.field(name).is_some(), "{name}");
    }
    let global = client.describe_global().await.unwrap();
    assert!(global
        .sobjects
        .iter()
        .any(|o| o.name == "Microsoft_Solution__c" && o.custom));

    // A bare org (before `cosell setup`) has none of them.
    let bare = start(Options {
        bare: true,
        ..Options::default()
    })
    .await;
    let describe = password_client(&bare)
        .describe("Opportunity")
        .await
        .unwrap();
    assert!(describe.field(REFERRAL_ID).is_none());
}

#[tokio::test]
async fn limits_and_the_limit_info_header_agree_with_the_org_counter() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    assert!(client.api_usage().is_none(), "nothing seen yet");
    let versions = client.versions().await.unwrap();
    assert!(versions.iter().any(|v| v.version == "62.0"));
    assert!(
        client.api_usage().is_none(),
        "/services/data/ has no header"
    );
    assert_eq!(emulator.api_usage(), 0, "/services/data/ is free");

    client
        .create(
            "Account",
            &Record::of_type("Account").with("Name", "Counted"),
        )
        .await
        .unwrap();
    let limits = client.limits().await.unwrap();
    let daily = &limits["DailyApiRequests"];
    assert_eq!(daily.max, 15_000);
    assert_eq!(daily.remaining, 15_000 - 2, "the create and this call");
    let usage = client.api_usage().unwrap();
    assert_eq!(usage.max, 15_000);
    assert_eq!(usage.used, emulator.api_usage());
    assert_eq!(usage.used, 2);
    assert!(usage.fraction_used() > 0.0);
}

#[tokio::test]
async fn tooling_creates_a_custom_field_that_query_and_describe_then_see() {
    let emulator = start(Options {
        bare: true,
        ..Options::default()
    })
    .await;
    let client = password_client(&emulator);
    let find = Soql::select(["Id", "DeveloperName"])
        .from("CustomField")
        .where_(
            Condition::eq("TableEnumOrId", "Opportunity")
                .and(Condition::eq("DeveloperName", "Referral_Identifier")),
        );
    assert_eq!(client.tooling_query(&find).await.unwrap().total_size, 0);

    let body = json!({
        "FullName": "Opportunity.Referral_Identifier__c",
        "Metadata": {"label": "Referral Identifier", "type": "Text", "length": 100,
                     "externalId": true, "unique": true, "caseSensitive": false,
                     "required": false, "description": "Managed by cosell"}
    });
    let id = client.tooling_create("CustomField", &body).await.unwrap();
    assert!(id.starts_with("00N"), "{id}");
    let found = client.tooling_query(&find).await.unwrap();
    assert_eq!(found.total_size, 1);
    assert_eq!(found.records[0].str("Id"), Some(id.as_str()));
    assert_eq!(
        found.records[0].str("DeveloperName"),
        Some("Referral_Identifier")
    );

    let describe = client.describe("Opportunity").await.unwrap();
    let field = describe.field(REFERRAL_ID).expect("field is now described");
    assert!(field.external_id && field.unique);
    let upserted = client
        .upsert(
            "Opportunity",
            REFERRAL_ID,
            "R-1",
            &opportunity("After setup"),
        )
        .await
        .unwrap();
    assert!(upserted.created);

    let again = client
        .tooling_create("CustomField", &body)
        .await
        .unwrap_err();
    assert_eq!(again.code(), Some(&ErrorCode::DuplicateDeveloperName));
}

// ------------------------------------------------------------ faults, limits

#[tokio::test]
async fn transient_faults_are_retried_until_every_update_lands() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let id = client
        .create("Opportunity", &opportunity("Flaky"))
        .await
        .unwrap();
    emulator
        .control()
        .set_faults(FaultConfig {
            error_rate: 0.4,
            errors: vec!["UNABLE_TO_LOCK_ROW".into(), "503".into()],
            ..FaultConfig::default()
        })
        .unwrap();
    const UPDATES: u32 = 20;
    let before = served(&emulator, RECORD_PATCH_ROUTE);
    for i in 1..=UPDATES {
        client
            .update(
                "Opportunity",
                &id,
                &Record::new().with("Amount", f64::from(i)),
            )
            .await
            .unwrap_or_else(|e| panic!("update {i} failed despite retries: {e}"));
    }
    let attempts = served(&emulator, RECORD_PATCH_ROUTE) - before;
    emulator
        .control()
        .set_faults(FaultConfig::default())
        .unwrap();
    assert!(
        attempts > u64::from(UPDATES),
        "faults at 40 % should have forced retries, saw {attempts} attempts"
    );
    let read = client
        .get("Opportunity", &id, Some(&["Amount"]))
        .await
        .unwrap();
    assert_eq!(read.f64("Amount"), Some(f64::from(UPDATES)));
}

#[tokio::test]
async fn logins_that_meet_an_unavailable_token_endpoint_are_retried() {
    let emulator = start(Options::default()).await;
    emulator
        .control()
        .set_faults(FaultConfig {
            error_rate: 0.5,
            errors: vec!["503".into()],
            routes: vec!["/services/oauth2/token".into()],
            ..FaultConfig::default()
        })
        .unwrap();
    const LOGINS: u64 = 10;
    for i in 0..LOGINS {
        // A fresh client per round: each one starts by minting a token.
        let client = password_client(&emulator);
        client
            .create(
                "Account",
                &Record::of_type("Account").with("Name", format!("Login {i}")),
            )
            .await
            .unwrap_or_else(|e| panic!("login {i} failed despite retries: {e}"));
    }
    let token_calls = served(&emulator, TOKEN_ROUTE);
    assert!(
        token_calls > LOGINS,
        "a 503 at 50 % should have forced login retries, saw {token_calls} token calls"
    );
    assert_eq!(emulator.records("Account").len(), LOGINS as usize);
}

#[tokio::test]
async fn the_daily_limit_stops_the_client_after_one_refusal() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    let id = client
        .create(
            "Account",
            &Record::of_type("Account").with("Name", "Budget"),
        )
        .await
        .unwrap();
    emulator.set_daily_limit(emulator.api_usage());
    let before = emulator.control().calls().total;
    let err = client.get("Account", &id, None).await.unwrap_err();
    let Error::LimitExceeded { retry_after } = err else {
        panic!("expected LimitExceeded, got {err:?}");
    };
    assert!(retry_after > Duration::ZERO);
    assert!(client.limit_pause_remaining().is_some());
    for _ in 0..5 {
        let again = client.get("Account", &id, None).await.unwrap_err();
        assert!(matches!(again, Error::LimitExceeded { .. }), "{again:?}");
        assert!(again.is_transient());
    }
    assert_eq!(
        emulator.control().calls().total - before,
        1,
        "exactly one refused call reached the org"
    );
    let usage = client.api_usage().unwrap();
    assert_eq!(usage.used, usage.max);
}

#[tokio::test]
async fn a_validation_error_is_typed_with_its_fields_and_not_retried() {
    let emulator = start(Options::default()).await;
    let client = password_client(&emulator);
    client.access_token().await.unwrap();
    let before = served(&emulator, CREATE_ROUTE);
    let err = client
        .create(
            "Opportunity",
            &Record::of_type("Opportunity")
                .with("Name", "No close date")
                .with("StageName", "Prospecting"),
        )
        .await
        .unwrap_err();
    match &err {
        Error::Api { status, errors } => {
            assert_eq!(*status, 400);
            assert_eq!(errors[0].code, ErrorCode::RequiredFieldMissing);
            assert_eq!(errors[0].fields, vec!["CloseDate".to_owned()]);
            assert!(
                errors[0].message.contains("CloseDate"),
                "{}",
                errors[0].message
            );
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    assert!(!err.is_transient());
    assert_eq!(served(&emulator, CREATE_ROUTE) - before, 1, "not retried");

    // A restricted picklist refuses values outside its list, also typed.
    let err = client
        .create(
            "Opportunity",
            &opportunity("Bad help").with("How_can_Microsoft_help__c", "Free lunch"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&ErrorCode::InvalidOrNullForRestrictedPicklist)
    );
}
