//! Opportunity ⇄ deal: what the connector reads from an opportunity and its
//! related records, how that becomes a [`Deal`], and which Salesforce fields
//! a deal writes. Field API names come from [`Settings`].

use chrono::{DateTime, NaiveDate, Utc};
use salesforce::Record;
use serde_json::{json, Map, Value};

use crate::deal::{
    strip_mark, Contact, Customer, Deal, Fy26Fields, HelpOption, Lifecycle, Money, MARK_FAILED,
    MARK_OK,
};
use crate::settings::Settings;
use crate::stages::StageMap;

/// Title of the note that carries the referral's notes.
pub const NOTE_TITLE: &str = "Partner Center notes";

/// An opportunity and the related records the deal is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityView {
    /// The opportunity's id.
    pub id: String,
    /// The opportunity's own fields as read.
    pub record: Record,
    /// The customer Account, when the opportunity has one.
    pub account: Option<AccountView>,
    /// The contact roles and their contacts.
    pub contact_roles: Vec<ContactRoleView>,
    /// The solutions related list.
    pub solutions: Vec<SolutionRow>,
    /// The connector's note, when there is one.
    pub note: Option<NoteRow>,
    /// The deal team, as contacts.
    pub team: Vec<Contact>,
    /// The ids of the team rows read (OpportunityTeamMember), kept in the
    /// snapshot so a deleted row can be traced to this opportunity.
    pub team_rows: Vec<String>,
    /// When the newest of the related records (Account, contacts, contact
    /// roles, solutions, note) last changed.
    pub related_changed_at: Option<DateTime<Utc>>,
}

/// The customer account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountView {
    /// The Account's id.
    pub id: String,
    /// The customer, as the Account has it.
    pub customer: Customer,
}

/// A contact role and its contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRoleView {
    /// The role's id.
    pub id: String,
    /// The contact's id.
    pub contact_id: String,
    /// The contact, as read.
    pub contact: Contact,
}

/// One row of the solutions related list.
#[derive(Debug, Clone, PartialEq)]
pub struct SolutionRow {
    /// The row's id.
    pub id: String,
    /// The solution's id.
    pub solution_id: String,
}

/// The connector's note on the opportunity.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    /// The note's id.
    pub id: String,
    /// The note's text.
    pub body: String,
}

/// Opportunity fields the connector reads.
pub fn opportunity_fields(settings: &Settings) -> Vec<String> {
    let f = &settings.fields;
    let mut fields: Vec<String> = [
        "Id",
        "Name",
        "StageName",
        "IsClosed",
        "IsWon",
        "CloseDate",
        "AccountId",
        "LastModifiedDate",
        "SystemModstamp",
    ]
    .map(String::from)
    .into();
    fields.extend([
        settings.deal_value_field.clone(),
        f.sync_flag.clone(),
        f.referral_id.clone(),
        f.referral_link.clone(),
        f.help.clone(),
        f.visibility.clone(),
        f.microsoft_crm_id.clone(),
        f.audit.clone(),
        f.partner_role.clone(),
        f.solution_area.clone(),
        f.solution_play.clone(),
        f.marketplace_intent.clone(),
    ]);
    if !settings.currency_field.is_empty() {
        fields.push(settings.currency_field.clone());
    }
    fields.extend(settings.mappings.iter().map(|m| m.salesforce_field.clone()));
    for account_field in account_fields(settings) {
        if account_field != "Id" {
            fields.push(format!("Account.{account_field}"));
        }
    }
    fields.push("Account.LastModifiedDate".into());
    let mut seen = std::collections::HashSet::new();
    fields.retain(|f| seen.insert(f.to_lowercase()));
    fields
}

/// Account fields the connector reads and writes.
pub fn account_fields(settings: &Settings) -> Vec<String> {
    let mut fields: Vec<String> = [
        "Id",
        "Name",
        "BillingStreet",
        "BillingCity",
        settings.state_field(),
        "BillingPostalCode",
    ]
    .map(String::from)
    .into();
    if !fields.contains(&settings.country_code_field) {
        fields.push(settings.country_code_field.clone());
    }
    fields
}

impl OpportunityView {
    /// The opportunity's name without the sync mark. With marks turned off
    /// a leading ✔ is the seller's own and stays.
    pub fn name(&self, settings: &Settings) -> &str {
        let raw = self.raw_name();
        if settings.show_checkmark {
            strip_mark(raw)
        } else {
            raw.trim()
        }
    }

    /// The opportunity's mark, if its name carries one.
    pub fn mark(&self) -> Option<bool> {
        let raw = self.raw_name().trim_start();
        if raw.starts_with(MARK_OK) {
            Some(true)
        } else if raw.starts_with(MARK_FAILED) || raw.starts_with('✘') {
            Some(false)
        } else {
            None
        }
    }

