//! A scriptable HTTP server: records every request and answers from per-path
//! queues of canned replies (the last reply of a queue repeats).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use partner_center::auth::TokenConfig;
use partner_center::{EntraTokenProvider, RetryPolicy};
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub raw_query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn form(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// Decoded query parameters.
    pub fn query(&self) -> HashMap<String, String> {
        url::form_urlencoded::parse(self.raw_query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    }
}

/// A canned reply.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
    /// Send the first bytes of the body, then drop the connection.
    pub drop_mid_body: bool,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
            drop_mid_body: false,
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            drop_mid_body: false,
        }
    }

    pub fn bytes(status: u16, body: Vec<u8>) -> Self {
        Self {
            body,
            ..Self::empty(status)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn dropped_mid_body(mut self) -> Self {
        self.drop_mid_body = true;
        self
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    scripts: HashMap<String, VecDeque<Reply>>,
}

/// A running mock server.
#[derive(Clone)]
pub struct Mock {
    inner: Arc<Mutex<Inner>>,
    pub addr: SocketAddr,
}

impl Mock {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { inner, addr }
    }

    /// `http://127.0.0.1:port` + path.
    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{}", self.addr, path)).unwrap()
    }

    /// Replies for requests to `path` (exact path, query ignored), in order.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.inner
            .lock()
            .unwrap()
            .scripts
            .insert(path.to_owned(), replies.into());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

async fn handle(State(inner): State<Arc<Mutex<Inner>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = parts.uri.path().to_owned();
    let reply = {
        let mut inner = inner.lock().unwrap();
        inner.requests.push(Recorded {
            method: parts.method.clone(),
            path: path.clone(),
            raw_query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            body,
        });
        match inner.scripts.get_mut(&path) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => None,
        }
    };
    let Some(reply) = reply else {
        return Response::builder()
            .status(StatusCode::NOT_IMPLEMENTED)
            .body(Body::empty())
            .unwrap();
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut builder = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        builder = builder.header(k, v);
    }
    if reply.drop_mid_body {
        let half = reply.body[..reply.body.len() / 2].to_vec();
        let stream = futures::stream::iter(vec![
            Ok::<_, std::io::Error>(Bytes::from(half)),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "dropped",
            )),
        ]);
        return builder.body(Body::from_stream(stream)).unwrap();
    }
    builder.body(Body::from(reply.body)).unwrap()
}

/// A token endpoint reply.
pub fn token_reply(access_token: &str, expires_in: Value, refresh_token: Option<&str>) -> Reply {
    let mut body = serde_json::json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "access_token": access_token,
    });
    if let Some(rt) = refresh_token {
        body["refresh_token"] = rt.into();
    }
    Reply::json(200, body)
}

pub const TOKEN_PATH: &str = "/tenant/oauth2/v2.0/token";
pub const CLIENT_SECRET: &str = "client-secret-value-7f3a";
pub const INITIAL_REFRESH_TOKEN: &str = "initial-refresh-token-91b2";

/// A refresh-token provider pointed at the mock's token endpoint.
pub fn referrals_token_provider(mock: &Mock) -> EntraTokenProvider {
    let config = TokenConfig::referrals(
        "tenant",
        "app-id",
        Some(SecretString::from(CLIENT_SECRET)),
        SecretString::from(INITIAL_REFRESH_TOKEN),
    )
    .unwrap()
    .with_token_url(mock.url(TOKEN_PATH));
    EntraTokenProvider::new(config)
}

/// Fast retries for tests.
pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    partner_center::retry::DEFAULT_RETRY
        .with_max_attempts(max_attempts)
        .with_delays(Duration::from_millis(5), Duration::from_millis(20))
}
