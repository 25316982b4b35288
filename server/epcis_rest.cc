// GS1's EPCIS 2.0 REST binding, the core of it, under /epcis (docs/epcis.md, "REST
// interface"): capture jobs, the synchronous capture of one event, the events as a
// SimpleEventQuery over query-string parameters with pagination, and discovery. Errors are
// RFC 7807 problems with GS1's epcisException types. Access goes through the server's tokens
// and roles, as every /v1 endpoint's: capturing is the command epcis.capture, querying is a
// read of the log.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <charconv>
#include <deque>
#include <mutex>

#include "api_util.h"
#include "custody/codec/json_parse.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/percent.h"
#include "custody/domain/epcis_export.h"
#include "custody/domain/epcis_import.h"
#include "custody/epcis/gs1_keys.h"
#include "custody/server/api.h"
#include "custody/server/authority.h"
#include "responses.h"

namespace custody::server {

namespace bj = boost::json;

// The capture jobs of this server's lifetime, the latest kKept of them: what GET /capture
// reports. The events they stored are records; the jobs themselves are not (docs/epcis.md).
class CaptureJobs {
 public:
  static constexpr std::size_t kKept = 1000;
  static constexpr std::size_t kMaxErrors = 100;

  struct Problem {
    std::string pointer, detail;
  };
  struct Job {
    std::string id;
    std::string actor;  // only they see it
    std::string behaviour;
    TimeNs created = 0, finished = 0;
    bool running = true;
    std::vector<Problem> errors;
    std::size_t events = 0, stored = 0, duplicates = 0;
  };

