#include "custody/codec/json_binding.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"

namespace custody::codec {
namespace {

// Ids of the annotations declared in schema/annotations.capnp.
constexpr std::uint64_t kRequired = 0xb00c6337c84389a1ull;
constexpr std::uint64_t kId = 0xf4262fb2f4b2443cull;
constexpr std::uint64_t kDecimal = 0xb966e790c6dfe5dcull;
constexpr std::uint64_t kTimestamp = 0xb71590051bf06be4ull;
constexpr std::uint64_t kJson = 0xbc54120b05d19159ull;

constexpr std::size_t kMaxText = 64 * 1024;

struct FieldTraits {
  bool required = false;
  bool id = false;
  int decimal = -1;
  bool timestamp = false;
  bool json = false;
};

FieldTraits traits_of(const capnp::StructSchema::Field& field) {
  FieldTraits t;
  for (auto a : field.getProto().getAnnotations()) {
    switch (a.getId()) {
      case kRequired:
        t.required = true;
        break;
      case kId:
        t.id = true;
        break;
      case kDecimal:
        t.decimal = a.getValue().getUint8();
        break;
      case kTimestamp:
        t.timestamp = true;
        break;
      case kJson:
        t.json = true;
        break;
      default:
        break;
    }
  }
  return t;
}

std::unexpected<Error> bad(const std::string& path, std::string message) {
  return std::unexpected(Error::invalid_argument(path, std::move(message)));
}

std::string_view json_kind(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

// Integral JSON number as int64 / uint64 (doubles must be whole).
Result<std::int64_t> as_int(const boost::json::value& v, const std::string& path) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) {
    if (v.as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return bad(path, "is out of range");
    }
    return static_cast<std::int64_t>(v.as_uint64());
  }
  if (v.is_double()) {
    const double d = v.as_double();
    if (std::trunc(d) != d || std::fabs(d) > 9.0e15) return bad(path, "must be a whole number");
    return static_cast<std::int64_t>(d);
  }
  return bad(path, "must be a number, not " + std::string(json_kind(v)));
}

Result<std::uint64_t> as_uint(const boost::json::value& v, const std::string& path) {
  if (v.is_uint64()) return v.as_uint64();
  auto i = as_int(v, path);
  if (!i) return std::unexpected(i.error());
  if (*i < 0) return bad(path, "must not be negative");
  return static_cast<std::uint64_t>(*i);
}

// Decimals (`$decimal(n)`): quantities and amounts. As JSON numbers, or as strings of the
// grammar
//
//   decimal = ["-"] ("0" | nonzero *digit) ["." 1*digit]
//
// (no "+", no leading zeros, digits on both sides of a point, no exponent). At most n
// decimal places (further zeros are fine), and at most kMaxDecimalDigits digits before the
// point: a bound every sum custody keeps stays far inside 64 bits.
constexpr int kMaxDecimalDigits = 12;

std::unexpected<Error> decimal_out_of_range(const std::string& path) {
  return std::unexpected(Error{ErrorCode::kOutOfRange,
                               "is out of range: at most " + std::to_string(kMaxDecimalDigits) +
                                   " digits before the decimal point",
                               path});
}

std::int64_t pow10(int places) {
  std::int64_t scale = 1;
  for (int k = 0; k < places; ++k) scale *= 10;
  return scale;
}

// "12.5" -> 12500 for places = 3, exactly.
Result<std::int64_t> parse_decimal_text(std::string_view s, int places, const std::string& path) {
  const std::string_view grammar = "must be a decimal number such as 12.5 or -0.25";
  std::size_t i = 0;
  const bool negative = i < s.size() && s[i] == '-';
  if (negative) ++i;
  const std::size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  const std::size_t int_digits = i - int_start;
  if (int_digits == 0 || (int_digits > 1 && s[int_start] == '0')) {
    return bad(path, std::string(grammar));
  }
  std::size_t frac_start = i, frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    frac_start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    frac_digits = i - frac_start;
    if (frac_digits == 0) return bad(path, std::string(grammar));
  }
  if (i != s.size()) return bad(path, std::string(grammar));
  if (int_digits > static_cast<std::size_t>(kMaxDecimalDigits)) return decimal_out_of_range(path);
  std::int64_t whole = 0;
  for (std::size_t k = int_start; k < int_start + int_digits; ++k)
    whole = whole * 10 + (s[k] - '0');
  std::int64_t frac = 0;
  for (std::size_t k = 0; k < frac_digits; ++k) {
    const char c = s[frac_start + k];
    if (static_cast<int>(k) >= places) {
      if (c != '0') return bad(path, "has more than " + std::to_string(places) + " decimal places");
      continue;
    }
    frac = frac * 10 + (c - '0');
  }
  for (std::size_t k = frac_digits; k < static_cast<std::size_t>(places); ++k) frac *= 10;
  const std::int64_t v = whole * pow10(places) + frac;
  return negative ? -v : v;
}

