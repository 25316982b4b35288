// The plugin host against plugins that behave and plugins that do not: refusals at load,
// exceptions at the boundary, capabilities, invalid commands, and runners that crash or hang.
#include <set>
#include <tuple>

#include "plugin/host_fixture.h"

namespace custody::testing {
namespace {

using plugin::Isolation;

class Host : public HostTest {
 protected:
  plugin::PluginConfig contract(const std::string& mode, std::vector<std::string> grants,
                                Isolation isolation = Isolation::kInProcess,
                                const std::string& path = CUSTODY_PLUGIN_CONTRACT_PLUGIN) {
    const std::string config = R"({"mode":")" + mode + R"(","marker":"restart-marker"})";
    return plugin("contract", path, std::move(grants), isolation, config);
  }

  // The texts of the notes the contract plugin wrote.
  std::vector<std::string> contract_notes() {
    std::vector<std::string> out;
    for (const auto& r : stream("note:contract")) {
      out.emplace_back(r.at("payload").at("text").as_string());
    }
    return out;
  }

  bool has_note_starting(const std::string& prefix) {
    for (const auto& n : contract_notes()) {
      if (n.starts_with(prefix)) return true;
    }
    return false;
  }

  // A refused start: the error, and proof that nothing was loaded or written.
  Error refused(const std::vector<plugin::PluginConfig>& configs) {
    const auto head = ledger_->head().seq;
    auto r = try_start_host(configs);
    EXPECT_FALSE(r) << "the host started";
    EXPECT_EQ(host_, nullptr);
    EXPECT_EQ(ledger_->head().seq, head) << "a refused plugin wrote to the ledger";
    return r ? Error{} : r.error();
  }
};

const std::vector<std::string> kAll = {"read", "subscribe", "submit:note"};

TEST_F(Host, RefusesLibrariesThatBreakTheContractInProcessAndOut) {
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    SCOPED_TRACE(isolation == Isolation::kProcess ? "process" : "in process");
    Error e = refused({contract("echo", kAll, isolation, CUSTODY_PLUGIN_CONTRACT_WRONG_MAJOR)});
    EXPECT_EQ(e.code, ErrorCode::kUnsupportedVersion);
    EXPECT_NE(e.message.find("major"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("plugin contract"), std::string::npos) << e.message;

    e = refused({contract("echo", kAll, isolation, CUSTODY_PLUGIN_CONTRACT_NEWER_MINOR)});
    EXPECT_EQ(e.code, ErrorCode::kUnsupportedVersion);
    EXPECT_NE(e.message.find("newer"), std::string::npos) << e.message;

    e = refused({contract("echo", kAll, isolation, CUSTODY_PLUGIN_CONTRACT_NO_INIT)});
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
    EXPECT_NE(e.message.find("custody_plugin_init"), std::string::npos) << e.message;

    e = refused({contract("echo", kAll, isolation, CUSTODY_PLUGIN_CONTRACT_BAD_MANIFEST)});
    EXPECT_NE(e.message.find("unreadable manifest"), std::string::npos) << e.message;

    e = refused({contract("echo", kAll, isolation, (tmp_ / "missing.so").string())});
    EXPECT_EQ(e.code, ErrorCode::kNotFound);

    auto other_id = contract("echo", kAll, isolation);
    other_id.id = "someone-else";
    e = refused({other_id});
    EXPECT_NE(e.message.find("configured as 'someone-else'"), std::string::npos) << e.message;
  }
}

TEST_F(Host, OneRefusalStopsThePluginsAlreadyStarted) {
  auto notes =
      plugin("exception-notes", CUSTODY_PLUGIN_EXCEPTION_NOTES, {"subscribe", "submit:note"});
  Error e = refused(
      {notes, contract("echo", kAll, Isolation::kInProcess, CUSTODY_PLUGIN_CONTRACT_WRONG_MAJOR)});
  EXPECT_EQ(e.code, ErrorCode::kUnsupportedVersion);
}

TEST_F(Host, AThrowingConstructorIsCaughtAtTheBoundaryAndRefused) {
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    Error e = refused({contract("throwing-ctor", kAll, isolation)});
    EXPECT_NE(e.message.find("init failed"), std::string::npos) << e.message;
    ASSERT_TRUE(eventually([&] { return !logged("constructor threw").empty(); }));
    EXPECT_FALSE(logged("refusing to be constructed").empty());
  }
}

TEST_F(Host, ARefusalAtStartReachesTheOperatorWithItsReason) {
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    Error e = refused({contract("refuse", kAll, isolation)});
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument) << e.message;
    EXPECT_NE(e.message.find("start failed"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("threshold must be positive"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("plugin contract: plugin contract"), std::string::npos) << e.message;
  }
}

TEST_F(Host, APluginCanRunTwiceUnderInstanceIds) {
  auto one = contract("echo", kAll);
  one.id = "contract.one";
  auto two = contract("echo", kAll, Isolation::kProcess);
  two.id = "contract.two";
  start_host({one, two});
  auto ping = run("note.add", R"({"subject":"ping","text":"hello"})");
  ASSERT_TRUE(ping);
  ASSERT_TRUE(eventually([&] { return contract_notes().size() == 2; }));
  std::set<std::string> actors;
  for (const auto& n : stream("note:contract")) {
    actors.insert(std::string(n.at("actor").as_string()));
  }
  // Both answered, each under its own actor, with the same command id of their own: the host
  // keeps each plugin's ids apart.
  EXPECT_EQ(actors, (std::set<std::string>{"plugin:contract.one", "plugin:contract.two"}));
}

TEST_F(Host, AThrowingHandlerIsLoggedAndDeliveryGoesOn) {
  start_host({contract("throwing-handler", kAll)});
  ok("note.add", R"({"subject":"ping","text":"first"})");
  ASSERT_TRUE(eventually([&] { return !logged("on_records failed").empty(); }));
  EXPECT_FALSE(logged("handler failed on purpose").empty());
  // The ping's own seq: the head may already be the plugin's answer.
  const auto second = run("note.add", R"({"subject":"ping","text":"second"})");
  ASSERT_TRUE(second);
  ASSERT_TRUE(eventually([&] { return has_note_starting("pong " + std::to_string(second->seq)); }))
      << ::testing::PrintToString(contract_notes());
  EXPECT_EQ(contract_notes().size(), 1u) << "the failed batch must not have been answered";
  EXPECT_EQ(host_->status()[0].state, "running");
}

TEST_F(Host, RecordsReachAPluginInOrderWhileAppendsRun) {
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    SCOPED_TRACE(isolation == Isolation::kProcess ? "process" : "in process");
    dir_ = tmp_ / (isolation == Isolation::kProcess ? "p" : "i");
    reopen(true);
    start_host({contract("echo", kAll, isolation)});
    std::vector<std::uint64_t> pings;
    for (int i = 0; i < 40; ++i) {
      auto r = run("note.add", R"({"subject":"ping","text":")" + std::to_string(i) + "\"}");
      ASSERT_TRUE(r);
      pings.push_back(r->seq);
    }
    ASSERT_TRUE(eventually([&] { return contract_notes().size() == pings.size(); }))
        << contract_notes().size();
    // Each ping answered once, in order, as the plugin's own actor.
    const auto notes = stream("note:contract");
    for (std::size_t i = 0; i < pings.size(); ++i) {
      EXPECT_EQ(notes[i].at("payload").at("text").as_string(), "pong " + std::to_string(pings[i]))
          << ::testing::PrintToString(pings) << ::testing::PrintToString(contract_notes());
      EXPECT_EQ(notes[i].at("actor"), "plugin:contract");
    }
    const auto s = host_->status()[0];
    EXPECT_EQ(s.calls.submitted, pings.size());
    EXPECT_EQ(s.out_of_process, isolation == Isolation::kProcess);
    host_.reset();
  }
}

