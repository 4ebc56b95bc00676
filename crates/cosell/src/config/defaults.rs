//! Default values of optional settings, and the limits of numeric ones.
//! `config/cosell.example.toml` and `docs/CONFIGURATION.md` repeat them.

/// `partner_center.api_url`: the Referrals API (<https://learn.microsoft.com/en-us/partner-center/developer/referrals-api-introduction>).
pub const PC_API_URL: &str = "https://api.partner.microsoft.com/v1.0/engagements";
/// `partner_center.webhooks_url`: the Webhooks API (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const PC_WEBHOOKS_URL: &str = "https://api.partnercenter.microsoft.com/webhooks/v1";
/// `partner_center.webhook_cert_url_prefixes`: where Partner Center's signing
/// certificate is published (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const PC_WEBHOOK_CERT_URL_PREFIX: &str = "https://3psostorageacct.blob.core.windows.net/cert/";
/// `partner_center.webhook_issuer_organization` (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const PC_WEBHOOK_ISSUER_ORGANIZATION: &str = "Microsoft Corporation";
/// `partner_center.portal_url`: base of referral links.
pub const PC_PORTAL_URL: &str = "https://partner.microsoft.com/dashboard/v2/referrals/cosell";
/// Host of the Microsoft Entra ID token endpoint.
pub const ENTRA_LOGIN_HOST: &str = "login.microsoftonline.com";

/// `salesforce.login_url`: production orgs.
pub const SF_LOGIN_URL: &str = "https://login.salesforce.com";
/// Login URL of sandbox orgs.
pub const SF_SANDBOX_LOGIN_URL: &str = "https://test.salesforce.com";
/// `salesforce.api_version`.
pub const SF_API_VERSION: &str = "v62.0";

/// `sync.show_checkmark`.
pub const SHOW_CHECKMARK: bool = true;
/// `sync.country_code_field` (on Account).
pub const COUNTRY_CODE_FIELD: &str = "BillingCountry";
/// `sync.deal_value_field` (on Opportunity).
pub const DEAL_VALUE_FIELD: &str = "Amount";
/// `sync.currency_field` (on Opportunity).
pub const CURRENCY_FIELD: &str = "CurrencyIsoCode";
/// `sync.co_sell_only`.
pub const CO_SELL_ONLY: bool = true;

/// `sync.fields.sync_flag`.
pub const FIELD_SYNC_FLAG: &str = "Sync_with_Partner_Center__c";
/// `sync.fields.referral_id`.
pub const FIELD_REFERRAL_ID: &str = "Referral_Identifier__c";
/// `sync.fields.referral_link`.
pub const FIELD_REFERRAL_LINK: &str = "Referral_Link__c";
/// `sync.fields.help`.
pub const FIELD_HELP: &str = "How_can_Microsoft_help__c";
/// `sync.fields.visibility`.
pub const FIELD_VISIBILITY: &str = "Microsoft_Referral_Visibility__c";
/// `sync.fields.microsoft_crm_id`.
pub const FIELD_MICROSOFT_CRM_ID: &str = "Microsoft_CRM_Identifier__c";
/// `sync.fields.audit`.
pub const FIELD_AUDIT: &str = "Audit__c";
/// `sync.fields.solution_object`.
pub const FIELD_SOLUTION_OBJECT: &str = "Microsoft_Solution__c";
/// `sync.fields.solution_opportunity_field`.
pub const FIELD_SOLUTION_OPPORTUNITY: &str = "Opportunity__c";
/// `sync.fields.solution_id_field`.
pub const FIELD_SOLUTION_ID: &str = "Solution_Id__c";
/// `sync.fields.partner_role`.
pub const FIELD_PARTNER_ROLE: &str = "Partner_Role__c";
/// `sync.fields.solution_area`.
pub const FIELD_SOLUTION_AREA: &str = "Solution_Area__c";
/// `sync.fields.solution_play`.
pub const FIELD_SOLUTION_PLAY: &str = "Solution_Play__c";
/// `sync.fields.marketplace_intent`.
pub const FIELD_MARKETPLACE_INTENT: &str = "Marketplace_Purchase_Intent__c";

