//! Batched Salesforce reads for the engine: the opportunities of a batch and
//! everything related to them in as few calls as possible (several SOQL
//! queries ride in one Composite call, which counts as one API call).

use std::collections::{BTreeMap, BTreeSet};

use salesforce::soql::{Condition, Direction, Soql};
use salesforce::types::{CompositeRequest, Subrequest, SubrequestMethod};
use salesforce::{Error as SfError, Record, SalesforceClient};

use crate::opportunity_map::{
    account_view, contact_from, customer_from, opportunity_fields, ContactRoleView, NoteRow,
    OpportunityView, SolutionRow, NOTE_TITLE,
};
use crate::settings::Settings;

/// The active Opportunity record type with this developer name: its id and
/// the stages its sales process allows; None when the org has none.
pub async fn read_record_type(
    sf: &SalesforceClient,
    developer_name: &str,
) -> Result<Option<(String, Vec<String>)>, SfError> {
    let soql = Soql::select(["Id"]).from("RecordType").where_(
        Condition::eq("SobjectType", "Opportunity")
            .and(Condition::eq("DeveloperName", developer_name))
            .and(Condition::eq("IsActive", true)),
    );
    let found = sf.query_all_records(&soql).await?;
    let Some(id) = found.first().and_then(Record::id).map(str::to_owned) else {
        return Ok(None);
    };
    let stages = sf.picklist_values("Opportunity", &id, "StageName").await?;
    Ok(Some((id, stages)))
}

/// Ids per `IN (...)` list, keeping every query URL far below Salesforce's 16 KB limit.
const IN_CHUNK: usize = 150;
/// Queries Salesforce allows in one Composite request.
const QUERIES_PER_COMPOSITE: usize = 5;

/// Runs several queries, five per Composite call, following `nextRecordsUrl`
/// for results larger than one page.
pub async fn query_many(
    sf: &SalesforceClient,
    queries: &[Soql],
) -> Result<Vec<Vec<Record>>, SfError> {
    let live: Vec<(Soql, bool)> = queries.iter().map(|q| (q.clone(), false)).collect();
    query_many_with_deleted(sf, &live).await
}

/// Like [`query_many`], each query paired with whether it also returns
/// deleted rows (`queryAll`, <https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm>).
pub async fn query_many_with_deleted(
    sf: &SalesforceClient,
    queries: &[(Soql, bool)],
) -> Result<Vec<Vec<Record>>, SfError> {
    let mut results = Vec::with_capacity(queries.len());
    for group in queries.chunks(QUERIES_PER_COMPOSITE) {
        if let [(soql, deleted)] = group {
            results.push(if *deleted {
                sf.query_all_records_including_deleted(soql).await?
            } else {
                sf.query_all_records(soql).await?
            });
            continue;
        }
        let mut request = CompositeRequest::new(false);
        for (i, (soql, deleted)) in group.iter().enumerate() {
            let text = soql
                .render()
                .map_err(|e| SfError::InvalidInput(e.to_string()))?;
            let resource = if *deleted { "queryAll" } else { "query" };
            let url = format!("{}?q={}", sf.api_path(resource), urlencoding::encode(&text));
            request = request.push(Subrequest::new(SubrequestMethod::Get, url, format!("q{i}")));
        }
        for response in sf.composite(&request).await? {
            if !response.is_success() {
                return Err(SfError::Api {
                    status: response.http_status_code,
                    errors: response.errors(),
                });
            }
            let page: salesforce::types::QueryPage = serde_json::from_value(response.body.clone())
                .map_err(|e| SfError::InvalidInput(format!("composite query result: {e}")))?;
            let mut records = page.records;
            let mut next = page.next_records_url;
            while let Some(url) = next {
                let more = sf.query_more(&url).await?;
                records.extend(more.records);
                next = more.next_records_url;
            }
            results.push(records);
        }
    }
    Ok(results)
}

