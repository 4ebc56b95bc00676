//! The real clients against the real Partner Center emulator
//! (`emulator::partner_center`), one user story per test: tokens by both
//! grants and their refresh on expiry, the referral lifecycle with OData
//! paging, optimistic concurrency and the state machine, webhook registration
//! and signed delivery, and retries under injected faults. Every test starts
//! its own emulator (and, where needed, webhook receiver) on 127.0.0.1:0.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use emulator::control::{FaultConfig, Throttle};
use emulator::partner_center::{Options, PartnerCenterEmulator};
use partner_center::auth::{AuthError, TokenConfig};
use partner_center::observer::CallRecord;
use partner_center::wire::{
    Direction, PatchOperation, Referral, ReferralStatus, ReferralSubstatus, ReferralType, Target,
    WebhookEvent, WebhookEventName, WebhookRegistration,
};
use partner_center::{
    EntraTokenProvider, Error, ErrorCode, Filter, PatchOptions, ReferralQuery, ReferralsClient,
    RetryPolicy, SignatureError, SortOrder, TokenSource, VerifierConfig, WebhookVerifier,
    WebhooksClient,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use url::Url;

#[path = "against_emulator_lookups.rs"]
mod lookups;

/// Substring of the emulator's call-count key of its token endpoint.
const TOKEN_ROUTE: &str = "/oauth2/v2.0/token";
/// Call-count key of `GET /referrals`.
const LIST_KEY: &str = "GET /v1.0/engagements/referrals";
/// Call-count key of `GET /referrals/{id}`.
const GET_KEY: &str = "GET /v1.0/engagements/referrals/{id}";
/// Call-count key of `PATCH /referrals/{id}`.
const PATCH_KEY: &str = "PATCH /v1.0/engagements/referrals/{id}";
/// Route filter for faults on single-referral calls only.
const ITEM_ROUTE: &str = "/referrals/{id}";
/// Path of the local webhook receiver.
const HOOK_PATH: &str = "/hooks/partner-center";
/// Access-token lifetime in the expiry stories.
const SHORT_TOKEN_LIFETIME: Duration = Duration::from_secs(2);
/// How far past the lifetime the expiry stories wait.
const PAST_EXPIRY: Duration = Duration::from_millis(300);
/// Longest wait for the emulator's background webhook delivery.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Polling interval while waiting for a delivery.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// A seller whose referrals the `team/any(...)` filter looks for.
const R2D2: &str = "r2d2@contoso.com";

/// A running emulator and the options it was started with.
struct Pc {
    emu: PartnerCenterEmulator,
    options: Options,
}

async fn start(options: Options) -> Pc {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let emu = PartnerCenterEmulator::start(listener, options.clone())
        .await
        .unwrap();
    Pc { emu, options }
}

async fn start_default() -> Pc {
    start(Options::default()).await
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

impl Pc {
    /// Delegated Referrals tokens through the refresh-token grant.
    fn referrals_tokens(&self) -> EntraTokenProvider {
        let o = &self.options;
        let config = TokenConfig::referrals(
            &o.tenant,
            o.client_id.clone(),
            Some(SecretString::from(o.client_secret.clone())),
            SecretString::from(o.refresh_token.clone()),
        )
        .unwrap()
        .with_token_url(url(&self.emu.token_url()));
        EntraTokenProvider::new(config)
    }

    /// App-only Webhooks tokens through the client-credentials grant.
    fn webhooks_tokens(&self) -> EntraTokenProvider {
        let o = &self.options;
        let config = TokenConfig::webhooks(
            &o.tenant,
            o.client_id.clone(),
            SecretString::from(o.client_secret.clone()),
        )
        .unwrap()
        .with_token_url(url(&self.emu.token_url()));
        EntraTokenProvider::new(config)
    }

    /// A Referrals client with its own refresh-token provider.
    fn referrals(&self, retry: RetryPolicy) -> (ReferralsClient, Calls) {
        self.referrals_with(Arc::new(self.referrals_tokens()), retry)
    }

    fn referrals_with(
        &self,
        tokens: Arc<dyn TokenSource>,
        retry: RetryPolicy,
    ) -> (ReferralsClient, Calls) {
        let calls = Calls::default();
        let client = ReferralsClient::new(url(&self.emu.referrals_url()), tokens)
            .with_retry_policy(retry)
            .with_observer(calls.observer());
        (client, calls)
    }

    /// A Webhooks client with an app-only provider.
    fn webhooks(&self) -> WebhooksClient {
        WebhooksClient::new(
            url(&self.emu.webhooks_url()),
            Arc::new(self.webhooks_tokens()),
        )
        .with_retry_policy(quick_retries(3))
    }

    /// Token requests the emulator served.
    fn token_calls(&self) -> u64 {
        self.emu.control().calls().matching(TOKEN_ROUTE)
    }

    /// Calls the emulator served under exactly this `"METHOD /route"` key.
    fn calls_to(&self, key: &str) -> u64 {
        self.emu
            .control()
            .calls()
            .by_route
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

/// Every HTTP attempt a client reported.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<CallRecord>>>);

impl Calls {
    fn observer(&self) -> partner_center::CallObserver {
        let sink = Arc::clone(&self.0);
        Arc::new(move |record: &CallRecord| sink.lock().unwrap().push(record.clone()))
    }

    fn all(&self) -> Vec<CallRecord> {
        self.0.lock().unwrap().clone()
    }

    /// Statuses of the attempts with this method, in order.
    fn statuses(&self, method: &str) -> Vec<Option<u16>> {
        self.all()
            .into_iter()
            .filter(|r| r.method == method)
            .map(|r| r.status)
            .collect()
    }
}

/// Retries with millisecond backoff, so fault stories stay short.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    partner_center::retry::DEFAULT_RETRY
        .with_max_attempts(max_attempts)
        .with_delays(Duration::from_millis(2), Duration::from_millis(20))
}

/// A private deal shaped like the documented create example (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
fn deal(name: &str, country: &str, seller_email: &str) -> Referral {
    serde_json::from_value(json!({
        "name": name,
        "qualification": "SalesQualified",
        "type": "Independent",
        "customerProfile": {
            "name": format!("{name} Customer Inc"),
            "address": { "addressLine1": "One Microsoft Way", "city": "Redmond", "state": "WA",
                         "postalCode": "98052", "country": country },
            "size": "10to50employees",
            "team": [ { "firstName": "Sue", "lastName": "Smith", "phoneNumber": "1234567890",
                        "email": "sue@contoso.example" } ]
        },
        "consent": {
            "consentToToShareInfoWithOthers": true, "consentToContact": true,
            "consentToMicrosoftToContactSpecificPartners": true,
            "consentToShareReferralWithMicrosoftSellers": false
        },
        "details": {
            "notes": "Supply chain on Dynamics 365",
            "dealValue": 50000, "currency": "USD", "closingDateTime": "2030-11-14T00:00:00Z",
            "requirements": {
                "solutions": [ { "type": "Name", "id": "SOL-15974-MQF", "name": "Contoso-Ale_Test",
                                 "publisherName": "Contoso_Test", "solutionType": "3P" } ],
                "additionalRequirements": { "attributes": [ { "type": "CustomerMarketplaceIntent", "id": "HaveNotDecided" } ] }
            }
        },
        "team": [ { "firstName": "John", "lastName": "Doe", "phoneNumber": "1231231234",
                    "email": seller_email } ],
        "target": []
    }))
    .unwrap()
}

fn id_of(referral: &Referral) -> String {
    referral.id.clone().expect("the service assigns an id")
}

fn etag_of(referral: &Referral) -> String {
    referral.e_tag.clone().expect("the service assigns an eTag")
}

fn status_pair(status: &str, substatus: &str) -> Vec<PatchOperation> {
    vec![
        PatchOperation::replace("/status", status),
        PatchOperation::replace("/substatus", substatus),
    ]
}

fn representation() -> PatchOptions {
    PatchOptions {
        if_match: None,
        return_representation: true,
    }
}

/// Asserts a typed API error.
fn expect_api_error(result: Result<impl std::fmt::Debug, Error>, status: u16, code: ErrorCode) {
    let err = result.expect_err("the service must refuse this");
    assert_eq!(err.status(), Some(status), "{err}");
    assert_eq!(err.code(), Some(&code), "{err}");
}

// ---------------------------------------------------------------- tokens

#[tokio::test]
async fn refresh_token_grant_opens_the_referrals_api_and_the_rotated_token_is_kept() {
    let pc = start_default().await;
    let tokens = Arc::new(pc.referrals_tokens());
    let (client, _) = pc.referrals_with(tokens.clone(), quick_retries(2));

    let page = client.list(&ReferralQuery::new()).await.unwrap();
    assert!(page.value.is_empty());
    client.list(&ReferralQuery::new()).await.unwrap();

    assert_eq!(pc.token_calls(), 1, "the access token is cached");
    let rotated = tokens.current_refresh_token().await.unwrap();
    assert_ne!(
        rotated.expose_secret(),
        pc.options.refresh_token,
        "Entra rotates the refresh token and the provider keeps the new one"
    );
}

#[tokio::test]
async fn client_credentials_open_the_webhooks_api_but_not_the_referrals_api() {
    let pc = start_default().await;
    let app_only: Arc<EntraTokenProvider> = Arc::new(pc.webhooks_tokens());
    let webhooks = WebhooksClient::new(url(&pc.emu.webhooks_url()), app_only.clone());
    let events = webhooks.events().await.unwrap();
    assert!(events.iter().any(|e| e == "referral-updated"));
    assert_eq!(pc.token_calls(), 1);

    // The webhooks audience is not the Referrals API's: the 401 makes the
    // client refresh once, retry once, and then give up with the typed error.
    let (referrals, _) = pc.referrals_with(app_only, quick_retries(4));
    let result = referrals.list(&ReferralQuery::new()).await;
    expect_api_error(result, 401, ErrorCode::Unauthenticated);
    assert_eq!(pc.calls_to(LIST_KEY), 2);
    assert_eq!(pc.token_calls(), 2);
}

#[tokio::test]
async fn an_expiring_access_token_is_refreshed_and_work_goes_on() {
    let pc = start(Options {
        token_lifetime: SHORT_TOKEN_LIFETIME,
        ..Options::default()
    })
    .await;
    let (client, calls) = pc.referrals(quick_retries(2));
    let created = client
        .create(&deal("Expiry", "US", "john@partner.example"))
        .await
        .unwrap();
    client.get(&id_of(&created)).await.unwrap();
    assert_eq!(pc.token_calls(), 1);

    tokio::time::sleep(SHORT_TOKEN_LIFETIME + PAST_EXPIRY).await;
    let fetched = client.get(&id_of(&created)).await.unwrap();
    assert_eq!(fetched.id, created.id);
    client.list(&ReferralQuery::new()).await.unwrap();

    assert_eq!(pc.token_calls(), 2, "one refresh after expiry");
    assert!(
        calls.all().iter().all(|r| r.status != Some(401)),
        "the token is renewed before the service would refuse it"
    );
}

/// A token cache that trusts its token until the service refuses it (as a
/// cache shared with other processes might): only a 401 makes it fetch again.
struct TrustedUntilRefused {
    inner: EntraTokenProvider,
    cached: tokio::sync::Mutex<Option<SecretString>>,
}

#[async_trait]
impl TokenSource for TrustedUntilRefused {
    async fn token(&self) -> Result<SecretString, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let token = self.inner.token().await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    async fn invalidate(&self) {
        *self.cached.lock().await = None;
        self.inner.invalidate().await;
    }
}

#[tokio::test]
async fn a_token_the_service_says_has_expired_is_replaced_after_one_401() {
    let pc = start(Options {
        token_lifetime: SHORT_TOKEN_LIFETIME,
        ..Options::default()
    })
    .await;
    let tokens = Arc::new(TrustedUntilRefused {
        inner: pc.referrals_tokens(),
        cached: tokio::sync::Mutex::new(None),
    });
    let (client, calls) = pc.referrals_with(tokens, quick_retries(2));
    let created = client
        .create(&deal("Stale token", "US", "john@partner.example"))
        .await
        .unwrap();

    tokio::time::sleep(SHORT_TOKEN_LIFETIME + PAST_EXPIRY).await;
    client.get(&id_of(&created)).await.unwrap();

    assert_eq!(calls.statuses("GET"), [Some(401), Some(200)]);
    assert_eq!(pc.token_calls(), 2);
    assert_eq!(pc.calls_to(GET_KEY), 2);
}

// ------------------------------------------------------------- referrals

#[tokio::test]
async fn referrals_are_created_read_and_listed_with_odata_across_pages() {
    const PAGE_SIZE: usize = 5;
    const CREATED: usize = 23;
    const SHARED: usize = 2;
    let pc = start(Options {
        page_size: PAGE_SIZE,
        ..Options::default()
    })
    .await;
    let (client, calls) = pc.referrals(quick_retries(2));

    // 23 outgoing deals: every third in Germany, every fourth with R2-D2 on the team.
    let mut outgoing = Vec::new();
    for i in 0..CREATED {
        let country = if i % 3 == 0 { "DE" } else { "US" };
        let seller = if i % 4 == 0 {
            R2D2.to_owned()
        } else {
            format!("seller{i}@partner.example")
        };
        let mut body = deal(&format!("Deal {i:02}"), country, &seller);
        body.external_reference_id = Some(format!("SF-{i:02}"));
        let created = client.create(&body).await.unwrap();
        outgoing.push((created, country, seller));
    }
    // Two incoming referrals shared by Microsoft sellers, customers in the US.
    for i in 0..SHARED {
        pc.emu
            .share_referral(json!({ "name": format!("Shared {i}") }))
            .unwrap();
    }
    assert_eq!(
        calls.statuses("POST")[0],
        Some(201),
        "create answers 201 Created"
    );

    let (first, _, _) = &outgoing[0];
    assert_eq!(first.status, Some(ReferralStatus::Active));
    assert_eq!(first.substatus, Some(ReferralSubstatus::Accepted));
    assert_eq!(first.direction, Some(Direction::Outgoing));
    let fetched = client.get(&id_of(first)).await.unwrap();
    assert_eq!(fetched.name.as_deref(), Some("Deal 00"));
    assert_eq!(fetched.external_reference_id.as_deref(), Some("SF-00"));
    assert_eq!(fetched.e_tag, first.e_tag);

    // Everything, exactly once, in five pages of five.
    let lists_before = pc.calls_to(LIST_KEY);
    let all = client.list_all(&ReferralQuery::new()).await.unwrap();
    assert_eq!(all.len(), CREATED + SHARED);
    let unique: HashSet<String> = all.iter().map(id_of).collect();
    assert_eq!(unique.len(), all.len(), "no referral is listed twice");
    let expected_pages = (CREATED + SHARED).div_ceil(PAGE_SIZE);
    assert_eq!(pc.calls_to(LIST_KEY) - lists_before, expected_pages as u64);

    // The documented filter shape, with $count, paged by hand through nextLink.
    let us_outgoing = Filter::eq("customerProfile/address/country", "US")
        .and(Filter::eq("direction", "Outgoing"));
    let expected: Vec<String> = outgoing
        .iter()
        .filter(|(_, country, _)| *country == "US")
        .map(|(r, _, _)| id_of(r))
        .collect();
    let query = ReferralQuery::new().filter(us_outgoing.clone()).count(true);
    let mut page = client.list(&query).await.unwrap();
    assert_eq!(page.count, Some(expected.len() as u64));
    let mut seen: Vec<String> = page.value.iter().map(id_of).collect();
    let mut pages = 1;
    while let Some(link) = page.next_link.take() {
        assert!(link.starts_with(&pc.emu.url()), "absolute link: {link}");
        page = client.next_page(&link).await.unwrap();
        assert!(page.value.len() <= PAGE_SIZE);
        seen.extend(page.value.iter().map(id_of));
        pages += 1;
    }
    assert_eq!(seen, expected, "creation order, each once");
    assert_eq!(pages, expected.len().div_ceil(PAGE_SIZE));

    // Newest first.
    let newest_first = client
        .list_all(
            &ReferralQuery::new()
                .filter(us_outgoing)
                .order_by("createdDateTime", SortOrder::Desc),
        )
        .await
        .unwrap();
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(newest_first.iter().map(id_of).collect::<Vec<_>>(), reversed);

    // A lambda over the partner's team.
    let with_r2d2 = client
        .list_all(&ReferralQuery::new().filter(
            Filter::eq("direction", "Outgoing").and(Filter::any(
                "team",
                "t",
                Filter::eq("t/email", R2D2),
            )),
        ))
        .await
        .unwrap();
    let expected_r2d2: Vec<String> = outgoing
        .iter()
        .filter(|(_, _, seller)| seller == R2D2)
        .map(|(r, _, _)| id_of(r))
        .collect();
    assert_eq!(
        with_r2d2.iter().map(id_of).collect::<Vec<_>>(),
        expected_r2d2
    );
}

#[tokio::test]
async fn patch_returns_the_referral_only_when_asked() {
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(2));
    let created = client
        .create(&deal("Patch", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);

    let updated = client
        .patch(
            &id,
            &[PatchOperation::replace(
                "/details/notes",
                "Customer wants a PoC",
            )],
            representation(),
        )
        .await
        .unwrap()
        .expect("Prefer: return=representation gives the referral back");
    let notes = |r: &Referral| r.details.as_ref().and_then(|d| d.notes.clone());
    assert_eq!(notes(&updated).as_deref(), Some("Customer wants a PoC"));
    assert_ne!(updated.e_tag, created.e_tag, "every write gets a new eTag");

    let quiet = client
        .patch(
            &id,
            &[
                PatchOperation::replace("/details/dealValue", "75000"),
                PatchOperation::add(
                    "/team/-",
                    json!({ "firstName": "Jane", "lastName": "Doe",
                            "email": "jane@partner.example" }),
                ),
            ],
            PatchOptions {
                if_match: Some(etag_of(&updated)),
                return_representation: false,
            },
        )
        .await
        .unwrap();
    assert!(quiet.is_none(), "204 No Content without Prefer");

    let fetched = client.get(&id).await.unwrap();
    let team: Vec<_> = fetched
        .team
        .iter()
        .flatten()
        .filter_map(|m| m.email.as_deref())
        .collect();
    assert_eq!(team, ["john@partner.example", "jane@partner.example"]);
    assert_eq!(notes(&fetched).as_deref(), Some("Customer wants a PoC"));
    assert_eq!(
        fetched.details.and_then(|d| d.deal_value),
        Some(75000.0),
        "a numeric string is stored as a number"
    );
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_a_typed_precondition_failed() {
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(4));
    let created = client
        .create(&deal("Concurrency", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);
    let stale = etag_of(&created);

    // Someone else (a Microsoft seller) changes the referral meanwhile.
    pc.emu
        .microsoft_update(&id, json!({ "details": { "notes": "seller note" } }))
        .unwrap();

    let err = client
        .patch(
            &id,
            &[PatchOperation::replace("/name", "mine")],
            PatchOptions {
                if_match: Some(stale),
                return_representation: true,
            },
        )
        .await
        .expect_err("a stale eTag must be refused");
    assert_eq!(err.status(), Some(412));
    assert_eq!(err.code(), Some(&ErrorCode::PreconditionFailed));
    let request_id = err.request_id().expect("the request id is carried");
    uuid::Uuid::parse_str(request_id).unwrap();
    assert_eq!(pc.calls_to(PATCH_KEY), 1, "a 412 is not retried");

    let current = client.get(&id).await.unwrap();
    assert_eq!(current.name.as_deref(), Some("Concurrency"));
}

#[tokio::test]
async fn a_put_round_trip_keeps_every_member_and_the_service_drops_ones_it_lacks() {
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(2));
    let mut body = deal("Round trip", "US", "john@partner.example");
    body.extra.insert(
        "futureField".into(),
        json!({ "tier": "gold", "scores": [1, 2] }),
    );
    body.customer_profile
        .as_mut()
        .unwrap()
        .extra
        .insert("loyaltyTier".into(), json!("platinum"));
    let created = client.create(&body).await.unwrap();
    let id = id_of(&created);

    // Partner Center reads bodies into its typed contracts, so members it
    // does not have are dropped (see the emulator's partner_center/model.rs);
    // the client's own round trip of unknown members is a wire unit test.
    let mut fetched = client.get(&id).await.unwrap();
    assert_eq!(fetched.extra.get("futureField"), None);
    assert!(
        fetched.links.is_some(),
        "GET carries links; PUT must drop them"
    );
    let etag = etag_of(&fetched);
    fetched.external_reference_id = Some("SF-0042".into());
    let replaced = client
        .put(&fetched, &etag)
        .await
        .unwrap()
        .expect("PUT answers the referral");
    assert_eq!(replaced.external_reference_id.as_deref(), Some("SF-0042"));
    assert_ne!(replaced.e_tag.as_deref(), Some(etag.as_str()));

    let reread = client.get(&id).await.unwrap();
    assert_eq!(reread.external_reference_id.as_deref(), Some("SF-0042"));
    assert_eq!(reread.name, fetched.name);
    assert_eq!(reread.customer_profile, fetched.customer_profile);
    assert_eq!(reread.details, fetched.details);
    assert_eq!(
        reread
            .customer_profile
            .as_ref()
            .and_then(|c| c.extra.get("loyaltyTier")),
        None
    );

    // The eTag the PUT consumed is stale now.
    expect_api_error(
        client.put(&reread, &etag).await,
        412,
        ErrorCode::PreconditionFailed,
    );
}

#[tokio::test]
async fn a_shared_referral_is_accepted_then_won_and_then_refuses_writes() {
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(4));
    let shared = pc
        .emu
        .share_referral(json!({ "name": "Contoso expansion" }))
        .unwrap();
    let id = shared["id"].as_str().unwrap().to_owned();

    let new_incoming = client
        .list_all(
            &ReferralQuery::new()
                .filter(Filter::eq("direction", "Incoming").and(Filter::eq("status", "New"))),
        )
        .await
        .unwrap();
    assert_eq!(
        new_incoming.iter().map(id_of).collect::<Vec<_>>(),
        std::slice::from_ref(&id)
    );
    let incoming = &new_incoming[0];
    assert_eq!(incoming.substatus, Some(ReferralSubstatus::Pending));
    assert!(incoming.accepted_date_time.is_none());

    let accepted = client
        .patch(&id, &status_pair("Active", "Accepted"), representation())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(accepted.status, Some(ReferralStatus::Active));
    assert!(accepted.accepted_date_time.is_some());

    let mut won_ops = status_pair("Closed", "Won");
    won_ops.push(PatchOperation::replace("/statusReason", "Signed"));
    let won = client
        .patch(&id, &won_ops, representation())
        .await
        .unwrap()
        .unwrap();
    assert!(won.is_terminal());
    assert_eq!(won.substatus, Some(ReferralSubstatus::Won));
    assert!(won.closed_date_time.is_some());

    let patches_before = pc.calls_to(PATCH_KEY);
    expect_api_error(
        client
            .patch(
                &id,
                &[PatchOperation::replace("/name", "after close")],
                PatchOptions::default(),
            )
            .await,
        400,
        ErrorCode::InvalidRequest,
    );
    assert_eq!(pc.calls_to(PATCH_KEY), patches_before + 1, "400 is final");
    let current = client.get(&id).await.unwrap();
    expect_api_error(
        client.put(&current, &etag_of(&current)).await,
        400,
        ErrorCode::InvalidRequest,
    );
    assert_eq!(
        client.get(&id).await.unwrap().name.as_deref(),
        Some("Contoso expansion")
    );
}

// -------------------------------------------------------------- webhooks

/// One delivery the local receiver got, with its verdict.
#[derive(Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
    verdict: Result<WebhookEvent, SignatureError>,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// A webhook receiver on 127.0.0.1:0 that verifies every delivery.
struct Receiver {
    url: String,
    inbox: Inbox,
}

/// The verifier a receiver of this emulator's deliveries configures.
fn verifier_for(pc: &Pc) -> WebhookVerifier {
    let config = VerifierConfig::new(&pc.emu.ca_pem())
        .unwrap()
        .with_allowed_cert_url_prefixes([format!("{}/_emulator/cert/", pc.emu.url())])
        .unwrap();
    WebhookVerifier::new(config)
}

async fn start_receiver(pc: &Pc) -> Receiver {
    let inbox = Inbox::default();
    let state = (Arc::new(verifier_for(pc)), Arc::clone(&inbox));
    let app = Router::new()
        .route(HOOK_PATH, post(receive))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url: format!("http://{addr}{HOOK_PATH}"),
        inbox,
    }
}

async fn receive(
    State((verifier, inbox)): State<(Arc<WebhookVerifier>, Inbox)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let verdict = verifier.verify(&headers, &body).await;
    let status = match &verdict {
        Ok(_) => StatusCode::OK,
        Err(e) => StatusCode::from_u16(e.http_status()).unwrap(),
    };
    inbox.lock().unwrap().push(Received {
        headers,
        body,
        verdict,
    });
    status
}

impl Receiver {
    /// Waits for a delivery of `event`.
    async fn wait_for(&self, event: WebhookEventName) -> Received {
        let deadline = Instant::now() + DELIVERY_TIMEOUT;
        loop {
            let found = self.inbox.lock().unwrap().iter().find_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).ok()?;
                (body["EventName"] == event.as_str()).then(|| r.clone())
            });
            if let Some(received) = found {
                return received;
            }
            assert!(Instant::now() < deadline, "no {event} delivery arrived");
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

#[tokio::test]
async fn webhook_registration_is_managed_and_a_validation_event_is_read_back() {
    let pc = start_default().await;
    let receiver = start_receiver(&pc).await;
    let client = pc.webhooks();

    assert!(client.registration().await.unwrap().is_none());
    let events = client.events().await.unwrap();
    for wanted in ["referral-created", "referral-updated", "test-created"] {
        assert!(events.iter().any(|e| e == wanted), "{wanted} in {events:?}");
    }

    let registered = client
        .register(&WebhookRegistration {
            webhook_url: Some(receiver.url.clone()),
            webhook_events: Some(vec!["referral-created".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(registered.subscriber_id.is_some());
    let shown = client.registration().await.unwrap().unwrap();
    assert_eq!(shown.webhook_url.as_deref(), Some(receiver.url.as_str()));
    assert_eq!(
        shown.webhook_events.as_deref(),
        Some(&["referral-created".to_owned()][..])
    );

    // Subscribe to test events too, signed in x-ms-signature this time.
    let all_events: Vec<String> = ["referral-created", "referral-updated", "test-created"]
        .map(String::from)
        .to_vec();
    let updated = client
        .update_registration(&WebhookRegistration {
            webhook_url: Some(receiver.url.clone()),
            webhook_events: Some(all_events.clone()),
            signature_token_to_ms_signature_header: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(updated.webhook_events, Some(all_events));

    let correlation_id = client.send_validation_event().await.unwrap();
    let delivered = receiver.wait_for(WebhookEventName::TestCreated).await;
    assert!(delivered.headers.contains_key("x-ms-signature"));
    let event = delivered.verdict.expect("the test event verifies");
    assert_eq!(event.resource_name.as_deref(), Some("test"));
    assert_eq!(event.referral_id(), Some(correlation_id.clone()));

    let deadline = Instant::now() + DELIVERY_TIMEOUT;
    let status = loop {
        let status = client.validation_event(&correlation_id).await.unwrap();
        if status.status.as_deref() == Some("completed") || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    assert_eq!(status.status.as_deref(), Some("completed"));
    assert_eq!(
        status.correlation_id.as_deref(),
        Some(correlation_id.as_str())
    );
    assert_eq!(status.callback_url.as_deref(), Some(receiver.url.as_str()));
    let results = status.results.unwrap();
    assert_eq!(results[0].response_code.as_deref(), Some("OK"));
    assert_eq!(results[0].system_error, Some(false));
}

#[tokio::test]
async fn a_delivered_webhook_verifies_and_a_tampered_copy_does_not() {
    let pc = start_default().await;
    let receiver = start_receiver(&pc).await;
    pc.webhooks()
        .register(&WebhookRegistration {
            webhook_url: Some(receiver.url.clone()),
            webhook_events: Some(vec!["referral-created".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    let (client, _) = pc.referrals(quick_retries(2));
    let created = client
        .create(&deal("Webhook", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);

    let delivered = receiver.wait_for(WebhookEventName::ReferralCreated).await;
    let authorization = delivered.headers["authorization"].to_str().unwrap();
    assert!(authorization.starts_with("Signature "));
    let event = delivered.verdict.clone().expect("accepted as delivered");
    assert_eq!(event.referral_id(), Some(id.clone()));
    // The event is a pointer: the referral is re-read from the API.
    assert_eq!(
        client.get(&id).await.unwrap().name.as_deref(),
        Some("Webhook")
    );
    let attempts = pc.emu.deliveries();
    assert!(attempts
        .iter()
        .any(|d| d.event == "referral-created" && d.status == Some(200)));

    // Same headers, same body but one byte of the referral id changed.
    let verifier = verifier_for(&pc);
    let mut tampered = delivered.body.to_vec();
    let at = tampered
        .windows(id.len())
        .position(|w| w == id.as_bytes())
        .unwrap();
    tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        verifier.verify(&delivered.headers, &tampered).await,
        Err(SignatureError::BadSignature)
    );
    assert!(verifier
        .verify(&delivered.headers, &delivered.body)
        .await
        .is_ok());
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn injected_5xx_are_retried_until_every_get_succeeds() {
    const GETS: u64 = 30;
    // At a 50 % error rate, 20 attempts leave a 2^-20 chance per call of failing.
    const ATTEMPTS: u32 = 20;
    let pc = start_default().await;
    // The injected 503 asks for `Retry-After: 1`; capping that wait keeps
    // thirty calls short while the retry decisions stay the client's own.
    let mut retry = quick_retries(ATTEMPTS);
    retry.max_retry_after = Duration::from_millis(10);
    let (client, calls) = pc.referrals(retry);
    let created = client
        .create(&deal("Faults", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);

    pc.emu
        .control()
        .set_faults(FaultConfig {
            error_rate: 0.5,
            errors: vec!["503".into(), "500".into()],
            ..FaultConfig::default()
        })
        .unwrap();
    for _ in 0..GETS {
        let fetched = client.get(&id).await.unwrap();
        assert_eq!(fetched.id, created.id);
    }

    let served = pc.calls_to(GET_KEY);
    let statuses = calls.statuses("GET");
    let failed = statuses
        .iter()
        .filter(|s| matches!(s, Some(500) | Some(503)))
        .count() as u64;
    assert!(
        served > GETS,
        "retries happened: {served} calls for {GETS} GETs"
    );
    assert_eq!(
        served,
        GETS + failed,
        "each failed attempt was retried once"
    );
    assert_eq!(statuses.len() as u64, served);
}

#[tokio::test]
async fn throttled_calls_wait_for_retry_after_and_then_succeed() {
    const GETS: usize = 4;
    let pc = start_default().await;
    let (client, calls) = pc.referrals(quick_retries(4));
    let created = client
        .create(&deal("Throttle", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);

    pc.emu
        .control()
        .set_faults(FaultConfig {
            throttle: Some(Throttle {
                requests_per_second: 2,
                retry_after_seconds: 1,
            }),
            ..FaultConfig::default()
        })
        .unwrap();
    let started = Instant::now();
    for _ in 0..GETS {
        client.get(&id).await.unwrap();
    }
    let elapsed = started.elapsed();

    let throttled = calls
        .statuses("GET")
        .into_iter()
        .filter(|s| *s == Some(429))
        .count();
    assert!(throttled >= 1, "the third call in a second is throttled");
    assert!(
        elapsed >= Duration::from_secs(1),
        "Retry-After was honoured: {elapsed:?}"
    );
    assert_eq!(pc.calls_to(GET_KEY), (GETS + throttled) as u64);
}

/// Partner Center throttles per tenant: once one call is told to wait, the
/// tenant's next call waits too instead of being throttled in turn.
#[tokio::test]
async fn a_retry_after_pauses_every_call_of_the_tenant() {
    let pc = start_default().await;
    let (client, calls) = pc.referrals(partner_center::retry::DEFAULT_RETRY.none());
    let created = client
        .create(&deal("Throttle", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);
    pc.emu
        .control()
        .set_faults(FaultConfig {
            throttle: Some(Throttle {
                requests_per_second: 1,
                retry_after_seconds: 1,
            }),
            ..FaultConfig::default()
        })
        .unwrap();
    client.get(&id).await.unwrap();
    let refused = client.get(&id).await.unwrap_err();
    assert_eq!(refused.status(), Some(429));
    // Without retries of its own, the next call still waits out the pause.
    let started = Instant::now();
    client.get(&id).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    let throttled = calls
        .statuses("GET")
        .into_iter()
        .filter(|s| *s == Some(429))
        .count();
    assert_eq!(
        throttled, 1,
        "only the call that learnt of the pause was throttled"
    );
}

#[tokio::test]
async fn a_dropped_connection_on_a_get_is_retried() {
    // At a 50 % drop rate the first drop comes within a few calls; the bound
    // only stops a broken emulator from looping forever.
    const MAX_GETS: u64 = 200;
    let pc = start_default().await;
    let (client, calls) = pc.referrals(quick_retries(20));
    let created = client
        .create(&deal("Drops", "US", "john@partner.example"))
        .await
        .unwrap();
    let id = id_of(&created);

    pc.emu
        .control()
        .set_faults(FaultConfig {
            drop_rate: 0.5,
            routes: vec![ITEM_ROUTE.into()],
            ..FaultConfig::default()
        })
        .unwrap();
    let mut gets = 0;
    while pc.calls_to(GET_KEY) == gets && gets < MAX_GETS {
        let fetched = client.get(&id).await.unwrap();
        assert_eq!(fetched.id, created.id);
        gets += 1;
    }
    let served = pc.calls_to(GET_KEY);
    assert!(
        served > gets,
        "a dropped connection was retried and the GET still succeeded"
    );
    // Metrics see each dropped attempt as one without a response, not as a 200.
    let statuses = calls.statuses("GET");
    assert_eq!(statuses.len() as u64, served);
    let dropped = statuses.iter().filter(|s| s.is_none()).count() as u64;
    assert_eq!(dropped, served - gets);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let pc = start_default().await;
    let (client, calls) = pc.referrals(quick_retries(5));
    // `$orderby` accepts only createdDateTime and updatedDateTime (https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals).
    let result = client
        .list(&ReferralQuery::new().order_by("name", SortOrder::Asc))
        .await;
    expect_api_error(result, 400, ErrorCode::InvalidRequest);
    assert_eq!(pc.calls_to(LIST_KEY), 1);
    assert_eq!(calls.statuses("GET"), [Some(400)]);
}

// ------------------------------------------------- more list stories

#[tokio::test]
async fn changes_after_a_watermark_are_listed_in_update_order() {
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(2));
    let mut ids = Vec::new();
    let mut newest = None;
    for name in ["A", "B", "C"] {
        let created = client
            .create(&deal(name, "US", "john@partner.example"))
            .await
            .unwrap();
        ids.push(id_of(&created));
        newest = created.updated_date_time;
    }
    let watermark = newest.unwrap().to_utc().unwrap();
    for (id, notes) in [(&ids[1], "b2"), (&ids[0], "a2")] {
        client
            .patch(
                id,
                &[PatchOperation::replace("/details/notes", notes)],
                PatchOptions::default(),
            )
            .await
            .unwrap();
    }

    let changed = client
        .list_all(
            &ReferralQuery::new()
                .filter(Filter::gt("updatedDateTime", watermark))
                .order_by("updatedDateTime", SortOrder::Asc),
        )
        .await
        .unwrap();
    assert_eq!(
        changed.iter().map(id_of).collect::<Vec<_>>(),
        [ids[1].clone(), ids[0].clone()]
    );
}

#[tokio::test]
async fn an_engagement_lists_both_referrals_by_filter_and_by_its_link() {
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(2));
    // https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral: create ours as Shared, then Microsoft's with the same engagementId.
    let mut ours = deal("Ours", "US", "john@partner.example");
    ours.referral_type = Some(ReferralType::Shared);
    let ours = client.create(&ours).await.unwrap();
    let engagement = ours.engagement_id.clone().unwrap();
    let mut theirs = deal("For Microsoft", "US", "john@partner.example");
    theirs.referral_type = Some(ReferralType::Shared);
    theirs.engagement_id = Some(engagement.clone());
    theirs.target = Some(vec![Target::microsoft()]);
    let theirs = client.create(&theirs).await.unwrap();
    assert_eq!(theirs.engagement_id.as_deref(), Some(engagement.as_str()));
    client
        .create(&deal("Unrelated", "US", "john@partner.example"))
        .await
        .unwrap();

    let both = [id_of(&ours), id_of(&theirs)];
    let related = client
        .list_all(&ReferralQuery::related(&engagement))
        .await
        .unwrap();
    assert_eq!(related.iter().map(id_of).collect::<Vec<_>>(), both);
    let link = ours
        .links
        .and_then(|l| l.related_referrals)
        .and_then(|l| l.uri)
        .expect("links.relatedReferrals");
    let page = client.next_page(&link).await.unwrap();
    assert_eq!(page.value.iter().map(id_of).collect::<Vec<_>>(), both);
}

#[tokio::test]
async fn select_and_skip_shape_the_listing() {
    let pc = start(Options {
        page_size: 2,
        ..Options::default()
    })
    .await;
    let (client, _) = pc.referrals(quick_retries(2));
    for i in 0..5 {
        client
            .create(&deal(&format!("Deal {i}"), "US", "john@partner.example"))
            .await
            .unwrap();
    }
    let slim = client
        .list_all(&ReferralQuery::new().select(["id", "status"]))
        .await
        .unwrap();
    assert_eq!(slim.len(), 5, "$select survives the skiptoken");
    assert!(slim
        .iter()
        .all(|r| r.id.is_some() && r.status.is_some() && r.name.is_none()));
    let rest = client
        .list_all(&ReferralQuery::new().skip(3))
        .await
        .unwrap();
    let names: Vec<_> = rest.iter().filter_map(|r| r.name.as_deref()).collect();
    assert_eq!(names, ["Deal 3", "Deal 4"]);
}

#[tokio::test]
async fn a_token_endpoint_outage_is_retried_then_reported_as_transient() {
    const ATTEMPTS: u32 = 3;
    let pc = start_default().await;
    let (client, _) = pc.referrals(quick_retries(ATTEMPTS));
    pc.emu
        .control()
        .set_faults(FaultConfig {
            error_rate: 1.0,
            errors: vec!["503".into()],
            routes: vec![TOKEN_ROUTE.into()],
            ..FaultConfig::default()
        })
        .unwrap();

    let err = client
        .list(&ReferralQuery::new())
        .await
        .expect_err("no token can be had");
    assert!(matches!(err, Error::Auth(_)), "{err}");
    assert!(err.is_transient(), "an outage is worth retrying later");
    assert_eq!(pc.token_calls(), u64::from(ATTEMPTS));
    assert_eq!(pc.calls_to(LIST_KEY), 0, "no call goes out without a token");

    pc.emu.control().set_faults(FaultConfig::default()).unwrap();
    client.list(&ReferralQuery::new()).await.unwrap();
    assert_eq!(pc.token_calls(), u64::from(ATTEMPTS) + 1);
}
