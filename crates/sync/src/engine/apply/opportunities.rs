//! Salesforce writes of a batch, in dependency order, one Collections call
//! per step, and the failure marks written after Partner Center refused.

use std::collections::{BTreeMap, BTreeSet};

use salesforce::types::SaveResult;
use salesforce::Record;
use serde_json::{json, Value};
use store::{AuditEntry, AuditLevel};

use super::{record, stamp, truncate, Work};
use crate::deal::strip_mark;
use crate::deal::{Contact, Deal};
use crate::decide::{existing_record, AuditLine};
use crate::engine::outcome::{Failure, Write};
use crate::engine::plan::Decision;
use crate::engine::salesforce_io::Directory;
use crate::engine::Engine;
use crate::merge::Field;
use crate::opportunity_map::{
    account_body, append_audit, audit_message, contact_body, default_close_date, marked_name,
    stage_for, OpportunityView, NOTE_TITLE,
};
use crate::settings::MappingDirection;
use crate::stages::StageMap;

impl Engine {
    /// All Salesforce writes of the batch, in dependency order.
    pub(super) async fn write_salesforce(
        &self,
        work: &mut [Work],
        stages: &StageMap,
        directory: &Directory,
    ) {
        let settings = &self.settings;
        // 1. accounts to create, one per customer however many deals of the
        // batch name it; the others get its id.
        let mut accounts = Vec::new();
        let mut sharing: BTreeMap<(String, Option<String>), Vec<usize>> = BTreeMap::new();
        for (i, w) in work.iter_mut().enumerate() {
            if !w.alive() {
                continue;
            }
            let deal = match &w.plan.decision {
                Decision::CreateOpportunity { deal } => deal,
                Decision::Update(u)
                    if w.account_id.is_none()
                        && u.outcome.to_salesforce.contains(&Field::Customer) =>
                {
                    &u.outcome.merged
                }
                _ => continue,
            };
            match directory.account(&deal.customer.name, deal.customer.country.as_deref()) {
                Some(id) => w.account_id = Some(id.to_owned()),
                None if deal.customer.name.is_empty() => {}
                None => {
                    let customer = &deal.customer;
                    let key = (
                        customer.name.to_lowercase(),
                        customer.country.as_ref().map(|c| c.to_uppercase()),
                    );
                    let group = sharing.entry(key).or_default();
                    if group.is_empty() {
                        accounts.push((i, record("Account", account_body(customer, settings))));
                    }
                    group.push(i);
                }
            }
        }
        let created = self
            .create_or_link(work, accounts, |i| *i, "creating the customer account")
            .await;
        for (i, id) in created {
            work[i].account_id = Some(id);
        }
        for group in sharing.values() {
            let (first, rest) = group.split_first().expect("groups are never empty");
            let (id, failure) = (
                work[*first].account_id.clone(),
                work[*first].failure.clone(),
            );
            for &i in rest {
                match (&id, &failure) {
                    (Some(id), _) => work[i].account_id = Some(id.clone()),
                    (None, Some(failure)) => work[i].fail(failure.clone()),
                    (None, None) => {}
                }
            }
        }

        // 2. contacts to create (for new contact roles), one per email in
        // the batch; the deals sharing an email get its id.
        let mut contacts = Vec::new();
        let mut by_email: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for (i, w) in work.iter_mut().enumerate() {
            if !w.alive() {
                continue;
            }
            let wanted = new_contacts(w);
            for contact in wanted {
                let email = contact.email.as_ref().map(|e| e.to_lowercase());
                let known = email
                    .as_ref()
                    .and_then(|e| directory.contacts.get(e))
                    .cloned();
                let slot = w.contacts.len();
                let shared = match (&known, &email) {
                    (None, Some(email)) => {
                        let group = by_email.entry(email.clone()).or_default();
                        group.push((i, slot));
                        group.len() > 1
                    }
                    _ => false,
                };
                if known.is_none() && !shared {
                    let body = contact_body(&contact, w.account_id.as_deref());
                    contacts.push(((i, slot), record("Contact", body)));
                }
                w.contacts.push((contact, known));
            }
        }
        let created = self
            .create_or_link(work, contacts, |(i, _)| *i, "creating a customer contact")
            .await;
        for ((i, slot), id) in created {
            work[i].contacts[slot].1 = Some(id);
        }
        for group in by_email.values() {
            let ((first, first_slot), rest) = group.split_first().expect("never empty");
            let id = work[*first].contacts[*first_slot].1.clone();
            for &(i, slot) in rest {
                match &id {
                    Some(id) => work[i].contacts[slot].1 = Some(id.clone()),
                    None => work[i].fail(Failure::permanent(
                        "creating a customer contact: the contact shared with another deal failed",
                    )),
                }
            }
        }

        // Any write of the deal's in Salesforce, related rows included.
        let updated = |w: &mut Work| {
            if w.salesforce == Write::None {
                w.salesforce = Write::Updated;
            }
        };

        // 3. opportunities: upserts for new ones, updates for the rest
        let mut upserts = Vec::new();
        let mut updates = Vec::new();
        for (i, w) in work.iter_mut().enumerate() {
            match w.plan.decision.clone() {
                Decision::CreateOpportunity { deal } if w.alive() => {
                    upserts.push((i, self.new_opportunity(w, &deal, stages)));
                }
                _ => {
                    if let Some(update) = self.opportunity_update(w, stages) {
                        updates.push((i, update));
                    }
                    for extra in self.related_updates(w) {
                        updates.push((i, extra));
                    }
                }
            }
        }
        let (indexes, records): (Vec<usize>, Vec<Record>) = upserts.into_iter().unzip();
        let results = self
            .sf
            .upsert_many("Opportunity", &settings.fields.referral_id, &records, false)
            .await;
        for (i, result) in zip_results(indexes, records.len(), results) {
            let w = &mut work[i];
            match result {
                Ok(id) => {
                    w.opportunity_id = Some(id);
                    w.salesforce = Write::Created;
                }
                Err(failure) => w.fail(failure.context("creating the opportunity")),
            }
        }
        self.save_batch(work, updates, "updating Salesforce", |w, _| updated(w))
            .await;

        // 4. related rows to create, then to delete
        let mut creates = Vec::new();
        let mut deletes = Vec::new();
        for (i, w) in work.iter().enumerate() {
            if !w.alive() {
                continue;
            }
            let (create, delete) = self.related_changes(w);
            creates.extend(create.into_iter().map(|r| (i, r)));
            deletes.extend(delete.into_iter().map(|id| (i, id)));
        }
        self.save_batch(work, creates, "adding related records", |w, _| updated(w))
            .await;
        let (indexes, ids): (Vec<usize>, Vec<String>) = deletes.into_iter().unzip();
        let results = self.sf.delete_many(&ids, false).await;
        for (i, result) in zip_results(indexes, ids.len(), results) {
            match result {
                Ok(_) => updated(&mut work[i]),
                Err(failure) => work[i].fail(failure.context("removing related records")),
            }
        }
    }