    /// Whether the visibility checkbox itself is ticked (a help option makes
    /// the deal visible even while it is not).
    pub fn visibility_ticked(&self, settings: &Settings) -> bool {
        self.record
            .bool(&settings.fields.visibility)
            .unwrap_or(false)
    }

    /// The raw name, mark included.
    pub fn raw_name(&self) -> &str {
        self.record.str("Name").unwrap_or_default()
    }

    /// The referral id the opportunity carries, if any.
    pub fn referral_id(&self, settings: &Settings) -> Option<String> {
        self.record
            .str(&settings.fields.referral_id)
            .filter(|s| !s.is_empty())
            .map(String::from)
    }

    /// Whether the seller asked for this opportunity to sync.
    pub fn sync_requested(&self, settings: &Settings) -> bool {
        self.record
            .bool(&settings.fields.sync_flag)
            .unwrap_or(false)
    }

    /// The Audit field's text.
    pub fn audit(&self, settings: &Settings) -> &str {
        self.record.str(&settings.fields.audit).unwrap_or_default()
    }

    /// The opportunity shows a problem cosell reported (its last audit
    /// line is a ✖, or, with marks on, its name carries one) and waits for
    /// a fix, which may be on a related record.
    pub fn reports_problem(&self, settings: &Settings) -> bool {
        let written = self.audit(settings).lines().next().unwrap_or_default();
        audit_message(written).starts_with(crate::deal::MARK_FAILED)
            || (settings.show_checkmark && self.mark() == Some(false))
    }

    /// When the opportunity last changed (for conflict resolution).
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        self.record.datetime("LastModifiedDate")
    }

    /// When the deal last changed in Salesforce: the opportunity or any
    /// related record it is made of ("latest change wins" counts them all).
    pub fn last_changed(&self) -> Option<DateTime<Utc>> {
        self.last_modified().max(self.related_changed_at)
    }

    /// The version marker kept in the pair.
    pub fn version(&self) -> Option<String> {
        self.record.str("SystemModstamp").map(String::from)
    }

    /// The stage's lifecycle meaning.
    pub fn lifecycle(&self, settings: &Settings) -> Lifecycle {
        let stage = self.record.str("StageName").unwrap_or_default();
        if stage == settings.on_hold_stage {
            Lifecycle::Pending
        } else if self.record.bool("IsClosed").unwrap_or(false) {
            if self.record.bool("IsWon").unwrap_or(false) {
                Lifecycle::Won
            } else {
                Lifecycle::Lost
            }
        } else {
            Lifecycle::Active
        }
    }

    /// The opportunity as a deal.
    pub fn to_deal(&self, settings: &Settings) -> Deal {
        let record = &self.record;
        let f = &settings.fields;
        let help = record.str(&f.help).and_then(HelpOption::from_label);
        Deal {
            name: self.name(settings).to_owned(),
            customer: self
                .account
                .as_ref()
                .map(|a| a.customer.clone())
                .unwrap_or_default(),
            contacts: self
                .contact_roles
                .iter()
                .map(|r| r.contact.clone())
                .collect(),
            deal_value: record
                .f64(&settings.deal_value_field)
                .and_then(Money::from_f64),
            currency: if settings.currency_field.is_empty() {
                // A single-currency org keeps every amount in its own currency.
                settings
                    .org_currency
                    .clone()
                    .filter(|_| record.f64(&settings.deal_value_field).is_some())
            } else {
                record.str(&settings.currency_field).map(str::to_uppercase)
            },
            close_date: record.date("CloseDate"),
            notes: self
                .note
                .as_ref()
                .map(|n| n.body.trim().to_owned())
                .filter(|n| !n.is_empty()),
            help,
            visible_to_microsoft: record.bool(&f.visibility).unwrap_or(false) || help.is_some(),
            solutions: self
                .solutions
                .iter()
                .map(|s| s.solution_id.clone())
                .collect(),
            lifecycle: self.lifecycle(settings),
            microsoft_crm_id: record
                .str(&f.microsoft_crm_id)
                .filter(|s| !s.is_empty())
                .map(String::from),
            team: self.team.clone(),
            fy26: Fy26Fields {
                partner_role: trimmed(record, &f.partner_role),
                solution_area: trimmed(record, &f.solution_area),
                solution_play: trimmed(record, &f.solution_play),
                marketplace_intent: trimmed(record, &f.marketplace_intent),
            },
            mapped: settings
                .mappings
                .iter()
                .map(|m| {
                    (
                        m.salesforce_field.clone(),
                        record
                            .get(&m.salesforce_field)
                            .cloned()
                            .unwrap_or(Value::Null),
                    )
                })
                .collect(),
        }
    }
}

