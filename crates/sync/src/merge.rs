//! The three-way merge of a pair: each side's current deal is compared with
//! the last synced snapshot, field by field.
//!
//! Policy (documented in docs/ARCHITECTURE.md):
//! - a field changed on one side only flows to the other side;
//! - a field changed on both sides to different values is a conflict: the
//!   side whose record changed most recently wins (ties go to Salesforce,
//!   where the seller works); the loser's value is kept in the audit;
//! - one-way fields never flow back: the Microsoft CRM id comes from Partner
//!   Center, the partner team from Salesforce;
//! - visibility to Microsoft sellers only goes from false to true; a side
//!   that turns it off is refused and restored;
//! - while a referral waits on hold, nothing is pushed to Partner Center:
//!   Salesforce edits (the partner team included) are held back, neither
//!   pushed nor absorbed into the snapshot, so they flow once the referral
//!   is accepted ([`MergeOutcome::hold`]);
//! - the lifecycle follows its own rules ([`crate::lifecycle`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::deal::Deal;
use crate::lifecycle::{self, LifecycleDecision};
use crate::settings::{FieldMapping, MappingDirection};

/// One of the two systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Side {
    /// Microsoft Partner Center (the referral).
    PartnerCenter,
    /// Salesforce (the opportunity).
    Salesforce,
}

impl Side {
    /// Human name for audit lines.
    pub fn label(self) -> &'static str {
        match self {
            Self::PartnerCenter => "Partner Center",
            Self::Salesforce => "Salesforce",
        }
    }
}

/// The deal fields the merge handles one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The deal's name (referral name, opportunity Name).
    Name,
    /// The customer: company, address, Account.
    Customer,
    /// The customer's contacts.
    Contacts,
    /// The deal's value.
    DealValue,
    /// The deal value's currency.
    Currency,
    /// The expected close date.
    CloseDate,
    /// The notes synced with the referral.
    Notes,
    /// What help the partner asks Microsoft for.
    Help,
    /// Whether Microsoft sellers may see the deal (one-way: never revoked).
    Visibility,
    /// The Microsoft solutions the deal is about.
    Solutions,
    /// Microsoft's CRM (MSX) id of the deal.
    MicrosoftCrmId,
    /// The partner's deal team.
    Team,
}

/// Which way a field may flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Both,
    FromPartnerCenter,
    FromSalesforce,
}

impl Field {
    /// Every merged field.
    pub const ALL: [Field; 12] = [
        Self::Name,
        Self::Customer,
        Self::Contacts,
        Self::DealValue,
        Self::Currency,
        Self::CloseDate,
        Self::Notes,
        Self::Help,
        Self::Visibility,
        Self::Solutions,
        Self::MicrosoftCrmId,
        Self::Team,
    ];

    /// Stable name for audit and plans.
    pub fn name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Customer => "customer",
            Self::Contacts => "contacts",
            Self::DealValue => "deal_value",
            Self::Currency => "currency",
            Self::CloseDate => "close_date",
            Self::Notes => "notes",
            Self::Help => "help",
            Self::Visibility => "visibility",
            Self::Solutions => "solutions",
            Self::MicrosoftCrmId => "microsoft_crm_id",
            Self::Team => "team",
        }
    }

    fn flow(self) -> Flow {
        match self {
            Self::MicrosoftCrmId => Flow::FromPartnerCenter,
            Self::Team => Flow::FromSalesforce,
            _ => Flow::Both,
        }
    }

    /// The field's value as JSON, for comparison and audit.
    pub fn get(self, deal: &Deal) -> Value {
        let value = match self {
            Self::Name => serde_json::to_value(&deal.name),
            Self::Customer => serde_json::to_value(&deal.customer),
            Self::Contacts => serde_json::to_value(sorted(&deal.contacts)),
            Self::DealValue => serde_json::to_value(deal.deal_value),
            Self::Currency => serde_json::to_value(&deal.currency),
            Self::CloseDate => serde_json::to_value(deal.close_date),
            Self::Notes => serde_json::to_value(&deal.notes),
            Self::Help => serde_json::to_value(deal.help),
            Self::Visibility => serde_json::to_value(deal.visible_to_microsoft),
            Self::Solutions => serde_json::to_value(&deal.solutions),
            Self::MicrosoftCrmId => serde_json::to_value(&deal.microsoft_crm_id),
            Self::Team => serde_json::to_value(sorted(&deal.team)),
        };
        value.unwrap_or(Value::Null)
    }

    /// Copies this field from `source` into `target`.
    pub fn copy(self, source: &Deal, target: &mut Deal) {
        match self {
            Self::Name => target.name = source.name.clone(),
            Self::Customer => target.customer = source.customer.clone(),
            Self::Contacts => target.contacts = source.contacts.clone(),
            Self::DealValue => target.deal_value = source.deal_value,
            Self::Currency => target.currency = source.currency.clone(),
            Self::CloseDate => target.close_date = source.close_date,
            Self::Notes => target.notes = source.notes.clone(),
            Self::Help => target.help = source.help,
            Self::Visibility => target.visible_to_microsoft = source.visible_to_microsoft,
            Self::Solutions => target.solutions = source.solutions.clone(),
            Self::MicrosoftCrmId => target.microsoft_crm_id = source.microsoft_crm_id.clone(),
            Self::Team => target.team = source.team.clone(),
        }
    }
}