    /// Creates or updates `records` in one Collections call per 200, routing
    /// each result to its pair.
    pub(super) async fn save_batch(
        &self,
        work: &mut [Work],
        records: Vec<(usize, Record)>,
        doing: &str,
        on_success: impl Fn(&mut Work, String),
    ) {
        let (creates, updates): (Vec<_>, Vec<_>) =
            records.into_iter().partition(|(_, r)| r.id().is_none());
        for (batch, create) in [(creates, true), (updates, false)] {
            let (indexes, records): (Vec<usize>, Vec<Record>) = batch.into_iter().unzip();
            let results = if create {
                self.sf.create_many(&records, false).await
            } else {
                self.sf.update_many(&records, false).await
            };
            for (i, result) in zip_results(indexes, records.len(), results) {
                match result {
                    Ok(id) => on_success(&mut work[i], id),
                    Err(failure) => work[i].fail(failure.context(doing)),
                }
            }
        }
    }

    /// Creates customer records in one Collections call per 200 and returns
    /// their ids by key. A record the org's duplicate rules refuse links the
    /// existing one they match instead ([`existing_record`] decides which),
    /// audited with the rules; other refusals fail the key's pair
    /// (`owner` gives its index).
    async fn create_or_link<K>(
        &self,
        work: &mut [Work],
        records: Vec<(K, Record)>,
        owner: impl Fn(&K) -> usize,
        doing: &str,
    ) -> Vec<(K, String)> {
        let (keys, records): (Vec<K>, Vec<Record>) = records.into_iter().unzip();
        let results = self.sf.create_many(&records, false).await;
        let mut ids = Vec::new();
        for (key, result) in zip_saves(keys, records.len(), results) {
            let w = &mut work[owner(&key)];
            match result.map(|saved| (saved_id(&saved), saved)) {
                Ok((Ok(id), _)) => ids.push((key, id)),
                Ok((Err(failure), saved)) => match existing_record(&saved.errors) {
                    Some(existing) => {
                        w.audit.push(AuditEntry::new(
                            None,
                            AuditLevel::Info,
                            "duplicate_linked",
                            existing.describe(),
                            existing.detail(),
                        ));
                        ids.push((key, existing.id));
                    }
                    None => w.fail(failure.context(doing)),
                },
                Err(failure) => w.fail(failure.context(doing)),
            }
        }
        ids
    }

