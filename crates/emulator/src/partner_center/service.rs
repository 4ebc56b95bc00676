//! Referral operations shared by the HTTP handlers and the in-process API:
//! partner creates and updates (Referrals API) and Microsoft-seller actions
//! (control API), each validated, stamped, stored, and announced by webhook.

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::delivery::{self, Event};
use super::engagement;
use super::error::{ApiError, ErrorCode};
use super::fy26;
use super::patch::{self, PatchOp};
use super::schema::{canonicalize, INVITED_BY, SERVER_OWNED};
use super::store::{format_utc, new_etag};
use super::validate;
use super::App;
use super::Data;

/// `invitedBy.organizationId` meaning Microsoft (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
const MICROSOFT_ORG_ID: &str = "msft";
/// Microsoft's organization name on shared referrals.
const MICROSOFT_ORG_NAME: &str = "Microsoft";

/// Server fields that a PUT body may repeat but never change.
const IMMUTABLE_ON_PUT: &[&str] = &[
    "engagementId",
    "organizationId",
    "organizationName",
    "direction",
    "mpnId",
];

/// What a write did, for events.
enum Action {
    Created,
    Updated,
}

fn is_guid(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

fn object(value: Value) -> Result<Map<String, Value>, ApiError> {
    match canonicalize(value) {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::invalid_at(
            "referral",
            "The request body must be a referral object.",
        )),
    }
}

/// Inserts documented defaults for properties the body left out.
fn fill_defaults(map: &mut Map<String, Value>, qualification: &str) {
    let defaults = [
        ("externalReferenceId", Value::Null),
        ("expirationDateTime", Value::Null),
        ("closedDateTime", Value::Null),
        ("statusReason", Value::Null),
        ("qualification", json!(qualification)),
        ("quality", json!("Unknown")),
        ("isSpam", json!(false)),
        ("favorite", json!(false)),
        ("dealSensitivity", json!("None")),
        ("registrationStatus", json!("None")),
        ("registrations", json!([])),
        ("tags", json!([])),
        ("target", json!([])),
        ("team", json!([])),
        ("trackingInfo", json!({})),
    ];
    for (key, value) in defaults {
        map.entry(key).or_insert(value);
    }
}

/// Makes sure `inviteContext.invitedBy` names the inviting organization.
fn set_invited_by(map: &mut Map<String, Value>, org_id: &str, org_name: &str) {
    let context = map.entry("inviteContext").or_insert_with(|| json!({}));
    if !context.is_object() {
        *context = json!({});
    }
    context[INVITED_BY[1]] = json!({ "organizationId": org_id, "organizationName": org_name });
}

/// Checks `If-Match` against the stored ETag (`*` matches anything; quotes,
/// escapes and a weak `W/` prefix are ignored).
fn check_if_match(stored: &Value, if_match: &str) -> Result<(), ApiError> {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .chars()
            .filter(|c| *c != '"' && *c != '\\')
            .collect::<String>()
    };
    let current = bare(stored["eTag"].as_str().unwrap_or(""));
    let hit = if_match
        .split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == current);
    if hit {
        Ok(())
    } else {
        Err(ApiError::precondition_failed(
            "The referral was modified since it was read: the If-Match ETag does not match the current ETag.",
        )
        .with_target("If-Match"))
    }
}

impl App {
    /// A stored referral plus the computed `links` (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
    fn render(&self, stored: &Value) -> Value {
        let mut out = stored.clone();
        let id = stored["id"].as_str().unwrap_or_default();
        let engagement = stored["engagementId"].as_str().unwrap_or_default();
        out["links"] = json!({
            "relatedReferrals": {
                "uri": format!("{}?$filter=engagementId%20eq%20'{engagement}'", self.referrals_url()),
                "method": "GET"
            },
            "self": { "uri": format!("{}/{id}", self.referrals_url()), "method": "GET" }
        });
        out
    }

    /// The referral as the API returns it.
    pub(crate) fn rendered(&self, id: &str) -> Option<Value> {
        self.data().store.get(id).map(|r| self.render(r))
    }

    /// Every referral as the API returns it, in creation order.
    pub(crate) fn rendered_all(&self) -> Vec<Value> {
        self.data().store.all().map(|r| self.render(r)).collect()
    }

