// The EPCIS 2.0 document validator: GS1's examples and openepcis's invalid documents
// (tests/fixtures/epcis/examples and invalid, see their README.md; the verdicts of the schema
// were confirmed with the independent ajv validator, tools/epcis/validate.mjs), then one
// mutation of a valid event per rule.
#include "custody/epcis/validate.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "custody/common/files.h"

#ifndef CUSTODY_EPCIS_FIXTURES
#error "CUSTODY_EPCIS_FIXTURES must name tests/fixtures/epcis"
#endif

namespace custody::testing {
namespace {

namespace json = boost::json;
using epcis::Context;
using epcis::validate_document;
using epcis::validate_event;

const std::filesystem::path kFixtures = std::filesystem::path(CUSTODY_EPCIS_FIXTURES);

// A UTF-8 byte order mark is the JSON parser's business (RFC 8259 8.1 lets a parser skip it),
// not the validator's: the loader skips it as an importer would.
json::value load(const std::filesystem::path& path) {
  auto text = read_file(path, 4 << 20);
  EXPECT_TRUE(text.has_value()) << path << ": " << (text ? "" : text.error().message);
  std::string_view body = text ? std::string_view(*text) : std::string_view("null");
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  return json::parse(body);
}

struct Refusal {
  std::string pointer;
  std::string reason;  // a substring of the message
};

// ---- Conformance: openepcis's invalid documents ------------------------------------------

struct InvalidCase {
  std::string file;
  Refusal expected;
};

// The reason each is invalid is its file name; the pointer is that of the first problem.
const std::vector<InvalidCase> kInvalid = {
    {"Combination_of_events_with_missing_mandatory_fields.json",
     {"/epcisBody/eventList/0/action", "ObjectEvent needs action"}},
    {"Combination_of_multiple_invalid_fields.json",
     {"/epcisBody/eventList/0/bizStep",
      "bizStep \"transforming\" is neither a CBV 2.0 business step nor a URI"}},
    {"Combination_of_non_standard_bizStep_and_disposition.json",
     {"/epcisBody/eventList/0/bizStep",
      "bizStep \"transforming\" is neither a CBV 2.0 business step nor a URI"}},
    {"EPCISDocument_without_context.json", {"/@context", "EPCISDocument needs @context"}},
    {"ObjectEvent_with_ilmd_field_without_namespace.json",
     {"/epcisBody/eventList/0/ilmd/materialType", "must be namespaced"}},
    {"ObjectEvent_with_invalid_action.json",
     {"/epcisBody/eventList/0/action", "action \"CREATE\" is not ADD, OBSERVE or DELETE"}},
    {"ObjectEvent_with_invalid_certificationInfo.json",
     {"/epcisBody/eventList/0/certificationInfo/0",
      "certificationInfo must be a URI string, not an object"}},
    {"ObjectEvent_with_invalid_eventTime_format.json",
     {"/epcisBody/eventList/0/eventTime", "eventTime \"22-07-2026\" is not an RFC 3339"}},
    {"ObjectEvent_with_non_standard_bizStep.json",
     {"/epcisBody/eventList/0/bizStep", "neither a CBV 2.0 business step nor a URI"}},
    {"ObjectEvent_with_non_standard_bizStep_in_second_event.json",
     {"/epcisBody/eventList/1/bizStep", "neither a CBV 2.0 business step nor a URI"}},
    {"ObjectEvent_with_non_standard_disposition.json",
     {"/epcisBody/eventList/0/disposition",
      "disposition \"in_transport\" is neither a CBV 2.0 disposition nor a URI"}},
    {"ObjectEvent_with_quantity_as_text.json",
     {"/epcisBody/eventList/0/quantityList/0/quantity", "quantity must be a number, not a string"}},
    {"ObjectEvent_with_unknown_field_in_quantityList.json",
     {"/epcisBody/eventList/0/quantityList/0/weight", "has no member \"weight\""}},
    {"ObjectEvent_without_action_and_eventTime.json",
     {"/epcisBody/eventList/0/eventTime", "ObjectEvent needs eventTime"}},
    {"ObjectEvent_without_identifier_list.json",
     {"/epcisBody/eventList/0/epcList", "an ObjectEvent needs epcList"}},
};

TEST(EpcisConformance, RefusesEveryOpenEpcisInvalidDocumentForItsReason) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures / "invalid")) {
    if (entry.path().extension() == ".json") ++files;
  }
  EXPECT_EQ(files, kInvalid.size()) << "every file in invalid/ is listed";
  for (const InvalidCase& c : kInvalid) {
    SCOPED_TRACE(c.file);
    const auto result = validate_document(load(kFixtures / "invalid" / c.file));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, c.expected.pointer);
    EXPECT_NE(result.error().message.find(c.expected.reason), std::string::npos)
        << result.error().message;
  }
}

// ---- Conformance: the examples -------------------------------------------------------------

struct ExampleCase {
  std::string file;               // under examples/
  std::optional<Refusal> refuse;  // nullopt: accepted
};

