//! Carrying out a batch of decisions: Partner Center creates first (their ids
//! go into Salesforce), then Salesforce writes in dependency order, each step
//! one Collections call for the whole batch, then Partner Center patches,
//! then the pairs and audit in the store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use futures::stream::{self, StreamExt};
use partner_center::odata::{Filter, ReferralQuery};
use partner_center::wire::{PatchOperation, Referral};
use partner_center::PatchOptions;
use salesforce::types::SaveResult;
use salesforce::Record;
use serde_json::{json, Value};
use store::{AuditEntry, AuditLevel, Pair, PairState};

use super::outcome::{Failure, Outcome, Write};
use super::plan::{Candidate, Decision};
use super::salesforce_io::Directory;
use super::Engine;
use crate::deal::{Contact, Deal, Lifecycle};
use crate::merge::{field_names, Field};
use crate::opportunity_map::{
    account_body, append_audit, audit_message, contact_body, default_close_date, marked_name,
    stage_for, OpportunityView, NOTE_TITLE,
};
use crate::referral_map;
use crate::settings::MappingDirection;
use crate::stages::StageMap;
use crate::validate;

/// Partner Center calls in flight at once.
const PC_CONCURRENCY: usize = 4;

/// One pair's progress through the phases.
pub(super) struct Work {
    pub candidate: Candidate,
    pub decision: Decision,
    pub referral: Option<Referral>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    pub failure: Option<Failure>,
    pub partner_center: Write,
    pub salesforce: Write,
    /// The deal both sides hold after this pass (the new snapshot).
    pub snapshot: Option<Deal>,
    pub audit: Vec<AuditEntry>,
    /// New contacts to link by contact role: identity → contact id (once known).
    contacts: Vec<(Contact, Option<String>)>,
    /// A line for the opportunity's Audit field.
    audit_line: Option<(bool, String)>,
}

impl Work {
    pub fn new(candidate: Candidate, decision: Decision) -> Self {
        Self {
            referral: candidate.referral.clone(),
            opportunity_id: candidate.view.as_ref().map(|v| v.id.clone()),
            account_id: candidate
                .view
                .as_ref()
                .and_then(|v| v.account.as_ref().map(|a| a.id.clone())),
            candidate,
            decision,
            failure: None,
            partner_center: Write::None,
            salesforce: Write::None,
            snapshot: None,
            audit: Vec::new(),
            contacts: Vec::new(),
            audit_line: None,
        }
    }

    fn alive(&self) -> bool {
        self.failure.is_none()
    }

    fn fail(&mut self, failure: Failure) {
        if self.failure.is_none() {
            self.failure = Some(failure);
        }
    }

    fn view(&self) -> Option<&OpportunityView> {
        self.candidate.view.as_ref()
    }
}

impl Engine {
    /// Applies decided work; every outcome is recorded in the store.
    pub(super) async fn apply(
        &self,
        mut work: Vec<Work>,
        stages: &StageMap,
        directory: &Directory,
    ) -> Vec<Outcome> {
        for w in work.iter_mut() {
            self.settle_without_writes(w);
        }
        self.create_referrals(&mut work).await;
        self.write_salesforce(&mut work, stages, directory).await;
        self.patch_referrals(&mut work).await;
        self.mark_failures(&mut work).await;
        self.record(work).await
    }

    /// Skips, missing records and invalid opportunities: decided without
    /// calling Partner Center.
    fn settle_without_writes(&self, w: &mut Work) {
        match &w.decision {
            Decision::Missing(reason) => w.fail(Failure::permanent(reason.clone())),
            Decision::Invalid { problems, .. } => {
                let message = validate::describe(problems);
                w.audit_line = Some((false, format!("✖ Not sent to Partner Center: {message}")));
                w.fail(Failure::permanent(format!(
                    "invalid opportunity: {message}"
                )));
            }
            Decision::Update(update) if !update.problems.is_empty() => {
                let message = validate::describe(&update.problems);
                w.audit_line = Some((
                    false,
                    format!("✖ Changes not sent to Partner Center: {message}"),
                ));
            }
            _ => {}
        }
    }

