// Validates EPCIS 2.0 JSON-LD documents against GS1's JSON schema with ajv, a validator
// custody does not share code with: node tools/epcis/validate.mjs SCHEMA DOCUMENT...
// Prints each document's verdict; exits 1 when any is invalid. Formats (uri, date-time) are
// enforced, as the schema means them to be.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const [schemaFile, ...documents] = process.argv.slice(2);
if (!schemaFile || documents.length === 0) {
  console.error("usage: validate.mjs SCHEMA DOCUMENT...");
  process.exit(2);
}
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
let failed = 0;
for (const file of documents) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  if (validate(doc)) {
    const events = doc?.epcisBody?.eventList?.length ?? 0;
    console.log(`valid: ${file} (${events} events)`);
  } else {
    failed++;
    console.log(`invalid: ${file}`);
    for (const e of validate.errors.slice(0, 20)) {
      console.log(`  ${e.instancePath || "/"}: ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}
process.exit(failed ? 1 : 0);
