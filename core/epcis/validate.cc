#include "custody/epcis/validate.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

#include "cbv_terms.h"

namespace custody::epcis {
namespace {

namespace json = boost::json;

using Check = Result<void>;

// "name", built by appending: GCC 12 warns falsely (-Wrestrict) on "\"" + std::string(...).
std::string quoted(std::string_view text) {
  std::string out(1, '"');
  out += text;
  out += '"';
  return out;
}

Check refuse(std::string pointer, std::string reason) {
  return fail(ErrorCode::kInvalidArgument, std::move(reason), std::move(pointer));
}

// RFC 6901: "~" and "/" inside a member name are escaped, as URI member names carry slashes.
std::string child(std::string_view pointer, std::string_view name) {
  std::string out(pointer);
  out += '/';
  for (const char c : name) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(std::string_view pointer, std::size_t index) {
  std::string out(pointer);
  out += '/';
  out += std::to_string(index);
  return out;
}

std::string_view kind_of(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

// ---- Formats ------------------------------------------------------------------------------

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

// JSON schema's format "uri": an absolute URI of RFC 3986, scheme ":" and the rest made of URI
// characters (unreserved, reserved, percent-encoded octets). The authority and path grammar is
// not parsed further: no value in EPCIS depends on it, and a CURIE ("example:myField", which
// JSON-LD reads as a compact IRI) is a URI by this grammar, as it is for the schema.
bool is_uri(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(text[0])) return false;
  // "urn:" alone names nothing (ajv refuses it too).
  if (colon + 1 == text.size()) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = text[i];
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  constexpr std::string_view kOthers = "-._~:/?#[]@!$&'()*+,;=";
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return false;
      i += 2;
    } else if (!is_alpha(c) && !is_digit(c) && kOthers.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// `count` digits at `at` as a number, or -1.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!is_digit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Whether local hh:mm is 23:59 UTC, the only minute with a leap second (RFC 3339 5.7).
// `sign` is +1 when UTC is ahead of local time (a "-hh:mm" offset).
bool leap_second_minute(int hour, int minute, int sign, int offset_hour, int offset_minute) {
  const int utc =
      ((hour * 60 + minute + sign * (offset_hour * 60 + offset_minute)) % 1440 + 1440) % 1440;
  return utc == 23 * 60 + 59;
}

// RFC 3339 date-time: YYYY-MM-DD "T" hh:mm:ss[.frac] ("Z" / +hh:mm / -hh:mm), "t" and "z"
// accepted in lower case as section 5.6 allows, a leap second as :60 at 23:59 UTC. The day is
// checked against its month and leap year: "2023-02-29" is not a date. Stricter than ajv-formats
// in two ways, as xsd:dateTime (the type the EPCIS JSON-LD context gives these values) is too:
// no space for the "T", and no offset without its colon ("+0200").
bool is_date_time(std::string_view text) {
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || text.size() < 20) return false;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't')) return false;
  constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDays[month - 1] || (month == 2 && day == 29 && !leap)) return false;
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return false;
  }
  if (text[13] != ':' || text[16] != ':') return false;
  std::size_t at = 19;
  if (text[at] == '.') {
    const std::size_t start = ++at;
    while (at < text.size() && is_digit(text[at])) ++at;
    if (at == start) return false;
  }
  const std::string_view offset = text.substr(at);
  if (offset == "Z" || offset == "z") return second != 60 || (hour == 23 && minute == 59);
  if (offset.size() != 6 || (offset[0] != '+' && offset[0] != '-') || offset[3] != ':') {
    return false;
  }
  const int offset_hour = digits(offset, 1, 2);
  const int offset_minute = digits(offset, 4, 2);
  if (offset_hour < 0 || offset_hour > 23 || offset_minute < 0 || offset_minute > 59) return false;
  return second != 60 ||
         leap_second_minute(hour, minute, offset[0] == '-' ? 1 : -1, offset_hour, offset_minute);
}

// The schema's eventTimeZoneOffset: ^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$.
bool is_time_zone_offset(std::string_view text) {
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return false;
  const int hour = digits(text, 1, 2);
  const int minute = digits(text, 4, 2);
  if (hour < 0 || minute < 0 || minute > 59) return false;
  return hour <= 13 || (hour == 14 && minute == 0);
}

