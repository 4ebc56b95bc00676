//! The client and the official SDK against the strict emulator: the SDK
//! works unchanged (static credentials, `endpoint_url`), a crash between
//! create and record makes no duplicate, an update keeps every member cosell
//! does not map, and a stale `LastModifiedDate` is a conflict.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_partner_central::types::{
    Account, Address, CountryCode, CurrencyCode, Customer, DeliveryModel, ExpectedCustomerSpend,
    Industry, LifeCycle, Marketing, MarketingSource, OpportunityType, PaymentFrequency,
    PrimaryNeedFromAws, Project, SalesActivity, SalesInvolvementType, Stage, Visibility,
};
use aws_partner_central::{
    Catalog, ClientToken, Config, ErrorCode, OpportunityFields, PartnerCentral,
};
use emulator::aws::{AwsEmulator, Options, Quotas};

async fn emulator() -> AwsEmulator {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    AwsEmulator::start(
        listener,
        Options {
            quotas: Quotas::UNLIMITED,
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

fn sdk_config(emu: &AwsEmulator) -> SdkConfig {
    let c = &emu.options().credentials[0];
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            &c.access_key_id,
            &c.secret_access_key,
            None,
            None,
            "emulator",
        )))
        .build()
}

fn client(emu: &AwsEmulator) -> PartnerCentral {
    PartnerCentral::from_sdk_config(
        &sdk_config(emu),
        Config {
            catalog: Catalog::Sandbox,
            endpoint_url: Some(emu.url()),
            max_attempts: 1,
            ..Config::default()
        },
    )
}

