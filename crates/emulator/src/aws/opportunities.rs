//! The opportunity operations: `CreateOpportunity`, `GetOpportunity`,
//! `UpdateOpportunity`, `ListOpportunities`, `AssociateOpportunity`,
//! `DisassociateOpportunity`, `SubmitOpportunity`, `GetAwsOpportunitySummary`,
//! and the AWS-side actions the control API plays (review decisions, an AWS
//! seller's update). Request and response members follow each operation's
//! page of the API reference, e.g.
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_UpdateOpportunity.html>.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::error::{AwsError, FieldCode, Reason};
use super::events::opportunity_detail;
use super::opportunity::{writable, Opportunity, Review};
use super::shape::{self, Checker, Rule};
use super::{paging, review, time, App};

/// `Opportunity Created` / `Opportunity Updated` event types.
pub(crate) const CREATED: &str = "Opportunity Created";
pub(crate) const UPDATED: &str = "Opportunity Updated";
/// First numeric part of generated identifiers.
const FIRST_ID: u64 = 5_000_001;

/// Every opportunity, and the `ClientToken`s already used.
#[derive(Debug, Default)]
pub(crate) struct Store {
    items: Vec<Opportunity>,
    /// (account, catalog, token) → (request fingerprint, opportunity id).
    tokens: HashMap<(String, String, String), (String, String)>,
    issued: u64,
    clock: Clock,
}

/// Hands out `LastModifiedDate`s: the wall clock in milliseconds, but
/// strictly increasing, so every write gets its own instant and a
/// `LastModifiedDate` filter never splits two writes of the same millisecond.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    last: Option<DateTime<Utc>>,
}

impl Clock {
    /// The next instant.
    pub(crate) fn tick(&mut self) -> DateTime<Utc> {
        let now = time::now_millis();
        let next = match self.last {
            Some(last) if now <= last => last + chrono::Duration::milliseconds(1),
            _ => now,
        };
        self.last = Some(next);
        next
    }
}

impl Store {
    fn position(&self, account: Option<&str>, catalog: &str, id: &str) -> Option<usize> {
        self.items.iter().position(|o| {
            o.catalog == catalog && o.id == id && account.is_none_or(|a| a == o.account)
        })
    }

    fn new_id(&mut self) -> String {
        self.issued += 1;
        format!("O{}", FIRST_ID + self.issued - 1)
    }

    /// Adds a new opportunity built by `build` from a fresh id and creation
    /// instant, and returns a copy.
    pub(crate) fn insert(
        &mut self,
        build: impl FnOnce(String, DateTime<Utc>) -> Opportunity,
    ) -> Opportunity {
        let id = self.new_id();
        let now = self.clock.tick();
        let opp = build(id, now);
        self.items.push(opp.clone());
        opp
    }

    /// Every opportunity in creation order.
    pub(crate) fn all(&self) -> &[Opportunity] {
        &self.items
    }
}

fn not_found(catalog: &str, id: &str) -> AwsError {
    AwsError::not_found(format!(
        "Opportunity {id} was not found in catalog {catalog}."
    ))
}

fn request_errors(c: Checker) -> Result<(), AwsError> {
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(AwsError::validation(Reason::Request, c.errors))
    }
}

fn str_member<'b>(body: &'b Map<String, Value>, name: &str) -> &'b str {
    body.get(name).and_then(Value::as_str).unwrap_or_default()
}

impl App {
    fn find(
        &self,
        account: &str,
        body: &Map<String, Value>,
        id_member: &str,
    ) -> Result<(String, String), AwsError> {
        let mut c = Checker::default();
        shape::catalog_and_id(&mut c, body, id_member);
        request_errors(c)?;
        let (catalog, id) = (str_member(body, "Catalog"), str_member(body, id_member));
        if self
            .data()
            .opportunities
            .position(Some(account), catalog, id)
            .is_none()
        {
            return Err(not_found(catalog, id));
        }
        Ok((catalog.to_owned(), id.to_owned()))
    }

    /// Runs `change` on a stored opportunity; `account` None is AWS acting.
    fn change<T>(
        &self,
        account: Option<&str>,
        catalog: &str,
        id: &str,
        change: impl FnOnce(&mut Opportunity, &mut Clock) -> Result<T, AwsError>,
    ) -> Result<(T, Opportunity), AwsError> {
        let mut data = self.data();
        let i = data
            .opportunities
            .position(account, catalog, id)
            .ok_or_else(|| not_found(catalog, id))?;
        let Store { items, clock, .. } = &mut data.opportunities;
        let opp = &mut items[i];
        let out = change(opp, clock)?;
        Ok((out, opp.clone()))
    }

