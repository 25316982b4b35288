#include "custody/codec/json_parse.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <string>
#include <vector>

namespace custody::codec {
namespace {

namespace json = boost::json;

// A SAX handler that only watches object keys: a stack of the keys seen in each open object.
class DuplicateKeys {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::string duplicate;  // the first repeated key

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    objects_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    objects_.pop_back();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_.append(s.data(), s.size());
    auto& keys = objects_.back();
    for (const auto& k : keys) {
      if (k == key_) {
        duplicate = key_;
        ec = json::error::syntax;  // stops the parse; `duplicate` says why
        return false;
      }
    }
    keys.push_back(std::move(key_));
    key_.clear();
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::vector<std::vector<std::string>> objects_;
  std::string key_;
};

}  // namespace

Result<json::value> parse_json(std::string_view text, std::string_view field,
                               std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    return fail(ErrorCode::kOutOfRange, "is larger than " + std::to_string(max_bytes) + " bytes",
                std::string(field));
  }
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec)
    return fail(ErrorCode::kInvalidArgument, "malformed JSON: " + ec.message(), std::string(field));
  json::basic_parser<DuplicateKeys> keys{json::parse_options()};
  keys.write_some(false, text.data(), text.size(), ec);
  if (!keys.handler().duplicate.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "has the key \"" + keys.handler().duplicate +
                    "\" twice in one object; each key may appear once",
                std::string(field));
  }
  return v;
}

}  // namespace custody::codec