Result<std::int64_t> as_decimal(const boost::json::value& v, int places, const std::string& path) {
  const std::int64_t limit = pow10(kMaxDecimalDigits);  // exclusive, in whole units
  if (v.is_string()) return parse_decimal_text(v.as_string(), places, path);
  if (v.is_int64() || v.is_uint64()) {
    if (v.is_uint64() ? v.as_uint64() >= static_cast<std::uint64_t>(limit)
                      : std::llabs(v.as_int64()) >= limit) {
      return decimal_out_of_range(path);
    }
    return (v.is_uint64() ? static_cast<std::int64_t>(v.as_uint64()) : v.as_int64()) *
           pow10(places);
  }
  if (v.is_double()) {
    const double d = v.as_double();
    if (!std::isfinite(d) || std::fabs(d) >= static_cast<double>(limit)) {
      return decimal_out_of_range(path);
    }
    const double scaled = d * std::pow(10.0, places);
    const double rounded = std::nearbyint(scaled);
    if (std::fabs(scaled - rounded) > 1e-6 * std::max(1.0, std::fabs(scaled))) {
      return bad(path, "has more than " + std::to_string(places) + " decimal places");
    }
    return static_cast<std::int64_t>(rounded);
  }
  return bad(path, "must be a number, not " + std::string(json_kind(v)));
}

template <typename T>
Result<capnp::DynamicValue::Reader> ranged_int(const boost::json::value& v,
                                               const std::string& path) {
  if constexpr (std::is_signed_v<T>) {
    auto i = as_int(v, path);
    if (!i) return std::unexpected(i.error());
    if (*i < std::numeric_limits<T>::min() || *i > std::numeric_limits<T>::max()) {
      return bad(path, "is out of range");
    }
    return capnp::DynamicValue::Reader(static_cast<T>(*i));
  } else {
    auto u = as_uint(v, path);
    if (!u) return std::unexpected(u.error());
    if (*u > std::numeric_limits<T>::max()) return bad(path, "is out of range");
    return capnp::DynamicValue::Reader(static_cast<T>(*u));
  }
}

Result<void> bind_value(const boost::json::value& v, capnp::Type type, const FieldTraits& t,
                        const std::string& path,
                        const std::function<void(capnp::DynamicValue::Reader)>& set,
                        const std::function<capnp::DynamicValue::Builder(unsigned)>& init);

Result<void> check_text(std::string_view s, const FieldTraits& t, const std::string& path) {
  if (t.required && s.empty()) return bad(path, "must not be empty");
  if (t.id) {
    if (std::string m = check_identifier(s); !m.empty()) return bad(path, m);
  }
  if (s.size() > kMaxText) return bad(path, "is longer than 65536 bytes");
  return {};
}

