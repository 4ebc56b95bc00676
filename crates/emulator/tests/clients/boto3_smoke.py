#!/usr/bin/env python3
"""boto3, unchanged, against the AWS Partner Central emulator.

Run `cosell emulator aws --listen 127.0.0.1:9083` and then:

    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
        python3 boto3_smoke.py --endpoint http://127.0.0.1:9083 --control http://127.0.0.1:9083

with the key the emulator prints. Exits non-zero at the first failed check.
"""

import argparse
import json
import sys
import urllib.request
import uuid

import boto3
import botocore.exceptions


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok   {what}")


def control(base, path, body):
    request = urllib.request.Request(
        f"{base}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--control", required=True, help="base URL of /_emulator (same server)")
    args = parser.parse_args()
    pc = boto3.client("partnercentral-selling", region_name="us-east-1", endpoint_url=args.endpoint)
    catalog = "Sandbox"
    opportunity = dict(
        Catalog=catalog,
        ClientToken=str(uuid.uuid4()),
        OpportunityType="Net New Business",
        PrimaryNeedsFromAws=["Co-Sell - Architectural Validation"],
        Customer={"Account": {"CompanyName": "Contoso Ltd", "Industry": "Software and Internet",
                              "WebsiteUrl": "https://contoso.example",
                              "Address": {"CountryCode": "US", "PostalCode": "98052"}}},
        Project={"Title": "Data platform migration",
                 "CustomerBusinessProblem": "Legacy warehouse cannot scale with the seasonal load.",
                 "DeliveryModels": ["SaaS or PaaS"],
                 "SalesActivities": ["Initialized discussions with customer"],
                 "ExpectedCustomerSpend": [{"Amount": "25000", "CurrencyCode": "USD",
                                            "Frequency": "Monthly", "TargetCompany": "AWS"}]},
        LifeCycle={"Stage": "Prospect", "TargetCloseDate": "2030-06-30"},
    )
    created = pc.create_opportunity(**opportunity)
    oid = created["Id"]
    check(oid.startswith("O"), "create_opportunity returns an Id")
    check(pc.create_opportunity(**opportunity)["Id"] == oid, "the same ClientToken returns the same opportunity")

    got = pc.get_opportunity(Catalog=catalog, Identifier=oid)
    check(got["LifeCycle"]["ReviewStatus"] == "Pending Submission", "get_opportunity: Pending Submission")

    update = {k: got[k] for k in ("Customer", "Project", "OpportunityType", "PrimaryNeedsFromAws")}
    update["LifeCycle"] = {"Stage": "Qualified", "TargetCloseDate": "2030-06-30"}
    pc.update_opportunity(Catalog=catalog, Identifier=oid, LastModifiedDate=got["LastModifiedDate"], **update)
    try:
        pc.update_opportunity(Catalog=catalog, Identifier=oid, LastModifiedDate=got["LastModifiedDate"], **update)
        check(False, "a stale LastModifiedDate is refused")
    except pc.exceptions.ConflictException as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 409, "a stale LastModifiedDate is a ConflictException (409)")

    pages = pc.get_paginator("list_opportunities").paginate(Catalog=catalog, PaginationConfig={"PageSize": 1})
    ids = [o["Id"] for page in pages for o in page["OpportunitySummaries"]]
    check(oid in ids, "list_opportunities paginates and finds it")

    try:
        pc.submit_opportunity(Catalog=catalog, Identifier=oid, InvolvementType="Co-Sell")
        check(False, "submission without a solution is refused")
    except pc.exceptions.ValidationException as e:
        fields = [x["FieldName"] for x in e.response["ErrorList"]]
        check(e.response["Reason"] == "BUSINESS_VALIDATION_FAILED" and fields == ["RelatedEntityIdentifiers.Solutions"],
              "ValidationException carries Reason and ErrorList")
    pc.associate_opportunity(Catalog=catalog, OpportunityIdentifier=oid,
                             RelatedEntityType="Solutions", RelatedEntityIdentifier="S-0000001")
    pc.submit_opportunity(Catalog=catalog, Identifier=oid, InvolvementType="Co-Sell", Visibility="Full")
    check(pc.get_opportunity(Catalog=catalog, Identifier=oid)["LifeCycle"]["ReviewStatus"] == "Submitted",
          "submit_opportunity: Submitted")

    control(args.control, f"/_emulator/aws/{catalog}/opportunities/{oid}/review",
            {"ReviewStatus": "Action Required", "ReviewComments": "Add the customer's real website."})
    life = pc.get_opportunity(Catalog=catalog, Identifier=oid)["LifeCycle"]
    check(life["ReviewStatus"] == "Action Required" and "website" in life["ReviewComments"],
          "AWS feedback reaches the partner")

    sent = control(args.control, "/_emulator/aws/invitations", {
        "Catalog": catalog, "EngagementTitle": "Fabrikam analytics",
        "OpportunityInvitation": {
            "Customer": {"CompanyName": "Fabrikam Inc", "Industry": "Retail",
                         "WebsiteUrl": "https://fabrikam.example", "CountryCode": "DE"},
            "Project": {"Title": "Analytics on AWS", "BusinessProblem": "Nightly reports take twelve hours.",
                        "TargetCompletionDate": "2030-01-31"}}})
    pending = pc.list_engagement_invitations(Catalog=catalog, ParticipantType="RECEIVER", Status=["PENDING"])
    check(sent["Id"] in [i["Id"] for i in pending["EngagementInvitationSummaries"]], "the invitation is listed")
    pc.accept_engagement_invitation(Catalog=catalog, Identifier=sent["Id"])
    try:
        pc.reject_engagement_invitation(Catalog=catalog, Identifier=sent["Id"])
        check(False, "an answered invitation can't be answered again")
    except pc.exceptions.ConflictException:
        check(True, "an answered invitation can't be answered again")

    bad = boto3.client("partnercentral-selling", region_name="us-east-1", endpoint_url=args.endpoint,
                       aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x")
    try:
        bad.list_opportunities(Catalog=catalog)
        check(False, "an unknown key is refused")
    except botocore.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "UnrecognizedClientException", "an unknown key is refused")
    print("boto3 smoke: all checks passed")


if __name__ == "__main__":
    main()
