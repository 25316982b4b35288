// `custody serve` end to end: a real server on 127.0.0.1, real HTTP over sockets, tokens made
// by the real CLI, and the ledger checked afterwards with the CLI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <future>
#include <set>
#include <thread>
#include <tuple>

#include "custody/common/clock.h"
#include "custody/common/encoding.h"
#include "custody/common/percent.h"
#include "custody/crypto/merkle_proof.h"
#include "custody/ledger/checkpoint.h"
#include "server/server_support.h"
#include "support/enterprise_fixture.h"
#include "support/test_support.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::vector<std::string> kRoles = {"operator",    "supervisor", "qa",    "planner",
                                         "maintenance", "auditor",    "admin", "integration"};

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

std::string note(const std::string& id, const std::string& text,
                 const std::string& actor_field = "") {
  return R"({"type":"note.add","commandId":")" + id + "\"" + actor_field +
         R"(,"data":{"subject":"line-1","text":")" + text + R"("}})";
}

class Serve : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(run_custody({"init", dir().string()}).exit_code, 0); }

  [[nodiscard]] fs::path dir() const { return tmp_ / "ledger"; }

  // A token for `role` named "<role>-1", made with the CLI before the server starts.
  std::string token(const std::string& role, const std::vector<std::string>& only = {}) {
    const std::string id = role + "-" + std::to_string(tokens_.size() + 1);
    std::vector<std::string> args = {"token", "create", dir().string(), "--id", id, "--role", role};
    for (const auto& t : only) {
      args.push_back("--command");
      args.push_back(t);
    }
    auto r = run_custody(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto v = json::parse(r.out);
    const std::string secret = str(v.at("token"));
    tokens_[id] = secret;
    id_of_[secret] = id;
    return secret;
  }

  // POST /v1/commands of {type, data} as `who`, with a command id of its own.
  HttpResponse post_command(const std::string& type, const std::string& data,
                            const std::string& who) {
    return client_->request("POST", "/v1/commands",
                            R"({"type":")" + type + R"(","commandId":"pc-)" +
                                std::to_string(++commands_) + R"(","data":)" + data + "}",
                            who);
  }

  // post_command of each {type, data} in turn as `who`, each to be accepted; call under
  // ASSERT_NO_FATAL_FAILURE.
  void post_all(const std::vector<std::pair<std::string, std::string>>& commands,
                const std::string& who) {
    for (const auto& [type, data] : commands) {
      auto r = post_command(type, data, who);
      ASSERT_EQ(r.status, 200) << type << " " << r.body;
    }
  }

  // Every command submitted before this one is durable once it is answered (the sequencer
  // takes commands in order), custody's own access records included.
  void sync(const std::string& operator_token) {
    static int n = 0;
    auto r = client_->request("POST", "/v1/commands", note("sync-" + std::to_string(++n), "sync"),
                              operator_token);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  void start(std::vector<std::string> args = {}) {
    server_ = std::make_unique<ServeProcess>(dir(), std::move(args));
    ASSERT_TRUE(server_->started());
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  // The records of a stream, as the auditor token reads them.
  json::array log(const std::string& auditor, const std::string& stream) {
    auto r = client_->request("GET", "/v1/log?stream=" + stream + "&limit=1000", "", auditor);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("records").as_array();
  }

  // Two generated plant days (lots received, produced, shipped, some on hold) appended before
  // the server starts; their NDJSON, or empty (with a failure) when that did not work. They
  // are the two days before today (UTC), so that no lot of theirs is past its use-by yet: the
  // server would otherwise record the expiries on its first clock tick, while a test runs.
  std::string append_plant() {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const std::string start = format_rfc3339(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 (today - std::chrono::days(2)).time_since_epoch())
                                                 .count());
    auto plant = run_custody({"gen", "plant", "--days", "2", "--seed", "5", "--start", start});
    EXPECT_EQ(plant.exit_code, 0) << plant.err;
    std::ofstream(tmp_.path() / "plant.ndjson") << plant.out;
    testing::import_history(dir());
    auto r = run_custody({"append", dir().string(), (tmp_.path() / "plant.ndjson").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return plant.exit_code == 0 && r.exit_code == 0 ? plant.out : std::string();
  }

  // The data of the first command of `type` in a plant's NDJSON (empty, with a failure, when
  // it has none).
  static json::object first_data(const std::string& plant, const std::string& type) {
    const auto at = plant.find("\"" + type + "\"");
    EXPECT_NE(at, std::string::npos) << "the plant has no " << type;
    if (at == std::string::npos) return {};
    const auto begin = plant.rfind('\n', at) + 1;  // npos + 1: the first line
    return json::parse(plant.substr(begin, plant.find('\n', at) - begin)).at("data").as_object();
  }

  // One unlabelled sample of /metrics, read with `token` (-1, with a failure, when missing).
  long long metric(const std::string& name, const std::string& token) {
    auto m = client_->request("GET", "/metrics", "", token);
    EXPECT_EQ(m.status, 200) << m.body;
    const auto at = m.body.find("\n" + name + " ");
    if (at == std::string::npos) {
      ADD_FAILURE() << name << " missing in " << m.body;
      return -1;
    }
    return std::stoll(m.body.substr(at + name.size() + 2));
  }

  std::uint64_t head(const std::string& auditor) {
    auto r = client_->request("GET", "/v1/checkpoint", "", auditor);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("head").to_number<std::uint64_t>();
  }

  TempDir tmp_;
  std::map<std::string, std::string> tokens_;  // id -> secret
  int commands_ = 0;                           // post_command ids
  std::map<std::string, std::string> id_of_;   // secret -> id
  std::unique_ptr<ServeProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(Serve, HealthNeedsNoCredentialsAndEverythingElseDoes) {
  const std::string auditor = token("auditor");
  start();
  auto h = client_->request("GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json().at("status"), "serving");

  for (const std::string target : {"/v1/whoami", "/v1/log", "/metrics", "/v1/lots/L1"}) {
    auto r = client_->request("GET", target);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(code_of(r), "unauthenticated") << r.body;
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer realm=\"custody\"");
  }
  // A made-up token, a token with its secret changed, another scheme: all 401, all counted.
  std::string forged = auditor;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", forged).status, 401);
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", "cty_nobody_" + std::string(43, 'x')).status,
            401);
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", "", {"Authorization: Basic YWRtaW46YWRtaW4="})
                .status,
            401);
  auto me = client_->request("GET", "/v1/whoami", "", auditor);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("actor"), "token:auditor-1");
  auto metrics = client_->request("GET", "/metrics", "", auditor);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("custody_failed_logins_total 3"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("custody_commit_latency_seconds_bucket{le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("custody_open_connections 1"), std::string::npos);
  EXPECT_EQ(client_->request("GET", "/v1/nothing-here", "", auditor).status, 404);
}

TEST_F(Serve, ACommandIsRecordedAsItsAuthenticatedPrincipalAndBadOnesWriteNothing) {
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  start();
  auto ok = client_->request("POST", "/v1/commands", note("n1", "first"), op);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().at("ok"), true);
  const auto seq = ok.json().at("seq").to_number<std::uint64_t>();
  auto rec = client_->request("GET", "/v1/records/" + std::to_string(seq), "", auditor);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(rec.json().at("record").at("actor"), "token:operator-1");
  // Naming yourself is fine; a retry is a duplicate.
  auto same = client_->request("POST", "/v1/commands",
                               note("n2", "second", R"(,"actor":"token:operator-1")"), op);
  EXPECT_EQ(same.status, 200) << same.body;
  auto retry = client_->request("POST", "/v1/commands", note("n1", "first"), op);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.json().at("duplicate"), true);
  const std::uint64_t before = head(auditor);
  const std::string three_days_ago =
      format_rfc3339(SystemClock().now() - 3LL * 86'400 * 1'000'000'000LL);

  struct Bad {
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Bad> bad = {
      {note("n3", "as the boss", R"(,"actor":"user:boss")"), 403, "permission_denied"},
      {note("escalate:1", "reserved id"), 400, "reserved"},
      {note("epcis:0f", "an EPCIS import's id"), 400, "reserved"},
      {R"({"type":"note.add","commandId":"n4","data":{"subject":"s","text":"t"})", 400,
       "invalid_argument"},
      {R"({"type":"note.add","commandId":"n5","data":{"subject":"s"}})", 400, "invalid_argument"},
      {R"({"type":"no.such","commandId":"n6","data":{}})", 400, "invalid_argument"},
      {note("n1", "changed text under a used id"), 409, "idempotency_conflict"},
      {R"({"type":"lot.hold","commandId":"n7","data":{"lot":"nowhere","reason":"r"}})", 422,
       "not_found"},
      // Three days after the fact, with no reason: a late entry.
      {note("n8", "typed in late", R"(,"occurredAt":")" + three_days_ago + "\""), 422,
       "late_entry"},
      {note("n9", "blank reason", R"(,"occurredAt":")" + three_days_ago + R"(","lateReason":"  ")"),
       400, "invalid_argument"},
  };
  for (const auto& b : bad) {
    auto r = client_->request("POST", "/v1/commands", b.body, op);
    EXPECT_EQ(r.status, b.status) << b.body << " -> " << r.body;
    EXPECT_EQ(code_of(r), b.code) << r.body;
    EXPECT_FALSE(r.json().at("error").at("message").as_string().empty());
  }
  // The impersonation attempt is the one thing written: custody's own access record.
  EXPECT_EQ(head(auditor), before + 1);
  auto denied = log(auditor, "access:token:operator-1");
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].at("actor"), "system");
  EXPECT_EQ(denied[0].at("payload").at("action"), "submit as another actor");
  EXPECT_NE(str(denied[0].at("payload").at("from")).find("127.0.0.1:"), std::string::npos);

  // With its reason the late entry is taken, and the reason is recorded after it.
  auto late = client_->request("POST", "/v1/commands",
                               note("n10", "typed in late",
                                    R"(,"occurredAt":")" + three_days_ago +
                                        R"(","lateReason":"paper log from the night shift")"),
                               op);
  ASSERT_EQ(late.status, 200) << late.body;
  EXPECT_EQ(late.json().at("records"), 2);
  auto notes = log(auditor, "note:line-1");
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes.back().at("type"), "record.entered_late");
  EXPECT_EQ(notes.back().at("payload").at("reason"), "paper log from the night shift");
  EXPECT_EQ(notes.back().at("payload").at("byAge"), true);
}

// The role table of docs/security.md, as a reader of the docs sees it: command or read ->
// the roles with a mark in their column.
std::map<std::string, std::set<std::string>> documented_authority() {
  std::ifstream in(fs::path(CUSTODY_SOURCE_DIR) / "docs" / "security.md");
  std::string line;
  bool inside = false;
  std::vector<std::string> columns;
  std::map<std::string, std::set<std::string>> table;
  while (std::getline(in, line)) {
    if (line.find("<!-- authority: begin -->") != std::string::npos) inside = true;
    if (line.find("<!-- authority: end -->") != std::string::npos) break;
    if (!inside || !line.starts_with("|")) continue;
    std::vector<std::string> cells;
    std::size_t at = 1;
    while (at < line.size()) {
      const auto bar = line.find('|', at);
      if (bar == std::string::npos) break;
      std::string cell = line.substr(at, bar - at);
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      cells.push_back(cell);
      at = bar + 1;
    }
    if (columns.empty()) {
      columns = cells;
      continue;
    }
    if (cells.empty() || cells[0].starts_with("---")) continue;
    std::string what = cells[0];
    std::erase(what, '`');
    auto& roles = table[what];
    for (std::size_t c = 1; c < cells.size() && c < columns.size(); ++c) {
      if (!cells[c].empty()) roles.insert(columns[c]);
    }
  }
  return table;
}

TEST_F(Serve, EveryCellOfTheDocumentedAuthorityTableHolds) {
  const auto table = documented_authority();
  std::map<std::string, std::string> by_role;
  for (const auto& role : kRoles) by_role[role] = token(role);
  const std::string auditor = by_role["auditor"];
  auto types = json::parse(run_custody({"types", "--format", "json"}).out);
  start();

  std::size_t cells = 0, denied_cells = 0;
  for (const auto& c : types.at("commands").as_array()) {
    const std::string type = str(c.at("type"));
    ASSERT_TRUE(table.contains(type)) << type << " is missing from docs/security.md";
    for (const auto& role : kRoles) {
      const bool allowed = table.at(type).contains(role);
      // An empty body: whoever may submit the type is told what is wrong with it; whoever
      // may not learns only that.
      auto r = client_->request(
          "POST", "/v1/commands",
          R"({"type":")" + type + R"(","commandId":"cell-)" + role + "-" + type + R"(","data":{}})",
          by_role[role]);
      ++cells;
      if (allowed) {
        EXPECT_NE(r.status, 403) << role << " " << type << ": " << r.body;
      } else {
        ++denied_cells;
        EXPECT_EQ(r.status, 403) << role << " " << type << ": " << r.body;
        EXPECT_EQ(code_of(r), "permission_denied") << r.body;
      }
    }
  }
  const std::vector<std::pair<std::string, std::string>> reads = {
      {"read: state", "/v1/boards/exceptions"},
      {"read: log", "/v1/log?limit=1"},
      {"read: audit", "/v1/checkpoint"},
      {"read: identity", "/v1/tokens"},
      {"read: metrics", "/metrics"},
      {"read: pay", "/v1/pay?from=2026-01-01&to=2026-02-01"},
      {"read: enterprise", "/v1/enterprise/sites"}};
  for (const auto& [what, target] : reads) {
    ASSERT_TRUE(table.contains(what)) << what << " is missing from docs/security.md";
    for (const auto& role : kRoles) {
      auto r = client_->request("GET", target, "", by_role[role]);
      ++cells;
      if (table.at(what).contains(role)) {
        EXPECT_EQ(r.status, 200) << role << " " << target << ": " << r.body;
      } else {
        ++denied_cells;
        EXPECT_EQ(r.status, 403) << role << " " << target << ": " << r.body;
      }
    }
  }
  EXPECT_EQ(table.size(), types.at("commands").as_array().size() + reads.size())
      << "docs/security.md lists something custody does not have";

  // Each denial is a record naming who, what and from where.
  sync(by_role["operator"]);
  std::size_t recorded = 0;
  for (const auto& role : kRoles) {
    recorded += log(auditor, "access:token:" + id_of_[by_role[role]]).size();
  }
  EXPECT_EQ(recorded, denied_cells);
  EXPECT_GT(cells, 300u);
}