// The schema's version: ^\d+(\.\d+)*$.
bool is_version(std::string_view text) {
  bool digit_before = false;
  for (const char c : text) {
    if (is_digit(c)) {
      digit_before = true;
    } else if (c == '.' && digit_before) {
      digit_before = false;
    } else {
      return false;
    }
  }
  return digit_before;
}

// ---- Vocabularies -------------------------------------------------------------------------

// A vocabulary of bare words (those of the schema's enums, which for the CBV are the terms of
// CBV 2.0, Ontology/CBV.ttl) and the URIs that may stand in for them.
struct Vocabulary {
  std::string_view what;   // "business step", for messages
  std::string_view words;  // separated by single spaces
  // The CBV 2.0 web vocabulary namespace of the words ("https://ref.gs1.org/cbv/BizStep-"): a
  // URI in it must name one of the words. Empty when the words are not CBV terms.
  std::string_view web_prefix = {};
  // Which URIs the schema keeps out: CBV 1.x URNs ("vocab-other-uri") or, for the GS1 web
  // vocabulary's sensor terms, URIs under gs1.org/voc/ ("vocab-nonGS1WebVoc-uri").
  bool gs1_voc = false;

  [[nodiscard]] bool has(std::string_view word) const { return cbv::Terms{{}, words}.has(word); }
};

constexpr Vocabulary kBizStep{"CBV 2.0 business step", cbv::kBizStep.words, cbv::kBizStep.prefix};
constexpr Vocabulary kDisposition{"CBV 2.0 disposition", cbv::kDisposition.words,
                                  cbv::kDisposition.prefix};
constexpr Vocabulary kBizTransactionType{"CBV 2.0 business transaction type",
                                         cbv::kBizTransactionType.words,
                                         cbv::kBizTransactionType.prefix};
constexpr Vocabulary kSourceDestinationType{"CBV 2.0 source or destination type",
                                            cbv::kSourceDestinationType.words,
                                            cbv::kSourceDestinationType.prefix};
constexpr Vocabulary kErrorReason{"CBV 2.0 error reason", "did_not_occur incorrect_data",
                                  "https://ref.gs1.org/cbv/ER-"};
constexpr Vocabulary kComponent{"CBV 2.0 component", cbv::kComponent.words, cbv::kComponent.prefix};
constexpr Vocabulary kMeasurementType{
    "GS1 measurement type", cbv::kMeasurementType.words, {}, true};
constexpr Vocabulary kSensorAlert{"GS1 sensor alert type", cbv::kSensorAlert.words, {}, true};

bool starts_with_any(std::string_view text, std::span<const std::string_view> prefixes) {
  return std::ranges::any_of(prefixes, [&](std::string_view p) { return text.starts_with(p); });
}

// ---- The walk -----------------------------------------------------------------------------

// Where a value sits: its pointer, the member name it is the value of (for messages), and the
// document's namespace prefixes.
struct Where {
  std::string pointer;
  std::string_view name;
  const Context* context;

  [[nodiscard]] Where at(std::string_view member) const {
    return {child(pointer, member), member, context};
  }
  [[nodiscard]] Where at(std::size_t index) const { return {child(pointer, index), name, context}; }
};

using Checker = Check (*)(const json::value&, const Where&);

Check wrong_type(const json::value& value, const Where& where, std::string_view expected) {
  std::string reason(where.name);
  reason += " must be ";
  reason += expected;
  reason += ", not ";
  reason += kind_of(value);
  return refuse(where.pointer, std::move(reason));
}

Check any_value(const json::value&, const Where&) {
  return {};
}

Check string_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  return {};
}

Check number_value(const json::value& value, const Where& where) {
  if (!value.is_number()) return wrong_type(value, where, "a number");
  return {};
}

Check boolean_value(const json::value& value, const Where& where) {
  if (!value.is_bool()) return wrong_type(value, where, "a boolean");
  return {};
}

Check uri_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a URI string");
  const std::string_view text = value.get_string();
  if (!is_uri(text)) {
    return refuse(where.pointer, std::string(where.name) + " " + quoted(text) +
                                     " is not a URI (scheme \":\" ...)");
  }
  return {};
}

Check time_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "an RFC 3339 date-time string");
  const std::string_view text = value.get_string();
  if (!is_date_time(text)) {
    return refuse(where.pointer, std::string(where.name) + " " + quoted(text) +
                                     " is not an RFC 3339 date-time (2005-04-03T20:33:31.116Z, "
                                     "2005-04-03T20:33:31-06:00)");
  }
  return {};
}