  std::string start(std::string actor, std::string behaviour, TimeNs now) {
    std::lock_guard lock(mu_);
    Job j;
    j.id = "capture-" + std::to_string(++serial_);
    j.actor = std::move(actor);
    j.behaviour = std::move(behaviour);
    j.created = now;
    jobs_.push_back(std::move(j));
    while (jobs_.size() > kKept && !jobs_.front().running) jobs_.pop_front();
    return jobs_.back().id;
  }
  void finish(const std::string& id, TimeNs now, std::vector<Problem> errors, std::size_t events,
              std::size_t stored, std::size_t duplicates) {
    std::lock_guard lock(mu_);
    for (auto& j : jobs_) {
      if (j.id != id) continue;
      j.running = false;
      j.finished = now;
      j.errors = std::move(errors);
      j.events = events;
      j.stored = stored;
      j.duplicates = duplicates;
    }
  }
  // The caller's jobs, oldest first.
  [[nodiscard]] std::vector<Job> of(std::string_view actor) const {
    std::lock_guard lock(mu_);
    std::vector<Job> out;
    for (const auto& j : jobs_) {
      if (j.actor == actor) out.push_back(j);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::deque<Job> jobs_;
  std::uint64_t serial_ = 0;
};

std::shared_ptr<CaptureJobs> make_capture_jobs() {
  return std::make_shared<CaptureJobs>();
}

namespace {

constexpr std::string_view kVersion = "2.0.0";
constexpr std::size_t kDefaultPerPage = 30;

void add_version_headers(Response& r) {
  r.headers.emplace_back("GS1-EPCIS-Version", std::string(kVersion));
  r.headers.emplace_back("GS1-CBV-Version", std::string(kVersion));
}

// An RFC 7807 problem, `type` one of GS1's epcisException types; custody's error code and what
// was wrong (a JSON pointer into the event or document, a parameter or header) go with it as
// the extension members "code" and "field".
Response problem(unsigned status, std::string_view type, std::string_view title,
                 std::string_view detail = {}, std::string_view pointer = {},
                 std::string_view code = {}) {
  std::string body;
  codec::JsonWriter w(body);
  w.begin_object();
  w.key("type").string("epcisException:" + std::string(type));
  w.key("title").string(title);
  w.key("status").uint64(status);
  if (!detail.empty()) w.key("detail").string(detail);
  if (!pointer.empty()) w.key("field").string(pointer);
  if (!code.empty()) w.key("code").string(code);
  w.end_object();
  return Response{status, "application/problem+json", std::move(body), {}};
}

// A custody error as the problem GS1's binding names for it.
Response problem_of(const Error& e) {
  const std::string code(code_name(e.code));
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:  // a partner that is not defined
      return problem(400, "ValidationException", "The EPCIS data is not valid", e.message, e.field,
                     code);
    case ErrorCode::kAlreadyExists:
      return problem(409, "ResourceAlreadyExistsException",
                     "A resource with the provided identifier already exists.", e.message, e.field,
                     code);
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kReserved:
      return problem(403, "SecurityException", "Access to resource forbidden", e.message, e.field,
                     code);
    case ErrorCode::kOutOfRange:
      return problem(413, "CaptureLimitExceededException", "Capture payload too large", e.message,
                     e.field, code);
    default:
      return problem(500, "ImplementationException", "A server-side error occurred", e.message,
                     e.field, code);
  }
}

const std::string* header(const Request& r, std::string_view name) {
  for (const auto& [k, v] : r.gs1_headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return &v;
    }
  }
  return nullptr;
}

// The request's GS1-EPCIS-Version, when it names one, must be a 2.x (406 otherwise).
std::optional<Response> refuse_version(const Request& r) {
  const std::string* v = header(r, "GS1-EPCIS-Version");
  if (v == nullptr || v->empty() || *v == "2" || v->starts_with("2.")) return std::nullopt;
  return problem(406, "NotAcceptableException", "Conflicting request and response headers",
                 "this repository speaks EPCIS 2.0 (GS1-EPCIS-Version: " + std::string(kVersion) +
                     "), not " + *v,
                 "GS1-EPCIS-Version");
}

std::optional<Response> refuse_media_type(const Request& r) {
  std::string_view t = r.content_type;
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t == "application/json" || t == "application/ld+json") return std::nullopt;
  return problem(415, "UnsupportedMediaTypeException", "Unsupported Media Type",
                 "send EPCIS 2.0 JSON or JSON-LD (Content-Type: application/json or "
                 "application/ld+json)",
                 "Content-Type");
}

// custody's one query parameter on both captures, ?partner=PARTY: the party that sent the
// events (kInvalidArgument naming any other parameter).
Result<std::string> partner_param(const std::string& query) {
  auto q = parse_query(query);
  if (!q) return std::unexpected(q.error());
  std::string partner;
  for (const auto& [key, value] : q->params) {
    if (key != "partner") {
      return fail(ErrorCode::kInvalidArgument, "unknown parameter (partner)", key);
    }
    partner = value;
  }
  return partner;
}

// ---- The query ---------------------------------------------------------------------------

// A CBV term in the bare form ("shipping") whichever of its forms an event or query gives:
// the Web URI, the URN or the CURIE.
std::string bare_term(std::string_view v, std::initializer_list<std::string_view> prefixes) {
  for (auto p : prefixes) {
    if (v.starts_with(p)) return std::string(v.substr(p.size()));
  }
  return std::string(v);
}
std::string biz_step(std::string_view v) {
  return bare_term(
      v, {"https://ref.gs1.org/cbv/BizStep-", "urn:epcglobal:cbv:bizstep:", "cbv:BizStep-"});
}
std::string disposition(std::string_view v) {
  return bare_term(v, {"https://ref.gs1.org/cbv/Disp-", "urn:epcglobal:cbv:disp:", "cbv:Disp-"});
}
std::string error_reason(std::string_view v) {
  return bare_term(v, {"https://ref.gs1.org/cbv/ER-", "urn:epcglobal:cbv:er:", "cbv:ER-"});
}

// An identifier as the event hash compares them: a GS1 key as its canonical Digital Link URI
// (an EPC pattern as the key it covers), anything else as given.
std::string canonical_id(std::string_view v) {
  if (epcis::is_gs1_epc_uri(v)) {
    if (auto d = epcis::epc_uri_to_digital_link(v)) return *d;
  } else if (v.starts_with("https://") || v.starts_with("http://")) {
    if (auto d = epcis::canonical_digital_link(v)) return *d;
  }
  return std::string(v);
}

struct Match {
  std::vector<std::string_view> lists;  // the event's members it looks in
  bool classes = false;                 // quantity lists: their elements' epcClass
  bool single = false;                  // parentID: one string
  std::vector<std::string> patterns;    // canonical; a pattern matches what it is a prefix of
};

struct EventQuery {
  std::vector<std::string> types, actions, biz_steps, dispositions, read_points, biz_locations,
      transformation_ids, event_ids, error_reasons, corrective_ids;
  std::vector<Match> matches;
  std::optional<TimeNs> ge_event, lt_event, ge_record, lt_record, ge_declared, lt_declared;
  std::optional<bool> error_declared;
  std::size_t per_page = kDefaultPerPage;
  std::optional<std::size_t> event_count_limit, max_event_count;
  std::uint64_t from_seq = 1;  // nextPageToken: where the page starts
  std::uint32_t from_index = 0;
};

std::vector<std::string> pipe_list(std::string_view v, std::string (*normalise)(std::string_view)) {
  std::vector<std::string> out;
  while (true) {
    const auto bar = v.find('|');
    out.push_back(normalise(v.substr(0, bar)));
    if (bar == std::string_view::npos) break;
    v.remove_prefix(bar + 1);
  }
  return out;
}
std::string as_is(std::string_view v) {
  return std::string(v);
}

Result<std::size_t> count_param(std::string_view key, const std::string& v, std::size_t min) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n < min) {
    return fail(ErrorCode::kInvalidArgument, "must be an integer from " + std::to_string(min),
                std::string(key));
  }
  return n;
}

// The nextPageToken: "<seq>-<index>", the first event of the next page.
std::string page_token(std::uint64_t seq, std::uint32_t index) {
  return std::to_string(seq) + "-" + std::to_string(index);
}

