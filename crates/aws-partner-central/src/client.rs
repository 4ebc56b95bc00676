//! The Partner Central Selling client: the official SDK with credentials
//! from the standard AWS chain, paced within the quotas, retried by the
//! SDK's standard strategy (exponential backoff with jitter on throttling,
//! 5xx and transport errors), with errors typed as [`Error`].

use std::num::NonZeroU32;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_partnercentralselling::config::retry::RetryConfig;
use aws_sdk_partnercentralselling::config::Region;
use aws_sdk_partnercentralselling::operation::get_aws_opportunity_summary::GetAwsOpportunitySummaryOutput;
use aws_sdk_partnercentralselling::operation::get_engagement_invitation::GetEngagementInvitationOutput;
use aws_sdk_partnercentralselling::operation::get_opportunity::GetOpportunityOutput;
use aws_sdk_partnercentralselling::primitives::DateTime;
use aws_sdk_partnercentralselling::types::{
    Contact, EngagementInvitationSummary, InvitationStatus, LastModifiedDate, OpportunitySummary,
    ParticipantType, RelatedEntityType, ReviewStatus, SalesInvolvementType, Visibility,
};

use crate::error::{Error, ErrorCode};
use crate::fields::OpportunityFields;
use crate::pace::Pacer;
use crate::token::ClientToken;

/// The region of the Selling API (it is served only from us-east-1).
pub const REGION: &str = "us-east-1";
/// `MaxResults` asked of list operations.
const PAGE_SIZE: i32 = 100;

/// `Catalog`: production or the sandbox for testing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Catalog {
    /// Real opportunities.
    Aws,
    /// The isolated testing catalog; use it first when going live.
    Sandbox,
}

impl Catalog {
    /// Every catalog.
    pub const ALL: [Catalog; 2] = [Catalog::Aws, Catalog::Sandbox];

    /// The catalog a wire value (`AWS`, `Sandbox`) names.
    pub fn parse(value: &str) -> Option<Catalog> {
        Self::ALL.into_iter().find(|c| c.as_str() == value)
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Catalog::Aws => "AWS",
            Catalog::Sandbox => "Sandbox",
        }
    }
}

/// How the client is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Which catalog every call addresses.
    pub catalog: Catalog,
    /// Signing region (default us-east-1).
    pub region: String,
    /// Another endpoint (the emulator); None is AWS's.
    pub endpoint_url: Option<String>,
    /// Read calls per second (quota: 10).
    pub reads_per_second: NonZeroU32,
    /// Write calls per second (quota: 1).
    pub writes_per_second: NonZeroU32,
    /// Attempts per call, the first included (SDK standard retry).
    pub max_attempts: u32,
    /// First backoff delay of the SDK's retries.
    pub initial_backoff: Duration,
    /// Times a read-modify-write update starts over after a `ConflictException`.
    pub conflict_retries: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            catalog: Catalog::Sandbox,
            region: REGION.into(),
            endpoint_url: None,
            reads_per_second: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            writes_per_second: NonZeroU32::MIN,
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            conflict_retries: 3,
        }
    }
}

/// An opportunity as read, ready for a read-modify-write update.
#[derive(Clone, Debug)]
pub struct Opportunity {
    /// `Id`.
    pub id: String,
    /// `LastModifiedDate` of this read: the update's optimistic lock.
    pub last_modified: DateTime,
    /// The members an update sends back.
    pub fields: OpportunityFields,
    /// The whole answer (review status, related entities, team, …).
    pub output: GetOpportunityOutput,
}

impl Opportunity {
    /// `LifeCycle.ReviewStatus`.
    pub fn review_status(&self) -> Option<&ReviewStatus> {
        self.output.life_cycle().and_then(|l| l.review_status())
    }
}

/// What a create returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    /// The new opportunity's `Id`.
    pub id: String,
    /// Its `LastModifiedDate`.
    pub last_modified: Option<DateTime>,
}

/// The Partner Central Selling client for one catalog.
#[derive(Debug)]
pub struct PartnerCentral {
    sdk: aws_sdk_partnercentralselling::Client,
    config: Config,
    pace: Pacer,
}

