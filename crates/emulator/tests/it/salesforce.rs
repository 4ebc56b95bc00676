//! Shared helpers of the Salesforce emulator conformance suite: each test
//! starts its own org on 127.0.0.1:0 and talks to it with reqwest.

use emulator::salesforce::{Options, SalesforceEmulator};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// API version the suite pins.
pub const V: &str = "v62.0";

/// A running org with a token for the integration user.
pub struct TestOrg {
    pub emu: SalesforceEmulator,
    pub http: reqwest::Client,
    pub token: String,
}

/// A response: status, headers, JSON body (Null when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The first `errorCode` of an array error body.
    pub fn error_code(&self) -> &str {
        self.body[0]["errorCode"].as_str().unwrap_or("")
    }
}

impl TestOrg {
    /// The demo org.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// An org with `options`, logged in with the password grant.
    pub async fn start_with(options: Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let emu = SalesforceEmulator::start(listener, options).await.unwrap();
        let http = reqwest::Client::new();
        let mut org = Self {
            emu,
            http,
            token: String::new(),
        };
        let token = org.password_grant().await;
        assert_eq!(token.status, StatusCode::OK, "{}", token.body);
        org.token = token.body["access_token"].as_str().unwrap().to_owned();
        org
    }

    /// `POST /services/oauth2/token` with the demo password grant.
    pub async fn password_grant(&self) -> Answer {
        self.token_request(&[
            ("grant_type", "password"),
            ("client_id", "cosell-demo"),
            ("client_secret", "cosell-demo-secret"),
            ("username", "admin@cosell.demo"),
            ("password", "cosell-demo"),
        ])
        .await
    }

    /// A token request with form `params`.
    pub async fn token_request(&self, params: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(format!("{}/services/oauth2/token", self.emu.url()))
            .form(params)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// `/services/data/v62.0` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/services/data/{V}{path}", self.emu.url())
    }

    /// An authenticated call with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_with(method, path, body, &[]).await
    }

    /// An authenticated call with extra headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = if path.starts_with("/services/") {
            format!("{}{path}", self.emu.url())
        } else {
            self.url(path)
        };
        let mut request = self.http.request(method, url).bearer_auth(&self.token);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates an opportunity through the API and returns its ID.
    pub async fn create_opportunity(&self, name: &str) -> String {
        let a = self.post("/sobjects/Opportunity", opportunity(name)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.body["id"].as_str().unwrap().to_owned()
    }

    /// Runs a SOQL query (first page).
    pub async fn query(&self, soql: &str) -> Answer {
        self.get(&format!("/query?q={}", urlencode(soql))).await
    }
}

/// A valid opportunity body.
pub fn opportunity(name: &str) -> Value {
    json!({ "Name": name, "StageName": "Prospecting", "CloseDate": "2025-12-31" })
}

/// Percent-encodes a query parameter.
pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        headers,
        body,
    }
}