    /// Stamps server fields of a new referral and stores it.
    fn insert_new(
        self: &Arc<Self>,
        data: &mut Data,
        mut body: Map<String, Value>,
        outgoing: bool,
    ) -> Result<(Value, Vec<Event>), ApiError> {
        let now = data.store.clock.now();
        let requested_engagement = body.remove("engagementId").filter(|v| !v.is_null());
        let for_microsoft = outgoing && engagement::is_microsoft_side(&Value::Object(body.clone()));
        if for_microsoft {
            engagement::check_connected(
                &data.store,
                requested_engagement.as_ref().and_then(Value::as_str),
            )?;
        }
        let engagement_id = match requested_engagement {
            None => uuid::Uuid::new_v4().to_string(),
            Some(Value::String(e))
                if is_guid(&e) && (!outgoing || data.store.engagement_exists(&e)) =>
            {
                e
            }
            Some(other) => {
                return Err(ApiError::invalid_at(
                    "engagementId",
                    format!("engagementId {other} does not name an existing engagement."),
                ))
            }
        };
        let id = match body.get("id").filter(|_| !outgoing) {
            Some(Value::String(id)) if is_guid(id) && data.store.get(id).is_none() => id.clone(),
            Some(Value::Null) | None => uuid::Uuid::new_v4().to_string(),
            Some(other) => {
                return Err(ApiError::invalid_at(
                    "id",
                    format!("id {other} is not a new GUID."),
                ))
            }
        };
        for key in SERVER_OWNED {
            body.remove(*key);
        }
        let stamp = format_utc(now);
        let expiry = (!outgoing).then(|| format_utc(now + self.options.rules.incoming_expiry));
        let mut referral = Map::new();
        referral.insert("id".into(), json!(id));
        referral.insert("engagementId".into(), json!(engagement_id));
        referral.insert("organizationId".into(), json!(self.options.partner_org_id));
        referral.insert(
            "organizationName".into(),
            json!(self.options.partner_org_name),
        );
        referral.insert("mpnId".into(), json!(self.options.mpn_id));
        referral.insert("createdDateTime".into(), json!(stamp));
        referral.insert("updatedDateTime".into(), json!(stamp));
        referral.insert(
            "acceptedDateTime".into(),
            if outgoing && !for_microsoft {
                json!(stamp)
            } else {
                Value::Null
            },
        );
        referral.insert(
            "direction".into(),
            json!(if outgoing { "Outgoing" } else { "Incoming" }),
        );
        if outgoing {
            // Outgoing referrals come back accepted whatever status was posted
            // (https://learn.microsoft.com/en-us/partner-center/developer/referral-resources); the one addressed to Microsoft waits for Microsoft's answer.
            let (status, substatus) = if for_microsoft {
                ("New", "Pending")
            } else {
                ("Active", "Accepted")
            };
            body.insert("status".into(), json!(status));
            body.insert("substatus".into(), json!(substatus));
            set_invited_by(
                &mut body,
                &self.options.partner_org_id,
                &self.options.partner_org_name,
            );
        } else {
            body.entry("status").or_insert(json!("New"));
            body.entry("substatus").or_insert(json!("Pending"));
            body.entry("type").or_insert(json!("Shared"));
            set_invited_by(&mut body, MICROSOFT_ORG_ID, MICROSOFT_ORG_NAME);
            if let Some(expiry) = expiry {
                body.entry("expirationDateTime").or_insert(json!(expiry));
            }
        }
        referral.extend(body);
        fill_defaults(
            &mut referral,
            if outgoing { "None" } else { "SalesQualified" },
        );
        referral.insert("eTag".into(), json!(new_etag()));
        let mut referral = Value::Object(referral);
        validate::normalize(&mut referral, &self.options.rules)?;
        if outgoing {
            validate::check_deal_type(&referral, &self.options.rules)?;
            fy26::check_new_referral(&referral, &self.options.rules)?;
        }
        if validate::is_terminal(&referral) {
            referral["closedDateTime"] = json!(stamp);
        }
        let events = self.events_for(data, &referral, Action::Created, now);
        data.store.put(referral.clone());
        Ok((self.render(&referral), events))
    }