/// Reads the opportunities with these ids or carrying these referral ids,
/// with their accounts, contact roles, solutions, note and team.
pub async fn read_views(
    sf: &SalesforceClient,
    settings: &Settings,
    opportunity_ids: &BTreeSet<String>,
    referral_ids: &BTreeSet<String>,
) -> Result<Vec<OpportunityView>, SfError> {
    let fields = opportunity_fields(settings);
    let mut queries = Vec::new();
    for chunk in chunks(opportunity_ids) {
        queries.push(
            Soql::select(&fields)
                .from("Opportunity")
                .where_(Condition::in_("Id", chunk)),
        );
    }
    for chunk in chunks(referral_ids) {
        queries.push(
            Soql::select(&fields)
                .from("Opportunity")
                .where_(Condition::in_(settings.fields.referral_id.as_str(), chunk)),
        );
    }
    if queries.is_empty() {
        return Ok(Vec::new());
    }
    let mut opportunities: BTreeMap<String, Record> = BTreeMap::new();
    for record in query_many(sf, &queries).await?.into_iter().flatten() {
        if let Some(id) = record.str("Id").map(String::from) {
            opportunities.insert(id, record);
        }
    }
    let ids: BTreeSet<String> = opportunities.keys().cloned().collect();
    let related = read_related(sf, settings, &ids).await?;
    Ok(opportunities
        .into_iter()
        .map(|(id, record)| {
            let account = record.relationship("Account").and_then(|a| {
                let mut a = a;
                if let Some(account_id) = record.str("AccountId") {
                    a.set("Id", account_id);
                }
                account_view(&a, settings)
            });
            let account_changed = record
                .relationship("Account")
                .and_then(|a| a.datetime("LastModifiedDate"));
            OpportunityView {
                related_changed_at: related.changed.get(&id).copied().max(account_changed),
                contact_roles: related.roles.get(&id).cloned().unwrap_or_default(),
                solutions: related.solutions.get(&id).cloned().unwrap_or_default(),
                note: related.notes.get(&id).cloned(),
                team: related.team.get(&id).cloned().unwrap_or_default(),
                team_rows: related.team_rows.get(&id).cloned().unwrap_or_default(),
                id,
                record,
                account,
            }
        })
        .collect())
}

#[derive(Default)]
struct Related {
    roles: BTreeMap<String, Vec<ContactRoleView>>,
    solutions: BTreeMap<String, Vec<SolutionRow>>,
    notes: BTreeMap<String, NoteRow>,
    team: BTreeMap<String, Vec<crate::deal::Contact>>,
    /// The ids of the team rows, per opportunity.
    team_rows: BTreeMap<String, Vec<String>>,
    /// Newest change of the related rows, per opportunity.
    changed: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
}

impl Related {
    fn changed(&mut self, opportunity: &str, at: Option<chrono::DateTime<chrono::Utc>>) {
        if let Some(at) = at {
            let entry = self.changed.entry(opportunity.to_owned()).or_insert(at);
            *entry = (*entry).max(at);
        }
    }
}

async fn read_related(
    sf: &SalesforceClient,
    settings: &Settings,
    ids: &BTreeSet<String>,
) -> Result<Related, SfError> {
    let f = &settings.fields;
    let mut queries = Vec::new();
    let mut kinds = Vec::new();
    for chunk in chunks(ids) {
        queries.push(
            Soql::select([
                "Id",
                "OpportunityId",
                "ContactId",
                "IsPrimary",
                "Contact.FirstName",
                "Contact.LastName",
                "Contact.Email",
                "Contact.Phone",
                "Contact.Title",
                "Contact.LastModifiedDate",
                "LastModifiedDate",
            ])
            .from("OpportunityContactRole")
            .where_(Condition::in_("OpportunityId", chunk.clone()))
            .order_by("CreatedDate", Direction::Asc),
        );
        kinds.push(0);
        queries.push(
            Soql::select([
                "Id",
                f.solution_opportunity_field.as_str(),
                f.solution_id_field.as_str(),
                "LastModifiedDate",
            ])
            .from(f.solution_object.as_str())
            .where_(Condition::in_(
                f.solution_opportunity_field.as_str(),
                chunk.clone(),
            )),
        );
        kinds.push(1);
        queries.push(
            Soql::select(["Id", "ParentId", "Body", "LastModifiedDate"])
                .from("Note")
                .where_(
                    Condition::in_("ParentId", chunk.clone())
                        .and(Condition::eq("Title", NOTE_TITLE)),
                ),
        );
        kinds.push(2);
        queries.push(
            Soql::select([
                "Id",
                "OpportunityId",
                "User.FirstName",
                "User.LastName",
                "User.Email",
            ])
            .from("OpportunityTeamMember")
            .where_(Condition::in_("OpportunityId", chunk)),
        );
        kinds.push(3);
    }
    let mut related = Related::default();
    if queries.is_empty() {
        return Ok(related);
    }
    for (kind, records) in kinds.into_iter().zip(query_many(sf, &queries).await?) {
        for record in records {
            let id = record.str("Id").unwrap_or_default().to_owned();
            match kind {
                0 => {
                    let opp = record.str("OpportunityId").unwrap_or_default().to_owned();
                    let person = record.relationship("Contact");
                    related.changed(&opp, record.datetime("LastModifiedDate"));
                    related.changed(
                        &opp,
                        person.as_ref().and_then(|c| c.datetime("LastModifiedDate")),
                    );
                    let contact = person.map(|c| contact_from(&c)).unwrap_or_default();
                    let contact_id = record.str("ContactId").unwrap_or_default().to_owned();
                    related.roles.entry(opp).or_default().push(ContactRoleView {
                        id,
                        contact_id,
                        contact,
                    });
                }
                1 => {
                    let opp = record
                        .str(&f.solution_opportunity_field)
                        .unwrap_or_default()
                        .to_owned();
                    related.changed(&opp, record.datetime("LastModifiedDate"));
                    if let Some(solution_id) =
                        record.str(&f.solution_id_field).filter(|s| !s.is_empty())
                    {
                        let row = SolutionRow {
                            id,
                            solution_id: solution_id.to_owned(),
                        };
                        related.solutions.entry(opp).or_default().push(row);
                    }
                }
                2 => {
                    let opp = record.str("ParentId").unwrap_or_default().to_owned();
                    let body = record.str("Body").unwrap_or_default().to_owned();
                    related.changed(&opp, record.datetime("LastModifiedDate"));
                    related.notes.entry(opp).or_insert(NoteRow { id, body });
                }
                _ => {
                    let opp = record.str("OpportunityId").unwrap_or_default().to_owned();
                    related.team_rows.entry(opp.clone()).or_default().push(id);
                    if let Some(user) = record.relationship("User") {
                        related
                            .team
                            .entry(opp)
                            .or_default()
                            .push(contact_from(&user));
                    }
                }
            }
        }
    }
    Ok(related)
}