TEST_F(Serve, TheEnterpriseRecallCrossesSitesForTheRecallTeamOnly) {
  const std::string qa = token("qa");
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  const fs::path ent = make_enterprise(tmp_.path() / "ent");
  start({"--enterprise", ent.string()});
  EXPECT_NE(server_->first_line().find("\"enterpriseSites\":2"), std::string::npos)
      << server_->first_line();

  auto sites = client_->request("GET", "/v1/enterprise/sites", "", qa);
  ASSERT_EQ(sites.status, 200) << sites.body;
  EXPECT_EQ(sites.json().at("configured"), true);
  ASSERT_EQ(sites.json().at("sites").as_array().size(), 2u);
  EXPECT_EQ(sites.json().at("sites").as_array()[1].at("site"), "plant-b");

  auto r = client_->request("GET", "/v1/enterprise/recall?site=plant-a&lot=R-1", "", qa);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto doc = r.json().as_object();
  EXPECT_EQ(doc.at("summary").at("sitesReached"), 2);
  ASSERT_EQ(doc.at("edges").as_array().size(), 1u);
  const auto& edge = doc.at("edges").as_array()[0];
  EXPECT_EQ(edge.at("fromLot"), "S-1");
  EXPECT_EQ(edge.at("toSite"), "plant-b");
  EXPECT_EQ(edge.at("toLot"), "B-IN-1");
  EXPECT_EQ(edge.at("basis"), "sscc");
  const auto& b = doc.at("sites").as_array()[1].at("recall").as_object();
  EXPECT_EQ(b.at("summary").at("lots"), 2);  // B-IN-1 and K-1
  EXPECT_EQ(b.at("customers").as_array()[0].at("customer"), "shop-9");

  // The trace, from the sites' graphs the server keeps: forward into plant-b, and back.
  auto t = client_->request("GET", "/v1/enterprise/trace?site=plant-a&lot=R-1", "", qa);
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.json().at("fromGraphs"), true);
  EXPECT_EQ(t.json().at("direction"), "forward");
  EXPECT_EQ(t.json().at("summary").at("sitesReached"), 2);
  ASSERT_EQ(t.json().at("links").as_array().size(), 1u);
  EXPECT_EQ(t.json().at("links").as_array()[0].at("toLot"), "B-IN-1");
  auto back = client_->request(
      "GET", "/v1/enterprise/trace?site=plant-b&lot=K-1&direction=backward", "", qa);
  ASSERT_EQ(back.status, 200) << back.body;
  std::set<std::string> upstream;
  const auto back_doc = back.json();
  for (const auto& l : back_doc.at("lots").as_array()) {
    upstream.insert(std::string(l.at("site").as_string()) + " " +
                    std::string(l.at("lot").as_string()));
  }
  EXPECT_TRUE(upstream.contains("plant-a R-1")) << back.body;
  EXPECT_TRUE(upstream.contains("plant-b B-IN-1")) << back.body;

  // The floor does not read other sites' customers; the refusal is on the record.
  const auto before = head(auditor);
  auto denied = client_->request("GET", "/v1/enterprise/recall?site=plant-a&lot=R-1", "", op);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(code_of(denied), "permission_denied");
  auto denied_trace = client_->request("GET", "/v1/enterprise/trace?site=plant-a&lot=R-1", "", op);
  EXPECT_EQ(denied_trace.status, 403);
  EXPECT_EQ(code_of(denied_trace), "permission_denied");
  // Bad input: each named, nothing written.
  for (const auto& [target, status, code, field] :
       std::vector<std::tuple<std::string, int, std::string, std::string>>{
           {"/v1/enterprise/recall?lot=R-1", 400, "invalid_argument", "site"},
           {"/v1/enterprise/recall?site=plant-a", 400, "invalid_argument", "lot"},
           {"/v1/enterprise/recall?site=plant-z&lot=R-1", 404, "not_found", "site"},
           {"/v1/enterprise/recall?site=plant-b&lot=R-1", 404, "not_found", "lot"},
           {"/v1/enterprise/trace?site=plant-a", 400, "invalid_argument", "lot"},
           {"/v1/enterprise/trace?site=plant-a&lot=R-1&direction=up", 400, "invalid_argument",
            "direction"},
           {"/v1/enterprise/trace?site=plant-z&lot=R-1", 404, "not_found", "site"},
           {"/v1/enterprise/trace?site=plant-b&lot=R-1", 404, "not_found", "lot"}}) {
    auto bad = client_->request("GET", target, "", qa);
    EXPECT_EQ(bad.status, status) << target << ": " << bad.body;
    EXPECT_EQ(code_of(bad), code) << bad.body;
    EXPECT_EQ(bad.json().at("error").at("field"), json::value(field)) << bad.body;
  }
  auto post = client_->request("POST", "/v1/enterprise/recall?site=plant-a&lot=R-1", "{}", qa);
  EXPECT_EQ(post.status, 405);
  // The site graphs and their crossings on /metrics.
  auto m = client_->request("GET", "/metrics", "", auditor);
  ASSERT_EQ(m.status, 200) << m.body;
  for (const char* gauge : {"custody_enterprise_graph_lots", "custody_enterprise_graph_edges",
                            "custody_enterprise_graph_bytes", "custody_enterprise_lot_table_lots",
                            "custody_enterprise_crossings"}) {
    const auto at = m.body.find("\n" + std::string(gauge) + " ");
    ASSERT_NE(at, std::string::npos) << gauge << " missing in " << m.body;
    EXPECT_GT(std::stoll(m.body.substr(at + std::strlen(gauge) + 2)), 0) << gauge;
  }
  sync(op);
  EXPECT_EQ(head(auditor), before + 2) << "only the denial and the sync were written";
}

TEST_F(Serve, WithoutAnEnterpriseTheRecallIsNotFoundAndABadOneDoesNotStart) {
  const std::string qa = token("qa");
  auto bad = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0", "--enterprise",
                          (tmp_.path() / "nowhere").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("not_found"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir() / "server"));
  // A bad setting is named by its path in enterprise.json.
  fs::create_directories(tmp_.path() / "bad-ent");
  std::ofstream(tmp_.path() / "bad-ent" / "enterprise.json")
      << R"({"sites": [{"site": "plant-a", "gln": "123"}]})";
  auto bad_setting = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0",
                                  "--enterprise", (tmp_.path() / "bad-ent").string()});
  EXPECT_EQ(bad_setting.exit_code, 2);
  EXPECT_NE(bad_setting.err.find("(field enterprise.sites[0].gln)"), std::string::npos)
      << bad_setting.err;
  EXPECT_FALSE(fs::exists(dir() / "server"));
  start();
  auto sites = client_->request("GET", "/v1/enterprise/sites", "", qa);
  ASSERT_EQ(sites.status, 200);
  EXPECT_EQ(sites.json().at("configured"), false);
  auto r = client_->request("GET", "/v1/enterprise/recall?site=a&lot=b", "", qa);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().at("error").at("field"), "enterprise");
}

TEST_F(Serve, ARepeatedDenialIsRecordedOnceAWindow) {
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  start();
  for (int i = 0; i < 50; ++i) {
    auto r = client_->request(
        "POST", "/v1/commands",
        R"({"type":"lot.release","commandId":"r)" + std::to_string(i) + R"(","data":{"lot":"L"}})",
        op);
    EXPECT_EQ(r.status, 403);
  }
  sync(op);
  auto denied = log(auditor, "access:token:operator-1");
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].at("payload").at("action"), "submit lot.release");
  EXPECT_EQ(denied[0].at("payload").at("capability"), "role: qa");
  auto metrics = client_->request("GET", "/metrics", "", auditor);
  EXPECT_NE(metrics.body.find("custody_permission_denied_total 50"), std::string::npos);
}

TEST_F(Serve, ATokenScopedToCommandTypesCanSubmitOnlyThose) {
  const std::string scanner = token("operator", {"note.add"});
  start();
  EXPECT_EQ(client_->request("POST", "/v1/commands", note("s1", "ok"), scanner).status, 200);
  auto r = client_->request(
      "POST", "/v1/commands",
      R"({"type":"lot.hold","commandId":"s2","data":{"lot":"L","reason":"r"}})", scanner);
  EXPECT_EQ(r.status, 403) << r.body;
}

TEST_F(Serve, ARevokedTokenStopsWorkingAtOnce) {
  const std::string admin = token("admin");
  const std::string op = token("operator");
  start();
  EXPECT_EQ(client_->request("POST", "/v1/commands", note("a1", "before"), op).status, 200);
  // The token's record, read for the first request, serves the next ones while what commits
  // changes no user or token. The revocation does, and the next request reads it again.
  ASSERT_EQ(client_->request("GET", "/v1/whoami", "", op).status, 200);
  ASSERT_EQ(client_->request("GET", "/v1/whoami", "", op).status, 200);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(
        client_->request("POST", "/v1/commands", note("b" + std::to_string(i), "more"), op).status,
        200);
  }
  auto revoke = client_->request(
      "POST", "/v1/commands",
      R"({"type":"token.revoke","commandId":"rv1","data":{"token":"operator-2","reason":"lost"}})",
      admin);
  ASSERT_EQ(revoke.status, 200) << revoke.body;
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", op).status, 401);
  auto after = client_->request("POST", "/v1/commands", note("a2", "after"), op);
  EXPECT_EQ(after.status, 401) << after.body;
  // An admin manages people and tokens, not production data.
  EXPECT_EQ(client_->request("POST", "/v1/commands", note("a3", "admin note"), admin).status, 403);
}

TEST_F(Serve, ABatchAnswersEveryLineInOrder) {
  const std::string op = token("operator");
  start();
  std::string body;
  for (int i = 0; i < 200; ++i) body += note("b" + std::to_string(i), "line") + "\n";
  body += R"({"type":"lot.release","commandId":"bx","data":{"lot":"L"}})"
          "\n";
  body += "{not json\n";
  body += "\n";  // blank lines are skipped
  body += note("b0", "changed") + "\n";
  auto r = client_->request("POST", "/v1/commands:batch", body, op);
  ASSERT_EQ(r.status, 200);
  const auto results = lines(r.body);
  ASSERT_EQ(results.size(), 203u);
  std::uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    auto v = json::parse(results[static_cast<std::size_t>(i)]);
    ASSERT_EQ(v.at("ok"), true) << results[static_cast<std::size_t>(i)];
    EXPECT_EQ(str(v.at("commandId")), "b" + std::to_string(i));
    const auto seq = v.at("seq").to_number<std::uint64_t>();
    EXPECT_GT(seq, last);
    last = seq;
  }
  EXPECT_EQ(json::parse(results[200]).at("error").at("code"), "permission_denied");
  EXPECT_EQ(json::parse(results[201]).at("error").at("code"), "invalid_argument");
  EXPECT_EQ(json::parse(results[202]).at("error").at("code"), "idempotency_conflict");
}

