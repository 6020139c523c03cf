// Writes gen/postman/galeno.postman_collection.json from openapi.yaml with the pinned
// openapi-to-postmanv2, then sets each request's credential to its family's collection variable:
// the converter gives every apiKey scheme one shared {{apiKey}}, sends the session cookie as a
// header named sessionid, and cannot tell the institution's bearer from the patient's.
import { readFileSync, writeFileSync } from "node:fs";

const [spec, out] = process.argv.slice(2);

// The four credentials, as collection variables whose values the mock accepts (set your own).
const variables = [
  { key: "baseUrl", value: "http://127.0.0.1:8080" },
  { key: "prescryptoToken", value: "0123456789abcdef0123456789abcdef01234567" },
  { key: "institutionKey", value: "inst_live_key" },
  { key: "sessionid", value: "example-session-id" },
  { key: "patientToken", value: "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl" },
];

const header = (key, value) => ({ type: "apikey", apikey: [{ key: "key", value: key }, { key: "value", value }, { key: "in", value: "header" }] });
const bearer = (variable) => ({ type: "bearer", bearer: [{ key: "token", value: `{{${variable}}}` }] });

// auth is the credential the request's family reads, by its path.
function auth(path) {
  if (path.startsWith("api/v2/")) return header("Authorization", "Token {{prescryptoToken}}");
  if (path.startsWith("v1/institutional/")) return bearer("institutionKey");
  if (path.startsWith("users/user/")) return header("Cookie", "sessionid={{sessionid}}");
  return bearer("patientToken");
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// stable drops the converter's random ids, so that make check-generated sees only real changes.
function stable(value) {
  if (Array.isArray(value)) value.forEach(stable);
  else if (value && typeof value === "object") {
    if (typeof value.id === "string" && uuid.test(value.id)) delete value.id;
    Object.values(value).forEach(stable);
  }
}

function fix(items) {
  for (const item of items) {
    if (item.item) fix(item.item);
    else if (item.request.auth) item.request.auth = auth(item.request.url.path.join("/"));
  }
}

// The converter fakes values the contract gives no example for with Math.random: a seeded
// generator (mulberry32) makes the output the same on every run.
let seed = 12;
Math.random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
// Imported only now: the faker keeps the Math.random it finds when loaded.
const { default: converter } = await import("openapi-to-postmanv2");

const options = { folderStrategy: "Tags", requestParametersResolution: "Example", exampleParametersResolution: "Example", includeAuthInfoInExample: false };
converter.convert({ type: "string", data: readFileSync(spec, "utf8") }, options, (err, result) => {
  if (err || !result.result) throw err ?? new Error(result.reason);
  const collection = result.output[0].data;
  fix(collection.item);
  stable(collection);
  // One fixed id: importing a newer collection replaces the older one instead of adding a copy.
  collection.info._postman_id = "5d1f0c2e-7a43-4b8e-9c61-0a9e6b2f4d17";
  collection.variable = variables;
  // Every request must reach its operation with its credential: no 401/403 and no 5xx.
  collection.event = [{
    listen: "test",
    script: { type: "text/javascript", exec: [
      'pm.test("authenticated and no server error", function () {',
      "  pm.expect(pm.response.code).to.not.be.oneOf([401, 403]);",
      "  pm.expect(pm.response.code).to.be.below(500);",
      "});",
    ] },
  }];
  writeFileSync(out, JSON.stringify(collection, null, 2) + "\n");
});
