//! Fixtures for the dashboard tests: a store seeded with pairs, history and
//! jobs in every interesting state, the dashboard served on 127.0.0.1:0, and
//! a helper that reads a page the way a person does (text without markup).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use cosell::config::SignInConfig;
use cosell::dashboard::{self, DashboardState, Links};
use cosell::sign_in::{self, SignIn};
use emulator::partner_center::{Options as PcOptions, PartnerCenterEmulator, DEMO_ADMINS_GROUP};
use serde_json::{json, Value};
use store::{
    AuditEntry, AuditLevel, Cloud, CloudLink, FailureAction, NewJob, Pair, PairState, Store,
};
use tempfile::TempDir;
use uuid::Uuid;

/// Partner Center portal base the test links point under.
pub const PORTAL: &str = "https://partner.microsoft.com/dashboard/v2/referrals/cosell";
/// Salesforce instance the test links point at.
pub const INSTANCE: &str = "https://acme.my.salesforce.com";

pub const CONTOSO_REFERRAL: &str = "3f2a9c1e-7b4d-4e6a-9d15-0c8b2e7f4a61";
pub const CONTOSO_OPPORTUNITY: &str = "006Dn00000AbCdEIAZ";
pub const NORTHWIND_OPPORTUNITY: &str = "006Dn00000NwXyZIA1";
/// A deal name carrying markup, to prove pages escape it.
pub const NORTHWIND_NAME: &str = "Northwind <script>alert('x')</script> & Co";
/// Northwind's failure, with its fix.
pub const NORTHWIND_ERROR: &str =
    "Country \"USA\" is not an ISO 3166 code: set the account's Billing Country to \"US\"";
/// Reason recorded on the first dead job.
pub const DEAD_REASON_1: &str =
    "Salesforce refused the update: FIELD_CUSTOM_VALIDATION_EXCEPTION Close date is required";
/// Reason recorded on the second dead job.
pub const DEAD_REASON_2: &str =
    "Partner Center answered 403: the app lacks Referrals admin consent; grant it in Entra ID";

/// What was seeded, for assertions.
pub struct Seeded {
    pub contoso: Uuid,
    pub fabrikam: Uuid,
    pub northwind: Uuid,
    pub tailspin: Uuid,
    /// Dead job of Northwind's opportunity.
    pub dead_northwind: Uuid,
    /// Dead job not tied to any pair.
    pub dead_orphan: Uuid,
    pub pc_to_sf_at: DateTime<Utc>,
    pub sf_to_pc_at: DateTime<Utc>,
}

/// A dashboard served over a seeded store.
pub struct TestDashboard {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub seeded: Seeded,
    /// Follows no redirects, so tests see the 303 and its cookie.
    pub http: reqwest::Client,
    /// The Partner Center emulator playing Entra ID, when sign-in is on
    /// (kept running as long as the dashboard).
    _entra: Option<PartnerCenterEmulator>,
    _dir: TempDir,
    _server: tokio::task::JoinHandle<()>,
}

impl TestDashboard {
    /// Seeds a new SQLite store and serves the dashboard over it.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// The same, behind sign-in against the Partner Center emulator's
    /// tenant: its demo admins' group is let in.
    pub async fn start_signed_in() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(signed_in: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = store::open(&url).await.expect("open store");
        let seeded = seed(store.as_ref()).await;
        let links = Links::new(
            Some(PORTAL.parse().unwrap()),
            Some(INSTANCE.parse().unwrap()),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut router = dashboard::router(DashboardState::new(Arc::clone(&store), links));
        let mut entra = None;
        if signed_in {
            let pc = PartnerCenterEmulator::start(
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
                PcOptions::default(),
            )
            .await
            .expect("the Entra ID (Partner Center) emulator");
            let options = PcOptions::default();
            let config = SignInConfig {
                authority: format!("{}/{}", pc.url(), options.tenant).parse().unwrap(),
                client_id: options.client_id,
                client_secret: options.client_secret.into(),
                redirect_url: format!("http://{addr}/auth/callback").parse().unwrap(),
                allowed_users: Vec::new(),
                allowed_groups: vec![DEMO_ADMINS_GROUP.to_owned()],
                session_lifetime: Duration::from_secs(3600),
            };
            router = sign_in::protect(router, SignIn::new(config, None).unwrap());
            entra = Some(pc);
        }
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            base: format!("http://{addr}"),
            store,
            seeded,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            _entra: entra,
            _dir: dir,
            _server: server,
        }
    }

