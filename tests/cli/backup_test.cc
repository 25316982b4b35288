// custody backup and custody restore, through the binary: a copy taken while a writer
// appends, restored after the original is gone; a damaged or altered backup refused; bad
// input refused with nothing written.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "custody/common/encoding.h"
#include "custody/ledger/ledger.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/store.h"
#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::flip_byte;
using testing::lines;
using testing::read_text;
using testing::run_custody;
using testing::TempDir;

json::object parse_line(const std::string& out) {
  auto l = lines(out);
  EXPECT_FALSE(l.empty());
  return l.empty() ? json::object{} : json::parse(l.at(0)).as_object();
}

std::string note_line(int i) {
  return R"({"type":"note.add","commandId":"n-)" + std::to_string(i) +
         R"(","actor":"user:qa","data":{"subject":"line-1","text":"note )" + std::to_string(i) +
         "\"}}\n";
}

// The leaf hash of record `seq` in the ledger at `dir`, as a reader sees it.
std::string leaf_at(const fs::path& dir, std::uint64_t seq) {
  auto ledger = testing::open_ledger(dir, ledger::OpenMode::kReadOnly);
  auto snap = ledger->snapshot();
  auto bytes = snap->record(seq);
  EXPECT_TRUE(bytes.has_value()) << seq;
  if (!bytes) return {};

  auto leaf = ledger::record_leaf(*bytes);
  return leaf ? to_hex(*leaf) : std::string();
}

// Every entry of `dir` (names only): what a refused command must leave as it was.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class Backup : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", ledger_dir().string()}).exit_code, 0);
    std::string cmds;
    for (int i = 0; i < 40; ++i) cmds += note_line(i);
    ASSERT_EQ(run_custody({"append", ledger_dir().string()}, cmds).exit_code, 0);
  }
  [[nodiscard]] fs::path ledger_dir() const { return tmp_.path() / "ledger"; }
  [[nodiscard]] fs::path backup_dir() const { return tmp_.path() / "backup"; }
  [[nodiscard]] fs::path restored_dir() const { return tmp_.path() / "restored"; }

  // A backup of the ledger as it stands; fails the test unless it is taken.
  json::object take_backup() {
    auto r = run_custody({"backup", ledger_dir().string(), "--to", backup_dir().string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_line(r.out);
  }

  // A restore that must be refused as damage (exit 3), with nothing left behind.
  void expect_refused(const std::string& why) {
    const auto before = entries(tmp_.path());
    auto r = run_custody({"restore", backup_dir().string(), "--to", restored_dir().string()});
    EXPECT_EQ(r.exit_code, 3) << why << ": " << r.out << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("corruption"), std::string::npos) << why << ": " << r.err;
    EXPECT_EQ(entries(tmp_.path()), before) << why;
  }

  TempDir tmp_;
};