TEST_F(Serve, MalformedOversizedAndSlowRequestsAreCutOffAndServingGoesOn) {
  const std::string op = token("operator");
  start({"--request-timeout", "0.5"});
  {
    HttpClient c(server_->port());
    auto r = c.raw("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(c.closed_by_server(std::chrono::seconds(2)));
  }
  {
    HttpClient c(server_->port());
    const std::string big(2 << 20, 'x');
    auto r = c.raw("POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + op +
                   "\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n" + big);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(code_of(r), "out_of_range");
  }
  {
    HttpClient c(server_->port());
    auto r = c.raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(64 << 10, 'y') +
                   "\r\n\r\n");
    EXPECT_EQ(r.status, 413);
  }
  {
    // Found by fuzz_http: a path with bytes that are not UTF-8 was echoed into the 404's
    // JSON as they were, and the document did not parse.
    HttpClient c(server_->port());
    auto r = c.raw(
        "GET /v1/comm\xff\xfe"
        "ands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        op + "\r\n\r\n");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(code_of(r), "not_found") << r.body;
    EXPECT_NE(r.body.find("/v1/comm\\ufffd\\ufffdands"), std::string::npos) << r.body;
  }
  {
    // Slowloris: half a header, then nothing.
    HttpClient c(server_->port());
    c.send_only("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    EXPECT_TRUE(c.closed_by_server(std::chrono::seconds(5)));
  }
  EXPECT_EQ(client_->request("GET", "/healthz").status, 200);
  EXPECT_EQ(client_->request("POST", "/v1/commands", note("after", "still here"), op).status, 200);
}

TEST_F(Serve, RequestsSentTogetherAreAnsweredInOrderAndABodyMayFollowItsHeader) {
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  start({"--request-timeout", "2"});
  auto post = [&](const std::string& body) {
    return "POST /v1/commands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + op +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  {
    // Three requests in one packet: three answers, in the order asked.
    HttpClient c(server_->port());
    auto first = c.raw(post(note("pipe-1", "one")) + post(note("pipe-2", "two")) +
                       post(note("pipe-3", "three")));
    auto second = c.raw("");
    auto third = c.raw("");
    ASSERT_EQ(first.status, 200) << first.body;
    ASSERT_EQ(second.status, 200) << second.body;
    ASSERT_EQ(third.status, 200) << third.body;
    EXPECT_NE(first.body.find("pipe-1"), std::string::npos) << first.body;
    EXPECT_NE(second.body.find("pipe-2"), std::string::npos) << second.body;
    EXPECT_NE(third.body.find("pipe-3"), std::string::npos) << third.body;
    EXPECT_LT(first.json().at("seq").as_int64(), second.json().at("seq").as_int64());
    EXPECT_LT(second.json().at("seq").as_int64(), third.json().at("seq").as_int64());
  }
  {
    // The header, then the body a moment later.
    HttpClient c(server_->port());
    const std::string whole = post(note("late-body", "after a pause"));
    const auto split = whole.find("\r\n\r\n") + 4;
    c.send_only(whole.substr(0, split));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto r = c.finish(whole.substr(split));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("late-body"), std::string::npos) << r.body;
  }
  {
    // A good request and a malformed one together: the answer, then 400 and a closed
    // connection; nothing of the second is written.
    HttpClient c(server_->port());
    auto good = c.raw(post(note("before-bad", "fine")) + "NOT HTTP AT ALL\r\n\r\n");
    auto bad = c.raw("");
    EXPECT_EQ(good.status, 200) << good.body;
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_TRUE(c.closed_by_server(std::chrono::seconds(2)));
  }
  const std::string notes = json::serialize(log(auditor, "note:line-1"));
  for (const char* id : {"pipe-1", "pipe-2", "pipe-3", "late-body", "before-bad"}) {
    EXPECT_NE(notes.find(id), std::string::npos) << id;
  }
}

// Bytes as the server sends them, until it closes the connection or `timeout` passes
// (`closed` says which).
std::string raw_answer(int port, const std::string& request, std::chrono::milliseconds pause,
                       bool* closed = nullptr,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const int fd = dial_loopback(port);
  if (fd < 0) return "";
  (void)!::write(fd, request.data(), request.size());
  std::this_thread::sleep_for(pause);  // the answer waits in the socket's buffers meanwhile
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[1 << 16];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  if (closed != nullptr) *closed = n == 0;
  ::close(fd);
  return out;
}

TEST_F(Serve, AnswersAreWholeHttpWithTheirFieldsOnceAndAsTheVersionAsks) {
  start();
  // HTTP/1.0 closes unless asked to keep the connection; HTTP/1.1 keeps it unless told.
  bool closed = false;
  const std::string plain =
      raw_answer(server_->port(), "GET /healthz HTTP/1.0\r\n\r\n", std::chrono::milliseconds(0),
                 &closed, std::chrono::seconds(2));
  EXPECT_TRUE(closed) << "an HTTP/1.0 answer without keep-alive must close the connection";
  EXPECT_TRUE(plain.starts_with("HTTP/1.0 200 OK\r\n")) << plain;
  EXPECT_EQ(plain.find("Connection:"), std::string::npos) << plain;
  EXPECT_TRUE(plain.ends_with("\r\n\r\n{\"ok\":true,\"status\":\"serving\"}")) << plain;
  {
    HttpClient c(server_->port());
    auto kept = c.raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(kept.status, 200);
    EXPECT_EQ(kept.headers["connection"], "keep-alive");
    EXPECT_FALSE(c.closed_by_server(std::chrono::milliseconds(300)));
  }
  closed = false;
  const std::string closing =
      raw_answer(server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                 std::chrono::milliseconds(0), &closed, std::chrono::seconds(2));
  EXPECT_TRUE(closed) << "Connection: close must close the connection";
  EXPECT_NE(closing.find("\r\nConnection: close\r\n"), std::string::npos) << closing;

  // A field the answer sets itself replaces the server's default, never doubles it.
  const std::string page =
      raw_answer(server_->port(), "GET /ui/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                 std::chrono::milliseconds(0));
  const std::string head = page.substr(0, page.find("\r\n\r\n") + 2);
  EXPECT_NE(head.find("\r\nCache-Control: no-cache\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("no-store"), std::string::npos) << head;
  auto count = [&](std::string_view name) {
    std::size_t n = 0;
    for (auto at = head.find(name); at != std::string::npos; at = head.find(name, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\r\nX-Content-Type-Options:"), 1u) << head;
  EXPECT_EQ(count("\r\nContent-Length:"), 1u) << head;

  // An answer larger than the socket takes at once (the OpenAPI document), to a client that
  // reads only later: it arrives whole, and the connection then answers the next request.
  std::ifstream in(CUSTODY_OPENAPI_FILE, std::ios::binary);
  const std::string document((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  ASSERT_GT(document.size(), 200'000u);
  const std::string two =
      "GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string both = raw_answer(server_->port(), two, std::chrono::milliseconds(400));
  const auto body_at = both.find("\r\n\r\n") + 4;
  ASSERT_GE(both.size(), body_at + document.size()) << both.substr(0, 300);
  EXPECT_EQ(both.compare(body_at, document.size(), document), 0);
  const std::string rest = both.substr(body_at + document.size());
  EXPECT_TRUE(rest.starts_with("HTTP/1.1 200 OK\r\n")) << rest;
  EXPECT_TRUE(rest.ends_with("{\"ok\":true,\"status\":\"serving\"}")) << rest;
}

TEST_F(Serve, CliReadsWorkWhileItServesAndWritesAreSentToIt) {
  const std::string op = token("operator");
  start();
  ASSERT_EQ(client_->request("POST", "/v1/commands", note("c1", "hello"), op).status, 200);
  auto log_out = run_custody({"log", dir().string()});
  EXPECT_EQ(log_out.exit_code, 0) << log_out.err;
  EXPECT_NE(log_out.out.find("\"c1\""), std::string::npos);
  EXPECT_EQ(run_custody({"verify", dir().string()}).exit_code, 0);
  auto write = run_custody({"append", dir().string()}, note("c2", "x", R"(,"actor":"user:a")"));
  EXPECT_EQ(write.exit_code, 2);
  EXPECT_NE(write.err.find(server_->url()), std::string::npos) << write.err;
}

TEST_F(Serve, AppendSendsCommandsToTheServerWithItsToken) {
  const std::string op = token("operator");
  start();
  const fs::path token_file = tmp_ / "token";
  std::ofstream(token_file) << op << "\n";
  std::string input;
  for (int i = 0; i < 12000; ++i) input += note("r" + std::to_string(i), "remote") + "\n";
  input += R"({"type":"lot.hold","commandId":"rh","data":{"lot":"nowhere","reason":"r"}})"
           "\n";
  auto r = run_custody({"append", "--server", server_->url(), "--token-file", token_file.string()},
                       input);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // one command was refused for what it said
  const auto results = lines(r.out);
  ASSERT_EQ(results.size(), 12001u);
  EXPECT_EQ(json::parse(results[11999]).at("commandId"), "r11999");
  EXPECT_EQ(json::parse(results[12000]).at("error").at("code"), "not_found");
  // Its records are the token's.
  auto log_out = run_custody({"log", dir().string(), "--stream", "note:line-1", "--limit", "1"});
  EXPECT_NE(log_out.out.find("token:operator-1"), std::string::npos) << log_out.out;

  auto no_token = run_custody({"append", "--server", server_->url()}, note("x1", "x"));
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_NE(no_token.err.find("--token-file"), std::string::npos) << no_token.err;
  const fs::path bad = tmp_ / "bad";
  std::ofstream(bad) << "cty_operator-1_" << std::string(43, 'A') << "\n";
  auto refused = run_custody({"append", "--server", server_->url(), "--token-file", bad.string()},
                             note("x2", "x"));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("401"), std::string::npos) << refused.err;
  auto both = run_custody({"append", "--server", server_->url(), "--token-file",
                           token_file.string(), dir().string(), "file.ndjson"});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("only FILE"), std::string::npos) << both.err;
  auto nowhere =
      run_custody({"append", "--server", "http://127.0.0.1:1", "--token-file", token_file.string()},
                  note("x3", "x"));
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_NE(nowhere.err.find("unavailable"), std::string::npos) << nowhere.err;
}

// The server keeps the genealogy graph in memory and says so in /metrics; its clean stop
// saves the graph, and the next start reads it from the file instead of the family.
TEST_F(Serve, TheGenealogyGraphIsSavedAtAStopAndReadAtTheNextStart) {
  const std::string auditor = token("auditor");
  ASSERT_FALSE(append_plant().empty());
  auto gauge = [&](const std::string& name) {
    return metric(name, auditor);
  };
  start();
  const long long lots = gauge("custody_genealogy_graph_lots");
  const long long edges = gauge("custody_genealogy_graph_edges");
  EXPECT_GT(lots, 0);
  EXPECT_GT(edges, 0);
  EXPECT_GT(gauge("custody_genealogy_graph_bytes"), 0);
  EXPECT_EQ(gauge("custody_genealogy_graph_from_saved"), 0);
  const long long table = gauge("custody_genealogy_lot_table_lots");
  EXPECT_GT(table, 0);
  EXPECT_FALSE(std::filesystem::exists(dir() / "genealogy.graph"));
  EXPECT_EQ(server_->stop(SIGTERM).code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir() / "genealogy.graph"));
  start();
  EXPECT_EQ(gauge("custody_genealogy_graph_from_saved"), 1);
  EXPECT_EQ(gauge("custody_genealogy_graph_lots"), lots);
  EXPECT_EQ(gauge("custody_genealogy_graph_edges"), edges);
  EXPECT_EQ(gauge("custody_genealogy_lot_table_lots"), table);  // saved with the graph
}

// A server that is killed never reaches its close. It saved the graph while it ran (here
// with the first group after its start, then not for an hour), so the next start reads that
// file and replays only the records after it. Bad settings are refused at start, by name,
// before anything is written.
TEST_F(Serve, AKilledServerStartsFromTheGraphItSavedWhileRunning) {
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  const std::string plant = append_plant();
  ASSERT_FALSE(plant.empty());
  const fs::path config_file = dir() / "config.json";
  auto set_graph = [&](const std::string& graph) {
    std::ifstream in(config_file);
    json::object config =
        json::parse(std::string(std::istreambuf_iterator<char>(in), {})).as_object();
    config["genealogyGraph"] = json::parse(graph);
    std::ofstream(config_file) << json::serialize(config);
  };
  auto read_file = [](const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string head_file = read_file(dir() / "HEAD");
  for (const auto& [bad, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"saveEveryRecords":-1})", "config.genealogyGraph.saveEveryRecords"},
           {R"({"saveIntervalSeconds":86401})", "config.genealogyGraph.saveIntervalSeconds"},
           {R"({"saveEvery":5})", "config.genealogyGraph.saveEvery"},
           {R"(5)", "config.genealogyGraph"}}) {
    set_graph(bad);
    auto r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0"});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("(field " + field + ")"), std::string::npos) << r.err;
    EXPECT_EQ(read_file(dir() / "HEAD"), head_file) << bad;
    EXPECT_FALSE(fs::exists(dir() / "genealogy.graph"));
  }

  set_graph(R"({"saveEveryRecords":1,"saveIntervalSeconds":3600})");
  auto gauge = [&](const std::string& name) {
    return metric(name, auditor);
  };
  start();
  sync(op);  // a group after the start (besides the start's own records): marked and saved
  long long saved = 0;
  for (int i = 0; i < 500 && saved <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    saved = gauge("custody_genealogy_graph_saved_seq");
  }
  ASSERT_GT(saved, 0);
  EXPECT_TRUE(fs::exists(dir() / "genealogy.graph"));
  EXPECT_EQ(gauge("custody_genealogy_graph_save_failures_total"), 0);

  // The records after that save: a lot received and split (a new lot and edge).
  json::object receive = first_data(plant, "lot.receive");
  receive["lot"] = "TAIL-1";
  auto r =
      client_->request("POST", "/v1/commands",
                       json::serialize(json::object{
                           {"type", "lot.receive"}, {"commandId", "tail-1"}, {"data", receive}}),
                       op);
  ASSERT_EQ(r.status, 200) << r.body;
  r = client_->request(
      "POST", "/v1/commands",
      R"({"type":"lot.split","commandId":"tail-2","data":{"lot":"TAIL-1","into":[{"lot":"TAIL-2","qty":1}]}})",
      op);
  ASSERT_EQ(r.status, 200) << r.body;
  const long long lots = gauge("custody_genealogy_graph_lots");
  const long long edges = gauge("custody_genealogy_graph_edges");
  const long long table = gauge("custody_genealogy_lot_table_lots");
  EXPECT_EQ(gauge("custody_genealogy_graph_saved_seq"), saved);  // not again within the hour
  server_->stop(SIGKILL);

  start();
  EXPECT_EQ(gauge("custody_genealogy_graph_from_saved"), 1);
  EXPECT_EQ(gauge("custody_genealogy_graph_saved_seq"), saved);
  EXPECT_EQ(gauge("custody_genealogy_graph_lots"), lots);
  EXPECT_EQ(gauge("custody_genealogy_graph_edges"), edges);
  EXPECT_EQ(gauge("custody_genealogy_lot_table_lots"), table);
  auto recall = client_->request("GET", "/v1/recall?lot=TAIL-1", "", auditor);
  ASSERT_EQ(recall.status, 200) << recall.body;
  EXPECT_NE(recall.body.find("\"TAIL-2\""), std::string::npos) << recall.body;
}

TEST_F(Serve, SigtermFinishesWhatIsInFlightAndLosesNothingAcknowledged) {
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  start();
  const std::uint64_t before = head(auditor);
  std::string body;
  for (int i = 0; i < 20000; ++i) body += note("t" + std::to_string(i), "load") + "\n";
  HttpClient c(server_->port());
  c.send_only("POST /v1/commands:batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + op +
              "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  // Read the answer as a client would, while the server stops.
  auto answer = std::async(std::launch::async, [&] { return c.raw("", std::chrono::seconds(60)); });
  // Stop it once the batch is being committed.
  for (int i = 0; i < 2000 && head(auditor) == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto exit = server_->stop(SIGTERM);
  auto r = answer.get();
  EXPECT_EQ(exit.code, 0) << exit.err;
  EXPECT_NE(exit.out.find("\"stopped\":true"), std::string::npos) << exit.out;
  std::set<std::string> acknowledged;
  if (r.status == 200) {
    for (const auto& l : lines(r.body)) {
      auto v = json::parse(l);
      if (v.at("ok") == true) acknowledged.insert(str(v.at("commandId")));
    }
  }
  // The batch was answered whole: what was committed before the signal, and 503 for the rest.
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
  EXPECT_EQ(lines(r.body).size(), 20000u);
  std::cerr << acknowledged.size() << " of 20000 acknowledged before the stop\n";
  ASSERT_EQ(run_custody({"verify", dir().string()}).exit_code, 0);
  auto all = run_custody({"log", dir().string()});
  std::set<std::string> logged;
  for (const auto& l : lines(all.out)) logged.insert(str(json::parse(l).at("commandId")));
  for (const auto& id : acknowledged) EXPECT_TRUE(logged.contains(id)) << id;
  EXPECT_FALSE(fs::exists(dir() / "server"));
}

// The process is killed outright while eight clients send commands one by one: every command
// answered 200 is in the log afterwards, and the ledger verifies.
TEST_F(Serve, SigkillDuringLoadLosesNothingAcknowledged) {
  const std::string op = token("operator");
  const std::string auditor = token("auditor");
  start();
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<bool> dead{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      HttpClient c(server_->port());
      for (int i = 0; !dead.load(); ++i) {
        const std::string id = "k" + std::to_string(t) + "-" + std::to_string(i);
        auto r = c.request("POST", "/v1/commands", note(id, "load"), op);
        if (r.status == 200) {
          std::lock_guard lock(mu);
          acknowledged.insert(id);
        } else if (r.status == 0) {
          return;  // the server is gone
        }
      }
    });
  }
  for (int i = 0; i < 6000; ++i) {
    {
      std::lock_guard lock(mu);
      if (acknowledged.size() >= 400) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto exit = server_->stop(SIGKILL);
  dead = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(exit.code, 128 + SIGKILL);
  ASSERT_GE(acknowledged.size(), 400u);
  auto verified = run_custody({"verify", dir().string()});
  ASSERT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  auto all = run_custody({"log", dir().string()});
  std::set<std::string> logged;
  for (const auto& l : lines(all.out)) logged.insert(str(json::parse(l).at("commandId")));
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += logged.contains(id) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged";
  // And the ledger serves again.
  start();
  EXPECT_EQ(client_->request("POST", "/v1/commands", note("after", "back"), op).status, 200);
}

TEST_F(Serve, ServesHttpsWithItsCertificate) {
  const std::string auditor = token("auditor");
  const fs::path cert = tmp_ / "cert.pem", key = tmp_ / "key.pem";
  const std::string gen =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "-keyout " +
      key.string() + " -out " + cert.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(gen.c_str()), 0);
  add_person(dir(), tmp_.path(), "dana", "qa", "tidal granite beacon 5");
  start({"--tls-cert", cert.string(), "--tls-key", key.string()});
  EXPECT_TRUE(server_->url().starts_with("https://")) << server_->url();
  const fs::path out = tmp_ / "curl.out";
  const std::string curl = "curl -sS --max-time 10 --cacert " + cert.string() +
                           " -H 'Authorization: Bearer " + auditor + "' " + server_->url() +
                           "/v1/whoami -o " + out.string();
  ASSERT_EQ(std::system(curl.c_str()), 0);
  std::ifstream in(out);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(body.find("token:auditor-1"), std::string::npos) << body;
  // Three requests on one kept-alive TLS connection (each next one is read while the answer
  // before it is written): curl connects once.
  const fs::path connects = tmp_ / "connects";
  const std::string again = "curl -sS --max-time 10 --cacert " + cert.string() +
                            " -H 'Authorization: Bearer " + auditor + "' -o /dev/null -o " +
                            "/dev/null -o /dev/null -w '%{http_code} %{num_connects}\\n' " +
                            server_->url() + "/v1/whoami " + server_->url() + "/v1/whoami " +
                            server_->url() + "/healthz > " + connects.string();
  ASSERT_EQ(std::system(again.c_str()), 0);
  std::ifstream cin(connects);
  const std::string counted((std::istreambuf_iterator<char>(cin)),
                            std::istreambuf_iterator<char>());
  EXPECT_EQ(counted, "200 1\n200 0\n200 0\n");
  // Under TLS the session cookie is __Host- prefixed and Secure.
  const fs::path headers = tmp_ / "headers";
  const std::string signin =
      "curl -sS --max-time 10 --cacert " + cert.string() + " -D " + headers.string() +
      " -o /dev/null -d '{\"user\":\"dana\",\"password\":" + "\"tidal granite beacon 5\"}' " +
      server_->url() + "/v1/session";
  ASSERT_EQ(std::system(signin.c_str()), 0);
  std::ifstream hin(headers);
  const std::string h((std::istreambuf_iterator<char>(hin)), std::istreambuf_iterator<char>());
  EXPECT_NE(h.find("__Host-custody_session="), std::string::npos) << h;
  EXPECT_NE(h.find("; Secure"), std::string::npos) << h;
  // custody append speaks HTTPS too, trusting the given certificate.
  const fs::path token_file = tmp_ / "token";
  std::ofstream(token_file) << auditor << "\n";
  auto sent = run_custody({"append", "--server", server_->url(), "--token-file",
                           token_file.string(), "--ca-file", cert.string()},
                          note("tls-1", "over tls"));
  // An auditor may not add notes: the answer came back over TLS, and says so.
  EXPECT_EQ(sent.exit_code, 1) << sent.err;
  EXPECT_NE(sent.out.find("permission_denied"), std::string::npos) << sent.out;
  auto untrusted =
      run_custody({"append", "--server", server_->url(), "--token-file", token_file.string()},
                  note("tls-2", "x"));
  EXPECT_EQ(untrusted.exit_code, 2) << untrusted.out;
  // Plain HTTP to the TLS port gets no answer.
  auto plain = client_->raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(2));
  EXPECT_EQ(plain.status, 0);
}

TEST_F(Serve, BadServeArgumentsAreRefusedClearly) {
  auto r = run_custody({"serve", dir().string(), "--listen", "nowhere"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("HOST:PORT"), std::string::npos) << r.err;
  r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:1", "--tls-cert", "x.pem"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tls-key"), std::string::npos) << r.err;
  r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0", "--tls-cert",
                   (tmp_ / "missing.pem").string(), "--tls-key", (tmp_ / "missing.key").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot use the certificate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(field tls-cert)"), std::string::npos) << r.err;
  {
    // A port somebody else listens on.
    const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(taken, 1), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const std::string listen = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    r = run_custody({"serve", dir().string(), "--listen", listen});
    ::close(taken);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot listen on " + listen), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(field listen)"), std::string::npos) << r.err;
  }
  for (const char* option : {"--threads", "--query-threads"}) {
    r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0", option, "0"});
    EXPECT_EQ(r.exit_code, 2) << option;
    EXPECT_NE(r.err.find(std::string(option) + ": Value 0 not in range 1 to 64"), std::string::npos)
        << r.err;
  }
  // None of these refusals opened the ledger: the default signature policy is not recorded.
  EXPECT_EQ(run_custody({"log", dir().string()}).out, "") << "a refusal wrote a record";
  ASSERT_EQ(
      run_custody({"token", "create", dir().string(), "--id", "x", "--role", "operator"}).exit_code,
      0);
  fs::permissions(dir() / "credentials", fs::perms::others_read, fs::perm_options::add);
  r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
}

// Everything under `dir`, concatenated: to prove a secret is nowhere in it.
std::string all_bytes(const fs::path& dir) {
  std::string out;
  for (const auto& [name, bytes] : snapshot_files(dir)) out += bytes;
  return out;
}

TEST_F(Serve, PeopleAndTokensFromTheCliKeepTheirSecretsOutOfTheLog) {
  const fs::path weak = tmp_ / "weak", good = tmp_ / "good";
  std::ofstream(weak) << "short\n";
  const std::string password = "correct horse battery staple";
  std::ofstream(good) << password << "\n";
  auto r = run_custody({"user", "add", dir().string(), "--id", "alice", "--name", "Alice Moreau",
                        "--role", "qa", "--password-file", weak.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid_argument"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("12 characters"), std::string::npos) << r.err;
  r = run_custody({"user", "add", dir().string(), "--id", "alice", "--name", "Alice", "--role",
                   "chief", "--password-file", good.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("data.roles[0]"), std::string::npos) << r.err;
  r = run_custody({"token", "create", dir().string(), "--id", "bad id", "--role", "operator"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("data.token"), std::string::npos) << r.err;
  EXPECT_EQ(run_custody({"log", dir().string()}).out, "") << "a refusal wrote a record";
  EXPECT_FALSE(fs::exists(dir() / "credentials"));

  r = run_custody({"user", "add", dir().string(), "--id", "alice", "--name", "Alice Moreau",
                   "--role", "qa", "--role", "auditor", "--password-file", good.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto perms = fs::status(dir() / "credentials").permissions();
  EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
  std::ifstream in(dir() / "credentials");
  const std::string credentials((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  EXPECT_NE(credentials.find("$argon2id$"), std::string::npos);

  // passwd: an unknown person and a weak password are refused, and write nothing.
  const std::string before_passwd = run_custody({"log", dir().string()}).out;
  const std::string credentials_before = credentials;
  r = run_custody(
      {"user", "passwd", dir().string(), "--id", "nobody", "--password-file", good.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not_found"), std::string::npos) << r.err;
  r = run_custody(
      {"user", "passwd", dir().string(), "--id", "alice", "--password-file", weak.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid_argument"), std::string::npos) << r.err;
  EXPECT_EQ(run_custody({"log", dir().string()}).out, before_passwd);
  {
    std::ifstream again(dir() / "credentials");
    EXPECT_EQ(
        std::string((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>()),
        credentials_before);
  }

  auto t = run_custody({"token", "create", dir().string(), "--id", "erp", "--role", "integration",
                        "--description", "SAP"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string secret = str(json::parse(t.out).at("token"));
  EXPECT_TRUE(secret.starts_with("cty_erp_")) << secret;

  const auto log_lines = lines(run_custody({"log", dir().string()}).out);
  std::vector<std::string> types;
  for (const auto& l : log_lines) {
    auto v = json::parse(l);
    types.push_back(str(v.at("type")));
    EXPECT_TRUE(str(v.at("actor")).starts_with("os:")) << l;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"user.added", "user.password_set", "token.created"}));
  // Neither secret is anywhere in the ledger directory, hashes aside.
  const std::string everything = all_bytes(dir());
  EXPECT_EQ(everything.find(password), std::string::npos);
  EXPECT_EQ(everything.find(secret), std::string::npos);

  auto list = run_custody({"token", "list", dir().string()});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("\"erp\""), std::string::npos);
  EXPECT_EQ(list.out.find(secret), std::string::npos);
  EXPECT_EQ(run_custody({"token", "revoke", dir().string(), "--id", "erp"}).exit_code, 0);
  r = run_custody({"token", "revoke", dir().string(), "--id", "erp"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("invalid_state"), std::string::npos) << r.err;
  start();
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", secret).status, 401);
}

TEST_F(Serve, ARoleChangeOrADisabledAccountAppliesToASessionsNextRequest) {
  add_person(dir(), tmp_.path(), "bob", "operator", "amber lantern cobalt 17");
  const std::string admin = token("admin");
  start();
  auto in = client_->request("POST", "/v1/session",
                             R"({"user":"bob","password":"amber lantern cobalt 17"})");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string cookie = "Cookie: " + cookie_from(in);
  auto roles = [&] {
    auto me = client_->request("GET", "/v1/whoami", "", "", {cookie});
    if (me.status != 200) return std::to_string(me.status);
    return json::serialize(me.json().at("roles"));
  };
  EXPECT_EQ(roles(), R"(["operator"])");
  EXPECT_EQ(roles(), R"(["operator"])");  // the record as read for the first
  // A commit that changes no person leaves it as read; the role change does not.
  const std::string csrf = "X-CSRF-Token: " + str(in.json().at("csrfToken"));
  ASSERT_EQ(
      client_->request("POST", "/v1/commands", note("n1", "bob's note"), "", {cookie, csrf}).status,
      200);
  EXPECT_EQ(roles(), R"(["operator"])");
  auto set = client_->request(
      "POST", "/v1/commands",
      R"({"type":"user.set_roles","commandId":"sr1","data":{"user":"bob","roles":["qa"]}})", admin);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(roles(), R"(["qa"])");
  auto off = client_->request(
      "POST", "/v1/commands",
      R"({"type":"user.disable","commandId":"ud1","data":{"user":"bob","reason":"left"}})", admin);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(roles(), "401");
}

TEST_F(Serve, PeopleSignInAndWriteWithTheirSessionAndItsCsrfToken) {
  add_person(dir(), tmp_.path(), "alice", "operator", "violet kettle marble 42");
  const std::string auditor = token("auditor");
  start();
  auto wrong = client_->request("POST", "/v1/session",
                                R"({"user":"alice","password":"not her passphrase"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(code_of(wrong), "unauthenticated");
  EXPECT_NE(wrong.body.find("wrong user id or password"), std::string::npos) << wrong.body;
  auto nobody = client_->request("POST", "/v1/session", R"({"user":"zed","password":"x"})");
  EXPECT_EQ(nobody.body, wrong.body) << "an unknown user must look like a wrong password";
  EXPECT_EQ(client_->request("POST", "/v1/session", R"({"password":"x"})").status, 400);

  auto in = client_->request("POST", "/v1/session",
                             R"({"user":"alice","password":"violet kettle marble 42"})");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string set = in.headers["set-cookie"];
  EXPECT_TRUE(set.starts_with("custody_session=")) << set;
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos) << "plain HTTP: a Secure cookie would be lost";
  const std::string cookie = "Cookie: " + cookie_from(in);
  const std::string csrf = str(in.json().at("csrfToken"));
  EXPECT_EQ(in.json().at("roles").as_array().size(), 1u);
  EXPECT_EQ(in.json().at("name"), "Printed alice");

  auto me = client_->request("GET", "/v1/whoami", "", "", {cookie});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("actor"), "user:alice");
  // A write by cookie needs the CSRF token; with it, the record is alice's.
  auto forged =
      client_->request("POST", "/v1/commands", note("s1", "from another site"), "", {cookie});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(forged.json().at("error").at("field"), "x-csrf-token");
  auto wrote = client_->request("POST", "/v1/commands", note("s2", "mine"), "",
                                {cookie, "X-CSRF-Token: " + csrf});
  ASSERT_EQ(wrote.status, 200) << wrote.body;
  auto rec = client_->request(
      "GET", "/v1/records/" + std::to_string(wrote.json().at("seq").to_number<std::uint64_t>()), "",
      auditor);
  EXPECT_EQ(rec.json().at("record").at("actor"), "user:alice");
  // Signing in again gives a new session; signing out ends this one.
  auto again = client_->request("POST", "/v1/session",
                                R"({"user":"alice","password":"violet kettle marble 42"})");
  EXPECT_NE(cookie_from(again), cookie_from(in));
  auto out = client_->request("DELETE", "/v1/session", "", "", {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", "", {cookie}).status, 401);
}

TEST_F(Serve, FiveFailedSignInsLockTheAccountOnTheRecordUntilAnAdminUnlocksIt) {
  add_person(dir(), tmp_.path(), "bob", "qa", "quiet orchard lantern 7");
  const std::string admin = token("admin");
  const std::string auditor = token("auditor");
  start();
  for (int i = 0; i < 5; ++i) {
    auto r = client_->request("POST", "/v1/session", R"({"user":"bob","password":"guess"})");
    EXPECT_EQ(r.status, 401);
  }
  auto locked = client_->request("POST", "/v1/session",
                                 R"({"user":"bob","password":"quiet orchard lantern 7"})");
  EXPECT_EQ(locked.status, 401);
  EXPECT_NE(locked.body.find("locked until"), std::string::npos) << locked.body;
  auto stream = log(auditor, "user:bob");
  ASSERT_FALSE(stream.empty());
  EXPECT_EQ(stream.back().at("type"), "user.locked");
  EXPECT_EQ(stream.back().at("payload").at("failures"), 5);
  auto board = client_->request("GET", "/v1/boards/exceptions", "", auditor);
  EXPECT_NE(board.body.find("locked after 5 failed sign-ins"), std::string::npos) << board.body;
  auto all = client_->request("GET", "/v1/log?limit=1000", "", auditor);
  EXPECT_NE(all.body.find(R"("category":"security")"), std::string::npos) << all.body;
  // Each failure is on the record too (one access record, the rest counted into the next).
  EXPECT_FALSE(log(auditor, "access:user:bob").empty());
  auto metrics = client_->request("GET", "/metrics", "", auditor);
  EXPECT_NE(metrics.body.find("custody_failed_logins_total 6"), std::string::npos);

  auto unlock =
      client_->request("POST", "/v1/commands",
                       R"({"type":"user.unlock","commandId":"u1","data":{"user":"bob"}})", admin);
  ASSERT_EQ(unlock.status, 200) << unlock.body;
  EXPECT_EQ(
      client_
          ->request("POST", "/v1/session", R"({"user":"bob","password":"quiet orchard lantern 7"})")
          .status,
      200);
  // Nobody but custody locks an account.
  auto lock = client_->request(
      "POST", "/v1/commands",
      R"({"type":"user.lock","commandId":"l1","data":{"user":"bob","until":"2030-01-01T00:00:00Z"}})",
      admin);
  EXPECT_EQ(lock.status, 403);
}

TEST_F(Serve, AnIdleSessionEnds) {
  add_person(dir(), tmp_.path(), "carol", "supervisor", "copper meadow signal 19");
  start({"--session-idle", "1"});
  auto in = client_->request("POST", "/v1/session",
                             R"({"user":"carol","password":"copper meadow signal 19"})");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string cookie = "Cookie: " + cookie_from(in);
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", "", {cookie}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto late = client_->request("GET", "/v1/whoami", "", "", {cookie});
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("sign in again"), std::string::npos) << late.body;
}

TEST_F(Serve, AnAdminCreatesTokensAndSetsPasswordsWhileItServes) {
  const std::string admin = token("admin");
  const std::string op = token("operator");
  add_person(dir(), tmp_.path(), "erin", "qa", "amber harbor violin 3");
  start();
  auto made = client_->request(
      "POST", "/v1/tokens",
      R"({"token":"scanner-9","role":"operator","commandTypes":["note.add"]})", admin);
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string secret = str(made.json().at("token"));
  auto me = client_->request("GET", "/v1/whoami", "", secret);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("actor"), "token:scanner-9");
  // The same id again is refused, and the first secret still works.
  auto again =
      client_->request("POST", "/v1/tokens", R"({"token":"scanner-9","role":"qa"})", admin);
  EXPECT_EQ(again.status, 422) << again.body;
  EXPECT_EQ(code_of(again), "already_exists");
  EXPECT_EQ(client_->request("GET", "/v1/whoami", "", secret).status, 200);
  EXPECT_EQ(client_->request("POST", "/v1/tokens", R"({"token":"mine","role":"admin"})", op).status,
            403);
  EXPECT_EQ(client_->request("POST", "/v1/tokens", R"({"role":"qa"})", admin).status, 400);

  // Passwords: the policy, the role, the person; then the new one signs in.
  auto weak = client_->request("POST", "/v1/users/erin/password", R"({"password":"short"})", admin);
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.json().at("error").at("field"), "password");
  EXPECT_EQ(client_
                ->request("POST", "/v1/users/erin/password",
                          R"({"password":"granite willow comet 8"})", op)
                .status,
            403);
  EXPECT_EQ(client_
                ->request("POST", "/v1/users/nobody/password",
                          R"({"password":"granite willow comet 8"})", admin)
                .status,
            404);
  auto set = client_->request("POST", "/v1/users/erin/password",
                              R"({"password":"granite willow comet 8"})", admin);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(
      client_
          ->request("POST", "/v1/session", R"({"user":"erin","password":"amber harbor violin 3"})")
          .status,
      401);
  EXPECT_EQ(
      client_
          ->request("POST", "/v1/session", R"({"user":"erin","password":"granite willow comet 8"})")
          .status,
      200);
  const auto everything = [&] {
    std::string out;
    for (const auto& [name, bytes] : snapshot_files(dir())) out += bytes;
    return out;
  }();
  EXPECT_EQ(everything.find("granite willow comet 8"), std::string::npos);
  EXPECT_EQ(everything.find(secret), std::string::npos);
}

TEST_F(Serve, APersonChangesTheirOwnPasswordWithTheCurrentOne) {
  const std::string auditor = token("auditor");
  add_person(dir(), tmp_.path(), "erin", "operator", "amber harbor violin 3");
  add_person(dir(), tmp_.path(), "finn", "operator", "copper meadow ladder 5");
  start();
  auto in = client_->request("POST", "/v1/session",
                             R"({"user":"erin","password":"amber harbor violin 3"})");
  ASSERT_EQ(in.status, 200) << in.body;
  const std::vector<std::string> erin = {"Cookie: " + cookie_from(in),
                                         "X-CSRF-Token: " + str(in.json().at("csrfToken"))};
  auto change = [&](const std::string& who, const std::string& body) {
    return client_->request("POST", "/v1/users/" + who + "/password", body, "", erin);
  };
  const std::size_t erin_records = log(auditor, "user:erin").size();
  // Someone else's password is an admin's business, and is on record when tried.
  auto other = change("finn", R"({"password":"granite willow comet 8"})");
  EXPECT_EQ(other.status, 403) << other.body;
  // Without the current password, or a wrong one: refused, nothing written.
  auto missing = change("erin", R"({"password":"granite willow comet 8"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json().at("error").at("field"), "currentPassword");
  auto wrong =
      change("erin", R"({"currentPassword":"not it","password":"granite willow comet 8"})");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(wrong.json().at("error").at("field"), "currentPassword");
  auto weak = change("erin", R"({"currentPassword":"amber harbor violin 3","password":"short"})");
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.json().at("error").at("field"), "password");
  // None of them changed the password or wrote a user.password_set.
  EXPECT_EQ(log(auditor, "user:erin").size(), erin_records);
  EXPECT_EQ(
      client_
          ->request("POST", "/v1/session", R"({"user":"erin","password":"amber harbor violin 3"})")
          .status,
      200);
  auto ok = change(
      "erin", R"({"currentPassword":"amber harbor violin 3","password":"granite willow comet 8"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto rec = client_->request(
      "GET", "/v1/records/" + std::to_string(ok.json().at("seq").to_number<std::uint64_t>()), "",
      auditor);
  EXPECT_EQ(rec.json().at("record").at("type"), "user.password_set");
  EXPECT_EQ(rec.json().at("record").at("actor"), "user:erin");
  EXPECT_EQ(
      client_
          ->request("POST", "/v1/session", R"({"user":"erin","password":"granite willow comet 8"})")
          .status,
      200);
  EXPECT_EQ(
      client_
          ->request("POST", "/v1/session", R"({"user":"finn","password":"copper meadow ladder 5"})")
          .status,
      200)
      << "finn's password did not change";
}

TEST_F(Serve, ListsFindEntitiesByStatusAPageAtATimeAndRefuseWhatTheyCannotFilter) {
  const std::string operator_token = token("operator");
  const std::string auditor = token("auditor");
  // Two generated plant days: lots received, produced and shipped; some on hold.
  const std::string plant = append_plant();
  ASSERT_FALSE(plant.empty());
  start();
  // Every lot, two at a time, in id order, each once.
  std::vector<std::string> ids;
  std::string after;
  for (int page = 0; page < 1000; ++page) {
    auto r = client_->request("GET", "/v1/lots?limit=2" + (after.empty() ? "" : "&after=" + after),
                              "", operator_token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = r.json();
    for (const auto& item : v.at("items").as_array()) ids.push_back(str(item.at("lot")));
    EXPECT_LE(v.at("count").to_number<int>(), 2);
    if (v.at("next").is_null()) break;
    after = str(v.at("next"));
  }
  ASSERT_GT(ids.size(), 10u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  // With a status, only those.
  std::size_t released = 0;
  for (const std::string status : {"released", "held", "awaitingRelease", "rejected"}) {
    auto r = client_->request("GET", "/v1/lots?limit=1000&status=" + status, "", operator_token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = r.json();
    for (const auto& item : page.at("items").as_array()) {
      EXPECT_EQ(str(item.at("status")), status);
    }
    if (status == "released") released = r.json().at("count").to_number<std::size_t>();
  }
  EXPECT_GT(released, 0u);
  const std::uint64_t before = head(auditor);
  for (const std::string target :
       {"/v1/lots?status=bogus", "/v1/lots?limit=0", "/v1/lots?limit=1001", "/v1/lots?limit=x",
        "/v1/materials?status=held", "/v1/work-orders?status=held"}) {
    auto r = client_->request("GET", target, "", operator_token);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(code_of(r), "invalid_argument") << target;
    const std::string field = target.find("limit") != std::string::npos ? "limit" : "status";
    EXPECT_EQ(str(r.json().at("error").at("field")), field) << target;
  }
  auto bad = client_->request("GET", "/v1/lots?status=bogus", "", operator_token);
  EXPECT_NE(bad.body.find("awaitingRelease, released, held, rejected"), std::string::npos)
      << bad.body;
  EXPECT_EQ(head(auditor), before) << "a refused read writes nothing";
  auto none = client_->request("GET", "/v1/exceptions?status=open&after=~", "", operator_token);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.json().at("kind"), "exception");
  EXPECT_EQ(none.json().at("count"), 0);
  EXPECT_TRUE(none.json().at("next").is_null());
  EXPECT_EQ(client_->request("POST", "/v1/lots", "{}", operator_token).status, 405);
  EXPECT_EQ(client_->request("GET", "/v1/lots").status, 401);
}

TEST_F(Serve, KpisNeedARangeAndTheSiteSaysItsTimeZone) {
  const std::string planner = token("planner");
  {
    std::ofstream config(dir() / "config.json");
    config << R"({"site":{"name":"Plant 7","timeZone":"Asia/Shanghai"}})";
  }
  start();
  auto site = client_->request("GET", "/v1/site", "", planner);
  ASSERT_EQ(site.status, 200) << site.body;
  EXPECT_EQ(site.json().at("timeZone"), "Asia/Shanghai");
  EXPECT_EQ(site.json().at("name"), "Plant 7");
  for (const auto& [target, field] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/kpis", "from"},
           {"/v1/kpis?from=2026-11-01", "to"},
           {"/v1/kpis?from=yesterday&to=2026-11-02", "from"},
           {"/v1/kpis?from=2026-11-02&to=2026-11-01", "to"}}) {
    auto r = client_->request("GET", target, "", planner);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(str(r.json().at("error").at("field")), field) << target;
  }
  auto k = client_->request("GET", "/v1/kpis?from=2026-11-01&to=2026-12-01", "", planner);
  ASSERT_EQ(k.status, 200) << k.body;
  EXPECT_EQ(k.json().at("from"), "2026-11-01T00:00:00Z");
}

TEST_F(Serve, OeeAndPayAreReadOverHttpWithTheirOwnRefusals) {
  const std::string planner = token("planner");
  const std::string supervisor = token("supervisor");
  start();
  auto post = [&](const std::string& id, const std::string& type, const std::string& data) {
    return client_->request(
        "POST", "/v1/commands",
        R"({"type":")" + type + R"(","commandId":")" + id + R"(","data":)" + data + "}", planner);
  };
  ASSERT_EQ(post("e1", "equipment.define",
                 R"({"equipment":"line-1","name":"Line 1","workCenter":"wash","idealRate":60})")
                .status,
            200);
  ASSERT_EQ(post("e2", "equipment.define",
                 R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})")
                .status,
            200);
  auto oee = client_->request("GET", "/v1/oee?from=2026-01-01&to=2030-01-01", "", planner);
  ASSERT_EQ(oee.status, 200) << oee.body;
  ASSERT_EQ(oee.json().at("equipment").as_array().size(), 1u);
  EXPECT_EQ(oee.json().at("equipment").at(0).at("equipment"), "line-1");
  for (const auto& [target, status, field] : std::vector<std::tuple<std::string, int, std::string>>{
           {"/v1/oee?from=2026-01-01", 400, "to"},
           {"/v1/oee?from=2026-01-01&to=2027-01-01&equipment=washer-1", 400, "equipment"},
           {"/v1/oee?from=2026-01-01&to=2027-01-01&equipment=nope", 404, "equipment"},
           {"/v1/oee?from=2026-01-01&to=2027-01-01&by=shift", 400, "by"},
           {"/v1/pay?from=2026-01-01&to=2027-01-01&operator=x", 400, "operator"},
           {"/v1/pay?from=2027-01-01&to=2026-01-01", 400, "to"}}) {
    auto r = client_->request("GET", target, "", supervisor);
    EXPECT_EQ(r.status, status) << target << " " << r.body;
    EXPECT_EQ(str(r.json().at("error").at("field")), field) << target;
  }
  // Pay is the supervisor's to read, not the planner's.
  EXPECT_EQ(client_->request("GET", "/v1/pay?from=2026-01-01&to=2027-01-01", "", planner).status,
            403);
  auto pay = client_->request("GET", "/v1/pay?from=2026-01-01&to=2027-01-01", "", supervisor);
  ASSERT_EQ(pay.status, 200) << pay.body;
  EXPECT_TRUE(pay.json().at("currency").is_null());
  EXPECT_EQ(pay.json().at("operators").as_array().size(), 0u);
}

TEST_F(Serve, TheEquipmentLogbookIsReadOverHttp) {
  const std::string planner = token("planner");
  const std::string op = token("operator");
  start();
  auto post = [&](const std::string& id, const std::string& type, const std::string& data,
                  const std::string& who) {
    return client_->request(
        "POST", "/v1/commands",
        R"({"type":")" + type + R"(","commandId":")" + id + R"(","data":)" + data + "}", who);
  };
  ASSERT_EQ(
      post("e1", "equipment.define",
           R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash","cleanEveryHours":24})",
           planner)
          .status,
      200);
  ASSERT_EQ(
      post("c1", "equipment.clean", R"({"equipment":"washer-1","procedure":"SSOP-3"})", op).status,
      200);
  // A planner does not clean.
  auto denied =
      post("c2", "equipment.clean", R"({"equipment":"washer-1","procedure":"SSOP-3"})", planner);
  EXPECT_EQ(denied.status, 403) << denied.body;
  auto book = client_->request("GET", "/v1/equipment/washer-1/logbook", "", op);
  ASSERT_EQ(book.status, 200) << book.body;
  const auto entries = book.json().at("entries").as_array();
  ASSERT_EQ(entries.size(), 2u) << book.body;
  EXPECT_EQ(entries[1].at("event"), "cleaned");
  EXPECT_EQ(entries[1].at("procedure"), "SSOP-3");
  EXPECT_EQ(book.json().at("cleanedBy"), entries[1].at("actor"));
  auto empty = client_->request("GET", "/v1/equipment/washer-1/logbook?to=2000-01-01", "", op);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.json().at("count"), 0);
  auto missing = client_->request("GET", "/v1/equipment/washer-9/logbook", "", op);
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(code_of(missing), "not_found");
  for (const auto& [target, field] : std::vector<std::pair<std::string, std::string>>{
           {"/v1/equipment/washer-1/logbook?from=soon", "from"},
           {"/v1/equipment/washer-1/logbook?from=2026-11-02&to=2026-11-01", "to"}}) {
    auto r = client_->request("GET", target, "", op);
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(str(r.json().at("error").at("field")), field) << target;
  }
  EXPECT_EQ(client_->request("GET", "/v1/equipment/washer-1/logbook").status, 401);
}

TEST_F(Serve, AnOrdersYieldIsReadOverHttpAndALowOneRaisesAnException) {
  const std::string erp = token("integration");
  const std::string op = token("operator");
  start();
  auto post = [&](const std::string& type, const std::string& data) {
    return post_command(type, data, erp);
  };
  ASSERT_NO_FATAL_FAILURE(post_all(
      {{"material.define", R"({"material":"romaine","name":"Romaine","uom":"kg"})"},
       {"material.define",
        R"({"material":"salad","name":"Salad","uom":"case","yieldMin":95,"yieldMax":102})"},
       {"party.define", R"({"party":"farm","name":"Farm","role":"supplier"})"},
       {"equipment.define", R"({"equipment":"washer-1","name":"Washer","workCenter":"wash"})"},
       {"routing.define",
        R"({"routing":"salad-r","material":"salad","steps":[{"step":"wash","workCenter":"wash","inputs":[{"material":"romaine","qtyPerUnit":2}]}]})"},
       {"lot.receive",
        R"({"lot":"R-1","material":"romaine","qty":500,"uom":"kg","supplier":"farm","supplierLot":"F-1"})"},
       {"wo.create",
        R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2027-01-01T00:00:00Z"})"},
       {"wo.release", R"({"wo":"WO-1"})"},
       {"op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})"},
       {"lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":200})"},
       {"op.report", R"({"wo":"WO-1","step":"wash","good":90,"scrap":10})"},
       {"lot.produce", R"({"wo":"WO-1","step":"wash","lot":"F-1","qty":90})"},
       {"op.complete", R"({"wo":"WO-1","step":"wash"})"}},
      erp));
  auto y = client_->request("GET", "/v1/work-orders/WO-1/yield", "", op);
  ASSERT_EQ(y.status, 200) << y.body;
  EXPECT_EQ(y.json().at("theoretical"), 100);
  EXPECT_EQ(y.json().at("percentOfTheoretical").to_number<double>(), 90.0);
  EXPECT_TRUE(y.json().at("inLimits").is_null()) << "judged when the order completes";
  // Completing it records the yield and raises the exception in the same answer.
  auto done = post("wo.complete", R"({"wo":"WO-1"})");
  ASSERT_EQ(done.status, 200) << done.body;
  auto board = client_->request("GET", "/v1/boards/exceptions", "", op);
  ASSERT_EQ(board.status, 200) << board.body;
  ASSERT_EQ(board.json().at("exceptions").as_array().size(), 1u) << board.body;
  const std::string raised(board.json().at("exceptions").as_array()[0].at("exception").as_string());
  auto exception = client_->request("GET", "/v1/exceptions/" + raised, "", op);
  ASSERT_EQ(exception.status, 200) << exception.body;
  EXPECT_EQ(exception.json().at("state").at("category"), "quality");
  EXPECT_EQ(exception.json().at("state").at("wo"), "WO-1");
  auto judged = client_->request("GET", "/v1/work-orders/WO-1/yield", "", op);
  ASSERT_EQ(judged.status, 200) << judged.body;
  EXPECT_EQ(judged.json().at("inLimits"), false);

  auto missing = client_->request("GET", "/v1/work-orders/WO-9/yield", "", op);
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_EQ(code_of(missing), "not_found");
  EXPECT_EQ(client_->request("GET", "/v1/work-orders/WO-1/yield").status, 401);
  auto bad =
      post("material.define", R"({"material":"slaw","name":"Slaw","uom":"case","yieldMin":-5})");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(str(bad.json().at("error").at("field")), "data.yieldMin");
  EXPECT_EQ(client_->request("GET", "/v1/materials/slaw", "", op).status, 404) << "nothing written";
}

TEST_F(Serve, AParetoOfDefectsAndReworkOverHttp) {
  const std::string erp = token("integration");
  const std::string op = token("operator");
  const std::string qa = token("qa");
  start();
  ASSERT_NO_FATAL_FAILURE(post_all(
      {{"material.define", R"({"material":"salad","name":"Salad","uom":"case"})"},
       {"equipment.define", R"({"equipment":"washer-1","name":"Washer","workCenter":"wash"})"},
       {"equipment.define", R"({"equipment":"packer-1","name":"Packer","workCenter":"pack"})"},
       {"routing.define",
        R"({"routing":"salad-r","material":"salad","steps":[{"step":"wash","workCenter":"wash"},)"
        R"({"step":"pack","workCenter":"pack","reworkTo":["wash"]}]})"},
       {"shift.define", R"({"shift":"day","name":"Day","start":"06:00","end":"06:00"})"},
       {"wo.create",
        R"({"wo":"WO-1","material":"salad","qty":100,"routing":"salad-r","due":"2027-01-01T00:00:00Z"})"},
       {"wo.release", R"({"wo":"WO-1"})"},
       {"op.start", R"({"wo":"WO-1","step":"wash","equipment":"washer-1"})"}},
      erp));
  // QA keeps the catalogue; an operator may not.
  auto log_size = [&] {
    auto log = client_->request("GET", "/v1/log?limit=1000", "", qa);
    EXPECT_EQ(log.status, 200) << log.body;
    return log.json().at("records").as_array().size();
  };
  auto denied = post_command("defect.define", R"({"defect":"bruised","name":"Bruised"})", op);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(client_->request("GET", "/v1/defects/bruised", "", qa).status, 404);
  ASSERT_EQ(post_command("defect.define", R"({"defect":"bruised","name":"Bruised"})", qa).status,
            200);
  auto reported = post_command(
      "op.report",
      R"({"wo":"WO-1","step":"wash","good":90,"scrap":10,"defects":[{"defect":"bruised","qty":10}]})",
      op);
  ASSERT_EQ(reported.status, 200) << reported.body;
  auto catalogue = client_->request("GET", "/v1/defects", "", op);
  ASSERT_EQ(catalogue.status, 200) << catalogue.body;
  EXPECT_EQ(catalogue.json().at("items").as_array()[0].at("name"), "Bruised");
  auto shift = client_->request("GET", "/v1/shifts/day", "", op);
  ASSERT_EQ(shift.status, 200) << shift.body;
  EXPECT_EQ(shift.json().at("state").at("end"), "06:00");
  EXPECT_EQ(client_->request("GET", "/v1/defects/mould", "", op).status, 404);
  auto p = client_->request("GET", "/v1/pareto?by=step&step=wash", "", op);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json().at("scrap"), 10);
  EXPECT_EQ(p.json().at("rows").as_array()[0].at("key"), "wash");
  EXPECT_EQ(p.json().at("rows").as_array()[0].at("defects").as_array()[0].at("name"), "Bruised");
  auto by_defect = client_->request("GET", "/v1/pareto", "", op);
  ASSERT_EQ(by_defect.status, 200) << by_defect.body;
  EXPECT_EQ(by_defect.json().at("rows").as_array()[0].at("percent").to_number<double>(), 100.0);
  for (const char* query :
       {"?by=operator", "?from=soon", "?from=2026-12-02&to=2026-12-01", "?colour=red"}) {
    auto bad = client_->request("GET", std::string("/v1/pareto") + query, "", op);
    EXPECT_EQ(bad.status, 400) << query << " " << bad.body;
    EXPECT_EQ(code_of(bad), "invalid_argument") << query;
  }
  EXPECT_EQ(client_->request("GET", "/v1/pareto").status, 401);

  // Wash cannot send work forward to pack: refused, nothing written.
  const auto head = log_size();
  auto forward =
      post_command("op.rework", R"({"wo":"WO-1","step":"wash","toStep":"pack","qty":5})", op);
  EXPECT_EQ(forward.status, 422) << forward.body;
  EXPECT_EQ(code_of(forward), "rework_not_allowed");
  EXPECT_EQ(str(forward.json().at("error").at("field")), "data.toStep");
  EXPECT_EQ(log_size(), head) << "nothing written";
  EXPECT_EQ(post_command("op.rework", R"({"wo":"WO-1","step":"wash","toStep":"pack","qty":5})", qa)
                .status,
            403);
  // The period's open ends are null; an empty parameter counts as not given.
  auto open = client_->request("GET", "/v1/pareto?by=&step=", "", op);
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_TRUE(open.json().at("from").is_null());
  EXPECT_TRUE(open.json().at("to").is_null());
  EXPECT_EQ(open.json().at("by"), "defect");
}

TEST_F(Serve, EquipmentUnderMaintenanceRefusesAStartOverHttpAndWritesNothing) {
  const std::string erp = token("integration");
  const std::string op = token("operator");
  start();
  auto post = [&](const std::string& type, const std::string& data) {
    return post_command(type, data, erp);
  };
  ASSERT_NO_FATAL_FAILURE(post_all(
      {{"material.define", R"({"material":"salad","name":"Salad","uom":"case"})"},
       {"equipment.define", R"({"equipment":"washer-2","name":"Washer","workCenter":"wash"})"},
       {"routing.define",
        R"({"routing":"salad-r","material":"salad","steps":[{"step":"wash","workCenter":"wash"}]})"}},
      erp));
  ASSERT_EQ(post("equipment.set_status",
                 R"({"equipment":"washer-2","status":"maintenance","reason":"Pump seal"})")
                .status,
            200);
  ASSERT_EQ(
      post(
          "wo.create",
          R"({"wo":"WO-2","material":"salad","qty":10,"routing":"salad-r","due":"2027-01-01T00:00:00Z"})")
          .status,
      200);
  ASSERT_EQ(post("wo.release", R"({"wo":"WO-2"})").status, 200);
  auto state = [&] {
    return client_->request("GET", "/v1/work-orders/WO-2", "", op).body +
           client_->request("GET", "/v1/equipment/washer-2", "", op).body;
  };
  const std::string before = state();
  auto refused = post("op.start", R"({"wo":"WO-2","step":"wash","equipment":"washer-2"})");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(code_of(refused), "under_maintenance");
  EXPECT_EQ(str(refused.json().at("error").at("field")), "data.equipment");
  EXPECT_EQ(state(), before);
}

TEST_F(Serve, AHandEditedTimeZoneThatIsNotOneIsRefusedAtStart) {
  {
    std::ofstream config(dir() / "config.json");
    config << R"({"site":{"timeZone":"../../etc/passwd"}})";
  }
  auto r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("config.site.timeZone"), std::string::npos) << r.err;
  // A well-formed name the zone database does not have: reports could not show it.
  {
    std::ofstream config(dir() / "config.json");
    config << R"({"site":{"timeZone":"Mars/Olympus_Mons"}})";
  }
  r = run_custody({"serve", dir().string(), "--listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("config.site.timeZone"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has no zone 'Mars/Olympus_Mons'"), std::string::npos) << r.err;
}

TEST_F(Serve, ItServesTheWebUiFromItselfWithAStrictContentPolicy) {
  start();
  auto page = client_->request("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script type=\"importmap\">"), std::string::npos);
  const std::string csp = page.headers["content-security-policy"];
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("script-src 'self' 'sha256-"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
  auto app = client_->request("GET", "/ui/app.js");
  ASSERT_EQ(app.status, 200);
  EXPECT_EQ(app.headers["content-type"], "text/javascript; charset=utf-8");
  auto preact = client_->request("GET", "/ui/vendor/preact/dist/preact.module.js");
  ASSERT_EQ(preact.status, 200);
  EXPECT_GT(preact.body.size(), 1000u);
  // Only the UI's own files: nothing else on disk, whatever the path says.
  for (const std::string target :
       {"/ui/nothing.js", "/ui/../openapi.json", "/ui/vendor/preact/package.json", "/ui//app.js"}) {
    EXPECT_EQ(client_->request("GET", target).status, 404) << target;
  }
  EXPECT_EQ(client_->request("POST", "/ui/app.js", "{}").status, 404);
}

TEST_F(Serve, WithAWebRootItServesTheUiFromThatFolderAndNothingOutsideIt) {
  fs::create_directories(tmp_.path() / "web" / "screens");
  {
    std::ofstream(tmp_.path() / "web" / "index.html") << "<p>dev copy</p>";
    std::ofstream(tmp_.path() / "secret.txt") << "not for the web";
  }
  start({"--web-root", (tmp_.path() / "web").string()});
  auto page = client_->request("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<p>dev copy</p>");
  EXPECT_EQ(client_->request("GET", "/ui/../secret.txt").status, 404);
  EXPECT_EQ(client_->request("GET", "/ui/%2e%2e/secret.txt").status, 404);
  // The npm modules stay those built in.
  EXPECT_EQ(client_->request("GET", "/ui/vendor/htm/dist/htm.module.js").status, 200);
}

TEST_F(Serve, ARecallOverTheApiIsTheCliRecallAndBadScopesWriteNothing) {
  const std::string qa = token("qa");
  const std::string auditor = token("auditor");
  const std::string op = token("operator");
  const std::string plant = append_plant();
  ASSERT_FALSE(plant.empty());
  // The first supplier lot received.
  const auto received = first_data(plant, "lot.receive");
  ASSERT_FALSE(received.empty());
  const std::string supplier = str(received.at("supplier"));
  const std::string supplier_lot = str(received.at("supplierLot"));
  auto cli = run_custody(
      {"recall", dir().string(), "--supplier", supplier, "--supplier-lot", supplier_lot});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  start();
  const std::string scope = "supplier=" + supplier + "&supplierLot=" + supplier_lot;
  auto r = client_->request("GET", "/v1/recall?" + scope + "&graph=true&fanOut=3", "", qa);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto api = r.json();
  const auto want = json::parse(cli.out);
  EXPECT_EQ(api.at("lots"), want.at("lots"));
  EXPECT_EQ(api.at("shipments"), want.at("shipments"));
  EXPECT_EQ(api.at("customers"), want.at("customers"));
  // Every lot of the recall is a node of the graph or a member of a summary node, once.
  std::multiset<std::string> drawn;
  for (const auto& n : api.at("graph").at("nodes").as_array()) {
    if (n.at("kind") == "lot") drawn.insert(str(n.at("id")));
    if (n.at("kind") == "more") {
      EXPECT_LE(n.at("count").to_number<int>(), 100000);
      for (const auto& m : n.at("members").as_array()) drawn.insert(str(m));
    }
  }
  std::set<std::string> lots;
  for (const auto& l : want.at("lots").as_array()) lots.insert(str(l.at("lot")));
  for (const auto& l : drawn) EXPECT_EQ(lots.count(l), 1u) << l;
  auto csv = client_->request("GET", "/v1/recall/fsma204/shipping?" + scope, "", qa);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_NE(csv.headers["content-disposition"].find("fsma204-shipping.csv"), std::string::npos);

  const std::uint64_t before = head(auditor);
  for (const auto& [target, status, field] : std::vector<std::tuple<std::string, int, std::string>>{
           {"/v1/recall", 400, "lot"},
           {"/v1/recall?lot=NOPE", 404, "lot"},
           {"/v1/recall?equipment=flume-1&from=2026-10-02&to=2026-10-01", 400, "to"},
           {"/v1/recall?" + scope + "&excludeConsumed=maybe", 400, "excludeConsumed"},
           {"/v1/recall?" + scope + "&graph=true&fanOut=0", 400, "fanOut"},
           {"/v1/recall/fsma204/everything?" + scope, 404, "file"},
           {"/v1/fsma204/shipping", 400, "product"},
           {"/v1/fsma204/shipping?product=kale", 404, "product"},
           {"/v1/fsma204/shipping?tlc=NEVER-SEEN", 404, "tlc"},
           {"/v1/fsma204/shipping?tlc=", 400, "tlc"},
           {"/v1/fsma204/shipping?tlc=" + supplier_lot + "&product=romaine", 400, "product"},
           {"/v1/fsma204/shipping?tlc=" + supplier_lot + "&from=2026-10-02&to=2026-10-01", 400,
            "to"},
           {"/v1/fsma204/shipping?tlc=" + supplier_lot + "&from=yesterday", 400, "from"},
           {"/v1/fsma204/shipping?tlc=" + supplier_lot + "&lot=x", 400, "lot"},
           {"/v1/fsma204/everything?tlc=" + supplier_lot, 404, "file"}}) {
    auto bad = client_->request("GET", target, "", qa);
    EXPECT_EQ(bad.status, status) << target << " " << bad.body;
    EXPECT_EQ(str(bad.json().at("error").at("field")), field) << target << " " << bad.body;
  }
  EXPECT_EQ(head(auditor), before) << "a refused read writes nothing";

  // By traceability lot code: the same rows `custody fsma204 --tlc` writes, and the plan.
  auto by_code = client_->request("GET", "/v1/fsma204/receiving?tlc=" + supplier_lot, "", qa);
  ASSERT_EQ(by_code.status, 200) << by_code.body;
  EXPECT_NE(by_code.body.find(supplier_lot), std::string::npos);
  EXPECT_FALSE(by_code.headers["x-custody-data-gaps"].empty());
  auto cli_sheet = run_custody({"fsma204", dir().string(), "--tlc", supplier_lot, "--out",
                                (tmp_.path() / "sheet").string()});
  ASSERT_EQ(cli_sheet.exit_code, 0) << cli_sheet.err;
  std::ifstream written(tmp_.path() / "sheet" / "fsma204-receiving.csv");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(written), {}), by_code.body);
  auto plan = client_->request("GET", "/v1/fsma204/traceability-plan?tlc=" + supplier_lot, "", qa);
  ASSERT_EQ(plan.status, 200);
  EXPECT_EQ(plan.headers["content-type"], "text/plain; charset=utf-8");
  EXPECT_EQ(client_->request("GET", "/v1/fsma204/receiving?tlc=" + supplier_lot).status, 401);

  // The lot's events as EPCIS 2.0, as `custody epcis export --lot` writes them.
  const std::string lot = str(received.at("lot"));
  auto epcis = client_->request("GET", "/v1/epcis/document?lot=" + lot, "", qa);
  ASSERT_EQ(epcis.status, 200) << epcis.body;
  EXPECT_EQ(epcis.headers["content-type"], "application/ld+json");
  const auto events = json::parse(epcis.body).at("epcisBody").at("eventList").as_array();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(str(events.at(0).at("bizStep")), "receiving");
  auto cli_epcis = run_custody({"epcis", "export", dir().string(), "--lot", lot, "--out",
                                (tmp_.path() / "lot.jsonld").string()});
  ASSERT_EQ(cli_epcis.exit_code, 0) << cli_epcis.err;
  std::ifstream cli_doc(tmp_.path() / "lot.jsonld");
  EXPECT_EQ(json::parse(std::string(std::istreambuf_iterator<char>(cli_doc), {}))
                .at("epcisBody")
                .at("eventList"),
            json::value(events));
  for (const auto& [target, status, field] : std::vector<std::tuple<std::string, int, std::string>>{
           {"/v1/epcis/document?lot=NOPE", 404, "lot"},
           {"/v1/epcis/document?lot=" + lot + "&wo=W", 400, "wo"},
           {"/v1/epcis/document?sinceSeq=0", 400, "sinceSeq"},
           {"/v1/epcis/document?from=2026-10-02&to=2026-10-01", 400, "to"},
           {"/v1/epcis/document?colour=red", 400, "colour"}}) {
    auto bad = client_->request("GET", target, "", qa);
    EXPECT_EQ(bad.status, status) << target << " " << bad.body;
    EXPECT_EQ(str(bad.json().at("error").at("field")), field) << target << " " << bad.body;
  }
  EXPECT_EQ(client_->request("GET", "/v1/epcis/document?lot=" + lot).status, 401);
  EXPECT_EQ(head(auditor), before) << "a refused read writes nothing";
  // A record-by-record feed of the log: for roles that read the log, not every reader. The
  // denial itself is an access record (written without the caller waiting), so it comes last.
  EXPECT_EQ(client_->request("GET", "/v1/epcis/document?lot=" + lot, "", op).status, 403);
}

// A customer's system posts its EPCIS receipt of a lot custody shipped: it is stored once
// (the same document again adds nothing), and the recall of the lot now reaches past the gate
// into the customer's event, naming it as the customer's evidence. Bad documents, an unknown
// partner and callers without the role are refused, and refusals write nothing.
TEST_F(Serve, APartnersEpcisDocumentIsCapturedOnceAndTheRecallReachesIt) {
  const std::string integration = token("integration");
  const std::string auditor = token("auditor");
  const std::string op = token("operator");
  const std::string plant = append_plant();
  ASSERT_FALSE(plant.empty());
  const auto ship = first_data(plant, "lot.ship");
  ASSERT_FALSE(ship.empty());
  const std::string lot = str(ship.at("lot"));
  const std::string customer = str(ship.at("customer"));
  start();
  // The lot as custody names it to partners: the class of its EPCIS shipping event.
  auto ours = client_->request("GET", "/v1/epcis/document?lot=" + lot, "", auditor);
  ASSERT_EQ(ours.status, 200) << ours.body;
  std::string cls;
  const auto our_doc = json::parse(ours.body);
  for (const auto& e : our_doc.at("epcisBody").at("eventList").as_array()) {
    if (e.as_object().contains("quantityList")) {
      cls = str(e.at("quantityList").at(0).at("epcClass"));
    }
  }
  ASSERT_FALSE(cls.empty()) << ours.body;
  const std::string receipt =
      R"({"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],)"
      R"("type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-11-25T10:00:00Z",)"
      R"("epcisBody":{"eventList":[{"type":"ObjectEvent","eventTime":"2026-11-25T09:00:00Z",)"
      R"("eventTimeZoneOffset":"+01:00","action":"OBSERVE","bizStep":"receiving",)"
      R"("quantityList":[{"epcClass":")" +
      cls + R"(","quantity":5,"uom":"KGM"}]}]}})";
  const std::string target = "/v1/epcis/capture?partner=" + customer;
  auto first = client_->request("POST", target, receipt, integration);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.json().at("stored").as_array().size(), 1u) << first.body;
  const auto event_id = str(first.json().at("stored").at(0).at("eventId"));
  const std::uint64_t before = head(auditor);
  auto again = client_->request("POST", target, receipt, integration);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("duplicates"), 1);
  EXPECT_TRUE(again.json().at("stored").as_array().empty());

  auto recall = client_->request("GET", "/v1/recall?lot=" + lot, "", auditor);
  ASSERT_EQ(recall.status, 200) << recall.body;
  const auto answer = recall.json();
  const auto& hops = answer.at("partnerEvents").as_array();
  ASSERT_EQ(hops.size(), 1u) << recall.body;
  EXPECT_EQ(str(hops.at(0).at("evidence").at("by")), customer);
  EXPECT_EQ(str(hops.at(0).at("evidence").at("filedBy")), "token:" + id_of_[integration]);
  EXPECT_EQ(str(hops.at(0).at("evidence").at("eventId")), event_id);
  EXPECT_EQ(str(hops.at(0).at("bizStep")), "receiving");
  EXPECT_EQ(str(hops.at(0).at("lot")), lot);

  std::string bad_step = receipt;
  bad_step.replace(bad_step.find("\"receiving\""), 11, "\"teleporting\"");
  for (const auto& [path, body, status, field] :
       std::vector<std::tuple<std::string, std::string, int, std::string>>{
           {target, bad_step, 400, "/epcisBody/eventList/0/bizStep"},
           {target, "{", 400, ""},
           {"/v1/epcis/capture?partner=nobody", receipt, 404, "partner"},
           {"/v1/epcis/capture?colour=red", receipt, 400, "colour"}}) {
    auto bad = client_->request("POST", path, body, integration);
    EXPECT_EQ(bad.status, status) << path << " " << bad.body;
    const auto refusal = bad.json();
    const auto& f = refusal.at("error").at("field");
    EXPECT_EQ(f.is_null() ? std::string() : str(f), field) << bad.body;
  }
  EXPECT_EQ(client_->request("GET", target, "", integration).status, 405);
  EXPECT_EQ(client_->request("POST", target, receipt).status, 401);
  EXPECT_EQ(head(auditor), before) << "a duplicate or a refusal writes nothing";

  // A retraction is the event again with an errorDeclaration. Another party may not retract
  // the customer's event (403, nothing written); the customer may, and the recall then lists
  // the event as retracted.
  const auto received = first_data(plant, "lot.receive");
  ASSERT_FALSE(received.empty());
  const std::string supplier = str(received.at("supplier"));
  ASSERT_NE(supplier, customer);
  std::string retraction = receipt;
  retraction.insert(retraction.find(R"("action")"),
                    R"("errorDeclaration":{"declarationTime":"2026-11-26T08:00:00Z",)"
                    R"("reason":"incorrect_data"},)");
  auto wrong =
      client_->request("POST", "/v1/epcis/capture?partner=" + supplier, retraction, integration);
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_EQ(str(wrong.json().at("error").at("field")), "partner") << wrong.body;
  EXPECT_EQ(head(auditor), before) << "a refused retraction writes nothing";
  auto retracted = client_->request("POST", target, retraction, integration);
  ASSERT_EQ(retracted.status, 200) << retracted.body;
  EXPECT_EQ(retracted.json().at("stored").as_array().size(), 1u) << retracted.body;
  auto after = client_->request("GET", "/v1/recall?lot=" + lot, "", auditor);
  ASSERT_EQ(after.status, 200) << after.body;
  const auto after_answer = after.json();
  ASSERT_EQ(after_answer.at("partnerEvents").as_array().size(), 1u) << after.body;
  EXPECT_TRUE(after_answer.at("partnerEvents").at(0).as_object().contains("errorDeclared"))
      << after.body;
  // Operators do not file partners' evidence; the denial is itself recorded, so it comes last.
  EXPECT_EQ(client_->request("POST", target, receipt, op).status, 403);
}

