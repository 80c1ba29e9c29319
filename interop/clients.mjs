// Drives a running objectos server (examples/crm) with the official clients:
// better-auth's client for /auth and @objectstack/client for discovery, data,
// actions and keys. Wire details are what these clients rely on, so a change
// that breaks them fails here even when the Go tests still pass.
//
//   OBJECTOS_URL=http://127.0.0.1:8080 ADMIN_EMAIL=… ADMIN_PASSWORD=… [CRM_LOG=crm.log] node clients.mjs
//
// The server must be the CRM example with a bootstrap admin and sign-up off.
// With CRM_LOG, the file the CRM logs to, and the CRM on its development
// mailer (no OS_SMTP_URL), a password reset is made with the link the
// mailer logged, and the password set back. JWT_ISSUER is the iss the
// JWTs carry ("objectos", the CRM's without OS_AUTH_URL, by default).
// Two-factor is turned on for the admin, used, and turned off again.
import assert from "node:assert/strict";
import { createHmac, createPublicKey, verify } from "node:crypto";
import { createAuthClient } from "better-auth/client";
import { adminClient, jwtClient, twoFactorClient } from "better-auth/client/plugins";
import { ObjectStackClient, createFilter } from "@objectstack/client";
import openapiTS, { astToString } from "openapi-typescript";
import { email, finish, origin, password, step } from "./harness.mjs";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const run = `interop-${Date.now()}`; // keeps names unique when run twice on one database

// patient retries a better-auth call the auth rate limit (10 a minute by
// default, spent by the steps before) turned away, after the wait it names.
const patient = async (call) => {
  for (let i = 0; ; i++) {
    const r = await call();
    if (r.error?.status !== 429 || i === 10) return r;
    const s = Number(/(\d+) second/.exec(r.error.message)?.[1] ?? 6);
    await new Promise((done) => setTimeout(done, (s + 0.5) * 1000));
  }
};

// totp is the RFC 6238 code (HMAC-SHA-1, 6 digits) of a base32 secret at a
// 30-second time step.
function totp(secret, step) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bits = [...secret.replace(/=+$/, "").toUpperCase()].map((c) => alphabet.indexOf(c).toString(2).padStart(5, "0")).join("");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", key).update(counter).digest();
  const n = mac.readUInt32BE(mac[mac.length - 1] & 0xf) & 0x7fffffff;
  return String(n % 1e6).padStart(6, "0");
}

const rejectsWith = (promise, status, code) =>
  assert.rejects(promise, (e) => {
    assert.equal(e.httpStatus, status, `status of ${e.message}`);
    assert.equal(e.code, code);
    return true;
  });

// better-auth: the token arrives in the set-auth-token header and goes back as
// a bearer token, as better-auth's documented bearer setup does.
let token;
const auth = createAuthClient({
  baseURL: `${origin}/api/v1/auth`,
  plugins: [jwtClient(), adminClient()],
  fetchOptions: {
    onSuccess: (ctx) => {
      const t = ctx.response.headers.get("set-auth-token");
      if (t) token = t;
    },
    auth: { type: "Bearer", token: () => token },
  },
});

await step("auth: wrong password is 401 INVALID_EMAIL_OR_PASSWORD", async () => {
  const r = await auth.signIn.email({ email, password: "not-the-password" });
  assert.equal(r.data, null);
  assert.equal(r.error.status, 401);
  assert.equal(r.error.code, "INVALID_EMAIL_OR_PASSWORD");
});
await step("auth: unknown email answers the same", async () => {
  const r = await auth.signIn.email({ email: `nobody-${run}@example.com`, password: "not-the-password" });
  assert.equal(r.error.status, 401);
  assert.equal(r.error.code, "INVALID_EMAIL_OR_PASSWORD");
});
await step("auth: sign-up is off once an owner exists", async () => {
  const r = await auth.signUp.email({ name: "Eve", email: `eve-${run}@example.com`, password: "long-enough-1" });
  assert.equal(r.error.status, 403);
  assert.equal(r.error.code, "SIGN_UP_DISABLED");
});
await step("auth: sign in", async () => {
  const r = await auth.signIn.email({ email, password });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.redirect, false);
  assert.equal(r.data.user.email, email);
  assert.ok(token, "set-auth-token header");
  assert.equal(r.data.token, token);
});
await step("auth: get-session", async () => {
  const r = await auth.getSession();
  assert.equal(r.error, null);
  assert.equal(r.data.user.email, email);
  assert.ok(Date.parse(r.data.session.expiresAt) > Date.now());
});

