// Drives the MCP endpoint of a running objectos server (examples/crm started
// with OS_MCP_SERVER_ENABLED=true) with the official TypeScript SDK
// (@modelcontextprotocol/sdk): an API key minted for the admin, sent as a
// header, as desktop MCP clients are configured. The SDK checks every
// structured result against the tool's declared output schema, so a result
// that does not match fails here.
//
//   OBJECTOS_URL=http://127.0.0.1:8080 ADMIN_EMAIL=… ADMIN_PASSWORD=… node mcp.mjs
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { email, finish, origin, password, step } from "./harness.mjs";

const endpoint = new URL(`${origin}/api/v1/mcp`);
const run = `mcp-${Date.now()}`; // keeps names unique when run twice on one database

async function post(path, body, headers = {}) {
  const r = await fetch(`${origin}/api/v1${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

function connect(key) {
  const transport = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: "objectos-interop", version: "0.0.0" });
  return { client, transport, ready: client.connect(transport) };
}

// A tool's result: its structured content, or a thrown error with the code
// of a failed call.
async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) {
    const e = JSON.parse(r.content[0].text);
    throw Object.assign(new Error(`${name}: ${e.code}: ${e.message}`), { code: e.code });
  }
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent, "the text is the structured content");
  return r.structuredContent;
}

const key = await step("mint an API key for the agent", async () => {
  const s = await post("/auth/sign-in/email", { email, password });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  const k = await post("/keys", { name: `agent ${run}` }, { Authorization: `Bearer ${s.body.token}` });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  return k.body.key;
});
if (!key) finish("MCP");

const { client, transport, ready } = connect(key);
await step("connect (initialize, stateless: no session)", async () => {
  await ready;
  assert.equal(client.getServerVersion().name, "objectos");
  assert.equal(transport.sessionId, undefined);
});
await step("listTools: upstream's names, output schemas, annotations", async () => {
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const name of ["list_objects", "describe_object", "query_records", "aggregate_records", "get_record", "create_record",
    "update_record", "delete_record", "list_actions", "run_action"]) {
    assert.ok(byName[name], `tool ${name}`);
    assert.equal(byName[name].outputSchema?.type, "object", `${name} declares an output schema`);
  }
  assert.equal(byName.query_records.annotations.readOnlyHint, true);
  assert.equal(byName.delete_record.annotations.destructiveHint, true);
  assert.equal(byName.create_record.annotations.openWorldHint, false);
});
await step("list_objects hides system objects", async () => {
  const r = await call(client, "list_objects", {});
  const names = r.objects.map((o) => o.name);
  assert.ok(names.includes("crm_account"));
  assert.ok(!names.some((n) => n.startsWith("sys_")), names.join(","));
});
const account = await step("create_record", async () => {
  const r = await call(client, "create_record", {
    objectName: "crm_account", data: { name: `MCP ${run}`, industry: "retail", annual_revenue: 1234.5 },
  });
  assert.equal(r.record.name, `MCP ${run}`);
  assert.equal(r.record.annual_revenue, 1234.5);
  return r;
});
await step("query_records finds it (ObjectQL where, orderBy, fields)", async () => {
  const r = await call(client, "query_records", {
    objectName: "crm_account", where: { name: `MCP ${run}` }, fields: ["name", "industry"],
    orderBy: [{ field: "name", order: "asc" }], limit: 10,
  });
  assert.equal(r.total, 1);
  assert.equal(r.records[0].id, account.id);
  assert.deepEqual(Object.keys(r.records[0]).sort(), ["id", "industry", "name"]);
});
await step("get_record and update_record", async () => {
  assert.equal((await call(client, "get_record", { objectName: "crm_account", recordId: account.id })).record.industry, "retail");
  const r = await call(client, "update_record", { objectName: "crm_account", recordId: account.id, data: { industry: "finance" } });
  assert.equal(r.record.industry, "finance");
});
const opp = await step("run_action close_won on a new opportunity", async () => {
  const o = await call(client, "create_record", { objectName: "crm_opportunity", data: { name: `Deal ${run}`, account: account.id, amount: 1000 } });
  const r = await call(client, "run_action", { actionName: "close_won", recordId: o.id, params: { note: "via MCP" } });
  assert.equal(r.objectName, "crm_opportunity");
  assert.equal(r.result.stage, "closed_won");
  return o;
});
await step("an unknown object is a tool error (isError), not a protocol error", async () => {
  const r = await client.callTool({ name: "query_records", arguments: { objectName: "no_such_object" } });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent, undefined);
  assert.equal(JSON.parse(r.content[0].text).code, "OBJECT_NOT_FOUND");
});
await step("a validation failure lists its fields", async () => {
  await assert.rejects(call(client, "create_record", { objectName: "crm_account", data: { industry: "mining" } }),
    (e) => e.code === "VALIDATION_FAILED");
});
await step("resources: objectos://objects/crm_account", async () => {
  const { resources } = await client.listResources();
  assert.ok(resources.some((r) => r.uri === "objectos://objects"));
  const r = await client.readResource({ uri: "objectos://objects/crm_account" });
  const d = JSON.parse(r.contents[0].text);
  assert.equal(d.name, "crm_account");
  assert.ok(d.fields.some((f) => f.name === "annual_revenue"));
});

await step("aggregate_records: accounts by industry, the pipeline by stage", async () => {
  const r = await call(client, "aggregate_records", {
    objectName: "crm_account", aggregations: [{ function: "count", alias: "n" }, { function: "sum", field: "annual_revenue", alias: "revenue" }],
    groupBy: ["industry"], where: { name: `MCP ${run}` },
  });
  assert.deepEqual(r.rows, [{ industry: "finance", n: 1, revenue: 1234.5 }]);
  assert.equal(r.truncated, false);
  const p = await call(client, "aggregate_records", {
    objectName: "crm_opportunity", aggregations: [{ function: "count", alias: "deals" }],
    groupBy: [{ field: "stage", alias: "stage" }], where: { account: account.id },
  });
  assert.deepEqual(p.rows, [{ stage: "closed_won", deals: 1 }]);
  await assert.rejects(call(client, "aggregate_records", { objectName: "crm_account", aggregations: [{ function: "median", field: "annual_revenue" }] }),
    (e) => e.code === "VALIDATION_FAILED");
});

await step("delete_record (the opportunity, then the account)", async () => {
  if (opp) await call(client, "delete_record", { objectName: "crm_opportunity", recordId: opp.id });
  const r = await call(client, "delete_record", { objectName: "crm_account", recordId: account.id });
  assert.equal(r.deleted, true);
  await assert.rejects(call(client, "get_record", { objectName: "crm_account", recordId: account.id }),
    (e) => e.code === "RECORD_NOT_FOUND");
});
await client.close();

await step("a bad key is refused at connect (HTTP 401)", async () => {
  const bad = connect("os_pk_live_" + "A".repeat(43));
  await assert.rejects(bad.ready, /401|Unauthorized/);
});

finish("MCP");