Result<EventQuery> parse_event_query(const Query& q, std::size_t max_per_page) {
  EventQuery out;
  auto bad = [](std::string_view key, std::string message) -> Result<EventQuery> {
    return fail(ErrorCode::kInvalidArgument, std::move(message), std::string(key));
  };
  for (const auto& param : q.params) {
    // Named, not a structured binding: the lambdas below capture them (clang 14 cannot).
    const std::string& key = param.first;
    const std::string& value = param.second;
    if (value.empty()) return bad(key, "is empty");
    auto time = [&](std::optional<TimeNs>& into) -> Result<void> {
      auto t = parse_rfc3339(value);
      if (!t) return fail(ErrorCode::kInvalidArgument, "must be an RFC 3339 date-time", key);
      into = *t;
      return {};
    };
    auto match = [&](std::initializer_list<std::string_view> lists, bool classes, bool single) {
      Match m;
      m.lists = lists;
      m.classes = classes;
      m.single = single;
      m.patterns = pipe_list(
          value, +[](std::string_view v) { return canonical_id(v); });
      out.matches.push_back(std::move(m));
    };
    Result<void> ok;
    if (key == "eventType") {
      out.types = pipe_list(value, as_is);
      for (const auto& t : out.types) {
        if (t != "ObjectEvent" && t != "AggregationEvent" && t != "TransactionEvent" &&
            t != "TransformationEvent" && t != "AssociationEvent") {
          return bad(key, "is not an EPCIS event type: " + t);
        }
      }
    } else if (key == "EQ_action") {
      out.actions = pipe_list(value, as_is);
      for (const auto& a : out.actions) {
        if (a != "ADD" && a != "OBSERVE" && a != "DELETE") {
          return bad(key, "must be ADD, OBSERVE or DELETE");
        }
      }
    } else if (key == "EQ_bizStep") {
      out.biz_steps = pipe_list(value, biz_step);
    } else if (key == "EQ_disposition") {
      out.dispositions = pipe_list(value, disposition);
    } else if (key == "EQ_readPoint" || key == "WD_readPoint") {
      out.read_points = pipe_list(
          value, +[](std::string_view v) { return canonical_id(v); });
    } else if (key == "EQ_bizLocation" || key == "WD_bizLocation") {
      out.biz_locations = pipe_list(
          value, +[](std::string_view v) { return canonical_id(v); });
    } else if (key == "EQ_transformationID") {
      out.transformation_ids = pipe_list(value, as_is);
    } else if (key == "EQ_eventID") {
      out.event_ids = pipe_list(value, as_is);
    } else if (key == "EQ_errorReason") {
      out.error_reasons = pipe_list(value, error_reason);
    } else if (key == "EQ_correctiveEventID") {
      out.corrective_ids = pipe_list(value, as_is);
    } else if (key == "EXISTS_errorDeclaration") {
      if (value != "true" && value != "false") return bad(key, "must be true or false");
      out.error_declared = value == "true";
    } else if (key == "GE_eventTime") {
      ok = time(out.ge_event);
    } else if (key == "LT_eventTime") {
      ok = time(out.lt_event);
    } else if (key == "GE_recordTime") {
      ok = time(out.ge_record);
    } else if (key == "LT_recordTime") {
      ok = time(out.lt_record);
    } else if (key == "GE_errorDeclarationTime") {
      ok = time(out.ge_declared);
    } else if (key == "LT_errorDeclarationTime") {
      ok = time(out.lt_declared);
    } else if (key == "MATCH_epc") {
      match({"epcList", "childEPCs"}, false, false);
    } else if (key == "MATCH_parentID") {
      match({"parentID"}, false, true);
    } else if (key == "MATCH_inputEPC") {
      match({"inputEPCList"}, false, false);
    } else if (key == "MATCH_outputEPC") {
      match({"outputEPCList"}, false, false);
    } else if (key == "MATCH_anyEPC") {
      match({"epcList", "childEPCs", "inputEPCList", "outputEPCList"}, false, false);
      out.matches.back().single = false;
      // parentID too: a second alternative of the same match.
      out.matches.back().lists.push_back("parentID");
    } else if (key == "MATCH_epcClass") {
      match({"quantityList", "childQuantityList"}, true, false);
    } else if (key == "MATCH_inputEPCClass") {
      match({"inputQuantityList"}, true, false);
    } else if (key == "MATCH_outputEPCClass") {
      match({"outputQuantityList"}, true, false);
    } else if (key == "MATCH_anyEPCClass") {
      match({"quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"}, true,
            false);
    } else if (key == "perPage") {
      auto n = count_param(key, value, 1);
      if (!n) return std::unexpected(n.error());
      out.per_page = std::min(*n, max_per_page);
    } else if (key == "eventCountLimit") {
      auto n = count_param(key, value, 1);
      if (!n) return std::unexpected(n.error());
      out.event_count_limit = *n;
    } else if (key == "maxEventCount") {
      auto n = count_param(key, value, 1);
      if (!n) return std::unexpected(n.error());
      out.max_event_count = *n;
    } else if (key == "nextPageToken") {
      const auto dash = value.find('-');
      std::uint64_t seq = 0;
      std::uint32_t index = 0;
      const char* end = value.data() + value.size();
      const auto a =
          std::from_chars(value.data(), value.data() + std::min(dash, value.size()), seq);
      const auto b = dash == std::string::npos
                         ? std::from_chars_result{nullptr, std::errc::invalid_argument}
                         : std::from_chars(value.data() + dash + 1, end, index);
      if (a.ec != std::errc{} || b.ec != std::errc{} || b.ptr != end || seq == 0) {
        return bad(key, "is not a page token this repository gave");
      }
      out.from_seq = seq;
      out.from_index = index;
    } else if (key == "orderBy" || key == "orderDirection") {
      return bad(key, "is not supported: events come in the order they were recorded");
    } else {
      return bad(key, "is not a query parameter this repository supports (docs/epcis.md)");
    }
    if (!ok) return std::unexpected(ok.error());
  }
  if (out.event_count_limit && out.max_event_count) {
    return bad("maxEventCount", "give eventCountLimit or maxEventCount, not both");
  }
  return out;
}