Check version_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  if (!is_version(value.get_string())) {
    return refuse(where.pointer, std::string(where.name) + " " + quoted(value.get_string()) +
                                     " is not a version (digits and dots, \"2.0\")");
  }
  return {};
}

Check time_zone_offset_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  if (!is_time_zone_offset(value.get_string())) {
    return refuse(where.pointer, "eventTimeZoneOffset " + quoted(value.get_string()) +
                                     " is not \"+hh:mm\" or \"-hh:mm\" within -14:00..+14:00");
  }
  return {};
}

Check uom_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  const std::string_view text = value.get_string();
  const bool ok = (text.size() == 2 || text.size() == 3) && std::ranges::all_of(text, [](char c) {
                    return is_digit(c) || (c >= 'A' && c <= 'Z');
                  });
  if (!ok) {
    return refuse(where.pointer, "uom " + quoted(text) +
                                     " is not a UN/ECE Recommendation 20 code (2 or 3 of A-Z 0-9)");
  }
  return {};
}

Check hex_binary_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  const std::string_view text = value.get_string();
  if (text.empty() || !std::ranges::all_of(text, is_hex)) {
    return refuse(where.pointer,
                  std::string(where.name) + " " + quoted(text) + " is not hexadecimal");
  }
  return {};
}

// A bare word of `vocabulary` or a URI the schema lets stand in for one.
Check vocabulary_value(const json::value& value, const Where& where, const Vocabulary& vocabulary) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  const std::string_view text = value.get_string();
  if (vocabulary.has(text)) return {};
  if (!is_uri(text)) {
    return refuse(where.pointer, std::string(where.name) + " " + quoted(text) + " is neither a " +
                                     std::string(vocabulary.what) + " nor a URI");
  }
  static constexpr std::array<std::string_view, 3> kCbv1 = {
      "urn:epcglobal:cbv", "http://ns.gs1.org/cbv/", "https://ns.gs1.org/cbv/"};
  static constexpr std::array<std::string_view, 4> kGs1Voc = {
      "http://gs1.org/voc/", "https://gs1.org/voc/", "http://www.gs1.org/voc/",
      "https://www.gs1.org/voc/"};
  if (!vocabulary.gs1_voc && starts_with_any(text, kCbv1)) {
    return refuse(where.pointer, std::string(where.name) + " " + quoted(text) +
                                     " is a CBV 1.x identifier, which the EPCIS 2.0 JSON "
                                     "schema does not allow: use the CBV 2.0 bare word");
  }
  if (vocabulary.gs1_voc && starts_with_any(text, kGs1Voc)) {
    return refuse(where.pointer, std::string(where.name) + " " + quoted(text) +
                                     " is a gs1.org/voc/ URI, which the EPCIS 2.0 JSON "
                                     "schema does not allow: use the bare word");
  }
  // A term of the CBV 2.0 web vocabulary, also as a CURIE ("cbv:BizStep-shipping"), must be
  // one: the schema takes any URI, the CBV defines the terms in its namespace.
  if (!vocabulary.web_prefix.empty()) {
    const std::string expanded = where.context->expand_value(text);
    std::string_view rest = expanded;
    std::string_view prefix = vocabulary.web_prefix;  // https://ref.gs1.org/cbv/...
    if (rest.starts_with("http://")) {
      rest.remove_prefix(7);
      prefix.remove_prefix(8);
    } else if (rest.starts_with("https://")) {
      rest.remove_prefix(8);
      prefix.remove_prefix(8);
    } else {
      return {};
    }
    if (rest.starts_with(prefix) && !vocabulary.has(rest.substr(prefix.size()))) {
      return refuse(where.pointer, std::string(where.name) + " " + quoted(text) +
                                       " is in the CBV 2.0 namespace but names no " +
                                       std::string(vocabulary.what));
    }
  }
  return {};
}

// A value of one vocabulary, as a Member's check.
template <const Vocabulary& kWords>
Check one_of(const json::value& v, const Where& w) {
  return vocabulary_value(v, w, kWords);
}
constexpr auto biz_step_value = one_of<kBizStep>;
constexpr auto disposition_value = one_of<kDisposition>;
constexpr auto biz_transaction_type_value = one_of<kBizTransactionType>;
constexpr auto source_destination_type_value = one_of<kSourceDestinationType>;
constexpr auto error_reason_value = one_of<kErrorReason>;
constexpr auto component_value = one_of<kComponent>;
constexpr auto measurement_type_value = one_of<kMeasurementType>;
constexpr auto sensor_alert_value = one_of<kSensorAlert>;

