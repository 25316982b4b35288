#include "outbox_config.h"

#include <boost/json.hpp>

namespace custody::outbox {
namespace {

namespace json = boost::json;

constexpr const char* kOwner = "the outbox";

using sdk::Form;
using sdk::Need;
using sdk::SettingsReader;

// RFC 9110 token characters, for header names.
bool token(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (unsigned char c : s) {
    const bool ok =
        std::isalnum(c) != 0 ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Headers the outbox sets itself, which configuration may not replace.
bool reserved(std::string_view name) {
  const std::string n = lower(name);
  return n == "host" || n == "content-length" || n == "content-type" || n == "connection" ||
         n == "transfer-encoding" || n == "idempotency-key" || n.starts_with("custody-");
}

// "lot.shipped" or "lot.*": lower-case letters, digits, _ and dots.
bool type_pattern(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  if (s.ends_with(".*")) s.remove_suffix(2);
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (unsigned char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

bool OutboxConfig::wants(std::string_view type) const {
  if (types.empty() && prefixes.empty()) return true;
  for (const std::string& t : types) {
    if (t == type) return true;
  }
  for (const std::string& p : prefixes) {
    if (type.starts_with(p)) return true;
  }
  return false;
}

std::expected<OutboxConfig, ConfigError> parse_outbox_config(std::string_view text) {
  auto root = sdk::parse_settings(text);
  if (!root) return std::unexpected(*root.error);
  const json::object& object = root.object;
  SettingsReader r(object, "", kOwner);
  r.only({"url", "types", "format", "headers", "secretFile", "caFile", "timeoutMs",
          "retryInitialMs", "retryMaxMs", "alertAfterMs"});
  OutboxConfig c;
  c.url_text = r.text("url", Need::kRequired, Form::kText);
  if (!r.error()) {
    if (auto p = parse_url(c.url_text, c.url); !p.empty())
      r.fail("url", p + ", not \"" + c.url_text + "\"");
  }
  const std::string format = r.text("format", Need::kOptional, Form::kText, "custody");
  if (!r.error()) {
    if (format == "epcis") {
      c.epcis = true;
    } else if (format != "custody") {
      r.fail("format", "must be \"custody\" or \"epcis\", not \"" + format + "\"");
    }
  }
  if (const json::array* types = r.array("types", Need::kOptional)) {
    if (types->empty() || types->size() > 200) r.fail("types", "must list 1 to 200 record types");
    for (std::size_t i = 0; i < types->size() && !r.error(); ++i) {
      const json::string* t = (*types)[i].if_string();
      const std::string key = "types[" + std::to_string(i) + "]";
      if (t == nullptr || !type_pattern(std::string_view(t->data(), t->size()))) {
        r.fail(key, "must be a record type (\"lot.shipped\") or a family (\"lot.*\")");
        break;
      }
      const std::string s(t->data(), t->size());
      if (s.ends_with(".*")) {
        c.prefixes.push_back(s.substr(0, s.size() - 1));
      } else {
        c.types.push_back(s);
      }
    }
  }
  if (const json::value* h = object.if_contains("headers"); h != nullptr && !r.error()) {
    if (!h->is_object() || h->as_object().size() > 20) {
      r.fail("headers", "must be an object of at most 20 header names and their values");
    } else {
      for (const auto& member : h->as_object()) {
        const std::string name(member.key());
        const std::string key = "headers." + name;
        if (!token(name)) {
          r.fail(key, "is not a header name");
          break;
        }
        if (reserved(name)) {
          r.fail(key, "is set by the outbox itself");
          break;
        }
        const json::string* v = member.value().if_string();
        bool clean = v != nullptr && v->size() <= 1024;
        if (clean) {
          for (unsigned char ch : *v) clean = clean && ch >= 0x20 && ch != 0x7f;
        }
        if (!clean) {
          r.fail(key, "must be a text of at most 1024 bytes without control characters");
          break;
        }
        c.headers.emplace_back(name, std::string(v->data(), v->size()));
      }
    }
  }
  c.secret_file = r.text("secretFile", Need::kOptional, Form::kText);
  c.ca_file = r.text("caFile", Need::kOptional, Form::kText);
  if (!r.error() && !c.ca_file.empty() && !c.url.secure)
    r.fail("caFile", "is for an https:// url only");
  c.timeout = std::chrono::milliseconds(r.integer("timeoutMs", 100, 5000, 5000));
  c.retry_initial = std::chrono::milliseconds(r.integer("retryInitialMs", 10, 60'000, 500));
  c.retry_max = std::chrono::milliseconds(r.integer("retryMaxMs", 100, 3'600'000, 60'000));
  if (!r.error() && c.retry_max < c.retry_initial) {
    r.fail("retryMaxMs", "must not be below retryInitialMs");
  }
  c.alert_after = std::chrono::milliseconds(r.integer("alertAfterMs", 0, 86'400'000, 300'000));
  if (r.error()) return std::unexpected(*r.error());
  return c;
}

}  // namespace custody::outbox
