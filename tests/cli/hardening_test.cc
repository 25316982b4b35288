// The hostile review of the ledger (issue "Hardening"): twenty ways an attacker or a clumsy
// operator lost, hid or forged data. Each test reproduces the original finding through the
// real `custody` binary and proves the fix; all of them failed before it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "custody/codec/capnp_util.h"
#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/domain/projections.h"
#include "custody/ledger/head_file.h"
#include "custody/ledger/store.h"
#include "schema/projections.capnp.h"
#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run_custody;
using testing::TempDir;

std::string command(const std::string& type, const std::string& id, const std::string& data,
                    const std::string& extra = {}) {
  return R"({"type":")" + type + R"(","commandId":")" + id + R"(","actor":"user:qa",)" + extra +
         R"("data":)" + data + "}\n";
}

std::string note(const std::string& id, const std::string& text = "t") {
  return command("note.add", id, R"({"subject":"s","text":")" + text + "\"}");
}

json::object parse(const std::string& line) {
  return json::parse(line).as_object();
}

int verify_dir(const fs::path& dir) {
  return run_custody({"verify", dir.string()}).exit_code;
}

// Master data and one received lot "L1" of 100 kg salt from "mine".
std::string salt() {
  return command("material.define", "m",
                 R"({"material":"salt","name":"Salt","kind":"raw","uom":"kg"})") +
         command("party.define", "p", R"({"party":"mine","name":"Mine","role":"supplier"})") +
         command("lot.receive", "r0",
                 R"({"lot":"L1","material":"salt","qty":100,"uom":"kg","supplier":"mine",)"
                 R"("supplierLot":"S-1"})");
}

// What a write would change: the acknowledged head (DIR/HEAD), and the head and projection
// digest as the ledger reports them. (RocksDB rewrites some of its own files whenever a
// writer opens it, so file bytes are not the measure.)
std::string written_state(const fs::path& dir) {
  const auto files = testing::snapshot_files(dir);
  const auto head = files.find(ledger::HeadFile::kName);
  return (head == files.end() ? std::string() : head->second) +
         run_custody({"state-digest", dir.string()}).out;
}