Check action_value(const json::value& value, const Where& where) {
  if (!value.is_string()) return wrong_type(value, where, "a string");
  const std::string_view text = value.get_string();
  if (text != "ADD" && text != "OBSERVE" && text != "DELETE") {
    return refuse(where.pointer, "action " + quoted(text) + " is not ADD, OBSERVE or DELETE");
  }
  return {};
}

// An array of `element`s, at least `min_items` of them, pairwise different when `unique`.
Check array_of(const json::value& value, const Where& where, Checker element,
               std::size_t min_items = 0, bool unique = false) {
  if (!value.is_array()) return wrong_type(value, where, "an array");
  const json::array& array = value.get_array();
  if (array.size() < min_items) {
    return refuse(where.pointer, std::string(where.name) + " must not be empty");
  }
  // Strings (EPCs, dispositions) are compared as they are, anything else (a @context's
  // objects) by its serialisation, both through a hash set: a hostile document may list tens
  // of thousands, and comparing them pairwise would take minutes (an object repeated with its
  // members in another order is not caught: uniqueness here guards against mistakes only).
  std::unordered_set<std::string_view> seen;
  std::unordered_set<std::string> seen_values;
  for (std::size_t i = 0; i < array.size(); ++i) {
    if (auto checked = element(array[i], where.at(i)); !checked) return checked;
    if (!unique) continue;
    const bool repeated = array[i].is_string()
                              ? !seen.insert(std::string_view(array[i].get_string())).second
                              : !seen_values.insert(json::serialize(array[i])).second;
    if (repeated) {
      return refuse(where.at(i).pointer,
                    std::string(where.name) + " lists " + json::serialize(array[i]) + " twice");
    }
  }
  return {};
}

// What an object allows besides the members it describes.
enum class Others {
  kNone,     // additionalProperties: false
  kUriKeys,  // propertyNames: a listed name or a URI (user extensions)
  kAny,      // anything (the schema says nothing)
};

struct Member {
  std::string_view name;
  Checker check;
  bool required = false;
};

// An object of `members`: the required ones present (in the order listed), then every member in
// document order.
Check members_of(const json::object& object, const Where& where, std::span<const Member> members,
                 Others others, std::string_view what) {
  for (const Member& member : members) {
    if (member.required && !object.contains(member.name)) {
      return refuse(child(where.pointer, member.name),
                    std::string(what) + " needs " + std::string(member.name));
    }
  }
  for (const auto& [key, item] : object) {
    const auto known = std::ranges::find(members, std::string_view(key), &Member::name);
    if (known != members.end()) {
      if (auto checked = known->check(item, where.at(key)); !checked) return checked;
      continue;
    }
    if (others == Others::kAny) continue;
    if (others == Others::kUriKeys && is_uri(key)) continue;
    std::string reason = std::string(what) + " has no member " + quoted(key);
    if (others == Others::kUriKeys) {
      reason += "; an extension's name must be namespaced (prefix:name or a full IRI)";
    }
    return refuse(child(where.pointer, key), std::move(reason));
  }
  return {};
}

Check object_of(const json::value& value, const Where& where, std::span<const Member> members,
                Others others, std::string_view what) {
  if (!value.is_object()) return wrong_type(value, where, "an object");
  return members_of(value.get_object(), where, members, others, what);
}

// ---- The shapes of the schema -------------------------------------------------------------

Check uri_list(const json::value& v, const Where& w) {
  return array_of(v, w, uri_value);
}
Check unique_uri_list(const json::value& v, const Where& w) {
  return array_of(v, w, uri_value, 0, true);
}

Check quantity_element(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {
      {"epcClass", uri_value, true}, {"quantity", number_value}, {"uom", uom_value}};
  return object_of(v, w, kMembers, Others::kNone, "a quantity element");
}
Check quantity_list(const json::value& v, const Where& w) {
  return array_of(v, w, quantity_element);
}

Check location(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"id", uri_value, true}};
  return object_of(v, w, kMembers, Others::kAny, w.name);
}

Check biz_transaction(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"type", biz_transaction_type_value},
                                        {"bizTransaction", uri_value, true}};
  return object_of(v, w, kMembers, Others::kNone, "a business transaction");
}
Check biz_transaction_list(const json::value& v, const Where& w) {
  return array_of(v, w, biz_transaction);
}
Check non_empty_biz_transaction_list(const json::value& v, const Where& w) {
  return array_of(v, w, biz_transaction, 1);
}