/// Existing accounts by name and existing contacts by email, for creating
/// opportunities without duplicating what the org already has.
#[derive(Debug, Default)]
pub struct Directory {
    /// Lower-cased account name → (id, ISO country).
    pub accounts: BTreeMap<String, Vec<(String, Option<String>)>>,
    /// Lower-cased email → contact id.
    pub contacts: BTreeMap<String, String>,
}

impl Directory {
    /// The account with this name in this country (or with no country recorded).
    pub fn account(&self, name: &str, country: Option<&str>) -> Option<&str> {
        let candidates = self.accounts.get(&name.to_lowercase())?;
        candidates
            .iter()
            .find(|(_, c)| {
                c.as_deref().map(str::to_uppercase).as_deref()
                    == country.map(str::to_uppercase).as_deref()
            })
            .or_else(|| candidates.iter().find(|(_, c)| c.is_none()))
            .map(|(id, _)| id.as_str())
    }
}

/// Looks up accounts by name and contacts by email, in one Composite call.
pub async fn read_directory(
    sf: &SalesforceClient,
    settings: &Settings,
    account_names: &BTreeSet<String>,
    emails: &BTreeSet<String>,
) -> Result<Directory, SfError> {
    let mut queries = Vec::new();
    let mut kinds = Vec::new();
    for chunk in chunks(account_names) {
        queries.push(
            Soql::select(["Id", "Name", settings.country_code_field.as_str()])
                .from("Account")
                .where_(Condition::in_("Name", chunk)),
        );
        kinds.push(true);
    }
    for chunk in chunks(emails) {
        queries.push(
            Soql::select(["Id", "Email"])
                .from("Contact")
                .where_(Condition::in_("Email", chunk)),
        );
        kinds.push(false);
    }
    let mut directory = Directory::default();
    if queries.is_empty() {
        return Ok(directory);
    }
    for (is_account, records) in kinds.into_iter().zip(query_many(sf, &queries).await?) {
        for record in records {
            let id = record.str("Id").unwrap_or_default().to_owned();
            if is_account {
                let customer = customer_from(&record, settings);
                directory
                    .accounts
                    .entry(customer.name.to_lowercase())
                    .or_default()
                    .push((id, customer.country));
            } else if let Some(email) = record.str("Email") {
                directory.contacts.entry(email.to_lowercase()).or_insert(id);
            }
        }
    }
    Ok(directory)
}

fn chunks(ids: &BTreeSet<String>) -> Vec<Vec<String>> {
    let all: Vec<String> = ids.iter().cloned().collect();
    all.chunks(IN_CHUNK).map(|c| c.to_vec()).collect()
}