    pub(super) fn new_opportunity(&self, w: &mut Work, deal: &Deal, stages: &StageMap) -> Record {
        let settings = &self.settings;
        let f = &settings.fields;
        let referral_id = w
            .referral
            .as_ref()
            .and_then(|r| r.id.clone())
            .unwrap_or_default();
        let mut body = crate::opportunity_map::opportunity_values(deal, settings);
        if let Some(name) = &w.plan.name {
            body.insert("Name".into(), json!(name));
        }
        body.insert(
            "StageName".into(),
            json!(stage_for(deal.lifecycle, None, settings, stages)),
        );
        let mut snapshot = w.plan.snapshot.clone();
        let close_date = match deal.close_date {
            Some(date) => date,
            None => {
                let made_up = default_close_date();
                if let Some(snapshot) = snapshot.as_mut() {
                    snapshot.invented_close_date = Some(made_up);
                }
                made_up
            }
        };
        body.insert("CloseDate".into(), json!(close_date.to_string()));
        body.insert(f.sync_flag.clone(), json!(true));
        body.insert(f.referral_id.clone(), json!(referral_id));
        body.insert(
            f.referral_link.clone(),
            json!(settings.referral_link(&referral_id)),
        );
        if let Some(line) = &w.audit_line {
            body.insert(f.audit.clone(), json!(stamp(&line.render(&referral_id))));
        }
        for mapping in &settings.mappings {
            let value = deal
                .mapped
                .get(&mapping.salesforce_field)
                .filter(|v| !v.is_null());
            if let (Some(value), true) = (
                value,
                mapping.direction != MappingDirection::SalesforceToPartnerCenter,
            ) {
                body.insert(mapping.salesforce_field.clone(), value.clone());
            }
        }
        if let Some(account_id) = &w.account_id {
            body.insert("AccountId".into(), json!(account_id));
        }
        if let Some(record_type) = stages.record_type_id() {
            body.insert("RecordTypeId".into(), json!(record_type));
        }
        w.snapshot = snapshot;
        w.audit.push(AuditEntry::new(
            None,
            AuditLevel::Info,
            "opportunity_created",
            format!("Created the opportunity from referral {referral_id}"),
            json!({ "referral_id": referral_id }),
        ));
        record("Opportunity", body)
    }