Check source(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"type", source_destination_type_value, true},
                                        {"source", uri_value, true}};
  return object_of(v, w, kMembers, Others::kNone, "a source");
}
Check source_list(const json::value& v, const Where& w) {
  return array_of(v, w, source);
}

Check destination(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"type", source_destination_type_value, true},
                                        {"destination", uri_value, true}};
  return object_of(v, w, kMembers, Others::kNone, "a destination");
}
Check destination_list(const json::value& v, const Where& w) {
  return array_of(v, w, destination);
}

Check sensor_metadata(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"time", time_value},
                                        {"deviceID", uri_value},
                                        {"deviceMetadata", uri_value},
                                        {"rawData", uri_value},
                                        {"startTime", time_value},
                                        {"endTime", time_value},
                                        {"dataProcessingMethod", uri_value},
                                        {"bizRules", uri_value}};
  return object_of(v, w, kMembers, Others::kUriKeys, "sensorMetadata");
}

Check sensor_report(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"type", measurement_type_value, true},
                                        {"exception", sensor_alert_value},
                                        {"deviceID", uri_value},
                                        {"deviceMetadata", uri_value},
                                        {"rawData", uri_value},
                                        {"dataProcessingMethod", uri_value},
                                        {"bizRules", uri_value},
                                        {"time", time_value},
                                        {"microorganism", uri_value},
                                        {"chemicalSubstance", uri_value},
                                        {"coordinateReferenceSystem", uri_value},
                                        {"value", number_value},
                                        {"component", component_value},
                                        {"stringValue", string_value},
                                        {"booleanValue", boolean_value},
                                        {"hexBinaryValue", hex_binary_value},
                                        {"uriValue", uri_value},
                                        {"minValue", number_value},
                                        {"maxValue", number_value},
                                        {"meanValue", number_value},
                                        {"sDev", number_value},
                                        {"percRank", number_value},
                                        {"percValue", number_value},
                                        {"uom", string_value}};
  return object_of(v, w, kMembers, Others::kUriKeys, "a sensor report");
}
Check sensor_report_list(const json::value& v, const Where& w) {
  return array_of(v, w, sensor_report, 1);
}

Check sensor_element(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"sensorMetadata", sensor_metadata},
                                        {"sensorReport", sensor_report_list, true}};
  return object_of(v, w, kMembers, Others::kUriKeys, "a sensor element");
}
Check sensor_element_list(const json::value& v, const Where& w) {
  return array_of(v, w, sensor_element);
}

Check disposition_set(const json::value& v, const Where& w) {
  return array_of(v, w, disposition_value, 1, true);
}
Check persistent_disposition(const json::value& value, const Where& where) {
  static constexpr Member kMembers[] = {{"set", disposition_set}, {"unset", disposition_set}};
  if (auto checked = object_of(value, where, kMembers, Others::kNone, "persistentDisposition");
      !checked) {
    return checked;
  }
  if (!value.get_object().contains("set") && !value.get_object().contains("unset")) {
    return refuse(where.pointer, "persistentDisposition needs set or unset");
  }
  return {};
}

Check certification_info(const json::value& value, const Where& where) {
  if (value.is_array()) return array_of(value, where, uri_value);
  if (!value.is_string()) return wrong_type(value, where, "a URI or an array of URIs");
  return uri_value(value, where);
}

Check error_declaration(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"declarationTime", time_value, true},
                                        {"reason", error_reason_value},
                                        {"correctiveEventIDs", uri_list}};
  return object_of(v, w, kMembers, Others::kUriKeys, "errorDeclaration");
}

// ilmd: instance/lot master data, every name a URI (user vocabulary), any values.
Check ilmd(const json::value& v, const Where& w) {
  return object_of(v, w, {}, Others::kUriKeys, "ilmd");
}

// The schema's @context: a URI, an object, or an array of distinct URIs and objects.
Check context_entry(const json::value& value, const Where& where) {
  if (value.is_object()) return {};
  if (!value.is_string()) return wrong_type(value, where, "a URI or an object");
  return uri_value(value, where);
}
Check context_value(const json::value& value, const Where& where) {
  if (value.is_array()) return array_of(value, where, context_entry, 0, true);
  return context_entry(value, where);
}

