//! The emulator's clock under test control, and what Partner Center does
//! when time passes: incoming leads and opportunities nobody answered
//! within 14 days are closed as Expired ("Get a list of referrals":
//! <https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>,
//! <https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>, <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>). Tests cross 14 days or 72
//! hours in one [`App::advance_clock`] call; expiry is applied then (an
//! emulator left running for 14 real days does not sweep on its own).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::store::{format_utc, parse_datetime};
use super::App;

/// An incoming referral still waiting for the partner's answer.
fn unanswered(referral: &Value) -> bool {
    referral["direction"] == "Incoming" && referral["status"] == "New"
}

impl App {
    /// Moves the clock forward and closes what expired meanwhile; returns
    /// the new time.
    pub(crate) fn advance_clock(self: &Arc<Self>, by: chrono::Duration) -> String {
        let (now, expired) = {
            let mut data = self.data();
            data.store.clock.advance(by);
            let now = data.store.clock.now();
            let expired: Vec<String> = data
                .store
                .all()
                .filter(|r| unanswered(r) && expires_by(r, now))
                .filter_map(|r| r["id"].as_str().map(str::to_owned))
                .collect();
            (now, expired)
        };
        for id in expired {
            // New → Closed/Expired is always allowed; a referral answered
            // meanwhile simply stays as it is.
            if let Err(e) =
                self.microsoft_update(&id, json!({ "status": "Closed", "substatus": "Expired" }))
            {
                tracing::debug!(id, error = %e.message, "referral not expired");
            }
        }
        format_utc(now)
    }

    /// The emulator's current time.
    pub(crate) fn now(&self) -> String {
        format_utc(self.data().store.clock.now())
    }
}

fn expires_by(referral: &Value, now: DateTime<Utc>) -> bool {
    referral["expirationDateTime"]
        .as_str()
        .and_then(parse_datetime)
        .is_some_and(|at| at <= now)
}