TEST_F(Serve, PeopleAndPluginsAreListedForIdentityReadersOnly) {
  const std::string admin = token("admin");
  const std::string op = token("operator");
  ASSERT_EQ(run_custody({"user", "add", dir().string(), "--id", "quinn", "--name", "Quinn Harper",
                         "--role", "qa"})
                .exit_code,
            0);
  start();
  auto users = client_->request("GET", "/v1/users", "", admin);
  ASSERT_EQ(users.status, 200) << users.body;
  const auto list = users.json();
  ASSERT_EQ(list.at("users").as_array().size(), 1u);
  EXPECT_EQ(list.at("users").at(0).at("name"), "Quinn Harper");
  EXPECT_EQ(list.at("users").at(0).at("passwordSet"), false);
  EXPECT_EQ(users.body.find("argon2"), std::string::npos);
  auto plugins = client_->request("GET", "/v1/plugins", "", admin);
  ASSERT_EQ(plugins.status, 200) << plugins.body;
  for (const std::string target : {"/v1/users", "/v1/plugins"}) {
    auto r = client_->request("GET", target, "", op);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(code_of(r), "permission_denied");
  }
  auto me = client_->request("GET", "/v1/whoami", "", op);
  ASSERT_EQ(me.status, 200);
  const auto may = me.json().at("mayCommand").as_array();
  EXPECT_NE(std::find(may.begin(), may.end(), json::value("op.start")), may.end());
  EXPECT_EQ(std::find(may.begin(), may.end(), json::value("lot.release")), may.end());
  EXPECT_EQ(me.json().at("mayRead"), json::parse(R"(["state"])"));
}

