// The EPCIS Event Hash ID of the GS1 Core Business Vocabulary 2.0 for events in EPCIS 2.0
// JSON-LD: a fingerprint that is the same for every serialisation of one event (key order, list
// order, time zone, timestamp and number precision, namespace prefixes, EPC URI or Digital
// Link) and differs when any relevant value does.
//
//   hash id    = "ni:///sha-256;" lowercase-hex(SHA-256(UTF-8 pre-hash)) "?ver=CBV2.0"
//   pre-hash   = "eventType=" type  ordered-fields  sorted-rest          (no separators)
//   ordered    = eventTime eventTimeZoneOffset certificationInfo parentID epcList inputEPCList
//                childEPCs quantityList childQuantityList inputQuantityList outputEPCList
//                outputQuantityList action transformationID bizStep disposition
//                persistentDisposition readPoint bizLocation sensorElementList
//   field      = name "=" value                     for a value
//              | name child...                      for an object or a list ("epcList" epc...)
//   sorted-rest = every other field of the event, each rendered as above, the strings sorted:
//                bizTransactionList, sourceList, destinationList, ilmd and user extensions
//
// Inside a list the element strings are sorted (byte order of UTF-8); inside a standard object
// (readPoint, quantityElement, sensorMetadata, sensorReport, ...) its own fields come in their
// fixed order and then its user extensions, sorted. A business transaction, source or
// destination is "type=" T then the id. Empty lists and empty values leave nothing.
//
// Values: whitespace trimmed; timestamps (eventTime, sensor time, startTime, endTime) in UTC
// with milliseconds, rounded half up ("...03.1415+00:00" -> "...03.142Z"); numbers and numeric
// strings without trailing zeros ("26.0" -> "26"); CBV URNs and bare CBV words as web URIs
// ("urn:epcglobal:cbv:bizstep:shipping", "shipping" -> "https://ref.gs1.org/cbv/BizStep-
// shipping"; bare words only in the fields whose context defines them: bizStep, disposition,
// persistentDisposition, the three list types, sensor type, exception and component); CURIEs
// expanded ("gs1:Temperature"); GS1 keys as canonical Digital Link URIs (see gs1_keys.h);
// booleans as "true" / "false". User extension names become "{namespace}local", the
// namespace from @context.
//
// Left out: eventID, recordTime, errorDeclaration (so a corrected event keeps its id),
// comments ("comment", "rdfs:comment") and fields the caller names in HashOptions.
//
// Where the CBV text and its reference implementation (github.com/RalphTro/epcis-event-hash-
// generator, whose test vectors are the oracle, tests/fixtures/epcis/event-hash) differ, this
// follows the reference implementation: bizTransactionList, sourceList and destinationList are
// sorted into the rest rather than placed before sensorElementList.
//
// All functions are pure and thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"

namespace custody::epcis {

// The namespace prefixes of a document's JSON-LD @context ("example" ->
// "https://ns.example.com/epcis/"), on top of those of the standard EPCIS 2.0 context (gs1,
// cbv, epcis, cbvmda, rdfs, owl, xsd, dcterms). A value type.
class Context {
 public:
  // The standard prefixes only.
  Context();

  // The standard prefixes and those the document's "@context" declares (a URL string, an
  // object of prefix -> IRI, or an array of those; remote contexts are not fetched, and
  // term definitions other than "prefix": "IRI" are not prefixes). kInvalidArgument for an
  // @context of another JSON type, with field "@context".
  [[nodiscard]] static Result<Context> from_json_ld(const boost::json::value& at_context);

  // Declares or redeclares a prefix.
  void declare(std::string prefix, std::string iri);

  // These prefixes with those an event's own "@context" declares (which win): what the
  // event's keys and values mean. Errors as from_json_ld's.
  [[nodiscard]] Result<Context> with_event_context(const boost::json::object& event) const;

  // "example:myField" -> "{https://ns.example.com/epcis/}myField"; a key without a declared
  // prefix is returned unchanged.
  [[nodiscard]] std::string expand_key(std::string_view key) const;
  // "gs1:Temperature" -> "https://gs1.org/voc/Temperature"; unchanged without a declared prefix.
  [[nodiscard]] std::string expand_value(std::string_view value) const;

 private:
  [[nodiscard]] Result<Context> with(const boost::json::value& at_context) const;
  std::map<std::string, std::string, std::less<>> prefixes_;
};

struct HashOptions {
  // Event-level fields to leave out, compact ("example:captureID") or expanded
  // ("{https://ns.example.com/epcis/}captureID"), as a repository's own bookkeeping.
  std::vector<std::string> ignored_fields;
};

// The canonical pre-hash string of one event (an element of eventList). kInvalidArgument,
// with the JSON path of the field ("epcList[2]", "sensorElementList[0].sensorMetadata.time"),
// for an event without a string "type", a timestamp that is not RFC 3339, a malformed GS1 EPC
// URI, or a standard field of the wrong JSON type; kOutOfRange for a timestamp before 1970 or
// after 2262 (custody's time range). `context` is the document's; the event's own "@context",
// if any, adds to it for this event.
[[nodiscard]] Result<std::string> event_prehash(const boost::json::object& event,
                                                const Context& context,
                                                const HashOptions& options = {});

// "ni:///sha-256;<64 hex>?ver=CBV2.0" of the event; errors as event_prehash().
[[nodiscard]] Result<std::string> event_hash_id(const boost::json::object& event,
                                                const Context& context,
                                                const HashOptions& options = {});

// The hash id of a pre-hash string.
[[nodiscard]] std::string hash_id_of_prehash(std::string_view prehash);

// The events of an EPCISDocument or EPCISQueryDocument and what they need to be hashed.
struct DocumentEvents {
  Context context;
  std::vector<boost::json::object> events;  // copies, in document order
  // The reference implementation's convention for repository bookkeeping: a list of field
  // names under "{https://repository-x.example.com/}ignoreFields" on the document (or on
  // queryResults) that the hash leaves out. Not part of CBV 2.0.
  HashOptions options;
};

// Reads epcisBody.eventList, epcisBody.queryResults.resultsBody.eventList or the single
// epcisBody.event. kInvalidArgument, with the field path, when the document has none of them
// or they are not JSON objects.
[[nodiscard]] Result<DocumentEvents> document_events(const boost::json::value& document);

}  // namespace custody::epcis