// ---- Events -------------------------------------------------------------------------------

// The members every event type has ("Event" and "common-event-properties" in the schema).
constexpr Member kEventMembers[] = {{"@context", context_value},
                                    {"type", any_value, true},
                                    {"eventTime", time_value, true},
                                    {"eventTimeZoneOffset", time_zone_offset_value, true},
                                    {"recordTime", time_value},
                                    {"eventID", uri_value},
                                    {"certificationInfo", certification_info},
                                    {"errorDeclaration", error_declaration}};

// The members of an event type: the common ones, then its own as the schema lists them.
template <std::size_t N>
constexpr std::array<Member, std::size(kEventMembers) + N> event_members(const Member (&own)[N]) {
  std::array<Member, std::size(kEventMembers) + N> all{};
  std::ranges::copy(kEventMembers, all.begin());
  std::ranges::copy(own, all.begin() + std::size(kEventMembers));
  return all;
}

constexpr auto kObjectEvent = event_members({{"action", action_value, true},
                                             {"epcList", unique_uri_list},
                                             {"quantityList", quantity_list},
                                             {"bizStep", biz_step_value},
                                             {"disposition", disposition_value},
                                             {"persistentDisposition", persistent_disposition},
                                             {"readPoint", location},
                                             {"bizLocation", location},
                                             {"bizTransactionList", biz_transaction_list},
                                             {"sourceList", source_list},
                                             {"destinationList", destination_list},
                                             {"sensorElementList", sensor_element_list},
                                             {"ilmd", ilmd}});
constexpr auto kAggregationEvent = event_members({{"action", action_value, true},
                                                  {"parentID", uri_value},
                                                  {"childEPCs", uri_list},
                                                  {"childQuantityList", quantity_list},
                                                  {"bizStep", biz_step_value},
                                                  {"disposition", disposition_value},
                                                  {"persistentDisposition", persistent_disposition},
                                                  {"readPoint", location},
                                                  {"bizLocation", location},
                                                  {"bizTransactionList", biz_transaction_list},
                                                  {"sourceList", source_list},
                                                  {"destinationList", destination_list},
                                                  {"sensorElementList", sensor_element_list}});
constexpr auto kAssociationEvent = event_members({{"action", action_value, true},
                                                  {"parentID", uri_value, true},
                                                  {"childEPCs", uri_list},
                                                  {"childQuantityList", quantity_list},
                                                  {"bizStep", biz_step_value},
                                                  {"disposition", disposition_value},
                                                  {"persistentDisposition", persistent_disposition},
                                                  {"readPoint", location},
                                                  {"bizLocation", location},
                                                  {"bizTransactionList", biz_transaction_list},
                                                  {"sourceList", source_list},
                                                  {"destinationList", destination_list},
                                                  {"sensorElementList", sensor_element_list}});
constexpr auto kTransactionEvent =
    event_members({{"action", action_value, true},
                   {"bizTransactionList", non_empty_biz_transaction_list, true},
                   {"parentID", uri_value},
                   {"epcList", uri_list},
                   {"quantityList", quantity_list},
                   {"bizStep", biz_step_value},
                   {"disposition", disposition_value},
                   {"persistentDisposition", persistent_disposition},
                   {"readPoint", location},
                   {"bizLocation", location},
                   {"sourceList", source_list},
                   {"destinationList", destination_list},
                   {"sensorElementList", sensor_element_list}});
constexpr auto kTransformationEvent =
    event_members({{"inputEPCList", unique_uri_list},
                   {"inputQuantityList", quantity_list},
                   {"outputEPCList", unique_uri_list},
                   {"outputQuantityList", quantity_list},
                   {"transformationID", uri_value},
                   {"bizStep", biz_step_value},
                   {"disposition", disposition_value},
                   {"persistentDisposition", persistent_disposition},
                   {"readPoint", location},
                   {"bizLocation", location},
                   {"bizTransactionList", biz_transaction_list},
                   {"sourceList", source_list},
                   {"destinationList", destination_list},
                   {"sensorElementList", sensor_element_list},
                   {"ilmd", ilmd}});

bool non_empty_array(const json::object& event, std::string_view name) {
  const json::value* value = event.if_contains(name);
  return value != nullptr && value->is_array() && !value->get_array().empty();
}

bool action_is(const json::object& event, std::string_view action) {
  const json::value* value = event.if_contains("action");
  return value != nullptr && value->is_string() && value->get_string() == action;
}

