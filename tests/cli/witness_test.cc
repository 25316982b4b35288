// custody witness: a second key that cosigns a checkpoint only when it is proven to extend
// the last one it cosigned; custody verify --witness-key requires its cosignature.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::lines;
using testing::read_text;
using testing::run_custody;
using testing::TempDir;

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

class Witness : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", ledger().string()}).exit_code, 0);
    append(ledger(), "a", 3);
    auto w = run_custody({"witness", "init", witness().string(), "--name", "witness.example",
                          "--log-key-file", (ledger() / "node.pub").string()});
    ASSERT_EQ(w.exit_code, 0) << w.err;
    witness_key_ = std::string(json::parse(w.out).at("key").as_string());
  }
  [[nodiscard]] fs::path ledger() const { return tmp_.path() / "ledger"; }
  [[nodiscard]] fs::path witness() const { return tmp_.path() / "witness"; }

  void append(const fs::path& dir, const std::string& prefix, int n) {
    std::string cmds;
    for (int i = 0; i < n; ++i) {
      cmds += R"({"type":"note.add","commandId":")" + prefix + std::to_string(i) +
              R"(","actor":"user:qa","data":{"subject":"s","text":")" + prefix + "\"}}\n";
    }
    ASSERT_EQ(run_custody({"append", dir.string()}, cmds).exit_code, 0);
  }
  // A signed checkpoint of the ledger's head, in a file; its size.
  std::uint64_t checkpoint(const fs::path& dir, const std::string& name) {
    auto r = run_custody({"checkpoint", dir.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    write_text(tmp_.path() / name, r.out);
    return std::stoull(lines(r.out).at(1));
  }
  void prove(const fs::path& dir, std::uint64_t from, std::uint64_t to, const std::string& name) {
    auto r = run_custody(
        {"prove", dir.string(), "--from", std::to_string(from), "--to", std::to_string(to)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    write_text(tmp_.path() / name, r.out);
  }
  testing::CommandOutput cosign(const std::string& cp, const std::string& proof = {}) {
    std::vector<std::string> args = {"witness", "cosign", witness().string(), "--checkpoint",
                                     (tmp_.path() / cp).string()};
    if (!proof.empty()) {
      args.push_back("--proof");
      args.push_back((tmp_.path() / proof).string());
    }
    return run_custody(args);
  }
  // A refusal: the exit code, the words, and the witness's state left as it was.
  void expect_refused(const testing::CommandOutput& r, int code, const std::string& words,
                      const std::string& state_before) {
    EXPECT_EQ(r.exit_code, code) << r.out << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find(words), std::string::npos) << r.err;
    EXPECT_EQ(read_text(witness() / "state.json"), state_before);
  }
  int verify(const std::string& cp, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"verify",        ledger().string(),
                                     "--checkpoint",  (tmp_.path() / cp).string(),
                                     "--witness-key", witness_key_};
    args.insert(args.end(), more.begin(), more.end());
    return run_custody(args).exit_code;
  }

  TempDir tmp_;
  std::string witness_key_;
};

TEST_F(Witness, CosignsOnlyATreeProvenToExtendTheLastItCosigned) {
  const auto first = checkpoint(ledger(), "1.cp");
  auto c1 = cosign("1.cp");
  ASSERT_EQ(c1.exit_code, 0) << c1.err;
  write_text(tmp_.path() / "1c.cp", c1.out);
  EXPECT_NE(c1.out.find("\xE2\x80\x94 witness.example "), std::string::npos) << c1.out;
  EXPECT_EQ(verify("1c.cp"), 0);
  EXPECT_EQ(verify("1.cp"), 3) << "an uncosigned checkpoint passed --witness-key";

  append(ledger(), "b", 2);
  const auto second = checkpoint(ledger(), "2.cp");
  const std::string state = read_text(witness() / "state.json");
  expect_refused(cosign("2.cp"), 2, "(field proof)", state);
  prove(ledger(), first + 1, second, "offset.json");
  expect_refused(cosign("2.cp", "offset.json"), 2, "(field proof)", state);
  prove(ledger(), first, second, "p12.json");
  auto c2 = cosign("2.cp", "p12.json");
  ASSERT_EQ(c2.exit_code, 0) << c2.err;
  write_text(tmp_.path() / "2c.cp", c2.out);
  EXPECT_EQ(verify("2c.cp"), 0);

  // Back to an older tree: a rollback.
  expect_refused(cosign("1.cp"), 3, "rollback", read_text(witness() / "state.json"));
  // The same tree again is cosigned again (nothing new to check), once.
  auto again = cosign("2.cp");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, c2.out);
}

