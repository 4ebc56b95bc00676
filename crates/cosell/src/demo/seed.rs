//! The demo's starting data: a realistic mix of opportunities and Microsoft
//! referrals, reproducible from a seed.

use emulator::aws::AwsEmulator;
use emulator::partner_center::PartnerCenterEmulator;
use emulator::salesforce::SalesforceEmulator;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};

/// Customer names the demo draws from.
const CUSTOMERS: [&str; 24] = [
    "Contoso",
    "Fabrikam",
    "Northwind Traders",
    "Adventure Works",
    "Tailspin Toys",
    "Wingtip Toys",
    "Litware",
    "Proseware",
    "Woodgrove Bank",
    "Alpine Ski House",
    "Coho Winery",
    "Fourth Coffee",
    "Lucerne Publishing",
    "Margie's Travel",
    "Trey Research",
    "Wide World Importers",
    "Blue Yonder Airlines",
    "City Power & Light",
    "Graphic Design Institute",
    "Humongous Insurance",
    "School of Fine Art",
    "Southridge Video",
    "The Phone Company",
    "VanArsdel",
];
const COUNTRIES: [&str; 6] = ["US", "GB", "DE", "FR", "CA", "AU"];
const CURRENCIES: [&str; 6] = ["USD", "GBP", "EUR", "EUR", "CAD", "AUD"];
const PROJECTS: [&str; 6] = [
    "Cloud Migration",
    "Data Platform",
    "Copilot Rollout",
    "Security Uplift",
    "ERP Modernisation",
    "Contact Center AI",
];
const HELP: [&str; 6] = [
    "Workload specific value proposition",
    "Customer technical architecture",
    "Proof of concept or demo",
    "Quotes or licensing",
    "Post sales customer success",
    "General or other",
];
const SOLUTIONS: [&str; 4] = [
    "SOL-15974-MQF",
    "SOL-20311-AZR",
    "SOL-31822-D365",
    "SOL-44410-SEC",
];

/// Seeds both emulators; returns the id of the opportunity that is invalid on purpose.
pub fn seed(
    pc: &PartnerCenterEmulator,
    sf: &SalesforceEmulator,
    rng: &mut StdRng,
) -> anyhow::Result<String> {
    let mut invalid = String::new();
    for (i, customer) in CUSTOMERS.iter().enumerate() {
        let country = i % COUNTRIES.len();
        let project = PROJECTS.choose(rng).copied().unwrap_or("Cloud Migration");
        let name = format!("{customer} {project}");
        // One deal is invalid on purpose: its account has no country code.
        let invalid_on_purpose = i == 5;
        let account = sf.insert(
            "Account",
            json!({ "Name": customer, "BillingCity": "Springfield",
                    "BillingCountry": if invalid_on_purpose { Value::Null } else { json!(COUNTRIES[country]) } }),
        )?;
        let synced = i < 18;
        let co_sell = synced && i % 3 != 2;
        let mut fields = json!({
            "Name": name, "StageName": if i % 7 == 6 { "Needs Analysis" } else { "Prospecting" },
            "CloseDate": format!("2027-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            "Amount": rng.random_range(20..400) * 1000, "CurrencyIsoCode": CURRENCIES[country],
            "AccountId": account, "Sync_with_Partner_Center__c": synced,
        });
        if co_sell {
            fields["How_can_Microsoft_help__c"] = json!(HELP[i % HELP.len()]);
        }
        let opp = sf.insert("Opportunity", fields)?;
        if co_sell || invalid_on_purpose {
            let contact = sf.insert(
                "Contact",
                json!({ "FirstName": "Alex", "LastName": format!("Buyer{i}"), "AccountId": account,
                        "Email": format!("alex.buyer{i}@{}.example", slug(customer)) }),
            )?;
            sf.insert(
                "OpportunityContactRole",
                json!({ "OpportunityId": opp, "ContactId": contact, "IsPrimary": true }),
            )?;
            let solution = SOLUTIONS[i % SOLUTIONS.len()];
            sf.insert(
                "Microsoft_Solution__c",
                json!({ "Name": solution, "Opportunity__c": opp, "Solution_Id__c": solution }),
            )?;
        }
        if invalid_on_purpose {
            invalid = opp;
        }
    }
    for i in 0..12 {
        share(pc, rng, i)?;
    }
    Ok(invalid)
}

/// A Microsoft seller shares a new co-sell referral.
pub fn share(pc: &PartnerCenterEmulator, rng: &mut StdRng, i: usize) -> anyhow::Result<String> {
    let customer = format!(
        "{} {}",
        [
            "Relecloud",
            "Bellows College",
            "Munson's Pickles",
            "Nod Publishers",
            "Best For You Organics",
            "Consolidated Messenger"
        ][i % 6],
        i / 6 + 1
    );
    let country = COUNTRIES[i % COUNTRIES.len()];
    let referral = pc
        .share_referral(json!({
            "name": format!("{customer} – {}", PROJECTS[i % PROJECTS.len()]),
            "type": "Shared",
            "qualification": "SalesQualified",
            "customerProfile": {
                "name": customer,
                "address": { "addressLine1": "1 Harbour Rd", "city": "Port Town", "postalCode": "10001", "country": country },
                "team": [{ "firstName": "Jordan", "lastName": format!("Lead{i}"), "email": format!("jordan{i}@{}.example", slug(&customer)) }]
            },
            "consent": { "consentToContact": true, "consentToShareReferralWithMicrosoftSellers": true },
            "details": {
                "notes": "Shared by the Microsoft account team",
                "dealValue": rng.random_range(50..900) * 1000,
                "currency": CURRENCIES[i % CURRENCIES.len()],
                "closingDateTime": format!("2027-{:02}-15T00:00:00Z", 1 + i % 12),
                "requirements": { "solutions": [{ "id": SOLUTIONS[i % SOLUTIONS.len()], "type": "Name" }] }
            },
            "inviteContext": { "assistanceRequestCode": "CustomerTechnicalArchitecture", "notes": "Let's co-sell" }
        }))
        .map_err(|e| anyhow::anyhow!("the emulator refused a demo referral: {e:?}"))?;
    Ok(referral["id"].as_str().unwrap_or_default().to_owned())
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Deals a Salesforce seller shares with AWS in the demo.
const AWS_DEALS: [&str; 3] = [
    "Relecloud Data Lake",
    "Bellows College Analytics",
    "Munson's Pickles SaaS",
];

/// Seeds the AWS side: opportunities shared with AWS (each with what AWS
/// requires) and an invitation from an AWS seller.
pub fn seed_aws(sf: &SalesforceEmulator, aws: &AwsEmulator) -> anyhow::Result<()> {
    for name in AWS_DEALS {
        emulator::sellers::aws_shared_opportunity(sf, name, json!({}))?;
    }
    aws.invite(json!({
        "Catalog": "Sandbox", "EngagementTitle": "Co-sell with AWS",
        "OpportunityInvitation": {
            "Customer": {"CompanyName": "Lamna Healthcare", "Industry": "Healthcare",
                         "WebsiteUrl": "https://lamna.example", "CountryCode": "US"},
            "Project": {"Title": "Lamna Healthcare Imaging on AWS",
                        "BusinessProblem": "Store and share medical images securely at scale",
                        "TargetCompletionDate": "2027-05-31"}
        }
    }))
    .map_err(|e| anyhow::anyhow!("the AWS emulator refused the demo invitation: {e:?}"))?;
    Ok(())
}
