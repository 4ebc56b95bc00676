//! The AWS side's invariants as a property test: random sequences of
//! Salesforce edits, AWS review decisions, a partner's own edits in
//! Partner Central and sync passes of both clouds, against the emulators,
//! on an opportunity co-sold with Microsoft and with AWS.
//!
//! - the Microsoft referral ends with Salesforce's close date too, and
//!   stays the only one;
//! - one AWS opportunity per shared opportunity, whatever happens;
//! - no lost edit: once AWS's review lets a member change, AWS ends with
//!   Salesforce's value; while it does not, the edit is kept and the Audit
//!   says so (held or locked), never silently dropped;
//! - members cosell does not map (here `Project.AdditionalComments`, edited
//!   by a partner in Partner Central) survive every update;
//! - quiescence: once edits stop, another pass writes nothing to AWS.

use proptest::prelude::*;
use serde_json::json;
use sync::aws::deal::{AwsDeal, Member};
use sync::aws::review::{gate, Gate};

use crate::aws_world::{remote_id, AwsWorld, CATALOG};

/// The members the steps edit.
const EDITED: [Member; 5] = [
    Member::CloseDate,
    Member::BusinessProblem,
    Member::MonthlySpend,
    Member::Website,
    Member::Stage,
];

#[derive(Debug, Clone)]
enum Step {
    /// A seller edits a member in Salesforce (value index).
    Salesforce(Member, u8),
    /// AWS decides: `In review`, `Approved` or `Action Required`.
    Review(u8),
    /// A partner edits an unmapped member in Partner Central.
    PartnerCentral(u8),
    /// The pollers and workers run until idle.
    Drain,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (proptest::sample::select(EDITED.to_vec()), 0..3u8)
            .prop_map(|(m, v)| Step::Salesforce(m, v)),
        1 => (0..3u8).prop_map(Step::Review),
        1 => (0..3u8).prop_map(Step::PartnerCentral),
        2 => Just(Step::Drain),
    ]
}

const DECISIONS: [&str; 3] = ["In review", "Approved", "Action Required"];

fn salesforce_edit(w: &AwsWorld, id: &str, member: Member, v: u8) {
    let n = usize::from(v);
    match member {
        Member::Website => {
            let account = w.opp(id)["AccountId"].as_str().unwrap().to_owned();
            const SITES: [&str; 3] = [
                "https://a.example",
                "https://b.example",
                "https://c.example",
            ];
            let site = SITES[n];
            w.sf()
                .update("Account", &account, json!({"Website": site}))
                .unwrap();
        }
        other => {
            const CLOSE: [&str; 3] = ["2027-07-31", "2027-08-31", "2027-09-30"];
            const PROBLEM: [&str; 3] = [
                "Move the data warehouse to AWS this year",
                "Retire the old data centre by next spring",
                "Scale the web shop for the holiday season",
            ];
            const STAGE: [&str; 3] = ["Prospecting", "Qualification", "Qualification"];
            let fields = match other {
                Member::CloseDate => json!({"CloseDate": CLOSE[n]}),
                Member::BusinessProblem => json!({"AWS_Customer_Business_Problem__c": PROBLEM[n]}),
                Member::MonthlySpend => json!({"AWS_Expected_Monthly_Spend__c": 1000 * (n + 1)}),
                _ => json!({"StageName": STAGE[n]}),
            };
            w.sf().update("Opportunity", id, fields).unwrap();
        }
    }
}

async fn partner_central_edit(w: &AwsWorld, remote: &str, v: u8) -> Option<String> {
    let comment = format!("note {v} from the partner's own team");
    let sent = w
        .side
        .client()
        .update(remote, |f| {
            let project = f
                .project
                .get_or_insert_with(|| aws_partner_central::types::Project::builder().build());
            project.additional_comments = Some(comment.clone());
        })
        .await;
    sent.ok().map(|_| comment)
}

async fn review_status(w: &AwsWorld, remote: &str) -> Option<String> {
    w.aws_opportunity(remote)["LifeCycle"]["ReviewStatus"]
        .as_str()
        .map(str::to_owned)
}

async fn run(steps: Vec<Step>) {
    let w = AwsWorld::new().await;
    let id = w.co_sold_with_both("Property Deal");
    w.settle_both().await;
    let remote = remote_id(&w.opp(&id));
    let mut comment: Option<String> = None;
    for step in steps {
        match step {
            Step::Salesforce(member, v) => salesforce_edit(&w, &id, member, v),
            Step::Review(d) => {
                // AWS decides only when the opportunity is with it.
                let _ = w.aws.review(
                    CATALOG,
                    &remote,
                    DECISIONS[usize::from(d)],
                    Some("Review"),
                    None,
                );
            }
            Step::PartnerCentral(v) => {
                if let Some(c) = partner_central_edit(&w, &remote, v).await {
                    comment = Some(c);
                }
            }
            Step::Drain => w.settle_both().await,
        }
    }
    // AWS finishes its review of whatever is with it.
    for _ in 0..4 {
        w.settle_both().await;
        match review_status(&w, &remote).await.as_deref() {
            Some("Submitted" | "In review") => w.review(&remote, "Approved", None),
            _ => break,
        }
    }
    w.settle().await;
    assert_eq!(w.aws_opportunities().len(), 1, "one AWS opportunity");
    assert_eq!(remote_id(&w.opp(&id)), remote);
    let status = review_status(&w, &remote).await;
    let record = w.side.read_opportunity(&id).await.unwrap().unwrap();
    let salesforce = AwsDeal::from_opportunity(&record, w.side.settings(), &w.settings);
    let opportunity = w.side.client().get(&remote).await.unwrap();
    let aws = AwsDeal::from_fields(&opportunity.fields);
    let audit = w.audit().await;
    for member in EDITED {
        if member == Member::Stage && salesforce.stage.is_none() {
            continue; // an unmapped stage leaves AWS's
        }
        if salesforce.value(member) == aws.value(member) {
            continue;
        }
        let field = member.salesforce_field(w.side.settings(), &w.settings);
        assert_ne!(
            gate(status.as_deref(), member),
            Gate::Send,
            "{member:?} was lost: Salesforce {} AWS {} (review {status:?})",
            salesforce.value(member),
            aws.value(member)
        );
        assert!(
            audit
                .iter()
                .any(|(k, m)| (k == "aws_held" || k == "aws_locked") && m.contains(&field)),
            "{member:?} differs and no Audit line says why: {audit:#?}"
        );
    }
    let kept = opportunity
        .fields
        .project
        .as_ref()
        .and_then(|p| p.additional_comments.clone());
    assert_eq!(kept, comment, "the partner's unmapped member survives");
    let referral = w.base.referral_for(&id);
    let close = record.str("CloseDate").unwrap_or_default();
    assert!(
        referral["details"]["closingDateTime"]
            .as_str()
            .is_some_and(|d| d.starts_with(close)),
        "Partner Center has Salesforce's close date {close}: {}",
        referral["details"]["closingDateTime"]
    );
    let before = w.aws_opportunity(&remote);
    w.settle_both().await;
    assert_eq!(
        w.aws_opportunity(&remote),
        before,
        "nothing more is written"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        max_shrink_iters: 8,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn aws_edits_and_reviews_never_lose_or_duplicate(
        steps in proptest::collection::vec(step(), 1..14)
    ) {
        crate::world::block_on(run(steps));
    }
}