std::string text_of(const bj::object& e, std::string_view key) {
  const bj::value* v = e.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string id_of(const bj::object& e, std::string_view key) {
  const bj::value* v = e.if_contains(key);
  if (v == nullptr || !v->is_object()) return {};
  return canonical_id(text_of(v->get_object(), "id"));
}

bool one_of(const std::vector<std::string>& allowed, const std::string& v) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

bool time_in(const std::string& text, const std::optional<TimeNs>& ge,
             const std::optional<TimeNs>& lt) {
  if (!ge && !lt) return true;
  auto t = parse_rfc3339(text);
  if (!t) return false;
  return (!ge || *t >= *ge) && (!lt || *t < *lt);
}

bool pattern_matches(const std::vector<std::string>& patterns, std::string_view id) {
  const std::string c = canonical_id(id);
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return c == p || (c.size() > p.size() && c.starts_with(p) && c[p.size()] == '/');
  });
}

bool matches(const Match& m, const bj::object& e) {
  for (auto list : m.lists) {
    const bj::value* v = e.if_contains(list);
    if (v == nullptr) continue;
    if (v->is_string()) {
      if (pattern_matches(m.patterns, v->get_string())) return true;
      continue;
    }
    if (!v->is_array()) continue;
    for (const auto& item : v->get_array()) {
      if (m.classes && item.is_object()) {
        if (pattern_matches(m.patterns, text_of(item.get_object(), "epcClass"))) return true;
      } else if (!m.classes && item.is_string()) {
        if (pattern_matches(m.patterns, item.get_string())) return true;
      }
    }
  }
  return false;
}

bool matches(const EventQuery& q, const bj::object& e) {
  if (!one_of(q.types, text_of(e, "type"))) return false;
  if (!q.actions.empty() && !one_of(q.actions, text_of(e, "action"))) return false;
  if (!q.biz_steps.empty() && !one_of(q.biz_steps, biz_step(text_of(e, "bizStep")))) return false;
  if (!q.dispositions.empty() && !one_of(q.dispositions, disposition(text_of(e, "disposition")))) {
    return false;
  }
  if (!q.read_points.empty() && !one_of(q.read_points, id_of(e, "readPoint"))) return false;
  if (!q.biz_locations.empty() && !one_of(q.biz_locations, id_of(e, "bizLocation"))) return false;
  if (!q.transformation_ids.empty() &&
      !one_of(q.transformation_ids, text_of(e, "transformationID"))) {
    return false;
  }
  if (!q.event_ids.empty() && !one_of(q.event_ids, text_of(e, "eventID"))) return false;
  if (!time_in(text_of(e, "eventTime"), q.ge_event, q.lt_event)) return false;
  if (!time_in(text_of(e, "recordTime"), q.ge_record, q.lt_record)) return false;
  const bj::value* d = e.if_contains("errorDeclaration");
  const bj::object* declaration = d != nullptr && d->is_object() ? &d->get_object() : nullptr;
  if (q.error_declared && *q.error_declared != (declaration != nullptr)) return false;
  const bool about_declaration =
      q.ge_declared || q.lt_declared || !q.error_reasons.empty() || !q.corrective_ids.empty();
  if (about_declaration) {
    if (declaration == nullptr) return false;
    if (!time_in(text_of(*declaration, "declarationTime"), q.ge_declared, q.lt_declared)) {
      return false;
    }
    if (!q.error_reasons.empty() &&
        !one_of(q.error_reasons, error_reason(text_of(*declaration, "reason")))) {
      return false;
    }
    if (!q.corrective_ids.empty()) {
      const bj::value* ids = declaration->if_contains("correctiveEventIDs");
      if (ids == nullptr || !ids->is_array()) return false;
      const auto& a = ids->get_array();
      if (std::none_of(a.begin(), a.end(), [&](const bj::value& v) {
            return v.is_string() && one_of(q.corrective_ids, std::string(v.get_string()));
          })) {
        return false;
      }
    }
  }
  return std::all_of(q.matches.begin(), q.matches.end(),
                     [&](const Match& m) { return matches(m, e); });
}

// The query string without its nextPageToken, for the next page's link.
std::string without_token(const Query& q) {
  std::string out;
  for (const auto& [k, v] : q.params) {
    if (k == "nextPageToken") continue;
    if (!out.empty()) out += '&';
    out += percent_encode(k) + "=" + percent_encode(v);
  }
  return out;
}

}  // namespace

