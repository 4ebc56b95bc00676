#!/usr/bin/env python3
"""MSAL (Python) + requests against the Partner Center emulator, unchanged.

MSAL only accepts an https authority, so tokens come from the emulator's
HTTPS side (same port as HTTP). Usage:

    python msal_smoke.py --url http://127.0.0.1:8081 [--ca /tmp/cosell-pc-emulator-8081-tls-ca.pem]

Without --ca, certificate checks are off. Exits non-zero on the first failed check.
"""
import argparse
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid

import msal
import requests
import urllib3

TENANT = "cosell-demo-tenant"
CLIENT_ID = "cosell-demo"
CLIENT_SECRET = "cosell-demo-secret"
REFRESH_TOKEN = "cosell-demo-refresh"
REFERRALS_SCOPE = "https://api.partner.microsoft.com/.default"
PARTNER_CENTER_SCOPE = "https://api.partnercenter.microsoft.com/.default"
# More than one server page (the emulator's default page size is 100).
LISTED = 105
TOP = 7
RUN = uuid.uuid4().hex[:8]


def check(condition, what):
    if not condition:
        print(f"FAIL {what}")
        sys.exit(1)
    print(f"ok   {what}")


def referral(name, country="US"):
    return {
        "name": name,
        "type": "Independent",
        "qualification": "SalesQualified",
        "customerProfile": {
            "name": "Contoso",
            "address": {"country": country},
            "team": [{"firstName": "Sue", "lastName": "Smith", "email": "sue@contoso.example"}],
        },
        "consent": {"consentToContact": True, "consentToShareReferralWithMicrosoftSellers": False},
        "details": {"dealValue": 50000, "currency": "USD", "notes": RUN},
    }


