// A small streaming JSON writer for custody's output (NDJSON lines, reports, API bodies).
// It exists because quantities must print exactly (12.5, not 1.25E1) and output should not
// build a DOM first. Commas and nesting are tracked; callers write keys and values in order.
//
// A value type; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace custody::codec {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  JsonWriter& string(std::string_view s);
  JsonWriter& int64(std::int64_t v);
  JsonWriter& uint64(std::uint64_t v);
  // A fixed-point decimal: `scaled` / 10^places, printed without trailing zeros.
  JsonWriter& decimal(std::int64_t scaled, unsigned places);
  JsonWriter& number(double v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // Already-serialised JSON.
  JsonWriter& raw(std::string_view json);

  // key(k) followed by a value.
  template <typename F>
  JsonWriter& field(std::string_view k, F&& write_value) {
    key(k);
    write_value(*this);
    return *this;
  }

 private:
  void before_value();
  std::string& out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `s` to `out` as a quoted JSON string: control characters escaped, well-formed
// UTF-8 copied, and every byte that is not part of a well-formed sequence written as U+FFFD,
// so the document is valid JSON whatever bytes `s` holds.
void append_json_string(std::string& out, std::string_view s);

// `scaled` / 10^places as a decimal string: "12.5", "-0.001", "3".
[[nodiscard]] std::string format_decimal(std::int64_t scaled, unsigned places);

}  // namespace custody::codec
