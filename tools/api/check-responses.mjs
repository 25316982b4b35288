// Checks every response the API tests received against the OpenAPI document, with an
// independent JSON Schema validator (ajv, draft 2020-12 as OpenAPI 3.1 uses).
//
//   node tools/api/check-responses.mjs server/openapi.json build/.../api-exchanges.ndjson
//
// Each line of the exchanges file is {method, target, status, contentType, body}, written by
// the test client (tests/server/server_support.cc). For each: the path must be one the
// document lists (else the answer must be a 404 error), the method one it lists for the path
// (else a 404 or 405 error), the status one the operation lists, the content type one the
// response lists, and a JSON body must validate against its schema. The web UI's files (GET /
// and /ui/... answered 200) are not part of the API and are skipped. NDJSON bodies are checked
// line by line (x-custody-line-schema) and WebSocket frames (method "WS") against the 101
// response's x-custody-frame-schema. Exits 1 with every mismatch listed.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [docPath, exchangesPath] = process.argv.slice(2);
if (!docPath || !exchangesPath) {
  console.error("usage: check-responses.mjs OPENAPI.json EXCHANGES.ndjson");
  process.exit(2);
}
const doc = JSON.parse(readFileSync(docPath, "utf8"));
let text;
try {
  text = readFileSync(exchangesPath, "utf8");
} catch (e) {
  console.error(`no exchanges to check (${exchangesPath}): did the API tests run?`);
  process.exit(1);
}
const exchanges = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
if (exchanges.length === 0) {
  console.error("no exchanges to check: did the API tests run?");
  process.exit(1);
}

// The document doubles as a schema resource, so "$ref": "#/components/schemas/X" resolves;
// its own keywords (openapi, paths, ...) are not schema keywords, hence strict: false.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const DOC_ID = "https://custody.invalid/openapi.json";
ajv.addSchema({ ...doc, $id: DOC_ID });
const validators = new Map();
const pointer = (parts) =>
  "#/" + parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
function validatorAt(parts) {
  const key = pointer(parts);
  if (!validators.has(key)) validators.set(key, ajv.compile({ $ref: DOC_ID + key }));
  return validators.get(key);
}
const resolve = (obj) => {
  while (obj && obj.$ref) {
    obj = obj.$ref
      .slice(2)
      .split("/")
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((o, k) => o[k], doc);
  }
  return obj;
};

// Path templates, literal ones first: "/v1/signatures/challenges/{id}:confirm".
const templates = Object.keys(doc.paths)
  .map((t) => {
    const re = new RegExp(
      "^" + t.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&")).join("[^/]+") + "$"
    );
    return { t, re, literal: !t.includes("{") };
  })
  .sort((a, b) => Number(b.literal) - Number(a.literal));

const failures = [];
const seen = new Map();
function check(x, i) {
  const where = `#${i + 1} ${x.method || "(not a request)"} ${x.target || ""} -> ${x.status}`;
  const fail = (why) => failures.push(`${where}: ${why}`);
  const isError = () => {
    const v = validatorAt(["components", "schemas", "Error"]);
    let body;
    try {
      body = JSON.parse(x.body);
    } catch {
      return false;
    }
    return v(body);
  };
  const path = (x.target || "").split("?")[0];
  // The web UI's static files (/, /ui/...) are not the API the document describes.
  if (x.method === "GET" && (path === "/" || path.startsWith("/ui/")) && x.status === 200) return;
  const found = templates.find(({ re }) => re.test(path));
  if (!found) {
    // Not a route: malformed HTTP (400, 413) or an unknown path (404), with the error body.
    if (![400, 404, 413].includes(x.status) || !isError()) {
      fail("a path the document does not list, answered other than a 400/404/413 error");
    }
    return;
  }
  const method = x.method === "WS" ? "get" : (x.method || "").toLowerCase();
  const op = doc.paths[found.t][method];
  if (!op) {
    if (![400, 404, 405, 413].includes(x.status) || !isError()) {
      fail(`${found.t} lists no ${method}, and the answer is not a 404/405 error`);
    }
    return;
  }
  const status = String(x.status);
  const responseRaw = op.responses[status] ?? op.responses[status[0] + "XX"] ?? op.responses.default;
  if (!responseRaw) {
    fail(`${op.operationId} does not document status ${status}`);
    return;
  }
  const opKey = `${op.operationId} ${status}`;
  seen.set(opKey, (seen.get(opKey) ?? 0) + 1);
  const responseKey = op.responses[status] ? status : op.responses[status[0] + "XX"] ? status[0] + "XX" : "default";
  const response = resolve(responseRaw);
  const responseParts = responseRaw.$ref
    ? responseRaw.$ref.slice(2).split("/").map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
    : ["paths", found.t, method, "responses", responseKey];
  if (x.method === "WS") {
    const v = validatorAt([...responseParts, "x-custody-frame-schema"]);
    if (!response["x-custody-frame-schema"]) return fail("frames without a documented schema");
    if (!v(JSON.parse(x.body))) fail("frame: " + ajv.errorsText(v.errors));
    return;
  }
  if (!response.content) {
    if (x.body && x.body.length > 0 && x.status !== 101) fail("a body where the document has none");
    return;
  }
  const type = (x.contentType || "").split(";")[0].trim();
  const media = response.content[type];
  if (!media) {
    fail(`content type '${type}' is not one of ${Object.keys(response.content).join(", ")}`);
    return;
  }
  const mediaParts = [...responseParts, "content", type];
  if (type === "application/json" || type === "application/ld+json") {
    let body;
    try {
      body = JSON.parse(x.body);
    } catch (e) {
      return fail("the body is not JSON: " + e.message);
    }
    const v = validatorAt([...mediaParts, "schema"]);
    if (!v(body)) fail(ajv.errorsText(v.errors) + "\n    body: " + x.body.slice(0, 300));
  } else if (media["x-custody-line-schema"]) {
    const v = validatorAt([...mediaParts, "x-custody-line-schema"]);
    x.body
      .split("\n")
      .filter((l) => l !== "")
      .forEach((line, n) => {
        if (!v(JSON.parse(line))) fail(`line ${n + 1}: ` + ajv.errorsText(v.errors));
      });
  }
}
exchanges.forEach(check);

const operations = [];
for (const [t, item] of Object.entries(doc.paths)) {
  for (const [m, op] of Object.entries(item)) {
    if (m !== "parameters") operations.push({ t, m, op });  // path-level parameters: not an operation
  }
}
const untouched = operations.filter(
  ({ op }) => ![...seen.keys()].some((k) => k.startsWith(op.operationId + " "))
);
console.log(
  `checked ${exchanges.length} responses against ${docPath}: ${seen.size} operation/status ` +
    `pairs seen; operations no test called: ${untouched.map(({ op }) => op.operationId).join(", ") || "none"}`
);
if (failures.length > 0) {
  console.error(`${failures.length} responses do not match the document:`);
  for (const f of failures.slice(0, 50)) console.error("  " + f);
  process.exit(1);
}
