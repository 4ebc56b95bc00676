//! The Salesforce side of the feed: every row cosell reads for a deal that
//! changed since a stamp, traced to its opportunity. Five queries ride in one
//! Composite call (one API call when nothing changed). Rows that skip the
//! Recycle Bin are read with `queryAll`, which also returns deleted rows
//! (`IsDeleted = true`, stamped at deletion; <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>).
//!
//! Deleted team members are hard-deleted (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunityteammember.htm>) and only
//! getDeleted lists them, without their opportunity: `team_deletions`
//! traces them through the snapshots.

use salesforce::SalesforceId;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use salesforce::soql::{Condition, Soql};
use salesforce::Record;

use super::{Change, Position};
use crate::engine::salesforce_io::query_many_with_deleted;
use crate::engine::{Engine, EngineError, Target};
use crate::opportunity_map::NOTE_TITLE;

/// One feed query: what it reads and how its rows trace to opportunities.
struct Query {
    soql: Soql,
    /// Read with `queryAll`, so deleted rows come back too.
    deleted: bool,
    /// The field holding the opportunity id.
    owner: String,
    /// Each `(id field, stamp field)` whose change counts for the owner.
    stamps: &'static [(&'static str, &'static str)],
}

const OWN_ROW: &[(&str, &str)] = &[("Id", "SystemModstamp")];

impl Engine {
    /// Every change since `since` (everything when None), one row per
    /// changed record and opportunity it affects.
    pub(super) async fn salesforce_changes(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Change>, EngineError> {
        let queries = self.feed_queries(since);
        let soql: Vec<(Soql, bool)> = queries
            .iter()
            .map(|q| (q.soql.clone(), q.deleted))
            .collect();
        let results = query_many_with_deleted(self.salesforce(), &soql).await?;
        let mut opportunities = BTreeSet::new();
        let mut related = Vec::new();
        for (i, (query, records)) in queries.iter().zip(results).enumerate() {
            let own = i == 0;
            for record in records {
                let Some(opportunity) = owner(&record, query) else {
                    continue;
                };
                if own {
                    opportunities.insert(opportunity.clone());
                }
                for position in positions(&record, query.stamps) {
                    related.push((own, opportunity.clone(), position));
                }
            }
        }
        // A related row counts only for an opportunity cosell syncs: one the
        // opportunity query returned, or one with a pair.
        let mut changes = Vec::with_capacity(related.len());
        for (own, opportunity, at) in related {
            if own
                || opportunities.contains(&opportunity)
                || self
                    .store()
                    .pair_by_opportunity(&opportunity)
                    .await?
                    .is_some()
            {
                changes.push(Change {
                    target: Target::Opportunity(opportunity),
                    at,
                });
            }
        }
        Ok(changes)
    }

    /// The feed's queries; the first reads the opportunities themselves.
    fn feed_queries(&self, since: Option<DateTime<Utc>>) -> Vec<Query> {
        let f = &self.settings().fields;
        let changed = |stamp: &str| since.map(|s| Condition::ge(stamp, s));
        let either = |a: &str, b: &str| since.map(|s| Condition::ge(a, s).or(Condition::ge(b, s)));
        let filter = |base: Condition, window: Option<Condition>| match window {
            Some(window) => base.and(window),
            None => base,
        };
        let synced = Condition::eq(f.sync_flag.as_str(), true)
            .or(Condition::not_null(f.referral_id.as_str()));
        let opportunities = Query {
            soql: Soql::select([
                "Id",
                "SystemModstamp",
                "AccountId",
                "Account.SystemModstamp",
            ])
            .from("Opportunity")
            .where_(filter(
                synced,
                either("SystemModstamp", "Account.SystemModstamp"),
            )),
            deleted: false,
            owner: "Id".into(),
            stamps: &[
                ("Id", "SystemModstamp"),
                ("AccountId", "Account.SystemModstamp"),
            ],
        };
        if since.is_none() {
            // First read: every synced opportunity, related rows included.
            return vec![opportunities];
        }
        let roles = Query {
            soql: Soql::select([
                "Id",
                "OpportunityId",
                "SystemModstamp",
                "ContactId",
                "Contact.SystemModstamp",
            ])
            .from("OpportunityContactRole")
            .where_(filter(
                Condition::not_null("OpportunityId"),
                either("SystemModstamp", "Contact.SystemModstamp"),
            )),
            deleted: true,
            owner: "OpportunityId".into(),
            stamps: &[
                ("Id", "SystemModstamp"),
                ("ContactId", "Contact.SystemModstamp"),
            ],
        };
        let solutions = Query {
            soql: Soql::select([
                "Id",
                f.solution_opportunity_field.as_str(),
                "SystemModstamp",
            ])
            .from(f.solution_object.as_str())
            .where_(filter(
                Condition::not_null(f.solution_opportunity_field.as_str()),
                changed("SystemModstamp"),
            )),
            deleted: true,
            owner: f.solution_opportunity_field.clone(),
            stamps: OWN_ROW,
        };
        let notes = Query {
            soql: Soql::select(["Id", "ParentId", "SystemModstamp"])
                .from("Note")
                .where_(filter(
                    Condition::eq("Title", NOTE_TITLE),
                    changed("SystemModstamp"),
                )),
            deleted: true,
            owner: "ParentId".into(),
            stamps: OWN_ROW,
        };
        let team = Query {
            soql: Soql::select(["Id", "OpportunityId", "SystemModstamp"])
                .from("OpportunityTeamMember")
                .where_(filter(
                    Condition::not_null("OpportunityId"),
                    changed("SystemModstamp"),
                )),
            deleted: false,
            owner: "OpportunityId".into(),
            stamps: OWN_ROW,
        };
        vec![opportunities, roles, solutions, notes, team]
    }
}

/// The opportunity a row belongs to.
fn owner(record: &Record, query: &Query) -> Option<String> {
    let id = record.str(&query.owner)?;
    SalesforceId::parse(id)
        .is_ok_and(|id| id.is_opportunity())
        .then(|| id.to_owned())
}

/// The positions a row carries: its own stamp and each related record's.
fn positions(record: &Record, stamps: &[(&str, &str)]) -> Vec<Position> {
    stamps
        .iter()
        .filter_map(|(id, stamp)| {
            Some(Position {
                at: record.datetime(stamp)?,
                id: record.str(id)?.to_owned(),
            })
        })
        .collect()
}