void Api::handle_epcis(const Principal& p, Request request, const std::vector<std::string>& s,
                       const std::string& query, Reply reply) {
  auto done = [&](Response r) {
    metrics_.request_done(r.status);
    add_version_headers(r);
    reply(std::move(r));
  };
  const std::string& m = request.method;
  const std::string resource = s.size() > 1 ? s[1] : "";
  const bool capture = resource == "capture";
  const bool events = resource == "events";
  if (m == "OPTIONS") {
    if (!((capture || events) && s.size() <= 3) && !(s.size() == 1)) {
      return done(problem(404, "NoSuchNameException", "Resource not found",
                          "this repository implements /capture and /events (docs/epcis.md)"));
    }
    Response r{204, "", "", {}};
    const bool writable = s.size() == 2 && (capture || events);
    r.headers.emplace_back("Allow", writable ? "GET, POST, OPTIONS" : "GET, OPTIONS");
    r.headers.emplace_back("GS1-EPCIS-Min", std::string(kVersion));
    r.headers.emplace_back("GS1-EPCIS-Max", std::string(kVersion));
    r.headers.emplace_back("GS1-CBV-Min", std::string(kVersion));
    r.headers.emplace_back("GS1-CBV-Max", std::string(kVersion));
    r.headers.emplace_back("GS1-EPC-Format", "Never_Translates");
    r.headers.emplace_back("GS1-CBV-XML-Format", "Never_Translates");
    r.headers.emplace_back("GS1-Vendor-Version", "custody");
    if (capture) {
      r.headers.emplace_back("GS1-EPCIS-Capture-Limit", std::to_string(domain::kMaxEpcisEvents));
      r.headers.emplace_back("GS1-EPCIS-Capture-File-Size-Limit",
                             std::to_string(options_.max_capture_bytes));
      r.headers.emplace_back("GS1-Capture-Error-Behaviour", "all");
    }
    return done(std::move(r));
  }
  if (auto refused = refuse_version(request)) return done(std::move(*refused));
  const bool get = m == "GET";
  const bool post = m == "POST";
  auto method_not_allowed = [&](std::string_view allowed) {
    Response r = problem(405, "ImplementationException", "Method not allowed",
                         "use " + std::string(allowed), "method");
    r.headers.emplace_back("Allow", std::string(allowed));
    return r;
  };
  auto may_capture = [&] {
    constexpr std::string_view kType = "epcis.capture";
    return may_submit(p.roles, kType) && (p.command_types.empty() || in(p.command_types, kType));
  };
  auto denied = [&](std::string action, std::string needed) {
    const Error e = deny(p, request, std::move(action), std::move(needed));
    return problem(403, "SecurityException", "Access to resource forbidden", e.message, "",
                   "permission_denied");
  };

  if (capture && s.size() == 2 && post) {
    if (!may_capture()) {
      return done(denied("capture EPCIS events", joined(roles_for_command("epcis.capture"))));
    }
    return epcis_capture(p, std::move(request), query, [this, reply](Response r) {
      metrics_.request_done(r.status);
      add_version_headers(r);
      reply(std::move(r));
    });
  }
  if (events && s.size() == 2 && post) {
    if (!may_capture()) {
      return done(denied("capture EPCIS events", joined(roles_for_command("epcis.capture"))));
    }
    return epcis_post_event(p, std::move(request), query, [this, reply](Response r) {
      metrics_.request_done(r.status);
      add_version_headers(r);
      reply(std::move(r));
    });
  }
  if (capture && s.size() <= 3) {
    if (!get)
      return done(method_not_allowed(s.size() == 2 ? "GET, POST, OPTIONS" : "GET, OPTIONS"));
    if (!may_capture()) {
      return done(denied("read EPCIS capture jobs", joined(roles_for_command("epcis.capture"))));
    }
    return done(epcis_capture_jobs(p, s.size() == 3 ? s[2] : "", query));
  }
  if (events && s.size() <= 3) {
    if (!get)
      return done(method_not_allowed(s.size() == 2 ? "GET, POST, OPTIONS" : "GET, OPTIONS"));
    if (!may_read(p.roles, Read::kLog)) {
      return done(denied("query EPCIS events", joined(roles_for_read(Read::kLog))));
    }
    return done(epcis_query(query, s.size() == 3 ? s[2] : ""));
  }
  const bool known = s.size() == 1 || resource == "eventTypes" || resource == "epcs" ||
                     resource == "bizSteps" || resource == "bizLocations" ||
                     resource == "readPoints" || resource == "dispositions" ||
                     resource == "queries" || resource == "nextPageToken";
  if (known) {
    return done(problem(501, "ImplementationException", "Functionality not supported by server",
                        "this repository implements /capture and /events of GS1's REST binding; "
                        "docs/epcis.md lists what it does not"));
  }
  return done(problem(404, "NoSuchNameException", "Resource not found",
                      "no such resource: " + request.target.substr(0, request.target.find('?'))));
}

