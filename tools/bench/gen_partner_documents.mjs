// Partners' EPCIS 2.0 documents around a custody ledger, for the cross-company trace benchmark
// (tools/bench/bench_epcis_import.sh): from custody's own export of the ledger it writes
//
//   supplier.jsonld      for every lot custody received: the farm's seed lot made from stock,
//                        the harvest that made the lot from the seed lot, and its shipping,
//                        the lot named by the farm's GTIN and the receipt's supplier lot code;
//   customer-<n>.jsonld  for every shipment custody made: the customer's receipt, the
//                        repacking of the lot into a store-level class, and a store delivery
//                        of each of `stores` stores (receipt at the store), all in two
//                        customers' documents by the shipment's parity.
//
//   node tools/bench/gen_partner_documents.mjs EXPORT.jsonld OUT_DIR [stores]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [exportFile, outDir, storesArg] = process.argv.slice(2);
if (!exportFile || !outDir) {
  console.error("usage: gen_partner_documents.mjs EXPORT.jsonld OUT_DIR [stores]");
  process.exit(2);
}
const stores = Number(storesArg ?? 20);
const ours = JSON.parse(readFileSync(exportFile, "utf8"));

// A GS1 mod-10 check digit.
function check(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += Number(digits[digits.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  }
  return String((10 - (sum % 10)) % 10);
}
// A GTIN-14 of company prefix 0614141: indicator 0, 12 digits, check digit.
const gtin = (n) => {
  const body = "00614141" + String(n).padStart(5, "0");
  return "https://id.gs1.org/01/" + body + check(body);
};
const lgtin = (product, lot) => `${gtin(product)}/10/${encodeURIComponent(lot)}`;
const shift = (time, hours) => new Date(Date.parse(time) + hours * 3600e3).toISOString();
const qty = (epcClass, quantity) => [{ epcClass, quantity, uom: "KGM" }];
const doc = (events) => ({
  "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
  type: "EPCISDocument",
  schemaVersion: "2.0",
  creationDate: new Date().toISOString(),
  epcisBody: { eventList: events },
});
const transform = (input, output, eventTime, n) => ({
  type: "TransformationEvent",
  eventTime,
  eventTimeZoneOffset: "-08:00",
  inputQuantityList: qty(input, n * 1.2),
  outputQuantityList: qty(output, n),
  bizStep: "commissioning",
});
const observe = (epcClass, bizStep, eventTime, n) => ({
  type: "ObjectEvent",
  eventTime,
  eventTimeZoneOffset: "-08:00",
  action: "OBSERVE",
  quantityList: qty(epcClass, n),
  bizStep,
});

const supplier = [];
const customers = [[], []];
let shipments = 0;
for (const e of ours.epcisBody.eventList) {
  const type = e["custody:recordType"];
  const element = e.quantityList?.[0];
  if (type === "lot.received" && e["custody:supplierLot"]) {
    const code = e["custody:supplierLot"];
    const seed = lgtin(2, "SEED-" + code);
    const lot = lgtin(1, code);
    supplier.push(transform(lgtin(3, "STOCK-" + code), seed, shift(e.eventTime, -24 * 60), 50));
    supplier.push(transform(seed, lot, shift(e.eventTime, -30), element.quantity));
    supplier.push(observe(lot, "shipping", shift(e.eventTime, -6), element.quantity));
  } else if (type === "lot.shipped") {
    const mine = customers[shipments++ % 2];
    const repacked = lgtin(100 + (shipments % 50), "S" + shipments);
    mine.push(observe(element.epcClass, "receiving", shift(e.eventTime, 5), element.quantity));
    mine.push(transform(element.epcClass, repacked, shift(e.eventTime, 8), element.quantity));
    for (let s = 0; s < stores; s++) {
      const at = shift(e.eventTime, 12 + s);
      mine.push(observe(repacked, "shipping", at, 1));
      mine.push(observe(repacked, "receiving", shift(at, 3), 1));
    }
  }
}
writeFileSync(join(outDir, "supplier.jsonld"), JSON.stringify(doc(supplier)));
customers.forEach((events, i) =>
  writeFileSync(join(outDir, `customer-${i + 1}.jsonld`), JSON.stringify(doc(events))),
);
console.log(
  JSON.stringify({
    supplier: supplier.length,
    customers: customers.map((c) => c.length),
    total: supplier.length + customers[0].length + customers[1].length,
  }),
);