// The error code of a one-command append, and that it wrote nothing.
std::string rejected_code(const fs::path& dir, const std::string& input) {
  const auto before = written_state(dir);
  auto r = run_custody({"append", dir.string()}, input);
  std::string code = "accepted";
  if (r.exit_code != 0) {
    const auto l = testing::lines(r.out);
    code = l.empty() ? "exit " + std::to_string(r.exit_code) + ": " + r.err
                     : std::string(parse(l.back()).at("error").at("code").as_string());
  }
  if (code != "accepted") {
    EXPECT_EQ(written_state(dir), before) << input.substr(0, 200);
  }
  return code;
}

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(run_custody({"init", dir().string()}).exit_code, 0); }
  fs::path dir() const { return tmp_ / "l"; }

  // Appends a generated plant and returns its command count.
  std::size_t append_plant(int days, int seed = 7) {
    auto gen = run_custody(
        {"gen", "plant", "--days", std::to_string(days), "--seed", std::to_string(seed)});
    EXPECT_EQ(gen.exit_code, 0) << gen.err;
    testing::import_history(dir());
    auto r = run_custody({"append", dir().string()}, gen.out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return testing::lines(gen.out).size();
  }

  std::uint64_t head() const {
    auto l = testing::open_ledger(dir(), ledger::OpenMode::kReadOnly);
    return l->head().seq;
  }

  json::object verify(const std::vector<std::string>& extra = {}, int want_exit = -1) {
    std::vector<std::string> args{"verify", dir().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_custody(args);
    if (want_exit >= 0) {
      EXPECT_EQ(r.exit_code, want_exit) << r.out << r.err;
    }
    EXPECT_FALSE(r.out.empty()) << r.err;
    return r.out.empty() ? json::object() : parse(r.out);
  }

  static void flip_bit(const fs::path& file, std::size_t at) { testing::flip_byte(file, at); }

  fs::path largest(const std::string& extension) const {
    fs::path best;
    std::uintmax_t size = 0;
    for (const auto& e : fs::directory_iterator(dir() / "db")) {
      if (e.path().extension() == extension && e.file_size() > size) {
        best = e.path();
        size = e.file_size();
      }
    }
    return best;
  }

  TempDir tmp_;
};

// 1. One flipped bit in the write-ahead log silently dropped most of the log: verify said
// ok with 2695 of 7211 records, checkpoint signed the truncated head, and the next append
// reused the lost seqs.
TEST_F(Hardening, F01_AFlippedBitInTheWalIsFoundAndStopsWrites) {
  append_plant(2);
  const std::uint64_t acknowledged = head();
  const fs::path wal = largest(".log");
  ASSERT_FALSE(wal.empty());
  flip_bit(wal, fs::file_size(wal) / 2);
  const auto head_file = testing::snapshot_files(dir()).at(ledger::HeadFile::kName);

  auto v = verify({}, 3);
  EXPECT_EQ(v.at("ok"), false);
  ASSERT_TRUE(v.at("firstBadSeq").is_uint64() || v.at("firstBadSeq").is_int64());
  const auto first_bad = v.at("firstBadSeq").to_number<std::uint64_t>();
  EXPECT_GT(first_bad, 1u);
  EXPECT_LE(first_bad, acknowledged);
  EXPECT_NE(std::string(v.at("reason").as_string()).find("acknowledged"), std::string::npos)
      << v.at("reason");

  auto cp = run_custody({"checkpoint", dir().string()});
  EXPECT_EQ(cp.exit_code, 3) << cp.out << cp.err;
  EXPECT_NE(cp.err.find("corruption"), std::string::npos) << cp.err;
  auto more = run_custody({"append", dir().string()}, note("after-the-loss"));
  EXPECT_EQ(more.exit_code, 3) << more.out << more.err;
  EXPECT_TRUE(more.out.empty()) << more.out;
  // Nothing was signed or appended on top of the loss: the acknowledged head did not move,
  // and what verify finds is what it found before.
  EXPECT_EQ(testing::snapshot_files(dir()).at(ledger::HeadFile::kName), head_file);
  EXPECT_EQ(verify({}, 3), v);
}

// 2. Interrupting `custody rebuild` wiped the projections (zero or partial state in 10 of
// 11 runs) and verify still passed; later appends were then checked against empty state.
// The interrupted rebuild itself is in the crash suite (crash_test.cc); here, a ledger whose
// projections do not match this build's refuses writes and fails verify until rebuilt.
TEST_F(Hardening, F02_ProjectionsBuiltByAnotherVersionRefuseWritesUntilRebuilt) {
  append_plant(1);
  {
    auto machine = domain::make_state_machine();
    auto store =
        ledger::Store::open(dir(), ledger::OpenMode::kReadWrite, machine->column_families());
    ASSERT_TRUE(store) << store.error().message;
    rocksdb::WriteBatch b;
    b.Put((*store)->cf(ledger::Cf::kMeta), "projections", "0 0");
    ASSERT_TRUE((*store)->write(b));
  }
  auto r = run_custody({"append", dir().string()}, note("n1"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("projections_stale"), std::string::npos) << r.err;
  auto v = verify({}, 3);
  EXPECT_EQ(v.at("projections").at("ok"), false);
  ASSERT_EQ(run_custody({"rebuild", dir().string()}).exit_code, 0);
  EXPECT_EQ(run_custody({"append", dir().string()}, note("n1")).exit_code, 0);
  EXPECT_EQ(verify({}, 0).at("ok"), true);
}

// 3. A reused commandId with a different body was answered ok/duplicate and the new command
// (a lot.hold) silently dropped.
TEST_F(Hardening, F03_TheSameIdForAnotherCommandIsAConflict) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1", "first")).exit_code, 0);
  EXPECT_EQ(rejected_code(dir(), note("c1", "second")), "idempotency_conflict");
  EXPECT_EQ(rejected_code(dir(), command("lot.hold", "c1", R"({"lot":"L","reason":"r"})")),
            "idempotency_conflict");
  auto same = run_custody({"append", dir().string()}, note("c1", "first"));
  EXPECT_EQ(same.exit_code, 0);
  EXPECT_EQ(parse(same.out).at("duplicate"), true);
}

// 4. Reserved id namespaces were open to clients: "escalate:EX-99" stopped an automatic
// escalation, "plugin:<id>/<cid>" swallowed a plugin's command, "auto:<cmdId>" hijacked an
// automatic exception.
TEST_F(Hardening, F04_ReservedIdsAreRefused) {
  for (const char* id :
       {"escalate:EX-99", "plugin:scheduler/p1", "auto:r-1", "access:x", "system:x", "epcis:x"}) {
    EXPECT_EQ(rejected_code(dir(), note(id)), "reserved") << id;
  }
  EXPECT_EQ(rejected_code(dir(), command("exception.raise", "e1",
                                         R"({"exception":"auto:r-1","category":"quality",)"
                                         R"("severity":"high","description":"d"})")),
            "reserved");
  EXPECT_EQ(head(), 0u);
}

// 5. A plugin granted only `read` printed node.key and wrote files; `plugins check` ran the
// library's constructors as root in custody's own process.
TEST_F(Hardening, F05_APluginThatIsNotTrustedIsConfinedToItsRunner) {
  const fs::path outside = tmp_ / "written-by-plugin";
  {
    std::ofstream cfg(dir() / "config.json", std::ios::trunc);
    cfg << R"({"plugins":[{"id":"contract","path":")" << CUSTODY_PLUGIN_CONTRACT_PLUGIN
        << R"(","grants":["read","submit:note"],"config":{"mode":"snoop","read":")"
        << (dir() / "node.key").string() << R"(","write":")" << (dir() / "planted").string()
        << R"("}}]})";
  }
  auto run = run_custody({"run", dir().string(), "--for", "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find(R"("isolation":"process")"), std::string::npos) << run.out;
  auto log = run_custody({"log", dir().string(), "--stream", "note:contract"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_NE(log.out.find("read=denied write=denied workdir=ok"), std::string::npos) << log.out;
  EXPECT_FALSE(fs::exists(dir() / "planted"));

  // In process only when the operator vouches for it.
  {
    std::ofstream cfg(dir() / "config.json", std::ios::trunc);
    cfg << R"({"plugins":[{"id":"contract","path":")" << CUSTODY_PLUGIN_CONTRACT_PLUGIN
        << R"(","grants":["read"],"isolation":"inProcess"}]})";
  }
  auto refused = run_custody({"run", dir().string(), "--for", "1"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("trusted"), std::string::npos) << refused.err;

  // Checking a library runs its constructor in a sandboxed runner, not here.
  ::setenv("CUSTODY_CONTRACT_CTOR_MARKER", outside.c_str(), 1);
  auto check = run_custody({"plugins", "check", CUSTODY_PLUGIN_CONTRACT_PLUGIN});
  ::unsetenv("CUSTODY_CONTRACT_CTOR_MARKER");
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_FALSE(fs::exists(outside)) << "the constructor ran with custody's access";
}

