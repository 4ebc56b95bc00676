//! Simulated people: a Microsoft seller, an AWS reviewer and a Salesforce
//! seller who change deals every few seconds, so the demo shows live syncs
//! both ways with both clouds.

use std::time::Duration;

use emulator::aws::AwsEmulator;
use emulator::partner_center::PartnerCenterEmulator;
use emulator::salesforce::SalesforceEmulator;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};

/// Pause between two simulated actions.
pub const TICK: Duration = Duration::from_secs(3);
/// Referrals the Microsoft seller may share in one demo run.
const MAX_SHARED: usize = 40;

/// The simulation's state between ticks.
pub struct Sellers {
    rng: StdRng,
    shared: usize,
    tick: u64,
}

impl Sellers {
    pub fn new(rng: StdRng, already_shared: usize) -> Self {
        Self {
            rng,
            shared: already_shared,
            tick: 0,
        }
    }

    /// One action by one of the sellers; returns what happened, for the log.
    pub fn act(
        &mut self,
        pc: &PartnerCenterEmulator,
        sf: &SalesforceEmulator,
        aws: &AwsEmulator,
    ) -> Option<String> {
        self.tick += 1;
        let opportunities = sf.records("Opportunity");
        let linked: Vec<&Value> = opportunities
            .iter()
            .filter(|o| o["Referral_Identifier__c"].is_string())
            .collect();
        let on_hold: Vec<&&Value> = linked
            .iter()
            .filter(|o| o["StageName"] == json!("On Hold"))
            .collect();
        let open: Vec<&&Value> = linked
            .iter()
            .filter(|o| o["IsClosed"] == json!(false) && o["StageName"] != json!("On Hold"))
            .collect();
        // The first ticks walk deals through every lifecycle state.
        let action = match self.tick {
            1..=3 => 0,
            4 | 5 => 3,
            6 => 4,
            7 => 5,
            8 => 6,
            9 => 7,
            _ => self.rng.random_range(0..8),
        };
        match action {
            0 => {
                let opp = on_hold.choose(&mut self.rng)?;
                sf.update(
                    "Opportunity",
                    opp["Id"].as_str()?,
                    json!({ "StageName": "Qualification" }),
                )
                .ok()?;
                Some(format!(
                    "Salesforce seller accepted \"{}\"",
                    opp["Name"].as_str()?
                ))
            }
            1 => {
                let opp = open.choose(&mut self.rng)?;
                let amount = self.rng.random_range(30..900) * 1000;
                sf.update(
                    "Opportunity",
                    opp["Id"].as_str()?,
                    json!({ "Amount": amount }),
                )
                .ok()?;
                Some(format!(
                    "Salesforce seller set the value of \"{}\" to {amount}",
                    opp["Name"].as_str()?
                ))
            }
            2 => {
                let opp = linked.choose(&mut self.rng)?;
                let referral_id = opp["Referral_Identifier__c"].as_str()?;
                let referral = pc.referral(referral_id)?;
                if referral["status"] == json!("Closed") {
                    return None;
                }
                let note = format!("Microsoft update #{}: customer meeting booked", self.tick);
                pc.microsoft_update(
                    referral_id,
                    json!([{ "op": "replace", "path": "/details/notes", "value": note }]),
                )
                .ok()?;
                Some(format!(
                    "Microsoft seller updated the notes of \"{}\"",
                    referral["name"].as_str()?
                ))
            }
            3 => {
                let opp = open.choose(&mut self.rng)?;
                let stage = if self.tick % 2 == 0 {
                    "Closed Won"
                } else {
                    "Closed Lost"
                };
                sf.update(
                    "Opportunity",
                    opp["Id"].as_str()?,
                    json!({ "StageName": stage }),
                )
                .ok()?;
                Some(format!(
                    "Salesforce seller moved \"{}\" to {stage}",
                    opp["Name"].as_str()?
                ))
            }
            4 => {
                let opp = on_hold.choose(&mut self.rng)?;
                sf.update(
                    "Opportunity",
                    opp["Id"].as_str()?,
                    json!({ "StageName": "Closed Lost" }),
                )
                .ok()?;
                Some(format!(
                    "Salesforce seller declined \"{}\"",
                    opp["Name"].as_str()?
                ))
            }
            6 => {
                let submitted: Vec<Value> = aws
                    .opportunities()
                    .into_iter()
                    .filter(|o| o["LifeCycle"]["ReviewStatus"] == json!("Submitted"))
                    .collect();
                let opp = submitted.choose(&mut self.rng)?;
                let id = opp["Id"].as_str()?;
                aws.review(
                    "Sandbox",
                    id,
                    "Approved",
                    Some("Qualified"),
                    Some("Approved for co-sell; an AWS account manager will reach out"),
                )
                .ok()?;
                Some(format!(
                    "AWS reviewer approved \"{}\"",
                    opp["Project"]["Title"].as_str()?
                ))
            }
            7 => {
                let invited: Vec<&Value> = opportunities
                    .iter()
                    .filter(|o| {
                        o["AWS_Invitation_Id__c"].is_string() && o["StageName"] == json!("On Hold")
                    })
                    .collect();
                let opp = invited.choose(&mut self.rng)?;
                sf.update(
                    "Opportunity",
                    opp["Id"].as_str()?,
                    json!({ "StageName": "Qualification" }),
                )
                .ok()?;
                Some(format!(
                    "Salesforce seller accepted AWS's invitation \"{}\"",
                    opp["Name"].as_str()?
                ))
            }
            _ if self.shared < MAX_SHARED => {
                let id = super::seed::share(pc, &mut self.rng, self.shared).ok()?;
                self.shared += 1;
                Some(format!("Microsoft seller shared a new referral {id}"))
            }
            _ => None,
        }
    }
}