class Receiver(http.server.BaseHTTPRequestHandler):
    """Collects webhook deliveries."""

    received = []

    def do_POST(self):  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        Receiver.received.append((headers, json.loads(body or b"null")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def wait_for(predicate, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="emulator URL, http:// or https://")
    parser.add_argument("--ca", help="PEM of the emulator's HTTPS CA")
    args = parser.parse_args()
    authority_host = urllib.parse.urlsplit(args.url).netloc
    https = f"https://{authority_host}"

    # requests (inside MSAL too) lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
    # override verify=..., so set them to what this run should trust.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)
    if args.ca:
        os.environ["REQUESTS_CA_BUNDLE"] = args.ca
        verify = args.ca
    else:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        verify = False

    # --- Entra ID through MSAL -------------------------------------------------
    app = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=CLIENT_SECRET,
        authority=f"{https}/{TENANT}",
        validate_authority=False,
        instance_discovery=False,
        verify=verify,
    )
    check(app.authority.token_endpoint == f"{https}/{TENANT}/oauth2/v2.0/token", "OpenID discovery -> token_endpoint")
    delegated = app.acquire_token_by_refresh_token(REFRESH_TOKEN, scopes=[REFERRALS_SCOPE])
    check("access_token" in delegated, f"acquire_token_by_refresh_token ({delegated.get('error_description', 'ok')})")
    check(delegated.get("token_type") == "Bearer" and delegated.get("expires_in", 0) > 0, "delegated token shape")
    check("refresh_token" in delegated and delegated["refresh_token"] != REFRESH_TOKEN, "refresh token rotated")
    again = app.acquire_token_by_refresh_token(delegated["refresh_token"], scopes=[REFERRALS_SCOPE])
    check("access_token" in again, "rotated refresh token works")
    bad = app.acquire_token_by_refresh_token("not-a-refresh-token", scopes=[REFERRALS_SCOPE])
    check(bad.get("error") == "invalid_grant", "bad refresh token -> invalid_grant")
    common = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=CLIENT_SECRET,
        authority=f"{https}/common",
        validate_authority=False,
        instance_discovery=False,
        verify=verify,
    ).acquire_token_by_refresh_token(REFRESH_TOKEN, scopes=[REFERRALS_SCOPE])
    check("access_token" in common, "refresh token grant through the 'common' authority")
    app_only = app.acquire_token_for_client(scopes=[PARTNER_CENTER_SCOPE])
    check("access_token" in app_only, f"acquire_token_for_client ({app_only.get('error_description', 'ok')})")
    cached = app.acquire_token_for_client(scopes=[PARTNER_CENTER_SCOPE])
    check(cached["access_token"] == app_only["access_token"], "client token served from MSAL's cache")
    wrong = msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential="wrong-secret",
        authority=f"{https}/{TENANT}",
        validate_authority=False,
        instance_discovery=False,
        verify=verify,
    ).acquire_token_for_client(scopes=[PARTNER_CENTER_SCOPE])
    check(wrong.get("error") == "invalid_client" and "AADSTS7000215" in wrong.get("error_description", ""), "wrong secret -> invalid_client AADSTS7000215")
    try:
        msal.ConfidentialClientApplication(
            CLIENT_ID,
            client_credential=CLIENT_SECRET,
            authority=f"{https}/no-such-tenant",
            validate_authority=False,
            instance_discovery=False,
            verify=verify,
        )
        check(False, "unknown tenant refused")
    except ValueError:
        check(True, "unknown tenant refused by MSAL")
    discovery = requests.get(f"{https}/no-such-tenant/v2.0/.well-known/openid-configuration", verify=verify)
    check(discovery.status_code == 400 and discovery.json()["error"] == "invalid_tenant" and "AADSTS90002" in discovery.json()["error_description"], "unknown tenant -> discovery 400 invalid_tenant AADSTS90002")

    # --- Referrals API with requests ------------------------------------------
    base = args.url.rstrip("/")
    referrals = f"{base}/v1.0/engagements/referrals"
    s = requests.Session()
    s.verify = verify
    s.headers["Authorization"] = f"Bearer {delegated['access_token']}"

    created = s.post(referrals, json=referral(f"msal deal {RUN}"), headers={"client-request-id": str(uuid.uuid4())})
    check(created.status_code == 201, f"create -> {created.status_code}")
    body = created.json()
    check(body["status"] == "Active" and body["eTag"] and created.headers.get("ETag") == body["eTag"], "create body and ETag")
    check(created.headers.get("request-id"), "request-id header")
    rid = body["id"]

    got = s.get(f"{referrals}/{rid}")
    check(got.status_code == 200 and got.json()["id"] == rid, "get by id")
    check(got.json()["@odata.context"].endswith("$metadata#Referrals/$entity"), "get @odata.context")
    missing = s.get(f"{referrals}/{uuid.uuid4()}")
    check(missing.status_code == 404 and missing.json()["error"]["code"] == "itemNotFound", "unknown id -> 404 itemNotFound")

    for i in range(LISTED):
        s.post(referrals, json=referral(f"msal list {RUN} {i}", country="CA")).raise_for_status()
    params = {
        "$filter": f"customerProfile/address/country eq 'CA' and direction eq 'Outgoing' and details/notes eq '{RUN}'",
        "$orderby": "createdDateTime desc",
        "$count": "true",
    }
    first = s.get(referrals, params=params)
    check(first.status_code == 200, f"list with $filter/$orderby/$count -> {first.status_code}")
    page = first.json()
    check(page["@odata.count"] == LISTED and "@odata.nextLink" in page, "@odata.count and a nextLink")
    seen = [r["name"] for r in page["value"]]
    url = page["@odata.nextLink"]
    while url:
        response = s.get(url)
        check(response.status_code == 200, f"follow @odata.nextLink ({len(seen)} so far)")
        data = response.json()
        seen += [r["name"] for r in data["value"]]
        url = data.get("@odata.nextLink")
    check(seen == [f"msal list {RUN} {i}" for i in reversed(range(LISTED))], "pages cover every referral in $orderby order")
    top = s.get(referrals, params=dict(params, **{"$top": str(TOP)})).json()
    check(len(top["value"]) == TOP and "@odata.nextLink" not in top, "$top")
    skipped = s.get(referrals, params=dict(params, **{"$skip": str(LISTED - 2)})).json()
    check(len(skipped["value"]) == 2, "$skip")
    selected = s.get(referrals, params=dict(params, **{"$top": "1", "$select": "id,status"})).json()
    check(set(selected["value"][0]) <= {"id", "status", "eTag"}, f"$select -> {sorted(selected['value'][0])}")

    etag = got.json()["eTag"]
    patched = s.patch(
        f"{referrals}/{rid}",
        json=[
            {"op": "replace", "path": "/details/notes", "value": "Met the CIO"},
            {"op": "add", "path": "/team/-", "value": {"firstName": "Jane", "lastName": "Doe", "email": "jane@partner.example"}},
        ],
        headers={"Prefer": "return=representation", "If-Match": etag},
    )
    check(patched.status_code == 200 and patched.json()["details"]["notes"] == "Met the CIO", "PATCH with Prefer: return=representation")
    new_etag = patched.json()["eTag"]
    check(new_etag != etag and patched.headers.get("ETag") == new_etag, "PATCH changes the ETag")
    quiet = s.patch(f"{referrals}/{rid}", json=[{"op": "replace", "path": "/details/dealValue", "value": 60000}])
    check(quiet.status_code == 204 and quiet.text == "", "PATCH without Prefer -> 204")
    stale = s.patch(f"{referrals}/{rid}", json=[{"op": "replace", "path": "/details/notes", "value": "x"}], headers={"If-Match": etag})
    check(stale.status_code == 412 and stale.json()["error"]["code"] == "preconditionFailed", "stale If-Match -> 412")
    removal = s.patch(f"{referrals}/{rid}", json=[{"op": "remove", "path": "/details/notes"}])
    check(removal.status_code == 400, "PATCH remove -> 400")

    current = s.get(f"{referrals}/{rid}").json()
    full = {k: v for k, v in current.items() if k not in ("links", "@odata.context")}
    full["details"]["notes"] = "replaced by PUT"
    no_match = s.put(f"{referrals}/{rid}", json=full)
    check(no_match.status_code == 428, f"PUT without If-Match -> {no_match.status_code}")
    put = s.put(f"{referrals}/{rid}", json=full, headers={"If-Match": current["eTag"]})
    check(put.status_code == 200 and put.json()["details"]["notes"] == "replaced by PUT", "PUT with If-Match")
    wrong_audience = requests.get(referrals, headers={"Authorization": f"Bearer {app_only['access_token']}"}, verify=verify)
    check(wrong_audience.status_code == 401, "Partner Center token on the Referrals API -> 401")

    # --- Webhooks API ----------------------------------------------------------
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    hooks = f"{base}/webhooks/v1/registration"
    w = requests.Session()
    w.verify = verify
    w.headers["Authorization"] = f"Bearer {app_only['access_token']}"

    events = w.get(f"{hooks}/events")
    check(events.status_code == 200 and "referral-created" in events.json(), "list webhook events")
    wanted = {"WebhookUrl": hook_url, "WebhookEvents": ["referral-created", "referral-updated", "test-created"]}
    registered = w.post(hooks, json=wanted)
    if registered.status_code == 409:
        # One registration per tenant; a previous run left one (the reference
        # documents no DELETE), so take it over with PUT.
        check(registered.json()["error"]["code"], "register again -> 409 with an error body")
        registered = w.put(hooks, json=wanted)
    check(registered.status_code == 200 and registered.json()["SubscriberId"], f"register -> {registered.status_code}")
    viewed = w.get(hooks).json()
    check(viewed["WebhookUrl"] == hook_url, "view registration")
    updated = w.put(hooks, json={"WebhookUrl": hook_url, "WebhookEvents": ["referral-created", "referral-updated", "test-created"]})
    check(updated.status_code == 200, "update registration")
    validation = w.post(f"{hooks}/validationEvents", headers={"MS-CorrelationId": str(uuid.uuid4())})
    if validation.status_code == 429:
        # Test events are throttled to 2 a minute (reference §2.1).
        wait = int(validation.headers.get("Retry-After", "60"))
        print(f"...  test events throttled; waiting {wait}s (Retry-After)")
        time.sleep(wait)
        validation = w.post(f"{hooks}/validationEvents", headers={"MS-CorrelationId": str(uuid.uuid4())})
    check(validation.status_code == 200 and validation.json()["correlationId"], f"send test event -> {validation.status_code} {validation.text[:300]}")
    correlation = validation.json()["correlationId"]
    check(wait_for(lambda: any(b and b.get("EventName") == "test-created" for _, b in Receiver.received)), "test event delivered")
    status = w.get(f"{hooks}/validationEvents/{correlation}").json()
    check(status["correlationId"] == correlation and status["results"], "test event status")

    s.post(referrals, json=referral(f"msal hook {RUN}")).raise_for_status()
    check(wait_for(lambda: any(b and b.get("EventName") == "referral-created" for _, b in Receiver.received)), "referral-created delivered")
    headers = next(h for h, b in Receiver.received if b and b.get("EventName") == "referral-created")
    check(headers.get("authorization", "").startswith("Signature ") and headers.get("x-ms-certificate-url"), "delivery is signed")
    check(w.delete(hooks).status_code == 405, "DELETE registration -> 405 (not documented)")
    server.shutdown()
    print("msal + requests: all checks passed")


if __name__ == "__main__":
    main()