void Api::epcis_capture(const Principal& p, Request r, const std::string& query, Reply reply) {
  if (auto refused = refuse_media_type(r)) return reply(std::move(*refused));
  const std::string* behaviour = header(r, "GS1-Capture-Error-Behaviour");
  if (behaviour == nullptr) behaviour = header(r, "GS1-EPCIS-Capture-Error-Behaviour");
  const std::string chosen = behaviour == nullptr ? "rollback" : *behaviour;
  if (chosen != "rollback" && chosen != "proceed") {
    return reply(problem(400, "ValidationException", "The capture request is not valid",
                         "GS1-Capture-Error-Behaviour must be rollback or proceed",
                         "GS1-Capture-Error-Behaviour", "invalid_argument"));
  }
  auto partner = partner_param(query);
  if (!partner) return reply(problem_of(partner.error()));
  // The syntax, the document's shape and its size are checked before the job is accepted;
  // what each event says is the job's to check.
  in_flight_.fetch_add(1);
  on_pool([this, p, r = std::move(r), partner = std::move(*partner), chosen,
           reply = std::move(reply)]() mutable {
    auto parsed = codec::parse_json(r.body, "", options_.max_capture_bytes);
    const bj::value* list = nullptr;
    if (parsed && parsed->is_object()) {
      const bj::value* body = parsed->get_object().if_contains("epcisBody");
      if (body != nullptr && body->is_object()) {
        list = body->get_object().if_contains("eventList");
        if (list == nullptr) list = body->get_object().if_contains("queryResults");
      }
    }
    if (!parsed || list == nullptr) {
      reply(problem(400, "ValidationException", "The capture request is not valid",
                    parsed ? "send an EPCISDocument: an object with epcisBody.eventList"
                           : parsed.error().message,
                    parsed ? "/epcisBody/eventList" : "", "invalid_argument"));
      in_flight_.fetch_sub(1);
      return;
    }
    if (list->is_array() && list->get_array().size() > domain::kMaxEpcisEvents) {
      Response too_many =
          problem(413, "CaptureLimitExceededException", "Capture payload too large",
                  "a capture takes at most " + std::to_string(domain::kMaxEpcisEvents) + " events",
                  "/epcisBody/eventList", "out_of_range");
      too_many.headers.emplace_back("GS1-EPCIS-Capture-Limit",
                                    std::to_string(domain::kMaxEpcisEvents));
      reply(std::move(too_many));
      in_flight_.fetch_sub(1);
      return;
    }
    const std::string id = capture_jobs_->start(p.actor, chosen, ledger_.clock().now());
    Response accepted{202, "", "", {}};
    accepted.headers.emplace_back("Location", "/epcis/capture/" + id);
    reply(std::move(accepted));
    run_capture(p, std::move(r), std::move(*parsed), id, partner, chosen == "proceed");
  });
}

// The job itself, on the pool: the whole document planned at once; when an event in it is
// wrong, each event on its own, to report every one that is, and with `proceed` to store the
// others.
void Api::run_capture(const Principal& p, Request r, bj::value document, const std::string& id,
                      const std::string& partner, bool proceed) {
  const std::string source = "POST /epcis/capture by " + p.actor + " (" + id + ")";
  auto snap = ledger_.snapshot();
  std::vector<CaptureJobs::Problem> errors;
  auto plan = domain::plan_epcis_import(*snap, r.body, source, partner);
  r.body.clear();
  r.body.shrink_to_fit();
  constexpr std::string_view kList = "/epcisBody/eventList/";
  if (!plan && plan.error().field.starts_with(kList)) {
    // Each event as a document of its own: the same @context and header.
    auto& doc = document.get_object();
    bj::value* body = doc.if_contains("epcisBody");
    bj::value* list = body->get_object().if_contains("eventList");
    bj::array events =
        list != nullptr && list->is_array() ? std::move(list->get_array()) : bj::array{};
    domain::EpcisImportPlan merged;
    merged.events = events.size();
    for (std::size_t i = 0; i < events.size(); ++i) {
      body->get_object()["eventList"] = bj::array{std::move(events[i])};
      auto one = domain::plan_epcis_import(*snap, bj::serialize(doc), source, partner);
      if (one) {
        for (auto& item : one->fresh) merged.fresh.push_back(std::move(item));
        for (auto& d : one->duplicates) merged.duplicates.push_back(std::move(d));
        continue;
      }
      std::string pointer = one.error().field;
      const std::string first = std::string(kList) + "0";
      if (pointer.starts_with(first)) {
        pointer = std::string(kList) + std::to_string(i) + pointer.substr(first.size());
      }
      if (errors.size() < CaptureJobs::kMaxErrors) {
        errors.push_back({std::move(pointer), one.error().message});
      }
    }
    if (proceed) plan = std::move(merged);
  } else if (!plan) {
    errors.push_back({plan.error().field, plan.error().message});
  }
  if (!plan || (!proceed && !errors.empty())) {
    if (errors.empty()) errors.push_back({plan.error().field, plan.error().message});
    capture_jobs_->finish(id, ledger_.clock().now(), std::move(errors), 0, 0, 0);
    in_flight_.fetch_sub(1);
    return;
  }
  const std::size_t events = plan->events;
  submit_import(
      p, r, *plan, [this, id, events, errors = std::move(errors)](Result<std::string> out) mutable {
        std::size_t stored = 0, duplicates = 0;
        if (out) {
          auto summary = codec::parse_json(*out, "");
          if (summary && summary->is_object()) {
            const auto& o = summary->get_object();
            if (const auto* s = o.if_contains("stored"); s != nullptr && s->is_array()) {
              stored = s->get_array().size();
            }
            if (const auto* d = o.if_contains("duplicates"); d != nullptr && d->is_number()) {
              duplicates = d->to_number<std::size_t>();
            }
          }
        } else {
          errors.push_back({out.error().field, out.error().message});
        }
        capture_jobs_->finish(id, ledger_.clock().now(), std::move(errors), events, stored,
                              duplicates);
        in_flight_.fetch_sub(1);
      });
}