/// `store.url`: an SQLite file next to the config file.
pub const STORE_URL: &str = "sqlite://cosell.db";

/// `server.listen`.
pub const LISTEN: &str = "127.0.0.1:8080";
/// `server.admin_listen`: this machine only.
pub const ADMIN_LISTEN: &str = "127.0.0.1:8081";
/// `server.header_read_timeout_seconds`: a slow client's headers, or an idle
/// keep-alive connection, hold a connection no longer than this.
pub const HEADER_READ_TIMEOUT_SECONDS: i64 = 10;
/// `server.body_read_timeout_seconds`.
pub const BODY_READ_TIMEOUT_SECONDS: i64 = 30;
/// Longest allowed read timeout.
pub const MAX_READ_TIMEOUT_SECONDS: i64 = 600;
/// `server.max_connections`: open connections of both listeners together.
pub const MAX_CONNECTIONS: i64 = 4096;
/// `server.max_connections_per_ip`.
pub const MAX_CONNECTIONS_PER_IP: i64 = 256;
/// Largest allowed `server.max_connections`.
pub const MAX_MAX_CONNECTIONS: i64 = 1_000_000;
/// `server.webhook_body_limit_bytes`: 1 MiB, as recommended for Partner
/// Center webhook receivers (<https://learn.microsoft.com/en-us/partner-center/developer/partner-center-webhooks>).
pub const WEBHOOK_BODY_LIMIT_BYTES: i64 = 1024 * 1024;
/// Smallest allowed webhook body limit (a referral event is a few hundred bytes).
pub const MIN_WEBHOOK_BODY_LIMIT_BYTES: i64 = 1024;
/// Largest allowed webhook body limit.
pub const MAX_WEBHOOK_BODY_LIMIT_BYTES: i64 = 16 * 1024 * 1024;

/// `worker.concurrency`.
pub const CONCURRENCY: i64 = 4;
/// Largest `worker.concurrency`.
pub const MAX_CONCURRENCY: i64 = 256;
/// `worker.batch_size`.
pub const BATCH_SIZE: i64 = 50;
/// Largest `worker.batch_size`: sObject Collections take at most 200 records
/// per call (<https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm>).
pub const MAX_BATCH_SIZE: i64 = 200;
/// `worker.max_attempts`.
pub const MAX_ATTEMPTS: i64 = 8;
/// Largest `worker.max_attempts`.
pub const MAX_MAX_ATTEMPTS: i64 = 100;
/// `worker.lease_seconds`.
pub const LEASE_SECONDS: i64 = 60;
/// `worker.salesforce_poll_seconds`.
pub const SALESFORCE_POLL_SECONDS: i64 = 10;
/// `worker.partner_center_reconcile_seconds`.
pub const PARTNER_CENTER_RECONCILE_SECONDS: i64 = 300;
/// `worker.poll_overlap_seconds`.
pub const POLL_OVERLAP_SECONDS: i64 = 5;
/// Largest interval or lease, in seconds (one day).
pub const MAX_SECONDS: i64 = 24 * 60 * 60;
/// Largest `worker.poll_overlap_seconds` (one hour).
pub const MAX_POLL_OVERLAP_SECONDS: i64 = 60 * 60;

/// `server.sign_in.login_url`: Microsoft Entra ID's global cloud.
pub const SIGN_IN_LOGIN_URL: &str = "https://login.microsoftonline.com";
/// `server.sign_in.session_hours`: a working day.
pub const SESSION_HOURS: i64 = 8;
/// Longest `server.sign_in.session_hours`: a week.
pub const MAX_SESSION_HOURS: i64 = 168;
