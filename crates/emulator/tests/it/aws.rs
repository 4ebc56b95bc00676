//! Conformance suite of the AWS Partner Central emulator, written from the
//! Selling API reference; every rejection asserts the exact status, error
//! name and members. Helpers live here; topics in sibling files.

#[path = "aws_auth.rs"]
mod auth;
#[path = "aws_events.rs"]
mod events;
#[path = "aws_invitations.rs"]
mod invitations;
#[path = "aws_opportunities.rs"]
mod opportunities;
#[path = "aws_review.rs"]
mod review;

use emulator::aws::{authorization_header, AwsEmulator, Options, Quotas, SigningKey, SIGNING_NAME};
use serde_json::{json, Value};

/// A running emulator and a raw HTTP client that signs like an SDK.
pub struct Aws {
    pub emu: AwsEmulator,
    pub http: reqwest::Client,
}

/// An answer: status, error name (`__type`) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// Asserts an error answer with this status and `__type`, and returns its body.
    #[track_caller]
    pub fn error(&self, status: u16, name: &str) -> &Value {
        assert_eq!(
            (self.status, self.body["__type"].as_str()),
            (status, Some(name)),
            "{:#}",
            self.body
        );
        assert!(self.body["Message"].is_string(), "{:#}", self.body);
        &self.body
    }

    /// Asserts success and returns the body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{:#}", self.body);
        &self.body
    }

    /// `(FieldName, Code)` of each `ErrorList` entry of a `ValidationException` with `reason`.
    #[track_caller]
    pub fn fields(&self, reason: &str) -> Vec<(String, String)> {
        let body = self.error(400, "ValidationException");
        assert_eq!(body["Reason"], reason, "{body:#}");
        body["ErrorList"]
            .as_array()
            .expect("ErrorList")
            .iter()
            .map(|e| {
                assert!(e["Message"].is_string());
                (
                    e["FieldName"].as_str().unwrap_or_default().to_owned(),
                    e["Code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

pub async fn spawn() -> Aws {
    spawn_with(Options {
        quotas: Quotas::UNLIMITED,
        ..Options::default()
    })
    .await
}

pub async fn spawn_with(options: Options) -> Aws {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let emu = AwsEmulator::start(listener, options).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Aws { emu, http }
}

/// The current time in SigV4's basic format.
pub fn amz_now() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string()
}

impl Aws {
    fn key(&self) -> (String, String) {
        let c = &self.emu.options().credentials[0];
        (c.access_key_id.clone(), c.secret_access_key.clone())
    }

    /// Calls `operation` signed with the first configured key.
    pub async fn call(&self, operation: &str, body: Value) -> Answer {
        let (key, secret) = self.key();
        self.call_as(&key, &secret, operation, body).await
    }

    /// Calls `operation` signed with the given key.
    pub async fn call_as(&self, key: &str, secret: &str, operation: &str, body: Value) -> Answer {
        let target = format!("AWSPartnerCentralSelling.{operation}");
        self.raw(
            key,
            secret,
            &target,
            "application/x-amz-json-1.0",
            body.to_string().as_bytes(),
        )
        .await
    }

    /// A fully controlled signed request.
    pub async fn raw(
        &self,
        key: &str,
        secret: &str,
        target: &str,
        content_type: &str,
        body: &[u8],
    ) -> Answer {
        let url = self.emu.url();
        let host = url.trim_start_matches("http://").to_owned();
        let date = amz_now();
        let headers = [
            ("host", host.as_str()),
            ("x-amz-date", date.as_str()),
            ("x-amz-target", target),
            ("content-type", content_type),
        ];
        let signing = SigningKey {
            access_key: key,
            secret,
            region: "us-east-1",
            service: SIGNING_NAME,
        };
        let auth = authorization_header(&signing, "POST", "/", &headers, body, &date);
        let mut request = self
            .http
            .post(format!("{url}/"))
            .header("authorization", auth);
        for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
            request = request.header(*name, *value);
        }
        answer(request.body(body.to_vec()).send().await.unwrap()).await
    }

    /// Creates a complete opportunity in `catalog` and returns its id.
    pub async fn create(&self, catalog: &str) -> String {
        let mut body = complete_opportunity(catalog);
        body["ClientToken"] = uuid::Uuid::new_v4().to_string().into();
        let created = self.call("CreateOpportunity", body).await;
        created.ok()["Id"].as_str().unwrap().to_owned()
    }

    /// `GetOpportunity`.
    pub async fn get(&self, catalog: &str, id: &str) -> Value {
        self.call(
            "GetOpportunity",
            json!({"Catalog": catalog, "Identifier": id}),
        )
        .await
        .ok()
        .clone()
    }

    /// Creates, associates a solution and submits; returns the id.
    pub async fn submitted(&self, catalog: &str) -> String {
        let id = self.create(catalog).await;
        self.call(
            "AssociateOpportunity",
            json!({"Catalog": catalog, "OpportunityIdentifier": id, "RelatedEntityType": "Solutions", "RelatedEntityIdentifier": "S-0000001"}),
        )
        .await
        .ok();
        self.call(
            "SubmitOpportunity",
            json!({"Catalog": catalog, "Identifier": id, "InvolvementType": "Co-Sell", "Visibility": "Full"}),
        )
        .await
        .ok();
        id
    }

    /// `UpdateOpportunity` with the writable members of `current` changed by `edit`.
    pub async fn update(&self, current: &Value, edit: impl FnOnce(&mut Value)) -> Answer {
        let mut body = json!({
            "Catalog": current["Catalog"],
            "Identifier": current["Id"],
            "LastModifiedDate": current["LastModifiedDate"],
        });
        for member in [
            "PrimaryNeedsFromAws",
            "NationalSecurity",
            "PartnerOpportunityIdentifier",
            "Customer",
            "Project",
            "OpportunityType",
            "Marketing",
            "SoftwareRevenue",
            "LifeCycle",
        ] {
            if !current[member].is_null() {
                body[member] = current[member].clone();
            }
        }
        edit(&mut body);
        self.call("UpdateOpportunity", body).await
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    if status != 200 {
        assert_eq!(
            response.headers()["content-type"],
            "application/x-amz-json-1.0",
            "errors are AWS JSON 1.0"
        );
        assert!(response.headers().contains_key("x-amzn-requestid"));
    }
    let text = response.text().await.unwrap();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// An opportunity with every field submission needs.
pub fn complete_opportunity(catalog: &str) -> Value {
    json!({
        "Catalog": catalog,
        "Origin": "Partner Referral",
        "OpportunityType": "Net New Business",
        "PartnerOpportunityIdentifier": "006000000000001AAA",
        "PrimaryNeedsFromAws": ["Co-Sell - Architectural Validation"],
        "NationalSecurity": "No",
        "Customer": {"Account": {
            "CompanyName": "Contoso Ltd",
            "Industry": "Software and Internet",
            "WebsiteUrl": "https://contoso.example",
            "Address": {"CountryCode": "US", "PostalCode": "98052", "City": "Redmond", "StateOrRegion": "Washington"}
        }},
        "Project": {
            "Title": "Data platform migration",
            "CustomerBusinessProblem": "Legacy warehouse cannot scale with the seasonal load.",
            "DeliveryModels": ["SaaS or PaaS"],
            "SalesActivities": ["Initialized discussions with customer"],
            "ExpectedCustomerSpend": [{"Amount": "25000", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}],
            "ApnPrograms": ["APN Immersion Days"]
        },
        "Marketing": {"Source": "None", "AwsFundingUsed": "No"},
        "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": "2030-06-30", "NextSteps": "Kick-off call"}
    })
}