// Every example INDEX.tsv marks valid against the 2.0.1 schema (ajv agrees: all 41 and
// traceback_tests.jsonld) is accepted; no example breaks a rule beyond the schema.
const std::vector<ExampleCase> kExamples = {
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-a.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-b.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-c.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-d.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-e.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-f.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-g.jsonld", {}},
    {"gs1-EPCIS/JSON/AssociationEvent/AssociationEvent-h.jsonld", {}},
    {"gs1-EPCIS/JSON/EPCISQueryDocument.jsonld", {}},
    {"gs1-EPCIS/JSON/Example-TransactionEvents-2020_07_03y.jsonld", {}},
    {"gs1-EPCIS/JSON/Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld", {}},
    {"gs1-EPCIS/JSON/Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld", {}},
    {"gs1-EPCIS/JSON/Example_9.6.1-ObjectEvent.jsonld", {}},
    {"gs1-EPCIS/JSON/Example_9.6.1-with-comment.jsonld", {}},
    {"gs1-EPCIS/JSON/Example_9.6.2-ObjectEvent.jsonld", {}},
    {"gs1-EPCIS/JSON/Example_9.6.3-AggregationEvent.jsonld", {}},
    {"gs1-EPCIS/JSON/Example_9.6.4-TransformationEvent.jsonld", {}},
    {"gs1-EPCIS/JSON/PersistentDisposition-example.jsonld", {}},
    {"gs1-EPCIS/JSON/WithDigitalLinkID/Example_9.6.1-ObjectEventWithDigitalLink.jsonld", {}},
    {"gs1-EPCIS/JSON/WithDigitalLinkID/Example_9.6.2-ObjectEventWithDigitalLink.jsonld", {}},
    {"gs1-EPCIS/JSON/WithDigitalLinkID/Example_9.6.3-AggregationEventWithDigitalLink.jsonld", {}},
    {"gs1-EPCIS/JSON/WithDigitalLinkID/Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
     {}},
    {"gs1-EPCIS/JSON/WithErrorDeclaration/ErrorDeclarationAndCorrectiveEvent.jsonld", {}},
    {"gs1-EPCIS/JSON/WithErrorDeclaration/Example_9.6.1-ObjectEvent-with-error-declaration.jsonld",
     {}},
    {"gs1-EPCIS/JSON/WithFullCombinationOfFields/aggregation_event_all_possible_fields.jsonld", {}},
    {"gs1-EPCIS/JSON/WithFullCombinationOfFields/association_event_all_possible_fields.jsonld", {}},
    {"gs1-EPCIS/JSON/WithFullCombinationOfFields/object_event_all_possible_fields.jsonld", {}},
    {"gs1-EPCIS/JSON/WithFullCombinationOfFields/transaction_event_all_possible_fields.jsonld", {}},
    {"gs1-EPCIS/JSON/WithFullCombinationOfFields/transformation_event_all_possible_fields.jsonld",
     {}},
    {"gs1-EPCIS/JSON/WithSensorData/SensorDataExample1.jsonld", {}},
    {"gs1-EPCIS/JSON/WithSensorData/SensorDataExample12.jsonld", {}},
    {"gs1-EPCIS/JSON/WithSensorData/SensorDataExample4.jsonld", {}},
    {"gs1-EPCIS/JSON/WithSensorData/SensorDataExample8.jsonld", {}},
    {"openepcis-test-resources/Combination_of_different_event.json", {}},
    {"openepcis-test-resources/CurieString_document.json", {}},
    {"openepcis-test-resources/ObjectEvent_with_error_declaration.json", {}},
    {"openepcis-test-resources/TransformationEvent.json", {}},
    {"openepcis-test-resources/TransformationEvent_all_possible_fields.json", {}},
    {"openepcis-test-resources/TransformationEvent_with_digitalLink.json", {}},
    {"openepcis-test-resources/TransformationEvent_with_error_declaration.json", {}},
    {"openepcis-test-resources/epcisDocWithAllGS1Keys.json", {}},
    {"traceback/traceback_tests.jsonld", {}},
    // Not valid against the 2.0.1 schema (ajv agrees): an EPCISQueryDocument has no
    // epcisHeader (its first problem; three TransformationEvents also carry an empty
    // transformationID). It also starts with a byte order mark, which load() skips.
    {"traceback/epcisquerydoc-example01.jsonld",
     Refusal{"/epcisHeader", "EPCISQueryDocument has no member \"epcisHeader\""}},
};

TEST(EpcisConformance, AcceptsOrRefusesEveryExampleAsTheTableSays) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kFixtures / "examples")) {
    const auto extension = entry.path().extension();
    if (extension == ".json" || extension == ".jsonld") ++files;
  }
  EXPECT_EQ(files, kExamples.size()) << "every file in examples/ is listed";
  for (const ExampleCase& c : kExamples) {
    SCOPED_TRACE(c.file);
    const auto result = validate_document(load(kFixtures / "examples" / c.file));
    if (!c.refuse) {
      EXPECT_TRUE(result.has_value()) << result.error().field << ": " << result.error().message;
      continue;
    }
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().field, c.refuse->pointer);
    EXPECT_NE(result.error().message.find(c.refuse->reason), std::string::npos)
        << result.error().message;
  }
}