void Api::epcis_post_event(const Principal& p, Request r, const std::string& query, Reply reply) {
  if (auto refused = refuse_media_type(r)) return reply(std::move(*refused));
  auto partner = partner_param(query);
  if (!partner) return reply(problem_of(partner.error()));
  in_flight_.fetch_add(1);
  on_pool([this, p, r = std::move(r), partner = std::move(*partner),
           reply = std::move(reply)]() mutable {
    auto finish = [&](Response resp) {
      reply(std::move(resp));
      in_flight_.fetch_sub(1);
    };
    auto event = codec::parse_json(r.body, "", domain::kMaxEpcisEventBytes);
    if (!event || !event->is_object()) {
      return finish(problem(400, "ValidationException", "The event is not valid",
                            event ? "send one EPCIS event, a JSON object" : event.error().message,
                            "", "invalid_argument"));
    }
    // The event as the one member of a document, its @context the document's.
    bj::object doc;
    auto& e = event->get_object();
    if (auto* context = e.if_contains("@context")) {
      doc["@context"] = std::move(*context);
      e.erase("@context");
    } else {
      doc["@context"] = domain::epcis_standard_context();
    }
    doc["type"] = "EPCISDocument";
    doc["schemaVersion"] = "2.0";
    doc["creationDate"] = format_rfc3339(ledger_.clock().now());
    doc["epcisBody"] = bj::object{{"eventList", bj::array{std::move(*event)}}};
    const std::string source = "POST /epcis/events by " + p.actor;
    auto snap = ledger_.snapshot();
    auto plan = domain::plan_epcis_import(*snap, bj::serialize(doc), source, partner);
    if (!plan) {
      Error refused = plan.error();
      constexpr std::string_view kFirst = "/epcisBody/eventList/0";
      if (refused.field.starts_with(kFirst)) refused.field = refused.field.substr(kFirst.size());
      return finish(problem_of(refused));
    }
    if (plan->fresh.empty()) {
      const std::string id = plan->duplicates.empty() ? "" : plan->duplicates.front();
      return finish(problem(409, "ResourceAlreadyExistsException",
                            "A resource with the provided identifier already exists.",
                            "EPCIS event " + id + " is stored already", "/eventID",
                            "already_exists"));
    }
    const std::string event_id = plan->fresh.front().event_id;
    submit_import(p, r, *plan, [this, event_id, reply = std::move(reply)](Result<std::string> out) {
      auto answer = [&]() -> Response {
        if (!out) return problem_of(out.error());
        auto summary = codec::parse_json(*out, "");
        const bj::value* stored =
            summary && summary->is_object() ? summary->get_object().if_contains("stored") : nullptr;
        if (stored == nullptr || !stored->is_array() || stored->get_array().empty()) {
          return problem(409, "ResourceAlreadyExistsException",
                         "A resource with the provided identifier already exists.",
                         "EPCIS event " + event_id + " is stored already", "/eventID",
                         "already_exists");
        }
        const auto& first = stored->get_array().front();
        const bj::value* seq = first.is_object() ? first.get_object().if_contains("seq") : nullptr;
        Response created = stored_epcis_event(
            seq != nullptr && seq->is_number() ? seq->to_number<std::uint64_t>() : 1, event_id);
        if (created.status != 200) return created;
        created.status = 201;
        created.headers.emplace_back("Location", "/epcis/events/" + percent_encode(event_id));
        return created;
      }();
      reply(std::move(answer));
      in_flight_.fetch_sub(1);
    });
  });
}

Response Api::epcis_capture_jobs(const Principal& p, const std::string& id,
                                 const std::string& query) {
  auto q = parse_query(query);
  if (!q) return problem_of(q.error());
  std::size_t per_page = kDefaultPerPage, from = 0;
  for (const auto& [key, value] : q->params) {
    if (!id.empty() || (key != "perPage" && key != "nextPageToken")) {
      return problem(
          400, "QueryParameterException", "The query is not valid",
          "unknown parameter" + std::string(id.empty() ? " (perPage, nextPageToken)" : ""), key,
          "invalid_argument");
    }
    auto n = count_param(key, value, key == "perPage" ? 1 : 0);
    if (!n) return problem_of(n.error());
    (key == "perPage" ? per_page : from) = *n;
  }
  const auto jobs = capture_jobs_->of(p.actor);
  auto write_job = [](codec::JsonWriter& w, const CaptureJobs::Job& j) {
    w.begin_object();
    w.key("captureID").string(j.id);
    w.key("createdAt").string(format_rfc3339(j.created));
    if (!j.running) w.key("finishedAt").string(format_rfc3339(j.finished));
    w.key("running").boolean(j.running);
    w.key("success").boolean(j.errors.empty());
    w.key("captureErrorBehaviour").string(j.behaviour);
    w.key("errors").begin_array();
    for (const auto& e : j.errors) {
      w.begin_object();
      w.key("type").string("epcisException:ValidationException");
      w.key("title").string("An EPCIS event is not valid");
      w.key("status").uint64(400);
      w.key("detail").string(e.detail);
      w.key("field").string(e.pointer);
      w.end_object();
    }
    w.end_array();
    if (!j.running) {
      w.key("custody:events").uint64(j.events);
      w.key("custody:stored").uint64(j.stored);
      w.key("custody:duplicates").uint64(j.duplicates);
    }
    w.end_object();
  };
  std::string body;
  codec::JsonWriter w(body);
  if (!id.empty()) {
    auto it = std::find_if(jobs.begin(), jobs.end(), [&](const auto& j) { return j.id == id; });
    if (it == jobs.end()) {
      return problem(404, "NoSuchNameException", "Resource not found",
                     "no capture job " + id + " of " + p.actor, "captureID", "not_found");
    }
    write_job(w, *it);
    return json(200, std::move(body));
  }
  w.begin_array();
  std::size_t i = from;
  for (; i < jobs.size() && i < from + per_page; ++i) write_job(w, jobs[i]);
  w.end_array();
  Response r = json(200, std::move(body));
  if (i < jobs.size()) {
    r.headers.emplace_back("Link", "</epcis/capture?perPage=" + std::to_string(per_page) +
                                       "&nextPageToken=" + std::to_string(i) + ">; rel=\"next\"");
  }
  return r;
}

