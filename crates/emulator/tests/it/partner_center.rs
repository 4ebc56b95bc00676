//! Conformance suite of the Partner Center emulator, written from
//! Microsoft's Referrals API pages (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>); every rejection asserts the exact
//! status and error code. Helpers live here; topics in sibling files.

#[path = "partner_center_auth.rs"]
mod auth;
#[path = "partner_center_clock.rs"]
mod clock;
#[path = "partner_center_control.rs"]
mod control;
#[path = "partner_center_engagement.rs"]
mod engagement;
#[path = "partner_center_fy26.rs"]
mod fy26;
#[path = "partner_center_list.rs"]
mod list;
#[path = "partner_center_referrals.rs"]
mod referrals;
#[path = "partner_center_sign_in.rs"]
mod sign_in;
#[path = "partner_center_updates.rs"]
mod updates;
#[path = "partner_center_webhooks.rs"]
mod webhooks;

use emulator::partner_center::{Options, PartnerCenterEmulator};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// Scope of the Referrals API.
pub const REFERRALS_SCOPE: &str = "https://api.partner.microsoft.com/.default";
/// Scope of the Webhooks (Partner Center) API.
pub const PARTNER_CENTER_SCOPE: &str = "https://api.partnercenter.microsoft.com/.default";

/// A running emulator plus a client holding a delegated Referrals token.
pub struct Pc {
    pub emu: PartnerCenterEmulator,
    pub http: reqwest::Client,
    pub token: String,
}

pub async fn spawn() -> Pc {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> Pc {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let emu = PartnerCenterEmulator::start(listener, options)
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut pc = Pc {
        emu,
        http,
        token: String::new(),
    };
    pc.token = pc.refresh_token_grant(REFERRALS_SCOPE).await;
    pc
}

impl Pc {
    /// Raw token endpoint call with a form.
    pub async fn token_call(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.emu.token_url())
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A delegated token for `scope` through the refresh token grant.
    pub async fn refresh_token_grant(&self, scope: &str) -> String {
        let response = self
            .token_call(&[
                ("grant_type", "refresh_token"),
                ("client_id", "cosell-demo"),
                ("client_secret", "cosell-demo-secret"),
                ("refresh_token", "cosell-demo-refresh"),
                ("scope", scope),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// An app-only token for `scope`.
    pub async fn client_credentials(&self, scope: &str) -> String {
        let response = self
            .token_call(&[
                ("grant_type", "client_credentials"),
                ("client_id", "cosell-demo"),
                ("client_secret", "cosell-demo-secret"),
                ("scope", scope),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub fn referrals(&self) -> String {
        format!("{}/referrals", self.emu.referrals_url())
    }

    pub fn referral_url(&self, id: &str) -> String {
        format!("{}/referrals/{id}", self.emu.referrals_url())
    }

    pub async fn create(&self, body: &Value) -> Response {
        self.http
            .post(self.referrals())
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates and returns the referral, asserting 201.
    pub async fn created(&self, body: &Value) -> Value {
        let response = self.create(body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    pub async fn get(&self, url: &str) -> Response {
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, id: &str, ops: &Value, extra: &[(&str, &str)]) -> Response {
        let mut request = self
            .http
            .patch(self.referral_url(id))
            .bearer_auth(&self.token)
            .json(ops);
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    pub async fn put(&self, id: &str, body: &Value, if_match: Option<&str>) -> Response {
        let mut request = self
            .http
            .put(self.referral_url(id))
            .bearer_auth(&self.token)
            .json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.unwrap()
    }
}

/// Asserts a Partner Center error: status and `error.code`; returns the body.
pub async fn expect_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    body
}

/// A private deal (no help, not shared), shaped like the documented example.
pub fn private_deal() -> Value {
    json!({
        "name": "Contoso Test Deal - [Private]",
        "qualification": "SalesQualified",
        "type": "Independent",
        "customerProfile": {
            "name": "Contoso Customer Inc",
            "address": { "addressLine1": "One Microsoft Way", "city": "Redmond", "state": "WA", "postalCode": "98052", "country": "US" },
            "size": "10to50employees",
            "team": [ { "firstName": "Sue", "lastName": "Smith", "phoneNumber": "1234567890", "email": "sue@contoso.example" } ]
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
                "solutions": [ { "type": "Name", "id": "SOL-15974-MQF", "name": "Contoso-Ale_Test", "publisherName": "Contoso_Test", "solutionType": "3P" } ],
                "additionalRequirements": { "iot": {}, "attributes": [ { "id": "HaveNotDecided", "type": "CustomerMarketplaceIntent" } ] }
            }
        },
        "team": [ { "firstName": "John", "lastName": "Doe", "phoneNumber": "1231231234", "email": "john@partner.example" } ],
        "target": []
    })
}

/// A co-sell deal: help requested and shared with Microsoft sellers.
pub fn co_sell_deal() -> Value {
    let mut deal = private_deal();
    deal["type"] = json!("Shared");
    deal["consent"]["consentToShareReferralWithMicrosoftSellers"] = json!(true);
    deal["inviteContext"] =
        json!({ "assistanceRequestCode": "ProofOfConceptOrDemo", "notes": "Need a PoC" });
    deal
}

/// `YYYY-MM-DDThh:mm:ss.fffffffZ`.
pub fn is_pc_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 28
        && b[10] == b'T'
        && b[19] == b'.'
        && b[20..27].iter().all(u8::is_ascii_digit)
        && b[27] == b'Z'
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}