TEST_F(Witness, AForkedOrRewrittenHistoryIsRefused) {
  // Two copies of one ledger, each then told a different story under the same key.
  fs::copy(ledger(), tmp_.path() / "fork", fs::copy_options::recursive);
  const fs::path fork = tmp_.path() / "fork";
  append(ledger(), "honest", 2);
  append(fork, "forged", 2);
  const auto size = checkpoint(ledger(), "honest.cp");
  ASSERT_EQ(checkpoint(fork, "forged.cp"), size);
  ASSERT_EQ(cosign("honest.cp").exit_code, 0);

  const std::string state = read_text(witness() / "state.json");
  expect_refused(cosign("forged.cp"), 3, "a fork", state);
  // The fork grows; its own proof from the shared size holds for its own tree, not for the
  // one the witness cosigned.
  append(fork, "more", 3);
  const auto bigger = checkpoint(fork, "forged2.cp");
  prove(fork, size, bigger, "forged-proof.json");
  expect_refused(cosign("forged2.cp", "forged-proof.json"), 3, "does not extend", state);
}

TEST_F(Witness, BadInputIsRefusedClearlyAndWritesNothing) {
  const std::string state = read_text(witness() / "state.json");
  // A checkpoint of another ledger (another key).
  ASSERT_EQ(run_custody({"init", (tmp_.path() / "other").string()}).exit_code, 0);
  append(tmp_.path() / "other", "o", 1);
  checkpoint(tmp_.path() / "other", "other.cp");
  expect_refused(cosign("other.cp"), 3, "not signed by the ledger", state);
  write_text(tmp_.path() / "junk.cp", "not a checkpoint\n");
  expect_refused(cosign("junk.cp"), 2, "(field checkpoint)", state);
  expect_refused(cosign("missing.cp"), 2, "(field checkpoint)", state);
  checkpoint(ledger(), "1.cp");
  write_text(tmp_.path() / "bad-proof.json", R"({"type":"inclusion"})");
  expect_refused(cosign("1.cp", "bad-proof.json"), 2, "(field proof)", state);

  auto exists = run_custody({"witness", "init", witness().string(), "--name", "w", "--log-key-file",
                             (ledger() / "node.pub").string()});
  EXPECT_EQ(exists.exit_code, 2);
  EXPECT_NE(exists.err.find("(field dir)"), std::string::npos) << exists.err;
  auto bad_key = run_custody(
      {"witness", "init", (tmp_.path() / "w2").string(), "--name", "w", "--log-key", "not-a-key"});
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_NE(bad_key.err.find("(field logKey)"), std::string::npos) << bad_key.err;
  EXPECT_FALSE(fs::exists(tmp_.path() / "w2"));
  auto bad_name = run_custody({"witness", "init", (tmp_.path() / "w3").string(), "--name", "a+b",
                               "--log-key-file", (ledger() / "node.pub").string()});
  EXPECT_EQ(bad_name.exit_code, 2);
  EXPECT_FALSE(fs::exists(tmp_.path() / "w3"));

  // verify: a witness key needs the checkpoint it should be on; more cosignatures than
  // witnesses named cannot be had; the node's own key is no witness.
  EXPECT_EQ(run_custody({"verify", ledger().string(), "--witness-key", witness_key_}).exit_code, 2);
  EXPECT_EQ(verify("1.cp", {"--min-witnesses", "2"}), 2);
  const std::string node = read_text(ledger() / "node.pub");
  EXPECT_EQ(
      run_custody({"verify", ledger().string(), "--checkpoint", (tmp_.path() / "1.cp").string(),
                   "--witness-key", node.substr(0, node.size() - 1)})
          .exit_code,
      3);
}

}  // namespace
}  // namespace custody