/// Field names, for audit details.
pub fn field_names(fields: &[Field]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name()).collect()
}

fn sorted<T: Clone + Ord>(items: &[T]) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort();
    items
}

/// Both sides' current view of the pair, with when each last changed.
pub struct MergeInput<'a> {
    /// The last synced snapshot.
    pub base: &'a Deal,
    /// Partner Center's current view.
    pub partner_center: &'a Deal,
    /// Salesforce's current view.
    pub salesforce: &'a Deal,
    /// When the referral last changed, when known.
    pub partner_center_changed_at: Option<DateTime<Utc>>,
    /// When the opportunity (or a related record) last changed, when known.
    pub salesforce_changed_at: Option<DateTime<Utc>>,
    /// Hold back Salesforce-only edits (sync turned off, or the referral is
    /// closed and therefore final).
    pub hold_salesforce: bool,
    /// The `[[mapping]]` fields to merge besides the built-in ones.
    pub mappings: &'a [FieldMapping],
}

/// A field both sides changed differently, and how it was settled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// The field's name (a built-in field, or a mapped Salesforce field).
    pub field: String,
    /// The side whose value was kept.
    pub winner: Side,
    /// Partner Center's value.
    pub partner_center: Value,
    /// Salesforce's value.
    pub salesforce: Value,
}

/// A change that was refused (e.g. revoking visibility) and will be undone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// The field whose change was refused.
    pub field: Field,
    /// The side that made the change.
    pub side: Side,
    /// Why it was refused, in words for the seller.
    pub reason: String,
}

/// What the merge decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeOutcome {
    /// The deal both sides should hold afterwards (the new snapshot).
    pub merged: Deal,
    /// Fields Partner Center must be updated with.
    pub to_partner_center: Vec<Field>,
    /// Fields Salesforce must be updated with.
    pub to_salesforce: Vec<Field>,
    /// Fields both sides changed differently, and who won.
    pub conflicts: Vec<Conflict>,
    /// Changes refused and undone.
    pub refusals: Vec<Refusal>,
    /// Salesforce edits held back while the referral waits on hold.
    pub held: Vec<Field>,
    /// Where the deal's lifecycle goes, and whether each side may move.
    pub lifecycle: LifecycleDecision,
    /// Mapped fields (by Salesforce field name) Partner Center must get.
    pub mapped_to_partner_center: Vec<String>,
    /// Mapped fields Salesforce must get.
    pub mapped_to_salesforce: Vec<String>,
}

impl MergeOutcome {
    /// Names of everything Partner Center gets: built-in and mapped fields.
    pub fn partner_center_changes(&self) -> Vec<String> {
        let built_in = self.to_partner_center.iter().map(|f| f.name().to_owned());
        built_in
            .chain(self.mapped_to_partner_center.iter().cloned())
            .collect()
    }

    /// Names of everything Salesforce gets: built-in and mapped fields.
    pub fn salesforce_changes(&self) -> Vec<String> {
        let built_in = self.to_salesforce.iter().map(|f| f.name().to_owned());
        built_in
            .chain(self.mapped_to_salesforce.iter().cloned())
            .collect()
    }

    /// True when neither side needs a write.
    pub fn is_noop(&self) -> bool {
        self.to_partner_center.is_empty()
            && self.to_salesforce.is_empty()
            && self.mapped_to_partner_center.is_empty()
            && self.mapped_to_salesforce.is_empty()
            && self.lifecycle.to_partner_center.is_none()
            && self.lifecycle.to_salesforce.is_none()
    }
}