// The event `id` as stored by the record `seq` (just written): what POST /events answers.
Response Api::stored_epcis_event(std::uint64_t seq, const std::string& id) {
  std::optional<bj::object> event;
  auto snap = ledger_.snapshot();
  auto walked = domain::epcis_events(*snap, seq, options_.site, ledger_.meta().origin,
                                     [&](std::uint64_t, std::uint32_t, bj::object& e) {
                                       if (text_of(e, "eventID") != id) return true;
                                       event = std::move(e);
                                       return false;
                                     });
  if (!walked) return problem_of(walked.error());
  if (!event) {
    return problem(500, "ImplementationException", "A server-side error occurred",
                   "event " + id + " was stored and is not in record " + std::to_string(seq));
  }
  std::string body;
  domain::write_epcis_json(*event, body);
  return json(200, std::move(body));
}

// GET /events (a SimpleEventQuery over the query string), and GET /events/{eventID} (`id`):
// an EPCISQueryDocument with one page of the events that match, in ledger order.
Response Api::epcis_query(const std::string& query, const std::string& id) {
  auto q = parse_query(query);
  if (!q) return problem_of(q.error());
  if (!id.empty() && !q->params.empty()) {
    return problem(400, "QueryParameterException", "The query is not valid",
                   "GET /events/{eventID} takes no parameters", q->params.front().first,
                   "invalid_argument");
  }
  auto parsed = parse_event_query(*q, options_.max_log_limit);
  if (!parsed) {
    return problem(400, "QueryParameterException", "The query is not valid",
                   parsed.error().field + " " + parsed.error().message, parsed.error().field,
                   "invalid_argument");
  }
  EventQuery& eq = *parsed;
  if (!id.empty()) {
    eq.event_ids = {id};
    eq.per_page = options_.max_log_limit;
  }
  const std::size_t limit = eq.event_count_limit.value_or(eq.per_page);
  const std::size_t page = std::min(eq.per_page, limit);
  bj::array found;
  std::optional<std::string> next;
  std::size_t total = 0;  // for maxEventCount
  bool too_many = false;
  auto snap = ledger_.snapshot();
  auto walked =
      domain::epcis_events(*snap, eq.from_seq, options_.site, ledger_.meta().origin,
                           [&](std::uint64_t seq, std::uint32_t index, bj::object& e) {
                             if (seq == eq.from_seq && index < eq.from_index) return true;
                             if (!matches(eq, e)) return true;
                             if (eq.max_event_count && ++total > *eq.max_event_count) {
                               too_many = true;
                               return false;
                             }
                             if (eq.event_count_limit && found.size() >= *eq.event_count_limit)
                               return false;
                             if (found.size() >= page) {
                               if (!next) next = page_token(seq, index);
                               return eq.max_event_count.has_value();  // then go on counting
                             }
                             found.emplace_back(std::move(e));
                             return true;
                           });
  if (!walked) return problem_of(walked.error());
  if (too_many) {
    return problem(
        413, "QueryTooLargeException", "The query matches too many events",
        "more than maxEventCount (" + std::to_string(*eq.max_event_count) + ") events match",
        "maxEventCount", "out_of_range");
  }
  if (!id.empty() && found.empty()) {
    return problem(404, "NoSuchNameException", "Resource not found",
                   "no EPCIS event " + id + " in this repository", "eventID", "not_found");
  }
  bj::object doc;
  doc["@context"] = bj::array{bj::value(domain::epcis_standard_context()),
                              bj::object{{"custody", "urn:custody:epcis:"}}};
  doc["type"] = "EPCISQueryDocument";
  doc["schemaVersion"] = "2.0";
  doc["creationDate"] = format_rfc3339(SystemClock().now());
  doc["epcisBody"] = bj::object{
      {"queryResults", bj::object{{"queryName", "SimpleEventQuery"},
                                  {"resultsBody", bj::object{{"eventList", std::move(found)}}}}}};
  Response r{200, "application/json", "", {}};
  domain::write_epcis_json(doc, r.body);
  if (next) {
    std::string rest = without_token(*q);
    r.headers.emplace_back("Link", "</epcis/events?" + rest + (rest.empty() ? "" : "&") +
                                       "nextPageToken=" + *next + ">; rel=\"next\"");
  }
  return r;
}

}  // namespace custody::server
