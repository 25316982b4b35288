// The plugin host against plugins that behave and plugins that do not: refusals at load,
// exceptions at the boundary, capabilities, invalid commands, and runners that crash or hang.
#include <set>

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
  ok("note.add", R"({"subject":"ping","text":"second"})");
  const auto second = ledger_->head().seq;
  ASSERT_TRUE(eventually([&] { return has_note_starting("pong " + std::to_string(second)); }));
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