/// Merges both sides against the snapshot.
pub fn merge(input: &MergeInput<'_>) -> MergeOutcome {
    let salesforce_lifecycle =
        if input.hold_salesforce && !input.partner_center.lifecycle.is_closed() {
            lifecycle::on_salesforce(input.base.lifecycle)
        } else {
            input.salesforce.lifecycle
        };
    let lifecycle = lifecycle::reconcile(
        input.base.lifecycle,
        input.partner_center.lifecycle,
        salesforce_lifecycle,
    );
    let on_hold = lifecycle.merged == crate::deal::Lifecycle::Pending || input.hold_salesforce;
    let mut outcome = MergeOutcome {
        merged: input.base.clone(),
        to_partner_center: Vec::new(),
        to_salesforce: Vec::new(),
        conflicts: Vec::new(),
        refusals: Vec::new(),
        held: Vec::new(),
        lifecycle,
        mapped_to_partner_center: Vec::new(),
        mapped_to_salesforce: Vec::new(),
    };
    outcome.merged.lifecycle = outcome.lifecycle.merged;
    for field in Field::ALL {
        merge_field(field, input, &mut outcome);
    }
    for mapping in input.mappings {
        merge_mapped(mapping, input, &mut outcome);
    }
    if on_hold {
        let fields = outcome.to_partner_center.clone();
        outcome.hold(input.base, &fields);
        let names = outcome.mapped_to_partner_center.clone();
        outcome.hold_mapped(input.base, &names);
    }
    outcome
}

impl MergeOutcome {
    /// Keeps `fields` from reaching Partner Center this pass: they are not
    /// pushed and the snapshot keeps its old value, so the edit still shows
    /// as a change next pass and flows once nothing holds it.
    pub fn hold(&mut self, base: &Deal, fields: &[Field]) {
        for field in fields {
            if let Some(at) = self.to_partner_center.iter().position(|f| f == field) {
                self.to_partner_center.remove(at);
                field.copy(base, &mut self.merged);
                if !self.held.contains(field) {
                    self.held.push(*field);
                }
            }
        }
    }

    /// [`Self::hold`] for `[[mapping]]` fields, by Salesforce field name.
    pub fn hold_mapped(&mut self, base: &Deal, names: &[String]) {
        for name in names {
            if let Some(at) = self.mapped_to_partner_center.iter().position(|n| n == name) {
                self.mapped_to_partner_center.remove(at);
                let old = base.mapped.get(name).cloned().unwrap_or(Value::Null);
                self.merged.mapped.insert(name.clone(), old);
            }
        }
    }
}

/// A `[[mapping]]` field: the same rules as a built-in field, with the
/// mapping's direction deciding which side may change it.
fn merge_mapped(mapping: &FieldMapping, input: &MergeInput<'_>, out: &mut MergeOutcome) {
    let name = &mapping.salesforce_field;
    let value = |deal: &Deal| deal.mapped.get(name).cloned().unwrap_or(Value::Null);
    let (base, pc, sf) = (
        value(input.base),
        value(input.partner_center),
        value(input.salesforce),
    );
    let winner = match (mapping.direction, pc != base, sf != base) {
        (MappingDirection::PartnerCenterToSalesforce, _, _) => Side::PartnerCenter,
        (MappingDirection::SalesforceToPartnerCenter, _, _) => Side::Salesforce,
        (MappingDirection::Both, _, _) if pc == sf => Side::PartnerCenter,
        (MappingDirection::Both, false, true) => Side::Salesforce,
        (MappingDirection::Both, true, true) => {
            let winner = latest(input);
            out.conflicts.push(Conflict {
                field: name.clone(),
                winner,
                partner_center: pc.clone(),
                salesforce: sf.clone(),
            });
            winner
        }
        (MappingDirection::Both, _, false) => Side::PartnerCenter,
    };
    let merged = if winner == Side::PartnerCenter {
        pc.clone()
    } else {
        sf.clone()
    };
    out.merged.mapped.insert(name.clone(), merged.clone());
    if merged != pc {
        out.mapped_to_partner_center.push(name.clone());
    }
    if merged != sf {
        out.mapped_to_salesforce.push(name.clone());
    }
}