    fn announce(&self, detail_type: &str, opp: &Opportunity) {
        self.events.publish(
            detail_type,
            &opp.account,
            opp.arn(&self.options.region),
            opportunity_detail(&opp.catalog, &opp.id),
        );
    }

    /// `CreateOpportunity`: idempotent by `ClientToken`; a token reused with a
    /// different request is a `ConflictException`.
    pub(crate) fn create_opportunity(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let mut c = Checker::default();
        c.string(body, "", "Catalog", true, Rule::OneOf(shape::CATALOGS));
        c.string(body, "", "ClientToken", true, Rule::Len(1, 255));
        c.string(body, "", "Origin", false, Rule::OneOf(shape::ORIGINS));
        shape::opportunity_members(&mut c, body);
        shape::team_members(&mut c, body);
        for tag in c.objects(body, "", "Tags", 200) {
            c.string(tag, "Tags", "Key", true, Rule::Len(1, 128));
            c.string(tag, "Tags", "Value", true, Rule::Len(0, 256));
        }
        request_errors(c)?;
        let business = review::lifecycle_rules(body);
        if !business.is_empty() {
            return Err(AwsError::validation(Reason::Business, business));
        }
        let catalog = str_member(body, "Catalog").to_owned();
        let key = (
            account.to_owned(),
            catalog.clone(),
            str_member(body, "ClientToken").to_owned(),
        );
        let mut fingerprint = body.clone();
        fingerprint.remove("ClientToken");
        let fingerprint = Value::Object(fingerprint).to_string();
        let mut data = self.data();
        if let Some((seen, id)) = data.opportunities.tokens.get(&key) {
            if *seen != fingerprint {
                return Err(AwsError::conflict(
                    "The ClientToken was already used for a different CreateOpportunity request.",
                ));
            }
            let i = data.opportunities.position(Some(account), &catalog, id);
            let opp = i
                .map(|i| &data.opportunities.items[i])
                .ok_or_else(|| not_found(&catalog, id))?;
            return Ok(created_response(opp));
        }
        let opp = data.opportunities.insert(|id, now| {
            let mut opp = Opportunity {
                catalog: catalog.clone(),
                id,
                account: account.to_owned(),
                fields: Map::new(),
                team: body
                    .get("OpportunityTeam")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                created: now,
                modified: now,
                review: Review {
                    status: Some("Pending Submission"),
                    ..Review::default()
                },
                next_steps_history: Vec::new(),
                related: Default::default(),
                origin: "Partner Referral",
                involvement: None,
                visibility: None,
                aws: Map::new(),
            };
            opp.replace_fields(body, now);
            opp
        });
        data.opportunities
            .tokens
            .insert(key, (fingerprint, opp.id.clone()));
        drop(data);
        self.announce(CREATED, &opp);
        Ok(created_response(&opp))
    }

    /// `GetOpportunity`.
    pub(crate) fn get_opportunity(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let (catalog, id) = self.find(account, body, "Identifier")?;
        let (rendered, _) = self.change(Some(account), &catalog, &id, |o, _| {
            Ok(o.render(&self.options.region))
        })?;
        Ok(rendered)
    }

    /// `UpdateOpportunity`: replaces every partner-writable member; the
    /// sent `LastModifiedDate` must be the current one.
    pub(crate) fn update_opportunity(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let mut c = Checker::default();
        shape::catalog_and_id(&mut c, body, "Identifier");
        let sent = c.timestamp(body, "", "LastModifiedDate", true);
        shape::opportunity_members(&mut c, body);
        request_errors(c)?;
        let (catalog, id) = (str_member(body, "Catalog"), str_member(body, "Identifier"));
        let new_fields = writable(body);
        let ((), opp) = self.change(Some(account), catalog, id, |opp, clock| {
            if sent != Some(opp.modified) {
                return Err(AwsError::conflict(format!(
                    "Opportunity {id} was modified at {}; LastModifiedDate must be the latest value. Get the opportunity and retry.",
                    time::format(opp.modified)
                )));
            }
            let mut business = review::lifecycle_rules(&new_fields);
            if let Err(locked) = review::check_update(opp, &new_fields) {
                business.extend(locked);
            }
            if !business.is_empty() {
                return Err(AwsError::validation(Reason::Business, business));
            }
            let now = clock.tick();
            opp.replace_fields(body, now);
            opp.modified = now;
            if opp.review.status == Some("Action Required") {
                opp.review.status = Some("Submitted");
            }
            Ok(())
        })?;
        self.announce(UPDATED, &opp);
        Ok(json!({"Id": opp.id, "LastModifiedDate": time::format(opp.modified)}))
    }

