#!/usr/bin/env bash
# Salesforce CLI (`sf`) data commands against the Salesforce emulator:
#   sf_cli_smoke.sh http://127.0.0.1:PORT
# Needs `sf` on PATH (npm install @salesforce/cli; on Node 20 pin undici 6 with
# an npm override) and the emulator's CA in NODE_EXTRA_CA_CERTS (the
# emulator prints its path). Stops at the first failed command.
set -euo pipefail
url="${1:?emulator URL}"
https="${url/http:/https:}"
export SF_DISABLE_TELEMETRY=true SF_AUTOUPDATE_DISABLE=true
alias_name="cosell-emulator-$$"
run="smoke$(date +%s)"
work="$(mktemp -d)"
SF_ACCESS_TOKEN="$(curl -sf -d grant_type=password -d client_id=cosell-demo \
  -d client_secret=cosell-demo-secret -d username=admin@cosell.demo \
  -d password=cosell-demo "$url/services/oauth2/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
export SF_ACCESS_TOKEN
sf org login access-token --instance-url "$https" --no-prompt --alias "$alias_name" >/dev/null
ok() { echo "ok   $1"; }
sf data query -o "$alias_name" -q "SELECT Id, Name FROM Organization" >/dev/null && ok "data query"
id="$(sf data create record -o "$alias_name" -s Account -v "Name='Cli $run'" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["id"])')" && ok "data create record"
sf data get record -o "$alias_name" -s Account -i "$id" >/dev/null && ok "data get record"
sf data update record -o "$alias_name" -s Account -i "$id" -v "Name='Cli $run renamed'" >/dev/null && ok "data update record"
sf data export tree -o "$alias_name" -q "SELECT Name FROM Account WHERE Id = '$id'" -d "$work" >/dev/null && ok "data export tree"
sf data delete record -o "$alias_name" -s Account -i "$id" >/dev/null && ok "data delete record"
sf data import tree -o "$alias_name" -f "$work/Account.json" >/dev/null && ok "data import tree"
printf 'FirstName,LastName\nCli,%s\n' "$run" > "$work/contacts.csv"
sf data import bulk -o "$alias_name" -s Contact -f "$work/contacts.csv" --wait 1 >/dev/null && ok "data import bulk"
sf data export bulk -o "$alias_name" -q "SELECT Id, LastName FROM Contact WHERE LastName = '$run'" \
  --output-file "$work/out.csv" --wait 1 >/dev/null
grep -q "$run" "$work/out.csv" && ok "data export bulk"
sf org logout -o "$alias_name" --no-prompt >/dev/null
echo "sf: all checks passed"