// 6. `verify --key-file victim.pub` vouched for a forged ledger that had no checkpoint signed
// by that key (checkpointsChecked 0, ok).
TEST_F(Hardening, F06_AGivenKeyMustHaveSignedTheHead) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1") + note("c2")).exit_code, 0);
  {
    auto store = ledger::Store::open(dir(), ledger::OpenMode::kReadWrite, {});
    ASSERT_TRUE(store);
    rocksdb::WriteBatch b;
    b.DeleteRange((*store)->cf(ledger::Cf::kCheckpoints), be64(0), be64(~0ull));
    ASSERT_TRUE((*store)->write(b));
  }
  auto v = verify({"--key-file", (dir() / "node.pub").string()}, 3);
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_EQ(v.at("firstBadSeq"), 1);
  ASSERT_EQ(run_custody({"checkpoint", dir().string()}).exit_code, 0);
  EXPECT_EQ(verify({"--key-file", (dir() / "node.pub").string()}, 0).at("ok"), true);
}

// 7. A lot's supplier lot changed in the stored projections passed verify, and show, recall
// and the FSMA 204 export served the forged value.
TEST_F(Hardening, F07_TamperedProjectionsFailVerify) {
  append_plant(1);
  std::string forged_key;
  {
    auto store = ledger::Store::open(dir(), ledger::OpenMode::kReadWrite,
                                     domain::make_state_machine()->column_families());
    ASSERT_TRUE(store);
    auto* entities = (*store)->cf(domain::kEntitiesCf);
    std::unique_ptr<rocksdb::Iterator> it((*store)->db().NewIterator({}, entities));
    for (it->Seek("lot/"); it->Valid() && it->key().starts_with("lot/"); it->Next()) {
      codec::MessageView view(it->value().ToStringView());
      auto lot = view.root<schema::Lot>();
      if (lot.getSupplierLot().size() == 0) continue;
      capnp::MallocMessageBuilder msg;
      msg.setRoot(lot);
      msg.getRoot<schema::Lot>().setSupplierLot("FORGED");
      forged_key = it->key().ToString();
      ASSERT_TRUE((*store)
                      ->db()
                      .Put({}, entities, forged_key,
                           codec::canonical_bytes(msg.getRoot<schema::Lot>().asReader()))
                      .ok());
      break;
    }
  }
  ASSERT_FALSE(forged_key.empty());
  auto v = verify({}, 3);
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_NE(std::string(v.at("projections").at("reason").as_string()).find(forged_key),
            std::string::npos)
      << v;
  // The log itself is intact: a rebuild restores what it says.
  ASSERT_EQ(run_custody({"rebuild", dir().string()}).exit_code, 0);
  EXPECT_EQ(verify({}, 0).at("ok"), true);
}

// 8. Times outside 1677-2262 wrapped (9999 stored as 1816, a deadline of 2300 as 1715), and
// 1970-01-01T00:00:00Z was stored as "not given".
TEST_F(Hardening, F08_TimesCustodyCannotHoldAreRefused) {
  for (const char* t : {"9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z", "1600-01-01T00:00:00Z"}) {
    EXPECT_EQ(rejected_code(dir(), command("note.add", "t1", R"({"subject":"s","text":"t"})",
                                           std::string(R"("occurredAt":")") + t + "\",")),
              "out_of_range")
        << t;
  }
  EXPECT_EQ(rejected_code(dir(), command("exception.raise", "e1",
                                         R"({"exception":"EX-1","category":"quality",)"
                                         R"("severity":"high","description":"d",)"
                                         R"("deadline":"2300-01-01T00:00:00Z"})")),
            "out_of_range");
}

// 9. --out followed symlinks and overwrote silently: `report --out DIR/node.key` destroyed
// the signing key.
TEST_F(Hardening, F09_OutputNeverLandsInALedgerOrOverAFileUnasked) {
  ASSERT_EQ(run_custody({"append", dir().string()}, salt()).exit_code, 0);
  ASSERT_EQ(run_custody({"plugins", "add", dir().string(), CUSTODY_PLUGIN_CUSTODY_REPORTS,
                         "--grant-requested"})
                .exit_code,
            0);
  const std::string key_before = testing::snapshot_files(dir()).at("node.key");
  auto fsma = [&](const fs::path& out, bool force) {
    std::vector<std::string> args{"recall",   dir().string(), "--lot", "L1",
                                  "--format", "fsma204",      "--out", out.string()};
    if (force) args.push_back("--force");
    return run_custody(args);
  };
  auto into_ledger = fsma(dir() / "exports", false);
  EXPECT_EQ(into_ledger.exit_code, 2);
  EXPECT_NE(into_ledger.err.find("inside the ledger directory"), std::string::npos)
      << into_ledger.err;
  auto over_key =
      run_custody({"report", dir().string(), "piecework", "--from", "2026-10-01", "--to",
                   "2026-10-02", "--out", (dir() / "node.key").string(), "--force"});
  EXPECT_EQ(over_key.exit_code, 2);
  EXPECT_NE(over_key.err.find("inside the ledger directory"), std::string::npos) << over_key.err;
  EXPECT_EQ(testing::snapshot_files(dir()).at("node.key"), key_before);
  EXPECT_FALSE(fs::exists(dir() / "exports"));

  // A file already there is kept unless --force; a link there is replaced, never followed.
  const fs::path out = tmp_ / "fsma";
  ASSERT_EQ(fsma(out, false).exit_code, 0);
  auto again = fsma(out, false);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  std::ofstream(tmp_ / "victim.txt") << "keep me";
  fs::remove(out / "fsma204-receiving.csv");
  fs::create_symlink(tmp_ / "victim.txt", out / "fsma204-receiving.csv");
  ASSERT_EQ(fsma(out, true).exit_code, 0);
  EXPECT_FALSE(fs::is_symlink(out / "fsma204-receiving.csv"));
  EXPECT_EQ(testing::snapshot_files(tmp_.path()).at("victim.txt"), "keep me");
}

