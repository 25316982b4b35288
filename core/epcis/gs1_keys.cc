#include "custody/epcis/gs1_keys.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

namespace custody::epcis {
namespace {

// 'text', built by appending: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(std::string_view text) {
  std::string out(1, '\'');
  out += text;
  out += '\'';
  return out;
}

constexpr std::string_view kDigitalLinkRoot = "https://id.gs1.org/";
constexpr std::string_view kIdPrefix = "urn:epc:id:";
constexpr std::string_view kClassPrefix = "urn:epc:class:";
constexpr std::string_view kPatternPrefix = "urn:epc:idpat:";

constexpr std::array<std::string_view, 15> kIdSchemes = {"sgtin", "sscc",  "sgln", "grai", "giai",
                                                         "gsrn",  "gsrnp", "gdti", "cpi",  "sgcn",
                                                         "ginc",  "gsin",  "itip", "upui", "pgln"};
constexpr std::array<std::string_view, 7> kPatternSchemes = {"sgtin", "upui", "grai", "gdti",
                                                             "sgcn",  "cpi",  "itip"};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_digit);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The 82 characters GS1 application identifiers may hold (GS1 General Specifications 7.11,
// figure 7.11-1).
bool is_ai_character(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("!\"%&'()*+,-./:;<=>?_").find(c) != std::string_view::npos;
}

// A URN-escaped component (TDS 2.x section 6.3.1 / GS1 Digital Link 1.2 table 7-1) rewritten
// for a Digital Link path segment: escapes kept with upper-case hex, and the characters that
// a URN may hold raw but a Digital Link segment must not (! ( ) * + , :) escaped. nullopt when
// a character or an escape is not allowed, or the decoded length is outside [min, max].
std::optional<std::string> escaped_component(std::string_view s, std::size_t min, std::size_t max) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  std::size_t length = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0 || !is_ai_character(static_cast<char>(hi * 16 + lo))) {
        return std::nullopt;
      }
      out += '%';
      out += kHex[static_cast<std::size_t>(hi)];
      out += kHex[static_cast<std::size_t>(lo)];
      i += 2;
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               std::string_view("'-.;=_").find(c) != std::string_view::npos) {
      out += c;
    } else if (std::string_view("!()*+,:").find(c) != std::string_view::npos) {
      out += '%';
      out += kHex[static_cast<unsigned char>(c) >> 4];
      out += kHex[static_cast<unsigned char>(c) & 0xf];
    } else {
      return std::nullopt;
    }
    ++length;
  }
  if (length < min || length > max) return std::nullopt;
  return out;
}

// The component parts of an EPC URI body: the first `n - 1` dot-separated parts and then
// the rest, which may hold dots (serials may). nullopt when there are fewer dots.
std::optional<std::vector<std::string_view>> split_parts(std::string_view body, std::size_t n) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < n) {
    const std::size_t dot = body.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    parts.push_back(body.substr(0, dot));
    body.remove_prefix(dot + 1);
  }
  parts.push_back(body);
  return parts;
}

bool is_company_prefix(std::string_view cp) {
  return cp.size() >= 6 && cp.size() <= 12 && all_digits(cp);
}

// CP and a reference of digits making `total` digits together (the reference may be empty
// when the company prefix takes all of them).
bool key_digits(std::string_view cp, std::string_view ref, std::size_t total) {
  return is_company_prefix(cp) && all_digits(ref) && cp.size() + ref.size() == total;
}

std::string with_check_digit(std::string digits) {
  digits += gs1_check_digit(digits);
  return digits;
}

// A GTIN-14 or SSCC: CP and a reference whose first digit (the indicator or extension digit)
// moves to the front, then the check digit.
std::string leading_digit_key(std::string_view cp, std::string_view ref) {
  std::string digits(ref.substr(0, 1));
  digits += cp;
  digits += ref.substr(1);
  return with_check_digit(std::move(digits));
}