Result<void> bind_list(const boost::json::value& v, capnp::ListSchema schema, const FieldTraits& t,
                       const std::string& path, capnp::DynamicList::Builder list) {
  const auto& arr = v.as_array();
  const capnp::Type elem = schema.getElementType();
  FieldTraits et = t;
  et.required = true;  // list elements are never null
  for (unsigned i = 0; i < arr.size(); ++i) {
    const std::string p = path + "[" + std::to_string(i) + "]";
    auto r = bind_value(
        arr[i], elem, et, p, [&](capnp::DynamicValue::Reader x) { list.set(i, x); },
        [&](unsigned n) -> capnp::DynamicValue::Builder {
          if (elem.isStruct()) return list[i];
          return list.init(i, n);
        });
    if (!r) return r;
  }
  return {};
}

Result<void> bind_value(const boost::json::value& v, capnp::Type type, const FieldTraits& t,
                        const std::string& path,
                        const std::function<void(capnp::DynamicValue::Reader)>& set,
                        const std::function<capnp::DynamicValue::Builder(unsigned)>& init) {
  using W = capnp::schema::Type::Which;
  switch (type.which()) {
    case W::VOID:
      return {};
    case W::BOOL:
      if (!v.is_bool()) return bad(path, "must be true or false, not " + std::string(json_kind(v)));
      set(capnp::DynamicValue::Reader(v.as_bool()));
      return {};
    case W::INT8: {
      auto r = ranged_int<std::int8_t>(v, path);
      if (!r) return std::unexpected(r.error());
      set(*r);
      return {};
    }
    case W::INT16: {
      auto r = ranged_int<std::int16_t>(v, path);
      if (!r) return std::unexpected(r.error());
      set(*r);
      return {};
    }
    case W::INT32: {
      auto r = ranged_int<std::int32_t>(v, path);
      if (!r) return std::unexpected(r.error());
      set(*r);
      return {};
    }
    case W::UINT8: {
      auto r = ranged_int<std::uint8_t>(v, path);
      if (!r) return std::unexpected(r.error());
      set(*r);
      return {};
    }
    case W::UINT16: {
      auto r = ranged_int<std::uint16_t>(v, path);
      if (!r) return std::unexpected(r.error());
      set(*r);
      return {};
    }
    case W::UINT32: {
      auto r = ranged_int<std::uint32_t>(v, path);
      if (!r) return std::unexpected(r.error());
      set(*r);
      return {};
    }
    case W::UINT64: {
      auto r = as_uint(v, path);
      if (!r) return std::unexpected(r.error());
      set(capnp::DynamicValue::Reader(*r));
      return {};
    }
    case W::INT64: {
      if (t.timestamp) {
        if (!v.is_string()) return bad(path, "must be an RFC 3339 timestamp string");
        auto ts = parse_rfc3339(v.as_string());
        if (!ts) return fail(ts.error().code, ts.error().message, path);
        set(capnp::DynamicValue::Reader(static_cast<std::int64_t>(*ts)));
        return {};
      }
      auto r = t.decimal >= 0 ? as_decimal(v, t.decimal, path) : as_int(v, path);
      if (!r) return std::unexpected(r.error());
      set(capnp::DynamicValue::Reader(*r));
      return {};
    }
    case W::FLOAT32:
    case W::FLOAT64:
      if (!v.is_number()) return bad(path, "must be a number, not " + std::string(json_kind(v)));
      set(capnp::DynamicValue::Reader(v.to_number<double>()));
      return {};
    case W::TEXT: {
      if (t.json) {
        const std::string s = boost::json::serialize(v);
        if (s.size() > kMaxText) return bad(path, "is longer than 65536 bytes");
        set(capnp::DynamicValue::Reader(capnp::Text::Reader(s.c_str(), s.size())));
        return {};
      }
      if (!v.is_string()) return bad(path, "must be a string, not " + std::string(json_kind(v)));
      const auto& s = v.as_string();
      if (auto r = check_text(s, t, path); !r) return r;
      set(capnp::DynamicValue::Reader(capnp::Text::Reader(s.c_str(), s.size())));
      return {};
    }
    case W::DATA: {
      if (!v.is_string()) return bad(path, "must be a base64 string");
      auto raw = from_base64(v.as_string());
      if (!raw) return bad(path, "is not valid base64");
      set(capnp::DynamicValue::Reader(
          capnp::Data::Reader(reinterpret_cast<const kj::byte*>(raw->data()), raw->size())));
      return {};
    }
    case W::ENUM: {
      if (!v.is_string()) return bad(path, "must be a string, not " + std::string(json_kind(v)));
      const auto schema = type.asEnum();
      const auto& name = v.as_string();
      KJ_IF_MAYBE (e, schema.findEnumerantByName(kj::StringPtr(name.c_str(), name.size()))) {
        set(capnp::DynamicValue::Reader(capnp::DynamicEnum(*e)));
        return {};
      }
      std::string allowed;
      for (auto e : schema.getEnumerants()) {
        if (!allowed.empty()) allowed += ", ";
        allowed += e.getProto().getName().cStr();
      }
      return bad(path, "must be one of: " + allowed);
    }
    case W::STRUCT:
      if (!v.is_object()) return bad(path, "must be an object, not " + std::string(json_kind(v)));
      return bind_struct(v, init(0).as<capnp::DynamicStruct>(), path);
    case W::LIST: {
      if (!v.is_array()) return bad(path, "must be an array, not " + std::string(json_kind(v)));
      const auto& arr = v.as_array();
      if (t.required && arr.empty()) return bad(path, "must not be empty");
      if (arr.size() > 100000) return bad(path, "has more than 100000 elements");
      auto list = init(static_cast<unsigned>(arr.size())).as<capnp::DynamicList>();
      return bind_list(v, type.asList(), t, path, list);
    }
    case W::ANY_POINTER:
    case W::INTERFACE:
      return bad(path, "cannot be given as JSON");
  }
  return bad(path, "has an unsupported type");
}

