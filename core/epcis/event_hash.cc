#include "custody/epcis/event_hash.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <span>

#include "cbv_terms.h"
#include "custody/common/encoding.h"
#include "custody/crypto/sha256.h"
#include "custody/epcis/gs1_keys.h"

namespace custody::epcis {
namespace {

// 'text', built by appending: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(std::string_view text) {
  std::string out(1, '\'');
  out += text;
  out += '\'';
  return out;
}

namespace json = boost::json;

using Vocabulary = cbv::Terms;

constexpr const Vocabulary& kBizStep = cbv::kBizStep;
constexpr const Vocabulary& kDisposition = cbv::kDisposition;
constexpr const Vocabulary& kBizTransactionType = cbv::kBizTransactionType;
constexpr const Vocabulary& kSourceDestinationType = cbv::kSourceDestinationType;
constexpr const Vocabulary& kMeasurementType = cbv::kMeasurementType;
constexpr const Vocabulary& kSensorAlert = cbv::kSensorAlert;
constexpr const Vocabulary& kComponent = cbv::kComponent;

// CBV 1.x URNs and the web vocabulary terms that replace them in the pre-hash.
constexpr std::pair<std::string_view, std::string_view> kCbvUrns[] = {
    {"urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"},
    {"urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"},
    {"urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"},
    {"urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"},
    {"urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"}};

// ---- The canonical property order ---------------------------------------------------------

enum class Shape {
  kValue,       // name=value, once per entry when the JSON holds an array
  kTime,        // a kValue that is a timestamp
  kValueList,   // name, then element=value per entry                 ("epcList" "epc=...")
  kObject,      // name, then the object's fields; once per entry of an array
  kObjectList,  // name, then element + the object's fields per entry ("quantityList")
  kTypedList,   // name, then "type=" T element=id per entry          ("bizTransactionList")
};

struct Field {
  std::string_view name;
  Shape shape = Shape::kValue;
  std::string_view element = {};
  const Vocabulary* vocabulary = nullptr;
  std::span<const Field> fields = {};
};

constexpr Field kQuantityElement[] = {{"epcClass"}, {"quantity"}, {"uom"}};
constexpr Field kLocation[] = {{"id"}};
constexpr Field kPersistentDisposition[] = {{"set", Shape::kValue, {}, &kDisposition},
                                            {"unset", Shape::kValue, {}, &kDisposition}};
constexpr Field kSensorMetadata[] = {{"time", Shape::kTime},    {"startTime", Shape::kTime},
                                     {"endTime", Shape::kTime}, {"deviceID"},
                                     {"deviceMetadata"},        {"rawData"},
                                     {"dataProcessingMethod"},  {"bizRules"}};
constexpr Field kSensorReport[] = {{"type", Shape::kValue, {}, &kMeasurementType},
                                   {"exception", Shape::kValue, {}, &kSensorAlert},
                                   {"deviceID"},
                                   {"deviceMetadata"},
                                   {"rawData"},
                                   {"dataProcessingMethod"},
                                   {"time", Shape::kTime},
                                   {"microorganism"},
                                   {"chemicalSubstance"},
                                   {"value"},
                                   {"component", Shape::kValue, {}, &kComponent},
                                   {"stringValue"},
                                   {"booleanValue"},
                                   {"hexBinaryValue"},
                                   {"uriValue"},
                                   {"minValue"},
                                   {"maxValue"},
                                   {"meanValue"},
                                   {"sDev"},
                                   {"percRank"},
                                   {"percValue"},
                                   {"uom"},
                                   {"coordinateReferenceSystem"}};
constexpr Field kSensorElement[] = {
    {"sensorMetadata", Shape::kObject, {}, nullptr, kSensorMetadata},
    {"sensorReport", Shape::kObject, {}, nullptr, kSensorReport}};

constexpr Field kEvent[] = {
    {"eventTime", Shape::kTime},
    {"eventTimeZoneOffset"},
    {"certificationInfo"},
    {"parentID"},
    {"epcList", Shape::kValueList, "epc"},
    {"inputEPCList", Shape::kValueList, "epc"},
    {"childEPCs", Shape::kValueList, "epc"},
    {"quantityList", Shape::kObjectList, "quantityElement", nullptr, kQuantityElement},
    {"childQuantityList", Shape::kObjectList, "quantityElement", nullptr, kQuantityElement},
    {"inputQuantityList", Shape::kObjectList, "quantityElement", nullptr, kQuantityElement},
    {"outputEPCList", Shape::kValueList, "epc"},
    {"outputQuantityList", Shape::kObjectList, "quantityElement", nullptr, kQuantityElement},
    {"action"},
    {"transformationID"},
    {"bizStep", Shape::kValue, {}, &kBizStep},
    {"disposition", Shape::kValue, {}, &kDisposition},
    {"persistentDisposition", Shape::kObject, {}, nullptr, kPersistentDisposition},
    {"readPoint", Shape::kObject, {}, nullptr, kLocation},
    {"bizLocation", Shape::kObject, {}, nullptr, kLocation},
    {"sensorElementList", Shape::kObjectList, "sensorElement", nullptr, kSensorElement},
};

// Standard fields that the reference implementation sorts in with the user extensions.
constexpr Field kSortedWithRest[] = {
    {"bizTransactionList", Shape::kTypedList, "bizTransaction", &kBizTransactionType},
    {"sourceList", Shape::kTypedList, "source", &kSourceDestinationType},
    {"destinationList", Shape::kTypedList, "destination", &kSourceDestinationType},
};

// Event fields that never take part.
constexpr std::string_view kLeftOut[] = {"type", "eventID", "recordTime", "errorDeclaration"};

constexpr std::string_view kRdfsComment = "{http://www.w3.org/2000/01/rdf-schema#}comment";
constexpr std::string_view kIgnoreFieldsKey = "{https://repository-x.example.com/}ignoreFields";

const Field* find_field(std::span<const Field> fields, std::string_view name) {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// ---- Values -------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// [+-] digits [. digits] [e [+-] digits], or with the digits only after the point.
bool is_decimal_number(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t mantissa = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// A number written as the reference implementation writes it (Python's str() of the float,
// or of the int when the float is integral): "26", "0.1", "12.1", "1e-05".
std::string number_text(double x) {
  if (!std::isfinite(x)) return x != x ? "nan" : (x > 0 ? "inf" : "-inf");
  if (x == std::trunc(x)) {
    if (x == 0) return "0";
    char buf[400];
    const int n = std::snprintf(buf, sizeof buf, "%.0f", x);
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // The shortest digits that read back as x, laid out as Python's repr does: positional
  // for exponents from -4 to 15, scientific below.
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t e_at = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_at);
  int exponent = 0;
  std::from_chars(sci.data() + e_at + 1 + (sci[e_at + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                  exponent);
  std::string out;
  if (mantissa.starts_with('-')) {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  if (exponent < -4) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e-%02d", -exponent);
    return out + e;
  }
  if (exponent < 0) {
    return out + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  }
  const auto whole = static_cast<std::size_t>(exponent) + 1;
  // Not integral, so there are digits after the point.
  return out + digits.substr(0, whole) + "." + digits.substr(whole);
}

// UTC with exactly three fractional digits, rounded half up on the fourth.
Result<std::string> timestamp_text(std::string_view text, const std::string& path) {
  const auto not_a_timestamp = [&](ErrorCode code) {
    return fail(code,
                quoted(text) + " is not an RFC 3339 timestamp with a time zone" +
                    (code == ErrorCode::kOutOfRange ? " in custody's range" : ""),
                path);
  };
  // A bare date is no xsd:dateTimeStamp.
  if (text.size() <= 10) return not_a_timestamp(ErrorCode::kInvalidArgument);
  const auto ns = parse_rfc3339(text);
  if (!ns) return not_a_timestamp(ns.error().code);
  const TimeNs ms = (*ns + 500'000) / 1'000'000;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03lld", static_cast<long long>(ms % 1000));
  return format_rfc3339(ms * 1'000'000).substr(0, 19) + frac + "Z";
}

std::unexpected<Error> bad(const std::string& path, std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message), path);
}

std::string join_sorted(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

// The entries of a field: the elements of an array, or the value itself.
std::span<const json::value> entries(const json::value& v) {
  if (const json::array* a = v.if_array()) return {a->data(), a->size()};
  return {&v, 1};
}

std::string entry_path(const std::string& path, const json::value& v, std::size_t i) {
  return v.is_array() ? path + "[" + std::to_string(i) + "]" : path;
}

class PreHash {
 public:
  explicit PreHash(const Context& context) : context_(context) {}

  // The canonical text of one value; empty for null and blank strings.
  Result<std::string> value(const json::value& v, const Field& f, const std::string& path) const {
    switch (v.kind()) {
      case json::kind::null:
        return std::string();
      case json::kind::bool_:
        return std::string(v.get_bool() ? "true" : "false");
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        return number_text(v.to_number<double>());
      case json::kind::string:
        break;
      default:
        return bad(path, "must be a single value, not a JSON " +
                             std::string(v.is_object() ? "object" : "array"));
    }
    const std::string_view text = trim(v.get_string());
    if (text.empty()) return std::string();
    if (f.shape == Shape::kTime) return timestamp_text(text, path);
    if (f.vocabulary != nullptr && f.vocabulary->has(text)) {
      return std::string(f.vocabulary->prefix) + std::string(text);
    }
    std::string s = context_.expand_value(text);
    for (const auto& [urn, web] : kCbvUrns) {
      if (s.starts_with(urn)) s = std::string(web) + s.substr(urn.size());
    }
    // Numbers in text lose their trailing zeros too (XML has nothing but text).
    if (is_decimal_number(s)) {
      double x = 0;
      std::from_chars(s.data() + (s.starts_with('+') ? 1 : 0), s.data() + s.size(), x);
      return number_text(x);
    }
    return canonical_identifier(s, path);
  }

  // A standard field with its name; empty when it holds nothing.
  Result<std::string> field(const json::value& v, const Field& f, const std::string& path) const {
    std::vector<std::string> parts;
    const auto list = entries(v);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const json::value& e = list[i];
      const std::string at = entry_path(path, v, i);
      std::string part;
      switch (f.shape) {
        case Shape::kValue:
        case Shape::kTime:
        case Shape::kValueList: {
          auto text = value(e, f, at);
          if (!text) return std::unexpected(text.error());
          if (!text->empty()) {
            part = std::string(f.shape == Shape::kValueList ? f.element : f.name) + "=" + *text;
          }
          break;
        }
        case Shape::kObject:
        case Shape::kObjectList: {
          if (!e.is_object()) return bad(at, "must be a JSON object");
          auto body = object(e.get_object(), f.fields, at);
          if (!body) return std::unexpected(body.error());
          if (!body->empty()) {
            part = std::string(f.shape == Shape::kObjectList ? f.element : f.name) + *body;
          }
          break;
        }
        case Shape::kTypedList: {
          if (!e.is_object()) return bad(at, "must be a JSON object");
          auto body = typed(e.get_object(), f, at);
          if (!body) return std::unexpected(body.error());
          part = std::move(*body);
          break;
        }
      }
      if (!part.empty()) parts.push_back(std::move(part));
    }
    std::string joined = join_sorted(std::move(parts));
    const bool is_list = f.shape == Shape::kValueList || f.shape == Shape::kObjectList ||
                         f.shape == Shape::kTypedList;
    if (is_list && !joined.empty()) joined.insert(0, f.name);
    return joined;
  }

  // The fields of a standard object in their order, then its other fields, sorted.
  Result<std::string> object(const json::object& o, std::span<const Field> fields,
                             const std::string& path) const {
    std::string out;
    for (const Field& f : fields) {
      const auto it = o.find(f.name);
      if (it == o.end()) continue;
      auto text = field(it->value(), f, path + "." + std::string(f.name));
      if (!text) return std::unexpected(text.error());
      out += *text;
    }
    std::vector<std::string> rest;
    for (const auto& [key, v] : o) {
      if (find_field(fields, key) != nullptr) continue;
      if (auto r = generic(key, v, path + "." + std::string(key), rest); !r) {
        return std::unexpected(r.error());
      }
    }
    return out + join_sorted(std::move(rest));
  }

  // "type=" T then element=id, then anything else the entry holds, sorted.
  Result<std::string> typed(const json::object& o, const Field& f, const std::string& path) const {
    const Field type_field{"type", Shape::kValue, {}, f.vocabulary};
    const Field id_field{f.element};
    const Field fields[] = {type_field, id_field};
    return object(o, fields, path);
  }

  // Anything outside the standard fields, rendered as the reference implementation renders
  // XML elements: "{namespace}local" names, "=value" for values, children sorted, and one
  // sibling per array entry. Appends to `out`.
  Result<void> generic(std::string_view key, const json::value& v, const std::string& path,
                       std::vector<std::string>& out) const {
    const std::string name = context_.expand_key(key);
    if (key.starts_with('@') || key == "comment" || name == kRdfsComment) return {};
    if (const json::array* a = v.if_array()) {
      for (std::size_t i = 0; i < a->size(); ++i) {
        if (auto r = generic(key, (*a)[i], path + "[" + std::to_string(i) + "]", out); !r) return r;
      }
      return {};
    }
    if (const json::object* o = v.if_object()) {
      std::vector<std::string> children;
      for (const auto& [k, child] : *o) {
        if (auto r = generic(k, child, path + "." + std::string(k), children); !r) return r;
      }
      out.push_back(name + join_sorted(std::move(children)));
      return {};
    }
    auto text = value(v, Field{}, path);
    if (!text) return std::unexpected(text.error());
    out.push_back(text->empty() ? name : name + "=" + *text);
    return {};
  }

 private:
  const Context& context_;
};

}  // namespace

Context::Context() {
  // The prefixes of https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld.
  prefixes_ = {{"epcis", "https://ref.gs1.org/epcis/"},
               {"cbv", "https://ref.gs1.org/cbv/"},
               {"cbvmda", "urn:epcglobal:cbv:mda:"},
               {"gs1", "https://gs1.org/voc/"},
               {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"},
               {"owl", "http://www.w3.org/2002/07/owl#"},
               {"xsd", "http://www.w3.org/2001/XMLSchema#"},
               {"dcterms", "http://purl.org/dc/terms/"}};
}

Result<Context> Context::from_json_ld(const json::value& at_context) {
  return Context().with(at_context);
}

Result<Context> Context::with_event_context(const json::object& event) const {
  const json::value* own = event.if_contains("@context");
  if (own == nullptr) return *this;
  return with(*own);
}

Result<Context> Context::with(const json::value& at_context) const {
  Context context = *this;
  for (const json::value& entry : entries(at_context)) {
    if (entry.is_string()) continue;  // a remote context: only the standard one is known
    const json::object* o = entry.if_object();
    if (o == nullptr) return bad("@context", "must be a URL, an object or an array of those");
    for (const auto& [prefix, iri] : *o) {
      // Keyword aliases ("id": "@id") and term definitions objects are not prefixes.
      if (iri.is_string() && !prefix.starts_with('@') && !iri.get_string().starts_with('@')) {
        context.declare(std::string(prefix), std::string(iri.get_string()));
      }
    }
  }
  return context;
}

void Context::declare(std::string prefix, std::string iri) {
  prefixes_.insert_or_assign(std::move(prefix), std::move(iri));
}

std::string Context::expand_key(std::string_view key) const {
  const std::size_t colon = key.find(':');
  if (colon == std::string_view::npos) return std::string(key);
  const auto it = prefixes_.find(key.substr(0, colon));
  if (it == prefixes_.end()) return std::string(key);
  return "{" + it->second + "}" + std::string(key.substr(colon + 1));
}

std::string Context::expand_value(std::string_view value) const {
  const std::size_t colon = value.find(':');
  if (colon == std::string_view::npos) return std::string(value);
  const auto it = prefixes_.find(value.substr(0, colon));
  if (it == prefixes_.end()) return std::string(value);
  return it->second + std::string(value.substr(colon + 1));
}

Result<std::string> event_prehash(const json::object& event, const Context& document_context,
                                  const HashOptions& options) {
  auto own = document_context.with_event_context(event);
  if (!own) return std::unexpected(own.error());
  const Context& context = *own;
  const json::value* type = event.if_contains("type");
  if (type == nullptr || !type->is_string() || type->get_string().empty()) {
    return bad("type", "an event needs its type as a string");
  }
  const PreHash pre(context);
  std::string out = "eventType=" + std::string(type->get_string());
  for (const Field& f : kEvent) {
    const json::value* v = event.if_contains(f.name);
    if (v == nullptr) continue;
    auto text = pre.field(*v, f, std::string(f.name));
    if (!text) return std::unexpected(text.error());
    out += *text;
  }
  std::vector<std::string> ignored;
  for (const std::string& f : options.ignored_fields) ignored.push_back(context.expand_key(f));
  std::vector<std::string> rest;
  for (const auto& [key, v] : event) {
    const std::string path(key);
    if (find_field(kEvent, key) != nullptr ||
        std::find(std::begin(kLeftOut), std::end(kLeftOut), key) != std::end(kLeftOut) ||
        std::find(ignored.begin(), ignored.end(), context.expand_key(key)) != ignored.end()) {
      continue;
    }
    if (const Field* f = find_field(kSortedWithRest, key)) {
      auto text = pre.field(v, *f, path);
      if (!text) return std::unexpected(text.error());
      if (!text->empty()) rest.push_back(std::move(*text));
    } else if (auto r = pre.generic(key, v, path, rest); !r) {
      return std::unexpected(r.error());
    }
  }
  return out + join_sorted(std::move(rest));
}

std::string hash_id_of_prehash(std::string_view prehash) {
  const crypto::Digest digest = crypto::sha256(prehash);
  return "ni:///sha-256;" + to_hex(digest) + "?ver=CBV2.0";
}

Result<std::string> event_hash_id(const json::object& event, const Context& context,
                                  const HashOptions& options) {
  auto prehash = event_prehash(event, context, options);
  if (!prehash) return std::unexpected(prehash.error());
  return hash_id_of_prehash(*prehash);
}

Result<DocumentEvents> document_events(const json::value& document) {
  const json::object* doc = document.if_object();
  if (doc == nullptr) return bad("", "an EPCIS document must be a JSON object");
  DocumentEvents out;
  if (const json::value* at_context = doc->if_contains("@context")) {
    auto context = Context::from_json_ld(*at_context);
    if (!context) return std::unexpected(context.error());
    out.context = std::move(*context);
  }
  const auto ignore_fields = [&](const json::object& holder,
                                 const std::string& path) -> Result<void> {
    for (const auto& [key, v] : holder) {
      if (out.context.expand_key(key) != kIgnoreFieldsKey) continue;
      for (const json::value& name : entries(v)) {
        if (!name.is_string()) return bad(path + std::string(key), "must list field names");
        out.options.ignored_fields.emplace_back(name.get_string());
      }
    }
    return {};
  };
  if (auto r = ignore_fields(*doc, ""); !r) return std::unexpected(r.error());

  const json::object* body = nullptr;
  if (const json::value* b = doc->if_contains("epcisBody")) body = b->if_object();
  if (body == nullptr) return bad("epcisBody", "an EPCIS document needs an epcisBody object");
  const json::value* list = body->if_contains("eventList");
  std::string path = "epcisBody.eventList";
  if (const json::value* results = body->if_contains("queryResults")) {
    const json::object* q = results->if_object();
    if (q == nullptr) return bad("epcisBody.queryResults", "must be a JSON object");
    if (auto r = ignore_fields(*q, "epcisBody.queryResults."); !r)
      return std::unexpected(r.error());
    const json::value* results_body = q->if_contains("resultsBody");
    if (results_body != nullptr && results_body->is_object()) {
      list = results_body->get_object().if_contains("eventList");
    }
    path = "epcisBody.queryResults.resultsBody.eventList";
  }
  if (list == nullptr) {
    if (const json::value* single = body->if_contains("event")) {
      if (!single->is_object()) return bad("epcisBody.event", "must be a JSON object");
      out.events.push_back(single->get_object());
      return out;
    }
    return bad(path, "the document holds no events");
  }
  if (!list->is_array()) return bad(path, "must be a JSON array");
  const json::array& events = list->get_array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].is_object()) {
      return bad(path + "[" + std::to_string(i) + "]", "an event must be a JSON object");
    }
    out.events.push_back(events[i].get_object());
  }
  return out;
}

}  // namespace custody::epcis
