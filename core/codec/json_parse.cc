#include "custody/codec/json_parse.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <string>
#include <vector>

namespace custody::codec {
namespace {

namespace json = boost::json;

// The SAX handler of one pass over the text: it builds the value as Boost.JSON's own parser
// does (a value_stack), and watches the keys of every open object, one after another in one
// buffer, with where each open object's keys begin.
class Building {
 public:
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  Building(json::storage_ptr storage, unsigned char* scratch, std::size_t size)
      : st(json::storage_ptr(), scratch, size) {
    st.reset(std::move(storage));
  }

  json::value_stack st;
  std::string duplicate;  // the first repeated key

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code&) {
    objects_.push_back(keys_.size());
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys_.resize(objects_.back());
    text_.resize(keys_.empty() ? 0 : keys_.back().end);
    objects_.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    text_.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    const std::size_t begin = keys_.empty() ? 0 : keys_.back().end;
    text_.append(s.data(), s.size());
    const std::string_view key = std::string_view(text_).substr(begin);
    for (std::size_t k = objects_.back(); k < keys_.size(); ++k) {
      if (std::string_view(text_).substr(keys_[k].begin, keys_[k].end - keys_[k].begin) == key) {
        duplicate = std::string(key);
        ec = json::error::syntax;  // stops the parse; `duplicate` says why
        return false;
      }
    }
    keys_.push_back({begin, text_.size()});
    st.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Key {
    std::size_t begin, end;  // in text_
  };
  std::string text_;                  // the keys of the open objects, end to end
  std::vector<Key> keys_;             // each of them
  std::vector<std::size_t> objects_;  // per open object, where its keys begin in keys_
};

}  // namespace

Result<json::value> parse_json(std::string_view text, std::string_view field, std::size_t max_bytes,
                               json::storage_ptr storage) {
  if (text.size() > max_bytes) {
    return fail(ErrorCode::kOutOfRange, "is larger than " + std::to_string(max_bytes) + " bytes",
                std::string(field));
  }
  // One pass builds the value and refuses a repeated key (Boost.JSON's own parser would keep
  // the last of them).
  unsigned char scratch[BOOST_JSON_STACK_BUFFER_SIZE];
  json::basic_parser<Building> p(json::parse_options(), std::move(storage), scratch,
                                 sizeof scratch);
  json::error_code ec;
  const std::size_t used = p.write_some(false, text.data(), text.size(), ec);
  if (!p.handler().duplicate.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "has the key \"" + p.handler().duplicate +
                    "\" twice in one object; each key may appear once",
                std::string(field));
  }
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec)
    return fail(ErrorCode::kInvalidArgument, "malformed JSON: " + ec.message(), std::string(field));
  json::value v = p.handler().st.release();
  return v;
}

}  // namespace custody::codec