std::string join(std::string_view path, std::string_view name) {
  std::string p(path);
  if (!p.empty()) p += '.';
  p += name;
  return p;
}

void write_value(capnp::DynamicValue::Reader v, const FieldTraits& t, JsonWriter& out);

void write_list(capnp::DynamicList::Reader list, const FieldTraits& t, JsonWriter& out) {
  out.begin_array();
  for (auto e : list) write_value(e, t, out);
  out.end_array();
}

void write_value(capnp::DynamicValue::Reader v, const FieldTraits& t, JsonWriter& out) {
  switch (v.getType()) {
    case capnp::DynamicValue::VOID:
      out.null();
      break;
    case capnp::DynamicValue::BOOL:
      out.boolean(v.as<bool>());
      break;
    case capnp::DynamicValue::INT:
      if (t.timestamp) {
        out.string(format_rfc3339(v.as<std::int64_t>()));
      } else if (t.decimal >= 0) {
        out.decimal(v.as<std::int64_t>(), static_cast<unsigned>(t.decimal));
      } else {
        out.int64(v.as<std::int64_t>());
      }
      break;
    case capnp::DynamicValue::UINT:
      out.uint64(v.as<std::uint64_t>());
      break;
    case capnp::DynamicValue::FLOAT:
      out.number(v.as<double>());
      break;
    case capnp::DynamicValue::TEXT: {
      auto s = v.as<capnp::Text>();
      if (t.json) {
        out.raw({s.cStr(), s.size()});
      } else {
        out.string({s.cStr(), s.size()});
      }
      break;
    }
    case capnp::DynamicValue::DATA: {
      auto d = v.as<capnp::Data>();
      out.string(to_base64({d.begin(), d.size()}));
      break;
    }
    case capnp::DynamicValue::LIST:
      write_list(v.as<capnp::DynamicList>(), t, out);
      break;
    case capnp::DynamicValue::ENUM: {
      auto e = v.as<capnp::DynamicEnum>();
      KJ_IF_MAYBE (en, e.getEnumerant()) {
        out.string(en->getProto().getName().cStr());
      } else {
        out.uint64(e.getRaw());
      }
      break;
    }
    case capnp::DynamicValue::STRUCT:
      write_struct(v.as<capnp::DynamicStruct>(), out);
      break;
    default:
      out.null();
      break;
  }
}

}  // namespace

