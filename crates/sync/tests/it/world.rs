//! A test world: both emulators, a fresh SQLite store and an engine wired to
//! them, with helpers that read like what sellers do.

use salesforce::SalesforceId;
use std::sync::Arc;
use std::time::Duration;

use emulator::partner_center::{ODataMode, Options as PcOptions, PartnerCenterEmulator};
use emulator::salesforce::{Options as SfOptions, Profile, SalesforceEmulator};
use partner_center::auth::{Grant as PcGrant, TokenConfig};
use partner_center::{EntraTokenProvider, ReferralsClient};
use salesforce::auth::{Grant as SfGrant, OAuthConfig, OAuthTokenProvider};
use salesforce::SalesforceClient;
use serde_json::{json, Value};
use store::Store;
use sync::engine::PassReport;
use sync::{Engine, Settings};
use url::Url;

/// The org profile the suite runs against: `COSELL_TEST_SF_PROFILE`
/// (`demo`, `enterprise`, `single-currency`), else the enterprise-like org,
/// the closest to partners' production orgs.
pub fn profile_under_test() -> Profile {
    match std::env::var("COSELL_TEST_SF_PROFILE") {
        Ok(name) => name
            .parse()
            .unwrap_or_else(|e| panic!("COSELL_TEST_SF_PROFILE: {e}")),
        Err(_) => Profile::Enterprise,
    }
}

/// `settings` as the connector must be configured for an org of `profile`
/// (what `cosell setup salesforce` and `cosell doctor` tell the admin): with
/// State and Country/Territory Picklists on, countries go to
/// `BillingCountryCode`; with record types, new opportunities are
/// `Partner_Deal`s (the default record type's sales process has no On
/// Hold); a single-currency org keeps every amount in its one currency.
pub fn fitted(mut settings: Settings, profile: Profile) -> Settings {
    let defaults = Settings::default();
    if profile.country_picklists() && settings.country_code_field == defaults.country_code_field {
        settings.country_code_field = "BillingCountryCode".into();
    }
    if profile.record_types() && settings.opportunity_record_type.is_none() {
        settings.opportunity_record_type = Some(emulator::salesforce::PARTNER_RECORD_TYPE.into());
    }
    if !profile.multi_currency() && settings.currency_field == defaults.currency_field {
        settings.currency_field = String::new();
        settings.org_currency = Some(emulator::salesforce::CORPORATE_CURRENCY.into());
    }
    settings
}