TEST(EpcisConformance, RefusesTheQueryDocumentsEmptyTransformationId) {
  json::value doc = load(kFixtures / "examples/traceback/epcisquerydoc-example01.jsonld");
  doc.as_object().erase("epcisHeader");
  const auto result = validate_document(doc);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().field,
            "/epcisBody/queryResults/resultsBody/eventList/20/transformationID");
  EXPECT_NE(result.error().message.find("transformationID \"\" is not a URI"), std::string::npos)
      << result.error().message;
}

// ---- One rule at a time ------------------------------------------------------------------

constexpr std::string_view kMinimalDocument = R"({
  "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
               {"example": "https://ns.example.com/epcis/"}],
  "type": "EPCISDocument",
  "schemaVersion": "2.0",
  "creationDate": "2026-07-22T10:30:00Z",
  "epcisBody": {"eventList": [{
    "type": "ObjectEvent",
    "eventTime": "2026-07-22T06:45:00.123+02:00",
    "eventTimeZoneOffset": "+02:00",
    "eventID": "ni:///sha-256;abc?ver=CBV2.0",
    "action": "ADD",
    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017",
                "https://id.gs1.org/01/09521141012345/21/2017"],
    "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                      "quantity": 200.5, "uom": "KGM"}],
    "bizStep": "commissioning",
    "disposition": "https://ref.gs1.org/cbv/Disp-active",
    "persistentDisposition": {"set": ["completeness_verified"], "unset": ["completeness_inferred"]},
    "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    "bizLocation": {"id": "https://id.gs1.org/414/9521234500009", "example:room": "2"},
    "bizTransactionList": [{"type": "po",
                            "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:1152"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00001"}],
    "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:0614141.00777.0"}],
    "sensorElementList": [{
      "sensorMetadata": {"time": "2026-07-22T06:40:00Z", "deviceID": "urn:epc:id:giai:4000001.111"},
      "sensorReport": [{"type": "Temperature", "value": 26, "uom": "CEL", "component": "x"},
                       {"type": "gs1:RelativeHumidity", "exception": "ALARM_CONDITION",
                        "hexBinaryValue": "BEEF"}]
    }],
    "certificationInfo": "https://accreditation-council.example.org/certificate/ABC12345",
    "errorDeclaration": {"declarationTime": "2026-07-23T06:45:00Z", "reason": "incorrect_data",
                         "correctiveEventIDs": ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]},
    "ilmd": {"example:materialType": "soil", "https://ns.example.com/epcis/grade": {"a": 1}},
    "example:myField": "any value",
    "rdfs:comment": "a comment"
  }]}
})";

json::value minimal() {
  return json::parse(kMinimalDocument);
}
json::object& event0(json::value& doc) {
  return doc.at("epcisBody").at("eventList").at(0).as_object();
}

// The refusal of `doc`, which must be refused.
Refusal refusal_of(const json::value& doc) {
  const auto result = validate_document(doc);
  EXPECT_FALSE(result.has_value()) << json::serialize(doc);
  if (result) return {};
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  return {result.error().field, result.error().message};
}

// Sets `member` of the first event to the JSON `value` and expects a refusal at `pointer`
// (relative to the event) whose message contains `reason`.
void expect_event_refused(std::string_view member, std::string_view value, std::string_view pointer,
                          std::string_view reason) {
  json::value doc = minimal();
  event0(doc)[member] = json::parse(value);
  const Refusal r = refusal_of(doc);
  EXPECT_EQ(r.pointer, "/epcisBody/eventList/0" + std::string(pointer)) << member << " = " << value;
  EXPECT_NE(r.reason.find(reason), std::string::npos)
      << member << " = " << value << ": " << r.reason;
}

void expect_event_accepted(std::string_view member, std::string_view value) {
  json::value doc = minimal();
  event0(doc)[member] = json::parse(value);
  const auto result = validate_document(doc);
  EXPECT_TRUE(result.has_value()) << member << " = " << value << ": " << result.error().field
                                  << ": " << result.error().message;
}

void expect_missing(std::string_view member, std::string_view reason) {
  json::value doc = minimal();
  event0(doc).erase(member);
  const Refusal r = refusal_of(doc);
  EXPECT_EQ(r.pointer, "/epcisBody/eventList/0/" + std::string(member));
  EXPECT_NE(r.reason.find(reason), std::string::npos) << r.reason;
}

TEST(EpcisValidate, AcceptsTheMinimalDocumentAndEvent) {
  const json::value doc = minimal();
  const auto result = validate_document(doc);
  EXPECT_TRUE(result.has_value()) << result.error().field << ": " << result.error().message;
  const auto context = Context::from_json_ld(doc.at("@context"));
  ASSERT_TRUE(context.has_value());
  EXPECT_TRUE(validate_event(event0(const_cast<json::value&>(doc)), *context, "/x").has_value());
}

TEST(EpcisValidate, ValidateEventReportsUnderTheGivenPointer) {
  json::value doc = minimal();
  event0(doc)["bizStep"] = "transforming";
  const auto result = validate_event(event0(doc), Context{}, "/epcisBody/eventList/3");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().field, "/epcisBody/eventList/3/bizStep");
  EXPECT_EQ(result.error().message,
            "bizStep \"transforming\" is neither a CBV 2.0 business step nor a URI");
}

