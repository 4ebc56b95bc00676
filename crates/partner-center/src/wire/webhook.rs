//! Webhook wire types: the delivered event (PascalCase, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>), the registration
//! (PascalCase, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>) and validation events (camelCase, <https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::WebhookEventName;
use super::scalars::Timestamp;

/// The body Partner Center POSTs to the webhook receiver: a pointer, not data.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WebhookEvent {
    /// `{resource}-{action}`, e.g. `referral-updated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<WebhookEventName>,
    /// URI of the changed resource; its last path segment is the referral id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_uri: Option<String>,
    /// `referral` for referral events, `test` for validation events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Audit record URI, usually null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_uri: Option<String>,
    /// When the resource changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_change_utc_date: Option<Timestamp>,
    /// Members this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WebhookEvent {
    /// The referral id: the last non-empty path segment of `ResourceUri`.
    ///
    /// The documented host/path of `ResourceUri` differs from the Referrals API, so
    /// only the id is trusted and the referral is re-fetched from the configured API (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
    pub fn referral_id(&self) -> Option<String> {
        let uri = self.resource_uri.as_deref()?;
        let path = match url::Url::parse(uri) {
            Ok(u) => u.path().to_owned(),
            Err(_) => uri.split(['?', '#']).next().unwrap_or_default().to_owned(),
        };
        let segment = path.rsplit('/').find(|s| !s.is_empty())?;
        let decoded = urlencoding::decode(segment).ok()?.into_owned();
        (!decoded.is_empty()).then_some(decoded)
    }
}

/// The tenant's webhook registration.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Registration {
    /// Subscriber id returned by register/update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber_id: Option<String>,
    /// Receiver URL (one URL per event per tenant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// Subscribed event names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_events: Option<Vec<String>>,
    /// Move the signature from `Authorization` to `x-ms-signature`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_token_to_ms_signature_header: Option<bool>,
    /// Members this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Response of `POST /registration/validationEvents`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValidationEventRequest {
    /// Correlation id to poll with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Members this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Status of a validation (test) event delivery.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValidationEvent {
    /// Correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Partner tenant id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// Delivery status, e.g. `completed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// URL the event was delivered to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// One entry per delivery attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Vec<ValidationResult>>,
    /// Members this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One delivery attempt of a validation event.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ValidationResult {
    /// Receiver response, e.g. `OK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    /// Receiver response message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_message: Option<String>,
    /// The failure was on Microsoft's side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_error: Option<bool>,
    /// When the attempt was made (no offset on the wire).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_time_utc: Option<Timestamp>,
    /// Members this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_parses_documented_body_and_extracts_referral_id() {
        let body = br#"{"EventName":"referral-updated","ResourceUri":"https://api.partnercenter.microsoft.com/engagements/v1/referrals/1a2b-3c","ResourceName":"referral","AuditUri":null,"ResourceChangeUtcDate":"2018-02-17T00:05:39.5485487+00:00"}"#;
        let ev: WebhookEvent = serde_json::from_slice(body).unwrap();
        assert_eq!(ev.event_name, Some(WebhookEventName::ReferralUpdated));
        assert_eq!(ev.referral_id().as_deref(), Some("1a2b-3c"));
        assert!(ev.resource_change_utc_date.unwrap().to_utc().is_some());
    }

    #[test]
    fn referral_id_ignores_trailing_slash_and_query() {
        let ev = WebhookEvent {
            resource_uri: Some("https://x/v1.0/engagements/referrals/abc/?q=1".into()),
            ..Default::default()
        };
        assert_eq!(ev.referral_id().as_deref(), Some("abc"));
        assert_eq!(WebhookEvent::default().referral_id(), None);
    }

    #[test]
    fn registration_is_pascal_case() {
        let r = Registration {
            webhook_url: Some("https://h/cb".into()),
            webhook_events: Some(vec!["referral-created".into()]),
            signature_token_to_ms_signature_header: Some(true),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"WebhookUrl": "https://h/cb", "WebhookEvents": ["referral-created"],
                   "SignatureTokenToMsSignatureHeader": true})
        );
    }

    #[test]
    fn validation_event_is_camel_case() {
        let v: ValidationEvent = serde_json::from_value(json!({
            "correlationId": "c", "partnerId": "p", "status": "completed", "callbackUrl": "u",
            "results": [{"responseCode": "OK", "responseMessage": "", "systemError": false,
                         "dateTimeUtc": "2017-12-08T21:39:48.2386997"}]
        }))
        .unwrap();
        assert_eq!(v.results.unwrap()[0].response_code.as_deref(), Some("OK"));
    }
}