// A component/part reference: digits, upper-case letters, '-', and '#' and '/' escaped as
// %23 and %2F (TDS 2.x section 6.3.12, GS1 AI character set 39). The escapes are kept, with
// upper-case hex; nullopt for anything else or a decoded length outside [1, max].
std::optional<std::string> cpi_reference(std::string_view ref, std::size_t max) {
  std::string out;
  std::size_t length = 0;
  for (std::size_t i = 0; i < ref.size(); ++i, ++length) {
    const char c = ref[i];
    if (c == '%') {
      const std::string_view escape = ref.substr(i + 1, 2);
      if (escape == "23") {
        out += "%23";
      } else if (escape == "2F" || escape == "2f") {
        out += "%2F";
      } else {
        return std::nullopt;
      }
      i += 2;
    } else if (is_digit(c) || (c >= 'A' && c <= 'Z') || c == '-') {
      out += c;
    } else {
      return std::nullopt;
    }
  }
  if (length < 1 || length > max) return std::nullopt;
  return out;
}

std::string link(std::string_view ai, std::string_view value) {
  std::string out(kDigitalLinkRoot);
  out += ai;
  out += '/';
  out += value;
  return out;
}

std::string link(std::string_view ai, std::string_view value, std::string_view qualifier_ai,
                 std::string_view qualifier) {
  std::string out = link(ai, value);
  out += '/';
  out += qualifier_ai;
  out += '/';
  out += qualifier;
  return out;
}

// urn:epc:id:<scheme>:<body>. nullopt when the body does not fit the scheme.
std::optional<std::string> id_to_link(std::string_view scheme, std::string_view body) {
  using Parts = std::vector<std::string_view>;
  const auto parts = [&](std::size_t n) {
    return split_parts(body, n).value_or(Parts{});
  };
  if (scheme == "sgtin" || scheme == "upui") {
    const Parts p = parts(3);
    if (p.size() != 3 || !key_digits(p[0], p[1], 13)) return std::nullopt;
    const auto serial = escaped_component(p[2], 1, scheme == "sgtin" ? 20 : 28);
    if (!serial) return std::nullopt;
    return link("01", leading_digit_key(p[0], p[1]), scheme == "sgtin" ? "21" : "235", *serial);
  }
  if (scheme == "sscc") {
    const Parts p = parts(2);
    if (p.size() != 2 || !key_digits(p[0], p[1], 17)) return std::nullopt;
    return link("00", leading_digit_key(p[0], p[1]));
  }
  if (scheme == "sgln") {
    const Parts p = parts(3);
    if (p.size() != 3 || !key_digits(p[0], p[1], 12)) return std::nullopt;
    const std::string gln = with_check_digit(std::string(p[0]) + std::string(p[1]));
    // Extension "0" means "no extension" (TDS 2.x section 6.3.3).
    if (p[2] == "0") return link("414", gln);
    const auto extension = escaped_component(p[2], 1, 20);
    if (!extension) return std::nullopt;
    return link("414", gln, "254", *extension);
  }
  if (scheme == "grai" || scheme == "gdti") {
    const Parts p = parts(3);
    if (p.size() != 3 || !key_digits(p[0], p[1], 12)) return std::nullopt;
    const auto serial = escaped_component(p[2], 1, scheme == "grai" ? 16 : 17);
    if (!serial) return std::nullopt;
    // A GRAI is 14 digits with a leading zero (GS1 General Specifications 3.9.3).
    const std::string key =
        with_check_digit((scheme == "grai" ? "0" : "") + std::string(p[0]) + std::string(p[1]));
    return link(scheme == "grai" ? "8003" : "253", key + *serial);
  }
  if (scheme == "sgcn") {
    const Parts p = parts(3);
    if (p.size() != 3 || !key_digits(p[0], p[1], 12) || p[2].empty() || p[2].size() > 12 ||
        !all_digits(p[2])) {
      return std::nullopt;
    }
    return link("255", with_check_digit(std::string(p[0]) + std::string(p[1])) + std::string(p[2]));
  }
  if (scheme == "giai" || scheme == "ginc") {
    const Parts p = parts(2);
    if (p.size() != 2 || !is_company_prefix(p[0]) || p[1].empty()) return std::nullopt;
    const auto ref = escaped_component(p[1], 1, 30 - p[0].size());
    if (!ref) return std::nullopt;
    return link(scheme == "giai" ? "8004" : "401", std::string(p[0]) + *ref);
  }
  if (scheme == "gsrn" || scheme == "gsrnp" || scheme == "gsin" || scheme == "pgln") {
    const Parts p = parts(2);
    const std::size_t digits = scheme == "gsin" ? 16 : scheme == "pgln" ? 12 : 17;
    if (p.size() != 2 || !key_digits(p[0], p[1], digits)) return std::nullopt;
    const std::string_view ai = scheme == "gsrn"    ? "8018"
                                : scheme == "gsrnp" ? "8017"
                                : scheme == "gsin"  ? "402"
                                                    : "417";
    return link(ai, with_check_digit(std::string(p[0]) + std::string(p[1])));
  }
  if (scheme == "cpi") {
    const Parts p = parts(2);
    const std::size_t last_dot = p.size() == 2 ? p[1].rfind('.') : std::string_view::npos;
    if (last_dot == std::string_view::npos || !is_company_prefix(p[0])) return std::nullopt;
    const std::string_view ref = p[1].substr(0, last_dot);
    const std::string_view serial = p[1].substr(last_dot + 1);
    const auto escaped_ref = cpi_reference(ref, 30 - p[0].size());
    if (!escaped_ref || serial.empty() || serial.size() > 12 || !all_digits(serial)) {
      return std::nullopt;
    }
    return link("8010", std::string(p[0]) + *escaped_ref, "8011", serial);
  }
  if (scheme == "itip") {
    const Parts p = parts(5);
    if (p.size() != 5 || !key_digits(p[0], p[1], 13) || p[2].size() != 2 || !all_digits(p[2]) ||
        p[3].size() != 2 || !all_digits(p[3])) {
      return std::nullopt;
    }
    const auto serial = escaped_component(p[4], 1, 20);
    if (!serial) return std::nullopt;
    return link("8006", leading_digit_key(p[0], p[1]) + std::string(p[2]) + std::string(p[3]), "21",
                *serial);
  }
  return std::nullopt;
}