    /// `ListOpportunities` with its filters, sort and paging.
    pub(crate) fn list_opportunities(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let filter = ListFilter::parse(body)?;
        let mut found: Vec<Opportunity> = self
            .data()
            .opportunities
            .items
            .iter()
            .filter(|o| o.account == account && o.catalog == filter.catalog && filter.matches(o))
            .cloned()
            .collect();
        filter.sort(&mut found);
        let (page, next) = paging::page(body, &found, self.options.page_size)?;
        let summaries: Vec<Value> = page
            .iter()
            .map(|o| o.summary(&self.options.region))
            .collect();
        let mut out = json!({"OpportunitySummaries": summaries});
        if let Some(token) = next {
            out["NextToken"] = token.into();
        }
        Ok(out)
    }

    /// `AssociateOpportunity` (`associate` true) and `DisassociateOpportunity`.
    pub(crate) fn relate(
        &self,
        account: &str,
        body: &Map<String, Value>,
        associate: bool,
    ) -> Result<Value, AwsError> {
        let mut c = Checker::default();
        shape::catalog_and_id(&mut c, body, "OpportunityIdentifier");
        c.string(
            body,
            "",
            "RelatedEntityType",
            true,
            Rule::OneOf(shape::RELATED_ENTITY_TYPES),
        );
        c.string(body, "", "RelatedEntityIdentifier", true, Rule::Len(1, 255));
        request_errors(c)?;
        let (catalog, id) = (
            str_member(body, "Catalog"),
            str_member(body, "OpportunityIdentifier"),
        );
        let kind = str_member(body, "RelatedEntityType");
        let entity = str_member(body, "RelatedEntityIdentifier").to_owned();
        if associate {
            self.check_entity(kind, &entity)?;
        }
        let ((), opp) = self.change(Some(account), catalog, id, |opp, clock| {
            let list = opp.related.entry(kind.to_owned()).or_default();
            let present = list.contains(&entity);
            match (associate, present) {
                (true, false) => {
                    if list.len() >= association_quota(kind) {
                        return Err(AwsError::field(
                            Reason::Business,
                            "RelatedEntityIdentifier",
                            FieldCode::TooMany,
                            &format!(
                                "An opportunity takes at most {} {kind}.",
                                association_quota(kind)
                            ),
                        ));
                    }
                    list.push(entity.clone());
                }
                (false, true) => list.retain(|e| *e != entity),
                (false, false) => {
                    return Err(AwsError::not_found(format!(
                        "{entity} is not associated with opportunity {id}."
                    )))
                }
                (true, true) => {}
            }
            opp.related.retain(|_, v| !v.is_empty());
            opp.modified = clock.tick();
            Ok(())
        })?;
        self.announce(UPDATED, &opp);
        Ok(json!({}))
    }

    /// A solution must exist; Marketplace entities are ARNs.
    fn check_entity(&self, kind: &str, entity: &str) -> Result<(), AwsError> {
        match kind {
            "Solutions" if !self.options.solutions.iter().any(|s| s == entity) => Err(
                AwsError::not_found(format!("Solution {entity} was not found.")),
            ),
            "AwsMarketplaceOffers" | "AwsMarketplaceOfferSets" if !entity.starts_with("arn:") => {
                Err(AwsError::field(
                    Reason::Request,
                    "RelatedEntityIdentifier",
                    FieldCode::Format,
                    "AWS Marketplace entities are identified by their ARN.",
                ))
            }
            _ => Ok(()),
        }
    }

    /// `SubmitOpportunity`: from `Pending Submission` to `Submitted`, when complete.
    pub(crate) fn submit_opportunity(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let mut c = Checker::default();
        shape::catalog_and_id(&mut c, body, "Identifier");
        c.string(
            body,
            "",
            "InvolvementType",
            true,
            Rule::OneOf(shape::INVOLVEMENT_TYPES),
        );
        c.string(
            body,
            "",
            "Visibility",
            false,
            Rule::OneOf(shape::VISIBILITIES),
        );
        request_errors(c)?;
        let (catalog, id) = (str_member(body, "Catalog"), str_member(body, "Identifier"));
        let involvement = str_member(body, "InvolvementType").to_owned();
        let visibility = body
            .get("Visibility")
            .and_then(Value::as_str)
            .unwrap_or("Full")
            .to_owned();
        let ((), opp) = self.change(Some(account), catalog, id, |opp, clock| {
            if opp.review.status != Some("Pending Submission") {
                return Err(AwsError::field(
                    Reason::Business,
                    "LifeCycle.ReviewStatus",
                    FieldCode::ResourceState,
                    &format!(
                        "Only an opportunity in Pending Submission can be submitted; this one is {}.",
                        opp.review.status.unwrap_or("an AWS referral")
                    ),
                ));
            }
            let missing = review::missing_for_submission(opp, &involvement);
            if !missing.is_empty() {
                return Err(AwsError::validation(Reason::Business, missing));
            }
            opp.review.status = Some("Submitted");
            opp.involvement = Some(involvement);
            opp.visibility = Some(visibility);
            opp.modified = clock.tick();
            Ok(())
        })?;
        self.announce(UPDATED, &opp);
        Ok(json!({}))
    }

