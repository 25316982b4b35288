#include "batch_record.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace custody::reports {
namespace {

namespace json = boost::json;

// The most records one log request returns (views.h: max_log_records).
constexpr std::uint64_t kPage = 10000;

// A record of the log as the views give it (custody log's JSON).
struct Record {
  json::object r;
  [[nodiscard]] std::uint64_t seq() const { return r.at("seq").to_number<std::uint64_t>(); }
  [[nodiscard]] std::string type() const { return text(r, "type"); }
  [[nodiscard]] const json::object& payload() const { return object(r, "payload"); }
  [[nodiscard]] bool corrected() const { return flag(r, "corrected"); }
};

// One correction of a record: what it changed from and to.
struct Change {
  std::uint64_t seq = 0;  // of the record.corrected
  std::string actor, at, reason;
  std::vector<std::string> fields;
  json::object before, after;  // the payload in force before and after it
};

struct Gathered {
  json::object wo;                           // the order's state
  std::vector<Record> history;               // the order's records, oldest first
  std::map<std::string, json::object> lots;  // lot id -> state
  std::vector<Record> lot_events;            // inspections and dispositions of produced lots
  std::vector<Record> readings;              // on its equipment, while it ran, of this order
  std::map<std::string, json::object> exceptions;
  // Deviations naming a lot the order consumed or produced -> their state.
  std::map<std::string, json::object> deviations;
  std::map<std::uint64_t, std::vector<Change>> changes;  // corrected seq -> corrections
  json::object head;
  std::string material_name, uom;
  SiteClock clock;  // times as the site reads them
  // Everyone who ran or verified a critical step -> their qualification stream.
  std::map<std::string, std::vector<Record>> qualifications;
  // The logbook entries of each piece of equipment the order used (the "logbook" view).
  std::map<std::string, std::vector<json::object>> logbooks;
  std::set<std::string> cleaning_rules;  // of those, the ones that must be cleaned to start
  std::set<std::string> interval_rules;  // ... and those with a cleaning interval
  json::object yield;                    // the "yield" view: the order's and each step's
};

json::object request(std::initializer_list<std::pair<json::string_view, json::value_ref>> members) {
  return json::object(members);
}

// Every record of a stream, page by page.
std::vector<Record> stream_records(const Fetch& fetch, const std::string& stream) {
  std::vector<Record> out;
  for (std::uint64_t from = 1;; from += kPage) {
    auto lines = fetch_lines(
        fetch, request({{"view", "log"}, {"stream", stream}, {"from", from}, {"limit", kPage}}));
    for (auto& l : lines) out.push_back(Record{std::move(l)});
    if (lines.size() < kPage) break;
  }
  return out;
}

// Corrections found among `records`, chained per corrected record so each shows what it
// changed from. `originals` gives the payload first entered for a seq.
void collect_changes(const std::vector<Record>& records,
                     const std::map<std::uint64_t, json::object>& originals, Gathered& g) {
  for (const auto& rec : records) {
    if (rec.type() != "record.corrected") continue;
    const auto& p = rec.payload();
    const auto target = static_cast<std::uint64_t>(number_value(p, "seq"));
    auto& list = g.changes[target];
    if (std::any_of(list.begin(), list.end(),
                    [&](const Change& c) { return c.seq == rec.seq(); })) {
      continue;
    }
    Change c;
    c.seq = rec.seq();
    c.actor = text(rec.r, "actor");
    c.at = text(rec.r, "recordedAt");
    c.reason = text(p, "reason");
    for (const auto& f : array(p, "changed")) c.fields.emplace_back(f.as_string());
    c.after = object(p, "payload");
    if (!list.empty()) {
      c.before = list.back().after;
    } else if (auto it = originals.find(target); it != originals.end()) {
      c.before = it->second;
    }
    list.push_back(std::move(c));
  }
}

Gathered gather(const std::string& wo, const Fetch& fetch) {
  Gathered g;
  json::value shown;
  try {
    shown = fetch_json(fetch, request({{"view", "wo"}, {"id", wo}, {"history", 0}}));
  } catch (const ReportError& e) {
    if (e.code() == "not_found") {
      throw ReportError("not_found", "work order " + wo + " does not exist", "wo");
    }
    throw;
  }
  g.wo = object(shown.as_object(), "state");
  for (const auto& h : array(shown.as_object(), "history")) {
    g.history.push_back(Record{h.as_object()});
  }
  g.head = fetch_json(fetch, request({{"view", "head"}})).as_object();
  g.yield = fetch_json(fetch, request({{"view", "yield"}, {"wo", wo}})).as_object();
  for (const auto& sv : array(g.wo, "steps")) {
    const auto& s = sv.as_object();
    if (!flag(s, "critical")) continue;
    std::vector<std::string> people;
    for (const auto& o : array(s, "operators")) people.emplace_back(o.as_string());
    if (!text(s, "verifiedBy").empty()) people.push_back(text(s, "verifiedBy"));
    for (const auto& p : people) {
      if (!g.qualifications.contains(p)) {
        g.qualifications[p] = stream_records(fetch, "qualification:" + p);
      }
    }
  }
  g.clock = SiteClock(fetch_json(fetch, request({{"view", "site"}})).as_object());
  try {
    auto m = fetch_json(fetch, request({{"view", "material"}, {"id", text(g.wo, "material")}}));
    g.material_name = text(object(m.as_object(), "state"), "name");
    g.uom = text(object(m.as_object(), "state"), "uom");
  } catch (const ReportError&) {
    // A material that cannot be read leaves the name blank; the id is still printed.
  }

  std::map<std::uint64_t, json::object> originals;
  for (const auto& rec : g.history) originals[rec.seq()] = rec.payload();

  // Lots: every lot consumed or produced, and what happened to the produced ones after.
  std::set<std::string> lot_ids;
  for (const auto& rec : g.history) {
    if (rec.type() == "lot.consumed" || rec.type() == "lot.produced") {
      lot_ids.insert(text(rec.payload(), "lot"));
    }
  }
  for (const auto& id : lot_ids) {
    auto l = fetch_json(fetch, request({{"view", "lot"}, {"id", id}, {"history", 0}}));
    g.lots[id] = object(l.as_object(), "state");
    const bool produced_here = text(g.lots[id], "wo") == wo;
    for (const auto& h : array(l.as_object(), "history")) {
      Record rec{h.as_object()};
      const std::string t = rec.type();
      if (t == "deviation.opened") g.deviations[text(rec.payload(), "deviation")] = {};
      if (produced_here && (t == "inspection.recorded" || t == "lot.released" || t == "lot.held" ||
                            t == "lot.rejected")) {
        originals[rec.seq()] = rec.payload();
        g.lot_events.push_back(std::move(rec));
      } else if (produced_here && (t == "record.corrected" || t == "signature.signed")) {
        g.lot_events.push_back(std::move(rec));
      }
    }
  }

  // Readings on the order's equipment that the order was running for.
  std::set<std::string> equipment;
  for (const auto& s : array(g.wo, "steps")) {
    const std::string e = text(s.as_object(), "equipment");
    if (!e.empty()) equipment.insert(e);
  }
  std::vector<Record> corrections_of_readings;
  for (const auto& e : equipment) {
    auto book = fetch_json(fetch, request({{"view", "logbook"}, {"equipment", e}}));
    for (const auto& entry : array(book.as_object(), "entries")) {
      g.logbooks[e].push_back(entry.as_object());
    }
    auto item = fetch_json(fetch, request({{"view", "equipment"}, {"id", e}, {"history", 1}}));
    const auto& state = object(item.as_object(), "state");
    if (text(state, "cleanOnChange") != "none" || number_value(state, "cleanEveryHours") > 0) {
      g.cleaning_rules.insert(e);
    }
    if (number_value(state, "cleanEveryHours") > 0) g.interval_rules.insert(e);
  }
  for (const auto& e : equipment) {
    std::set<std::uint64_t> ours;
    for (auto& rec : stream_records(fetch, "equipment:" + e)) {
      if (rec.type() == "reading.recorded" && text(rec.payload(), "wo") == wo) {
        ours.insert(rec.seq());
        originals[rec.seq()] = rec.payload();
        g.readings.push_back(std::move(rec));
      } else if (rec.type() == "record.corrected" &&
                 ours.contains(static_cast<std::uint64_t>(number_value(rec.payload(), "seq")))) {
        corrections_of_readings.push_back(std::move(rec));
      }
    }
  }

  for (const auto& rec : g.history) {
    if (rec.type() != "exception.raised") continue;
    const std::string id = text(rec.payload(), "exception");
    auto x = fetch_json(fetch, request({{"view", "exception"}, {"id", id}, {"history", 1}}));
    g.exceptions[id] = object(x.as_object(), "state");
  }

  for (auto& [id, state] : g.deviations) {
    auto v = fetch_json(fetch, request({{"view", "deviation"}, {"id", id}, {"history", 1}}));
    state = object(v.as_object(), "state");
  }

  collect_changes(g.history, originals, g);
  collect_changes(g.lot_events, originals, g);
  collect_changes(corrections_of_readings, originals, g);
  return g;
}

// ---------------------------------------------------------------- rendering

const char* kStyle = R"(
  body { font: 11pt/1.35 "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #111; }
  h1 { font-size: 18pt; margin-bottom: 0.2em; } h2 { font-size: 13pt; margin-top: 1.6em;
  border-bottom: 1px solid #444; } table { border-collapse: collapse; width: 100%;
  margin: 0.5em 0; } th, td { border: 1px solid #999; padding: 3px 6px; text-align: left;
  vertical-align: top; } th { background: #eee; } .num { text-align: right; }
  .changed { background: #fff3c4; } .flag { color: #8a4b00; font-weight: bold; font-size: 9pt; }
  .was { text-decoration: line-through; color: #777; } .bad { color: #a40000; font-weight: bold; }
  .meta td:first-child { width: 14em; font-weight: bold; } .mono { font-family: monospace; }
  footer { margin-top: 2em; font-size: 9pt; color: #444; }
  @media print { body { margin: 0; } h2 { page-break-after: avoid; }
  tr { page-break-inside: avoid; } }
)";

class Html {
 public:
  Html& raw(std::string_view s) {
    out_ += s;
    return *this;
  }
  Html& text(std::string_view s) {
    out_ += esc(s);
    return *this;
  }
  void row(const std::vector<std::string>& cells, const char* cls = nullptr) {
    out_ += cls ? "<tr class=\"" + std::string(cls) + "\">" : "<tr>";
    for (const auto& c : cells) out_ += "<td>" + c + "</td>";
    out_ += "</tr>\n";
  }
  void head(std::initializer_list<const char*> names) {
    out_ += "<table><tr>";
    for (const char* n : names) out_ += std::string("<th>") + n + "</th>";
    out_ += "</tr>\n";
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// A report's scrap by defect code: "bruised 15, foreign-matter 5"; "not given" for scrap
// reported without one, empty when there was no scrap.
std::string defects_text(const json::object& report) {
  std::string out;
  for (const auto& d : array(report, "defects")) {
    out += (out.empty() ? "" : ", ") + text(d.as_object(), "defect") + " " +
           number(d.as_object(), "qty");
  }
  if (!out.empty()) return out;
  const std::string scrap = number(report, "scrap");
  return scrap.empty() || scrap == "0" ? "" : "not given";
}

// A field of a payload for the reader: a number, a text, or a report's breakdown of scrap.
std::string field_text(const json::object& payload, std::string_view field) {
  if (field == "defects") return defects_text(payload);
  return number(payload, field).empty() ? text(payload, field) : number(payload, field);
}

// A value of a record's payload, as in force now; when a correction changed it, the
// original struck through beside it and a flag.
std::string value_of(const Gathered& g, const Record& rec, std::string_view field) {
  const std::string original = field_text(rec.payload(), field);
  auto it = g.changes.find(rec.seq());
  if (it == g.changes.end()) return esc(original);
  const std::string current = field_text(it->second.back().after, field);
  if (current == original) return esc(original);
  return esc(current) + " <span class=\"was\">" + esc(original) + "</span>";
}

const char* row_class(const Gathered& g, const Record& rec) {
  return g.changes.contains(rec.seq()) || rec.corrected() ? "changed" : nullptr;
}

std::string changed_flag(const Gathered& g, const Record& rec) {
  auto it = g.changes.find(rec.seq());
  if (it == g.changes.end())
    return rec.corrected() ? "<span class=\"flag\">changed after original entry</span>" : "";
  const Change& last = it->second.back();
  return "<span class=\"flag\">changed after original entry (" + esc(last.actor) + ", " +
         esc(g.clock.when(last.at)) + "; see correction #" + std::to_string(last.seq) + ")</span>";
}

// When it happened on the floor (the command's occurredAt), else when it was recorded.
std::string event_at(const Record& rec) {
  const std::string t = text(rec.r, "occurredAt");
  return t.empty() ? text(rec.r, "recordedAt") : t;
}

// The same in the site's time, for the page.
std::string occurred(const Gathered& g, const Record& rec) {
  return g.clock.when(event_at(rec));
}

// Entered late (long after the fact, or dated before its stream's last record): the flag and
// the reason its sender gave (the view's "late").
std::string late_flag(const Record& rec) {
  const auto* late = rec.r.if_contains("late");
  if (late == nullptr || !late->is_object()) return "";
  const auto& l = late->as_object();
  std::string why;
  if (flag(l, "byAge")) {
    why = std::to_string(static_cast<long long>(number_value(l, "lateBySeconds") / 3600)) +
          " h after the fact";
  }
  if (flag(l, "byOrder")) {
    why += std::string(why.empty() ? "" : ", ") + "dated before the last record of its stream";
  }
  return " <span class=\"flag\">late entry (" + esc(why) + "): " + esc(text(l, "reason")) +
         "</span>";
}

std::string who_when(const Gathered& g, const Record& rec) {
  return esc(text(rec.r, "actor")) + "<br>" + esc(occurred(g, rec));
}

// What a record means, for the signature list.
std::string meaning(const Record& rec) {
  const auto& p = rec.payload();
  const std::string t = rec.type();
  if (t == "wo.created")
    return "Created order for " + number(p, "qty") + " of " + text(p, "material");
  if (t == "wo.released") return "Released for production";
  if (t == "wo.scheduled") return "Planned (" + text(p, "plan") + ")";
  if (t == "op.started") return "Started step " + text(p, "step") + " on " + text(p, "equipment");
  if (t == "op.reported") {
    return "Reported step " + text(p, "step") + ": good " + number(p, "good") + ", scrap " +
           number(p, "scrap");
  }
  if (t == "op.completed") return "Completed step " + text(p, "step");
  if (t == "op.reworked") {
    return "Sent " + number(p, "qty") + " back from step " + text(p, "step") + " to " +
           text(p, "toStep") + " for rework";
  }
  if (t == "line.cleared") {
    return "Cleared the line for step " + text(p, "step") + " on " + text(p, "equipment");
  }
  if (t == "line.verified") return "Verified the line clearance for step " + text(p, "step");
  if (t == "label.reconciled") {
    return "Reconciled the labels of step " + text(p, "step") + ": " + number(p, "issued") +
           " issued";
  }
  if (t == "lot.consumed") return "Consumed " + number(p, "qty") + " of lot " + text(p, "lot");
  if (t == "lot.produced") return "Produced lot " + text(p, "lot") + ": " + number(p, "qty");
  if (t == "inspection.recorded") {
    return "Inspected " + text(p, "characteristic") + " = " + number(p, "value") + " " +
           text(p, "unit") + (flag(p, "passed") ? " (pass)" : " (FAIL)");
  }
  if (t == "exception.raised") return "Raised exception " + text(p, "exception");
  if (t == "deviation.opened") {
    return "Escalated exception " + text(p, "exception") + " to deviation " + text(p, "deviation") +
           " (" + text(p, "classification") + ")";
  }
  if (t == "wo.completed") {
    // Orders completed before custody recorded yields: basis "unknown", figures zero.
    if (text(p, "basis").empty() || text(p, "basis") == "unknown") return "Completed the order";
    return "Completed the order: yield " + number(p, "actual") + " of theoretical " +
           number(p, "theoretical");
  }
  if (t == "wo.closed") return "Closed the order";
  if (t == "record.corrected") {
    return "Corrected record #" + number(p, "seq") + " (" + text(p, "reason") + ")";
  }
  if (t == "lot.released") return "QA released lot " + text(p, "lot");
  if (t == "lot.held") return "Held lot " + text(p, "lot") + ": " + text(p, "reason");
  if (t == "lot.rejected") return "Rejected lot " + text(p, "lot") + ": " + text(p, "reason");
  return t;
}

void header(Html& h, const Gathered& g, const std::string& generated_at) {
  const auto& w = g.wo;
  h.raw("<h1>Electronic batch record &mdash; work order ").text(text(w, "wo")).raw("</h1>\n");
  h.raw("<table class=\"meta\">\n");
  auto meta = [&](const char* k, const std::string& v) {
    h.row({k, esc(v)});
  };
  meta("Material", text(w, "material") + (g.material_name.empty() ? "" : " — " + g.material_name));
  meta("Quantity ordered", number(w, "qty") + (g.uom.empty() ? "" : " " + g.uom));
  meta("Routing", text(w, "routing"));
  meta("Status", text(w, "status"));
  meta("Due", g.clock.when(text(w, "due")));
  meta("Created", g.clock.when(text(w, "createdAt")));
  meta("Released", g.clock.when(text(w, "releasedAt")));
  meta("Started", g.clock.when(text(w, "startedAt")));
  meta("Completed", g.clock.when(text(w, "completedAt")));
  meta("Closed", g.clock.when(text(w, "closedAt")));
  if (!text(w, "plan").empty()) {
    meta("Plan", text(w, "plan") + ": " + g.clock.when(text(w, "scheduledStart")) + " to " +
                     g.clock.when(text(w, "scheduledEnd")));
  }
  meta("Generated", g.clock.when(generated_at));
  meta("Times", "site time, " + g.clock.zone());
  h.raw("</table>\n");
}

// Who cleared the line and who verified it, or what is missing.
std::string clearance_text(const Gathered& g, const json::object& s) {
  const auto* c = s.if_contains("clearance");
  if (c == nullptr || !c->is_object() || text(c->as_object(), "by").empty()) {
    return "<span class=\"flag\">not recorded</span>";
  }
  const auto& o = c->as_object();
  std::string out = "on " + esc(text(o, "equipment")) + " by " + esc(text(o, "by")) + "<br>" +
                    esc(g.clock.when(text(o, "at")));
  if (!text(o, "note").empty()) out += "<br>" + esc(text(o, "note"));
  out += "<br>verified by ";
  out += text(o, "verifiedBy").empty()
             ? std::string("<span class=\"flag\">nobody yet</span>")
             : esc(text(o, "verifiedBy")) + "<br>" + esc(g.clock.when(text(o, "verifiedAt")));
  return out;
}

// Labels issued, and how they were accounted for (21 CFR 211.130).
std::string labels_text(const Gathered& g, const json::object& s) {
  const auto* l = s.if_contains("labels");
  if (l == nullptr || !l->is_object() || text(l->as_object(), "by").empty()) {
    return "<span class=\"flag\">not reconciled</span>";
  }
  const auto& o = l->as_object();
  const double accounted =
      number_value(o, "used") + number_value(o, "destroyed") + number_value(o, "returned");
  const double gap = number_value(o, "issued") - accounted;
  std::string out = esc(number(o, "issued")) + " issued: " + esc(number(o, "used")) + " used, " +
                    esc(number(o, "destroyed")) + " destroyed, " + esc(number(o, "returned")) +
                    " returned";
  if (gap != 0) {
    out += " <span class=\"flag\">does not reconcile: " +
           std::to_string(static_cast<long long>(gap > 0 ? gap : -gap)) +
           (gap > 0 ? " unaccounted for" : " more than issued") + "</span>";
  }
  return out + "<br>" + esc(text(o, "by")) + ", " + esc(g.clock.when(text(o, "at")));
}

// Steps that need a line clearance or are issued labels: what was recorded for each.
void line_control(Html& h, const Gathered& g) {
  bool any = false;
  for (const auto& sv : array(g.wo, "steps")) {
    const auto& s = sv.as_object();
    if (!flag(s, "lineClearance") && !flag(s, "labelling")) continue;
    if (!any) {
      h.raw("<h3>Line clearance and labels</h3>\n");
      h.head({"Step", "Line clearance", "Labels"});
      any = true;
    }
    h.row({esc(text(s, "step")),
           flag(s, "lineClearance") ? clearance_text(g, s) : std::string("&mdash;"),
           flag(s, "labelling") ? labels_text(g, s) : std::string("&mdash;")});
  }
  if (any) h.raw("</table>\n");
}

void steps(Html& h, const Gathered& g) {
  h.raw("<h2>Steps</h2>\n");
  h.head({"Step", "Work center", "Equipment", "Status", "Operators", "Started", "Completed", "Good",
          "Scrap", "Verified by", "Planned"});
  for (const auto& sv : array(g.wo, "steps")) {
    const auto& s = sv.as_object();
    std::string operators;
    for (const auto& o : array(s, "operators")) {
      if (!operators.empty()) operators += "<br>";
      operators += esc(o.as_string());
    }
    std::string planned;
    if (!text(s, "scheduledStart").empty()) {
      planned = esc(g.clock.when(text(s, "scheduledStart"))) + " &ndash; " +
                esc(g.clock.when(text(s, "scheduledEnd")));
    }
    h.row({esc(text(s, "step")) + (flag(s, "critical") ? "<br>critical" : ""),
           esc(text(s, "workCenter")), esc(text(s, "equipment")), esc(text(s, "status")), operators,
           esc(g.clock.when(text(s, "startedAt"))), esc(g.clock.when(text(s, "completedAt"))),
           esc(number(s, "good")), esc(number(s, "scrap")),
           text(s, "verifiedBy").empty()
               ? std::string("&mdash;")
               : esc(text(s, "verifiedBy")) + "<br>" + esc(g.clock.when(text(s, "verifiedAt"))),
           planned});
  }
  h.raw("</table>\n");
  // Reports of good and scrap, each as entered and as corrected.
  h.head({"Reported", "Step", "Good", "Scrap", "Scrap reasons", "By, when", ""});
  for (const auto& rec : g.history) {
    if (rec.type() != "op.reported") continue;
    h.row({"#" + std::to_string(rec.seq()), esc(text(rec.payload(), "step")),
           value_of(g, rec, "good"), value_of(g, rec, "scrap"), value_of(g, rec, "defects"),
           who_when(g, rec), changed_flag(g, rec)},
          row_class(g, rec));
  }
  h.raw("</table>\n");
  // Work sent back to an earlier step (op.rework), where there was any.
  bool any = false;
  for (const auto& rec : g.history) {
    if (rec.type() != "op.reworked") continue;
    if (!any) {
      h.raw("<h3>Rework</h3>\n");
      h.head({"Record", "From step", "Back to", "Quantity", "Defect", "Reason", "By, when", ""});
      any = true;
    }
    const auto& p = rec.payload();
    h.row({"#" + std::to_string(rec.seq()), esc(text(p, "step")), esc(text(p, "toStep")),
           value_of(g, rec, "qty"), esc(text(p, "defect")), esc(text(p, "reason")),
           who_when(g, rec), changed_flag(g, rec)},
          row_class(g, rec));
  }
  if (any) h.raw("</table>\n");
  line_control(h, g);
}

// The qualification.granted in force on step `s` (of `routing`) at `at` (ns since the epoch)
// in one person's qualification stream: the latest grant for the step or for its work center
// made by then, not revoked by then and not expired; nullptr when there is none.
const Record* grant_in_force(const std::vector<Record>& stream, const std::string& routing,
                             const json::object& s, std::int64_t at) {
  // The latest grant of each of the two scopes that cover the step, revocations undoing them.
  const Record* by_step = nullptr;
  const Record* by_center = nullptr;
  for (const auto& rec : stream) {
    const auto t = unix_nanos(event_at(rec));
    if (!t || *t > at) continue;
    const auto& p = rec.payload();
    const Record** slot = nullptr;
    if (text(p, "workCenter").empty()) {
      if (text(p, "routing") == routing && text(p, "step") == text(s, "step")) slot = &by_step;
    } else if (text(p, "workCenter") == text(s, "workCenter")) {
      slot = &by_center;
    }
    if (slot != nullptr) *slot = rec.type() == "qualification.granted" ? &rec : nullptr;
  }
  for (const Record* grant : {by_step, by_center}) {
    if (grant != nullptr && unix_nanos(text(grant->payload(), "until")).value_or(0) > at) {
      return grant;
    }
  }
  return nullptr;
}

// Who ran and verified each critical step, and the qualification that let them (21 CFR
// 211.25, EU GMP 2.10): custody refused these steps to anyone not qualified at the time.
void training(Html& h, const Gathered& g) {
  bool any = false;
  for (const auto& sv : array(g.wo, "steps")) any = any || flag(sv.as_object(), "critical");
  if (!any) return;
  h.raw("<h2>Qualification of the people on critical steps</h2>\n");
  h.head({"Step", "Person", "Did", "Qualified for", "Trained by", "Procedure", "Until", "Record"});
  const std::string routing = text(g.wo, "routing");
  for (const auto& sv : array(g.wo, "steps")) {
    const auto& s = sv.as_object();
    if (!flag(s, "critical")) continue;
    // Each person, what they did and when custody checked them: an operator at their first
    // start or report of the step (one who only reported at a shift change was checked then).
    struct Did {
      std::string person, did, at;
    };
    std::vector<Did> people;
    for (const auto& o : array(s, "operators")) {
      Did d{std::string(o.as_string()), "performed", text(s, "startedAt")};
      for (const auto& rec : g.history) {
        const std::string t = rec.type();
        if ((t == "op.started" || t == "op.reported") && text(rec.r, "actor") == d.person &&
            text(rec.payload(), "step") == text(s, "step")) {
          d.at = event_at(rec);
          break;
        }
      }
      people.push_back(std::move(d));
    }
    if (!text(s, "verifiedBy").empty()) {
      people.push_back({text(s, "verifiedBy"), "verified", text(s, "verifiedAt")});
    }
    for (const auto& [person, did, at] : people) {
      const auto it = g.qualifications.find(person);
      const Record* grant =
          it == g.qualifications.end()
              ? nullptr
              : grant_in_force(it->second, routing, s, unix_nanos(at).value_or(0));
      if (grant == nullptr) {
        h.row({esc(text(s, "step")), esc(person), did,
               "<span class=\"flag\">no qualification in force at " + esc(g.clock.when(at)) +
                   " was found in the ledger</span>",
               "", "", "", ""});
        continue;
      }
      const auto& p = grant->payload();
      h.row({esc(text(s, "step")), esc(person), did,
             text(p, "workCenter").empty() ? "step " + esc(text(p, "step"))
                                           : "work center " + esc(text(p, "workCenter")),
             esc(text(p, "trainer")), esc(text(p, "procedure")),
             esc(g.clock.when(text(p, "until"))), "#" + std::to_string(grant->seq())});
    }
  }
  h.raw("</table>\n");
}

// The state of each step's equipment when the step started, from its logbook (21 CFR 211.67,
// 211.68, 211.182): the cleaning, the calibration in force and the product run before. custody
// refused a start on equipment that was dirty, out of calibration or out of service.
void equipment(Html& h, const Gathered& g) {
  h.raw("<h2>Equipment: cleaning and calibration at the start of each step</h2>\n");
  h.head({"Step", "Equipment", "Last cleaned before the start", "Calibration in force",
          "Previous use"});
  for (const auto& sv : array(g.wo, "steps")) {
    const auto& s = sv.as_object();
    const std::string e = text(s, "equipment");
    const auto book = g.logbooks.find(e);
    if (e.empty() || book == g.logbooks.end()) continue;
    // The step's own start: entries before it describe what the step started on.
    std::uint64_t started = 0;
    for (const auto& rec : g.history) {
      if (rec.type() == "op.started" && text(rec.payload(), "step") == text(s, "step")) {
        started = rec.seq();
        break;
      }
    }
    const std::int64_t start_at = unix_nanos(text(s, "startedAt")).value_or(0);
    const json::object* cleaned = nullptr;
    const json::object* calibrated = nullptr;
    const json::object* previous = nullptr;
    for (const auto& entry : book->second) {
      if (entry.at("seq").to_number<std::uint64_t>() >= started) break;
      const std::string event = text(entry, "event");
      if (event == "cleaned") cleaned = &entry;
      // The calibration in force is the one good the longest (as custody judges it).
      if (event == "calibrated" &&
          (calibrated == nullptr || unix_nanos(text(entry, "until")).value_or(0) >=
                                        unix_nanos(text(*calibrated, "until")).value_or(0))) {
        calibrated = &entry;
      }
      if (event == "started") previous = &entry;
    }
    auto record = [](const json::object& entry) {
      return " (#" + std::to_string(entry.at("seq").to_number<std::uint64_t>()) + ")";
    };
    // Flagged only where a cleaning was due: equipment with a cleaning rule that had run
    // something before (a first use on equipment that cleans only on a change needs none).
    const bool due =
        g.cleaning_rules.contains(e) && (previous != nullptr || g.interval_rules.contains(e));
    std::string clean_cell =
        due ? "<span class=\"flag\">no cleaning recorded</span>" : std::string("&mdash;");
    if (cleaned != nullptr) {
      clean_cell = esc(g.clock.when(text(*cleaned, "at"))) + " by " + esc(text(*cleaned, "actor")) +
                   "<br>" + esc(text(*cleaned, "procedure")) + record(*cleaned);
    }
    std::string calibration_cell = "&mdash;";
    if (calibrated != nullptr) {
      const bool lapsed = unix_nanos(text(*calibrated, "until")).value_or(0) < start_at;
      calibration_cell = (lapsed ? "<span class=\"flag\">lapsed " : "until ") +
                         esc(g.clock.when(text(*calibrated, "until"))) + (lapsed ? "</span>" : "") +
                         "<br>certificate " + esc(text(*calibrated, "certificate")) +
                         record(*calibrated);
    }
    std::string previous_cell = "&mdash;";
    if (previous != nullptr) {
      previous_cell = esc(text(*previous, "material")) + " (" + esc(text(*previous, "wo")) + ")";
    }
    h.row({esc(text(s, "step")), esc(e), clean_cell, calibration_cell, previous_cell});
  }
  h.raw("</table>\n");
}

// A lot's expiry and best-before, in the site's time; empty for a lot without them.
std::string expires_of(const Gathered& g, const std::string& lot) {
  const auto it = g.lots.find(lot);
  if (it == g.lots.end()) return "";
  const std::string expires = text(it->second, "expires");
  const std::string best_before = text(it->second, "bestBefore");
  std::string out = expires.empty() ? "" : esc(g.clock.when(expires));
  if (!best_before.empty()) out += "<br>best before " + esc(g.clock.when(best_before));
  return out;
}

void materials(Html& h, const Gathered& g) {
  h.raw("<h2>Materials consumed</h2>\n");
  h.head({"Record", "Step", "Lot", "Material", "Quantity", "Expires", "Equipment", "By, when", ""});
  for (const auto& rec : g.history) {
    if (rec.type() != "lot.consumed") continue;
    const auto& p = rec.payload();
    const std::string lot = text(p, "lot");
    const auto it = g.lots.find(lot);
    const std::string material = it == g.lots.end() ? "" : text(it->second, "material");
    const std::string uom = it == g.lots.end() ? "" : text(it->second, "uom");
    // First expired, first out: the lot this consumption passed over, when it did.
    const std::string skipped = text(p, "fefoSkipped");
    h.row({"#" + std::to_string(rec.seq()), esc(text(p, "step")), esc(lot), esc(material),
           value_of(g, rec, "qty") + " " + esc(uom),
           expires_of(g, lot) + (skipped.empty() ? ""
                                                 : "<br><strong>FEFO: lot " + esc(skipped) +
                                                       " expires sooner and was left</strong>"),
           esc(text(p, "equipment")), who_when(g, rec), changed_flag(g, rec)},
          row_class(g, rec));
  }
  h.raw("</table>\n<h2>Lots produced</h2>\n");
  h.head({"Record", "Step", "Lot", "Material", "Quantity", "Expires", "Location", "Status now",
          "By, when", ""});
  for (const auto& rec : g.history) {
    if (rec.type() != "lot.produced") continue;
    const auto& p = rec.payload();
    const auto it = g.lots.find(text(p, "lot"));
    h.row({"#" + std::to_string(rec.seq()), esc(text(p, "step")), esc(text(p, "lot")),
           esc(text(p, "material")), value_of(g, rec, "qty") + " " + esc(text(p, "uom")),
           expires_of(g, text(p, "lot")), esc(text(p, "location")),
           esc(it == g.lots.end() ? "" : text(it->second, "status")), who_when(g, rec),
           changed_flag(g, rec)},
          row_class(g, rec));
  }
  h.raw("</table>\n");
}

// Yield against theory at each phase and for the order (21 CFR 211.188(b)(7)); a percentage
// outside the product's limits is marked.
void yields(Html& h, const Gathered& g) {
  const auto& y = g.yield;
  h.raw("<h2>Yield against theory</h2>\n<p>");
  if (text(y, "basis") == "components") {
    h.raw(
        "Theoretical yield: what the components consumed would make with no loss, the "
        "scarcest deciding (packaging is reconciled, not yielded).");
  } else {
    h.raw(
        "No component with a quantity per unit was consumed: theoretical yield is the "
        "quantity ordered.");
  }
  h.raw(" A step without components of its own starts from what the step before passed on. ");
  // The product's limits apply to the order's yield, judged by custody once it is complete
  // ("inLimits": null before).
  const auto* judged = y.if_contains("inLimits");
  const bool outside = judged != nullptr && judged->is_bool() && !judged->as_bool();
  const auto& limits = object(y, "limits");
  const std::string min = number(limits, "min"), max = number(limits, "max");
  if (!min.empty() && !max.empty()) {
    h.raw("Limits of the product: ").text(min + "% to " + max + "% of theoretical.");
  } else if (!min.empty()) {
    h.raw("Limit of the product: at least ").text(min + "% of theoretical.");
  } else if (!max.empty()) {
    h.raw("Limit of the product: at most ").text(max + "% of theoretical.");
  } else {
    h.raw("The product has no yield limits.");
  }
  h.raw("</p>\n");
  auto percent = [&](const json::object& o) {
    if (number(o, "percentOfTheoretical").empty()) return std::string("&mdash;");
    return esc(number(o, "percentOfTheoretical")) + "%";
  };
  h.head({"Phase", "Basis", "Theoretical", "Actual", "Scrap", "% of theoretical"});
  for (const auto& sv : array(y, "steps")) {
    const auto& st = sv.as_object();
    h.row({"Step " + esc(text(st, "step")), esc(text(st, "basis")), esc(number(st, "theoretical")),
           esc(number(st, "actual")), esc(number(st, "scrap")), percent(st)});
  }
  h.row({"<strong>Order</strong> (produced into lots)", esc(text(y, "basis")),
         esc(number(y, "theoretical")), esc(number(y, "actual")), "",
         outside ? "<span class=\"bad\">" + percent(y) + " (outside the limits)</span>"
                 : percent(y)});
  h.raw("</table>\n");
  if (!array(y, "components").empty()) {
    h.head({"Component", "Per unit", "Consumed"});
    for (const auto& cv : array(y, "components")) {
      const auto& c = cv.as_object();
      h.row({esc(text(c, "material")), esc(number(c, "qtyPerUnit")), esc(number(c, "consumed"))});
    }
    h.raw("</table>\n");
  }
  for (const auto& rec : g.history) {
    const std::string basis = text(rec.payload(), "basis");
    if (rec.type() != "wo.completed" || basis.empty() || basis == "unknown") continue;
    h.raw("<p>Recorded at completion (#")
        .text(std::to_string(rec.seq()))
        .raw(", ")
        .text(text(rec.r, "actor"))
        .raw(", ")
        .text(occurred(g, rec))
        .raw("): actual ")
        .text(number(rec.payload(), "actual"))
        .raw(" of theoretical ")
        .text(number(rec.payload(), "theoretical"))
        .raw(".</p>\n");
  }
}

void readings(Html& h, const Gathered& g) {
  h.raw("<h2>Process readings</h2>\n");
  if (g.readings.empty()) {
    h.raw("<p>No readings were recorded on the order's equipment while it ran.</p>\n");
    return;
  }
  // A summary per parameter first: what a reviewer checks; every reading follows.
  struct Summary {
    std::size_t count = 0, outside = 0;
    double min = 0, max = 0, sum = 0;
    std::string unit, limits;
  };
  std::map<std::pair<std::string, std::string>, Summary> summary;
  for (const auto& rec : g.readings) {
    const auto& p = rec.payload();
    auto& s = summary[{text(p, "equipment"), text(p, "param")}];
    const double v = number_value(p, "value");
    s.min = s.count == 0 ? v : std::min(s.min, v);
    s.max = s.count == 0 ? v : std::max(s.max, v);
    s.sum += v;
    ++s.count;
    if (flag(p, "hasLimits") && !flag(p, "inLimits")) ++s.outside;
    s.unit = text(p, "unit");
    if (flag(p, "hasLimits")) s.limits = number(p, "min") + " .. " + number(p, "max");
  }
  h.head({"Equipment", "Parameter", "Readings", "Min", "Max", "Mean", "Limits", "Outside limits"});
  for (const auto& [key, s] : summary) {
    h.row(
        {esc(key.first), esc(key.second), std::to_string(s.count),
         esc(shortest(s.min) + " " + s.unit), esc(shortest(s.max) + " " + s.unit),
         esc(shortest(std::round(s.sum / static_cast<double>(s.count) * 100) / 100) + " " + s.unit),
         esc(s.limits),
         s.outside ? "<span class=\"bad\">" + std::to_string(s.outside) + "</span>" : "0"});
  }
  h.raw("</table>\n");
  h.head({"Record", "Equipment", "Step", "Parameter", "Value", "Limits", "Taken", ""});
  for (const auto& rec : g.readings) {
    const auto& p = rec.payload();
    const bool limits = flag(p, "hasLimits");
    const bool in = flag(p, "inLimits");
    std::string value = value_of(g, rec, "value") + " " + esc(text(p, "unit"));
    if (limits && !in) value = "<span class=\"bad\">" + value + "</span>";
    if (flag(p, "outOfCalibration")) {
      value += "<br><span class=\"flag\">instrument out of calibration</span>";
    }
    h.row({"#" + std::to_string(rec.seq()), esc(text(p, "equipment")), esc(text(p, "step")),
           esc(text(p, "param")), value,
           limits ? esc(number(p, "min") + " .. " + number(p, "max")) : "",
           esc(g.clock.when(text(p, "at").empty() ? text(rec.r, "recordedAt") : text(p, "at"))),
           changed_flag(g, rec)},
          row_class(g, rec));
  }
  h.raw("</table>\n");
}

void inspections(Html& h, const Gathered& g) {
  h.raw("<h2>Inspections and QA disposition</h2>\n");
  h.head({"Record", "Of", "Characteristic", "Value", "Spec", "Result", "By, when", ""});
  auto inspection = [&](const Record& rec) {
    const auto& p = rec.payload();
    const std::string of =
        text(p, "lot").empty() ? "step " + text(p, "step") : "lot " + text(p, "lot");
    h.row({"#" + std::to_string(rec.seq()), esc(of), esc(text(p, "characteristic")),
           value_of(g, rec, "value") + " " + esc(text(p, "unit")),
           esc(number(p, "min") + " .. " + number(p, "max")),
           flag(p, "passed") ? "pass" : "<span class=\"bad\">FAIL</span>", who_when(g, rec),
           changed_flag(g, rec)},
          row_class(g, rec));
  };
  for (const auto& rec : g.history) {
    if (rec.type() == "inspection.recorded") inspection(rec);
  }
  for (const auto& rec : g.lot_events) {
    if (rec.type() == "inspection.recorded") inspection(rec);
  }
  for (const auto& rec : g.lot_events) {
    const std::string t = rec.type();
    if (t != "lot.released" && t != "lot.held" && t != "lot.rejected") continue;
    h.row({"#" + std::to_string(rec.seq()), "lot " + esc(text(rec.payload(), "lot")), "disposition",
           esc(t.substr(4)), "", esc(text(rec.payload(), "reason")), who_when(g, rec), ""});
  }
  h.raw("</table>\n");
}

void exceptions(Html& h, const Gathered& g) {
  h.raw("<h2>Exceptions</h2>\n");
  if (g.exceptions.empty()) {
    h.raw("<p>No exceptions were raised against this order.</p>\n");
    return;
  }
  h.head({"Exception", "Category", "Severity", "Description", "Raised", "Status", "Root cause",
          "Action", "Closed"});
  for (const auto& [id, x] : g.exceptions) {
    h.row({esc(id), esc(text(x, "category")), esc(text(x, "severity")), esc(text(x, "description")),
           esc(text(x, "raisedBy")) + "<br>" + esc(g.clock.when(text(x, "raisedAt"))),
           esc(text(x, "status")) + (flag(x, "escalated") ? " (escalated)" : ""),
           esc(text(x, "rootCause")), esc(text(x, "action")),
           esc(g.clock.when(text(x, "closedAt")))});
  }
  h.raw("</table>\n");
}

// 21 CFR 211.192: each deviation touching the batch's lots, its investigation and who approved
// it.
void deviations(Html& h, const Gathered& g) {
  h.raw("<h2>Deviations</h2>\n");
  if (g.deviations.empty()) {
    h.raw("<p>No deviation names a lot this order consumed or produced.</p>\n");
    return;
  }
  h.head({"Deviation", "Class", "Status", "Lots of this order", "Impact", "Root cause",
          "Conclusion", "Approved", "CAPA"});
  for (const auto& [id, d] : g.deviations) {
    std::string ours, capa;
    for (const auto& l : array(d, "lots")) {
      const std::string lot(l.as_string());
      if (!g.lots.contains(lot)) continue;
      if (!ours.empty()) ours += ", ";
      ours += lot;
    }
    for (const auto& c : array(d, "capas")) {
      if (!capa.empty()) capa += ", ";
      capa += std::string(c.as_string());
    }
    h.row({esc(id) + "<br>" + esc(text(d, "description")), esc(text(d, "classification")),
           esc(text(d, "status")), esc(ours), esc(text(d, "impact")), esc(text(d, "rootCause")),
           esc(text(d, "conclusion")),
           text(d, "approvedBy").empty()
               ? std::string()
               : esc(text(d, "approvedBy")) + "<br>" + esc(g.clock.when(text(d, "approvedAt"))),
           esc(capa)},
          text(d, "status") == "approved" ? nullptr : "changed");
  }
  h.raw("</table>\n");
}

void corrections(Html& h, const Gathered& g) {
  h.raw("<h2>Corrections</h2>\n");
  if (g.changes.empty()) {
    h.raw("<p>No record of this batch was changed after it was entered.</p>\n");
    return;
  }
  h.raw(
      "<p>Each of these records was changed after its original entry. The original stays in "
      "the ledger unchanged; the correction is a record of its own.</p>\n");
  h.head({"Correction", "Record corrected", "Field", "Was", "Now", "Reason", "By, when"});
  for (const auto& [target, list] : g.changes) {
    for (const auto& c : list) {
      for (const auto& f : c.fields) {
        const std::string was = field_text(c.before, f);
        const std::string now = field_text(c.after, f);
        h.row({"#" + std::to_string(c.seq), "#" + std::to_string(target), esc(f),
               "<span class=\"was\">" + esc(was) + "</span>", esc(now), esc(c.reason),
               esc(c.actor) + "<br>" + esc(g.clock.when(c.at))},
              "changed");
      }
    }
  }
  h.raw("</table>\n");
}

void signatures(Html& h, const Gathered& g) {
  h.raw(
      "<h2>Signatures and audit trail</h2>\n<p>Every record of this order, in the order it "
      "was written: who recorded it (the signed-in person or machine custody checked), when it "
      "happened, when custody recorded it (the ledger's own clock), what it meant, and the "
      "electronic signature given for it, if any: the signer's printed name, the meaning of "
      "the signature and when it was given (21 CFR 11.50). Each record is bound into the "
      "ledger's hash chain by its hash; each signature to its records by its own hash, which "
      "<code>custody verify</code> checks.</p>\n");
  h.head({"Record", "Recorded by", "Occurred", "Recorded by custody", "Meaning",
          "Electronic signature", "Record hash"});
  std::vector<const Record*> all;
  for (const auto& r : g.history) all.push_back(&r);
  for (const auto& r : g.lot_events) all.push_back(&r);
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->seq() < b->seq(); });
  all.erase(
      std::unique(all.begin(), all.end(), [](auto* a, auto* b) { return a->seq() == b->seq(); }),
      all.end());
  // A signature is written after the records of the command it signs, or names earlier
  // records (a review): its manifestation goes on each record it signs.
  std::map<std::string, std::vector<const Record*>> by_command;  // commandId -> signatures
  std::map<std::uint64_t, std::vector<const Record*>> by_seq;    // signed seq -> signatures
  for (const Record* rec : all) {
    if (rec->type() != "signature.signed") continue;
    const auto& signs = array(rec->payload(), "signs");
    if (signs.empty()) {
      by_command[text(rec->r, "commandId")].push_back(rec);
    } else {
      for (const auto& s : signs) by_seq[s.to_number<std::uint64_t>()].push_back(rec);
    }
  }
  for (const Record* rec : all) {
    // Signatures and late-entry notes show on the records they are about.
    if (rec->type() == "signature.signed" || rec->type() == "record.entered_late") continue;
    std::vector<const Record*> sigs;
    if (auto it = by_command.find(text(rec->r, "commandId")); it != by_command.end())
      sigs = it->second;
    if (auto it = by_seq.find(rec->seq()); it != by_seq.end()) {
      sigs.insert(sigs.end(), it->second.begin(), it->second.end());
    }
    std::string signed_by;
    for (const Record* sig : sigs) {
      const auto& p = sig->payload();
      if (!signed_by.empty()) signed_by += "<br><br>";
      signed_by += "<strong>" + esc(text(p, "name")) + "</strong> (" + esc(text(p, "signer")) +
                   ")<br>" + esc(text(p, "meaning")) + "<br>" +
                   esc(g.clock.when(text(p, "signedAt")));
    }
    if (signed_by.empty()) signed_by = "&mdash;";
    std::string hash = text(rec->r, "hash");
    h.row({"#" + std::to_string(rec->seq()), esc(text(rec->r, "actor")),
           esc(occurred(g, *rec)) + late_flag(*rec), esc(g.clock.when(text(rec->r, "recordedAt"))),
           esc(meaning(*rec)) + (rec->corrected() ? " " + changed_flag(g, *rec) : ""), signed_by,
           "<span class=\"mono\">" + esc(hash.substr(0, 16)) + "&hellip;</span>"},
          rec->corrected() ? "changed" : nullptr);
  }
  h.raw("</table>\n");
}

}  // namespace

std::string batch_record_html(const std::string& wo, const Fetch& fetch,
                              const std::string& generated_at) {
  if (wo.empty()) throw ReportError("invalid_argument", "give the work order (--wo)", "wo");
  const Gathered g = gather(wo, fetch);
  Html h;
  h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Batch record ")
      .text(wo)
      .raw("</title>\n<style>")
      .raw(kStyle)
      .raw("</style></head><body>\n");
  header(h, g, generated_at);
  steps(h, g);
  training(h, g);
  equipment(h, g);
  materials(h, g);
  yields(h, g);
  readings(h, g);
  inspections(h, g);
  exceptions(h, g);
  deviations(h, g);
  corrections(h, g);
  signatures(h, g);
  h.raw("<footer>This record reflects the ledger through record #")
      .text(number(g.head, "seq"))
      .raw(" (head hash <span class=\"mono\">")
      .text(text(g.head, "hash"))
      .raw(
          "</span>). Anyone holding a signed checkpoint can check that no record behind it was "
          "changed, removed or reordered with <span class=\"mono\">custody verify</span>.")
      .raw("</footer>\n</body></html>\n");
  return std::move(h.str());
}

}  // namespace custody::reports
