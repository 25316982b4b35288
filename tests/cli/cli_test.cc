// End to end through the `custody` binary: what a plant engineer or auditor types.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "custody/domain/plant.h"
#include "support/test_support.h"

namespace custody {
namespace {

using testing::lines;
using testing::run_custody;
using testing::TempDir;

boost::json::object parse(const std::string& line) {
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  EXPECT_FALSE(ec) << line;
  return v.is_object() ? v.as_object() : boost::json::object{};
}

std::string note_line(const std::string& id, const std::string& subject, const std::string& text) {
  return R"({"type":"note.add","commandId":")" + id +
         R"(","actor":"user:alice","data":{"subject":")" + subject + R"(","text":")" + text +
         R"("}})" + "\n";
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run_custody({"init", dir()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    init_ = parse(lines(r.out).at(0));
  }
  std::string dir() const { return (tmp_ / "ledger").string(); }
  TempDir tmp_;
  boost::json::object init_;
};

TEST_F(Cli, InitPrintsIdentityAndRefusesToOverwrite) {
  EXPECT_EQ(init_["ok"], true);
  EXPECT_EQ(init_["ledgerId"].as_string().size(), 36u);
  const std::string key(init_["publicKey"].as_string());
  EXPECT_EQ(key.rfind(std::string(init_["origin"].as_string()) + "+", 0), 0u);
  std::ifstream pub(tmp_ / "ledger" / "node.pub");
  std::string line;
  std::getline(pub, line);
  EXPECT_EQ(line, key);
  auto again = run_custody({"init", dir()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already_exists"), std::string::npos) << again.err;
}

TEST_F(Cli, AppendAnswersEveryLineInOrder) {
  const std::string input =
      note_line("n1", "line-1", "start") + "this is not json\n" +
      R"({"type":"lot.teleport","commandId":"n2","actor":"a","data":{}})" + "\n" +
      note_line("n3", "line-1", "second") + "\n" +
      R"({"type":"note.add","commandId":"n4","actor":"a","data":{"subject":"s"}})" + "\n";
  auto r = run_custody({"append", dir()}, input);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto out = lines(r.out);
  ASSERT_EQ(out.size(), 5u) << r.out;
  auto l0 = parse(out[0]);
  EXPECT_EQ(l0["ok"], true);
  EXPECT_EQ(l0["seq"], 1);
  EXPECT_EQ(l0["commandId"], "n1");
  EXPECT_EQ(l0["hash"].as_string().size(), 64u);
  auto l1 = parse(out[1]);
  EXPECT_EQ(l1["ok"], false);
  EXPECT_EQ(l1["error"].at("code"), "invalid_argument");
  auto l2 = parse(out[2]);
  EXPECT_EQ(l2["commandId"], "n2");
  EXPECT_EQ(l2["error"].at("field"), "type");
  EXPECT_EQ(parse(out[3])["seq"], 2);
  auto l4 = parse(out[4]);
  EXPECT_EQ(l4["error"].at("field"), "data.text");

  // Only the two good commands were written.
  auto log = run_custody({"log", dir()});
  EXPECT_EQ(log.exit_code, 0);
  ASSERT_EQ(lines(log.out).size(), 2u);

  // A retry answers with the original results and writes nothing more.
  auto retry = run_custody(
      {"append", dir()}, note_line("n1", "line-1", "start") + note_line("n3", "line-1", "second"));
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  const auto again = lines(retry.out);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(parse(again[0])["duplicate"], true);
  EXPECT_EQ(parse(again[0])["hash"], l0["hash"]);
  EXPECT_EQ(lines(run_custody({"log", dir()}).out).size(), 2u);
}

TEST_F(Cli, RejectedLinesWriteNothing) {
  auto r = run_custody({"append", dir()},
                       R"({"type":"note.add","commandId":"x","actor":"a","data":{"subject":""}})"
                       "\n{\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.out).size(), 2u);
  EXPECT_TRUE(run_custody({"log", dir()}).out.empty());
  // The rejected id was not taken: the corrected command is accepted as new.
  auto fixed = run_custody({"append", dir()}, note_line("x", "s", "t"));
  EXPECT_EQ(fixed.exit_code, 0);
  EXPECT_EQ(parse(lines(fixed.out).at(0))["seq"], 1);
}

TEST_F(Cli, AppendReadsAFile) {
  std::ofstream(tmp_ / "in.ndjson") << note_line("f1", "s", "t") << note_line("f2", "s", "t");
  auto r = run_custody({"append", dir(), (tmp_ / "in.ndjson").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(r.out).size(), 2u);
  auto missing = run_custody({"append", dir(), (tmp_ / "absent.ndjson").string()});
  EXPECT_EQ(missing.exit_code, 2);
}

TEST_F(Cli, LogFiltersBySeqAndStream) {
  std::string input;
  for (int i = 1; i <= 6; ++i) input += note_line("c" + std::to_string(i), i % 2 ? "a" : "b", "t");
  ASSERT_EQ(run_custody({"append", dir()}, input).exit_code, 0);
  auto range = lines(run_custody({"log", dir(), "--from", "3", "--limit", "2"}).out);
  ASSERT_EQ(range.size(), 2u);
  auto first = parse(range[0]);
  EXPECT_EQ(first["seq"], 3);
  for (const char* key :
       {"hash", "prevHash", "commandId", "actor", "stream", "type", "recordedAt", "payload"}) {
    EXPECT_TRUE(first.contains(key)) << key;
  }
  EXPECT_EQ(first["payload"].at("subject"), "a");
  EXPECT_EQ(parse(range[1])["prevHash"], first["hash"]);
  auto stream = lines(run_custody({"log", dir(), "--stream", "note:b"}).out);
  ASSERT_EQ(stream.size(), 3u);
  EXPECT_EQ(parse(stream[2])["seq"], 6);
  EXPECT_EQ(parse(stream[2])["streamVersion"], 3);
}

TEST_F(Cli, VerifyAndCheckpoint) {
  ASSERT_EQ(
      run_custody({"append", dir()}, note_line("a", "s", "t") + note_line("b", "s", "u")).exit_code,
      0);
  auto cp = run_custody({"checkpoint", dir()});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_NE(cp.out.find("\n2\n"), std::string::npos) << cp.out;
  std::ofstream(tmp_ / "cp.txt") << cp.out;
  auto v = run_custody({"verify", dir(), "--checkpoint", (tmp_ / "cp.txt").string(), "--key-file",
                        (tmp_ / "ledger" / "node.pub").string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  auto report = parse(lines(v.out).at(0));
  EXPECT_EQ(report["ok"], true);
  EXPECT_EQ(report["records"], 2);
  EXPECT_EQ(report["headSeq"], 2);

  std::string forged = cp.out;
  forged.replace(forged.find("\n2\n"), 3, "\n3\n");
  std::ofstream(tmp_ / "forged.txt") << forged;
  auto bad = run_custody({"verify", dir(), "--checkpoint", (tmp_ / "forged.txt").string()});
  EXPECT_EQ(bad.exit_code, 3);
  auto failed = parse(lines(bad.out).at(0));
  EXPECT_EQ(failed["ok"], false);
  EXPECT_TRUE(failed["firstBadSeq"].is_null());
}

TEST_F(Cli, ProveAnswersInclusionAndConsistencyAndRefusesBadSizes) {
  std::string input;
  for (int i = 0; i < 40; ++i) input += note_line("p" + std::to_string(i), "s", "t");
  ASSERT_EQ(run_custody({"append", dir()}, input).exit_code, 0);
  ASSERT_EQ(run_custody({"checkpoint", dir()}).exit_code, 0);
  auto inc = run_custody({"prove", dir(), "--seq", "17"});
  ASSERT_EQ(inc.exit_code, 0) << inc.err;
  auto proof = parse(lines(inc.out).at(0));
  EXPECT_EQ(proof["type"], "inclusion");
  EXPECT_EQ(proof["treeSize"], 40);
  EXPECT_EQ(proof["path"].as_array().size(), 6u);  // ceil(log2(40))
  auto rec = parse(lines(run_custody({"log", dir(), "--from", "17", "--limit", "1"}).out).at(0));
  EXPECT_EQ(proof["leafHash"], rec["hash"]);
  auto con = run_custody({"prove", dir(), "--from", "7"});
  ASSERT_EQ(con.exit_code, 0) << con.err;
  EXPECT_EQ(parse(lines(con.out).at(0))["toSize"], 40);

  // Bad sizes are usage errors naming the field; a prover reads only, so nothing changes.
  const auto before = testing::snapshot_files(tmp_ / "ledger");
  for (const auto& [args, field] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"prove", dir(), "--seq", "0"}, "field seq"},
           {{"prove", dir(), "--seq", "41"}, "field seq"},
           {{"prove", dir(), "--seq", "1", "--tree-size", "41"}, "field treeSize"},
           {{"prove", dir(), "--seq", "1", "--tree-size", "0"}, "positive integer"},
           {{"prove", dir(), "--from", "1", "--to", "0"}, "positive integer"},
           {{"prove", dir(), "--from", "9", "--to", "5"}, "field from"},
           {{"prove", dir()}, "--seq N or --from SIZE"},
           {{"prove", dir(), "--seq", "1", "--from", "1"}, "excludes"}}) {
    auto r = run_custody(args);
    EXPECT_EQ(r.exit_code, 2) << args[2];
    EXPECT_NE(r.err.find(field), std::string::npos) << r.err;
  }
  EXPECT_EQ(testing::snapshot_files(tmp_ / "ledger"), before);
}

TEST_F(Cli, UsageAndDirectoryErrorsExitTwo) {
  TempDir other;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"log", other.path().string()},
           {"append", (other / "nowhere").string()},
           {"verify", other.path().string()},
           {"bogus-command"},
           {"log", dir(), "--from", "zero"},
       }) {
    auto r = run_custody(args, "");
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
  }
  auto r = run_custody({"log", other.path().string()});
  EXPECT_NE(r.err.find("not_a_ledger"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(other / "nowhere"));
}

TEST_F(Cli, LockedLedgerExitsTwoAndChangesNothing) {
  auto holder =
      ledger::Ledger::open(dir(), ledger::OpenMode::kReadWrite, domain::make_state_machine(), {});
  ASSERT_TRUE(holder);
  auto r = run_custody({"append", dir()}, note_line("z", "s", "t"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ledger_locked"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ((*holder)->head().seq, 0u);
}

TEST_F(Cli, NewerLedgerExitsTwoAndChangesNothing) {
  std::ofstream(tmp_ / "ledger" / "FORMAT", std::ios::trunc) << "custody-ledger 99\n";
  const auto before = testing::snapshot_files(tmp_ / "ledger");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"append", dir()}, {"log", dir()}, {"verify", dir()}, {"checkpoint", dir()}}) {
    auto r = run_custody(args, note_line("z", "s", "t"));
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find("unsupported_version"), std::string::npos) << r.err;
  }
  EXPECT_EQ(testing::snapshot_files(tmp_ / "ledger"), before);
}

}  // namespace
}  // namespace custody