TEST_F(Host, AnUngrantedCapabilityIsDeniedLoggedAndRecorded) {
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    SCOPED_TRACE(isolation == Isolation::kProcess ? "process" : "in process");
    dir_ = tmp_ / (isolation == Isolation::kProcess ? "p" : "i");
    reopen(true);
    clear_log();
    // Requested: read, subscribe, submit:note, submit:lot. Granted: submit:note only.
    start_host({contract("greedy", {"submit:note"}, isolation)});
    ASSERT_TRUE(eventually([&] { return has_note_starting("query="); }));
    EXPECT_EQ(contract_notes()[0],
              "query=permission_denied subscribe=permission_denied "
              "lot.hold=permission_denied field=submit:lot");
    EXPECT_EQ(logged("denied").size(), 3u) << ::testing::PrintToString(logged("denied"));
    EXPECT_EQ(host_->status()[0].calls.denied, 3u);
    // Each denial is in the ledger, written by custody itself.
    ASSERT_TRUE(eventually([&] { return stream("access:plugin:contract").size() == 3; }));
    std::set<std::string> missing;
    for (const auto& r : stream("access:plugin:contract")) {
      EXPECT_EQ(r.at("type"), "access.denied");
      EXPECT_EQ(r.at("actor"), "system");
      EXPECT_EQ(r.at("payload").at("principal"), "plugin:contract");
      missing.insert(std::string(r.at("payload").at("capability").as_string()));
    }
    EXPECT_EQ(missing, (std::set<std::string>{"read", "subscribe", "submit:lot"}));
    host_.reset();
  }
}