TEST_F(Serve, ProofsVerifyAgainstTheSignedCheckpointAndBadQueriesSayWhichField) {
  const std::string auditor = token("auditor");
  const std::string op = token("operator");
  append_plant();
  std::string vkey;
  std::getline(std::ifstream(dir() / "node.pub"), vkey);
  auto verifier = crypto::NoteVerifier::parse(vkey);
  ASSERT_TRUE(verifier) << vkey;
  start();
  auto digest = [](const json::value& v) {
    crypto::Digest d{};
    auto bytes = from_hex(std::string(v.as_string()));
    EXPECT_TRUE(bytes && bytes->size() == 32);
    if (bytes && bytes->size() == 32) std::memcpy(d.data(), bytes->data(), 32);
    return d;
  };
  auto path_of = [&](const json::value& proof) {
    std::vector<crypto::Digest> out;
    for (const auto& h : proof.at("path").as_array()) out.push_back(digest(h));
    return out;
  };
  auto signed_root = [&](const json::value& note) {
    auto cp = ledger::open_checkpoint(std::string(note.as_string()), *verifier);
    EXPECT_TRUE(cp) << note;
    return cp ? std::pair{cp->size, cp->root} : std::pair{std::uint64_t{0}, crypto::Digest{}};
  };

  auto r = client_->request("GET", "/v1/proofs/inclusion?seq=42", "", auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value inc = r.json().at("proof");
  const auto size = inc.at("treeSize").to_number<std::uint64_t>();
  EXPECT_EQ(size, head(auditor));  // the whole log, signed for the asking
  EXPECT_EQ(signed_root(inc.at("checkpoint")), std::pair(size, digest(inc.at("rootHash"))));
  auto rec = client_->request("GET", "/v1/records/42", "", auditor);
  ASSERT_EQ(rec.status, 200);
  EXPECT_EQ(rec.json().at("record").at("hash"), inc.at("leafHash"));
  EXPECT_TRUE(crypto::verify_inclusion(41, size, digest(inc.at("leafHash")), path_of(inc),
                                       digest(inc.at("rootHash"))));

  r = client_->request("GET", "/v1/proofs/consistency?from=100&to=" + std::to_string(size), "",
                       auditor);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value con = r.json().at("proof");
  EXPECT_EQ(signed_root(con.at("toCheckpoint")).second, digest(con.at("toRoot")));
  EXPECT_TRUE(crypto::verify_consistency(100, size, digest(con.at("fromRoot")),
                                         digest(con.at("toRoot")), path_of(con)));

  // Bad queries: 400 and the field; another kind of proof: 404; an operator: 403. None of
  // them writes a record.
  const std::uint64_t before = head(auditor);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"/v1/proofs/inclusion", "seq"},
      {"/v1/proofs/inclusion?seq=0", "seq"},
      {"/v1/proofs/inclusion?seq=x1", "seq"},
      {"/v1/proofs/inclusion?seq=" + std::to_string(size + 1) + "&treeSize=" + std::to_string(size),
       "seq"},
      {"/v1/proofs/inclusion?seq=1&treeSize=99999999", "treeSize"},
      {"/v1/proofs/inclusion?seq=1&treeSize=0", "treeSize"},
      {"/v1/proofs/consistency?to=5", "from"},
      {"/v1/proofs/consistency?from=9&to=5", "from"},
      {"/v1/proofs/consistency?from=1&to=-2", "to"},
      {"/v1/records/42?bytes=maybe", "bytes"},
      {"/v1/records/0", "seq"}};
  for (const auto& [target, field] : bad) {
    auto b = client_->request("GET", target, "", auditor);
    EXPECT_EQ(b.status, 400) << target << " " << b.body;
    EXPECT_EQ(code_of(b), "invalid_argument") << target;
    EXPECT_EQ(b.json().at("error").at("field"), field.c_str()) << target;
  }
  EXPECT_EQ(client_->request("GET", "/v1/proofs/exclusion?seq=1", "", auditor).status, 404);
  auto denied = client_->request("GET", "/v1/proofs/inclusion?seq=1", "", op);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(code_of(denied), "permission_denied");
  sync(op);
  EXPECT_EQ(head(auditor), before + 2);  // the operator's denial and the sync note, nothing else
}

