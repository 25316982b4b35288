#include "report_support.h"

#include <charconv>

namespace custody::reports {
namespace {

const boost::json::object kEmptyObject;
const boost::json::array kEmptyArray;

}  // namespace

boost::json::value fetch_json(const Fetch& fetch, const boost::json::object& request) {
  const std::string answer = fetch(boost::json::serialize(request));
  boost::system::error_code ec;
  auto v = boost::json::parse(answer, ec);
  if (ec) throw ReportError("internal", "the host answered a view with invalid JSON");
  return v;
}

std::vector<boost::json::object> fetch_lines(const Fetch& fetch,
                                             const boost::json::object& request) {
  const std::string answer = fetch(boost::json::serialize(request));
  std::vector<boost::json::object> out;
  std::size_t at = 0;
  while (at < answer.size()) {
    std::size_t end = answer.find('\n', at);
    if (end == std::string::npos) end = answer.size();
    if (end > at) {
      boost::system::error_code ec;
      auto v = boost::json::parse(std::string_view(answer).substr(at, end - at), ec);
      if (ec || !v.is_object()) {
        throw ReportError("internal", "the host answered a log view with invalid JSON");
      }
      out.push_back(std::move(v.as_object()));
    }
    at = end + 1;
  }
  return out;
}

std::string text(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->as_string());
  return boost::json::serialize(*v);
}

std::string number(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_double()) return shortest(v->as_double());
  return v->is_string() ? std::string(v->as_string()) : boost::json::serialize(*v);
}

std::string shortest(double d) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

double number_value(const boost::json::object& o, std::string_view key, double fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_number()) return fallback;
  return v->to_number<double>();
}

bool flag(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

const boost::json::object& object(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? v->as_object() : kEmptyObject;
}

const boost::json::array& array(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : kEmptyArray;
}

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string csv(std::string_view s) {
  // Never a formula: text a spreadsheet would evaluate gets a leading apostrophe (numbers
  // such as -1.5 stay numbers).
  std::string text;
  const bool number = s.find_first_not_of("+-0123456789.") == std::string_view::npos &&
                      s.find_first_of("0123456789") != std::string_view::npos;
  if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos &&
      !number) {
    text = "'";
  }
  text += s;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string when(std::string_view t) {
  if (t.size() < 19 || t[10] != 'T') return std::string(t);
  // A time its sender wrote with an offset is shown in it, with it: "... 07:00:00 UTC+01:00".
  const std::string_view tail = t.size() >= 25 ? t.substr(t.size() - 6) : std::string_view{};
  const bool offset = !tail.empty() && (tail[0] == '+' || tail[0] == '-') && tail[3] == ':';
  return std::string(t.substr(0, 10)) + " " + std::string(t.substr(11, 8)) + " UTC" +
         (offset ? std::string(tail) : std::string());
}

}  // namespace custody::reports