// fuzz_epcis_document's finding: a @context of tens of thousands of objects was checked for
// repeats pairwise (40k entries took 68 s). They are found through a hash set now; at that
// size a repeat is still found, where it is, and a list without one is accepted.
TEST(EpcisValidate, AHugeContextIsCheckedForRepeatsWhole) {
  json::value doc = minimal();
  json::array context;
  context.emplace_back("https://ref.gs1.org/standards/epcis/epcis-context.jsonld");
  for (int i = 0; i < 40000; ++i) {
    json::object prefix;
    prefix["p" + std::to_string(i)] = "https://example.com/" + std::to_string(i) + "/";
    context.emplace_back(std::move(prefix));
  }
  doc.as_object()["@context"] = context;
  {
    const auto accepted = validate_document(doc);
    EXPECT_TRUE(accepted.has_value()) << accepted.error().field << ": " << accepted.error().message;
  }
  context.emplace_back(context[20000]);  // the 20,000th prefix again, last
  doc.as_object()["@context"] = context;
  const Refusal r = refusal_of(doc);
  EXPECT_EQ(r.pointer, "/@context/40001");
  EXPECT_NE(r.reason.find("twice"), std::string::npos) << r.reason;
}

TEST(EpcisValidate, RefusesABadDocumentEnvelope) {
  EXPECT_EQ(refusal_of(json::parse("[]")).pointer, "");
  {
    json::value doc = minimal();
    doc.as_object().erase("type");
    EXPECT_EQ(refusal_of(doc).pointer, "/type");
  }
  {
    json::value doc = minimal();
    doc.as_object()["type"] = "ObjectEvent";
    const Refusal r = refusal_of(doc);
    EXPECT_EQ(r.pointer, "/type");
    EXPECT_NE(r.reason.find("not EPCISDocument or EPCISQueryDocument"), std::string::npos);
  }
  for (const char* required : {"@context", "schemaVersion", "creationDate", "epcisBody"}) {
    json::value doc = minimal();
    doc.as_object().erase(required);
    EXPECT_EQ(refusal_of(doc).pointer, "/" + std::string(required));
  }
  const std::pair<std::string_view, std::string_view> bad[] = {
      {"@context", "42"},
      {"@context", R"(["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", 1])"},
      {"@context", R"("not a uri")"},
      {"schemaVersion", R"("2.x")"},
      {"schemaVersion", "2.0"},
      {"creationDate", R"("2026-07-22")"},
      {"id", R"("no scheme")"},
      {"sender", "1"},
      {"unknownMember", "1"},
      {"epcisHeader", R"({"bare": 1})"},
      {"epcisBody", R"({"eventList": {}})"},
      {"epcisBody", R"({"events": []})"},
  };
  for (const auto& [member, value] : bad) {
    json::value doc = minimal();
    doc.as_object()[member] = json::parse(value);
    const Refusal r = refusal_of(doc);
    EXPECT_TRUE(r.pointer.starts_with("/" + std::string(member))) << member << " " << r.pointer;
  }
  {
    json::value doc = minimal();
    doc.as_object()["epcisBody"] = json::parse(R"({"eventList": [1]})");
    EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/eventList/0");
  }
  {
    json::value doc = minimal();
    doc.as_object()["example:note"] = "a namespaced document member is an extension";
    doc.as_object()["epcisHeader"] = json::parse(R"({"epcisMasterData": {"vocabularyList": [
        {"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
         "vocabularyElementList": [{"id": "urn:epc:id:sgln:0614141.00777.0",
                                    "attributes": [{"id": "urn:x:name", "attribute": "x"}]}]}]}})");
    EXPECT_TRUE(validate_document(doc).has_value());
  }
  {
    json::value doc = minimal();
    doc.as_object()["epcisHeader"] = json::parse(R"({"epcisMasterData": {"vocabularyList": [
        {"vocabularyElementList": []}]}})");
    EXPECT_EQ(refusal_of(doc).pointer, "/epcisHeader/epcisMasterData/vocabularyList/0/type");
  }
}

TEST(EpcisValidate, ChecksAQueryDocument) {
  json::value doc = minimal();
  json::value body = doc.at("epcisBody");
  doc.as_object()["type"] = "EPCISQueryDocument";
  doc.as_object().erase("schemaVersion");  // optional in a query document
  doc.as_object()["epcisBody"] = {
      {"queryResults", {{"queryName", "SimpleEventQuery"}, {"resultsBody", body}}}};
  EXPECT_TRUE(validate_document(doc).has_value());

  doc.at("epcisBody")
      .at("queryResults")
      .at("resultsBody")
      .at("eventList")
      .at(0)
      .as_object()["action"] = "ADDED";
  EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/queryResults/resultsBody/eventList/0/action");

  doc.at("epcisBody")
      .at("queryResults")
      .at("resultsBody")
      .at("eventList")
      .at(0)
      .as_object()["action"] = "ADD";
  doc.at("epcisBody").at("queryResults").as_object().erase("queryName");
  EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/queryResults/queryName");
  // A query document's body holds queryResults, not an eventList.
  doc.at("epcisBody").at("queryResults").as_object()["queryName"] = "SimpleEventQuery";
  doc.at("epcisBody").as_object()["eventList"] = json::array();
  EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/eventList");
}