TEST_F(Host, InvalidCommandsFromAPluginAreRejectedLikeAnyOtherAndWriteNothing) {
  start_host({contract("invalid-submit", kAll)});
  ASSERT_TRUE(eventually([&] { return has_note_starting("missing="); }));
  EXPECT_EQ(contract_notes()[0],
            "missing=invalid_argument:data.text junk=invalid_argument:data "
            "actor=permission_denied:actor type=invalid_argument:type version=conflict");
  EXPECT_EQ(host_->status()[0].calls.rejected, 5u);
  EXPECT_FALSE(logged("rejected").empty());
  // The only records are the plugin's report note (no access records: nothing was denied
  // for want of a grant; the actor claim is refused as input).
  EXPECT_EQ(ledger_->head().seq, 1u);
}

TEST_F(Host, ARunnerThatCrashesIsRestartedWhileTheLedgerGoesOn) {
  start_host({contract("crash-once", kAll, Isolation::kProcess)});
  // The ledger takes commands all along.
  int accepted = 0;
  ASSERT_TRUE(eventually([&] {
    ok("note.add",
       R"({"subject":"line-1","text":"still here )" + std::to_string(accepted++) + "\"}");
    return has_note_starting("alive ");
  }));
  EXPECT_GE(host_->status()[0].restarts, 1u);
  // "killed by signal 11", or under AddressSanitizer, which catches the signal, "exited".
  EXPECT_FALSE(logged("restarting in").empty());
  EXPECT_EQ(stream("note:line-1").size(), static_cast<std::size_t>(accepted));
  // The new runner subscribed afresh and answers.
  auto ping = run("note.add", R"({"subject":"ping","text":"after"})");
  ASSERT_TRUE(ping);
  EXPECT_TRUE(eventually([&] { return has_note_starting("pong " + std::to_string(ping->seq)); }));
}

TEST_F(Host, ARunnerThatHangsIsKilledAndRestarted) {
  start_host({contract("hang-once", kAll, Isolation::kProcess)});
  ASSERT_TRUE(eventually([&] { return has_note_starting("alive "); }));
  EXPECT_GE(host_->status()[0].restarts, 1u);
  EXPECT_FALSE(logged("hung").empty());
}