    fn events_for(
        &self,
        data: &Data,
        referral: &Value,
        action: Action,
        at: DateTime<Utc>,
    ) -> Vec<Event> {
        let id = referral["id"].as_str().unwrap_or_default();
        let engagement = referral["engagementId"].as_str().unwrap_or_default();
        let verb = match action {
            Action::Created => "created",
            Action::Updated => "updated",
        };
        let mut events = vec![Event::referral(&format!("referral-{verb}"), id, at)];
        // A write to one referral of an engagement tells the holders of the
        // others through related-referral-* (https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral, https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhook-events), pointing at the
        // referral that changed.
        if !data.store.counterparts(id, engagement).is_empty() {
            events.push(Event::referral(&format!("related-referral-{verb}"), id, at));
        }
        events
    }

    fn announce(self: &Arc<Self>, events: Vec<Event>) {
        for event in events {
            delivery::enqueue(self, event);
        }
    }

    /// `POST /referrals`: the partner creates an outgoing referral.
    pub(crate) fn create_outgoing(self: &Arc<Self>, body: Value) -> Result<Value, ApiError> {
        let body = object(body)?;
        let (rendered, events) = {
            let mut data = self.data();
            self.insert_new(&mut data, body, true)?
        };
        self.announce(events);
        Ok(rendered)
    }

    /// A Microsoft seller shares a referral with the partner (incoming, New/Pending).
    pub(crate) fn share_incoming(self: &Arc<Self>, body: Value) -> Result<Value, ApiError> {
        let mut body = object(body)?;
        body.entry("customerProfile").or_insert_with(
            || json!({ "name": "Contoso Customer", "address": { "country": "US" }, "team": [] }),
        );
        body.entry("consent").or_insert_with(|| {
            json!({
                "consentToToShareInfoWithOthers": true,
                "consentToContact": true,
                "consentToShareReferralWithMicrosoftSellers": true,
                "consentToMicrosoftToContactSpecificPartners": true
            })
        });
        body.entry("details")
            .or_insert_with(|| json!({ "requirements": { "solutions": [] } }));
        body.entry("name")
            .or_insert_with(|| json!("Co-sell opportunity shared by Microsoft"));
        let (rendered, events) = {
            let mut data = self.data();
            self.insert_new(&mut data, body, false)?
        };
        self.announce(events);
        Ok(rendered)
    }

    /// Shared tail of every update: checks, stamps, stores, announces.
    fn update(
        self: &Arc<Self>,
        id: &str,
        if_match: IfMatch<'_>,
        by_partner: bool,
        build: impl FnOnce(&Value) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        let (rendered, events) = {
            let mut data = self.data();
            let current = data.store.get(id).cloned().ok_or_else(|| {
                ApiError::not_found(format!("Referral {id} was not found.")).with_target("id")
            })?;
            match if_match {
                IfMatch::Required(None) => {
                    let status = self.options.rules.missing_if_match_status;
                    let (status, code) = match StatusCode::from_u16(status) {
                        Ok(StatusCode::BAD_REQUEST) => {
                            (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest)
                        }
                        _ => (
                            StatusCode::PRECONDITION_REQUIRED,
                            ErrorCode::PreconditionFailed,
                        ),
                    };
                    return Err(ApiError::new(
                        status,
                        code,
                        "The If-Match header is required to update a referral.",
                    )
                    .with_target("If-Match"));
                }
                IfMatch::Required(Some(tag)) | IfMatch::Optional(Some(tag)) => {
                    check_if_match(&current, tag)?
                }
                IfMatch::Optional(None) => {}
            }
            if validate::is_terminal(&current) {
                return Err(validate::terminal_error(&self.options.rules, &current));
            }
            let mut next = build(&current)?;
            for key in SERVER_OWNED {
                match current.get(*key) {
                    Some(v) => next[*key] = v.clone(),
                    None => {
                        if let Some(m) = next.as_object_mut() {
                            m.remove(*key);
                        }
                    }
                }
            }
            if by_partner {
                if let Some(invited_by) = current
                    .get(INVITED_BY[0])
                    .and_then(|c| c.get(INVITED_BY[1]))
                {
                    if !next[INVITED_BY[0]].is_object() {
                        next[INVITED_BY[0]] = json!({});
                    }
                    next[INVITED_BY[0]][INVITED_BY[1]] = invited_by.clone();
                }
            }
            if let Some(m) = next.as_object_mut() {
                m.remove("links");
            }
            validate::normalize(&mut next, &self.options.rules)?;
            validate::check_transition(&current, &next, &self.options.rules)?;
            validate::check_consent(&current, &next)?;
            if by_partner {
                engagement::check_partner_write(&current, &next)?;
            }
            if by_partner && current["direction"] == "Outgoing" {
                validate::check_deal_type(&next, &self.options.rules)?;
            }
            let now = data.store.clock.now();
            if by_partner {
                validate::check_won_after_registration(&current, &next, now, &self.options.rules)?;
            }
            let stamp = format_utc(now);
            next["updatedDateTime"] = json!(stamp);
            if next["status"] == "Active"
                && current["status"] != "Active"
                && current["acceptedDateTime"].is_null()
            {
                next["acceptedDateTime"] = json!(stamp);
            }
            if validate::is_terminal(&next) {
                next["closedDateTime"] = json!(stamp);
            }
            stamp_registrations(&mut next, &stamp);
            next["eTag"] = json!(new_etag());
            let events = self.events_for(&data, &next, Action::Updated, now);
            data.store.put(next.clone());
            (self.render(&next), events)
        };
        self.announce(events);
        Ok(rendered)
    }

