// JSON <-> Cap'n Proto, driven by the schema and its annotations (schema/annotations.capnp).
//
// Binding JSON to a struct checks shape: every JSON member must name a field (typos are
// rejected, not ignored), `$required` fields must be present (Text and List non-empty),
// values must have the field's type and range, `$id` Text must be a valid identifier,
// `$decimal(n)` numbers may have at most n decimal places, `$timestamp` values must be
// RFC 3339, enums must name an enumerant, and at most one member of a union may be given.
// A `$json` Text field takes any JSON value and keeps it serialised. Errors are kInvalidArgument
// with the JSON path of the field ("data.steps[1].name").
//
// Writing is the inverse: pointer fields that are unset and zero timestamps are left out,
// decimals print exactly, enums print by name, Data as base64.
#pragma once

#include <capnp/dynamic.h>

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "custody/codec/identifier.h"
#include "custody/codec/json_writer.h"
#include "custody/common/error.h"

namespace custody::codec {

enum class BindMode {
  kCreate,  // a whole value: $required fields must be present
  kPatch,   // changes to an existing value: only the fields given are set
};

// Binds `json` (must be an object) into `out`. `path` names `json` in error fields.
[[nodiscard]] Result<void> bind_struct(const boost::json::value& json,
                                       capnp::DynamicStruct::Builder out, std::string_view path,
                                       BindMode mode = BindMode::kCreate);

// Binds `json` into a new message of `schema` and returns its canonical bytes.
[[nodiscard]] Result<std::string> bind_canonical(const boost::json::value& json,
                                                 capnp::StructSchema schema, std::string_view path);

// Checks a struct that arrived as Cap'n Proto rather than JSON (a plugin's command) by the
// same rules binding applies: `$required` Text and List non-empty, `$id` Text valid, Text at
// most 64 KiB, `$json` Text valid JSON, enums naming an enumerant, floats finite, and no
// data in fields this schema does not know (a newer schema's field is an unknown field).
// kInvalidArgument with the path of the first offending field.
[[nodiscard]] Result<void> check_struct(capnp::DynamicStruct::Reader in, std::string_view path);

// Writes a struct as a JSON object.
void write_struct(capnp::DynamicStruct::Reader in, JsonWriter& out);

// Writes one field's value (null when an unset pointer field).
void write_field(capnp::DynamicStruct::Reader in, capnp::StructSchema::Field field,
                 JsonWriter& out);

// Writes canonical bytes of `schema` as a JSON object; kCorruption if they do not parse.
[[nodiscard]] Result<void> write_canonical(std::string_view bytes, capnp::StructSchema schema,
                                           JsonWriter& out);

}  // namespace custody::codec