// ABI 1.1: a plugin keeps a position and small state across restarts, in process and out,
// and every bad call is refused with its code and field.
TEST_F(Host, APluginKeepsItsPositionAndStateAcrossRestarts) {
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    SCOPED_TRACE(isolation == Isolation::kProcess ? "process" : "in process");
    dir_ = tmp_ / (isolation == Isolation::kProcess ? "p" : "i");
    reopen(true);
    start_host({contract("state", kAll, isolation)});
    ASSERT_TRUE(eventually([&] { return has_note_starting("state start=1"); }));
    EXPECT_EQ(contract_notes()[0],
              "state start=1 position=0 get=not_found put= future=out_of_range:seq "
              "missing=not_found empty-key=invalid_argument:key big=invalid_argument:value "
              "binary=same erased= gone=not_found resumed=");
    auto ping = run("note.add", R"({"subject":"ping","text":"one"})");
    ASSERT_TRUE(ping);
    ASSERT_TRUE(eventually([&] { return has_note_starting("pong " + std::to_string(ping->seq)); }));
    // The plugin saves its position in on_records: wait until the pong's batch was handled
    // (on_records returned), not only sent. Waiting on `position` (the next seq it will get)
    // raced under load: the host stopped while the batch was still in the runner, its save lost.
    const auto last = ledger_->head().seq;
    ASSERT_TRUE(eventually([&] { return host_->status()[0].handled >= last; }));
    host_.reset();

    // Restarted, it resumes after what it saw: the first ping is not answered twice. Under
    // load the supervisor may already have restarted a slow runner (each start writes its
    // note), so the start to check is the one after all of those.
    std::size_t starts = 0;
    for (const auto& n : contract_notes()) starts += n.starts_with("state start=");
    const std::string next = "state start=" + std::to_string(starts + 1) + " ";
    start_host({contract("state", kAll, isolation)});
    ASSERT_TRUE(eventually([&] { return has_note_starting(next); }));
    std::string second;
    for (const auto& n : contract_notes()) {
      if (n.starts_with(next)) second = n;
    }
    EXPECT_EQ(second.find(next + "position=" + std::to_string(last) + " get= put="), 0u) << second;
    auto ping2 = run("note.add", R"({"subject":"ping","text":"two"})");
    ASSERT_TRUE(ping2);
    ASSERT_TRUE(
        eventually([&] { return has_note_starting("pong " + std::to_string(ping2->seq)); }));
    std::size_t pongs = 0;
    for (const auto& n : contract_notes()) pongs += n.starts_with("pong ");
    EXPECT_EQ(pongs, 2u) << ::testing::PrintToString(contract_notes());
    EXPECT_EQ(host_->status()[0].calls.duplicates, 0u);
    host_.reset();
  }
}

// The bounds, and what local state is not: part of the record.
TEST_F(Host, LocalStateIsBoundedPerPluginAndOutsideTheRecord) {
  ok("note.add", R"({"subject":"s","text":"t"})");
  const auto head = ledger_->head();
  const auto digest_before = digest();
  plugin::Services a(*ledger_, {.id = "a"});
  plugin::Services b(*ledger_, {.id = "b"});
  for (std::size_t i = 0; i < plugin::kMaxStateKeys; ++i) {
    ASSERT_TRUE(a.state_put("k" + std::to_string(i), "v"));
  }
  auto over = a.state_put("one-more", "v");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kOutOfRange);
  EXPECT_FALSE(a.state_get("one-more"));
  EXPECT_TRUE(a.state_put("k7", "replaced"));  // replacing a key adds none
  EXPECT_EQ(*a.state_get("k7"), "replaced");
  // Bytes: 16 values of 64 KiB exceed 1 MiB with the keys.
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(
        b.state_put("big" + std::to_string(i), std::string(plugin::kMaxStateValueBytes, 'x')));
  }
  auto bytes = b.state_put("big15", std::string(plugin::kMaxStateValueBytes, 'x'));
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, ErrorCode::kOutOfRange);
  EXPECT_EQ(bytes.error().field, "value");
  // Each plugin sees only its own.
  EXPECT_FALSE(b.state_get("k7"));
  EXPECT_EQ(b.state_get("k7").error().code, ErrorCode::kNotFound);
  auto beyond = a.save_position(head.seq + 1);
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, ErrorCode::kOutOfRange);
  EXPECT_EQ(*a.position(), 0u);
  ASSERT_TRUE(a.save_position(head.seq));
  EXPECT_EQ(*a.position(), head.seq);
  EXPECT_EQ(*b.position(), 0u);

  // None of it is a record, and none of it touches the projections.
  EXPECT_EQ(ledger_->head().seq, head.seq);
  EXPECT_EQ(ledger_->head().leaf, head.leaf);
  EXPECT_EQ(digest(), digest_before);

  // Kept across a reopen; read-only, it reads but does not change.
  reopen(false);
  plugin::Services again(*ledger_, {.id = "a"});
  EXPECT_EQ(*again.position(), head.seq);
  EXPECT_EQ(*again.state_get("k7"), "replaced");
  ledger_.reset();
  ledger_ = open_ledger(dir_, ledger::OpenMode::kReadOnly);
  plugin::Services reader(*ledger_, {.id = "a"});
  EXPECT_EQ(*reader.state_get("k7"), "replaced");
  auto denied = reader.state_put("k7", "x");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
}

