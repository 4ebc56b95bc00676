//! Entra's device authorization grant: `POST /{tenant}/oauth2/v2.0/devicecode`
//! hands out a device code and a user code; the client polls the token
//! endpoint with `grant_type=urn:ietf:params:oauth:grant-type:device_code`
//! until the person approves or declines the code, or it expires
//! (<https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code>).
//!
//! Polling answers `authorization_pending`, `authorization_declined`,
//! `bad_verification_code` and `expired_token` as Entra documents; a poll
//! sooner than `interval` after the previous one answers `slow_down` and
//! adds 5 seconds to the interval (RFC 8628 §3.5). The person's side is a
//! control: [`super::PartnerCenterEmulator::approve_device_code`] and
//! [`super::PartnerCenterEmulator::decline_device_code`], or
//! `POST /_emulator/devicecode/{user_code}/approve|decline`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::json;

use super::auth::{entra, is_known_tenant, resource_of};
use super::App;

/// Grant type of the device code poll.
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Where the person signs in.
const VERIFICATION_URI: &str = "https://microsoft.com/devicelogin";
/// Default `expires_in` (15 minutes, as documented).
pub(crate) const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(900);
/// Default polling `interval`.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Characters of a user code (no look-alikes).
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a user code.
const USER_CODE_LEN: usize = 9;

/// What the person did with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pending,
    Approved { mfa: bool },
    Declined,
}

/// One device authorization in flight.
#[derive(Debug)]
struct DeviceCode {
    user_code: String,
    client_id: String,
    audience: &'static str,
    expires_at: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    decision: Decision,
}

/// Device codes by device code, and the timing of new ones.
#[derive(Debug)]
pub(crate) struct DeviceCodes {
    codes: HashMap<String, DeviceCode>,
    expires_in: Duration,
    interval: Duration,
}

impl Default for DeviceCodes {
    fn default() -> Self {
        Self {
            codes: HashMap::new(),
            expires_in: DEFAULT_EXPIRES_IN,
            interval: DEFAULT_INTERVAL,
        }
    }
}

/// The outcome of a poll that may issue tokens.
pub(crate) enum Poll {
    /// The person approved: issue tokens for this audience.
    Approved { audience: &'static str, mfa: bool },
    /// Answer this error.
    Refused(Response),
}

impl DeviceCodes {
    /// Sets `interval` and `expires_in` of codes issued from now on.
    pub(crate) fn set_timing(&mut self, interval: Duration, expires_in: Duration) {
        self.interval = interval;
        self.expires_in = expires_in;
    }

    /// Records the person's decision on `user_code`; false if no such code is pending.
    fn decide(&mut self, user_code: &str, decision: Decision) -> bool {
        let wanted = normalise(user_code);
        let now = Instant::now();
        let pending = self.codes.values_mut().find(|c| {
            c.user_code == wanted && c.expires_at > now && c.decision == Decision::Pending
        });
        match pending {
            Some(code) => {
                code.decision = decision;
                true
            }
            None => false,
        }
    }

    /// User codes waiting for a person, in no particular order.
    fn pending(&self) -> Vec<String> {
        let now = Instant::now();
        self.codes
            .values()
            .filter(|c| c.decision == Decision::Pending && c.expires_at > now)
            .map(|c| c.user_code.clone())
            .collect()
    }

    /// Answers a poll with `device_code` by `client_id`.
    pub(crate) fn poll(&mut self, device_code: &str, client_id: &str) -> Poll {
        let now = Instant::now();
        let Some(code) = self
            .codes
            .get_mut(device_code)
            .filter(|c| c.client_id == client_id)
        else {
            return Poll::Refused(entra(
                StatusCode::BAD_REQUEST,
                "bad_verification_code",
                70018,
                "The provided value for the input parameter 'device_code' is not valid.",
            ));
        };
        if now >= code.expires_at {
            self.codes.remove(device_code);
            return Poll::Refused(entra(
                StatusCode::BAD_REQUEST,
                "expired_token",
                70019,
                "Verification code expired.",
            ));
        }
        let too_soon = code
            .last_poll
            .is_some_and(|last| now.duration_since(last) < code.interval);
        code.last_poll = Some(now);
        if too_soon {
            code.interval += SLOW_DOWN_STEP;
            return Poll::Refused(entra(
                StatusCode::BAD_REQUEST,
                "slow_down",
                70016,
                "The client is polling too quickly and should back off.",
            ));
        }
        match code.decision {
            Decision::Pending => Poll::Refused(entra(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )),
            Decision::Declined => {
                self.codes.remove(device_code);
                Poll::Refused(entra(
                    StatusCode::BAD_REQUEST,
                    "authorization_declined",
                    70000,
                    "The user declined the authorization request.",
                ))
            }
            Decision::Approved { mfa } => {
                let audience = code.audience;
                // A device code is redeemed once.
                self.codes.remove(device_code);
                Poll::Approved { audience, mfa }
            }
        }
    }
}

/// Upper-cases and drops separators, as people type codes.
fn normalise(user_code: &str) -> String {
    user_code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn user_code() -> String {
    (0..USER_CODE_LEN)
        .map(|_| {
            let i = rand::random_range(0..USER_CODE_ALPHABET.len());
            char::from(USER_CODE_ALPHABET[i])
        })
        .collect()
}

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub(crate) async fn device_code_endpoint(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = is_known_tenant(&app, &tenant) {
        return *response;
    }
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let form: HashMap<String, String> = if form_type {
        url::form_urlencoded::parse(&body).into_owned().collect()
    } else {
        HashMap::new()
    };
    let Some(client_id) = form.get("client_id") else {
        return super::auth::missing("client_id");
    };
    if *client_id != app.options.client_id {
        return entra(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                app.options.tenant
            ),
        );
    }
    let Some(scope) = form.get("scope") else {
        return super::auth::missing("scope");
    };
    let audience = match resource_of(scope, false) {
        Ok(audience) => audience,
        Err(response) => return *response,
    };
    let device_code = super::auth::random_token();
    let user_code = user_code();
    let mut tokens = app.tokens();
    let codes = &mut tokens.device_codes;
    let (interval, expires_in) = (codes.interval, codes.expires_in);
    codes.codes.insert(
        device_code.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            client_id: client_id.clone(),
            audience,
            expires_at: Instant::now() + expires_in,
            interval,
            last_poll: None,
            decision: Decision::Pending,
        },
    );
    axum::Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": VERIFICATION_URI,
        "expires_in": expires_in.as_secs(),
        "interval": interval.as_secs(),
        "message": format!("To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the code {user_code} to authenticate."),
    }))
    .into_response()
}

