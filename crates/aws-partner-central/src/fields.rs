//! The partner-writable members of an opportunity, as one value.
//!
//! `UpdateOpportunity` replaces the whole opportunity: an omitted member
//! becomes null
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/API_UpdateOpportunity.html>).
//! [`OpportunityFields`] holds every member the update takes, read from
//! `GetOpportunity`, so that cosell changes only what it maps and sends back
//! everything else untouched.

use aws_sdk_partnercentralselling::operation::create_opportunity::builders::CreateOpportunityFluentBuilder;
use aws_sdk_partnercentralselling::operation::get_opportunity::GetOpportunityOutput;
use aws_sdk_partnercentralselling::operation::update_opportunity::builders::UpdateOpportunityFluentBuilder;
use aws_sdk_partnercentralselling::types::{
    Customer, LifeCycle, Marketing, NationalSecurity, OpportunityType, PrimaryNeedFromAws, Project,
    SoftwareRevenue,
};

/// Every member `CreateOpportunity` and `UpdateOpportunity` share.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpportunityFields {
    /// `PrimaryNeedsFromAws`.
    pub primary_needs_from_aws: Vec<PrimaryNeedFromAws>,
    /// `NationalSecurity`.
    pub national_security: Option<NationalSecurity>,
    /// `PartnerOpportunityIdentifier`: the CRM record id.
    pub partner_opportunity_identifier: Option<String>,
    /// `Customer`.
    pub customer: Option<Customer>,
    /// `Project`.
    pub project: Option<Project>,
    /// `OpportunityType`.
    pub opportunity_type: Option<OpportunityType>,
    /// `Marketing`.
    pub marketing: Option<Marketing>,
    /// `SoftwareRevenue`.
    pub software_revenue: Option<SoftwareRevenue>,
    /// `LifeCycle` (its review members are read-only and ignored by the service).
    pub life_cycle: Option<LifeCycle>,
}

impl OpportunityFields {
    /// The members of a `GetOpportunity` answer.
    pub fn from_output(out: &GetOpportunityOutput) -> Self {
        Self {
            primary_needs_from_aws: out.primary_needs_from_aws().to_vec(),
            national_security: out.national_security().cloned(),
            partner_opportunity_identifier: out.partner_opportunity_identifier().map(str::to_owned),
            customer: out.customer().cloned(),
            project: out.project().cloned(),
            opportunity_type: out.opportunity_type().cloned(),
            marketing: out.marketing().cloned(),
            software_revenue: out.software_revenue().cloned(),
            life_cycle: out.life_cycle().cloned(),
        }
    }

    fn needs(&self) -> Option<Vec<PrimaryNeedFromAws>> {
        (!self.primary_needs_from_aws.is_empty()).then(|| self.primary_needs_from_aws.clone())
    }

    /// Sets every member on a create request.
    pub(crate) fn on_create(
        self,
        b: CreateOpportunityFluentBuilder,
    ) -> CreateOpportunityFluentBuilder {
        b.set_primary_needs_from_aws(self.needs())
            .set_national_security(self.national_security)
            .set_partner_opportunity_identifier(self.partner_opportunity_identifier)
            .set_customer(self.customer)
            .set_project(self.project)
            .set_opportunity_type(self.opportunity_type)
            .set_marketing(self.marketing)
            .set_software_revenue(self.software_revenue)
            .set_life_cycle(self.life_cycle)
    }

    /// Sets every member on an update request (all of them: the update replaces the whole).
    pub(crate) fn on_update(
        self,
        b: UpdateOpportunityFluentBuilder,
    ) -> UpdateOpportunityFluentBuilder {
        b.set_primary_needs_from_aws(self.needs())
            .set_national_security(self.national_security)
            .set_partner_opportunity_identifier(self.partner_opportunity_identifier)
            .set_customer(self.customer)
            .set_project(self.project)
            .set_opportunity_type(self.opportunity_type)
            .set_marketing(self.marketing)
            .set_software_revenue(self.software_revenue)
            .set_life_cycle(self.life_cycle)
    }
}