    /// `GetAwsOpportunitySummary`: exists once AWS has the opportunity
    /// (submitted, or an AWS referral).
    pub(crate) fn aws_opportunity_summary(
        &self,
        account: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        let (catalog, id) = self.find(account, body, "RelatedOpportunityIdentifier")?;
        let (summary, _) = self.change(Some(account), &catalog, &id, |o, _| {
            if o.review.status == Some("Pending Submission") {
                return Err(AwsError::not_found(format!(
                    "AWS has no opportunity for {id} yet: submit it first."
                )));
            }
            Ok(o.aws_summary())
        })?;
        Ok(summary)
    }

    /// AWS's review decision (control API): `In review` from `Submitted`;
    /// `Approved`, `Rejected` or `Action Required` from either, with the
    /// reason (`ReviewStatusReason`) and feedback (`ReviewComments`).
    pub(crate) fn review_decision(
        &self,
        catalog: &str,
        id: &str,
        status: &str,
        reason: Option<String>,
        comments: Option<String>,
    ) -> Result<Value, AwsError> {
        let status = review::AWS_DECISIONS
            .iter()
            .find(|s| **s == status)
            .ok_or_else(|| {
                AwsError::field(
                    Reason::Request,
                    "ReviewStatus",
                    FieldCode::Enum,
                    &format!(
                        "ReviewStatus must be one of: {}.",
                        review::AWS_DECISIONS.join(", ")
                    ),
                )
            })?;
        let (rendered, opp) = self.change(None, catalog, id, |opp, clock| {
            let allowed = match *status {
                "In review" => opp.review.status == Some("Submitted"),
                _ => matches!(opp.review.status, Some("Submitted" | "In review")),
            };
            if !allowed {
                return Err(AwsError::conflict(format!(
                    "AWS can't move {id} from {} to {status}.",
                    opp.review.status.unwrap_or("no review status")
                )));
            }
            opp.review = Review {
                status: Some(status),
                reason,
                comments,
            };
            if *status == "Approved" && !opp.aws.contains_key("LifeCycle") {
                opp.aws
                    .insert("LifeCycle".into(), json!({"Stage": "Prospect"}));
            }
            opp.modified = clock.tick();
            Ok(opp.render(&self.options.region))
        })?;
        self.announce(UPDATED, &opp);
        Ok(rendered)
    }

    /// An AWS seller changes the AWS side (control API): each given member of
    /// the `GetAwsOpportunitySummary` shape replaces the current one.
    pub(crate) fn aws_seller_update(
        &self,
        catalog: &str,
        id: &str,
        changes: &Map<String, Value>,
    ) -> Result<Value, AwsError> {
        const MEMBERS: &[&str] = &[
            "LifeCycle",
            "OpportunityTeam",
            "Insights",
            "InvolvementTypeChangeReason",
            "RelatedEntityIds",
            "Customer",
            "Project",
        ];
        if let Some(unknown) = changes.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
            return Err(AwsError::field(
                Reason::Request,
                unknown,
                FieldCode::Value,
                &format!("An AWS seller can change only: {}.", MEMBERS.join(", ")),
            ));
        }
        let (summary, opp) = self.change(None, catalog, id, |opp, clock| {
            for (k, v) in changes {
                opp.aws.insert(k.clone(), v.clone());
            }
            opp.modified = clock.tick();
            Ok(opp.aws_summary())
        })?;
        self.announce(UPDATED, &opp);
        Ok(summary)
    }
}

/// At most this many entities of a type per opportunity
/// (<https://docs.aws.amazon.com/partner-central/latest/developer-guide/quotas.html>).
fn association_quota(kind: &str) -> usize {
    match kind {
        "AwsProducts" => 20,
        _ => 10,
    }
}

