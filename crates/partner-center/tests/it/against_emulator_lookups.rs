//! The reconcile poll and the create-retry lookup lean on `$filter`s Partner
//! Center does not document; they must give the same answers whether the
//! service applies, refuses (400) or ignores those filters, and the fallback
//! must read only the pages it needs.

use emulator::partner_center::ODataMode;
use partner_center::{FilterSupport, UndocumentedFilter};

use super::*;

/// What the client should conclude about a filter in each mode.
fn expected(mode: ODataMode) -> FilterSupport {
    match mode {
        ODataMode::Permissive => FilterSupport::Honoured,
        ODataMode::Documented => FilterSupport::Rejected,
        ODataMode::IgnoreUnknown => FilterSupport::Ignored,
    }
}

async fn start_in(mode: ODataMode, page_size: usize) -> Pc {
    let mut options = Options {
        page_size,
        ..Options::default()
    };
    options.rules.odata = mode;
    start(options).await
}

/// Creates `count` referrals, each with external reference `ext-{i}`.
async fn seed(client: &ReferralsClient, count: usize) -> Vec<Referral> {
    let mut out = Vec::new();
    for i in 0..count {
        let mut body = deal(&format!("deal-{i}"), "US", R2D2);
        body.external_reference_id = Some(format!("ext-{i}"));
        out.push(client.create(&body).await.unwrap());
    }
    out
}

fn names(referrals: &[Referral]) -> Vec<String> {
    referrals.iter().filter_map(|r| r.name.clone()).collect()
}

#[tokio::test]
async fn changes_since_a_time_are_the_same_in_every_odata_mode() {
    for mode in ODataMode::ALL {
        let pc = start_in(mode, 2).await;
        let (client, _) = pc.referrals(quick_retries(1));
        let created = seed(&client, 9).await;
        let since = created[6].updated_date_time.as_ref().unwrap().to_utc();
        let lists_before = pc.calls_to(LIST_KEY);

        let changed = client.changed_since(since).await.unwrap();

        assert_eq!(names(&changed), ["deal-6", "deal-7", "deal-8"], "{mode}");
        assert_eq!(
            client.filter_support(UndocumentedFilter::UpdatedSince),
            expected(mode),
            "{mode}"
        );
        // Five pages hold the nine referrals; newest first, the fallback stops
        // on the second page, where the first older referral shows up.
        let lists = pc.calls_to(LIST_KEY) - lists_before;
        assert!(lists <= 3, "{mode}: {lists} list calls");
        let again = client.changed_since(since).await.unwrap();
        assert_eq!(
            names(&again),
            names(&changed),
            "{mode}: a second poll agrees"
        );
    }
}

#[tokio::test]
async fn everything_is_listed_when_there_is_no_cursor_yet() {
    for mode in ODataMode::ALL {
        let pc = start_in(mode, 2).await;
        let (client, _) = pc.referrals(quick_retries(1));
        seed(&client, 3).await;
        let all = client.changed_since(None).await.unwrap();
        assert_eq!(names(&all), ["deal-0", "deal-1", "deal-2"], "{mode}");
    }
}

#[tokio::test]
async fn the_referral_of_a_record_is_found_in_every_odata_mode() {
    for mode in ODataMode::ALL {
        let pc = start_in(mode, 2).await;
        let (client, _) = pc.referrals(quick_retries(1));
        let created = seed(&client, 5).await;

        let found = client
            .find_by_external_reference("ext-1", None)
            .await
            .unwrap();
        assert_eq!(found.map(|r| id_of(&r)), Some(id_of(&created[1])), "{mode}");
        assert_eq!(
            client.filter_support(UndocumentedFilter::ExternalReference),
            expected(mode),
            "{mode}"
        );
        let missing = client
            .find_by_external_reference("ext-9", None)
            .await
            .unwrap();
        assert!(missing.is_none(), "{mode}");
    }
}

#[tokio::test]
async fn the_fallback_lookup_stops_at_referrals_older_than_the_record() {
    let pc = start_in(ODataMode::Documented, 2).await;
    let (client, _) = pc.referrals(quick_retries(1));
    let created = seed(&client, 8).await;
    let bound = created[6].created_date_time.as_ref().unwrap().to_utc();
    let lists_before = pc.calls_to(LIST_KEY);

    let found = client
        .find_by_external_reference("ext-0", bound)
        .await
        .unwrap();

    assert!(found.is_none(), "ext-0 is older than the record's intent");
    // The refused filter, then two of the four pages.
    assert_eq!(pc.calls_to(LIST_KEY) - lists_before, 3);
}