    /// Creates referrals for opportunities, reusing one already created for
    /// the same opportunity (found by its external reference id).
    async fn create_referrals(&self, work: &mut [Work]) {
        let mut jobs: Vec<(usize, Deal, String, bool)> = Vec::new();
        for (i, w) in work.iter().enumerate() {
            let (Decision::CreateReferral { deal }, Some(opportunity_id)) =
                (&w.decision, &w.opportunity_id)
            else {
                continue;
            };
            // Record the intent before creating: an opportunity that already
            // has a pair may have been created before a crash, so only then
            // is Partner Center searched for it first (one call saved per
            // new deal, no duplicate after a crash).
            let lookup = match &w.candidate.pair {
                Some(_) => true,
                None => {
                    let mut intent = Pair::new(deal.name.clone());
                    intent.opportunity_id = Some(opportunity_id.clone());
                    self.store.save_pair(&intent).await.is_err()
                }
            };
            jobs.push((i, deal.clone(), opportunity_id.clone(), lookup));
        }
        let results: Vec<(usize, Result<Referral, partner_center::Error>)> = stream::iter(jobs)
            .map(|(i, deal, opportunity_id, lookup)| async move {
                if lookup {
                    let existing = ReferralQuery::new()
                        .filter(Filter::eq("externalReferenceId", opportunity_id.as_str()))
                        .top(1);
                    match self.pc.list(&existing).await {
                        Ok(page) => {
                            if let Some(referral) = page.value.into_iter().next() {
                                return (i, Ok(referral));
                            }
                        }
                        Err(e) => return (i, Err(e)),
                    }
                }
                let created = self
                    .pc
                    .create(&referral_map::new_referral(
                        &deal,
                        &opportunity_id,
                        &self.settings.mappings,
                    ))
                    .await;
                (i, created)
            })
            .buffer_unordered(PC_CONCURRENCY)
            .collect()
            .await;
        for (i, result) in results {
            let w = &mut work[i];
            match result {
                Ok(referral) => {
                    let id = referral.id.clone().unwrap_or_default();
                    w.snapshot = Some(referral_map::read(&referral, &self.settings));
                    w.partner_center = Write::Created;
                    w.audit.push(AuditEntry::new(
                        None,
                        AuditLevel::Info,
                        "referral_created",
                        format!("Created referral {id} in Partner Center"),
                        json!({ "referral_id": id }),
                    ));
                    w.audit_line = Some((
                        true,
                        format!("✔ Shared with Partner Center as referral {id}"),
                    ));
                    w.referral = Some(referral);
                }
                Err(e) => {
                    let failure = Failure::from_partner_center(&e, "creating the referral");
                    w.audit_line = Some((false, format!("✖ {}", failure.message)));
                    w.fail(failure);
                }
            }
        }
    }

    /// All Salesforce writes of the batch, in dependency order.
    async fn write_salesforce(&self, work: &mut [Work], stages: &StageMap, directory: &Directory) {
        let settings = &self.settings;
        // 1. accounts to create
        let mut accounts = Vec::new();
        for (i, w) in work.iter_mut().enumerate() {
            if !w.alive() {
                continue;
            }
            let deal = match &w.decision {
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
                    accounts.push((i, record("Account", account_body(&deal.customer, settings))))
                }
            }
        }
        self.save_batch(work, accounts, "creating the customer account", |w, id| {
            w.account_id = Some(id)
        })
        .await;