// The schema's anyOf / oneOf rules that tie members together, by event type; the members'
// own values are already checked.
Check event_rules(const json::object& event, std::string_view type, const Where& where) {
  if (type == "ObjectEvent") {
    const bool sensors = non_empty_array(event, "sensorElementList") && event.contains("readPoint");
    if (!event.contains("epcList") && !non_empty_array(event, "quantityList") && !sensors) {
      return refuse(
          child(where.pointer, event.contains("quantityList") ? "quantityList" : "epcList"),
          "an ObjectEvent needs epcList, a non-empty quantityList, or a non-empty "
          "sensorElementList with a readPoint");
    }
    if (event.contains("ilmd") && !action_is(event, "ADD")) {
      return refuse(child(where.pointer, "ilmd"),
                    "ilmd (instance/lot master data) is only allowed with action ADD");
    }
  } else if (type == "AggregationEvent" || type == "AssociationEvent") {
    if (!non_empty_array(event, "childEPCs") && !non_empty_array(event, "childQuantityList") &&
        !action_is(event, "DELETE")) {
      return refuse(child(where.pointer, "childEPCs"),
                    std::string("an ") + std::string(type) +
                        " needs a non-empty childEPCs or childQuantityList unless action is "
                        "DELETE");
    }
  } else if (type == "TransactionEvent") {
    if (!event.contains("epcList") && !non_empty_array(event, "quantityList") &&
        !action_is(event, "DELETE")) {
      return refuse(child(where.pointer, "epcList"),
                    "a TransactionEvent needs epcList or a non-empty quantityList unless action "
                    "is DELETE");
    }
  } else if (type == "TransformationEvent") {
    const bool inputs =
        non_empty_array(event, "inputEPCList") || non_empty_array(event, "inputQuantityList");
    const bool outputs =
        non_empty_array(event, "outputEPCList") || non_empty_array(event, "outputQuantityList");
    if (!inputs && !outputs) {
      return refuse(child(where.pointer, "inputEPCList"),
                    "a TransformationEvent needs inputs (inputEPCList, inputQuantityList) or "
                    "outputs (outputEPCList, outputQuantityList)");
    }
    if ((!inputs || !outputs) && !event.contains("transformationID")) {
      return refuse(child(where.pointer, "transformationID"),
                    "a TransformationEvent with only inputs or only outputs needs a "
                    "transformationID");
    }
  }
  return {};
}

Check event_value(const json::value& value, const Where& where) {
  if (!value.is_object()) return wrong_type(value, where, "an event object");
  return validate_event(value.get_object(), *where.context, where.pointer);
}

Check event_list(const json::value& v, const Where& w) {
  return array_of(v, w, event_value);
}

// ---- Documents ----------------------------------------------------------------------------

Check attribute(const json::value& value, const Where& where) {
  static constexpr Member kMembers[] = {{"id", uri_value, true}, {"attribute", any_value}};
  if (auto checked = object_of(value, where, kMembers, Others::kAny, "a master data attribute");
      !checked) {
    return checked;
  }
  if (const json::value* a = value.get_object().if_contains("attribute");
      a != nullptr && !a->is_number() && !a->is_string() && !a->is_object()) {
    return wrong_type(*a, where.at("attribute"), "a number, a string or an object");
  }
  return {};
}
Check attribute_list(const json::value& v, const Where& w) {
  return array_of(v, w, attribute);
}

Check vocabulary_element(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {
      {"id", uri_value, true}, {"attributes", attribute_list}, {"children", uri_list}};
  return object_of(v, w, kMembers, Others::kAny, "a vocabulary element");
}
Check vocabulary_element_list(const json::value& v, const Where& w) {
  return array_of(v, w, vocabulary_element);
}
Check vocabulary(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"type", uri_value, true},
                                        {"vocabularyElementList", vocabulary_element_list}};
  return object_of(v, w, kMembers, Others::kAny, "a vocabulary");
}
Check vocabulary_list(const json::value& v, const Where& w) {
  return array_of(v, w, vocabulary);
}

Check master_data(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"vocabularyList", vocabulary_list}};
  return object_of(v, w, kMembers, Others::kAny, "epcisMasterData");
}
Check epcis_header(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"epcisMasterData", master_data}};
  return object_of(v, w, kMembers, Others::kUriKeys, "epcisHeader");
}