    /// GETs a path; returns status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// GETs a JSON path; returns status and JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(
            res.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{path} is not JSON"
        );
        (status, res.json().await.unwrap())
    }

    /// POSTs to a path with no body.
    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }
}

fn deal(name: &str, value: f64, lifecycle: &str) -> Value {
    json!({
        "name": name,
        "customer": {"name": "Contoso Ltd", "city": "Seattle", "state": "WA", "country": "US"},
        "contacts": [{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@contoso.example"}],
        "deal_value": value,
        "currency": "USD",
        "close_date": "2025-09-30",
        "help": "ProofOfConceptOrDemo",
        "visible_to_microsoft": true,
        "solutions": ["SOL-AZ-001"],
        "lifecycle": lifecycle,
        "team": [],
    })
}

fn entry(
    pair: Uuid,
    at: DateTime<Utc>,
    level: AuditLevel,
    kind: &str,
    message: &str,
    detail: Value,
) -> AuditEntry {
    let mut e = AuditEntry::new(Some(pair), level, kind, message, detail);
    e.at = at;
    e
}

async fn seed(store: &dyn Store) -> Seeded {
    // Recent but fixed relative to now, so "ago" texts are stable enough.
    let now = store::utc_now();
    let t = |mins: i64| now - Span::minutes(mins);
    let pc_to_sf_at = t(5);
    let sf_to_pc_at = t(12);

    let mut contoso = Pair::new("Contoso Azure migration");
    contoso.referral_id = Some(CONTOSO_REFERRAL.into());
    contoso.opportunity_id = Some(CONTOSO_OPPORTUNITY.into());
    contoso.snapshot = Some(deal("Contoso Azure migration", 12000.0, "Active"));
    contoso.last_pc_to_sf_at = Some(pc_to_sf_at);
    contoso.last_sf_to_pc_at = Some(sf_to_pc_at);
    contoso.updated_at = t(5);

    let mut fabrikam = Pair::new("Fabrikam Dynamics rollout");
    fabrikam.referral_id = Some("9b1d7c44-1f2e-4a3b-8c5d-6e7f8a9b0c1d".into());
    fabrikam.opportunity_id = Some("006Dn00000FaBrIIA2".into());
    fabrikam.state = PairState::OnHold;
    fabrikam.last_pc_to_sf_at = Some(t(30));
    fabrikam.updated_at = t(30);

    let mut northwind = Pair::new(NORTHWIND_NAME);
    northwind.opportunity_id = Some(NORTHWIND_OPPORTUNITY.into());
    northwind.state = PairState::Failed;
    northwind.last_error = Some(NORTHWIND_ERROR.into());
    northwind.updated_at = t(8);

    let mut tailspin = Pair::new("Tailspin Toys renewal");
    tailspin.referral_id = Some("0c0c0c0c-1111-4222-8333-444455556666".into());
    tailspin.opportunity_id = Some("006Dn00000TaIlSIA3".into());
    tailspin.state = PairState::Closed;
    tailspin.last_sf_to_pc_at = Some(t(60 * 24 * 3));
    tailspin.updated_at = t(60 * 24 * 3);

    for p in [&contoso, &fabrikam, &northwind, &tailspin] {
        store.save_pair(p).await.expect("save pair");
    }

    store
        .append_audit(&[
            entry(
                contoso.id,
                t(40),
                AuditLevel::Info,
                "opportunity_created",
                "Created opportunity 006Dn00000AbCdEIAZ in Salesforce from referral",
                json!({"opportunity_id": CONTOSO_OPPORTUNITY}),
            ),
            entry(
                contoso.id,
                t(12),
                AuditLevel::Info,
                "synced",
                "Sent to Partner Center: close_date. Updated from Partner Center: deal_value, notes",
                json!({"to_partner_center": ["close_date"], "to_salesforce": ["deal_value", "notes"],
                       "referral_status": null, "opportunity_stage": "Active", "held": []}),
            ),
            entry(
                contoso.id,
                t(5),
                AuditLevel::Warning,
                "conflict",
                "deal_value changed on both sides; Salesforce won (latest change). Partner Center had 10000.0, Salesforce had 12000.0",
                json!({"field": "deal_value", "winner": "Salesforce", "partner_center": 10000.0, "salesforce": 12000.0}),
            ),
            entry(
                northwind.id,
                t(8),
                AuditLevel::Error,
                "validation_failed",
                NORTHWIND_ERROR,
                json!([{"field": "country", "problem": "not ISO"}]),
            ),
        ])
        .await
        .expect("append audit");

    // Two jobs that die, one left pending, one left running.
    let northwind_key = format!("opportunity:{NORTHWIND_OPPORTUNITY}");
    store
        .enqueue(&[
            NewJob::now(northwind_key, json!({"opportunity": NORTHWIND_OPPORTUNITY})),
            NewJob::now("referral:orphan-ref", json!({"referral": "orphan-ref"})),
        ])
        .await
        .unwrap();
    let mut claimed = store
        .claim_jobs("seed", 10, Duration::from_secs(300))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    // A fixed order (and distinct times), so "most recent first" is stable.
    claimed.sort_by(|a, b| b.dedup_key.cmp(&a.dedup_key));
    let mut dead_northwind = Uuid::nil();
    let mut dead_orphan = Uuid::nil();
    for job in &claimed {
        let reason = if job.dedup_key.starts_with("opportunity:") {
            dead_northwind = job.id;
            DEAD_REASON_1
        } else {
            dead_orphan = job.id;
            DEAD_REASON_2
        };
        assert!(store
            .fail_job(job.id, "seed", reason, FailureAction::Dead)
            .await
            .unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    store
        .enqueue(&[NewJob::now(
            format!("referral:{CONTOSO_REFERRAL}"),
            json!({}),
        )])
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_jobs("worker-1", 1, Duration::from_secs(300))
            .await
            .unwrap()
            .len(),
        1
    );
    store
        .enqueue(&[NewJob {
            dedup_key: "referral:later".into(),
            payload: json!({}),
            run_at: Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap()),
        }])
        .await
        .unwrap();

    Seeded {
        contoso: contoso.id,
        fabrikam: fabrikam.id,
        northwind: northwind.id,
        tailspin: tailspin.id,
        dead_northwind,
        dead_orphan,
        pc_to_sf_at,
        sf_to_pc_at,
    }
}

/// The AWS opportunity Adatum's deal is shared as.
pub const ADATUM_AWS_ID: &str = "O1234567";
/// Adatum's Salesforce opportunity.
pub const ADATUM_OPPORTUNITY: &str = "006Dn00000AdAtUIA4";
/// A link name carrying markup, to prove the AWS pages escape it.
pub const LITWARE_NAME: &str = "Litware <b>bold</b> & sons";
/// Why Litware's share failed, with the fix.
pub const LITWARE_ERROR: &str =
    "AWS refused the opportunity: Customer website is required; fill in the account's Website";
/// The invitation Proseware's link came from.
pub const PROSEWARE_INVITATION: &str =
    "arn:aws:partnercentral:us-east-1::catalog/AWS/engagement-invitation/engi-0000001";
/// Why the dead AWS job gave up.
pub const DEAD_AWS_REASON: &str =
    "AWS answered 403: the role lacks partnercentral:UpdateOpportunity";

/// The AWS links seeded on top of [`TestDashboard::start`]'s store.
pub struct AwsSeeded {
    /// Shared, approved, in step; with two history entries.
    pub adatum: Uuid,
    /// Failed to share.
    pub litware: Uuid,
    /// From an invitation, not yet accepted.
    pub proseware: Uuid,
    /// Dead job of Adatum's AWS opportunity.
    pub dead_adatum: Uuid,
}

/// Adds three AWS links in different states, Adatum's history and a dead
/// job keyed by Adatum's AWS opportunity.
pub async fn seed_aws(store: &dyn Store) -> AwsSeeded {
    let now = store::utc_now();
    let t = |mins: i64| now - Span::minutes(mins);

    let mut adatum = CloudLink::new(Cloud::Aws, "Adatum data lake");
    adatum.opportunity_id = Some(ADATUM_OPPORTUNITY.into());
    adatum.remote_id = Some(ADATUM_AWS_ID.into());
    adatum.review_status = Some("Approved".into());
    adatum.last_synced_at = Some(t(3));
    adatum.updated_at = t(3);

    let mut litware = CloudLink::new(Cloud::Aws, LITWARE_NAME);
    litware.opportunity_id = Some("006Dn00000LiTwAIA5".into());
    litware.state = PairState::Failed;
    litware.last_error = Some(LITWARE_ERROR.into());
    litware.updated_at = t(9);

    let mut proseware = CloudLink::new(Cloud::Aws, "Proseware analytics");
    proseware.invitation_id = Some(PROSEWARE_INVITATION.into());
    proseware.remote_id = Some("O7654321".into());
    proseware.state = PairState::OnHold;
    proseware.review_status = Some("Pending Submission".into());
    proseware.updated_at = t(20);

    for link in [&adatum, &litware, &proseware] {
        assert!(store.save_link_over(link, None).await.expect("save link"));
    }
    store
        .append_audit(&[
            entry(
                adatum.id,
                t(4),
                AuditLevel::Info,
                "aws_shared",
                &format!("Shared with AWS as {ADATUM_AWS_ID} and submitted for review"),
                json!({}),
            ),
            entry(
                adatum.id,
                t(3),
                AuditLevel::Info,
                "aws_review",
                "AWS review status is now Approved",
                json!({"status": "Approved", "feedback": null}),
            ),
        ])
        .await
        .expect("append audit");

    let key = format!("aws-opportunity:{ADATUM_AWS_ID}");
    store
        .enqueue(&[NewJob::now(key.clone(), json!({}))])
        .await
        .unwrap();
    let claimed = store
        .claim_jobs("seed-aws", 10, Duration::from_secs(300))
        .await
        .unwrap();
    let job = claimed
        .iter()
        .find(|j| j.dedup_key == key)
        .expect("the AWS job is claimed");
    assert!(store
        .fail_job(job.id, "seed-aws", DEAD_AWS_REASON, FailureAction::Dead)
        .await
        .unwrap());

    AwsSeeded {
        adatum: adatum.id,
        litware: litware.id,
        proseware: proseware.id,
        dead_adatum: job.id,
    }
}

/// A page's visible text: no `<style>`, no tags, entities decoded, spaces
/// collapsed. Assertions on it read like what a person sees.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<style") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</style>")
            .map(|end| &rest[start + end + "</style>".len()..])
            .unwrap_or("");
    }
    out.push_str(rest);
    let mut text = String::with_capacity(out.len());
    let mut in_tag = false;
    for c in out.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let decoded = decode_entities(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes the named entities askama and browsers use, and numeric ones.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|i| *i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Saves a usage report as the running service does, with the org's
/// rolling 24-hour Salesforce API usage.
pub async fn record_org_usage(d: &TestDashboard, used: u64, max: u64) {
    let report = cosell::service::ApiUsageReport {
        updated_at: chrono::Utc::now(),
        since: chrono::Utc::now(),
        salesforce_org: Some(salesforce::ApiUsage { used, max }),
        salesforce: Default::default(),
        partner_center: Default::default(),
        partner_center_filters: Vec::new(),
    };
    report.save(d.store.as_ref()).await.unwrap();
}