Result<void> bind_struct(const boost::json::value& json, capnp::DynamicStruct::Builder out,
                         std::string_view path, BindMode mode) {
  const std::string base(path);
  if (!json.is_object()) {
    return bad(base, "must be an object, not " + std::string(json_kind(json)));
  }
  const auto& obj = json.as_object();
  const capnp::StructSchema schema = out.getSchema();

  // Every member must name a field.
  for (const auto& member : obj) {
    const std::string_view name = member.key();
    if (schema.findFieldByName(kj::StringPtr(member.key_c_str(), name.size())) == nullptr) {
      return bad(join(base, name), "is not a field of " + base + " (unknown field)");
    }
  }

  const char* union_member = nullptr;
  for (const auto field : schema.getFields()) {
    const auto proto = field.getProto();
    const std::string_view name(proto.getName().cStr(), proto.getName().size());
    const FieldTraits t = traits_of(field);
    const std::string p = join(base, name);
    const auto* v = obj.if_contains(name);
    if (v == nullptr || v->is_null()) {
      if (t.required && mode == BindMode::kCreate) return bad(p, "is required");
      continue;
    }
    if (proto.getDiscriminantValue() != capnp::schema::Field::NO_DISCRIMINANT) {
      if (union_member != nullptr) {
        return bad(p, "cannot be given together with " + join(base, union_member));
      }
      union_member = proto.getName().cStr();
    }
    if (proto.isGroup()) {
      if (!v->is_object()) return bad(p, "must be an object");
      auto r = bind_struct(*v, out.init(field).as<capnp::DynamicStruct>(), p, mode);
      if (!r) return r;
      continue;
    }
    auto r = bind_value(
        *v, field.getType(), t, p, [&](capnp::DynamicValue::Reader x) { out.set(field, x); },
        [&](unsigned n) -> capnp::DynamicValue::Builder {
          if (field.getType().isStruct()) return out.init(field);
          return out.init(field, n);
        });
    if (!r) return r;
  }
  return {};
}

namespace {

Result<void> check_value(capnp::DynamicValue::Reader v, const FieldTraits& t,
                         const std::string& path);

// Words or pointers beyond what the schema declares carry fields it does not know.
Result<void> check_known_fields(capnp::DynamicStruct::Reader in, const std::string& path) {
  const auto any = in.as<capnp::AnyStruct>();
  const auto shape = in.getSchema().getProto().getStruct();
  const auto data = any.getDataSection();
  for (std::size_t i = std::size_t{shape.getDataWordCount()} * 8; i < data.size(); ++i) {
    if (data[i] != 0) return bad(path, "has data in a field this schema does not know");
  }
  const auto pointers = any.getPointerSection();
  for (unsigned i = shape.getPointerCount(); i < pointers.size(); ++i) {
    if (!pointers[i].isNull()) return bad(path, "has a pointer field this schema does not know");
  }
  return {};
}

Result<void> check_value(capnp::DynamicValue::Reader v, const FieldTraits& t,
                         const std::string& path) {
  switch (v.getType()) {
    case capnp::DynamicValue::FLOAT:
      if (!std::isfinite(v.as<double>())) return bad(path, "must be a finite number");
      return {};
    case capnp::DynamicValue::TEXT: {
      auto text = v.as<capnp::Text>();
      const std::string_view s(text.cStr(), text.size());
      if (t.json) {
        boost::system::error_code ec;
        boost::json::parse(s, ec);
        if (ec) return bad(path, "must hold valid JSON");
        if (s.size() > kMaxText) return bad(path, "is longer than 65536 bytes");
        return {};
      }
      return check_text(s, t, path);
    }
    case capnp::DynamicValue::ENUM: {
      auto e = v.as<capnp::DynamicEnum>();
      if (e.getEnumerant() == nullptr) return bad(path, "is not a value of its enum");
      return {};
    }
    case capnp::DynamicValue::LIST: {
      auto list = v.as<capnp::DynamicList>();
      if (t.required && list.size() == 0) return bad(path, "must not be empty");
      if (list.size() > 100000) return bad(path, "has more than 100000 elements");
      FieldTraits et = t;
      et.required = true;
      for (unsigned i = 0; i < list.size(); ++i) {
        if (auto r = check_value(list[i], et, path + "[" + std::to_string(i) + "]"); !r) return r;
      }
      return {};
    }
    case capnp::DynamicValue::STRUCT:
      return check_struct(v.as<capnp::DynamicStruct>(), path);
    default:
      return {};
  }
}

// False for a union member other than the active one (and for every member of a union with
// no known member active).
bool present(capnp::DynamicStruct::Reader in, capnp::StructSchema::Field field) {
  if (field.getProto().getDiscriminantValue() == capnp::schema::Field::NO_DISCRIMINANT) {
    return true;
  }
  KJ_IF_MAYBE (active, in.which()) {
    return *active == field;
  }
  return false;
}

// A text, data, list or struct field (not a group) that was never set.
bool unset_pointer(capnp::DynamicStruct::Reader in, capnp::StructSchema::Field field) {
  const capnp::Type type = field.getType();
  const bool pointer = type.isText() || type.isData() || type.isList() || type.isStruct();
  return pointer && !field.getProto().isGroup() && !in.has(field);
}

}  // namespace

