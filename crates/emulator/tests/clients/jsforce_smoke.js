#!/usr/bin/env node
// jsforce (v3) against the Salesforce emulator, unchanged.
//
//   node jsforce_smoke.js http://127.0.0.1:8082
//
// Needs `npm install jsforce@3` where node can resolve it (e.g. run from a
// scratch folder with NODE_PATH=<scratch>/node_modules). Exits non-zero on the
// first failed check. Over https:// (same port), point NODE_EXTRA_CA_CERTS at
// the CA file `cosell emulator salesforce` prints.
'use strict';

const jsforce = require('jsforce');
const crypto = require('crypto');

const CLIENT_ID = 'cosell-demo';
const CLIENT_SECRET = 'cosell-demo-secret';
const USERNAME = 'admin@cosell.demo';
const PASSWORD = 'cosell-demo';
const VERSION = '62.0';
const BULK_RECORDS = 2500;
const COLLECTION_SIZE = 200;
// Names unique to this run, so the script can run again against the same org.
const RUN = crypto.randomBytes(4).toString('hex');

function check(condition, what) {
  if (!condition) {
    console.log(`FAIL ${what}`);
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}

function opportunity(name, extra = {}) {
  return { Name: name, StageName: 'Prospecting', CloseDate: '2030-12-31', ...extra };
}

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return null;
}