// Runs `command` with each case's arguments after it: each must exit 2 naming its error code
// and field, and leave `out` unwritten.
struct Refusal {
  std::vector<std::string> args;
  std::string code, field;
};
void expect_refused(const std::vector<std::string>& command, const fs::path& out,
                    const std::vector<Refusal>& cases) {
  for (const auto& c : cases) {
    std::vector<std::string> full = command;
    full.insert(full.end(), c.args.begin(), c.args.end());
    auto r = run_custody(full);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.code), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(field " + c.field + ")"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << r.err;
  }
}

// `custody fsma204` refuses a scope it cannot answer with the option at fault, and writes no
// file and no directory.
TEST_F(Hardening, Fsma204RefusesBadScopesAndWritesNothing) {
  ASSERT_EQ(run_custody({"append", dir().string()}, salt()).exit_code, 0);
  const fs::path out = tmp_ / "sheet";
  expect_refused({"fsma204", dir().string(), "--out", out.string()}, out,
                 {{{}, "invalid_argument", "--product"},
                  {{"--product", "salt", "--tlc", "X"}, "invalid_argument", "--product"},
                  {{"--product", "kale"}, "not_found", "--product"},
                  {{"--tlc", "NEVER"}, "not_found", "--tlc"},
                  {{"--product", "salt", "--from", "soon"}, "invalid_argument", "--from"},
                  {{"--product", "salt", "--from", "2026-10-02", "--to", "2026-10-01"},
                   "invalid_argument",
                   "--to"}});
  // A file in the way: refused before any of the six is written.
  fs::create_directories(out);
  std::ofstream(out / "fsma204-shipping.csv") << "keep me";
  auto in_the_way =
      run_custody({"fsma204", dir().string(), "--out", out.string(), "--product", "salt"});
  EXPECT_EQ(in_the_way.exit_code, 2);
  EXPECT_NE(in_the_way.err.find("already_exists"), std::string::npos) << in_the_way.err;
  EXPECT_FALSE(fs::exists(out / "fsma204-receiving.csv"));
  fs::remove(out / "fsma204-shipping.csv");
  auto good = run_custody({"fsma204", dir().string(), "--out", out.string(), "--product", "salt"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_TRUE(fs::exists(out / "fsma204-traceability-plan.txt"));
}

// `custody epcis export` likewise: a bad scope names its option and leaves no file.
TEST_F(Hardening, EpcisExportRefusesBadScopesAndWritesNothing) {
  ASSERT_EQ(run_custody({"append", dir().string()}, salt()).exit_code, 0);
  const fs::path out = tmp_ / "events.jsonld";
  expect_refused({"epcis", "export", dir().string(), "--out", out.string()}, out,
                 {{{"--lot", "L1", "--wo", "W"}, "invalid_argument", "--lot"},
                  {{"--lot", "NOPE"}, "not_found", "--lot"},
                  {{"--wo", "NOPE"}, "not_found", "--wo"},
                  {{"--from", "soon"}, "invalid_argument", "--from"},
                  {{"--from", "2026-10-02", "--to", "2026-10-01"}, "invalid_argument", "--to"}});
  auto good =
      run_custody({"epcis", "export", dir().string(), "--lot", "L1", "--out", out.string()});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_NE(good.out.find("\"events\":1"), std::string::npos) << good.out;
  EXPECT_NE(
      testing::snapshot_files(tmp_.path()).at("events.jsonld").find("\"bizStep\":\"receiving\""),
      std::string::npos);
}

// `custody epcis import` checks a whole document before it writes: each of the invalid
// documents of openepcis's test resources is refused with the JSON pointer of the value at
// fault and leaves the ledger as it was; a good one is stored once, a second time not at all.
TEST_F(Hardening, EpcisImportRefusesEveryInvalidDocumentAndWritesNothing) {
  ASSERT_EQ(run_custody({"append", dir().string()}, salt()).exit_code, 0);
  const fs::path fixtures = CUSTODY_EPCIS_FIXTURES;
  std::size_t refused = 0;
  for (const auto& entry : fs::directory_iterator(fixtures / "invalid")) {
    if (entry.path().extension() != ".json") continue;
    const auto before = written_state(dir());
    auto r = run_custody({"epcis", "import", dir().string(), entry.path().string()});
    EXPECT_EQ(r.exit_code, 2) << entry.path().filename() << " " << r.out;
    EXPECT_NE(r.err.find("invalid_argument"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("(field /"), std::string::npos) << entry.path().filename() << r.err;
    EXPECT_EQ(written_state(dir()), before) << entry.path().filename();
    ++refused;
  }
  EXPECT_EQ(refused, 15u);
  const fs::path good = fixtures / "examples/gs1-EPCIS/JSON/Example_9.6.1-ObjectEvent.jsonld";
  auto unknown = run_custody({"epcis", "import", dir().string(), good.string(), "--partner", "x"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("(field --partner)"), std::string::npos) << unknown.err;
  auto missing = run_custody({"epcis", "import", dir().string(), (tmp_ / "none.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("(field FILE)"), std::string::npos) << missing.err;
  auto first = run_custody({"epcis", "import", dir().string(), good.string(), "--partner", "mine"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto stored = boost::json::parse(first.out);
  EXPECT_EQ(stored.at("stored").as_array().size(), 2u) << first.out;
  const auto after = written_state(dir());
  auto again = run_custody({"epcis", "import", dir().string(), good.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(boost::json::parse(again.out).at("duplicates"), 2) << again.out;
  EXPECT_EQ(written_state(dir()), after);
}

// 10. Corruption of an .sst, MANIFEST or CURRENT gave exit 2 io_error with no first bad seq,
// and append still accepted writes on a corrupt log .sst.
TEST_F(Hardening, F10_ADamagedSstIsCorruptionAndStopsWrites) {
  append_plant(1);
  // A writer's open flushes the write-ahead log into tables.
  ASSERT_EQ(run_custody({"append", dir().string()}, note("flush")).exit_code, 0);
  ASSERT_EQ(run_custody({"append", dir().string()}, note("flush")).exit_code, 0);
  const fs::path sst = largest(".sst");
  ASSERT_FALSE(sst.empty());
  flip_bit(sst, fs::file_size(sst) / 3);
  auto v = verify({}, 3);
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_TRUE(v.at("firstBadSeq").is_number()) << v;
  const auto head_file = testing::snapshot_files(dir()).at(ledger::HeadFile::kName);
  auto more = run_custody({"append", dir().string()}, note("on-top"));
  EXPECT_EQ(more.exit_code, 3) << more.err;
  EXPECT_TRUE(more.out.empty()) << more.out;
  EXPECT_NE(more.err.find("corruption"), std::string::npos) << more.err;
  EXPECT_EQ(testing::snapshot_files(dir()).at(ledger::HeadFile::kName), head_file);
  EXPECT_EQ(verify({}, 3), v);
}

TEST_F(Hardening, F10_ADamagedCurrentFileIsCorruption) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1")).exit_code, 0);
  std::ofstream(dir() / "db" / "CURRENT", std::ios::trunc) << "MANIFEST-9999";
  auto v = run_custody({"verify", dir().string()});
  EXPECT_EQ(v.exit_code, 3) << v.out << v.err;
  auto a = run_custody({"append", dir().string()}, note("c2"));
  EXPECT_EQ(a.exit_code, 3) << a.err;
}

// 11. A stalled reader made append fail at once, and an open append made reads fail.
TEST_F(Hardening, F11_ReadersAndWritersDoNotBlockEachOther) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1")).exit_code, 0);
  {
    auto writer = testing::open_ledger(dir());  // held open, as `custody run` would
    auto log = run_custody({"log", dir().string()});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    EXPECT_EQ(testing::lines(log.out).size(), 1u);
    EXPECT_EQ(run_custody({"verify", dir().string()}).exit_code, 0);
  }
  auto reader = testing::open_ledger(dir(), ledger::OpenMode::kReadOnly);  // a stalled reader
  EXPECT_EQ(run_custody({"append", dir().string()}, note("c2")).exit_code, 0);
}

// 12. A full disk aborted on a RocksDB assertion (exit 134) and about 56k commands got no
// result line.
TEST_F(Hardening, F12_AFullDiskIsACleanIoErrorAndWritesResume) {
  const fs::path mnt = tmp_ / "small";
  fs::create_directories(mnt);
  if (::geteuid() != 0 || ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=12m") != 0) {
    GTEST_SKIP() << "mounting a small tmpfs needs root";
  }
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const fs::path l = mnt / "l";
  ASSERT_EQ(run_custody({"init", l.string(), "--import-history"}).exit_code, 0);
  auto gen = run_custody({"gen", "plant", "--days", "2", "--seed", "3"});
  const auto all = testing::lines(gen.out);
  std::string first, rest;
  for (std::size_t i = 0; i < all.size(); ++i) (i < 2000 ? first : rest) += all[i] + "\n";
  ASSERT_EQ(run_custody({"append", l.string()}, first).exit_code, 0);
  {
    std::ofstream filler(mnt / "filler", std::ios::binary);
    std::string block(1 << 20, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
  }
  // Leave room for the open and some of the appends, so that the disk fills mid-way: where
  // the first version aborted on a RocksDB assertion with a third of the results unprinted.
  fs::resize_file(mnt / "filler", fs::file_size(mnt / "filler") - 600'000);
  auto full = run_custody({"append", l.string()}, rest);
  EXPECT_EQ(full.exit_code, 2) << full.err.substr(0, 500);
  const auto results = testing::lines(full.out);
  // Either the open already failed (one error on stderr) or every command got a result.
  if (!results.empty()) {
    EXPECT_EQ(results.size(), testing::lines(rest).size());
    EXPECT_NE(full.out.find("io_error"), std::string::npos);
  }
  fs::remove(mnt / "filler");
  EXPECT_EQ(verify_dir(l), 0);
  auto resumed = run_custody({"append", l.string()}, rest);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err.substr(0, 500);
  EXPECT_EQ(verify_dir(l), 0);
}

// 13. ESC, BEL and CR/LF in text fields were printed raw by --format table, so a description
// could forge lines on the exception board.
TEST_F(Hardening, F13_TablesEscapeControlCharacters) {
  const std::string forged = "leak\\r\\n\\u001b[2Kcritical EX-0  closed\\u0007";
  ASSERT_EQ(run_custody({"append", dir().string()},
                        command("exception.raise", "e1",
                                R"({"exception":"EX-1","category":"quality","severity":"high",)"
                                R"("description":")" +
                                    forged + "\"}"))
                .exit_code,
            0);
  for (auto args : std::vector<std::vector<std::string>>{
           {"board", dir().string(), "exceptions", "--format", "table"},
           {"show", dir().string(), "exception", "EX-1", "--format", "table"}}) {
    auto r = run_custody(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (char c : r.out) {
      EXPECT_FALSE(c == '\x1b' || c == '\a' || c == '\r') << "raw control character in " << r.out;
    }
    EXPECT_NE(r.out.find("\\x1b[2K"), std::string::npos) << r.out;
  }
}

// 14. Merging two large in-range lots gave on-hand -9214372036854776.616.
TEST_F(Hardening, F14_QuantitiesNeverWrap) {
  ASSERT_EQ(run_custody({"append", dir().string()},
                        salt() +
                            command("lot.receive", "r1",
                                    R"({"lot":"A","material":"salt","qty":"999999999999",)"
                                    R"("uom":"kg","supplier":"mine","supplierLot":"S-2"})") +
                            command("lot.receive", "r2",
                                    R"({"lot":"B","material":"salt","qty":999999999999,)"
                                    R"("uom":"kg","supplier":"mine","supplierLot":"S-3"})"))
                .exit_code,
            0);
  EXPECT_EQ(rejected_code(dir(), command("lot.merge", "m1", R"({"lots":["A","B"],"into":"C"})")),
            "out_of_range");
  EXPECT_EQ(rejected_code(dir(), command("lot.receive", "r3",
                                         R"({"lot":"D","material":"salt","uom":"kg",)"
                                         R"("qty":"4611686018427387.904","supplier":"mine",)"
                                         R"("supplierLot":"S-4"})")),
            "out_of_range");
}

// 15. Duplicate JSON keys were last-wins: "actor":"system","actor":"user:a" passed.
TEST_F(Hardening, F15_ARepeatedKeyIsRefused) {
  EXPECT_EQ(rejected_code(
                dir(), R"({"type":"note.add","commandId":"d1","actor":"system","actor":"user:a",)"
                       R"("data":{"subject":"s","text":"t"}})"
                       "\n"),
            "invalid_argument");
  EXPECT_EQ(rejected_code(dir(), R"({"type":"note.add","commandId":"d2","actor":"user:a",)"
                                 R"("data":{"subject":"s","text":"t","text":"u"}})"
                                 "\n"),
            "invalid_argument");
}

// 16. Identifiers accepted Unicode lookalikes and invisibles.
TEST_F(Hardening, F16_IdentifiersRefuseLookalikesAndInvisibles) {
  for (const char* id : {"lot\u200b1", "lot\u202e1", "lot\uff1a1", "l\u043et-1",
                         "cre\u0301me" /* not NFC */, "lot\u00a01"}) {
    EXPECT_EQ(rejected_code(dir(), note(id)), "invalid_argument") << id;
  }
  EXPECT_EQ(run_custody({"append", dir().string()}, note("批次-A1")).exit_code, 0);
  EXPECT_EQ(run_custody({"append", dir().string()}, note("cr\u00e8me")).exit_code, 0);
}

// 17. A malformed config.json blocked verify and log, and misspelt keys were ignored.
TEST_F(Hardening, F17_ConfigurationDoesNotStandBetweenAnAuditorAndTheLog) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1")).exit_code, 0);
  std::ofstream(dir() / "config.json", std::ios::trunc) << "{ not json";
  EXPECT_EQ(run_custody({"verify", dir().string()}).exit_code, 0);
  EXPECT_EQ(run_custody({"log", dir().string()}).exit_code, 0);
  std::ofstream(dir() / "config.json", std::ios::trunc) << R"({"groupCommt":{"maxCommands":8}})";
  auto r = run_custody({"append", dir().string()}, note("c2"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config.groupCommt"), std::string::npos) << r.err;
}

// 18. Unbounded reads: a 1 GB input line used 2.1 GB, `--checkpoint /dev/zero` 16.8 GB.
TEST_F(Hardening, F18_InputsHaveCaps) {
  const std::string huge =
      command("note.add", "big", R"({"subject":"s","text":")" + std::string(2 << 20, 'x') + "\"}");
  auto r = run_custody({"append", dir().string()}, huge + note("small"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto out = testing::lines(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(parse(out[0]).at("error").at("code"), "out_of_range");
  EXPECT_EQ(parse(out[1]).at("ok"), true);
  auto zero = run_custody({"verify", dir().string(), "--checkpoint", "/dev/zero"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.err.find("out_of_range"), std::string::npos) << zero.err;
}

// 19. "+5", "5." and ".5" were accepted as quantities.
TEST_F(Hardening, F19_DecimalsHaveOneGrammar) {
  ASSERT_EQ(run_custody({"append", dir().string()}, salt()).exit_code, 0);
  auto receive = [](const std::string& id, const std::string& qty) {
    return command("lot.receive", id,
                   R"({"lot":")" + id + R"(","material":"salt","qty":")" + qty +
                       R"(","uom":"kg","supplier":"mine","supplierLot":"S-9"})");
  };
  int n = 0;
  for (const char* q : {"+5", "5.", ".5", "05", "5e3", " 5", "1,5", "-", ""}) {
    EXPECT_EQ(rejected_code(dir(), receive("q" + std::to_string(++n), q)), "invalid_argument") << q;
  }
  EXPECT_EQ(run_custody({"append", dir().string()}, receive("ok1", "0.5") + receive("ok2", "12"))
                .exit_code,
            0);
}

// 20. Stored plugin grants could exceed what the plugin requested.
TEST_F(Hardening, F20_AGrantBeyondTheRequestIsRefused) {
  std::ofstream(dir() / "config.json", std::ios::trunc)
      << R"({"plugins":[{"id":"contract","path":")" << CUSTODY_PLUGIN_CONTRACT_PLUGIN
      << R"(","grants":["read","submit:wo"]}]})";
  auto run = run_custody({"run", dir().string(), "--for", "1"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("submit:wo"), std::string::npos) << run.err;
  std::ofstream(dir() / "config.json", std::ios::trunc) << "{}";
  auto add = run_custody({"plugins", "add", dir().string(), CUSTODY_PLUGIN_CONTRACT_PLUGIN,
                          "--grant", "read", "--grant", "submit:wo"});
  EXPECT_EQ(add.exit_code, 2);
  EXPECT_NE(add.err.find("submit:wo"), std::string::npos) << add.err;
}

// A plugin library replaced after it was granted ran with the old grant.
TEST_F(Hardening, F21_AReplacedPluginLibraryIsNotLoaded) {
  const fs::path lib = tmp_ / "lib" / "contract.so";
  fs::create_directories(lib.parent_path());
  fs::copy_file(CUSTODY_PLUGIN_CONTRACT_PLUGIN, lib);
  auto add = run_custody({"plugins", "add", dir().string(), lib.string(), "--grant", "read"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const auto cfg = json::parse(testing::snapshot_files(dir()).at("config.json")).as_object();
  const std::string pinned(cfg.at("plugins").at(0).at("sha256").as_string());
  EXPECT_EQ(pinned.size(), 64u);
  ASSERT_EQ(run_custody({"run", dir().string(), "--for", "1"}).exit_code, 0);

  std::ofstream(lib, std::ios::binary | std::ios::app) << "tampered";
  const auto before = written_state(dir());
  auto run = run_custody({"run", dir().string(), "--for", "1"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("not the library that was granted"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(pinned), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("(field sha256)"), std::string::npos) << run.err;
  EXPECT_EQ(written_state(dir()), before);
  // A hand-edited pin that is not a digest is refused as a bad setting.
  std::ofstream(dir() / "config.json", std::ios::trunc)
      << R"({"plugins":[{"id":"contract","path":")" << lib.string()
      << R"(","grants":["read"],"sha256":"abc"}]})";
  auto bad = run_custody({"run", dir().string(), "--for", "1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("config.plugins[0].sha256"), std::string::npos) << bad.err;
}

// config.json changed without a trace: a hand edit of the site or of a plugin's grants left
// nothing in the log.
TEST_F(Hardening, F22_AHandEditedConfigurationIsOnTheRecord) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1")).exit_code, 0);
  auto config_records = [&] {
    auto log = run_custody({"log", dir().string(), "--stream", "config:ledger"});
    EXPECT_EQ(log.exit_code, 0) << log.err;
    return testing::lines(log.out);
  };
  EXPECT_TRUE(config_records().empty()) << "the configuration init wrote needs no record";
  std::ofstream(dir() / "config.json", std::ios::trunc)
      << R"({"checkpointIntervalMs":5000,"site":{"name":"Plant 2","timeZone":"Europe/Prague"},)"
      << R"("plugins":[{"id":"contract","path":")" << CUSTODY_PLUGIN_CONTRACT_PLUGIN
      << R"(","grants":["read"],"config":{"mode":"echo","password":"hunter2-secret"}}]})";
  auto c2 = run_custody({"append", dir().string()}, note("c2"));
  ASSERT_EQ(c2.exit_code, 0) << c2.err;
  auto recs = config_records();
  ASSERT_EQ(recs.size(), 1u);
  const auto rec = parse(recs[0]);
  EXPECT_EQ(rec.at("actor"), "system");
  EXPECT_EQ(rec.at("type"), "config.recorded");
  const auto settings = json::serialize(rec.at("payload").at("settings"));
  EXPECT_NE(settings.find("checkpointIntervalMs=5000"), std::string::npos) << settings;
  EXPECT_NE(settings.find("site.timeZone=Europe/Prague"), std::string::npos) << settings;
  const auto plugins = json::serialize(rec.at("payload").at("plugins"));
  EXPECT_NE(plugins.find("contract path="), std::string::npos) << plugins;
  EXPECT_NE(plugins.find("grants=read"), std::string::npos) << plugins;
  EXPECT_EQ(recs[0].find("hunter2"), std::string::npos) << "a plugin's settings are secret";
  // It precedes the command that found it; an unchanged file is not recorded again.
  EXPECT_LT(rec.at("seq").to_number<std::uint64_t>(),
            parse(c2.out).at("seq").to_number<std::uint64_t>());
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c3")).exit_code, 0);
  EXPECT_EQ(config_records().size(), 1u);
  // Nobody else may write one.
  EXPECT_EQ(rejected_code(dir(), command("config.record", "forged", R"({"sha256":"00"})")),
            "invalid_state");
}

// The site's identity and time zone change through the CLI and go on the record at once; a
// setting the writer refuses leaves config.json as it was and records nothing.
TEST_F(Hardening, F22_TheSiteChangesThroughTheCliAndOnTheRecord) {
  ASSERT_EQ(run_custody({"append", dir().string()}, note("c1")).exit_code, 0);
  const std::string before = testing::read_text(dir() / "config.json");
  const std::uint64_t head_before = head();
  for (const auto& [args, field] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--time-zone", "Mars/Olympus"}, "config.site.timeZone"},
           {{"--site-name", "Plant 2", "--time-zone", "Not a zone"}, "config.site.timeZone"}}) {
    std::vector<std::string> cmd = {"config", "set", dir().string()};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto r = run_custody(cmd);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("(field " + field + ")"), std::string::npos) << r.err;
    EXPECT_EQ(testing::read_text(dir() / "config.json"), before);
    EXPECT_EQ(head(), head_before);
  }
  EXPECT_EQ(run_custody({"config", "set", dir().string()}).exit_code, 2);  // nothing to set
  EXPECT_EQ(head(), head_before);
  {  // A ledger another writer holds (a server, `custody run`): refused, nothing written.
    auto writer = testing::open_ledger(dir());
    auto r = run_custody({"config", "set", dir().string(), "--site-name", "Plant 9"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("ledger_locked"), std::string::npos) << r.err;
    EXPECT_EQ(testing::read_text(dir() / "config.json"), before);
  }
  EXPECT_EQ(head(), head_before);

  auto r = run_custody(
      {"config", "set", dir().string(), "--site-name", "Plant 2", "--time-zone", "Europe/Prague"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = parse(r.out);
  EXPECT_EQ(out.at("site").at("name"), "Plant 2");
  EXPECT_EQ(out.at("site").at("timeZone"), "Europe/Prague");
  EXPECT_EQ(out.at("recorded"), true);
  EXPECT_EQ(head(), head_before + 1);
  auto log = run_custody({"log", dir().string(), "--stream", "config:ledger"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  ASSERT_EQ(testing::lines(log.out).size(), 1u);
  const auto rec = parse(testing::lines(log.out)[0]);
  EXPECT_EQ(rec.at("type"), "config.recorded");
  const auto settings = json::serialize(rec.at("payload").at("settings"));
  EXPECT_NE(settings.find("site.timeZone=Europe/Prague"), std::string::npos) << settings;
  EXPECT_NE(settings.find("checkpointIntervalMs"), std::string::npos) << "the rest is kept";
  // The same again changes nothing and records nothing.
  auto again = run_custody({"config", "set", dir().string(), "--time-zone", "Europe/Prague"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(parse(again.out).at("recorded"), false);
  EXPECT_EQ(head(), head_before + 1);
}

// Long work says how it goes on a terminal, and nothing extra elsewhere.
TEST_F(Hardening, LongWorkShowsProgressOnlyOnATerminal) {
  append_plant(1);
  int pty = -1;
  const pid_t pid = ::forkpty(&pty, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);  // stdout elsewhere; stderr stays on the terminal
    ::setenv("CUSTODY_PROGRESS_INTERVAL_MS", "1", 1);
    execl(CUSTODY_BINARY, CUSTODY_BINARY, "verify", dir().c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string seen;
  char buf[4096];
  for (ssize_t n; (n = ::read(pty, buf, sizeof buf)) > 0;)
    seen.append(buf, static_cast<std::size_t>(n));
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(pty);
  EXPECT_NE(seen.find(" records, "), std::string::npos) << seen;
  EXPECT_NE(seen.find("/s"), std::string::npos) << seen;
  auto piped = run_custody({"verify", dir().string()});  // stderr is a pipe here
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_TRUE(piped.err.empty()) << piped.err;
  EXPECT_EQ(testing::lines(piped.out).size(), 1u);
}

}  // namespace
}  // namespace custody

namespace custody {
namespace {

// SDK 1.1: a plugin's settings can be checked before it runs. Bad input to the check itself
// is a usage error naming the option; a plugin that cannot check says so; nothing is written.
TEST_F(Hardening, PluginSettingsAreCheckedBeforeTheyAreConfigured) {
  const std::string plugin = CUSTODY_PLUGIN_CONTRACT_PLUGIN;
  const auto before = testing::snapshot_files(dir());

  auto missing =
      run_custody({"plugins", "check", plugin, "--config", (tmp_ / "nope.json").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("not_found"), std::string::npos) << missing.err;
  EXPECT_TRUE(missing.out.empty());

  for (const std::string text : {"{", "[1,2]", R"({"a":1,"a":2})"}) {
    SCOPED_TRACE(text);
    std::ofstream(tmp_ / "settings.json") << text;
    auto r =
        run_custody({"plugins", "check", plugin, "--config", (tmp_ / "settings.json").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--config"), std::string::npos) << r.err;
    auto add = run_custody({"plugins", "add", dir().string(), plugin, "--config", text});
    EXPECT_EQ(add.exit_code, 2);
    EXPECT_NE(add.err.find("--config"), std::string::npos) << add.err;
  }

  // The contract plugin exports a check that cannot say (no check_config of its own).
  std::ofstream(tmp_ / "settings.json") << R"({"mode":"echo"})";
  auto unchecked =
      run_custody({"plugins", "check", plugin, "--config", (tmp_ / "settings.json").string()});
  EXPECT_EQ(unchecked.exit_code, 0) << unchecked.err;
  const auto out = parse(unchecked.out);
  EXPECT_EQ(out.at("config").at("checked"), false);
  EXPECT_NE(std::string(out.at("config").at("reason").as_string()).find("only when it starts"),
            std::string::npos);
  EXPECT_EQ(testing::snapshot_files(dir()), before) << "a check wrote to the ledger directory";
}

// --until-caught-up stops by itself once every subscribed plugin has handled the whole log.
TEST_F(Hardening, RunUntilCaughtUpStopsWhenThePluginsHaveSeenEverything) {
  ASSERT_EQ(run_custody({"plugins", "add", dir().string(), CUSTODY_PLUGIN_CONTRACT_PLUGIN,
                         "--grant", "subscribe", "--grant", "submit:note", "--trusted", "--config",
                         R"({"mode":"echo"})"})
                .exit_code,
            0);
  std::string pings;
  for (int i = 0; i < 5; ++i) {
    pings += R"({"type":"note.add","commandId":"p-)" + std::to_string(i) +
             R"(","actor":"user:a","data":{"subject":"ping","text":"x"}})" + "\n";
  }
  ASSERT_EQ(run_custody({"append", dir().string()}, pings).exit_code, 0);
  auto r = run_custody({"run", dir().string(), "--until-caught-up", "--for", "120"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto status = testing::lines(r.out);
  ASSERT_EQ(status.size(), 2u) << r.out;
  const auto stopped = parse(status[1]).at("plugins").as_array()[0];
  EXPECT_EQ(stopped.at("submitted"), 5);  // one pong per ping, all written before it stopped
  // and the pongs were seen too, and the record of the configuration `plugins add` changed
  EXPECT_EQ(stopped.at("handled"), 11);
  EXPECT_EQ(head(), 11u);
}

}  // namespace
}  // namespace custody