fn fields() -> OpportunityFields {
    OpportunityFields {
        primary_needs_from_aws: vec![PrimaryNeedFromAws::CoSellArchitecturalValidation],
        partner_opportunity_identifier: Some("006000000000042AAA".into()),
        opportunity_type: Some(OpportunityType::NetNewBusiness),
        customer: Some(
            Customer::builder()
                .account(
                    Account::builder()
                        .company_name("Contoso Ltd")
                        .industry(Industry::SoftwareInternet)
                        .website_url("https://contoso.example")
                        .address(
                            Address::builder()
                                .country_code(CountryCode::Us)
                                .postal_code("98052")
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        ),
        project: Some(
            Project::builder()
                .title("Data platform migration")
                .customer_business_problem("Legacy warehouse cannot scale with the seasonal load.")
                .delivery_models(DeliveryModel::SaasOrPaas)
                .sales_activities(SalesActivity::InitializedDiscussionsWithCustomer)
                .apn_programs("APN Immersion Days")
                .expected_customer_spend(
                    ExpectedCustomerSpend::builder()
                        .amount("25000")
                        .currency_code(CurrencyCode::Usd)
                        .frequency(PaymentFrequency::Monthly)
                        .target_company("AWS")
                        .build()
                        .unwrap(),
                )
                .build(),
        ),
        marketing: Some(Marketing::builder().source(MarketingSource::None).build()),
        life_cycle: Some(
            LifeCycle::builder()
                .stage(Stage::Prospect)
                .target_close_date("2030-06-30")
                .build(),
        ),
        ..OpportunityFields::default()
    }
}

/// The official SDK, unchanged, against the emulator: create, get, update, list, submit.
#[tokio::test]
async fn the_official_sdk_works_unchanged() {
    let emu = emulator().await;
    let conf = aws_sdk_partnercentralselling::config::Builder::from(&sdk_config(&emu))
        .endpoint_url(emu.url())
        .build();
    let sdk = aws_sdk_partnercentralselling::Client::from_conf(conf);
    let created = sdk
        .create_opportunity()
        .catalog("Sandbox")
        .customer(fields().customer.unwrap())
        .project(fields().project.unwrap())
        .opportunity_type(OpportunityType::NetNewBusiness)
        .primary_needs_from_aws(PrimaryNeedFromAws::CoSellArchitecturalValidation)
        .life_cycle(fields().life_cycle.unwrap())
        .send()
        .await
        .unwrap();
    let id = created.id().to_owned();
    let got = sdk
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.project().and_then(|p| p.title()),
        Some("Data platform migration")
    );
    let updated = sdk
        .update_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .last_modified_date(*got.last_modified_date())
        .set_customer(got.customer().cloned())
        .set_project(got.project().cloned())
        .set_opportunity_type(got.opportunity_type().cloned())
        .set_primary_needs_from_aws(Some(got.primary_needs_from_aws().to_vec()))
        .life_cycle(
            LifeCycle::builder()
                .stage(Stage::Qualified)
                .target_close_date("2030-06-30")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(updated.last_modified_date() > got.last_modified_date());
    let listed = sdk
        .list_opportunities()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.opportunity_summaries().len(), 1);
    sdk.associate_opportunity()
        .catalog("Sandbox")
        .opportunity_identifier(&id)
        .related_entity_type(aws_partner_central::types::RelatedEntityType::Solutions)
        .related_entity_identifier("S-0000001")
        .send()
        .await
        .unwrap();
    sdk.submit_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .involvement_type(SalesInvolvementType::CoSell)
        .send()
        .await
        .unwrap();
    let after = sdk
        .get_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after
            .life_cycle()
            .and_then(|l| l.review_status())
            .map(|s| s.as_str()),
        Some("Submitted")
    );
    // A typed ValidationException with its field list.
    let err = sdk
        .submit_opportunity()
        .catalog("Sandbox")
        .identifier(&id)
        .involvement_type(SalesInvolvementType::CoSell)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    match err {
        aws_sdk_partnercentralselling::operation::submit_opportunity::SubmitOpportunityError::ValidationException(v) => {
            assert_eq!(v.reason().as_str(), "BUSINESS_VALIDATION_FAILED");
            assert_eq!(v.error_list()[0].field_name(), Some("LifeCycle.ReviewStatus"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_crash_between_create_and_record_makes_no_duplicate() {
    let emu = emulator().await;
    let pc = client(&emu);
    // The token is stored before the call; the process dies before it records the id.
    let stored = ClientToken::new().as_str().to_owned();
    let lost = pc
        .create(
            &ClientToken::from_stored(stored.clone()).unwrap(),
            fields(),
            Vec::new(),
        )
        .await
        .unwrap();
    // After restart, the pending create is retried with the stored token.
    let again = pc
        .create(
            &ClientToken::from_stored(stored).unwrap(),
            fields(),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(again.id, lost.id);
    assert_eq!(pc.modified_since(None).await.unwrap().len(), 1);
    assert_eq!(emu.opportunities().len(), 1);
}

#[tokio::test]
async fn an_update_keeps_every_member_cosell_does_not_map() {
    let emu = emulator().await;
    let pc = client(&emu);
    let created = pc
        .create(&ClientToken::new(), fields(), Vec::new())
        .await
        .unwrap();
    let before = emu.opportunity("Sandbox", &created.id).unwrap();
    pc.update(&created.id, |f| {
        f.life_cycle = Some(
            LifeCycle::builder()
                .stage(Stage::Qualified)
                .target_close_date("2030-07-31")
                .next_steps("Workshop booked")
                .build(),
        );
    })
    .await
    .unwrap();
    let after = emu.opportunity("Sandbox", &created.id).unwrap();
    assert_eq!(after["LifeCycle"]["Stage"], "Qualified");
    for member in [
        "Customer",
        "Project",
        "Marketing",
        "PrimaryNeedsFromAws",
        "PartnerOpportunityIdentifier",
        "OpportunityType",
    ] {
        assert_eq!(after[member], before[member], "{member} changed");
    }
    assert_eq!(after["Project"]["ApnPrograms"][0], "APN Immersion Days");
}

#[tokio::test]
async fn a_stale_last_modified_date_is_a_conflict_and_update_rereads() {
    let emu = emulator().await;
    let pc = client(&emu);
    let created = pc
        .create(&ClientToken::new(), fields(), Vec::new())
        .await
        .unwrap();
    let stale = pc.get(&created.id).await.unwrap();
    pc.update(&created.id, |f| {
        f.partner_opportunity_identifier = Some("006000000000043AAA".into())
    })
    .await
    .unwrap();
    let err = pc.replace(&stale).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Conflict));
    assert!(!err.is_transient());
    // The read-modify-write starts from the current state and keeps the other change.
    pc.update(&created.id, |f| {
        f.national_security = Some(aws_partner_central::types::NationalSecurity::No)
    })
    .await
    .unwrap();
    let now = pc.get(&created.id).await.unwrap();
    assert_eq!(
        now.fields.partner_opportunity_identifier.as_deref(),
        Some("006000000000043AAA")
    );
}

#[tokio::test]
async fn validation_errors_name_the_fields_and_submission_reaches_review() {
    let emu = emulator().await;
    let pc = client(&emu);
    let created = pc
        .create(&ClientToken::new(), fields(), Vec::new())
        .await
        .unwrap();
    let err = pc
        .submit(&created.id, SalesInvolvementType::CoSell, Visibility::Full)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Validation));
    assert_eq!(
        err.fields()[0].field_name.as_deref(),
        Some("RelatedEntityIdentifiers.Solutions")
    );
    pc.associate_solution(&created.id, "S-0000001")
        .await
        .unwrap();
    pc.submit(&created.id, SalesInvolvementType::CoSell, Visibility::Full)
        .await
        .unwrap();
    let got = pc.get(&created.id).await.unwrap();
    assert_eq!(got.review_status().map(|s| s.as_str()), Some("Submitted"));
    let summary = pc.aws_summary(&created.id).await.unwrap();
    assert_eq!(
        summary.involvement_type().map(|s| s.as_str()),
        Some("Co-Sell")
    );
}
