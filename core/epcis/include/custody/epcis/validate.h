// Validation of incoming GS1 EPCIS 2.0 JSON-LD documents before they are imported: the
// constraints of GS1's EPCIS 2.0.1 JSON schema (tests/fixtures/epcis/schema/epcis-json-schema.json)
// with its formats enforced ("uri", "date-time"), written out by hand, and a few rules the
// schema cannot express.
//
// The schema, as checked here:
//   document   "type" EPCISDocument or EPCISQueryDocument; "@context" (a URI, an object or an
//              array of those); EPCISDocument also needs "schemaVersion" (digits and dots) and
//              "creationDate"; epcisBody.eventList, or for a query document
//              epcisBody.queryResults{queryName, resultsBody.eventList}; epcisHeader only in an
//              EPCISDocument. Other member names only where the schema allows them: URIs.
//   event      "type" ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent or
//              AssociationEvent; eventTime and eventTimeZoneOffset ("+hh:mm", -14:00..+14:00);
//              action (ADD, OBSERVE, DELETE) in all but TransformationEvent; the members the
//              schema lists for the type, with their JSON types, and user extensions, whose
//              names must be URIs ("example:myField", "https://ns.example.com/myField").
//              What identifies the objects: ObjectEvent epcList, a non-empty quantityList, or
//              a non-empty sensorElementList with a readPoint; AggregationEvent and
//              AssociationEvent (which also needs parentID) non-empty childEPCs or
//              childQuantityList unless action is DELETE; TransactionEvent (which also needs a
//              non-empty bizTransactionList) epcList or a non-empty quantityList unless DELETE;
//              TransformationEvent inputs and outputs, or one of them and a transformationID.
//              ilmd only on an ObjectEvent with action ADD or a TransformationEvent, its names
//              URIs.
//   values     format "uri" (RFC 3986: a scheme, ":", then only URI characters) for ids, EPCs,
//              epcClass, parentID, readPoint.id, bizLocation.id, source, destination,
//              bizTransaction, certificationInfo, sensor URIs; date-time as RFC 3339.
//              bizStep, disposition, persistentDisposition, error reason, business
//              transaction, source/destination type, sensor component: a CBV 2.0 bare word or a
//              URI other than a CBV 1.x URN ("urn:epcglobal:cbv:...", the schema excludes
//              them); sensor type and exception: a GS1 bare word or a URI outside gs1.org/voc/.
//              quantityList elements: epcClass (required), quantity (a number), uom
//              (2 or 3 of A-Z 0-9), nothing else; bizTransaction, source and destination
//              objects: their two members, nothing else.
//
// Beyond the schema:
//   - a value in the CBV 2.0 web vocabulary (https://ref.gs1.org/cbv/BizStep-..., also as
//     a CURIE such as "cbv:BizStep-..." through the document's @context) must name a CBV term;
//   - persistentDisposition is checked on every event type (the schema lists it as a member
//     of AggregationEvent, TransactionEvent and AssociationEvent without describing it);
//   - an event type that is a URI, which the schema takes as an extension event with only the
//     common members checked, is refused: nothing downstream can import one;
//   - date-times are RFC 3339 as xsd:dateTime (the type the EPCIS JSON-LD context gives them)
//     reads it: "T", not a space, and an offset with its colon; ajv-formats takes both.
//
// Refusals are kInvalidArgument with `field` an RFC 6901 JSON pointer to the offending value
// ("/epcisBody/eventList/1/bizStep", "/@context", "/epcisBody/eventList/0/ilmd/materialType")
// or, for a missing member, to where it belongs. The first problem is reported: objects are
// checked member by member in document order, except that within one object a missing required
// member is reported before the values of the members present, and the rules that tie several
// members together after them.
//
// Not checked: whether a GS1 EPC URI is well formed (gs1_keys.h). Real partner data carries
// malformed ones (SSCCs of 15 digits in OpenTraceability's traceback_tests.jsonld) that the
// schema accepts; event_hash_id() refuses them (canonical_identifier() does), so an importer that
// hashes must handle that.
//
// JSON text is the caller's: a UTF-8 byte order mark (RFC 8259 section 8.1) or a syntax error
// is for the parser to refuse or skip before these functions see a value.
//
// All functions are pure and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string_view>

#include "custody/common/error.h"
#include "custody/epcis/event_hash.h"

namespace custody::epcis {

// One EPCIS 2.0 JSON-LD document (EPCISDocument or EPCISQueryDocument) checked against the GS1
// EPCIS 2.0.1 JSON schema's constraints and the rules the schema cannot express.
// On refusal: Error{ErrorCode::kInvalidArgument, reason, field} where field is an RFC 6901 JSON
// pointer to the offending value, e.g. "/epcisBody/eventList/1/bizStep", "/@context", "/type".
// The first problem in document order is reported.
[[nodiscard]] Result<void> validate_document(const boost::json::value& document);

// One event (an element of eventList), with `pointer` the pointer of the event itself
// ("/epcisBody/eventList/3"), used for the REST binding's POST /events. `context` is the
// document's (Context::from_json_ld), for CURIEs in vocabulary values; the event's own
// "@context", if any, adds to it for this event.
[[nodiscard]] Result<void> validate_event(const boost::json::object& event, const Context& context,
                                          std::string_view pointer);

}  // namespace custody::epcis