fn merge_field(field: Field, input: &MergeInput<'_>, out: &mut MergeOutcome) {
    let base = field.get(input.base);
    let pc = field.get(input.partner_center);
    let sf = field.get(input.salesforce);
    if field == Field::Visibility {
        return merge_visibility(input, out);
    }
    if field == Field::Customer {
        return merge_customer(input, out);
    }
    let pc_changed = pc != base;
    let sf_changed = sf != base;
    let winner = match (field.flow(), pc_changed, sf_changed) {
        (Flow::FromPartnerCenter, _, _) => Side::PartnerCenter,
        (Flow::FromSalesforce, _, _) => Side::Salesforce,
        (Flow::Both, _, _) if pc == sf => Side::PartnerCenter,
        (Flow::Both, true, false) => Side::PartnerCenter,
        (Flow::Both, false, true) => Side::Salesforce,
        (Flow::Both, false, false) => Side::PartnerCenter,
        (Flow::Both, true, true) => {
            let winner = latest(input);
            out.conflicts.push(Conflict {
                field: field.name().to_owned(),
                winner,
                partner_center: pc.clone(),
                salesforce: sf.clone(),
            });
            winner
        }
    };
    let source = match winner {
        Side::PartnerCenter => input.partner_center,
        Side::Salesforce => input.salesforce,
    };
    field.copy(source, &mut out.merged);
    let merged = field.get(&out.merged);
    if merged != pc && field.flow() != Flow::FromPartnerCenter {
        out.to_partner_center.push(field);
    }
    if merged != sf && field.flow() != Flow::FromSalesforce {
        out.to_salesforce.push(field);
    }
}

/// The customer part by part (name, each address line, country): a name
/// changed on one side and a city on the other are both kept.
fn merge_customer(input: &MergeInput<'_>, out: &mut MergeOutcome) {
    let parts = |deal: &Deal| match Field::Customer.get(deal) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let (base, pc, sf) = (
        parts(input.base),
        parts(input.partner_center),
        parts(input.salesforce),
    );
    let mut merged = base.clone();
    for key in base.keys().chain(pc.keys()).chain(sf.keys()) {
        let value =
            |map: &serde_json::Map<String, Value>| map.get(key).cloned().unwrap_or(Value::Null);
        let (b, p, s) = (value(&base), value(&pc), value(&sf));
        let winner = match (p != b, s != b) {
            (true, true) if p != s => {
                let winner = latest(input);
                out.conflicts.push(Conflict {
                    field: format!("customer.{key}"),
                    winner,
                    partner_center: p.clone(),
                    salesforce: s.clone(),
                });
                winner
            }
            (_, true) => Side::Salesforce,
            _ => Side::PartnerCenter,
        };
        let chosen = if winner == Side::PartnerCenter { p } else { s };
        merged.insert(key.clone(), chosen);
    }
    if let Ok(customer) = serde_json::from_value(Value::Object(merged)) {
        out.merged.customer = customer;
    }
    let merged = Field::Customer.get(&out.merged);
    if merged != Value::Object(pc) {
        out.to_partner_center.push(Field::Customer);
    }
    if merged != Value::Object(sf) {
        out.to_salesforce.push(Field::Customer);
    }
}

/// Visibility only turns on; a side that turned it off is restored.
fn merge_visibility(input: &MergeInput<'_>, out: &mut MergeOutcome) {
    let base = input.base.visible_to_microsoft;
    let pc = input.partner_center.visible_to_microsoft;
    let sf = input.salesforce.visible_to_microsoft;
    let merged = base || pc || sf;
    out.merged.visible_to_microsoft = merged;
    for (side, value) in [(Side::PartnerCenter, pc), (Side::Salesforce, sf)] {
        if base && !value {
            out.refusals.push(Refusal {
                field: Field::Visibility,
                side,
                reason: "visibility to Microsoft sellers cannot be revoked once granted".into(),
            });
        }
    }
    if merged != pc {
        out.to_partner_center.push(Field::Visibility);
    }
    if merged != sf {
        out.to_salesforce.push(Field::Visibility);
    }
}