fn created_response(opp: &Opportunity) -> Value {
    let mut out = json!({"Id": opp.id, "LastModifiedDate": time::format(opp.modified)});
    if let Some(p) = opp.fields.get("PartnerOpportunityIdentifier") {
        out["PartnerOpportunityIdentifier"] = p.clone();
    }
    out
}

/// The filters and sort of a `ListOpportunities` request.
struct ListFilter {
    catalog: String,
    modified_after: Option<DateTime<Utc>>,
    modified_before: Option<DateTime<Utc>>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    ids: Vec<String>,
    stages: Vec<String>,
    statuses: Vec<String>,
    companies: Vec<String>,
    sort_by: String,
    descending: bool,
}

fn strings(body: &Map<String, Value>, name: &str) -> Vec<String> {
    body.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl ListFilter {
    fn parse(body: &Map<String, Value>) -> Result<Self, AwsError> {
        let mut c = Checker::default();
        c.string(body, "", "Catalog", true, Rule::OneOf(shape::CATALOGS));
        let empty = Map::new();
        let modified = c
            .object(body, "", "LastModifiedDate", false)
            .unwrap_or(&empty);
        let modified_after =
            c.timestamp(modified, "LastModifiedDate", "AfterLastModifiedDate", false);
        let modified_before = c.timestamp(
            modified,
            "LastModifiedDate",
            "BeforeLastModifiedDate",
            false,
        );
        let created = c.object(body, "", "CreatedDate", false).unwrap_or(&empty);
        let created_after = c.timestamp(created, "CreatedDate", "AfterCreatedDate", false);
        let created_before = c.timestamp(created, "CreatedDate", "BeforeCreatedDate", false);
        c.strings(
            body,
            "",
            "Identifier",
            20,
            Rule::Format(shape::is_opportunity_id, "an opportunity identifier"),
        );
        c.strings(body, "", "LifeCycleStage", 10, Rule::OneOf(shape::STAGES));
        c.strings(
            body,
            "",
            "LifeCycleReviewStatus",
            10,
            Rule::OneOf(shape::REVIEW_STATUSES),
        );
        c.strings(body, "", "CustomerCompanyName", 10, Rule::Len(0, 120));
        let sort = c.object(body, "", "Sort", false);
        if let Some(sort) = sort {
            c.string(
                sort,
                "Sort",
                "SortOrder",
                true,
                Rule::OneOf(&["ASCENDING", "DESCENDING"]),
            );
            c.string(
                sort,
                "Sort",
                "SortBy",
                true,
                Rule::OneOf(&[
                    "LastModifiedDate",
                    "Identifier",
                    "CustomerCompanyName",
                    "CreatedDate",
                    "TargetCloseDate",
                ]),
            );
        }
        request_errors(c)?;
        Ok(Self {
            catalog: str_member(body, "Catalog").to_owned(),
            modified_after,
            modified_before,
            created_after,
            created_before,
            ids: strings(body, "Identifier"),
            stages: strings(body, "LifeCycleStage"),
            statuses: strings(body, "LifeCycleReviewStatus"),
            companies: strings(body, "CustomerCompanyName"),
            sort_by: sort
                .map_or("LastModifiedDate", |s| str_member(s, "SortBy"))
                .to_owned(),
            descending: sort.is_none_or(|s| str_member(s, "SortOrder") == "DESCENDING"),
        })
    }

    fn matches(&self, o: &Opportunity) -> bool {
        let field = |p: &str| {
            o.field(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let any = |set: &[String], v: &str| set.is_empty() || set.iter().any(|s| s == v);
        self.modified_after.is_none_or(|t| o.modified > t)
            && self.modified_before.is_none_or(|t| o.modified < t)
            && self.created_after.is_none_or(|t| o.created > t)
            && self.created_before.is_none_or(|t| o.created < t)
            && any(&self.ids, &o.id)
            && any(&self.stages, &field("LifeCycle.Stage"))
            && any(&self.statuses, o.review.status.unwrap_or_default())
            && any(&self.companies, &field("Customer.Account.CompanyName"))
    }

    fn sort(&self, items: &mut [Opportunity]) {
        let key = |o: &Opportunity| -> String {
            match self.sort_by.as_str() {
                "Identifier" => format!("{:020}", o.id[1..].parse::<u64>().unwrap_or_default()),
                "CustomerCompanyName" => o
                    .field("Customer.Account.CompanyName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                "CreatedDate" => time::format(o.created),
                "TargetCloseDate" => o
                    .field("LifeCycle.TargetCloseDate")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                _ => time::format(o.modified),
            }
        };
        items.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id)));
        if self.descending {
            items.reverse();
        }
    }
}