/// Reads an account record as the customer.
pub fn account_view(record: &Record, settings: &Settings) -> Option<AccountView> {
    Some(AccountView {
        id: record.id().or_else(|| record.str("Id"))?.to_owned(),
        customer: customer_from(record, settings),
    })
}

/// The customer from an Account record (or an `Account` relationship).
pub fn customer_from(record: &Record, settings: &Settings) -> Customer {
    let text = |field: &str| trimmed(record, field);
    Customer {
        name: text("Name").unwrap_or_default(),
        street: text("BillingStreet"),
        city: text("BillingCity"),
        state: text(settings.state_field()),
        postal_code: text("BillingPostalCode"),
        country: text(&settings.country_code_field).map(|c| c.to_uppercase()),
    }
}

/// A text field's trimmed value; empty text counts as none.
fn trimmed(record: &Record, field: &str) -> Option<String> {
    record
        .str(field)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Account fields for a customer, left out where they do not fit.
pub fn account_body(customer: &Customer, settings: &Settings) -> Map<String, Value> {
    let (customer, _) = crate::salesforce_fit::customer(customer, settings);
    let mut body = Map::new();
    body.insert("Name".into(), json!(customer.name));
    body.insert("BillingStreet".into(), json!(customer.street));
    body.insert("BillingCity".into(), json!(customer.city));
    body.insert(settings.state_field().into(), json!(customer.state));
    body.insert("BillingPostalCode".into(), json!(customer.postal_code));
    body.insert(settings.country_code_field.clone(), json!(customer.country));
    body
}

/// Contact fields for a person, left out where they do not fit.
pub fn contact_body(contact: &Contact, account_id: Option<&str>) -> Map<String, Value> {
    let (contact, _) = crate::salesforce_fit::contact(contact);
    let mut body = Map::new();
    body.insert("FirstName".into(), json!(contact.first_name));
    body.insert("LastName".into(), json!(contact.last_name));
    body.insert("Email".into(), json!(contact.email));
    body.insert("Phone".into(), json!(contact.phone));
    body.insert("Title".into(), json!(contact.title));
    if let Some(account_id) = account_id {
        body.insert("AccountId".into(), json!(account_id));
    }
    body
}

/// Reads a contact record.
pub fn contact_from(record: &Record) -> Contact {
    let text = |field: &str| trimmed(record, field);
    Contact {
        first_name: text("FirstName"),
        last_name: text("LastName").unwrap_or_default(),
        email: text("Email"),
        phone: text("Phone"),
        title: text("Title"),
    }
}

/// Opportunity field values for the deal's scalar fields.
pub fn opportunity_values(deal: &Deal, settings: &Settings) -> Map<String, Value> {
    let f = &settings.fields;
    let mut body = Map::new();
    let (deal_value, _) = crate::salesforce_fit::deal_value(deal, settings);
    body.insert(
        settings.deal_value_field.clone(),
        json!(deal_value.map(Money::as_f64)),
    );
    if !settings.currency_field.is_empty() {
        if let Some(currency) = &deal.currency {
            body.insert(settings.currency_field.clone(), json!(currency));
        }
    }
    body.insert(
        "CloseDate".into(),
        json!(deal.close_date.map(|d| d.to_string())),
    );
    body.insert(f.help.clone(), json!(deal.help.map(HelpOption::label)));
    body.insert(f.visibility.clone(), json!(deal.visible_to_microsoft));
    body.insert(f.microsoft_crm_id.clone(), json!(deal.microsoft_crm_id));
    body
}

/// The stage an opportunity should be in for a lifecycle; `current` keeps a
/// later open stage when the deal is merely active.
pub fn stage_for(
    lifecycle: Lifecycle,
    current: Option<&str>,
    settings: &Settings,
    stages: &StageMap,
) -> String {
    match lifecycle {
        Lifecycle::Pending => settings.on_hold_stage.clone(),
        Lifecycle::Active => match current {
            Some(stage) if stage != settings.on_hold_stage && stages.is_open(stage) => {
                stage.to_owned()
            }
            _ => settings.active_stage.clone(),
        },
        Lifecycle::Won => stages.won().to_owned(),
        Lifecycle::Lost | Lifecycle::Declined | Lifecycle::Expired => stages.lost().to_owned(),
    }
}

/// A close date Salesforce accepts when the referral has none (it is required).
pub fn default_close_date() -> NaiveDate {
    (Utc::now() + chrono::Duration::days(90)).date_naive()
}

/// Characters `Opportunity.Name` holds.
pub const NAME_MAX: usize = 120;

/// The name as the opportunity can hold it: cut so that it and its mark fit
/// `Opportunity.Name`.
pub fn fitted_name(name: &str, settings: &Settings) -> String {
    let room = if settings.show_checkmark {
        NAME_MAX - 2
    } else {
        NAME_MAX
    };
    name.chars()
        .take(room)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// The name with the mark for the last sync result, fitted to the field.
pub fn marked_name(name: &str, ok: bool, settings: &Settings) -> String {
    let name = fitted_name(name, settings);
    if !settings.show_checkmark {
        return name;
    }
    let mark = if ok { MARK_OK } else { MARK_FAILED };
    format!("{mark} {name}")
}

/// Characters one audit line may take: a line names a problem, it never
/// carries a whole field value, so the history always fits beside it.
pub const AUDIT_LINE_MAX: usize = 400;

/// Newest-first audit text with `line` added, capped so it fits the field.
pub fn append_audit(existing: &str, line: &str) -> String {
    const MAX_LINES: usize = 50;
    const MAX_CHARS: usize = 32_000;
    let line = shorten(line, AUDIT_LINE_MAX);
    let mut lines: Vec<&str> = vec![&line];
    lines.extend(
        existing
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(MAX_LINES - 1),
    );
    let mut text = lines.join("\n");
    if text.len() > MAX_CHARS {
        let mut cut = MAX_CHARS;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// `text` cut to `max` characters, an ellipsis showing the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The audit line without its timestamp, to tell whether it was already written.
pub fn audit_message(line: &str) -> &str {
    line.split_once(" | ").map(|(_, rest)| rest).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::default()
    }

    fn view(fields: Value) -> OpportunityView {
        OpportunityView {
            id: "006000000000001AAA".into(),
            record: Record::from_value(fields).unwrap(),
            account: None,
            contact_roles: vec![],
            solutions: vec![SolutionRow {
                id: "a0X1".into(),
                solution_id: "SOL-1".into(),
            }],
            note: Some(NoteRow {
                id: "0021".into(),
                body: " Needs a POC ".into(),
            }),
            team: vec![],
            team_rows: vec![],
            related_changed_at: None,
        }
    }

    #[test]
    fn an_opportunity_reads_as_a_deal_with_settings_driven_fields() {
        let v = view(json!({
            "Name": "✔ Contoso", "StageName": "Prospecting", "IsClosed": false, "IsWon": false,
            "Amount": 1200.5, "CurrencyIsoCode": "eur", "CloseDate": "2027-01-31",
            "How_can_Microsoft_help__c": "Proof of concept or demo",
            "Microsoft_Referral_Visibility__c": false
        }));
        let deal = v.to_deal(&settings());
        assert_eq!(deal.name, "Contoso");
        assert_eq!(deal.deal_value, Money::from_f64(1200.5));
        assert_eq!(deal.currency.as_deref(), Some("EUR"));
        assert_eq!(deal.help, Some(HelpOption::ProofOfConceptOrDemo));
        assert!(
            deal.visible_to_microsoft,
            "choosing a help option makes the deal visible"
        );
        assert_eq!(deal.notes.as_deref(), Some("Needs a POC"));
        assert_eq!(deal.lifecycle, Lifecycle::Active);
    }

    #[test]
    fn custom_deal_value_and_currency_fields_are_honoured() {
        let mut s = settings();
        s.deal_value_field = "Deal_Value__c".into();
        s.currency_field = "Deal_Currency__c".into();
        let v = view(
            json!({ "Name": "X", "StageName": "On Hold", "Amount": 1, "Deal_Value__c": 99,
            "Deal_Currency__c": "GBP", "CurrencyIsoCode": "USD" }),
        );
        let deal = v.to_deal(&s);
        assert_eq!(deal.deal_value, Money::from_f64(99.0));
        assert_eq!(deal.currency.as_deref(), Some("GBP"));
        assert_eq!(deal.lifecycle, Lifecycle::Pending);
    }

    #[test]
    fn marks_follow_the_setting() {
        let mut s = settings();
        assert_eq!(marked_name("Deal", true, &s), "✔ Deal");
        assert_eq!(marked_name("Deal", false, &s), "✖ Deal");
        s.show_checkmark = false;
        assert_eq!(marked_name("Deal", false, &s), "Deal");
    }

    #[test]
    fn audit_keeps_newest_first_and_is_capped() {
        let text = append_audit("old", "2026 | new");
        assert_eq!(text, "2026 | new\nold");
        let long = "x".repeat(40_000);
        assert!(append_audit(&long, "line").len() <= 32_000);
        assert_eq!(audit_message("2026-01-01T00:00Z | ✔ Synced"), "✔ Synced");
    }
}