TEST(EpcisValidate, RefusesAnEventWithoutAKnownType) {
  expect_missing("type", "an event needs a type");
  expect_event_refused("type", "1", "/type", "type must be a string, not a number");
  expect_event_refused("type", R"("SensorEvent")", "/type", "event type \"SensorEvent\" is not");
  expect_event_refused("type", R"("https://ns.example.com/MyEvent")", "/type", "is not");
}

TEST(EpcisValidate, RefusesAMissingRequiredEventMember) {
  expect_missing("eventTime", "ObjectEvent needs eventTime");
  expect_missing("eventTimeZoneOffset", "ObjectEvent needs eventTimeZoneOffset");
  expect_missing("action", "ObjectEvent needs action");
}

TEST(EpcisValidate, ChecksTimes) {
  expect_event_refused("eventTime", R"("22-07-2026")", "/eventTime", "not an RFC 3339");
  expect_event_refused("eventTime", R"("2026-07-22T06:45:00")", "/eventTime", "RFC 3339");
  expect_event_refused("eventTime", R"("2026-07-22 06:45:00Z")", "/eventTime", "RFC 3339");
  expect_event_refused("eventTime", R"("2023-02-29T06:45:00Z")", "/eventTime", "RFC 3339");
  expect_event_refused("eventTime", R"("2026-07-22T24:00:00Z")", "/eventTime", "RFC 3339");
  expect_event_refused("eventTime", R"("2026-07-22T06:45:00.Z")", "/eventTime", "RFC 3339");
  expect_event_refused("eventTime", R"("2026-07-22T06:45:00+0200")", "/eventTime", "RFC 3339");
  expect_event_refused("eventTime", "1700000000", "/eventTime", "must be an RFC 3339");
  expect_event_refused("recordTime", R"("yesterday")", "/recordTime", "RFC 3339");
  expect_event_refused("eventTime", R"("2024-02-29T23:59:60.5-14:00")", "/eventTime",
                       "RFC 3339");  // a leap second at 13:59 UTC
  expect_event_accepted("eventTime", R"("2016-12-31T23:59:60.5Z")");
  expect_event_accepted("eventTime", R"("2016-12-31T18:59:60-05:00")");
  expect_event_accepted("eventTime", R"("2024-02-29t06:45:00z")");
}

TEST(EpcisValidate, ChecksTheTimeZoneOffset) {
  expect_event_refused("eventTimeZoneOffset", R"("+2:00")", "/eventTimeZoneOffset", "+hh:mm");
  expect_event_refused("eventTimeZoneOffset", R"("Z")", "/eventTimeZoneOffset", "+hh:mm");
  expect_event_refused("eventTimeZoneOffset", R"("+14:30")", "/eventTimeZoneOffset", "+hh:mm");
  expect_event_refused("eventTimeZoneOffset", R"("+05:60")", "/eventTimeZoneOffset", "+hh:mm");
  expect_event_accepted("eventTimeZoneOffset", R"("-14:00")");
  expect_event_accepted("eventTimeZoneOffset", R"("+13:45")");
}

TEST(EpcisValidate, ChecksTheAction) {
  expect_event_refused("action", R"("CREATE")", "/action", "not ADD, OBSERVE or DELETE");
  expect_event_refused("action", R"("add")", "/action", "not ADD, OBSERVE or DELETE");
  expect_event_refused("action", "1", "/action", "must be a string");
}

TEST(EpcisValidate, ChecksUris) {
  expect_event_refused("eventID", R"("abc")", "/eventID", "eventID \"abc\" is not a URI");
  expect_event_refused("eventID", R"("1abc:x")", "/eventID", "is not a URI");
  expect_event_refused("eventID", R"("urn:has space")", "/eventID", "is not a URI");
  expect_event_refused("eventID", R"("urn:bad%zz")", "/eventID", "is not a URI");
  expect_event_refused("eventID", R"("urn:")", "/eventID", "is not a URI");
  expect_event_refused("eventID", R"("urn:ä")", "/eventID", "is not a URI");
  expect_event_refused("epcList", R"(["urn:epc:id:sgtin:0614141.107346.2017", "x"])", "/epcList/1",
                       "epcList \"x\" is not a URI");
  expect_event_refused("epcList", R"("urn:epc:id:sgtin:0614141.107346.2017")", "/epcList",
                       "must be an array");
  expect_event_refused("readPoint", R"({"id": "shelf 3"})", "/readPoint/id", "is not a URI");
  expect_event_refused("readPoint", R"({})", "/readPoint/id", "readPoint needs id");
  expect_event_refused("bizLocation", R"({"id": 5})", "/bizLocation/id", "must be a URI string");
  expect_event_refused("certificationInfo", R"("cert 1")", "/certificationInfo", "not a URI");
  expect_event_refused("certificationInfo", R"([{"gs1:x": 1}])", "/certificationInfo/0",
                       "must be a URI string, not an object");
  expect_event_accepted("certificationInfo", R"(["urn:x:1", "https://example.com/c/2"])");
  expect_event_accepted("epcList", R"([])");
}

TEST(EpcisValidate, RefusesADuplicateEpc) {
  expect_event_refused("epcList", R"(["urn:x:1", "urn:x:2", "urn:x:1"])", "/epcList/2",
                       "lists \"urn:x:1\" twice");
}

TEST(EpcisValidate, ChecksBizStepAndDisposition) {
  expect_event_refused("bizStep", R"("transforming")", "/bizStep",
                       "bizStep \"transforming\" is neither a CBV 2.0 business step nor a URI");
  expect_event_refused("disposition", R"("in_transport")", "/disposition",
                       "disposition \"in_transport\" is neither a CBV 2.0 disposition nor a URI");
  expect_event_refused("bizStep", R"("urn:epcglobal:cbv:bizstep:shipping")", "/bizStep",
                       "CBV 1.x identifier");
  expect_event_refused("bizStep", R"("https://ref.gs1.org/cbv/BizStep-transforming")", "/bizStep",
                       "names no CBV 2.0 business step");
  expect_event_refused("bizStep", R"("cbv:BizStep-transforming")", "/bizStep",
                       "names no CBV 2.0 business step");
  expect_event_refused("bizStep", "3", "/bizStep", "must be a string");
  expect_event_accepted("bizStep", R"("https://ref.gs1.org/cbv/BizStep-shipping")");
  expect_event_accepted("bizStep", R"("cbv:BizStep-sensor_reporting")");
  expect_event_accepted("bizStep", R"("https://ns.example.com/epcis/bizstep/transforming")");
  expect_event_accepted("bizStep", R"("example:transforming")");
  expect_event_accepted("disposition", R"("in_transit")");
}

TEST(EpcisValidate, ChecksPersistentDisposition) {
  expect_event_refused("persistentDisposition", R"({})", "/persistentDisposition",
                       "needs set or unset");
  expect_event_refused("persistentDisposition", R"({"set": []})", "/persistentDisposition/set",
                       "must not be empty");
  expect_event_refused("persistentDisposition", R"({"set": ["in_transport"]})",
                       "/persistentDisposition/set/0", "neither a CBV 2.0 disposition");
  expect_event_refused("persistentDisposition", R"({"set": ["active"], "keep": ["x:y"]})",
                       "/persistentDisposition/keep", "has no member \"keep\"");
  expect_event_refused("persistentDisposition", R"({"set": ["active", "active"]})",
                       "/persistentDisposition/set/1", "twice");
}

TEST(EpcisValidate, ChecksQuantityElements) {
  expect_event_refused("quantityList", R"([{"epcClass": "urn:x:1", "quantity": "20"}])",
                       "/quantityList/0/quantity", "quantity must be a number, not a string");
  expect_event_refused("quantityList", R"([{"quantity": 20}])", "/quantityList/0/epcClass",
                       "a quantity element needs epcClass");
  expect_event_refused("quantityList", R"([{"epcClass": "urn:x:1", "weight": 5}])",
                       "/quantityList/0/weight", "has no member \"weight\"");
  expect_event_refused("quantityList", R"([{"epcClass": "urn:x:1", "example:w": 5}])",
                       "/quantityList/0/example:w", "has no member");
  expect_event_refused("quantityList", R"([{"epcClass": "urn:x:1", "uom": "kg"}])",
                       "/quantityList/0/uom", "uom \"kg\" is not");
  expect_event_refused("quantityList", R"([{"epcClass": "urn:x:1", "uom": 7}])",
                       "/quantityList/0/uom", "must be a string");
  expect_event_refused("quantityList", R"({"epcClass": "urn:x:1"})", "/quantityList",
                       "must be an array");
  expect_event_accepted("quantityList", R"([{"epcClass": "urn:x:1"}])");
}

TEST(EpcisValidate, RequiresNamespacedExtensions) {
  expect_event_refused("materialType", R"("soil")", "/materialType",
                       "ObjectEvent has no member \"materialType\"; an extension's name must be "
                       "namespaced");
  expect_event_refused("ilmd", R"({"materialType": "soil"})", "/ilmd/materialType",
                       "ilmd has no member \"materialType\"");
  expect_event_refused("ilmd", R"([])", "/ilmd", "ilmd must be an object");
  // RFC 6901 escapes the slashes of a full IRI.
  expect_event_refused("ilmd", R"({"https://ns.example.com/a b": 1})",
                       "/ilmd/https:~1~1ns.example.com~1a b", "ilmd has no member");
  expect_event_accepted("https://ns.example.com/epcis/extension", R"({"anything": [1]})");
}

TEST(EpcisValidate, AllowsIlmdOnlyWithActionAdd) {
  json::value doc = minimal();
  event0(doc)["action"] = "OBSERVE";
  const Refusal r = refusal_of(doc);
  EXPECT_EQ(r.pointer, "/epcisBody/eventList/0/ilmd");
  EXPECT_NE(r.reason.find("only allowed with action ADD"), std::string::npos);
}

TEST(EpcisValidate, RequiresWhatAnObjectEventIsAbout) {
  json::value doc = minimal();
  const json::value sensors = event0(doc).at("sensorElementList");
  event0(doc).erase("sensorElementList");
  event0(doc).erase("epcList");
  EXPECT_TRUE(validate_document(doc).has_value());  // the quantityList suffices
  event0(doc)["quantityList"] = json::array();
  EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/eventList/0/quantityList");
  event0(doc).erase("quantityList");
  event0(doc)["sensorElementList"] = sensors;
  EXPECT_TRUE(validate_document(doc).has_value());  // sensorElementList + readPoint
  event0(doc).erase("readPoint");
  const Refusal r = refusal_of(doc);
  EXPECT_EQ(r.pointer, "/epcisBody/eventList/0/epcList");
  EXPECT_NE(r.reason.find("an ObjectEvent needs epcList"), std::string::npos);
}

TEST(EpcisValidate, ChecksBusinessTransactionsSourcesAndDestinations) {
  expect_event_refused("bizTransactionList", R"([{"type": "po"}])",
                       "/bizTransactionList/0/bizTransaction",
                       "a business transaction needs bizTransaction");
  expect_event_refused("bizTransactionList", R"([{"type": "order", "bizTransaction": "urn:x:1"}])",
                       "/bizTransactionList/0/type", "neither a CBV 2.0 business transaction");
  expect_event_refused("bizTransactionList", R"([{"bizTransaction": "urn:x:1", "x:y": 1}])",
                       "/bizTransactionList/0/x:y", "has no member");
  expect_event_refused("sourceList", R"([{"type": "place", "source": "urn:x:1"}])",
                       "/sourceList/0/type", "neither a CBV 2.0 source or destination type");
  expect_event_refused("sourceList", R"([{"source": "urn:x:1"}])", "/sourceList/0/type",
                       "a source needs type");
  expect_event_refused("destinationList", R"([{"type": "location", "destination": "here"}])",
                       "/destinationList/0/destination", "is not a URI");
  expect_event_accepted("bizTransactionList", R"([{"bizTransaction": "urn:x:1"}])");
}

TEST(EpcisValidate, ChecksSensorElements) {
  expect_event_refused("sensorElementList", R"([{"sensorMetadata": {}}])",
                       "/sensorElementList/0/sensorReport", "a sensor element needs sensorReport");
  expect_event_refused("sensorElementList", R"([{"sensorReport": []}])",
                       "/sensorElementList/0/sensorReport", "must not be empty");
  expect_event_refused("sensorElementList", R"([{"sensorReport": [{"value": 1}]}])",
                       "/sensorElementList/0/sensorReport/0/type", "a sensor report needs type");
  expect_event_refused("sensorElementList", R"([{"sensorReport": [{"type": "Heat"}]}])",
                       "/sensorElementList/0/sensorReport/0/type", "GS1 measurement type");
  expect_event_refused("sensorElementList",
                       R"([{"sensorReport": [{"type": "https://gs1.org/voc/Temperature"}]}])",
                       "/sensorElementList/0/sensorReport/0/type", "gs1.org/voc/");
  expect_event_refused("sensorElementList",
                       R"([{"sensorReport": [{"type": "Temperature", "value": "26"}]}])",
                       "/sensorElementList/0/sensorReport/0/value", "must be a number");
  expect_event_refused("sensorElementList",
                       R"([{"sensorReport": [{"type": "Temperature", "hexBinaryValue": "XY"}]}])",
                       "/sensorElementList/0/sensorReport/0/hexBinaryValue", "not hexadecimal");
  expect_event_refused("sensorElementList",
                       R"([{"sensorReport": [{"type": "Temperature", "booleanValue": "true"}]}])",
                       "/sensorElementList/0/sensorReport/0/booleanValue", "must be a boolean");
  expect_event_refused("sensorElementList",
                       R"([{"sensorReport": [{"type": "Temperature", "celsius": 3}]}])",
                       "/sensorElementList/0/sensorReport/0/celsius", "namespaced");
  expect_event_refused(
      "sensorElementList",
      R"([{"sensorMetadata": {"time": "now"}, "sensorReport": [{"type": "Temperature"}]}])",
      "/sensorElementList/0/sensorMetadata/time", "RFC 3339");
  expect_event_refused("sensorElementList",
                       R"([{"sensorReport": [{"type": "Temperature", "component": "w"}]}])",
                       "/sensorElementList/0/sensorReport/0/component", "CBV 2.0 component");
}

TEST(EpcisValidate, ChecksErrorDeclarations) {
  expect_event_refused("errorDeclaration", R"({"reason": "did_not_occur"})",
                       "/errorDeclaration/declarationTime",
                       "errorDeclaration needs declarationTime");
  expect_event_refused("errorDeclaration",
                       R"({"declarationTime": "2026-07-23T06:45:00Z", "reason": "typo"})",
                       "/errorDeclaration/reason", "neither a CBV 2.0 error reason");
  expect_event_refused(
      "errorDeclaration",
      R"({"declarationTime": "2026-07-23T06:45:00Z", "correctiveEventIDs": ["e1"]})",
      "/errorDeclaration/correctiveEventIDs/0", "is not a URI");
  expect_event_refused("errorDeclaration",
                       R"({"declarationTime": "2026-07-23T06:45:00Z", "by": 1})",
                       "/errorDeclaration/by", "namespaced");
}

TEST(EpcisValidate, RefusesMembersOfAnotherEventType) {
  expect_event_refused("childEPCs", R"(["urn:x:1"])", "/childEPCs",
                       "ObjectEvent has no member \"childEPCs\"");
}

// A valid event of `type` built on the common members, with `members` (a JSON object's text)
// added; then refused or accepted.
json::value event_document(std::string_view type, std::string_view members) {
  json::value doc = minimal();
  json::object event = json::parse(members).as_object();
  event["type"] = type;
  event["eventTime"] = "2026-07-22T06:45:00Z";
  event["eventTimeZoneOffset"] = "+00:00";
  doc.at("epcisBody").at("eventList").as_array() = {event};
  return doc;
}

TEST(EpcisValidate, ChecksAggregationAndAssociationEvents) {
  for (const char* type : {"AggregationEvent", "AssociationEvent"}) {
    SCOPED_TRACE(type);
    EXPECT_TRUE(
        validate_document(
            event_document(type,
                           R"({"action": "ADD", "parentID": "urn:x:p", "childEPCs": ["urn:x:1"]})"))
            .has_value());
    EXPECT_TRUE(
        validate_document(event_document(type, R"({"action": "DELETE", "parentID": "urn:x:p"})"))
            .has_value());
    const Refusal r =
        refusal_of(event_document(type, R"({"action": "ADD", "parentID": "urn:x:p"})"));
    EXPECT_EQ(r.pointer, "/epcisBody/eventList/0/childEPCs");
    EXPECT_EQ(
        refusal_of(event_document(type, R"({"parentID": "urn:x:p", "childEPCs": ["urn:x:1"]})"))
            .pointer,
        "/epcisBody/eventList/0/action");
    EXPECT_EQ(refusal_of(event_document(type, R"({"action": "ADD", "parentID": "urn:x:p",
                                       "childEPCs": ["urn:x:1"], "ilmd": {"x:y": 1}})"))
                  .pointer,
              "/epcisBody/eventList/0/ilmd");
  }
  // Only an AssociationEvent requires its parentID.
  EXPECT_TRUE(
      validate_document(event_document("AggregationEvent", R"({"action": "DELETE"})")).has_value());
  EXPECT_EQ(refusal_of(event_document("AssociationEvent", R"({"action": "DELETE"})")).pointer,
            "/epcisBody/eventList/0/parentID");
}

TEST(EpcisValidate, ChecksTransactionEvents) {
  constexpr std::string_view kBt = R"("bizTransactionList": [{"bizTransaction": "urn:x:po"}])";
  EXPECT_TRUE(validate_document(
                  event_document("TransactionEvent", "{\"action\": \"ADD\", \"epcList\": [], " +
                                                         std::string(kBt) + "}"))
                  .has_value());
  EXPECT_EQ(
      refusal_of(event_document("TransactionEvent", R"({"action": "ADD", "epcList": ["urn:x:1"]})"))
          .pointer,
      "/epcisBody/eventList/0/bizTransactionList");
  EXPECT_EQ(
      refusal_of(event_document("TransactionEvent",
                                R"({"action": "ADD", "epcList": [], "bizTransactionList": []})"))
          .pointer,
      "/epcisBody/eventList/0/bizTransactionList");
  EXPECT_EQ(refusal_of(event_document("TransactionEvent",
                                      "{\"action\": \"ADD\", " + std::string(kBt) + "}"))
                .pointer,
            "/epcisBody/eventList/0/epcList");
}

TEST(EpcisValidate, ChecksTransformationEvents) {
  EXPECT_TRUE(validate_document(event_document("TransformationEvent",
                                               R"({"inputEPCList": ["urn:x:1"],
                                 "outputQuantityList": [{"epcClass": "urn:x:c"}]})"))
                  .has_value());
  EXPECT_TRUE(validate_document(event_document("TransformationEvent",
                                               R"({"inputEPCList": ["urn:x:1"],
                                                   "transformationID": "urn:x:t"})"))
                  .has_value());
  EXPECT_EQ(
      refusal_of(event_document("TransformationEvent", R"({"inputEPCList": ["urn:x:1"]})")).pointer,
      "/epcisBody/eventList/0/transformationID");
  EXPECT_EQ(refusal_of(event_document("TransformationEvent",
                                      R"({"inputEPCList": [], "transformationID": "urn:x:t"})"))
                .pointer,
            "/epcisBody/eventList/0/inputEPCList");
  EXPECT_EQ(refusal_of(event_document("TransformationEvent",
                                      R"({"inputEPCList": ["urn:x:1"], "transformationID": ""})"))
                .pointer,
            "/epcisBody/eventList/0/transformationID");
  // No action in a TransformationEvent.
  EXPECT_EQ(refusal_of(event_document("TransformationEvent",
                                      R"({"action": "ADD", "inputEPCList": ["urn:x:1"],
                                          "transformationID": "urn:x:t"})"))
                .pointer,
            "/epcisBody/eventList/0/action");
}

TEST(EpcisValidate, ReportsTheFirstProblemInDocumentOrder) {
  json::value doc = minimal();
  json::value second = doc.at("epcisBody").at("eventList").at(0);
  second.as_object()["bizStep"] = "transforming";
  event0(doc)["disposition"] = "in_transport";
  doc.at("epcisBody").at("eventList").as_array().push_back(second);
  EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/eventList/0/disposition");
  event0(doc)["disposition"] = "in_transit";
  EXPECT_EQ(refusal_of(doc).pointer, "/epcisBody/eventList/1/bizStep");
}

}  // namespace
}  // namespace custody::testing