Check document_body(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"eventList", event_list, true}};
  return object_of(v, w, kMembers, Others::kAny, "epcisBody");
}

Check results_body(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"eventList", event_list, true},
                                        {"vocabularyList", vocabulary_list}};
  return object_of(v, w, kMembers, Others::kUriKeys, "resultsBody");
}
Check query_results(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"queryName", string_value, true},
                                        {"subscriptionID", string_value},
                                        {"resultsBody", results_body, true}};
  return object_of(v, w, kMembers, Others::kUriKeys, "queryResults");
}
Check query_document_body(const json::value& v, const Where& w) {
  static constexpr Member kMembers[] = {{"queryResults", query_results, true}};
  return object_of(v, w, kMembers, Others::kUriKeys, "epcisBody");
}

constexpr Member kEpcisDocument[] = {
    {"@context", context_value, true},  {"id", uri_value},
    {"type", any_value, true},          {"schemaVersion", version_value, true},
    {"creationDate", time_value, true}, {"instanceIdentifier", string_value},
    {"sender", string_value},           {"receiver", string_value},
    {"epcisHeader", epcis_header},      {"epcisBody", document_body, true}};
constexpr Member kEpcisQueryDocument[] = {
    {"@context", context_value, true}, {"id", uri_value},
    {"type", any_value, true},         {"schemaVersion", version_value},
    {"creationDate", time_value},      {"epcisBody", query_document_body, true}};

}  // namespace

Result<void> validate_event(const json::object& event, const Context& document_context,
                            std::string_view pointer) {
  // An event's own @context declares prefixes for it alone.
  auto own = document_context.with_event_context(event);
  if (!own) return refuse(child(pointer, "@context"), own.error().message);
  const Context& context = *own;
  const Where where{std::string(pointer), "event", &context};
  // The type decides every other rule, so it comes first.
  const json::value* type_value = event.if_contains("type");
  if (type_value == nullptr) return refuse(child(pointer, "type"), "an event needs a type");
  if (!type_value->is_string()) return wrong_type(*type_value, where.at("type"), "a string");
  const std::string_view type = type_value->get_string();
  std::span<const Member> members;
  if (type == "ObjectEvent") {
    members = kObjectEvent;
  } else if (type == "AggregationEvent") {
    members = kAggregationEvent;
  } else if (type == "TransactionEvent") {
    members = kTransactionEvent;
  } else if (type == "TransformationEvent") {
    members = kTransformationEvent;
  } else if (type == "AssociationEvent") {
    members = kAssociationEvent;
  } else {
    // The schema would take a URI here as an extension event type with only the common
    // members checked; nothing downstream can import one, so it is refused as unknown.
    return refuse(child(pointer, "type"),
                  "event type " + quoted(type) +
                      " is not ObjectEvent, AggregationEvent, TransactionEvent, "
                      "TransformationEvent or AssociationEvent");
  }
  if (auto checked = members_of(event, where, members, Others::kUriKeys, type); !checked) {
    return checked;
  }
  return event_rules(event, type, where);
}

Result<void> validate_document(const json::value& document) {
  if (!document.is_object()) {
    return refuse("", std::string("an EPCIS document must be a JSON object, not ") +
                          std::string(kind_of(document)));
  }
  const json::object& object = document.get_object();
  const json::value* type_value = object.if_contains("type");
  if (type_value == nullptr) return refuse("/type", "an EPCIS document needs a type");
  if (!type_value->is_string() || (type_value->get_string() != "EPCISDocument" &&
                                   type_value->get_string() != "EPCISQueryDocument")) {
    return refuse("/type", "document type " + json::serialize(*type_value) +
                               " is not EPCISDocument or EPCISQueryDocument");
  }
  const bool query = type_value->get_string() == "EPCISQueryDocument";
  // The prefixes for CURIEs in vocabulary values; a malformed @context is reported in its
  // place in document order by the walk below, so it only needs to not fail here.
  Context context;
  if (const json::value* at_context = object.if_contains("@context")) {
    if (auto parsed = Context::from_json_ld(*at_context)) context = std::move(*parsed);
  }
  const Where where{"", query ? "EPCISQueryDocument" : "EPCISDocument", &context};
  if (query) {
    return object_of(document, where, kEpcisQueryDocument, Others::kUriKeys,
                     "an EPCISQueryDocument");
  }
  return object_of(document, where, kEpcisDocument, Others::kUriKeys, "an EPCISDocument");
}

}  // namespace custody::epcis