        // 2. contacts to create (for new contact roles)
        let mut contacts = Vec::new();
        for (i, w) in work.iter_mut().enumerate() {
            if !w.alive() {
                continue;
            }
            let wanted = new_contacts(w);
            for contact in wanted {
                let known = contact
                    .email
                    .as_ref()
                    .and_then(|e| directory.contacts.get(&e.to_lowercase()))
                    .cloned();
                if known.is_none() {
                    let body = contact_body(&contact, w.account_id.as_deref());
                    contacts.push((i, w.contacts.len(), record("Contact", body)));
                }
                w.contacts.push((contact, known));
            }
        }
        let (indexes, records): (Vec<(usize, usize)>, Vec<Record>) = contacts
            .into_iter()
            .map(|(i, slot, r)| ((i, slot), r))
            .unzip();
        let results = self.sf.create_many(&records, false).await;
        for ((i, slot), result) in zip_results(indexes, records.len(), results) {
            match result {
                Ok(id) => work[i].contacts[slot].1 = Some(id),
                Err(failure) => work[i].fail(failure.context("creating a customer contact")),
            }
        }

        // 3. opportunities: upserts for new ones, updates for the rest
        let mut upserts = Vec::new();
        let mut updates = Vec::new();
        for (i, w) in work.iter_mut().enumerate() {
            match w.decision.clone() {
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
        self.save_batch(work, updates, "updating Salesforce", |w, _| {
            if w.salesforce == Write::None {
                w.salesforce = Write::Updated;
            }
        })
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
        self.save_batch(work, creates, "adding related records", |_, _| {})
            .await;
        let (indexes, ids): (Vec<usize>, Vec<String>) = deletes.into_iter().unzip();
        let results = self.sf.delete_many(&ids, false).await;
        for (i, result) in zip_results(indexes, ids.len(), results) {
            if let Err(failure) = result {
                work[i].fail(failure.context("removing related records"));
            }
        }
    }

    /// Creates or updates `records` in one Collections call per 200, routing
    /// each result to its pair.
    async fn save_batch(
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

    fn new_opportunity(&self, w: &mut Work, deal: &Deal, stages: &StageMap) -> Record {
        let settings = &self.settings;
        let f = &settings.fields;
        let referral_id = w
            .referral
            .as_ref()
            .and_then(|r| r.id.clone())
            .unwrap_or_default();
        let mut body = crate::opportunity_map::opportunity_values(deal, settings);
        body.insert(
            "Name".into(),
            json!(marked_name(&deal.name, true, settings)),
        );
        body.insert(
            "StageName".into(),
            json!(stage_for(deal.lifecycle, None, settings, stages)),
        );
        body.insert(
            "CloseDate".into(),
            json!(deal
                .close_date
                .unwrap_or_else(default_close_date)
                .to_string()),
        );
        body.insert(f.sync_flag.clone(), json!(true));
        body.insert(f.referral_id.clone(), json!(referral_id));
        body.insert(
            f.referral_link.clone(),
            json!(settings.referral_link(&referral_id)),
        );
        body.insert(
            f.audit.clone(),
            json!(stamp(&format!(
                "✔ Created from Partner Center referral {referral_id}"
            ))),
        );
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
        w.snapshot = Some(deal.clone());
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
    fn opportunity_update(&self, w: &mut Work, stages: &StageMap) -> Option<Record> {
        let settings = &self.settings;
        let f = &settings.fields;
        let view = w.view()?.clone();
        let mut body = serde_json::Map::new();
        if let Decision::Update(update) = &w.decision {
            if w.alive() {
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
                if w.audit_line.is_none() {
                    w.audit_line = change_summary(update);
                }
            }
        }
        if let (Decision::CreateReferral { .. }, Some(referral)) = (&w.decision, &w.referral) {
            let id = referral.id.clone().unwrap_or_default();
            body.insert(f.referral_id.clone(), json!(id));
            body.insert(f.referral_link.clone(), json!(settings.referral_link(&id)));
        }
        if let Some((ok, line)) = &w.audit_line {
            if audit_message(view.audit(settings).lines().next().unwrap_or_default()) != line {
                body.insert(
                    f.audit.clone(),
                    json!(append_audit(view.audit(settings), &stamp(line))),
                );
            }
            let name = body.get("Name").and_then(Value::as_str).map(String::from);
            let name = name
                .as_deref()
                .map(crate::deal::strip_mark)
                .unwrap_or(view.name())
                .to_owned();
            let marked = marked_name(&name, *ok, settings);
            if marked != view.raw_name() {
                body.insert("Name".into(), json!(marked));
            }
        } else if let Some(name) = body.get("Name").and_then(Value::as_str).map(String::from) {
            let ok = !view.raw_name().starts_with(crate::deal::MARK_FAILED);
            body.insert("Name".into(), json!(marked_name(&name, ok, settings)));
        }
        if body.is_empty() {
            return None;
        }
        body.insert("Id".into(), json!(view.id));
        Some(record("Opportunity", body))
    }

    /// Account and contact detail changes that flow to Salesforce.
    fn related_updates(&self, w: &Work) -> Vec<Record> {
        let mut out = Vec::new();
        let (Decision::Update(update), Some(view)) = (&w.decision, w.view()) else {
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
                    .find(|c| c.identity() == role.contact.identity());
                if let Some(contact) = wanted.filter(|c| **c != role.contact) {
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
    fn related_changes(&self, w: &Work) -> (Vec<Record>, Vec<String>) {
        let f = &self.settings.fields;
        let mut creates = Vec::new();
        let mut deletes = Vec::new();
        let Some(opportunity_id) = w.opportunity_id.clone() else {
            return (creates, deletes);
        };
        let (deal, fields, view): (&Deal, Vec<Field>, Option<&OpportunityView>) = match &w.decision
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
                let wanted: BTreeSet<String> =
                    deal.contacts.iter().map(Contact::identity).collect();
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

    /// Patches referrals: merged changes and status moves, and the external
    /// reference of referrals that just got an opportunity.
    async fn patch_referrals(&self, work: &mut [Work]) {
        let jobs: Vec<(usize, String, Vec<PatchOperation>, Option<String>)> = work
            .iter()
            .enumerate()
            .filter(|(_, w)| w.alive())
            .filter_map(|(i, w)| {
                let referral = w.referral.as_ref()?;
                let ops = match &w.decision {
                    Decision::Update(u) if u.problems.is_empty() => {
                        let mut ops = referral_map::patch(
                            referral,
                            &u.outcome.merged,
                            &u.outcome.to_partner_center,
                            u.outcome.lifecycle.to_partner_center,
                        );
                        ops.extend(referral_map::mapped_patch(
                            referral,
                            &u.outcome.merged,
                            &u.outcome.mapped_to_partner_center,
                            &self.settings.mappings,
                        ));
                        ops
                    }
                    Decision::CreateOpportunity { .. } => Vec::new(),
                    _ => return None,
                };
                let mut ops = ops;
                let opportunity_id = w.opportunity_id.clone()?;
                if referral.external_reference_id.as_deref() != Some(opportunity_id.as_str()) {
                    ops.push(PatchOperation::add("/externalReferenceId", opportunity_id));
                }
                let id = referral.id.clone()?;
                (!ops.is_empty()).then(|| (i, id, ops, referral.e_tag.clone()))
            })
            .collect();
        let results: Vec<_> = stream::iter(jobs)
            .map(|(i, id, ops, etag)| async move {
                let options = PatchOptions {
                    if_match: etag,
                    return_representation: true,
                };
                (i, self.pc.patch(&id, &ops, options).await)
            })
            .buffer_unordered(PC_CONCURRENCY)
            .collect()
            .await;
        for (i, result) in results {
            let w = &mut work[i];
            match result {
                Ok(updated) => {
                    if matches!(w.decision, Decision::Update(_)) {
                        w.partner_center = Write::Updated;
                    }
                    if let Some(updated) = updated {
                        w.referral = Some(updated);
                    }
                }
                Err(e) => {
                    let failure = Failure::from_partner_center(&e, "updating the referral");
                    if failure.permanent {
                        w.audit_line = Some((false, format!("✖ {}", failure.message)));
                    }
                    w.fail(failure);
                }
            }
        }
    }

    /// Writes ✖ and the error to opportunities whose Partner Center write
    /// failed for good after their Salesforce writes were sent.
    async fn mark_failures(&self, work: &mut [Work]) {
        let mut updates = Vec::new();
        for (i, w) in work.iter().enumerate() {
            let Some(failure) = &w.failure else { continue };
            if !failure.permanent
                || matches!(w.decision, Decision::Invalid { .. } | Decision::Missing(_))
            {
                continue;
            }
            let Some(view) = w.view() else { continue };
            let line = format!("✖ {}", failure.message);
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
            let marked = marked_name(view.name(), false, &self.settings);
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

    /// Stores pairs, snapshots and audit, and turns work into outcomes.
    async fn record(&self, work: Vec<Work>) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(work.len());
        for w in work {
            outcomes.push(self.record_one(w).await);
        }
        outcomes
    }

    async fn record_one(&self, mut w: Work) -> Outcome {
        let description = w.decision.describe();
        if matches!(w.decision, Decision::Unchanged) {
            let pair_id = w.candidate.pair.as_ref().map(|p| p.id);
            return Outcome::new(
                w.candidate.targets.clone(),
                pair_id,
                description,
                Write::None,
                Write::None,
                None,
            );
        }
        let now = Utc::now();
        let referral_id = w.referral.as_ref().and_then(|r| r.id.clone());
        let known = match w.candidate.pair.clone() {
            Some(pair) => Some(pair),
            None if referral_id.is_none() && w.opportunity_id.is_none() => {
                return Outcome::new(
                    w.candidate.targets.clone(),
                    None,
                    description,
                    w.partner_center,
                    w.salesforce,
                    w.failure,
                );
            }
            // Another worker may have recorded this deal meanwhile (its
            // referral job and its opportunity job ran at once): join it.
            None => {
                self.recorded_pair(referral_id.as_deref(), w.opportunity_id.as_deref())
                    .await
            }
        };
        let mut pair = known.unwrap_or_else(|| Pair::new(""));
        if matches!(w.decision, Decision::Skip(_)) && w.candidate.pair.is_none() {
            return Outcome::new(
                w.candidate.targets.clone(),
                None,
                description,
                w.partner_center,
                w.salesforce,
                w.failure,
            );
        }
        pair.referral_id = pair.referral_id.or(referral_id);
        pair.opportunity_id = pair.opportunity_id.or(w.opportunity_id.clone());
        if let Decision::Update(update) = w.decision.clone() {
            if w.failure.is_none() {
                w.snapshot = Some(update.outcome.merged.clone());
            }
            self.audit_update(&mut w, *update);
        }
        let deal = w.snapshot.clone().or_else(|| match &w.decision {
            Decision::Invalid { deal, .. }
            | Decision::CreateReferral { deal }
            | Decision::CreateOpportunity { deal } => Some(deal.clone()),
            _ => None,
        });
        if let Some(deal) = &deal {
            pair.name = deal.name.clone();
        }
        if w.failure.is_none() {
            if let Some(snapshot) = &w.snapshot {
                pair.snapshot = serde_json::to_value(snapshot).ok();
                pair.state = match snapshot.lifecycle {
                    Lifecycle::Pending => PairState::OnHold,
                    l if l.is_closed() => PairState::Closed,
                    _ => PairState::Synced,
                };
            }
            pair.last_error = None;
            pair.referral_version = w.referral.as_ref().and_then(|r| r.e_tag.clone());
            pair.opportunity_version = w
                .view()
                .and_then(OpportunityView::version)
                .or(pair.opportunity_version);
            if w.salesforce != Write::None {
                pair.last_pc_to_sf_at = Some(now);
            }
            if w.partner_center != Write::None {
                pair.last_sf_to_pc_at = Some(now);
            }
        } else if let Some(failure) = &w.failure {
            pair.state = PairState::Failed;
            pair.last_error = Some(failure.message.clone());
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Error,
                if failure.permanent {
                    "sync_failed"
                } else {
                    "sync_retrying"
                },
                failure.message.clone(),
                json!({ "permanent": failure.permanent }),
            ));
        }
        pair.updated_at = now;
        for entry in w.audit.iter_mut() {
            entry.pair_id = Some(pair.id);
        }
        if let Err(e) = self.store.save_pair(&pair).await {
            let failure = Failure::transient(format!("could not record the pair: {e}"));
            return Outcome::new(
                w.candidate.targets.clone(),
                Some(pair.id),
                description,
                w.partner_center,
                w.salesforce,
                Some(failure),
            );
        }
        if let Err(e) = self.store.append_audit(&w.audit).await {
            tracing::warn!(error = %e, "could not append audit entries");
        }
        Outcome::new(
            w.candidate.targets.clone(),
            Some(pair.id),
            description,
            w.partner_center,
            w.salesforce,
            w.failure,
        )
    }

    /// The pair already recorded for either id, if any.
    async fn recorded_pair(
        &self,
        referral_id: Option<&str>,
        opportunity_id: Option<&str>,
    ) -> Option<Pair> {
        if let Some(id) = referral_id {
            if let Ok(Some(pair)) = self.store.pair_by_referral(id).await {
                return Some(pair);
            }
        }
        self.store
            .pair_by_opportunity(opportunity_id?)
            .await
            .ok()
            .flatten()
    }

    /// Audit entries for a merge: what flowed where, conflicts, refusals.
    fn audit_update(&self, w: &mut Work, update: super::plan::Update) {
        let o = &update.outcome;
        if o.is_noop() && o.refusals.is_empty() && update.problems.is_empty() {
            return;
        }
        if w.failure.is_none() && !o.is_noop() {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Info,
                "synced",
                update_sentence(&update),
                json!({
                    "to_partner_center": field_names(&o.to_partner_center),
                    "to_salesforce": field_names(&o.to_salesforce),
                    "referral_status": o.lifecycle.to_partner_center,
                    "opportunity_stage": o.lifecycle.to_salesforce,
                    "held": field_names(&o.held),
                    "mapped_to_partner_center": o.mapped_to_partner_center,
                    "mapped_to_salesforce": o.mapped_to_salesforce,
                }),
            ));
        }
        for conflict in &o.conflicts {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Warning,
                "conflict",
                format!(
                    "{} changed on both sides; {} won (latest change). Partner Center had {}, Salesforce had {}",
                    conflict.field,
                    conflict.winner.label(),
                    conflict.partner_center,
                    conflict.salesforce
                ),
                serde_json::to_value(conflict).unwrap_or(Value::Null),
            ));
        }
        for refusal in &o.refusals {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Warning,
                "change_refused",
                format!(
                    "{} tried to change {}: {}; restored",
                    refusal.side.label(),
                    refusal.field.name(),
                    refusal.reason
                ),
                serde_json::to_value(refusal).unwrap_or(Value::Null),
            ));
        }
        if let Some(note) = &o.lifecycle.note {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Warning,
                "lifecycle_not_pushed",
                note.clone(),
                Value::Null,
            ));
        }
        if !update.problems.is_empty() {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Error,
                "validation_failed",
                validate::describe(&update.problems),
                serde_json::to_value(&update.problems).unwrap_or(Value::Null),
            ));
        }
    }
}

