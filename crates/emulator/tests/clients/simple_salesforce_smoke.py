#!/usr/bin/env python3
"""simple-salesforce against the Salesforce emulator, unchanged.

simple-salesforce builds every URL as https://{instance}, so this talks to the
emulator's HTTPS side (same port as HTTP). Usage:

    python simple_salesforce_smoke.py --url http://127.0.0.1:8082 [--ca /tmp/cosell-sf-emulator-8082-tls-ca.pem]

Without --ca, certificate checks are off (session.verify = False).
Exits non-zero on the first failed check.
"""
import argparse
import datetime
import sys
import urllib.parse
import uuid

import requests
import urllib3
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

CLIENT_ID = "cosell-demo"
CLIENT_SECRET = "cosell-demo-secret"
USERNAME = "admin@cosell.demo"
PASSWORD = "cosell-demo"
VERSION = "62.0"
BULK_RECORDS = 2500
COLLECTION_SIZE = 200
# Names unique to this run, so the script can run again against the same org.
RUN = uuid.uuid4().hex[:8]


def check(condition, what):
    if not condition:
        print(f"FAIL {what}")
        sys.exit(1)
    print(f"ok   {what}")


def opportunity(name, **extra):
    return {"Name": name, "StageName": "Prospecting", "CloseDate": "2030-12-31", **extra}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="emulator URL, http:// or https://")
    parser.add_argument("--ca", help="PEM of the emulator's HTTPS CA")
    args = parser.parse_args()
    authority = urllib.parse.urlsplit(args.url).netloc
    https = f"https://{authority}"

    session = requests.Session()
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override session.verify.
    session.trust_env = False
    if args.ca:
        session.verify = args.ca
    else:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        session.verify = False

    # OAuth password grant (simple-salesforce's own login helpers hard-code
    # https://{domain}.salesforce.com, so the token is fetched directly).
    token = session.post(
        f"{https}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": USERNAME,
            "password": PASSWORD,
        },
    )
    check(token.status_code == 200, "password grant over https")
    token = token.json()

    sf = Salesforce(
        instance_url=https,
        session_id=token["access_token"],
        version=VERSION,
        session=session,
    )

    # SOAP login() through the documented scratch_url escape hatch (every other
    # login helper hard-codes https://{domain}.salesforce.com).
    for base in (f"http://{authority}", https):
        session_id, instance = SalesforceLogin(
            username=USERNAME,
            password=PASSWORD,
            security_token="",
            sf_version=VERSION,
            session=session,
            scratch_url=base,
        )
        check(instance == authority, f"SalesforceLogin(scratch_url={base}) -> instance {instance}")
        soap_sf = Salesforce(instance=instance, session_id=session_id, version=VERSION, session=session)
        check(soap_sf.query("SELECT COUNT() FROM Opportunity")["done"], "SOAP session works for REST")

    created = sf.Opportunity.create(opportunity("simple-salesforce deal", Amount=1000))
    check(created["success"] and created["id"].startswith("006"), "Opportunity.create")
    opp_id = created["id"]

    record = sf.Opportunity.get(opp_id)
    check(record["Name"] == "simple-salesforce deal", "Opportunity.get")
    check(record["attributes"]["type"] == "Opportunity", "record attributes")

    status = sf.Opportunity.update(opp_id, {"StageName": "Qualification"})
    check(status == 204, "Opportunity.update returns 204")
    check(sf.Opportunity.get(opp_id)["StageName"] == "Qualification", "update applied")

    status = sf.Opportunity.upsert(f"Referral_Identifier__c/R-{RUN}", opportunity("Upserted"))
    check(status == 201, "upsert creates (201)")
    status = sf.Opportunity.upsert(f"Referral_Identifier__c/R-{RUN}", {"Amount": 42})
    check(status == 200, "upsert updates (200)")
    by_ext = sf.Opportunity.get_by_custom_id("Referral_Identifier__c", f"R-{RUN}")
    check(by_ext["Amount"] == 42, "get_by_custom_id")

    try:
        sf.Opportunity.get("006000000000000AAA")
        check(False, "unknown id raises")
    except SalesforceResourceNotFound as e:
        check(e.status == 404 and e.content[0]["errorCode"] == "NOT_FOUND", "unknown id -> 404 NOT_FOUND")
    try:
        sf.Opportunity.create({"Name": "missing fields"})
        check(False, "missing fields raise")
    except SalesforceMalformedRequest as e:
        check(e.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING", "create without stage -> REQUIRED_FIELD_MISSING")

    result = sf.query(f"SELECT Id, Name FROM Opportunity WHERE Referral_Identifier__c = 'R-{RUN}'")
    check(result["totalSize"] == 1 and result["done"], "query")

    for start in range(0, BULK_RECORDS, COLLECTION_SIZE):
        batch = [
            {"attributes": {"type": "Opportunity"}, **opportunity(f"Bulk {RUN} {i}")}
            for i in range(start, min(start + COLLECTION_SIZE, BULK_RECORDS))
        ]
        results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": batch})
        check(all(r["success"] for r in results), f"collections create {start}..{start + len(batch)}")

    first = sf.query(f"SELECT Id FROM Opportunity WHERE Name LIKE 'Bulk {RUN} %'")
    check(not first["done"] and "nextRecordsUrl" in first, "first page is not done")
    more = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    check(len(first["records"]) + len(more["records"]) == BULK_RECORDS, "query_more by URL")
    everything = sf.query_all(f"SELECT Id FROM Opportunity WHERE Name LIKE 'Bulk {RUN} %'")
    check(everything["totalSize"] == BULK_RECORDS and len(everything["records"]) == BULK_RECORDS, "query_all pages 2,500 records")
    check(sum(1 for _ in sf.query_all_iter(f"SELECT Id FROM Opportunity WHERE Name LIKE 'Bulk {RUN} %'")) == BULK_RECORDS, "query_all_iter")

    check(sf.Opportunity.delete(opp_id) == 204, "Opportunity.delete")
    deleted = sf.query_all("SELECT Id FROM Opportunity WHERE Id = '%s'" % opp_id, include_deleted=True)
    check(deleted["totalSize"] == 1, "query_all include_deleted (queryAll)")

    now = datetime.datetime.now(datetime.timezone.utc)
    window = (now - datetime.timedelta(days=1), now + datetime.timedelta(minutes=2))
    check("ids" in sf.Opportunity.updated(*window), "Opportunity.updated")
    check(any(r["id"] == opp_id for r in sf.Opportunity.deleted(*window)["deletedRecords"]), "Opportunity.deleted")

    describe = sf.describe()
    check(any(o["name"] == "Opportunity" for o in describe["sobjects"]), "describe()")
    opp_describe = sf.Opportunity.describe()
    check(any(f["name"] == "Referral_Identifier__c" for f in opp_describe["fields"]), "Opportunity.describe()")
    check(sf.Opportunity.metadata()["objectDescribe"]["name"] == "Opportunity", "Opportunity.metadata()")

    limits = sf.limits()
    check(limits["DailyApiRequests"]["Max"] > 0, "limits()")
    check("api-usage" in sf.api_usage, "Sforce-Limit-Info parsed into api_usage")

    check(sf.restful("sobjects/Opportunity/describe")["name"] == "Opportunity", "restful(GET)")
    check(sf.restful("query", params={"q": "SELECT COUNT() FROM Account"})["done"], "restful(query params)")

    field = sf.toolingexecute(
        "sobjects/CustomField",
        method="POST",
        data={
            "FullName": f"Opportunity.Smoke_{RUN}__c",
            "Metadata": {"label": "Smoke Flag", "type": "Checkbox", "defaultValue": "false"},
        },
    )
    check(field.get("success") is True, "toolingexecute CustomField")
    def smoke_field_visible():
        return any(f["name"] == f"Smoke_{RUN}__c" for f in sf.Opportunity.describe()["fields"])

    if not smoke_field_visible():
        # Orgs that enforce field-level security (the enterprise profile, like
        # a real org) hide a new field until a permission set grants it.
        user_id = sf.query(f"SELECT Id FROM User WHERE Username = '{USERNAME}'")["records"][0]["Id"]
        pset = sf.PermissionSet.create({"Name": f"Smoke_{RUN}", "Label": f"Smoke {RUN}"})["id"]
        sf.FieldPermissions.create({
            "ParentId": pset, "SobjectType": "Opportunity", "Field": f"Opportunity.Smoke_{RUN}__c",
            "PermissionsRead": True, "PermissionsEdit": True,
        })
        sf.PermissionSetAssignment.create({"PermissionSetId": pset, "AssigneeId": user_id})
    check(smoke_field_visible(), "tooling field appears in describe")
    tooling = sf.toolingexecute("query/?q=" + urllib.parse.quote(f"SELECT Id, DeveloperName FROM CustomField WHERE DeveloperName = 'Smoke_{RUN}'"))
    check(tooling["totalSize"] == 1, "tooling query")

    print("simple-salesforce: all checks passed")


if __name__ == "__main__":
    main()