pub struct World {
    pub pc: PartnerCenterEmulator,
    pub sf: SalesforceEmulator,
    pub engine: Engine,
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl World {
    /// The org of the profile under test (see [`profile_under_test`]) with
    /// the default settings, fitted to it.
    pub async fn new() -> Self {
        Self::in_profile(profile_under_test()).await
    }

    /// The org of the profile under test with `settings`, fitted to it.
    pub async fn with_settings(settings: Settings) -> Self {
        let profile = profile_under_test();
        Self::with(fitted(settings, profile), SfOptions::for_profile(profile)).await
    }

    pub async fn with(settings: Settings, sf_options: SfOptions) -> Self {
        Self::with_emulators(settings, PcOptions::default(), sf_options).await
    }

    /// An org of this profile (`emulator::salesforce::Profile`) with the
    /// default settings.
    /// With State and Country/Territory Picklists on, countries go to
    /// `BillingCountryCode` (the text field takes country names); with
    /// record types, new opportunities are `Partner_Deal`s.
    pub async fn in_profile(profile: Profile) -> Self {
        Self::with(
            fitted(Settings::default(), profile),
            SfOptions::for_profile(profile),
        )
        .await
    }

    /// The org of the profile under test if it has multiple currencies,
    /// else the enterprise-like org: for stories about a deal's currency.
    pub async fn multi_currency() -> Self {
        let profile = Some(profile_under_test())
            .filter(|p| p.multi_currency())
            .unwrap_or(Profile::Enterprise);
        Self::in_profile(profile).await
    }

    /// The demo org against a Partner Center honouring `$filter` as `mode` says.
    pub async fn in_odata_mode(mode: ODataMode) -> Self {
        let mut pc_options = PcOptions::default();
        pc_options.rules.odata = mode;
        Self::with_emulators(Settings::default(), pc_options, SfOptions::default()).await
    }

    pub async fn with_emulators(
        settings: Settings,
        pc_options: PcOptions,
        sf_options: SfOptions,
    ) -> Self {
        let pc = PartnerCenterEmulator::start(listener().await, pc_options)
            .await
            .unwrap();
        let sf = SalesforceEmulator::start(listener().await, sf_options)
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = store::open(&format!("sqlite://{}/cosell.db", dir.path().display()))
            .await
            .unwrap();
        let engine = engine(&pc, &sf, store.clone(), settings);
        Self {
            pc,
            sf,
            engine,
            store,
            _dir: dir,
        }
    }

    /// An engine over the same store and emulators with other settings.
    pub fn reconfigure(&mut self, settings: Settings) {
        self.engine = engine(&self.pc, &self.sf, self.store.clone(), settings);
    }

    /// The engine reads the time from `clock` instead of the org's.
    pub fn set_clock(&mut self, clock: sync::engine::Clock) {
        let settings = self.engine.settings().clone();
        self.engine = engine(&self.pc, &self.sf, self.store.clone(), settings).with_clock(clock);
    }

    /// One full pass, like `cosell sync`.
    pub async fn pass(&self) -> PassReport {
        self.engine
            .full_pass(200, chrono::Duration::seconds(5))
            .await
            .expect("the pass runs")
    }

    /// One full pass that must stop before it syncs: its error.
    pub async fn pass_error(&self) -> String {
        self.engine
            .full_pass(200, chrono::Duration::seconds(5))
            .await
            .err()
            .map(|e| e.to_string())
            .expect("the pass stops with an error")
    }

    /// Passes until nothing is left to retry (at most `n`).
    pub async fn passes_until_settled(&self, n: usize) -> PassReport {
        let mut report = self.pass().await;
        for _ in 1..n {
            if report.summary.retryable == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            report = self.pass().await;
        }
        report
    }

    // ---- a Salesforce seller ----

    /// An account; the country goes to the configured country field.
    /// Time passes for everyone: both emulators' clocks move `by` ahead,
    /// and the engine reads the time from Salesforce's, as a deployed
    /// connector reads the one clock both services keep.
    pub fn let_time_pass(&mut self, by: Duration) {
        let clock = self.sf.clock();
        self.set_clock(Arc::new(clock));
        self.sf.advance_clock(by);
        self.pc.advance_clock(by);
    }

    pub fn account(&self, name: &str, country: Option<&str>) -> String {
        let mut fields = json!({ "Name": name, "BillingCity": "Redmond" });
        fields[&self.engine.settings().country_code_field] = json!(country);
        self.sf.insert("Account", fields).unwrap()
    }

    /// An opportunity with Sync checked; `extra` overrides fields.
    pub fn opportunity(&self, name: &str, account_id: &str, extra: Value) -> String {
        let mut fields = json!({
            "Name": name, "StageName": "Prospecting", "CloseDate": "2027-06-30", "Amount": 50000,
            "AccountId": account_id, "Sync_with_Partner_Center__c": true,
        });
        if self.sf.multi_currency() {
            fields["CurrencyIsoCode"] = json!("USD");
        }
        merge(&mut fields, extra);
        self.sf.insert("Opportunity", fields).unwrap()
    }

    pub fn contact_role(
        &self,
        opportunity_id: &str,
        account_id: &str,
        last: &str,
        email: &str,
    ) -> String {
        let contact = self
            .sf
            .insert("Contact", json!({ "FirstName": "Sue", "LastName": last, "Email": email, "AccountId": account_id }))
            .unwrap();
        self.sf
            .insert(
                "OpportunityContactRole",
                json!({ "OpportunityId": opportunity_id, "ContactId": contact, "IsPrimary": true }),
            )
            .unwrap()
    }

    pub fn solution(&self, opportunity_id: &str, solution_id: &str) -> String {
        self.sf
            .insert(
                "Microsoft_Solution__c",
                json!({ "Name": solution_id, "Opportunity__c": opportunity_id, "Solution_Id__c": solution_id }),
            )
            .unwrap()
    }

    /// A complete co-sell opportunity: help chosen, a contact role, a solution.
    pub fn co_sell_opportunity(&self, name: &str) -> String {
        emulator::sellers::co_sell_opportunity(&self.sf, name, "US")
            .unwrap()
            .opportunity
    }

    /// An admin adds a custom field through the Tooling API (`metadata`:
    /// its `Metadata`) and, where the org enforces field-level security,
    /// grants it to the integration user in the connector's permission set.
    pub async fn add_custom_field(&self, object: &str, name: &str, metadata: Value) {
        let full_name = format!("{object}.{name}");
        self.engine
            .salesforce()
            .tooling_create(
                "CustomField",
                &json!({ "FullName": full_name, "Metadata": metadata }),
            )
            .await
            .unwrap();
        let connector_set = self
            .sf
            .records("PermissionSet")
            .into_iter()
            .find(|s| s["Name"] == "Cosell_Connector");
        if let Some(set) = connector_set {
            self.sf
                .insert(
                    "FieldPermissions",
                    json!({ "ParentId": set["Id"], "SobjectType": object, "Field": full_name,
                            "PermissionsRead": true, "PermissionsEdit": true }),
                )
                .unwrap();
        }
    }

    pub fn edit(&self, object: &str, id: &str, fields: Value) {
        self.sf.update(object, id, fields).unwrap();
    }

    pub fn opp(&self, id: &str) -> Value {
        self.sf
            .record("Opportunity", id)
            .expect("the opportunity exists")
    }

    pub fn opportunities(&self) -> Vec<Value> {
        self.sf.records("Opportunity")
    }

    pub fn count(&self, object: &str) -> usize {
        self.sf.records(object).len()
    }

    /// The opportunity carrying a referral id.
    pub fn opp_for_referral(&self, referral_id: &str) -> Value {
        let matches: Vec<Value> = self
            .opportunities()
            .into_iter()
            .filter(|o| o["Referral_Identifier__c"] == json!(referral_id))
            .collect();
        assert_eq!(
            matches.len(),
            1,
            "exactly one opportunity for referral {referral_id}"
        );
        matches.into_iter().next().unwrap()
    }

    // ---- a Microsoft seller ----

    /// Microsoft shares a co-sell referral with the partner.
    pub fn microsoft_shares(&self, name: &str) -> String {
        self.microsoft_shares_with(name, json!({}))
    }

    pub fn microsoft_shares_with(&self, name: &str, extra: Value) -> String {
        let mut body = emulator::sellers::co_sell_referral(name);
        merge(&mut body, extra);
        let referral = self
            .pc
            .share_referral(body)
            .expect("the emulator accepts the shared referral");
        referral["id"].as_str().unwrap().to_owned()
    }

    /// What a first attempt to share `opportunity` left when it died between
    /// creating the referral for `deal` and recording it: the recorded
    /// intent and the referral in Partner Center.
    pub async fn interrupted_share(
        &self,
        opportunity: &str,
        deal: &sync::Deal,
    ) -> partner_center::wire::Referral {
        let mut intent = store::Pair::new(deal.name.clone());
        intent.opportunity_id = Some(opportunity.to_owned());
        self.store.save_pair(&intent).await.unwrap();
        // The first attempt sent the opportunity's marketplace intent, as
        // every create does.
        let field = &self.engine.settings().fields.marketplace_intent;
        let mut deal = deal.clone();
        deal.fy26.marketplace_intent = self.opp(opportunity)[field].as_str().map(String::from);
        self.engine
            .partner_center()
            .create(&sync::referral_map::new_referral(&deal, opportunity, &[]))
            .await
            .unwrap()
    }

    /// A Microsoft seller sets one field of a referral (`path` a JSON Pointer).
    pub fn microsoft_sets(&self, id: &str, path: &str, value: Value) {
        self.pc
            .microsoft_update(
                id,
                json!([{ "op": "replace", "path": path, "value": value }]),
            )
            .expect("the emulator accepts Microsoft's edit");
    }

    pub fn referral(&self, id: &str) -> Value {
        self.pc.referral(id).expect("the referral exists")
    }

    /// The one referral whose external reference is this opportunity.
    pub fn referral_for(&self, opportunity_id: &str) -> Value {
        let matches: Vec<Value> = self
            .pc
            .referrals()
            .into_iter()
            .filter(|r| {
                r["externalReferenceId"]
                    .as_str()
                    .is_some_and(|e| SalesforceId::same(e, opportunity_id))
            })
            .collect();
        assert_eq!(
            matches.len(),
            1,
            "exactly one referral for opportunity {opportunity_id}"
        );
        matches.into_iter().next().unwrap()
    }

    /// Write calls both emulators served so far, and the records cosell
    /// creates (Salesforce creates ride on POSTs shared with queries, so
    /// new records are counted instead): unchanged means nothing written.
    pub fn writes(&self) -> (u64, usize) {
        let pc = self.pc.control().calls();
        let sf = self.sf.control().calls();
        let calls = pc.matching("PATCH")
            + pc.matching("POST /v1.0/engagements/referrals")
            + sf.matching("PATCH")
            + sf.matching("DELETE");
        let records = [
            "Account",
            "Contact",
            "Opportunity",
            "OpportunityContactRole",
            "Note",
        ]
        .iter()
        .map(|o| self.count(o))
        .sum();
        (calls, records)
    }

    pub async fn audit_kinds(&self) -> Vec<String> {
        self.store
            .recent_audit(1000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }
}

pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub fn referrals_client(pc: &PartnerCenterEmulator) -> ReferralsClient {
    let tokens = EntraTokenProvider::new(TokenConfig {
        token_url: Url::parse(&pc.token_url()).unwrap(),
        client_id: "cosell-demo".into(),
        client_secret: Some("cosell-demo-secret".to_owned().into()),
        scope: partner_center::auth::REFERRALS_SCOPE.into(),
        grant: PcGrant::RefreshToken("cosell-demo-refresh".to_owned().into()),
    });
    ReferralsClient::new(Url::parse(&pc.referrals_url()).unwrap(), Arc::new(tokens))
}

pub fn salesforce_client(sf: &SalesforceEmulator) -> SalesforceClient {
    let grant = SfGrant::Password {
        client_id: "cosell-demo".into(),
        client_secret: "cosell-demo-secret".to_owned().into(),
        username: "admin@cosell.demo".into(),
        password: "cosell-demo".to_owned().into(),
        security_token: None,
    };
    let provider =
        OAuthTokenProvider::new(OAuthConfig::new(Url::parse(&sf.url()).unwrap(), grant)).unwrap();
    SalesforceClient::new(Arc::new(provider)).unwrap()
}

/// Runs one property-test case on its own runtime (proptest's closures are
/// synchronous).
pub fn block_on(case: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(case);
}

/// An engine over both emulators whose clock is the Salesforce org's.
fn engine(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    store: Arc<dyn Store>,
    settings: Settings,
) -> Engine {
    Engine::new(referrals_client(pc), salesforce_client(sf), store, settings)
        .with_clock(Arc::new(sf.clock()))
}

/// Shallow-merges `extra` into `target` (objects only).
pub fn merge(target: &mut Value, extra: Value) {
    if let (Some(target), Value::Object(extra)) = (target.as_object_mut(), extra) {
        for (key, value) in extra {
            target.insert(key, value);
        }
    }
}

/// The opportunity's name starts with the mark.
pub fn marked(opp: &Value, mark: &str) -> bool {
    opp["Name"].as_str().unwrap_or_default().starts_with(mark)
}