// urn:epc:idpat:<scheme>:<body>, where only the last component is "*".
std::optional<std::string> pattern_to_link(std::string_view scheme, std::string_view body) {
  if (!body.ends_with(".*")) return std::nullopt;
  const std::string_view key = body.substr(0, body.size() - 2);
  if (key.find('*') != std::string_view::npos) return std::nullopt;
  const auto p = split_parts(key, scheme == "itip" ? 4 : 2);
  if (!p) return std::nullopt;
  const auto& parts = *p;
  if (scheme == "sgtin" || scheme == "upui") {
    if (!key_digits(parts[0], parts[1], 13)) return std::nullopt;
    return link("01", leading_digit_key(parts[0], parts[1]));
  }
  if (scheme == "grai" || scheme == "gdti" || scheme == "sgcn") {
    if (!key_digits(parts[0], parts[1], 12)) return std::nullopt;
    const std::string digits = std::string(parts[0]) + std::string(parts[1]);
    if (scheme == "grai") return link("8003", with_check_digit("0" + digits));
    return link(scheme == "gdti" ? "253" : "255", with_check_digit(digits));
  }
  if (scheme == "cpi") {
    const auto ref = cpi_reference(parts[1], 30 - parts[0].size());
    if (!is_company_prefix(parts[0]) || !ref) return std::nullopt;
    return link("8010", std::string(parts[0]) + *ref);
  }
  if (scheme == "itip") {
    if (!key_digits(parts[0], parts[1], 13) || parts[2].size() != 2 || !all_digits(parts[2]) ||
        parts[3].size() != 2 || !all_digits(parts[3])) {
      return std::nullopt;
    }
    return link("8006", leading_digit_key(parts[0], parts[1]) + std::string(parts[2]) +
                            std::string(parts[3]));
  }
  return std::nullopt;
}

// Primary keys and key qualifiers a Digital Link path may name, by AI or short name.
struct LinkKey {
  std::string_view ai;
  std::string_view short_name;
};
constexpr std::array<LinkKey, 14> kPrimaryKeys = {{{"01", "gtin"},
                                                   {"8006", "itip"},
                                                   {"8010", "cpid"},
                                                   {"414", "gln"},
                                                   {"417", "party"},
                                                   {"8017", "gsrnp"},
                                                   {"8018", "gsrn"},
                                                   {"255", "gcn"},
                                                   {"00", "sscc"},
                                                   {"253", "gdti"},
                                                   {"401", "ginc"},
                                                   {"402", "gsin"},
                                                   {"8003", "grai"},
                                                   {"8004", "giai"}}};
constexpr std::array<LinkKey, 6> kQualifiers = {
    {{"22", "cpv"}, {"10", "lot"}, {"21", "ser"}, {"235", ""}, {"254", ""}, {"8011", ""}}};