/// Control routes: the person approving or declining a code.
pub(crate) fn control_routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_emulator/devicecode/{user_code}/approve", post(approve))
        .route("/_emulator/devicecode/{user_code}/decline", post(decline))
}

async fn approve(State(app): State<Arc<App>>, Path(user_code): Path<String>) -> StatusCode {
    let mfa = app.tokens().mfa;
    decided(
        app.tokens()
            .device_codes
            .decide(&user_code, Decision::Approved { mfa }),
    )
}

async fn decline(State(app): State<Arc<App>>, Path(user_code): Path<String>) -> StatusCode {
    decided(
        app.tokens()
            .device_codes
            .decide(&user_code, Decision::Declined),
    )
}

fn decided(found: bool) -> StatusCode {
    if found {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

impl super::PartnerCenterEmulator {
    /// The user codes waiting for a person to approve or decline them.
    pub fn pending_user_codes(&self) -> Vec<String> {
        self.app.tokens().device_codes.pending()
    }

    /// The person signs in and approves `user_code` (with MFA unless
    /// [`Self::set_mfa`] turned it off); false if no such code is pending.
    pub fn approve_device_code(&self, user_code: &str) -> bool {
        let mut tokens = self.app.tokens();
        let mfa = tokens.mfa;
        tokens
            .device_codes
            .decide(user_code, Decision::Approved { mfa })
    }

    /// The person declines `user_code`; false if no such code is pending.
    pub fn decline_device_code(&self, user_code: &str) -> bool {
        self.app
            .tokens()
            .device_codes
            .decide(user_code, Decision::Declined)
    }

    /// The `interval` and `expires_in` of device codes issued from now on.
    pub fn set_device_code_timing(&self, interval: Duration, expires_in: Duration) {
        self.app
            .tokens()
            .device_codes
            .set_timing(interval, expires_in);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_with(decision: Decision, interval: Duration) -> (DeviceCodes, String) {
        let mut codes = DeviceCodes::default();
        codes.codes.insert(
            "dc".into(),
            DeviceCode {
                user_code: "ABCD2345X".into(),
                client_id: "app".into(),
                audience: super::super::auth::REFERRALS_AUDIENCE,
                expires_at: Instant::now() + Duration::from_secs(60),
                interval,
                last_poll: None,
                decision,
            },
        );
        (codes, "dc".into())
    }

    fn refused_with(poll: Poll) -> String {
        match poll {
            Poll::Refused(r) => {
                let body = body_json(r);
                body["error"].as_str().unwrap().to_owned()
            }
            Poll::Approved { .. } => "approved".into(),
        }
    }

    fn body_json(response: Response) -> serde_json::Value {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn polling_follows_the_documented_answers() {
        let (mut codes, dc) = codes_with(Decision::Pending, Duration::ZERO);
        assert_eq!(
            refused_with(codes.poll(&dc, "app")),
            "authorization_pending"
        );
        assert_eq!(
            refused_with(codes.poll(&dc, "other-app")),
            "bad_verification_code"
        );
        assert!(codes.decide("abcd-2345-x", Decision::Approved { mfa: true }));
        assert_eq!(refused_with(codes.poll(&dc, "app")), "approved");
        assert_eq!(
            refused_with(codes.poll(&dc, "app")),
            "bad_verification_code",
            "redeemed once"
        );

        let (mut codes, dc) = codes_with(Decision::Declined, Duration::ZERO);
        assert_eq!(
            refused_with(codes.poll(&dc, "app")),
            "authorization_declined"
        );
    }

    #[test]
    fn polling_too_fast_slows_the_client_down() {
        let (mut codes, dc) = codes_with(Decision::Pending, Duration::from_secs(60));
        assert_eq!(
            refused_with(codes.poll(&dc, "app")),
            "authorization_pending"
        );
        assert_eq!(refused_with(codes.poll(&dc, "app")), "slow_down");
        assert_eq!(codes.codes["dc"].interval, Duration::from_secs(65));
    }

    #[test]
    fn an_expired_code_is_refused() {
        let (mut codes, dc) = codes_with(Decision::Pending, Duration::ZERO);
        codes.codes.get_mut("dc").unwrap().expires_at = Instant::now();
        assert_eq!(refused_with(codes.poll(&dc, "app")), "expired_token");
        assert!(!codes.decide("ABCD2345X", Decision::Declined));
    }
}