TEST_F(Host, DuplicatesAreCountedApartFromWhatWasWritten) {
  const std::vector<std::string> grants = {"submit:note"};
  plugin::Services s(*ledger_,
                     {.id = "dup", .granted = *plugin::Capabilities::parse(grants, "grants")});
  const std::string cmd =
      R"({"type":"note.add","commandId":"d-1","data":{"subject":"x","text":"y"}})";
  ASSERT_TRUE(s.submit_json(cmd));
  auto again = s.submit_json(cmd);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(s.stats().submitted, 1u);
  EXPECT_EQ(s.stats().duplicates, 1u);
}

// The "site" view: the site's identity and its zone's offsets, so a plugin can show the
// plant's wall clock without a zone database; bad spans are refused with the field named.
TEST_F(Host, TheSiteViewGivesTheZonesOffsetsAndRefusesBadSpans) {
  const std::vector<std::string> grants = {"read"};
  ledger::Site site;
  site.name = "Plant 7";
  site.time_zone = "America/New_York";
  plugin::Services s(
      *ledger_,
      {.id = "site", .granted = *plugin::Capabilities::parse(grants, "grants"), .site = site});
  std::string out;
  ASSERT_TRUE(
      s.query(R"({"view":"site","from":"2026-01-01T00:00:00Z","to":"2026-12-31T00:00:00Z"})", out));
  const auto answer = boost::json::parse(out).as_object();
  EXPECT_EQ(answer.at("name").as_string(), "Plant 7");
  EXPECT_EQ(answer.at("timeZone").as_string(), "America/New_York");
  const auto& periods = answer.at("periods").as_array();
  ASSERT_EQ(periods.size(), 3u) << out;
  EXPECT_EQ(periods[0].at("abbreviation").as_string(), "EST");
  EXPECT_EQ(periods[0].at("offsetMinutes").to_number<int>(), -300);
  EXPECT_EQ(periods[1].at("from").as_string(), "2026-03-08T07:00:00Z");
  EXPECT_EQ(periods[1].at("abbreviation").as_string(), "EDT");
  EXPECT_TRUE(periods[1].at("dst").as_bool());
  EXPECT_EQ(periods[2].at("from").as_string(), "2026-11-01T06:00:00Z");

  for (const auto& [request, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"view":"site","from":"yesterday"})", "from"},
           {R"({"view":"site","from":"2026-02-01T00:00:00Z","to":"2026-01-01T00:00:00Z"})", "to"},
           {R"({"view":"site","zone":"UTC"})", "zone"}}) {
    std::string ignored;
    auto r = s.query(request, ignored);
    ASSERT_FALSE(r) << request;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << request;
    EXPECT_EQ(r.error().field, field) << request;
  }
  // Without the read grant the view is denied like any other.
  plugin::Services blind(*ledger_, {.id = "blind", .site = site});
  auto denied = blind.query(R"({"view":"site"})", out);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kPermissionDenied);
}