template <std::size_t N>
std::optional<std::string_view> ai_of(const std::array<LinkKey, N>& keys, std::string_view s) {
  for (const LinkKey& k : keys) {
    if (s == k.ai || (!k.short_name.empty() && s == k.short_name)) return k.ai;
  }
  return std::nullopt;
}

bool qualifies(std::string_view key, std::string_view qualifier) {
  if (key == "01") {
    return qualifier == "22" || qualifier == "10" || qualifier == "21" || qualifier == "235";
  }
  if (key == "8006") return qualifier == "22" || qualifier == "10" || qualifier == "21";
  if (key == "414") return qualifier == "254";
  if (key == "8010") return qualifier == "8011";
  return false;
}

// The length of a path segment's value counting an escape as one character; nullopt for a
// character a GS1 element string cannot hold or a broken escape.
std::optional<std::size_t> segment_length(std::string_view s) {
  std::size_t length = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) {
        return std::nullopt;
      }
      i += 2;
    } else if (!is_ai_character(s[i])) {
      return std::nullopt;
    }
    ++length;
  }
  return length;
}

bool fits(std::string_view s, std::size_t min, std::size_t max) {
  const auto length = segment_length(s);
  return length && *length >= min && *length <= max;
}

// `digits` leading digits followed by up to `extra` characters (extra_digits: digits only).
bool digits_then(std::string_view s, std::size_t digits, std::size_t extra, bool extra_digits) {
  if (s.size() < digits || !all_digits(s.substr(0, digits))) return false;
  const std::string_view rest = s.substr(digits);
  if (extra_digits) return rest.size() <= extra && all_digits(rest);
  return rest.empty() || fits(rest, 0, extra);
}

// The primary key value in canonical form, or nullopt when it has the wrong shape.
std::optional<std::string> key_value(std::string_view ai, std::string_view v) {
  if (ai == "01") {
    // GTIN-8, -12 and -13 are written as GTIN-14 with leading zeros.
    if (!all_digits(v) || !(v.size() == 8 || v.size() == 12 || v.size() == 13 || v.size() == 14)) {
      return std::nullopt;
    }
    return std::string(14 - v.size(), '0') + std::string(v);
  }
  bool ok = false;
  if (ai == "00" || ai == "8006" || ai == "8017" || ai == "8018") {
    ok = v.size() == 18 && all_digits(v);
  } else if (ai == "414" || ai == "417") {
    ok = v.size() == 13 && all_digits(v);
  } else if (ai == "402") {
    ok = v.size() == 17 && all_digits(v);
  } else if (ai == "253") {
    ok = digits_then(v, 13, 17, false);
  } else if (ai == "255") {
    ok = digits_then(v, 13, 12, true);
  } else if (ai == "8003") {
    ok = digits_then(v, 14, 16, false);
  } else if (ai == "8004" || ai == "401" || ai == "8010") {
    ok = fits(v, 1, 30);
  }
  if (!ok) return std::nullopt;
  return std::string(v);
}

std::optional<std::string> qualifier_value(std::string_view ai, std::string_view v) {
  if (ai == "8011") {
    if (v.empty() || v.size() > 12 || !all_digits(v)) return std::nullopt;
  } else if (!fits(v, 1, ai == "235" ? 28 : 20)) {
    return std::nullopt;
  }
  return std::string(v);
}

std::unexpected<Error> bad(std::string_view field, std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message), std::string(field));
}

}  // namespace

char gs1_check_digit(std::string_view digits) {
  // Weights 3, 1, 3, ... from the rightmost digit.
  int sum = 0;
  int weight = 3;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    sum += (*it - '0') * weight;
    weight = 4 - weight;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool is_gs1_epc_uri(std::string_view value) {
  const auto scheme_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (!value.starts_with(prefix)) return std::nullopt;
    const std::string_view rest = value.substr(prefix.size());
    return rest.substr(0, rest.find(':'));
  };
  if (const auto s = scheme_of(kIdPrefix)) {
    return std::find(kIdSchemes.begin(), kIdSchemes.end(), *s) != kIdSchemes.end();
  }
  if (const auto s = scheme_of(kClassPrefix)) return *s == "lgtin";
  if (const auto s = scheme_of(kPatternPrefix)) {
    // A pattern with more than its serial left open ("sgtin:CP.*.*") names no single key.
    const std::string_view body = value.substr(kPatternPrefix.size() + s->size());
    return std::find(kPatternSchemes.begin(), kPatternSchemes.end(), *s) != kPatternSchemes.end() &&
           body.ends_with(".*") && body.find('*') == body.size() - 1;
  }
  return false;
}