// The document clients are written against is the one in the source tree (linted by
// api_openapi_lint), served without credentials.
TEST_F(Serve, ItServesItsOpenApiDocument) {
  start();
  auto r = client_->request("GET", "/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.body;
  std::ifstream file(CUSTODY_OPENAPI_FILE);
  const std::string source((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(r.body, source);
  EXPECT_EQ(r.json().at("openapi"), "3.1.0");
  EXPECT_EQ(client_->request("POST", "/v1/openapi.json", "{}").status, 405);
}

// GS1's EPCIS 2.0 REST binding under /epcis: a capture job (rollback by default, proceed on
// request), the synchronous capture of one event (201, then 409), the query with filters and
// pages, discovery, and every refusal a problem+json that writes nothing.
TEST_F(Serve, TheEpcisRestBindingCapturesQueriesAPageAtATimeAndRefusesClearly) {
  const std::string partner_token = token("integration");
  const std::string other_partner = token("integration");
  const std::string auditor = token("auditor");
  const std::string op = token("operator");
  const std::string plant = append_plant();
  ASSERT_FALSE(plant.empty());
  const auto received = first_data(plant, "lot.receive");
  ASSERT_FALSE(received.empty());
  const std::string supplier = str(received.at("supplier"));
  start();
  auto problem_of = [](const HttpResponse& r) {
    EXPECT_EQ(r.headers.at("content-type"), "application/problem+json") << r.body;
    return r.json().as_object();
  };

  auto discovery = client_->request("OPTIONS", "/epcis/capture", "", partner_token);
  ASSERT_EQ(discovery.status, 204) << discovery.body;
  EXPECT_EQ(discovery.headers["gs1-epcis-version"], "2.0.0");
  EXPECT_EQ(discovery.headers["gs1-cbv-version"], "2.0.0");
  EXPECT_EQ(discovery.headers["gs1-capture-error-behaviour"], "all");
  EXPECT_EQ(discovery.headers["gs1-epcis-capture-limit"], "250000");
  EXPECT_EQ(discovery.headers["allow"], "GET, POST, OPTIONS");

  const std::string lot7 = "https://id.gs1.org/01/09521234543213/10/LOT-7";
  auto event = [](const std::string& time, const std::string& step, const std::string& cls) {
    return R"({"type":"ObjectEvent","eventTime":")" + time +
           R"(","eventTimeZoneOffset":"+01:00","action":"OBSERVE","bizStep":")" + step +
           R"(","quantityList":[{"epcClass":")" + cls + R"(","quantity":40,"uom":"KGM"}]})";
  };
  auto document = [](const std::vector<std::string>& events) {
    std::string list;
    for (const auto& e : events) list += (list.empty() ? "" : ",") + e;
    return R"({"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],)"
           R"("type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-11-25T10:00:00Z",)"
           R"("epcisBody":{"eventList":[)" +
           list + "]}}";
  };
  const std::string good = event("2026-11-25T09:00:00+01:00", "shipping", lot7);
  const std::string wrong = event("2026-11-25T09:30:00+01:00", "teleporting", lot7 + "8");
  const std::string mixed = document({good, wrong});
  // A capture job runs after the 202; its state is polled until it has finished.
  auto capture = [&](const std::string& body, std::vector<std::string> headers = {}) {
    auto accepted = client_->request("POST", "/epcis/capture?partner=" + supplier, body,
                                     partner_token, headers);
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    const std::string location = accepted.headers["location"];
    EXPECT_TRUE(location.starts_with("/epcis/capture/")) << location;
    for (int i = 0; i < 600; ++i) {
      auto job = client_->request("GET", location, "", partner_token);
      EXPECT_EQ(job.status, 200) << job.body;
      if (job.status != 200) return json::object{};
      auto o = job.json().as_object();
      if (!o.at("running").as_bool()) return o;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the capture job did not finish";
    return json::object{};
  };

  // Rollback (the default): one wrong event, and nothing is stored; the job says which.
  const std::uint64_t before = head(auditor);
  auto rolled_back = capture(mixed);
  EXPECT_FALSE(rolled_back.at("success").as_bool());
  EXPECT_EQ(str(rolled_back.at("captureErrorBehaviour")), "rollback");
  ASSERT_EQ(rolled_back.at("errors").as_array().size(), 1u);
  EXPECT_EQ(str(rolled_back.at("errors").at(0).at("field")), "/epcisBody/eventList/1/bizStep");
  EXPECT_EQ(str(rolled_back.at("errors").at(0).at("type")), "epcisException:ValidationException");
  EXPECT_EQ(head(auditor), before) << "a rolled-back capture writes nothing";
  // Proceed (in the header's other spelling too): the good event is stored, the wrong one listed.
  auto proceeded = capture(mixed, {"GS1-EPCIS-Capture-Error-Behaviour: proceed"});
  EXPECT_FALSE(proceeded.at("success").as_bool());
  EXPECT_EQ(str(proceeded.at("captureErrorBehaviour")), "proceed");
  EXPECT_EQ(proceeded.at("custody:stored"), 1);
  EXPECT_EQ(proceeded.at("errors").as_array().size(), 1u);
  EXPECT_EQ(head(auditor), before + 1);
  auto clean = capture(document({event("2026-11-25T11:00:00+01:00", "receiving", lot7)}));
  EXPECT_TRUE(clean.at("success").as_bool());
  EXPECT_TRUE(clean.at("errors").as_array().empty());
  auto jobs = client_->request("GET", "/epcis/capture?perPage=2", "", partner_token);
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  EXPECT_EQ(jobs.json().as_array().size(), 2u);
  EXPECT_NE(jobs.headers["link"].find("rel=\"next\""), std::string::npos) << jobs.headers["link"];
  // Another partner's token does not see the jobs.
  EXPECT_TRUE(
      client_->request("GET", "/epcis/capture", "", other_partner).json().as_array().empty());
  EXPECT_EQ(
      client_->request("GET", "/epcis/capture/" + str(clean.at("captureID")), "", other_partner)
          .status,
      404);

  // The query: the class in its URN form finds the partner's events by their Digital Link.
  auto found = client_->request(
      "GET", "/epcis/events?MATCH_anyEPCClass=urn:epc:class:lgtin:9521234.054321.LOT-7", "",
      partner_token);
  ASSERT_EQ(found.status, 200) << found.body;
  const auto found_doc = found.json();
  EXPECT_EQ(str(found_doc.at("type")), "EPCISQueryDocument");
  const auto& list = found_doc.at("epcisBody").at("queryResults").at("resultsBody").at("eventList");
  ASSERT_EQ(list.as_array().size(), 2u) << found.body;
  EXPECT_EQ(str(list.at(0).at("bizStep")), "shipping");
  const std::string shipped_id = str(list.at(0).at("eventID"));
  EXPECT_EQ(client_
                ->request("GET", "/epcis/events?EQ_bizStep=receiving&MATCH_anyEPCClass=" + lot7, "",
                          partner_token)
                .json()
                .at("epcisBody")
                .at("queryResults")
                .at("resultsBody")
                .at("eventList")
                .as_array()
                .size(),
            1u);
  // custody's own shipments, a page at a time: every page's Link leads on, no event twice.
  std::set<std::string> seen;
  std::size_t pages = 0;
  std::string next = "/epcis/events?eventType=ObjectEvent&EQ_bizStep=shipping&perPage=3";
  while (!next.empty() && pages < 1000) {
    auto page = client_->request("GET", next, "", auditor);
    ASSERT_EQ(page.status, 200) << next << " " << page.body;
    ++pages;
    const auto page_doc = page.json();  // kept: the loop walks a member of it
    for (const auto& e :
         page_doc.at("epcisBody").at("queryResults").at("resultsBody").at("eventList").as_array()) {
      EXPECT_EQ(str(e.at("bizStep")), "shipping");
      EXPECT_TRUE(seen.insert(str(e.at("eventID"))).second) << "twice: " << e;
    }
    const std::string link = page.headers["link"];
    next = link.empty() ? "" : link.substr(1, link.find('>') - 1);
  }
  auto all = client_->request(
      "GET", "/epcis/events?eventType=ObjectEvent&EQ_bizStep=shipping&perPage=10000", "", auditor);
  ASSERT_EQ(all.status, 200);
  EXPECT_TRUE(all.headers["link"].empty());
  const auto all_doc = all.json();
  EXPECT_EQ(all_doc.at("epcisBody")
                .at("queryResults")
                .at("resultsBody")
                .at("eventList")
                .as_array()
                .size(),
            seen.size());
  EXPECT_GT(seen.size(), 3u) << "the plant ships on more than one page";
  EXPECT_GT(pages, 1u);
  auto one = client_->request("GET", "/epcis/events/" + percent_encode(shipped_id), "", auditor);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(str(one.json()
                    .at("epcisBody")
                    .at("queryResults")
                    .at("resultsBody")
                    .at("eventList")
                    .at(0)
                    .at("eventID")),
            shipped_id);

  // One event, synchronously: 201 with where it is, then 409.
  const std::string single =
      R"({"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",)" +
      event("2026-11-26T08:00:00+01:00", "receiving", lot7 + "9").substr(1);
  auto created =
      client_->request("POST", "/epcis/events?partner=" + supplier, single, partner_token);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = str(created.json().at("eventID"));
  EXPECT_EQ(created.headers["location"], "/epcis/events/" + percent_encode(id));
  EXPECT_EQ(client_->request("GET", created.headers["location"], "", auditor).status, 200);
  const std::uint64_t stored = head(auditor);
  auto again = client_->request("POST", "/epcis/events?partner=" + supplier, single, partner_token);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(str(problem_of(again).at("type")), "epcisException:ResourceAlreadyExistsException");

  // Bad input: a problem naming what was wrong, and nothing written.
  std::string bad_step = single;
  bad_step.replace(bad_step.find("\"receiving\""), 11, "\"teleporting\"");
  for (const auto& [method, target, body, headers, status, type, field] :
       std::vector<std::tuple<std::string, std::string, std::string, std::vector<std::string>, int,
                              std::string, std::string>>{
           {"POST", "/epcis/events", bad_step, {}, 400, "ValidationException", "/bizStep"},
           {"POST", "/epcis/events", "[1]", {}, 400, "ValidationException", ""},
           {"POST",
            "/epcis/events?partner=nobody",
            single,
            {},
            400,
            "ValidationException",
            "partner"},
           {"POST", "/epcis/events?colour=red", single, {}, 400, "ValidationException", "colour"},
           {"POST", "/epcis/capture", "{", {}, 400, "ValidationException", ""},
           {"POST",
            "/epcis/capture",
            R"({"type":"EPCISDocument"})",
            {},
            400,
            "ValidationException",
            "/epcisBody/eventList"},
           {"POST",
            "/epcis/capture",
            mixed,
            {"GS1-Capture-Error-Behaviour: sometimes"},
            400,
            "ValidationException",
            "GS1-Capture-Error-Behaviour"},
           {"POST",
            "/epcis/capture",
            mixed,
            {"GS1-EPCIS-Version: 1.2"},
            406,
            "NotAcceptableException",
            "GS1-EPCIS-Version"},
           {"GET", "/epcis/events?colour=red", "", {}, 400, "QueryParameterException", "colour"},
           {"GET",
            "/epcis/events?GE_eventTime=yesterday",
            "",
            {},
            400,
            "QueryParameterException",
            "GE_eventTime"},
           {"GET", "/epcis/events?perPage=0", "", {}, 400, "QueryParameterException", "perPage"},
           {"GET",
            "/epcis/events?nextPageToken=abc",
            "",
            {},
            400,
            "QueryParameterException",
            "nextPageToken"},
           {"GET",
            "/epcis/events?orderBy=eventTime",
            "",
            {},
            400,
            "QueryParameterException",
            "orderBy"},
           {"GET",
            "/epcis/events?maxEventCount=1&EQ_bizStep=shipping",
            "",
            {},
            413,
            "QueryTooLargeException",
            "maxEventCount"},
           {"GET",
            "/epcis/events/urn%3Auuid%3Anone",
            "",
            {},
            404,
            "NoSuchNameException",
            "eventID"},
           {"GET", "/epcis/capture/capture-999", "", {}, 404, "NoSuchNameException", "captureID"},
           {"GET", "/epcis/queries", "", {}, 501, "ImplementationException", ""},
           {"GET", "/epcis/teleport", "", {}, 404, "NoSuchNameException", ""}}) {
    auto r = client_->request(method, target, body, partner_token, headers);
    EXPECT_EQ(r.status, status) << method << " " << target << " " << r.body;
    const auto p = problem_of(r);
    EXPECT_EQ(str(p.at("type")), "epcisException:" + type) << r.body;
    EXPECT_EQ(p.contains("field") ? str(p.at("field")) : std::string(), field) << r.body;
  }
  auto text = client_->raw(
      "POST /epcis/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + partner_token +
      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(single.size()) +
      "\r\n\r\n" + single);
  EXPECT_EQ(text.status, 415) << text.body;
  EXPECT_EQ(head(auditor), stored) << "a refused capture or query writes nothing";

  // Who may: no credentials 401; an auditor reads and may not capture; an operator may not
  // read the log the events come from. The denials are recorded, so they come last.
  auto anonymous = client_->request("GET", "/epcis/events");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(str(problem_of(anonymous).at("type")), "epcisException:SecurityException");
  auto auditor_capture = client_->request("POST", "/epcis/events", single, auditor);
  EXPECT_EQ(auditor_capture.status, 403);
  EXPECT_EQ(str(problem_of(auditor_capture).at("type")), "epcisException:SecurityException");
  EXPECT_EQ(client_->request("POST", "/epcis/capture", mixed, auditor).status, 403);
  EXPECT_EQ(client_->request("GET", "/epcis/capture", "", auditor).status, 403);
  EXPECT_EQ(client_->request("GET", "/epcis/events", "", op).status, 403);
  sync(op);
  EXPECT_EQ(head(auditor), stored + 4) << "three denials recorded and the sync note";
}

}  // namespace
}  // namespace custody::testing