    /// The opportunity's own field changes, bookkeeping included.
    pub(super) fn opportunity_update(&self, w: &mut Work, stages: &StageMap) -> Option<Record> {
        let settings = &self.settings;
        let f = &settings.fields;
        let view = w.view()?.clone();
        let mut body = serde_json::Map::new();
        let planned = w.alive() || matches!(w.plan.decision, Decision::Invalid { .. });
        if let (Decision::Update(update), true) = (&w.plan.decision, w.alive()) {
            let o = &update.outcome;
            let values = crate::opportunity_map::opportunity_values(&o.merged, settings);
            for field in &o.to_salesforce {
                for name in salesforce_fields(*field, settings) {
                    if let Some(value) = values.get(&name) {
                        body.insert(name, value.clone());
                    }
                }
            }
            if let Some(next) = o.lifecycle.to_salesforce {
                let stage = stage_for(next, view.record.str("StageName"), settings, stages);
                body.insert("StageName".into(), json!(stage));
            }
            for name in &o.mapped_to_salesforce {
                body.insert(
                    name.clone(),
                    o.merged.mapped.get(name).cloned().unwrap_or(Value::Null),
                );
            }
            if o.to_salesforce.contains(&Field::Customer) && view.account.is_none() {
                if let Some(account_id) = &w.account_id {
                    body.insert("AccountId".into(), json!(account_id));
                }
            }
            if view.referral_id(settings).is_none() {
                if let Some(id) = w.referral.as_ref().and_then(|r| r.id.clone()) {
                    body.insert(f.referral_id.clone(), json!(id));
                    body.insert(f.referral_link.clone(), json!(settings.referral_link(&id)));
                }
            }
        }
        if let (Decision::CreateReferral { .. }, Some(referral)) = (&w.plan.decision, &w.referral) {
            let id = referral.id.clone().unwrap_or_default();
            body.insert(f.referral_id.clone(), json!(id));
            body.insert(f.referral_link.clone(), json!(settings.referral_link(&id)));
        }
        if w.plan.tick_visibility && w.alive() {
            body.insert(f.visibility.clone(), json!(true));
        }
        let referral_id = w
            .referral
            .as_ref()
            .and_then(|r| r.id.clone())
            .unwrap_or_default();
        let answered = w.audit_line.is_some() && w.audit_line != w.plan.audit;
        if let Some(line) = &w.audit_line {
            let text = line.render(&referral_id);
            let written = view.audit(settings).lines().next().unwrap_or_default();
            if audit_message(written) != text {
                body.insert(
                    f.audit.clone(),
                    json!(append_audit(view.audit(settings), &stamp(&text))),
                );
            }
        }
        let name = match &w.audit_line {
            // A call's answer decides the mark; the plan decided the name.
            Some(line) if answered => {
                let base = match &w.plan.name {
                    Some(name) if settings.show_checkmark => strip_mark(name).to_owned(),
                    Some(name) => name.clone(),
                    None => view.name(settings).to_owned(),
                };
                Some(marked_name(&base, line.ok(), settings))
            }
            _ if planned => w.plan.name.clone(),
            _ => None,
        };
        if let Some(name) = name.filter(|n| n != view.raw_name()) {
            body.insert("Name".into(), json!(name));
        }
        if body.is_empty() {
            return None;
        }
        body.insert("Id".into(), json!(view.id));
        Some(record("Opportunity", body))
    }

    /// Account and contact detail changes that flow to Salesforce.
    pub(super) fn related_updates(&self, w: &Work) -> Vec<Record> {
        let mut out = Vec::new();
        let (Decision::Update(update), Some(view)) = (&w.plan.decision, w.view()) else {
            return out;
        };
        if !w.alive() {
            return out;
        }
        let merged = &update.outcome.merged;
        if update.outcome.to_salesforce.contains(&Field::Customer) {
            if let Some(account) = &view.account {
                let mut body = account_body(&merged.customer, &self.settings);
                body.insert("Id".into(), json!(account.id));
                out.push(record("Account", body));
            }
        }
        if update.outcome.to_salesforce.contains(&Field::Contacts) {
            for role in &view.contact_roles {
                let wanted = merged
                    .contacts
                    .iter()
                    .find(|c| held_as(c).identity() == role.contact.identity());
                if let Some(contact) = wanted.filter(|c| held_as(c) != role.contact) {
                    let mut body = contact_body(contact, None);
                    body.insert("Id".into(), json!(role.contact_id));
                    out.push(record("Contact", body));
                }
            }
        }
        if update.outcome.to_salesforce.contains(&Field::Notes) {
            if let Some(note) = &view.note {
                let body =
                    json!({ "Id": note.id, "Body": merged.notes.clone().unwrap_or_default() });
                out.push(record(
                    "Note",
                    body.as_object().cloned().unwrap_or_default(),
                ));
            }
        }
        out
    }