Result<std::string> epc_uri_to_digital_link(std::string_view uri, std::string_view field) {
  std::string_view prefix;
  for (const std::string_view p : {kIdPrefix, kClassPrefix, kPatternPrefix}) {
    if (uri.starts_with(p)) prefix = p;
  }
  const std::string_view rest = uri.substr(prefix.size());
  const std::size_t colon = rest.find(':');
  if (prefix.empty() || colon == std::string_view::npos) {
    return bad(field, quoted(uri) + " is not an EPC URI");
  }
  const std::string_view scheme = rest.substr(0, colon);
  const std::string_view body = rest.substr(colon + 1);
  std::optional<std::string> converted;
  if (prefix == kIdPrefix) {
    converted = id_to_link(scheme, body);
  } else if (prefix == kClassPrefix) {
    // An LGTIN is an SGTIN with a lot where the serial was.
    if (scheme == "lgtin") {
      converted = id_to_link("sgtin", body);
      if (converted) {
        const std::size_t at = converted->find("/21/");
        converted->replace(at, 4, "/10/");
      }
    }
  } else {
    converted = pattern_to_link(scheme, body);
  }
  if (!converted) {
    return bad(field, quoted(uri) + " is not a valid GS1 EPC URI with a Digital Link form");
  }
  return *converted;
}

Result<std::string> canonical_digital_link(std::string_view uri, std::string_view field) {
  const auto not_a_link = [&] {
    return bad(field, quoted(uri) + " is not a GS1 Digital Link URI");
  };
  std::string_view rest;
  if (uri.starts_with("https://")) {
    rest = uri.substr(8);
  } else if (uri.starts_with("http://")) {
    rest = uri.substr(7);
  } else {
    return not_a_link();
  }
  // Drop the host, then the query string and fragment.
  const std::size_t path_start = rest.find('/');
  if (path_start == std::string_view::npos) return not_a_link();
  std::string_view path = rest.substr(path_start + 1);
  path = path.substr(0, path.find_first_of("?#"));
  if (path.ends_with('/')) path.remove_suffix(1);
  std::vector<std::string_view> segments;
  while (true) {
    const std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  // The primary key is the first segment after which only (qualifier, value) pairs follow:
  // what comes before it is the resolver's own path prefix.
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    const auto key = ai_of(kPrimaryKeys, segments[i]);
    if (!key || (segments.size() - i) % 2 != 0) continue;
    std::optional<std::string> value = key_value(*key, segments[i + 1]);
    if (!value) continue;
    std::optional<std::pair<std::string_view, std::string>> serial, lot, other;
    bool pairs_ok = true;
    for (std::size_t j = i + 2; j + 1 < segments.size(); j += 2) {
      const auto q = ai_of(kQualifiers, segments[j]);
      const auto qv = q && qualifies(*key, *q) ? qualifier_value(*q, segments[j + 1])
                                               : std::optional<std::string>{};
      if (!qv) {
        pairs_ok = false;
        break;
      }
      // Only the finest level of identification stays: a serial over a lot, never the CPV.
      if (*q == "21" || *q == "235") {
        serial.emplace(*q, *qv);
      } else if (*q == "10") {
        lot.emplace(*q, *qv);
      } else if (*q != "22") {
        other.emplace(*q, *qv);
      }
    }
    if (!pairs_ok) continue;
    const auto& qualifier = serial ? serial : lot ? lot : other;
    if (qualifier) return link(*key, *value, qualifier->first, qualifier->second);
    return link(*key, *value);
  }
  return not_a_link();
}

Result<std::string> canonical_identifier(std::string_view value, std::string_view field) {
  if (is_gs1_epc_uri(value)) return epc_uri_to_digital_link(value, field);
  if (value.starts_with("http://") || value.starts_with("https://")) {
    // Any web URI may identify a thing in EPCIS; only GS1 Digital Links have a canonical form.
    auto link = canonical_digital_link(value, field);
    if (link) return link;
  }
  return std::string(value);
}

}  // namespace custody::epcis