/// The Salesforce fields a deal field is written to.
fn salesforce_fields(field: Field, settings: &crate::Settings) -> Vec<String> {
    let f = &settings.fields;
    match field {
        Field::Name => vec!["Name".into()],
        Field::DealValue => vec![settings.deal_value_field.clone()],
        Field::Currency => vec![settings.currency_field.clone()],
        Field::CloseDate => vec!["CloseDate".into()],
        Field::Help => vec![f.help.clone()],
        Field::Visibility => vec![f.visibility.clone()],
        Field::MicrosoftCrmId => vec![f.microsoft_crm_id.clone()],
        _ => Vec::new(),
    }
}

/// Contacts of the merged deal that have no contact role yet.
fn new_contacts(w: &Work) -> Vec<Contact> {
    let (deal, existing): (&Deal, BTreeSet<String>) = match &w.decision {
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
        .filter(|c| !c.last_name.is_empty() && seen.insert(c.identity()))
        .cloned()
        .collect()
}

/// One line for the opportunity's Audit field after a successful merge.
fn change_summary(update: &super::plan::Update) -> Option<(bool, String)> {
    let o = &update.outcome;
    if o.is_noop() && o.refusals.is_empty() && o.lifecycle.note.is_none() {
        return update
            .held_reason
            .as_ref()
            .map(|r| (true, format!("✔ {r}")));
    }
    if let Some(refusal) = o.refusals.first() {
        return Some((false, format!("✖ Refused: {}", refusal.reason)));
    }
    if let Some(note) = &o.lifecycle.note {
        return Some((true, format!("✔ {note}")));
    }
    Some((true, format!("✔ {}", update_sentence(update))))
}

fn update_sentence(update: &super::plan::Update) -> String {
    let o = &update.outcome;
    let mut parts = Vec::new();
    if let Some(next) = o.lifecycle.to_partner_center {
        parts.push(match next {
            Lifecycle::Active => "Accepted the referral in Partner Center".to_owned(),
            Lifecycle::Declined => "Declined the referral in Partner Center".to_owned(),
            other => format!("Closed the referral as {other:?} in Partner Center"),
        });
    }
    let sent = o.partner_center_changes();
    if !sent.is_empty() {
        parts.push(format!("Sent to Partner Center: {}", sent.join(", ")));
    }
    if let Some(next) = o.lifecycle.to_salesforce {
        parts.push(format!(
            "Moved the opportunity to {next:?} from Partner Center"
        ));
    }
    let received = o.salesforce_changes();
    if !received.is_empty() {
        parts.push(format!(
            "Updated from Partner Center: {}",
            received.join(", ")
        ));
    }
    for c in &o.conflicts {
        let loser = match c.winner {
            crate::merge::Side::PartnerCenter => &c.salesforce,
            crate::merge::Side::Salesforce => &c.partner_center,
        };
        parts.push(format!(
            "conflict on {}: kept {}'s value, discarded {loser}",
            c.field,
            c.winner.label()
        ));
    }
    parts.join(". ")
}

/// An audit line with its UTC timestamp.
fn stamp(line: &str) -> String {
    format!("{} | {line}", Utc::now().format("%Y-%m-%d %H:%M UTC"))
}

fn record(object: &str, body: serde_json::Map<String, Value>) -> Record {
    let mut record = Record::from_map(body);
    record.set_type(object);
    record
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Pairs each sent record's owner with its result, turning a failed call into
/// a failure of every record it carried.
fn zip_results<K: Clone>(
    keys: Vec<K>,
    sent: usize,
    results: Result<Vec<SaveResult>, salesforce::Error>,
) -> Vec<(K, Result<String, Failure>)> {
    if sent == 0 {
        return Vec::new();
    }
    match results {
        Ok(results) => keys
            .into_iter()
            .zip(results)
            .map(|(k, r)| {
                let result = if r.success {
                    Ok(r.id.unwrap_or_default())
                } else {
                    Err(Failure::from_record_errors(&r.errors))
                };
                (k, result)
            })
            .collect(),
        Err(e) => {
            let failure = Failure::from_salesforce(&e);
            keys.into_iter()
                .map(|k| (k, Err(failure.clone())))
                .collect()
        }
    }
}
