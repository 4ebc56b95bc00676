//! `[aws]`: checked only when enabled. Enumerations are checked against the
//! values of the AWS SDK's own types, so the configuration accepts exactly
//! what the Selling API does
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_SubmitOpportunity.html>,
//! <https://docs.aws.amazon.com/partner-central/latest/APIReference/API_LifeCycle.html>).

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use aws_partner_central::types::{OpportunityType, SalesInvolvementType, Stage, Visibility};
use aws_partner_central::{Catalog, REGION};

use super::super::defaults as d;
use super::super::file::AwsFile;
use super::super::parse::unknown_value;
use super::super::values::{https_url, in_range};
use super::super::{secrets, AwsConfig, AwsCredentials};
use super::{Builder, Issue};

/// AWS stages that only a won or lost Salesforce stage maps to.
const CLOSING_STAGES: [&str; 2] = ["Launched", "Closed Lost"];

/// Prefix of a partner solution id (`S-0000001`).
const SOLUTION_ID_PREFIX: &str = "S-";

impl Builder<'_> {
    /// `[aws]`: None inside when it is not enabled.
    pub(super) fn aws(&mut self, f: AwsFile) -> Option<Option<AwsConfig>> {
        if !f.enabled {
            return Some(None);
        }
        let catalog = self.catalog(&f.catalog);
        let region = self.required(
            "aws.region",
            Some(f.region),
            &format!("set it to \"{REGION}\", where the Selling API is served"),
        );
        if region.as_deref().is_some_and(|r| r != REGION) {
            self.warn(
                "aws.region",
                format!("the Selling API is served only from {REGION}; calls signed for another region fail unless endpoint_url points elsewhere"),
            );
        }
        let endpoint_url = match f.endpoint_url {
            Some(value) => self
                .ok(https_url(
                    "aws.endpoint_url",
                    &value,
                    "http://127.0.0.1:9083",
                ))
                .map(|url| Some(url.to_string().trim_end_matches('/').to_owned())),
            None => Some(None),
        };
        let reads = self.rate("reads_per_second", f.reads_per_second, d::AWS_READ_QUOTA);
        let writes = self.rate("writes_per_second", f.writes_per_second, d::AWS_WRITE_QUOTA);
        let reconcile = self.ok(in_range(
            "aws.reconcile_seconds",
            f.reconcile_seconds,
            1,
            d::MAX_SECONDS,
            "",
        ));
        let webhook_header = self.webhook_header(&f.webhook_header);
        let solution_ids = self.solution_ids(f.solution_ids);
        let involvement = self.one_of(
            "aws.involvement",
            f.involvement,
            SalesInvolvementType::values(),
        );
        let visibility = self.one_of("aws.visibility", f.visibility, Visibility::values());
        let opportunity_type = self.one_of(
            "aws.opportunity_type",
            f.opportunity_type,
            OpportunityType::values(),
        );
        let stages = self.aws_stages(f.stages);
        let fields = self.custom_names("aws.fields", f.fields.entries());
        let webhook_key = self.required_secret(
            secrets::AWS_WEBHOOK_KEY,
            "[aws] is enabled, and EventBridge's API destination sends this key to /webhooks/aws (docs/AWS.md, \"EventBridge routing\")",
        );
        let catalog = catalog?;
        let client = aws_partner_central::Config {
            catalog,
            region: region?,
            endpoint_url: endpoint_url?,
            reads_per_second: reads?,
            writes_per_second: writes?,
            ..aws_partner_central::Config::default()
        };
        Some(Some(AwsConfig {
            settings: sync::aws::AwsSettings {
                catalog: catalog.as_str().to_owned(),
                solution_ids: solution_ids?,
                involvement: involvement?,
                visibility: visibility?,
                opportunity_type: opportunity_type?,
                stages: stages?,
                fields: fields?,
            },
            client,
            webhook_header: webhook_header?,
            webhook_key: webhook_key?,
            reconcile: Duration::from_secs(u64::try_from(reconcile?).ok()?),
            credentials: AwsCredentials::Chain,
        }))
    }

    /// `aws.catalog`: `AWS` or `Sandbox`.
    fn catalog(&mut self, value: &str) -> Option<Catalog> {
        let value = value.trim();
        let result = Catalog::parse(value)
            .ok_or_else(|| unknown_value("aws.catalog", value, &Catalog::ALL.map(Catalog::as_str)));
        self.ok(result)
    }

    /// A value the SDK's enumeration knows.
    fn one_of(&mut self, key: &str, value: String, allowed: &[&str]) -> Option<String> {
        let value = value.trim().to_owned();
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.ok(Err(unknown_value(key, &value, allowed)))
        }
    }

    /// Calls per second: at least one; above the Selling API's quota is
    /// allowed but warned about.
    fn rate(&mut self, name: &str, value: i64, quota: i64) -> Option<NonZeroU32> {
        let key = format!("aws.{name}");
        let value = self.ok(in_range(&key, value, 1, d::MAX_AWS_CALLS_PER_SECOND, ""))?;
        if value > quota {
            self.warn(
                &key,
                format!("{value} is above the Selling API's quota of {quota} per second per partner account: the calls beyond it are throttled and retried"),
            );
        }
        u32::try_from(value).ok().and_then(NonZeroU32::new)
    }

    /// `aws.webhook_header`: a valid HTTP header name, kept in lower case.
    fn webhook_header(&mut self, value: &str) -> Option<String> {
        let value = value.trim().to_ascii_lowercase();
        let result = axum::http::HeaderName::from_bytes(value.as_bytes())
            .map(|name| name.as_str().to_owned())
            .map_err(|_| {
                Issue::new(
                    "aws.webhook_header",
                    format!("{value:?} is not an HTTP header name"),
                    format!(
                        "use the header name of the API destination's API-key connection, e.g. \"{}\"",
                        d::text("aws.webhook_header")
                    ),
                )
            });
        self.ok(result)
    }

    /// `aws.solution_ids`: at least one, each `S-` and digits.
    fn solution_ids(&mut self, ids: Vec<String>) -> Option<Vec<String>> {
        const KEY: &str = "aws.solution_ids";
        const FIX: &str = "list your solution ids from Partner Central (Solutions), e.g. solution_ids = [\"S-0000001\"]";
        if ids.is_empty() {
            return self.ok(Err(Issue::new(
                KEY,
                "is empty; AWS accepts a submitted opportunity only with at least one partner solution",
                FIX,
            )));
        }
        let checked: Vec<Option<String>> = ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| {
                let id = id.trim().to_owned();
                let digits = id.strip_prefix(SOLUTION_ID_PREFIX).unwrap_or_default();
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    Some(id)
                } else {
                    self.ok(Err(Issue::new(
                        format!("{KEY}.{i}"),
                        format!("{id:?} is not a solution id (\"S-\" and digits)"),
                        FIX,
                    )))
                }
            })
            .collect();
        checked.into_iter().collect()
    }

    /// `[aws.stages]`: each a Salesforce stage name to an open AWS stage.
    fn aws_stages(&mut self, stages: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
        let open: Vec<&str> = Stage::values()
            .iter()
            .copied()
            .filter(|s| !CLOSING_STAGES.contains(s))
            .collect();
        let checked: Vec<Option<(String, String)>> = stages
            .into_iter()
            .map(|(salesforce, aws)| {
                let key = format!("aws.stages.{salesforce:?}");
                let aws = aws.trim().to_owned();
                let salesforce = salesforce.trim().to_owned();
                if salesforce.is_empty() {
                    return self.ok(Err(Issue::new(
                        key,
                        "names no Salesforce stage",
                        "write the API name of an open Salesforce stage, e.g. \"Qualification\" = \"Qualified\"",
                    )));
                }
                if CLOSING_STAGES.contains(&aws.as_str()) {
                    return self.ok(Err(Issue::new(
                        key,
                        format!("\"{aws}\" is set by the won and lost stages, not by an open stage"),
                        format!("map open stages to one of {}", open.join(", ")),
                    )));
                }
                if !Stage::values().contains(&aws.as_str()) {
                    return self.ok(Err(unknown_value(&key, &aws, &open)));
                }
                Some((salesforce, aws))
            })
            .collect();
        checked.into_iter().collect()
    }
}