async function main() {
  const loginUrl = process.argv[2];
  if (!loginUrl) {
    console.error('usage: node jsforce_smoke.js <emulator url>');
    process.exit(2);
  }
  const silent = { logLevel: 'FATAL' };

  // SOAP login() (no client credentials configured).
  const soap = new jsforce.Connection({ loginUrl, version: VERSION, ...silent });
  const soapUser = await soap.login(USERNAME, PASSWORD);
  check(soapUser.organizationId.startsWith('00D') && soapUser.id.startsWith('005'), 'SOAP login()');
  check(soap.instanceUrl === new URL(loginUrl).origin, `SOAP instanceUrl ${soap.instanceUrl}`);
  check((await soap.query('SELECT COUNT() FROM Opportunity')).done, 'SOAP session serves REST');
  const identity = await soap.identity();
  check(identity.user_id === soapUser.id && identity.organization_id === soapUser.organizationId, 'identity()');
  const badLogin = await rejects(new jsforce.Connection({ loginUrl, version: VERSION, ...silent }).login(USERNAME, 'wrong'));
  check(badLogin && /INVALID_LOGIN|Invalid username/.test(badLogin.message), `bad SOAP password rejected (${badLogin && badLogin.message})`);

  // OAuth2 username-password flow.
  const conn = new jsforce.Connection({
    oauth2: { loginUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    version: VERSION,
    ...silent,
  });
  const user = await conn.login(USERNAME, PASSWORD);
  check(user.organizationId === soapUser.organizationId, 'OAuth2 password login');
  check(conn.accessToken.startsWith('00D'), 'access token shape');

  // The username-password flow issues no refresh token (as Salesforce).
  const passwordGrant = await (
    await fetch(`${loginUrl}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        username: USERNAME,
        password: PASSWORD,
      }),
    })
  ).json();
  check(passwordGrant.refresh_token === undefined, 'password grant returns no refresh_token');

  // OAuth2 refresh-token flow: the web server flow with PKCE gives the refresh
  // token, and a stale access token is refreshed with it on the first 401.
  const CALLBACK = 'http://localhost:1717/OauthRedirect';
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const approved = await fetch(`${loginUrl}/services/oauth2/authorize`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: CALLBACK,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: RUN,
      username: USERNAME,
      pw: PASSWORD,
      action: 'allow',
    }),
  });
  const callback = new URL(approved.headers.get('location'));
  check(callback.searchParams.get('state') === RUN, 'the callback carries the state');
  const tokenResponse = await (
    await fetch(`${loginUrl}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code'),
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      }),
    })
  ).json();
  check(typeof tokenResponse.refresh_token === 'string', 'the web server flow returns a refresh_token');
  const stale = new jsforce.Connection({
    oauth2: { loginUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    instanceUrl: tokenResponse.instance_url,
    accessToken: 'stale',
    refreshToken: tokenResponse.refresh_token,
    version: VERSION,
    ...silent,
  });
  let refreshed = false;
  stale.on('refresh', () => {
    refreshed = true;
  });
  check((await stale.query('SELECT COUNT() FROM Opportunity')).done && refreshed, 'refresh_token grant on 401');

  // OAuth2 client credentials (My Domain).
  const cc = new jsforce.Connection({
    oauth2: { loginUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    version: VERSION,
    ...silent,
  });
  await cc.authorize({ grant_type: 'client_credentials' });
  check((await cc.limits()).DailyApiRequests.Max > 0, 'client_credentials authorize()');

  // sObject CRUD.
  const opp = conn.sobject('Opportunity');
  const created = await opp.create(opportunity(`jsforce deal ${RUN}`, { Amount: 1000 }));
  check(created.success && created.id.startsWith('006'), 'sobject.create');
  const record = await opp.retrieve(created.id);
  check(record.Name === `jsforce deal ${RUN}` && record.Id === created.id, 'sobject.retrieve');
  const updated = await opp.update({ Id: created.id, StageName: 'Qualification' });
  check(updated.success && updated.id === created.id, 'sobject.update');
  check((await opp.retrieve(created.id)).StageName === 'Qualification', 'update applied');
  const notFound = await rejects(opp.retrieve('006000000000000AAA'));
  check(notFound && notFound.errorCode === 'NOT_FOUND', `unknown id -> ${notFound && notFound.errorCode}`);
  const invalid = await rejects(opp.create({ Name: 'missing stage' }));
  check(invalid && invalid.errorCode === 'REQUIRED_FIELD_MISSING', 'create error -> REQUIRED_FIELD_MISSING');

  // Upsert by external ID.
  const up1 = await opp.upsert({ Referral_Identifier__c: `R-${RUN}`, ...opportunity('Upserted') }, 'Referral_Identifier__c');
  check(up1.success && up1.created === true, 'upsert creates');
  const up2 = await opp.upsert({ Referral_Identifier__c: `R-${RUN}`, Amount: 42 }, 'Referral_Identifier__c');
  check(up2.success && up2.created === false && up2.id === up1.id, 'upsert updates');
  const byFind = await opp.find({ Referral_Identifier__c: `R-${RUN}` }, ['Id', 'Amount']);
  check(byFind.length === 1 && byFind[0].Amount === 42, 'sobject.find (SOQL builder)');

  // sObject Collections (create/retrieve/update/upsert/destroy with arrays).
  const many = await opp.create([opportunity(`Coll ${RUN} A`), opportunity(`Coll ${RUN} B`)], { allOrNone: true });
  check(many.length === 2 && many.every((r) => r.success), 'Collections create');
  const manyIds = many.map((r) => r.id);
  const fetched = await opp.retrieve(manyIds, { fields: ['Name'] });
  check(fetched.length === 2 && fetched[1].Name === `Coll ${RUN} B`, 'Collections retrieve');
  const manyUpdated = await opp.update(manyIds.map((Id) => ({ Id, Amount: 7 })));
  check(manyUpdated.every((r) => r.success), 'Collections update');
  const manyUpserted = await opp.upsert(
    [{ Referral_Identifier__c: `R-${RUN}`, Amount: 43 }, { Referral_Identifier__c: `R2-${RUN}`, ...opportunity('Second') }],
    'Referral_Identifier__c',
  );
  check(manyUpserted[0].created === false && manyUpserted[1].created === true, 'Collections upsert');
  const partial = await opp.create([opportunity(`Coll ${RUN} C`), { Name: 'no stage' }], { allOrNone: false });
  check(partial[0].success && !partial[1].success && partial[1].errors[0].statusCode === 'REQUIRED_FIELD_MISSING', 'Collections per-record errors (statusCode)');
  const destroyed = await opp.destroy([...manyIds, partial[0].id]);
  check(destroyed.every((r) => r.success), 'Collections destroy');

  // 2,500 records, then query paging.
  for (let start = 0; start < BULK_RECORDS; start += COLLECTION_SIZE) {
    const batch = [];
    for (let i = start; i < Math.min(start + COLLECTION_SIZE, BULK_RECORDS); i += 1) {
      batch.push(opportunity(`Bulk ${RUN} ${i}`));
    }
    const res = await opp.create(batch, { allOrNone: true });
    if (!res.every((r) => r.success)) check(false, `bulk create at ${start}`);
  }
  check(true, `created ${BULK_RECORDS} records through Collections`);
  const soql = `SELECT Id, Name FROM Opportunity WHERE Name LIKE 'Bulk ${RUN} %'`;
  const page1 = await conn.query(soql);
  check(!page1.done && page1.nextRecordsUrl && page1.records.length < BULK_RECORDS, 'query first page');
  const page2 = await conn.queryMore(page1.nextRecordsUrl);
  check(page2.done && page1.records.length + page2.records.length === BULK_RECORDS, 'queryMore(nextRecordsUrl)');
  const page2ByLocator = await conn.queryMore(page1.nextRecordsUrl.split('/').pop());
  check(page2ByLocator.records.length === page2.records.length, 'queryMore(locator)');
  const all = await conn.query(soql, { autoFetch: true, maxFetch: 10000 });
  check(all.records.length === BULK_RECORDS && all.totalSize === BULK_RECORDS, 'query autoFetch');
  let streamed = 0;
  await new Promise((resolve, reject) => {
    conn
      .query(soql)
      .on('record', () => {
        streamed += 1;
      })
      .on('end', resolve)
      .on('error', reject)
      .run({ autoFetch: true, maxFetch: 10000 });
  });
  check(streamed === BULK_RECORDS, 'query event stream');
  const viaFind = await opp.find({ Name: { $like: `Bulk ${RUN} %` } }).limit(3000).execute({ autoFetch: true, maxFetch: 10000 });
  check(viaFind.length === BULK_RECORDS, 'find().execute autoFetch');
  check((await opp.count({ Name: { $like: `Bulk ${RUN} %` } })) === BULK_RECORDS, 'count()');
  const deletedOne = await opp.destroy(created.id);
  check(deletedOne.success, 'sobject.destroy');
  const withDeleted = await conn.query(`SELECT Id FROM Opportunity WHERE Id = '${created.id}'`, { scanAll: true });
  check(withDeleted.totalSize === 1, 'query scanAll (queryAll)');
  const window = [new Date(Date.now() - 86400000), new Date(Date.now() + 120000)];
  check(Array.isArray((await opp.updated(...window)).ids), 'sobject.updated');
  check((await opp.deleted(...window)).deletedRecords.some((r) => r.id === created.id), 'sobject.deleted');

  // Composite.
  const composite = await conn.requestPost(`/services/data/v${VERSION}/composite`, {
    allOrNone: true,
    compositeRequest: [
      { method: 'POST', url: `/services/data/v${VERSION}/sobjects/Opportunity`, referenceId: 'opp', body: opportunity(`Composite ${RUN}`) },
      { method: 'GET', url: `/services/data/v${VERSION}/sobjects/Opportunity/@{opp.id}?fields=Id,Name`, referenceId: 'read' },
    ],
  });
  check(composite.compositeResponse[1].body.Name === `Composite ${RUN}`, 'composite with references');

  // Describe and limits.
  const global = await conn.describeGlobal();
  check(global.sobjects.some((s) => s.name === 'Opportunity'), 'describeGlobal');
  const describe = await conn.describe('Opportunity');
  check(describe.fields.some((f) => f.name === 'Referral_Identifier__c' && f.externalId), 'describe(Opportunity)');
  check((await opp.describe()).name === 'Opportunity', 'sobject.describe');
  const limits = await conn.limits();
  check(limits.DailyApiRequests.Remaining <= limits.DailyApiRequests.Max, 'limits');
  check(conn.limitInfo && conn.limitInfo.apiUsage && conn.limitInfo.apiUsage.used > 0, 'Sforce-Limit-Info parsed');
  const versions = await conn.request('/services/data/');
  check(versions.some((v) => v.version === VERSION), 'versions');
  check((await conn.request('/sobjects/Opportunity/describe')).name === 'Opportunity', 'conn.request relative URL');

  // Tooling API.
  const field = await conn.tooling.sobject('CustomField').create({
    FullName: `Opportunity.Js_${RUN}__c`,
    Metadata: { label: `Js ${RUN}`, type: 'Checkbox', defaultValue: 'false' },
  });
  check(field.success, 'tooling CustomField create');
  const toolingQuery = await conn.tooling.query(`SELECT Id, DeveloperName FROM CustomField WHERE DeveloperName = 'Js_${RUN}'`);
  check(toolingQuery.totalSize === 1, 'tooling.query');
  const jsFieldVisible = async () => {
    conn.describe$.clear();
    const redescribed = await conn.describe('Opportunity');
    return redescribed.fields.some((f) => f.name === `Js_${RUN}__c`);
  };
  if (!(await jsFieldVisible())) {
    // Orgs that enforce field-level security (the enterprise profile, like a
    // real org) hide a new field until a permission set grants it.
    const me = await conn.query(`SELECT Id FROM User WHERE Username = '${USERNAME}'`);
    const pset = await conn.sobject('PermissionSet').create({ Name: `Js_${RUN}`, Label: `Js ${RUN}` });
    await conn.sobject('FieldPermissions').create({
      ParentId: pset.id, SobjectType: 'Opportunity', Field: `Opportunity.Js_${RUN}__c`,
      PermissionsRead: true, PermissionsEdit: true,
    });
    await conn.sobject('PermissionSetAssignment').create({ PermissionSetId: pset.id, AssigneeId: me.records[0].Id });
  }
  check(await jsFieldVisible(), 'tooling field in describe');
  const dupe = await rejects(
    conn.tooling.sobject('CustomField').create({
      FullName: `Opportunity.Js_${RUN}__c`,
      Metadata: { label: 'again', type: 'Checkbox', defaultValue: 'false' },
    }),
  );
  check(dupe && dupe.errorCode === 'DUPLICATE_DEVELOPER_NAME', `duplicate field -> ${dupe && dupe.errorCode}`);

  // Session refresh: an invalid token is refreshed once through the login delegate.
  conn.accessToken = `${conn.accessToken}x`;
  check((await conn.query('SELECT COUNT() FROM Account')).done, 'expired session refreshed by jsforce');

  await conn.logout();
  check(!conn.accessToken, 'logout (OAuth revoke)');
  console.log('jsforce: all checks passed');
}

main().catch((e) => {
  console.log(`FAIL ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