impl PartnerCentral {
    /// A client with credentials from the standard chain (environment,
    /// shared profile, web identity, ECS or EC2 instance role).
    pub async fn connect(config: Config) -> Self {
        let shared = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .load()
            .await;
        Self::from_sdk_config(&shared, config)
    }

    /// A client signing with one fixed access key (the emulator, tests and
    /// the demo; production uses [`PartnerCentral::connect`] and the chain).
    pub fn with_static_keys(access_key_id: &str, secret_access_key: &str, config: Config) -> Self {
        let credentials = aws_credential_types::Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "cosell-static",
        );
        let shared = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
            )
            .build();
        Self::from_sdk_config(&shared, config)
    }

    /// A client from an already loaded SDK configuration (e.g. static credentials in tests).
    pub fn from_sdk_config(shared: &SdkConfig, config: Config) -> Self {
        let mut builder = aws_sdk_partnercentralselling::config::Builder::from(shared)
            .region(Region::new(config.region.clone()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(config.max_attempts.max(1))
                    .with_initial_backoff(config.initial_backoff),
            );
        if let Some(url) = &config.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        Self {
            sdk: aws_sdk_partnercentralselling::Client::from_conf(builder.build()),
            pace: Pacer::new(config.reads_per_second, config.writes_per_second),
            config,
        }
    }

    fn catalog(&self) -> &'static str {
        self.config.catalog.as_str()
    }

    /// `CreateOpportunity` with a token the caller has already stored: after
    /// a crash, calling again with the same token returns the same
    /// opportunity instead of creating a second one.
    pub async fn create(
        &self,
        token: &ClientToken,
        fields: OpportunityFields,
        team: Vec<Contact>,
    ) -> Result<Created, Error> {
        self.pace.write().await;
        let request = self
            .sdk
            .create_opportunity()
            .catalog(self.catalog())
            .client_token(token.as_str())
            .set_opportunity_team((!team.is_empty()).then_some(team));
        let out = fields.on_create(request).send().await?;
        Ok(Created {
            id: out.id().to_owned(),
            last_modified: out.last_modified_date().copied(),
        })
    }

    /// `GetOpportunity`.
    pub async fn get(&self, id: &str) -> Result<Opportunity, Error> {
        self.pace.read().await;
        let out = self
            .sdk
            .get_opportunity()
            .catalog(self.catalog())
            .identifier(id)
            .send()
            .await?;
        Ok(Opportunity {
            id: out.id().to_owned(),
            last_modified: *out.last_modified_date(),
            fields: OpportunityFields::from_output(&out),
            output: out,
        })
    }

    /// `UpdateOpportunity` with every member of `opportunity.fields`, locked on
    /// the `LastModifiedDate` it was read with; a later change by anyone else
    /// makes it fail with [`ErrorCode::Conflict`]. Returns the new `LastModifiedDate`.
    pub async fn replace(&self, opportunity: &Opportunity) -> Result<DateTime, Error> {
        self.pace.write().await;
        let request = self
            .sdk
            .update_opportunity()
            .catalog(self.catalog())
            .identifier(&opportunity.id)
            .last_modified_date(opportunity.last_modified);
        let out = opportunity.fields.clone().on_update(request).send().await?;
        Ok(*out.last_modified_date())
    }

    /// Read-modify-write: reads the opportunity, lets `edit` change the
    /// members cosell maps, and sends the whole back; on a conflict it starts
    /// over from a fresh read (up to `conflict_retries` times), so no member
    /// set by AWS or by hand in Partner Central is ever nulled or overwritten
    /// with a stale value.
    pub async fn update(
        &self,
        id: &str,
        mut edit: impl FnMut(&mut OpportunityFields),
    ) -> Result<DateTime, Error> {
        let mut attempt = 0;
        loop {
            let mut current = self.get(id).await?;
            edit(&mut current.fields);
            match self.replace(&current).await {
                Err(e)
                    if e.code() == Some(&ErrorCode::Conflict)
                        && attempt < self.config.conflict_retries =>
                {
                    attempt += 1;
                    tracing::debug!(
                        id,
                        attempt,
                        "opportunity changed meanwhile; reading it again"
                    );
                }
                other => return other,
            }
        }
    }

    /// The cheapest read: `ListOpportunities` with `MaxResults` 1. It
    /// succeeds when credentials resolve from the chain, the caller may call
    /// the Selling API and the catalog answers (`cosell doctor`).
    pub async fn probe(&self) -> Result<(), Error> {
        self.pace.read().await;
        self.sdk
            .list_opportunities()
            .catalog(self.catalog())
            .max_results(1)
            .send()
            .await?;
        Ok(())
    }

    /// `ListOpportunities` modified after `after` (all when None), every page.
    pub async fn modified_since(
        &self,
        after: Option<DateTime>,
    ) -> Result<Vec<OpportunitySummary>, Error> {
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            self.pace.read().await;
            let filter = after.map(|t| {
                LastModifiedDate::builder()
                    .after_last_modified_date(t)
                    .build()
            });
            let out = self
                .sdk
                .list_opportunities()
                .catalog(self.catalog())
                .max_results(PAGE_SIZE)
                .set_last_modified_date(filter)
                .set_next_token(next.take())
                .send()
                .await?;
            found.extend(out.opportunity_summaries().iter().cloned());
            match out.next_token() {
                Some(t) => next = Some(t.to_owned()),
                None => return Ok(found),
            }
        }
    }

    /// `AssociateOpportunity` with a partner solution.
    pub async fn associate_solution(&self, id: &str, solution: &str) -> Result<(), Error> {
        self.pace.write().await;
        self.sdk
            .associate_opportunity()
            .catalog(self.catalog())
            .opportunity_identifier(id)
            .related_entity_type(RelatedEntityType::Solutions)
            .related_entity_identifier(solution)
            .send()
            .await?;
        Ok(())
    }

    /// `SubmitOpportunity`: hands it to AWS for review.
    pub async fn submit(
        &self,
        id: &str,
        involvement: SalesInvolvementType,
        visibility: Visibility,
    ) -> Result<(), Error> {
        self.pace.write().await;
        self.sdk
            .submit_opportunity()
            .catalog(self.catalog())
            .identifier(id)
            .involvement_type(involvement)
            .visibility(visibility)
            .send()
            .await?;
        Ok(())
    }

    /// `GetAwsOpportunitySummary`: the AWS side (stage, team, insights).
    pub async fn aws_summary(&self, id: &str) -> Result<GetAwsOpportunitySummaryOutput, Error> {
        self.pace.read().await;
        Ok(self
            .sdk
            .get_aws_opportunity_summary()
            .catalog(self.catalog())
            .related_opportunity_identifier(id)
            .send()
            .await?)
    }

    /// `ListEngagementInvitations` received and still pending, every page.
    pub async fn pending_invitations(&self) -> Result<Vec<EngagementInvitationSummary>, Error> {
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        loop {
            self.pace.read().await;
            let out = self
                .sdk
                .list_engagement_invitations()
                .catalog(self.catalog())
                .participant_type(ParticipantType::Receiver)
                .status(InvitationStatus::Pending)
                .max_results(PAGE_SIZE)
                .set_next_token(next.take())
                .send()
                .await?;
            found.extend(out.engagement_invitation_summaries().iter().cloned());
            match out.next_token() {
                Some(t) => next = Some(t.to_owned()),
                None => return Ok(found),
            }
        }
    }

    /// `GetEngagementInvitation`.
    pub async fn invitation(&self, id: &str) -> Result<GetEngagementInvitationOutput, Error> {
        self.pace.read().await;
        Ok(self
            .sdk
            .get_engagement_invitation()
            .catalog(self.catalog())
            .identifier(id)
            .send()
            .await?)
    }

    /// `AcceptEngagementInvitation`.
    pub async fn accept_invitation(&self, id: &str) -> Result<(), Error> {
        self.pace.write().await;
        self.sdk
            .accept_engagement_invitation()
            .catalog(self.catalog())
            .identifier(id)
            .send()
            .await?;
        Ok(())
    }

    /// `RejectEngagementInvitation` with the seller's reason.
    pub async fn reject_invitation(&self, id: &str, reason: Option<&str>) -> Result<(), Error> {
        self.pace.write().await;
        self.sdk
            .reject_engagement_invitation()
            .catalog(self.catalog())
            .identifier(id)
            .set_rejection_reason(reason.map(str::to_owned))
            .send()
            .await?;
        Ok(())
    }
}