    /// `PUT /referrals/{id}`: full replacement (If-Match required, no `links`).
    pub(crate) fn replace(
        self: &Arc<Self>,
        id: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Result<Value, ApiError> {
        let body = object(body)?;
        if body.contains_key("links") {
            return Err(ApiError::invalid_at(
                "links",
                "Remove the links object from the referral before a PUT.",
            ));
        }
        if let Some(body_id) = body.get("id").and_then(Value::as_str) {
            if !body_id.eq_ignore_ascii_case(id) {
                return Err(ApiError::invalid_at(
                    "id",
                    format!("The id in the body ({body_id}) does not match the URL ({id})."),
                ));
            }
        }
        self.update(id, IfMatch::Required(if_match), true, |current| {
            for key in IMMUTABLE_ON_PUT {
                if let Some(given) = body.get(*key).filter(|v| !v.is_null()) {
                    if Some(given) != current.get(*key) {
                        return Err(ApiError::invalid_at(
                            *key,
                            format!("{key} is set by the server and cannot be changed."),
                        ));
                    }
                }
            }
            Ok(Value::Object(body))
        })
    }

    /// `PATCH /referrals/{id}`: JSON Patch add/replace (If-Match honoured when present).
    pub(crate) fn patch(
        self: &Arc<Self>,
        id: &str,
        ops: Vec<PatchOp>,
        if_match: Option<&str>,
    ) -> Result<Value, ApiError> {
        patch::refuse_server_owned(&ops)?;
        self.update(id, IfMatch::Optional(if_match), true, |current| {
            let mut next = current.clone();
            patch::apply(&mut next, &ops)?;
            Ok(next)
        })
    }

    /// A Microsoft seller updates a referral: JSON Patch array or merge-patch object.
    pub(crate) fn microsoft_update(
        self: &Arc<Self>,
        id: &str,
        change: Value,
    ) -> Result<Value, ApiError> {
        let ops = match &change {
            Value::Array(_) => Some(patch::parse(&change)?),
            Value::Object(_) => None,
            _ => {
                return Err(ApiError::invalid(
                    "The body must be a JSON Patch array or a JSON merge-patch object.",
                ))
            }
        };
        let change = canonicalize(change);
        self.update(id, IfMatch::Optional(None), false, |current| {
            let mut next = current.clone();
            match &ops {
                Some(ops) => patch::apply(&mut next, ops)?,
                None => patch::merge(&mut next, &change),
            }
            Ok(next)
        })
    }
}

/// Whether and how an update checks `If-Match`.
enum IfMatch<'a> {
    Required(Option<&'a str>),
    Optional(Option<&'a str>),
}

/// New deal registrations get an id, a date and ReviewPending (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
fn stamp_registrations(referral: &mut Value, stamp: &str) {
    let Some(registrations) = referral
        .get_mut("registrations")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    let mut added = false;
    for registration in registrations.iter_mut().filter(|r| r.is_object()) {
        if registration.get("id").is_none_or(Value::is_null) {
            registration["id"] = json!(uuid::Uuid::new_v4().to_string());
            registration["registrationDateTime"] = json!(stamp);
            registration["status"] = json!("ReviewPending");
            added = true;
        }
    }
    if added {
        referral["registrationStatus"] = json!("ReviewPending");
    }
}