    /// Related rows to create (contact roles, solutions, the note) and to delete.
    pub(super) fn related_changes(&self, w: &Work) -> (Vec<Record>, Vec<String>) {
        let f = &self.settings.fields;
        let mut creates = Vec::new();
        let mut deletes = Vec::new();
        let Some(opportunity_id) = w.opportunity_id.clone() else {
            return (creates, deletes);
        };
        let (deal, fields, view): (&Deal, Vec<Field>, Option<&OpportunityView>) = match &w
            .plan
            .decision
        {
            Decision::CreateOpportunity { deal } => (
                deal,
                vec![Field::Contacts, Field::Solutions, Field::Notes],
                None,
            ),
            Decision::Update(u) => (&u.outcome.merged, u.outcome.to_salesforce.clone(), w.view()),
            _ => return (creates, deletes),
        };
        if fields.contains(&Field::Contacts) {
            for (i, (_, contact_id)) in w.contacts.iter().enumerate() {
                if let Some(contact_id) = contact_id {
                    creates.push(record(
                        "OpportunityContactRole",
                        json!({ "OpportunityId": opportunity_id, "ContactId": contact_id,
                                "IsPrimary": i == 0 && view.is_none_or(|v| v.contact_roles.is_empty()) })
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                    ));
                }
            }
            if let Some(view) = view {
                let wanted: BTreeSet<String> = deal
                    .contacts
                    .iter()
                    .map(|c| held_as(c).identity())
                    .collect();
                deletes.extend(
                    view.contact_roles
                        .iter()
                        .filter(|r| !wanted.contains(&r.contact.identity()))
                        .map(|r| r.id.clone()),
                );
            }
        }
        if fields.contains(&Field::Solutions) {
            let existing: BTreeMap<&str, &str> = view
                .map(|v| {
                    v.solutions
                        .iter()
                        .map(|s| (s.solution_id.as_str(), s.id.as_str()))
                        .collect()
                })
                .unwrap_or_default();
            for solution in deal
                .solutions
                .iter()
                .filter(|s| !existing.contains_key(s.as_str()))
            {
                let mut body = serde_json::Map::new();
                body.insert("Name".into(), json!(truncate(solution, 80)));
                body.insert(f.solution_opportunity_field.clone(), json!(opportunity_id));
                body.insert(f.solution_id_field.clone(), json!(solution));
                creates.push(record(&f.solution_object, body));
            }
            if let Some(view) = view {
                let mut seen = BTreeSet::new();
                for row in &view.solutions {
                    if !deal.solutions.contains(&row.solution_id)
                        || !seen.insert(row.solution_id.as_str())
                    {
                        deletes.push(row.id.clone());
                    }
                }
            }
        }
        let has_note = view.is_some_and(|v| v.note.is_some());
        if fields.contains(&Field::Notes) && !has_note {
            if let Some(notes) = &deal.notes {
                creates.push(record(
                    "Note",
                    json!({ "ParentId": opportunity_id, "Title": NOTE_TITLE, "Body": truncate(notes, 32_000) })
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ));
            }
        }
        (creates, deletes)
    }