// The "epcis" view (the outbox's epcis format): one record's events as an EPCISDocument, empty
// for a record with no EPCIS meaning; a missing, malformed or unknown seq is refused with the
// field named, and a query writes nothing.
TEST_F(Host, TheEpcisViewAnswersOneRecordsEventsAndRefusesBadSeqs) {
  master_data();
  receive("L1", 100);
  const std::uint64_t received = ledger_->head().seq;
  ok("note.add", R"({"subject":"shift-log","text":"no EPCIS meaning"})");
  const std::vector<std::string> grants = {"read"};
  plugin::Services s(*ledger_,
                     {.id = "epcis", .granted = *plugin::Capabilities::parse(grants, "grants")});
  std::string out;
  ASSERT_TRUE(s.query(R"({"view":"epcis","seq":)" + std::to_string(received) + "}", out));
  auto doc = boost::json::parse(out).as_object();
  EXPECT_EQ(doc.at("type").as_string(), "EPCISDocument");
  auto& events = doc.at("epcisBody").at("eventList").as_array();
  ASSERT_EQ(events.size(), 1u) << out;
  EXPECT_EQ(events[0].at("bizStep").as_string(), "receiving");
  // The same record always gives the same document.
  std::string again;
  ASSERT_TRUE(s.query(R"({"view":"epcis","seq":)" + std::to_string(received) + "}", again));
  EXPECT_EQ(again, out);
  std::string note;
  ASSERT_TRUE(
      s.query(R"({"view":"epcis","seq":)" + std::to_string(ledger_->head().seq) + "}", note));
  EXPECT_TRUE(boost::json::parse(note).at("epcisBody").at("eventList").as_array().empty()) << note;

  const auto head = ledger_->head().seq;
  const std::string before = digest();
  for (const auto& [request, code, field] :
       std::vector<std::tuple<std::string, ErrorCode, std::string>>{
           {R"({"view":"epcis"})", ErrorCode::kInvalidArgument, "seq"},
           {R"({"view":"epcis","seq":"one"})", ErrorCode::kInvalidArgument, "seq"},
           {R"({"view":"epcis","seq":)" + std::to_string(head + 1) + "}", ErrorCode::kNotFound,
            "seq"},
           {R"({"view":"epcis","seq":1,"lot":"L1"})", ErrorCode::kInvalidArgument, "lot"}}) {
    std::string ignored;
    auto r = s.query(request, ignored);
    ASSERT_FALSE(r) << request;
    EXPECT_EQ(r.error().code, code) << request << ": " << r.error().message;
    EXPECT_EQ(r.error().field, field) << request;
  }
  EXPECT_EQ(ledger_->head().seq, head);
  EXPECT_EQ(digest(), before);
}

// SDK 1.1 is a minor version: a plugin built against the 1.0 headers loads and works.
TEST_F(Host, APluginBuiltAgainstSdk10LoadsAndWorksUnchanged) {
  auto manifest = plugin::probe_manifest(CUSTODY_PLUGIN_SDK10_PLUGIN, CUSTODY_RUNNER);
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->abi_major, 1);
  EXPECT_EQ(manifest->abi_minor, 0);
  for (auto isolation : {Isolation::kInProcess, Isolation::kProcess}) {
    SCOPED_TRACE(isolation == Isolation::kProcess ? "process" : "in process");
    dir_ = tmp_ / (isolation == Isolation::kProcess ? "p" : "i");
    reopen(true);
    start_host({plugin("sdk10", CUSTODY_PLUGIN_SDK10_PLUGIN, {"read", "subscribe", "submit:note"},
                       isolation, R"({"marker":"m-1"})")});
    auto ping = run("note.add", R"({"subject":"ping","text":"from 1.1"})");
    ASSERT_TRUE(ping);
    ASSERT_TRUE(eventually([&] { return stream("note:sdk10").size() == 1; }));
    const auto note = stream("note:sdk10")[0];
    const std::string expected = "pong10 " + std::to_string(ping->seq) + " head=";
    EXPECT_EQ(std::string(note.at("payload").at("text").as_string()).rfind(expected, 0), 0u)
        << note.at("payload").at("text");
    EXPECT_NE(std::string(note.at("payload").at("text").as_string()).find("config=m-1"),
              std::string::npos);
    EXPECT_EQ(note.at("actor"), "plugin:sdk10");
    EXPECT_EQ(host_->status()[0].version, "1.0.0");
    host_.reset();
  }
}

TEST_F(Host, TheSdkExampleWritesExceptionsIntoTheShiftLog) {
  master_data();
  start_host(
      {plugin("exception-notes", CUSTODY_PLUGIN_EXCEPTION_NOTES, {"subscribe", "submit:note"})});
  ok("exception.raise",
     R"({"exception":"EX-1","category":"equipment","severity":"high","description":"washer leaks",)"
     R"("equipment":"washer-1","deadline":"2026-11-21T12:00:00Z"})");
  ASSERT_TRUE(eventually([&] { return stream("note:shift-log").size() == 1; }));
  const auto note = stream("note:shift-log")[0];
  EXPECT_EQ(note.at("payload").at("text"), "Exception EX-1 (high): washer leaks");
  EXPECT_EQ(note.at("actor"), "plugin:exception-notes");
}

}  // namespace
}  // namespace custody::testing