const client = new ObjectStackClient({ baseUrl: origin, token, logger: quiet });
await step("client: connect (discovery)", async () => {
  const d = await client.connect();
  assert.equal(d.routes.data, "/api/v1/data");
  assert.equal(d.routes.metadata, "/api/v1/meta");
});
await step("meta.getTypes, getItems, getItem", async () => {
  const types = await client.meta.getTypes();
  assert.ok(types.types.includes("object"), JSON.stringify(types));
  const objects = await client.meta.getItems("object");
  assert.equal(objects.type, "object");
  assert.ok(objects.items.some((o) => o.name === "crm_account"));
  const r = await client.meta.getItem("object", "crm_account");
  assert.equal(r.type, "object");
  assert.equal(r.name, "crm_account");
  assert.equal(r.item.name, "crm_account");
  assert.equal(r.item.fields.name.type, "text", "fields are a map keyed by name");
  assert.equal(r.item.fields.name.required, true);
  assert.equal(r.item.fields.created_at.system, true);
  await rejectsWith(client.meta.getItem("object", "crm_nothing"), 404, "OBJECT_NOT_FOUND");
});

await step("openapi: the document generates TypeScript types (openapi-typescript)", async () => {
  const res = await fetch(`${origin}/api/v1/openapi.json`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  const ts = astToString(await openapiTS(doc));
  assert.match(ts, /crm_account: \{/);
  assert.match(ts, /create_crm_account: \{/);
  assert.match(ts, /industry\?: "technology" \| "finance" \| "retail" \| "healthcare" \| "manufacturing" \| null/);
});

let acme, globex;
await step("data.create", async () => {
  const r = await client.data.create("crm_account", { name: `Acme ${run}`, industry: "technology", annual_revenue: 1200 });
  acme = r.record;
  assert.equal(r.object, "crm_account");
  assert.equal(r.id, acme.id);
  assert.equal(acme.industry, "technology");
  globex = (await client.data.create("crm_account", { name: `Globex ${run}`, industry: "finance", annual_revenue: 5 })).record;
});
const mine = createFilter().in("id", [acme?.id, globex?.id]).build();
await step("data.get", async () => {
  const r = await client.data.get("crm_account", acme.id);
  assert.equal(r.record.name, acme.name);
});
await step("data.find: plain filter object becomes ?field=value", async () => {
  const r = await client.data.find("crm_account", { filter: { industry: "finance", name: globex.name } });
  assert.equal(r.total, 1);
  assert.equal(r.records[0].id, globex.id);
});
await step("data.find: filter AST from the builder", async () => {
  const f = createFilter().equals("industry", "technology").greaterThan("annual_revenue", 100).in("id", [acme.id, globex.id]).build();
  const r = await client.data.find("crm_account", { filter: f });
  assert.deepEqual(r.records.map((x) => x.id), [acme.id]);
});
await step("data.find: between / contains / in", async () => {
  const f = createFilter().between("annual_revenue", 1, 2000).contains("name", run).in("industry", ["technology", "finance"]).build();
  const r = await client.data.find("crm_account", { filter: f });
  assert.equal(r.total, 2);
});
await step("data.find: where + orderBy objects + limit + fields", async () => {
  const r = await client.data.find("crm_account", {
    where: mine,
    orderBy: [{ field: "name", order: "desc" }],
    limit: 1,
    fields: ["name"],
  });
  assert.equal(r.records.length, 1);
  assert.equal(r.records[0].id, globex.id);
  assert.deepEqual(Object.keys(r.records[0]).sort(), ["id", "name"]);
  assert.equal(r.total, 2);
  assert.equal(r.hasMore, true);
});
await step("data.find: an operator object in `where` is refused, not silently unmatched", async () => {
  await rejectsWith(client.data.find("crm_account", { where: { annual_revenue: { $gte: 0 } } }), 400, "INVALID_FILTER");
});
await step("data.query: QueryAST body", async () => {
  const r = await client.data.query("crm_account", {
    object: "crm_account",
    where: { industry: "finance", name: globex.name },
    orderBy: [{ field: "name", order: "asc" }],
    limit: 10,
    fields: ["name", "industry"],
  });
  assert.equal(r.total, 1);
  assert.equal(r.records[0].industry, "finance");
});
await step("data.find: expand a lookup", async () => {
  const c = (await client.data.create("crm_contact", { last_name: `Doe ${run}`, account: acme.id })).record;
  const r = await client.data.find("crm_contact", { where: createFilter().equals("id", c.id).build(), expand: ["account"] });
  assert.equal(r.records[0].account.name, acme.name);
});
let stale;
await step("data.update with If-Match", async () => {
  const g = await client.data.get("crm_account", acme.id);
  stale = g.record.updated_at;
  const r = await client.data.update("crm_account", acme.id, { website: "https://acme.example" }, { ifMatch: stale });
  assert.equal(r.record.website, "https://acme.example");
});
await step("data.update with a stale If-Match is 409 CONCURRENT_UPDATE", async () => {
  await rejectsWith(client.data.update("crm_account", acme.id, { name: "x" }, { ifMatch: stale }), 409, "CONCURRENT_UPDATE");
});
await step("data.create invalid: 400 VALIDATION_FAILED with fields", async () => {
  await assert.rejects(client.data.create("crm_account", { industry: "nope" }), (e) => {
    assert.equal(e.code, "VALIDATION_FAILED");
    assert.deepEqual(e.fields.map((f) => [f.field, f.code]).sort(), [["industry", "invalid_option"], ["name", "required"]]);
    return true;
  });
});
await step("data.get unknown id is 404 RECORD_NOT_FOUND", async () => {
  await rejectsWith(client.data.get("crm_account", "00000000-0000-7000-8000-000000000000"), 404, "RECORD_NOT_FOUND");
});
await step("data.find unknown object is 404 OBJECT_NOT_FOUND", async () => {
  await rejectsWith(client.data.find("crm_nope", {}), 404, "OBJECT_NOT_FOUND");
});

let opp;
await step("actions.invoke close_won", async () => {
  opp = (await client.data.create("crm_opportunity", { name: `Deal ${run}`, account: acme.id, amount: 1000 })).record;
  assert.equal(opp.stage, "prospecting");
  const r = await client.actions.invoke("crm_opportunity", "close_won", { recordId: opp.id, params: { note: "signed" } });
  assert.equal(r.success, true, JSON.stringify(r));
  assert.equal(r.data.stage, "closed_won");
  assert.equal(r.data.probability, 100);
});
await step("data.update against a validation rule: 400 VALIDATION_FAILED with the rule's code", async () => {
  await assert.rejects(client.data.update("crm_opportunity", opp.id, { stage: "prospecting" }), (e) => {
    assert.equal(e.code, "VALIDATION_FAILED");
    assert.deepEqual(e.fields.map((f) => [f.field, f.code]), [["stage", "invalid_transition"]]);
    return true;
  });
});
await step("actions.invoke: undeclared action is a failure result", async () => {
  const r = await client.actions.invoke("crm_opportunity", "no_such_action", {});
  assert.equal(r.success, false);
});
await step("data.delete restricted by a lookup is 409 DELETE_RESTRICTED", async () => {
  await rejectsWith(client.data.delete("crm_account", acme.id), 409, "DELETE_RESTRICTED");
});
await step("data.delete", async () => {
  const r = await client.data.delete("crm_opportunity", opp.id);
  assert.equal(r.success, true);
  assert.equal(r.id, opp.id);
});

await step("capabilities: transactionalBatch", async () => {
  assert.equal(client.capabilities.transactionalBatch, true);
});
let bulk;
await step("data.createMany, updateMany, batch, deleteMany", async () => {
  const r = await client.data.createMany("crm_account", [{ name: `Bulk A ${run}` }, { name: `Bulk B ${run}` }]);
  assert.equal(r.count, 2);
  bulk = r.records.map((x) => x.id);
  const u = await client.data.updateMany("crm_account", bulk.map((id) => ({ id, data: { industry: "retail" } })));
  assert.equal(u.success, true);
  assert.equal(u.succeeded, 2);
  const b = await client.data.batch("crm_account", { operation: "update", records: [{ id: bulk[0], data: { website: "https://a.example" } }], options: { atomic: true } });
  assert.equal(b.results[0].data.website, "https://a.example");
  const d = await client.data.deleteMany("crm_account", [...bulk, "00000000-0000-7000-8000-000000000000"], { continueOnError: true });
  assert.deepEqual([d.succeeded, d.failed], [2, 1]);
  assert.equal(d.results[2].errors[0].code, "RECORD_NOT_FOUND");
});
await step("data.createMany is all or nothing", async () => {
  await rejectsWith(client.data.createMany("crm_account", [{ name: `Bulk C ${run}` }, { industry: "nope" }]), 400, "VALIDATION_FAILED");
  const r = await client.data.find("crm_account", { where: createFilter().contains("name", `Bulk C ${run}`).build() });
  assert.equal(r.total, 0);
});
await step("data.batchTransaction with $ref", async () => {
  const r = await client.data.batchTransaction([
    { object: "crm_account", action: "create", data: { name: `Parent ${run}` } },
    { object: "crm_contact", action: "create", data: { last_name: `Child ${run}`, account: { $ref: 0 } } },
  ]);
  assert.equal(r.results[1].account, r.results[0].id);
});

let key;
await step("keys.create", async () => {
  key = await client.keys.create({ name: `etl ${run}`, expiresAt: new Date(Date.now() + 86400e3).toISOString() });
  assert.match(key.key, /^os_pk_live_[A-Za-z0-9_-]{43}$/);
  assert.equal(key.prefix, key.key.slice(0, 19));
});
await step("keys.create with epoch milliseconds and seconds", async () => {
  for (const expiresAt of [Date.now() + 86400e3, Math.floor(Date.now() / 1000) + 86400]) {
    const k = await client.keys.create({ name: `etl ${run}`, expiresAt });
    assert.ok(Date.parse(k.expires_at) > Date.now());
  }
});
await step("keys.create in the past is 400", async () => {
  await assert.rejects(client.keys.create({ name: "old", expiresAt: "2001-01-01T00:00:00Z" }), (e) => e.httpStatus === 400);
});
await step("an API key works as the client's token and in x-api-key", async () => {
  const kc = new ObjectStackClient({ baseUrl: origin, token: key.key, logger: quiet });
  await kc.connect();
  const r = await kc.data.find("crm_account", { where: mine });
  assert.equal(r.total, 2);
  const res = await fetch(`${origin}/api/v1/data/crm_account/${acme.id}`, { headers: { "x-api-key": key.key } });
  assert.equal(res.status, 200);
});
await step("the key's hash and secret never come back in a list", async () => {
  const r = await client.data.find("sys_api_key", { where: createFilter().equals("id", key.id).build() });
  assert.equal(r.total, 1);
  const text = JSON.stringify(r);
  assert.ok(!text.includes(key.key), "raw key in a list");
  assert.ok(!/hash/i.test(Object.keys(r.records[0]).join(",")), "hash field in a list");
});
await step("actions.invoke revoke_api_key, then the key is 401 INVALID_TOKEN", async () => {
  const r = await client.actions.invoke("sys_api_key", "revoke_api_key", { recordId: key.id });
  assert.equal(r.success, true, JSON.stringify(r));
  const kc = new ObjectStackClient({ baseUrl: origin, token: key.key, logger: quiet });
  await rejectsWith(kc.data.find("crm_account", {}), 401, "INVALID_TOKEN");
});

let jwt, claims;
await step("jwt: token() (jwtClient) verifies offline against jwks() with node:crypto", async () => {
  // a permission set for the sets claim, taken back once the token is made
  const me = (await auth.getSession()).data.user;
  const sets = (await client.data.get("sys_user", me.id)).record.permission_sets ?? [];
  await client.data.update("sys_user", me.id, { permission_sets: [...sets, "crm_sales_user"] });
  const t = await auth.token();
  await client.data.update("sys_user", me.id, { permission_sets: sets });
  assert.equal(t.error, null, JSON.stringify(t.error));
  jwt = t.data.token;
  const [h, p, sig] = jwt.split(".");
  const header = JSON.parse(Buffer.from(h, "base64url"));
  claims = JSON.parse(Buffer.from(p, "base64url"));
  assert.equal(header.alg, "EdDSA");
  const k = await auth.jwks();
  assert.equal(k.error, null, JSON.stringify(k.error));
  const jwk = k.data.keys.find((x) => x.kid === header.kid);
  assert.ok(jwk, `no key ${header.kid} in ${JSON.stringify(k.data)}`);
  const key = createPublicKey({ key: jwk, format: "jwk" });
  assert.ok(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(sig, "base64url")), "the signature does not verify");
  const changed = Buffer.from(JSON.stringify({ ...claims, role: "user" })).toString("base64url");
  assert.ok(!verify(null, Buffer.from(`${h}.${changed}`), key, Buffer.from(sig, "base64url")), "a changed claim verifies");
  assert.equal(claims.sub, me.id);
});
await step("jwt: claims email, role, sets, iat, exp, iss, aud", async () => {
  assert.equal(claims.email, email);
  assert.equal(claims.role, "admin");
  assert.ok(claims.sets?.includes("crm_sales_user"), `sets ${claims.sets}`);
  const now = Date.now() / 1000;
  assert.ok(Math.abs(claims.iat - now) < 60, `iat ${claims.iat}, now ${now}`);
  assert.equal(claims.exp - claims.iat, 15 * 60);
  assert.equal(claims.iss, process.env.JWT_ISSUER ?? "objectos");
  assert.equal(claims.aud, claims.iss);
});
await step("jwt: a bearer credential for data calls; a forged one is 401 INVALID_TOKEN", async () => {
  const bearer = new ObjectStackClient({ baseUrl: origin, token: jwt, logger: quiet });
  assert.equal((await bearer.data.find("crm_account", { where: mine })).total, 2);
  const [h, , sig] = jwt.split(".");
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: acme.id })).toString("base64url")}.${sig}`;
  await rejectsWith(new ObjectStackClient({ baseUrl: origin, token: forged, logger: quiet }).data.find("crm_account", {}), 401, "INVALID_TOKEN");
  const again = await fetch(`${origin}/api/v1/auth/token`, { headers: { Authorization: `Bearer ${jwt}` } });
  assert.equal(again.status, 401, "a JWT got another JWT");
});

await step("auth: updateUser and listSessions", async () => {
  const before = (await auth.getSession()).data.user.name;
  let r = await auth.updateUser({ name: `Admin ${run}` });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal((await auth.getSession()).data.user.name, `Admin ${run}`);
  r = await auth.updateUser({ name: before });
  assert.equal(r.error, null);
  const list = await auth.listSessions();
  assert.equal(list.error, null, JSON.stringify(list.error));
  const current = (await auth.getSession()).data.session.id;
  assert.ok(list.data.some((s) => s.id === current));
  assert.ok(list.data.every((s) => !("token" in s)), "tokens are never listed");
});
await step("admin: createUser and setUserPassword (adminClient); the user's session ends", async () => {
  const userEmail = `${run}-user@example.com`;
  const created = await auth.admin.createUser({ email: userEmail, password: "first-password-1", name: "Interop User" });
  assert.equal(created.error, null, JSON.stringify(created.error));
  assert.equal(created.data.user.email, userEmail);
  assert.equal(created.data.user.name, "Interop User");
  const dup = await auth.admin.createUser({ email: userEmail.toUpperCase(), password: "first-password-1", name: "Again" });
  assert.equal(dup.error?.status, 400);
  assert.equal(dup.error.code, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
  const other = createAuthClient({ baseURL: `${origin}/api/v1/auth` });
  const signedIn = await patient(() => other.signIn.email({ email: userEmail, password: "first-password-1" }));
  assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
  const theirs = signedIn.data.token;
  const sessionOf = async (t) => (await fetch(`${origin}/api/v1/auth/get-session`, { headers: { Authorization: `Bearer ${t}` } })).json();
  assert.equal((await sessionOf(theirs)).user.email, userEmail);
  const set = await auth.admin.setUserPassword({ userId: created.data.user.id, newPassword: "second-password-2" });
  assert.equal(set.error, null, JSON.stringify(set.error));
  assert.equal(set.data.status, true);
  assert.equal(await sessionOf(theirs), null, "their session is revoked");
  assert.equal((await patient(() => other.signIn.email({ email: userEmail, password: "first-password-1" }))).error?.status, 401);
  assert.equal((await patient(() => other.signIn.email({ email: userEmail, password: "second-password-2" }))).error, null);
});
await step("auth: changePassword (and back); other sessions are revoked", async () => {
  const second = await fetch(`${origin}/api/v1/auth/sign-in/email`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }),
  }).then((r) => r.json());
  let r = await auth.changePassword({ currentPassword: "not-the-password", newPassword: "another-password-1" });
  assert.equal(r.error.status, 400);
  assert.equal(r.error.code, "INVALID_PASSWORD");
  r = await auth.changePassword({ currentPassword: password, newPassword: "another-password-1" });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.token, null);
  const other = new ObjectStackClient({ baseUrl: origin, token: second.token, logger: quiet });
  await rejectsWith(other.data.find("crm_account", {}), 401, "INVALID_TOKEN");
  r = await auth.changePassword({ currentPassword: "another-password-1", newPassword: password });
  assert.equal(r.error, null, JSON.stringify(r.error));
  await client.data.find("crm_account", {}); // the current session lives on
});
await step("auth: revokeOtherSessions keeps the current one", async () => {
  const r = await auth.revokeOtherSessions();
  assert.equal(r.error, null);
  assert.equal((await auth.listSessions()).data.length, 1);
});

await step("auth: sign-out revokes the token at once", async () => {
  const r = await auth.signOut();
  assert.equal(r.error, null);
  assert.equal(r.data.success, true);
  await rejectsWith(client.data.find("crm_account", {}), 401, "INVALID_TOKEN");
  const s = await auth.getSession();
  assert.equal(s.data, null);
});
if (process.env.CRM_LOG) {
  const { readFile } = await import("node:fs/promises");
  const logged = async (since) => {
    for (let i = 0; i < 50; i++) {
      const m = (await readFile(process.env.CRM_LOG, "utf8")).slice(since).match(/link="?(https?:\/\/[^"\s]+\/reset-password\/[^"\s]+)/);
      if (m) return m[1];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("the development mailer logged no reset link");
  };
  // reset sets the admin's password through a reset link.
  const reset = async (newPassword) => {
    const since = (await readFile(process.env.CRM_LOG, "utf8")).length;
    const r = await patient(() => auth.requestPasswordReset({ email, redirectTo: "/reset" }));
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.data.status, true);
    const link = await logged(since);
    let res = await fetch(link, { redirect: "manual" });
    for (let i = 0; res.status === 429 && i < 10; i++) {
      await new Promise((done) => setTimeout(done, (Number(res.headers.get("retry-after") ?? 6) + 0.5) * 1000));
      res = await fetch(link, { redirect: "manual" });
    }
    assert.equal(res.status, 302);
    const target = new URL(res.headers.get("location"), origin);
    assert.equal(target.pathname, "/reset");
    const done = await patient(() => auth.resetPassword({ newPassword, token: target.searchParams.get("token") }));
    assert.equal(done.error, null, JSON.stringify(done.error));
    assert.equal(done.data.status, true);
    return target.searchParams.get("token");
  };
  await step("auth: requestPasswordReset answers alike for an unknown address", async () => {
    const known = await patient(() => auth.requestPasswordReset({ email, redirectTo: "/reset" }));
    const unknown = await patient(() => auth.requestPasswordReset({ email: `nobody-${run}@example.com`, redirectTo: "/reset" }));
    assert.equal(known.error, null, JSON.stringify(known.error));
    assert.deepEqual(unknown, known);
    const evil = await patient(() => auth.requestPasswordReset({ email, redirectTo: "https://evil.example/reset" }));
    assert.equal(evil.error.status, 403);
    assert.equal(evil.error.code, "INVALID_REDIRECT_URL");
  });
  await step("auth: resetPassword with the mailed link revokes every session (and back)", async () => {
    const signedIn = await patient(() => auth.signIn.email({ email, password }));
    assert.equal(signedIn.error, null, JSON.stringify(signedIn.error));
    const session = new ObjectStackClient({ baseUrl: origin, token, logger: quiet });
    await session.data.find("crm_account", {});
    const used = await reset("reset-password-9");
    await rejectsWith(session.data.find("crm_account", {}), 401, "INVALID_TOKEN");
    const again = await patient(() => auth.resetPassword({ newPassword: "reset-password-10", token: used }));
    assert.equal(again.error.status, 400);
    assert.equal(again.error.code, "INVALID_TOKEN");
    assert.equal((await patient(() => auth.signIn.email({ email, password }))).error.status, 401);
    await reset(password);
    assert.equal((await patient(() => auth.signIn.email({ email, password }))).error, null);
    await auth.signOut();
  });
}
// Two-factor, with a client that keeps cookies as a browser does: the
// pending sign-in between the password and the code is a cookie.
const jar = new Map();
let redirected; // what the plugin's onTwoFactorRedirect was given
const app = createAuthClient({
  baseURL: `${origin}/api/v1/auth`,
  plugins: [twoFactorClient({ onTwoFactorRedirect: (ctx) => { redirected = ctx; } })],
  fetchOptions: {
    onRequest: (ctx) => {
      if (jar.size) ctx.headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    },
    onResponse: (ctx) => {
      for (const c of ctx.response.headers.getSetCookie()) {
        const [pair, ...attrs] = c.split(";");
        const at = pair.indexOf("=");
        const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
        if (value === "" || attrs.some((a) => /^\s*max-age=\s*(0|-)/i.test(a))) jar.delete(name);
        else jar.set(name, value);
      }
    },
  },
});
// Codes of the secret, each at a later time step than the last: the server
// takes a step once, the current one or one early or late.
let secret, backupCodes, on = false, lastStep = 0;
const nowStep = () => Math.floor(Date.now() / 30000);
const nextCode = () => {
  lastStep = Math.max(nowStep(), lastStep + 1);
  assert.ok(lastStep <= nowStep() + 1, "no time step left to use");
  return totp(secret, lastStep);
};
await step("two-factor: enable ⇒ totpURI and 10 backup codes; verifyTotp turns it on", async () => {
  assert.equal(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1), "287082", "RFC 6238's SHA-1 vector at T=59");
  let r = await patient(() => app.signIn.email({ email, password }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.ok(jar.has("better-auth.session_token"), `cookies: ${[...jar.keys()]}`);
  r = await patient(() => app.twoFactor.enable({ password, issuer: "Interop" }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  const uri = new URL(r.data.totpURI);
  assert.equal(uri.protocol, "otpauth:");
  assert.equal(decodeURIComponent(uri.pathname), `/Interop:${email}`);
  secret = uri.searchParams.get("secret");
  backupCodes = r.data.backupCodes;
  assert.equal(backupCodes.length, 10);
  assert.equal((await app.getSession()).data.user.twoFactorEnabled, false, "on before a code was verified");
  r = await patient(() => app.twoFactor.verifyTotp({ code: nextCode() }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  on = true;
  assert.equal(r.data.user.twoFactorEnabled, true);
  assert.equal((await app.getSession()).data.user.twoFactorEnabled, true);
});
// pendingSignIn signs out and in again with the password: a two-factor
// redirect, a pending cookie and no session yet.
const pendingSignIn = async () => {
  await app.signOut();
  redirected = undefined;
  const r = await patient(() => app.signIn.email({ email, password }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.twoFactorRedirect, true, JSON.stringify(r.data));
  assert.deepEqual(redirected?.twoFactorMethods, ["totp"], "what onTwoFactorRedirect was given");
  assert.ok(jar.has("better-auth.two_factor"), `cookies: ${[...jar.keys()]}`);
  assert.ok(!jar.has("better-auth.session_token"), "a session cookie before the code");
  assert.equal((await app.getSession()).data, null);
};
let used;
await step("two-factor: the password alone ⇒ twoFactorRedirect; a wrong code is 401; verifyTotp signs in", async () => {
  await pendingSignIn();
  const accepted = [-1, 0, 1].map((d) => totp(secret, nowStep() + d));
  let wrong = 0;
  while (accepted.includes(String(wrong).padStart(6, "0"))) wrong++;
  let r = await patient(() => app.twoFactor.verifyTotp({ code: String(wrong).padStart(6, "0") }));
  assert.equal(r.error?.status, 401, JSON.stringify(r));
  assert.equal(r.error.code, "INVALID_CODE");
  assert.equal((await app.getSession()).data, null);
  used = nextCode();
  r = await patient(() => app.twoFactor.verifyTotp({ code: used }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.email, email);
  assert.ok(!jar.has("better-auth.two_factor"), "the pending cookie outlived the sign-in");
  assert.equal((await app.getSession()).data.user.email, email);
  const c = new ObjectStackClient({ baseUrl: origin, token: r.data.token, logger: quiet });
  await c.data.find("crm_account", {});
});
await step("two-factor: a used code is 401; a backup code works once, not twice", async () => {
  await pendingSignIn();
  let r = await patient(() => app.twoFactor.verifyTotp({ code: used }));
  assert.equal(r.error?.status, 401, JSON.stringify(r));
  assert.equal(r.error.code, "INVALID_CODE");
  r = await patient(() => app.twoFactor.verifyBackupCode({ code: backupCodes[0] }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal((await app.getSession()).data.user.email, email);
  await pendingSignIn();
  r = await patient(() => app.twoFactor.verifyBackupCode({ code: backupCodes[0] }));
  assert.equal(r.error?.status, 401, JSON.stringify(r));
  assert.equal(r.error.code, "INVALID_BACKUP_CODE");
  r = await patient(() => app.twoFactor.verifyBackupCode({ code: backupCodes[1] }));
  assert.equal(r.error, null, JSON.stringify(r.error));
});
await step("two-factor: disable with the password; the password alone signs in again", async () => {
  let r = await patient(() => app.twoFactor.disable({ password: "not-the-password" }));
  assert.equal(r.error?.status, 400, JSON.stringify(r));
  assert.equal(r.error.code, "INVALID_PASSWORD");
  r = await patient(() => app.twoFactor.disable({ password }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.status, true);
  on = false;
  await app.signOut();
  r = await patient(() => app.signIn.email({ email, password }));
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.twoFactorEnabled, false);
  await app.signOut();
});
if (on) {
  // a step failed with two-factor on: off again with a backup code, so that
  // mcp.mjs and the next run can sign in with the password
  await app.signOut();
  await patient(() => app.signIn.email({ email, password }));
  await patient(() => app.twoFactor.verifyBackupCode({ code: backupCodes.at(-1) }));
  await patient(() => app.twoFactor.disable({ password }));
  await app.signOut();
}

await step("anonymous data call is 401 UNAUTHENTICATED", async () => {
  const anon = new ObjectStackClient({ baseUrl: origin, logger: quiet });
  await rejectsWith(anon.data.find("crm_account", {}), 401, "UNAUTHENTICATED");
});

finish("client");