Result<void> check_struct(capnp::DynamicStruct::Reader in, std::string_view path) {
  const std::string base(path);
  if (auto r = check_known_fields(in, base); !r) return r;
  for (const auto field : in.getSchema().getFields()) {
    if (!present(in, field)) continue;
    const auto proto = field.getProto();
    const FieldTraits t = traits_of(field);
    const std::string p = join(base, proto.getName().cStr());
    if (unset_pointer(in, field)) {
      if (t.required) return bad(p, "is required");
      continue;
    }
    if (auto r = check_value(in.get(field), t, p); !r) return r;
  }
  return {};
}

Result<std::string> bind_canonical(const boost::json::value& json, capnp::StructSchema schema,
                                   std::string_view path) {
  // The first segment is this thread's, zeroed and reused: a command's data nearly always fits
  // it, and a fresh one would cost an allocation of 2 KiB per command. The builder zeroes what
  // it used when it goes; nothing on this path builds a second message while one is open.
  thread_local capnp::word first_segment[256];  // zeroed, as every thread_local starts
  capnp::MallocMessageBuilder msg(kj::arrayPtr(first_segment, 256));
  auto root = msg.initRoot<capnp::DynamicStruct>(schema);
  if (auto r = bind_struct(json, root, path); !r) return std::unexpected(r.error());
  return canonical_bytes(msg.getRoot<capnp::AnyStruct>().asReader());
}

void write_struct(capnp::DynamicStruct::Reader in, JsonWriter& out) {
  out.begin_object();
  const capnp::StructSchema schema = in.getSchema();
  for (const auto field : schema.getFields()) {
    if (!present(in, field) || unset_pointer(in, field)) continue;
    const auto proto = field.getProto();
    const FieldTraits t = traits_of(field);
    auto v = in.get(field);
    if (t.timestamp && v.getType() == capnp::DynamicValue::INT && v.as<std::int64_t>() == 0) {
      continue;
    }
    out.key(proto.getName().cStr());
    write_value(v, t, out);
  }
  out.end_object();
}

void write_field(capnp::DynamicStruct::Reader in, capnp::StructSchema::Field field,
                 JsonWriter& out) {
  const capnp::Type type = field.getType();
  if ((type.isText() || type.isData() || type.isList() || type.isStruct()) &&
      !field.getProto().isGroup() && !in.has(field)) {
    out.null();
    return;
  }
  write_value(in.get(field), traits_of(field), out);
}

Result<void> write_canonical(std::string_view bytes, capnp::StructSchema schema, JsonWriter& out) {
  try {
    MessageView view(bytes);
    write_struct(view.reader().getRoot<capnp::DynamicStruct>(schema), out);
    return {};
  } catch (const kj::Exception& e) {
    return std::unexpected(
        Error::corruption(std::string("payload does not parse: ") + e.getDescription().cStr()));
  }
}

}  // namespace custody::codec