TEST_F(Backup, ATakenWhileAWriterAppendsRestoresAfterTheOriginalIsDestroyed) {
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::uint64_t final_head = 0;
  {
    auto writer = testing::open_ledger(ledger_dir());  // the writer holds the ledger's lock
    std::thread appender([&] {
      for (int i = 0; !stop.load(); ++i) {
        auto r = testing::append(
            *writer, testing::note("hot-" + std::to_string(i), "line-2", "during the backup"));
        ASSERT_TRUE(r.has_value()) << r.error().message;
        written.fetch_add(1);
      }
    });
    while (written.load() < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int before = written.load();
    auto b = run_custody({"backup", ledger_dir().string(), "--to", backup_dir().string()});
    const int after = written.load();
    stop = true;
    appender.join();
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const auto taken = parse_line(b.out);
    // The copy holds a moment between the two counts: the writer went on meanwhile.
    const auto seq = taken.at("headSeq").to_number<std::uint64_t>();
    EXPECT_GE(seq, 40u + before);
    EXPECT_LE(seq, 40u + after);
    EXPECT_LT(before, after) << "the writer was not appending while the backup ran";
    final_head = writer->snapshot()->head().seq;
  }
  // The backup's head is the original's record at that seq (the chain makes it a prefix).
  auto manifest = json::parse(read_text(backup_dir() / "BACKUP.json")).as_object();
  const std::uint64_t seq = manifest.at("headSeq").to_number<std::uint64_t>();
  EXPECT_GT(final_head, seq);
  EXPECT_EQ(leaf_at(ledger_dir(), seq), std::string(manifest.at("headLeaf").as_string()));

  fs::remove_all(ledger_dir());
  auto r = run_custody({"restore", backup_dir().string(), "--to", restored_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto restored = parse_line(r.out);
  EXPECT_EQ(restored.at("headSeq").to_number<std::uint64_t>(), seq);
  EXPECT_EQ(restored.at("root"), manifest.at("root"));
  EXPECT_EQ(restored.at("projectionDigest"), manifest.at("projectionDigest"));
  auto v = run_custody({"verify", restored_dir().string()});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(parse_line(v.out).at("rootHex"), manifest.at("root"));
  // The restored ledger is a ledger: it takes commands and signs checkpoints again.
  auto more = run_custody({"append", restored_dir().string()}, note_line(1000));
  EXPECT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(parse_line(more.out).at("seq").to_number<std::uint64_t>(), seq + 1);
  EXPECT_EQ(run_custody({"verify", restored_dir().string()}).exit_code, 0);
}

// The cosignatures a witness sent back are evidence nothing could make again: a backup keeps
// them, and the restored ledger verifies against the witness's key as the original did.
TEST_F(Backup, TheWitnessesCosignaturesAreBackedUpAndRestored) {
  const fs::path witness = tmp_.path() / "witness";
  auto init = run_custody({"witness", "init", witness.string(), "--name", "witness.example",
                           "--log-key-file", (ledger_dir() / "node.pub").string()});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string key(parse_line(init.out).at("key").as_string());
  auto cp = run_custody({"checkpoint", ledger_dir().string()});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  std::ofstream(tmp_.path() / "cp.txt") << cp.out;
  auto cosigned = run_custody({"witness", "cosign", witness.string(), "--checkpoint",
                               (tmp_.path() / "cp.txt").string(), "--out",
                               (tmp_.path() / "cosigned.txt").string()});
  ASSERT_EQ(cosigned.exit_code, 0) << cosigned.err;
  ASSERT_EQ(run_custody({"witness", "keep", ledger_dir().string(), "--note",
                         (tmp_.path() / "cosigned.txt").string()})
                .exit_code,
            0);
  take_backup();
  fs::remove_all(ledger_dir());
  auto r = run_custody({"restore", backup_dir().string(), "--to", restored_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = run_custody({"verify", restored_dir().string(), "--witness-key", key});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("witness.example"), std::string::npos) << v.out;
}

TEST_F(Backup, ADamagedTableFileIsRefusedNamingIt) {
  take_backup();
  fs::path sst;
  for (const auto& e : fs::directory_iterator(backup_dir() / "db")) {
    if (e.path().extension() == ".sst" &&
        (sst.empty() || fs::file_size(e.path()) > fs::file_size(sst))) {
      sst = e.path();
    }
  }
  ASSERT_FALSE(sst.empty());
  flip_byte(sst, fs::file_size(sst) / 2);
  expect_refused("a flipped byte");
  auto r = run_custody({"restore", backup_dir().string(), "--to", restored_dir().string()});
  EXPECT_NE(r.err.find("db/" + sst.filename().string()), std::string::npos) << r.err;
}

TEST_F(Backup, AFileAddedOrRemovedIsRefused) {
  take_backup();
  { std::ofstream(backup_dir() / "db" / "000999.sst") << "extra"; }
  expect_refused("an added file");
  fs::remove(backup_dir() / "db" / "000999.sst");
  fs::rename(backup_dir() / "node.pub", tmp_.path() / "node.pub.aside");
  expect_refused("a removed file");
  fs::rename(tmp_.path() / "node.pub.aside", backup_dir() / "node.pub");
  auto ok = run_custody({"restore", backup_dir().string(), "--to", restored_dir().string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(Backup, AManifestThatClaimsAnotherStateIsRefused) {
  take_backup();
  const fs::path m = backup_dir() / "BACKUP.json";
  std::string text = read_text(m);
  const auto at = text.find("\"root\":\"") + 8;
  text[at] = text[at] == '0' ? '1' : '0';
  { std::ofstream(m, std::ios::trunc) << text; }
  expect_refused("a manifest whose root is not the copy's");
  { std::ofstream(m, std::ios::trunc) << "{\"format\":\"custody-backup/1\""; }
  expect_refused("a manifest cut short");
}

TEST_F(Backup, ADamagedLedgerIsNotBackedUp) {
  // A writer's open flushes the write-ahead log into tables.
  ASSERT_EQ(run_custody({"append", ledger_dir().string()}, note_line(500)).exit_code, 0);
  fs::path sst;
  for (const auto& e : fs::directory_iterator(ledger_dir() / "db")) {
    if (e.path().extension() == ".sst" &&
        (sst.empty() || fs::file_size(e.path()) > fs::file_size(sst))) {
      sst = e.path();
    }
  }
  ASSERT_FALSE(sst.empty());
  flip_byte(sst, fs::file_size(sst) / 2);
  const auto before = entries(tmp_.path());
  auto r = run_custody({"backup", ledger_dir().string(), "--to", backup_dir().string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(entries(tmp_.path()), before);
}

TEST_F(Backup, BadInputIsRefusedWithItsFieldAndWritesNothing) {
  take_backup();
  const auto before = entries(tmp_.path());
  struct Case {
    std::vector<std::string> args;
    std::string field;
  };
  const fs::path t = tmp_.path();
  const std::vector<Case> cases = {
      {{"backup", ledger_dir().string(), "--to", backup_dir().string()}, "(field to)"},
      {{"backup", ledger_dir().string(), "--to", (t / "no" / "b").string()}, "(field to)"},
      {{"backup", (t / "nothing").string(), "--to", (t / "b2").string()}, "not_a_ledger"},
      {{"restore", backup_dir().string(), "--to", ledger_dir().string()}, "(field to)"},
      {{"restore", ledger_dir().string(), "--to", (t / "r2").string()}, "(field backup)"},
      {{"restore", (t / "nothing").string(), "--to", (t / "r2").string()}, "(field backup)"},
  };
  for (const auto& c : cases) {
    auto r = run_custody(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.field), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_EQ(entries(t), before);
  }
}

}  // namespace
}  // namespace custody