/// The side that changed most recently; Salesforce on a tie or when unknown.
///
/// Salesforce keeps its stamps to the whole second (the API shows `.000`;
/// "The system currently ignores the milliseconds",
/// https://salesforce.stackexchange.com/questions/234824) while Partner
/// Center's `updatedDateTime` has sub-second digits, so both are compared at
/// the second: two edits within one second are a tie, not a win for Partner
/// Center's finer clock.
fn latest(input: &MergeInput<'_>) -> Side {
    let second = |t: DateTime<Utc>| t.timestamp();
    match (input.partner_center_changed_at, input.salesforce_changed_at) {
        (Some(pc), Some(sf)) if second(pc) > second(sf) => Side::PartnerCenter,
        (Some(_), None) => Side::PartnerCenter,
        _ => Side::Salesforce,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal::{Lifecycle, Money};
    use chrono::TimeZone;

    #[test]
    fn changes_within_one_second_tie_and_salesforce_takes_the_tie() {
        let deal = Deal::default();
        let at = |ms| {
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::milliseconds(ms)
        };
        let input = |pc, sf| MergeInput {
            base: &deal,
            partner_center: &deal,
            salesforce: &deal,
            partner_center_changed_at: Some(at(pc)),
            salesforce_changed_at: Some(at(sf)),
            hold_salesforce: false,
            mappings: &[],
        };
        // Salesforce shows 00:00:00.000 for an edit at .900: Partner Center's
        // .500 is not later.
        assert_eq!(latest(&input(500, 0)), Side::Salesforce);
        assert_eq!(latest(&input(1_200, 900)), Side::PartnerCenter);
        assert_eq!(latest(&input(900, 1_000)), Side::Salesforce);
    }

    fn active(name: &str) -> Deal {
        Deal {
            name: name.into(),
            lifecycle: Lifecycle::Active,
            ..Deal::default()
        }
    }

    fn run(base: &Deal, pc: &Deal, sf: &Deal) -> MergeOutcome {
        merge(&MergeInput {
            base,
            partner_center: pc,
            salesforce: sf,
            partner_center_changed_at: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
            salesforce_changed_at: Some(Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap()),
            hold_salesforce: false,
            mappings: &[],
        })
    }

    #[test]
    fn a_change_on_one_side_flows_to_the_other() {
        let base = active("Deal");
        let mut sf = base.clone();
        sf.deal_value = Money::from_f64(5000.0);
        let out = run(&base, &base, &sf);
        assert_eq!(out.to_partner_center, vec![Field::DealValue]);
        assert!(out.to_salesforce.is_empty());
        assert_eq!(out.merged.deal_value, Money::from_f64(5000.0));
    }

    #[test]
    fn the_latest_change_wins_a_conflict_and_the_loser_is_recorded() {
        let base = active("Deal");
        let mut pc = base.clone();
        pc.notes = Some("from Microsoft".into());
        let mut sf = base.clone();
        sf.notes = Some("from the seller".into());
        let out = run(&base, &pc, &sf);
        assert_eq!(out.conflicts.len(), 1);
        assert_eq!(out.conflicts[0].winner, Side::Salesforce);
        assert_eq!(
            out.conflicts[0].partner_center,
            Value::from("from Microsoft")
        );
        assert_eq!(out.to_partner_center, vec![Field::Notes]);
        let again = run(&out.merged, &out.merged, &out.merged);
        assert!(again.is_noop(), "a second merge changes nothing");
    }

    #[test]
    fn revoking_visibility_is_refused_and_restored() {
        let mut base = active("Deal");
        base.visible_to_microsoft = true;
        let mut sf = base.clone();
        sf.visible_to_microsoft = false;
        let out = run(&base, &base, &sf);
        assert!(out.merged.visible_to_microsoft);
        assert_eq!(out.to_salesforce, vec![Field::Visibility]);
        assert_eq!(out.refusals[0].side, Side::Salesforce);
    }

    #[test]
    fn salesforce_edits_are_held_while_on_hold() {
        let base = Deal {
            name: "Deal".into(),
            ..Deal::default()
        };
        let mut sf = base.clone();
        sf.deal_value = Money::from_f64(1.0);
        let out = run(&base, &base, &sf);
        assert!(out.is_noop());
        assert_eq!(out.held, vec![Field::DealValue]);
        assert_eq!(
            out.merged.deal_value, None,
            "held edits stay out of the snapshot"
        );
    }

    #[test]
    fn one_way_fields_never_flow_back() {
        let base = active("Deal");
        let mut sf = base.clone();
        sf.microsoft_crm_id = Some("typed by hand".into());
        let out = run(&base, &base, &sf);
        assert_eq!(out.to_salesforce, vec![Field::MicrosoftCrmId]);
        assert!(out.to_partner_center.is_empty());
    }
}