    /// Writes ✖ and the error to opportunities whose Partner Center write
    /// failed for good after their Salesforce writes were sent.
    pub(super) async fn mark_failures(&self, work: &mut [Work]) {
        let mut updates = Vec::new();
        for (i, w) in work.iter().enumerate() {
            let Some(failure) = &w.failure else { continue };
            if !failure.permanent
                || matches!(
                    w.plan.decision,
                    Decision::Invalid { .. } | Decision::Missing(_) | Decision::Waiting(_)
                )
            {
                continue;
            }
            let Some(view) = w.view() else { continue };
            let line = AuditLine::Failed(failure.message.clone()).render("");
            if audit_message(
                view.audit(&self.settings)
                    .lines()
                    .next()
                    .unwrap_or_default(),
            ) == line
            {
                continue;
            }
            let mut body = serde_json::Map::new();
            body.insert("Id".into(), json!(view.id));
            body.insert(
                self.settings.fields.audit.clone(),
                json!(append_audit(view.audit(&self.settings), &stamp(&line))),
            );
            let marked = marked_name(view.name(&self.settings), false, &self.settings);
            if marked != view.raw_name() {
                body.insert("Name".into(), json!(marked));
            }
            updates.push(record("Opportunity", body));
            let _ = i;
        }
        if !updates.is_empty() {
            if let Err(e) = self.sf.update_many(&updates, false).await {
                tracing::warn!(error = %e, "could not write failure marks to Salesforce");
            }
        }
    }
}

/// The Salesforce fields a deal field is written to (the name comes with
/// its mark from the plan).
fn salesforce_fields(field: Field, settings: &crate::Settings) -> Vec<String> {
    let f = &settings.fields;
    match field {
        Field::DealValue => vec![settings.deal_value_field.clone()],
        Field::Currency => vec![settings.currency_field.clone()],
        Field::CloseDate => vec!["CloseDate".into()],
        Field::Help => vec![f.help.clone()],
        Field::Visibility => vec![f.visibility.clone()],
        Field::MicrosoftCrmId => vec![f.microsoft_crm_id.clone()],
        _ => Vec::new(),
    }
}

/// A contact as its Salesforce record holds it.
fn held_as(contact: &Contact) -> Contact {
    crate::salesforce_fit::contact(contact).0
}

/// Contacts of the merged deal that have no contact role yet.
fn new_contacts(w: &Work) -> Vec<Contact> {
    let (deal, existing): (&Deal, BTreeSet<String>) = match &w.plan.decision {
        Decision::CreateOpportunity { deal } => (deal, BTreeSet::new()),
        Decision::Update(u) if u.outcome.to_salesforce.contains(&Field::Contacts) => (
            &u.outcome.merged,
            w.view()
                .map(|v| {
                    v.contact_roles
                        .iter()
                        .map(|r| r.contact.identity())
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => return Vec::new(),
    };
    let mut seen = existing;
    deal.contacts
        .iter()
        .filter(|c| !c.last_name.is_empty() && seen.insert(held_as(c).identity()))
        .cloned()
        .collect()
}

/// Pairs each sent record's owner with its result, turning a failed call into
/// a failure of every record it carried.
fn zip_results<K: Clone>(
    keys: Vec<K>,
    sent: usize,
    results: Result<Vec<SaveResult>, salesforce::Error>,
) -> Vec<(K, Result<String, Failure>)> {
    zip_saves(keys, sent, results)
        .into_iter()
        .map(|(k, r)| (k, r.and_then(|saved| saved_id(&saved))))
        .collect()
}

/// Pairs each sent record's owner with its save result as Salesforce
/// answered it; a failed call is a failure of every record it carried.
fn zip_saves<K>(
    keys: Vec<K>,
    sent: usize,
    results: Result<Vec<SaveResult>, salesforce::Error>,
) -> Vec<(K, Result<SaveResult, Failure>)> {
    if sent == 0 {
        return Vec::new();
    }
    match results {
        Ok(results) => keys.into_iter().zip(results.into_iter().map(Ok)).collect(),
        Err(e) => {
            let failure = Failure::from_salesforce(&e);
            keys.into_iter()
                .map(|k| (k, Err(failure.clone())))
                .collect()
        }
    }
}

/// The saved record's id, or why it was not saved.
fn saved_id(saved: &SaveResult) -> Result<String, Failure> {
    if saved.success {
        Ok(saved.id.clone().unwrap_or_default())
    } else {
        Err(Failure::from_record_errors(&saved.errors))
    }
}
