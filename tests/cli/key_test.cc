// custody key: show the key history, rotate the node key (a record the old key signs), seal
// it under a passphrase and keep it off the data directory; nothing of the secret reaches the
// output, the configuration or the log, and bad input writes nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::read_text;
using testing::run_custody;
using testing::TempDir;

class Key : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", dir().string()}).exit_code, 0);
    append("a", 2);
  }
  [[nodiscard]] fs::path dir() const { return tmp_.path() / "ledger"; }
  void append(const std::string& prefix, int n) {
    std::string cmds;
    for (int i = 0; i < n; ++i) {
      cmds += R"({"type":"note.add","commandId":")" + prefix + std::to_string(i) +
              R"(","actor":"user:qa","data":{"subject":"s","text":")" + prefix + "\"}}\n";
    }
    auto r = run_custody({"append", dir().string()}, cmds);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::string trimmed(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  TempDir tmp_;
};

TEST_F(Key, RotateShowAndVerifyFollowTheHistory) {
  const std::string first = trimmed(read_text(dir() / "node.pub"));
  auto r = run_custody({"key", "rotate", dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rotated = json::parse(r.out).as_object();
  EXPECT_EQ(rotated.at("previous").as_string(), first);
  const std::string next(rotated.at("key").as_string());
  EXPECT_NE(next, first);
  EXPECT_EQ(trimmed(read_text(dir() / "node.pub")), next);
  EXPECT_EQ(r.out.find("PRIVATE"), std::string::npos);
  append("b", 2);

  auto shown = run_custody({"key", "show", dir().string()});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const auto keys = json::parse(shown.out).as_object();
  EXPECT_EQ(keys.at("first").as_string(), first);
  EXPECT_EQ(keys.at("current").as_string(), next);
  ASSERT_EQ(keys.at("rotations").as_array().size(), 1u);
  EXPECT_EQ(keys.at("rotations").as_array()[0].at("key").as_string(), next);

  // The log names the rotation; verify follows it from the first key and from the new one.
  auto log = run_custody({"log", dir().string()});
  EXPECT_NE(log.out.find("\"type\":\"ledger.key_rotated\""), std::string::npos) << log.out;
  EXPECT_EQ(log.out.find("PRIVATE"), std::string::npos);
  ASSERT_EQ(run_custody({"checkpoint", dir().string()}).exit_code, 0);
  for (const std::string& key : {first, next}) {
    auto v = run_custody({"verify", dir().string(), "--key", key});
    EXPECT_EQ(v.exit_code, 0) << key << "\n" << v.out << v.err;
  }
  // A key from another ledger vouches for nothing here.
  const fs::path other = tmp_.path() / "other";
  ASSERT_EQ(run_custody({"init", other.string()}).exit_code, 0);
  auto stranger =
      run_custody({"verify", dir().string(), "--key", trimmed(read_text(other / "node.pub"))});
  EXPECT_EQ(stranger.exit_code, 3) << stranger.out << stranger.err;

  // A package exported now is signed and checkpointed by the new key.
  const fs::path pkg = tmp_.path() / "pkg";
  auto e = run_custody({"export", dir().string(), "--all", "--out", pkg.string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const std::string verifier = fs::path(CUSTODY_BINARY).parent_path() / "custody-verify";
  const int ok =
      std::system((verifier + " " + pkg.string() + " --key '" + next + "' >/dev/null").c_str());
  EXPECT_TRUE(WIFEXITED(ok) && WEXITSTATUS(ok) == 0);
}

TEST_F(Key, SealMovesTheKeyOffTheLedgerAndOnlyItsPassphraseOpensIt) {
  const fs::path secrets = tmp_.path() / "secrets";
  fs::create_directories(secrets);
  const fs::path pass = secrets / "passphrase";
  std::ofstream(pass) << "a long passphrase for the plant key\n";
  const std::string config_before = read_text(dir() / "config.json");

  // Bad input writes nothing: an empty passphrase file, a target that exists, no options.
  std::ofstream(secrets / "empty") << "\n";
  auto empty = run_custody(
      {"key", "seal", dir().string(), "--passphrase-file", (secrets / "empty").string()});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("passphraseFile"), std::string::npos) << empty.err;
  std::ofstream(secrets / "taken") << "x";
  auto taken = run_custody({"key", "seal", dir().string(), "--passphrase-file", pass.string(),
                            "--to", (secrets / "taken").string()});
  EXPECT_EQ(taken.exit_code, 2);
  EXPECT_NE(taken.err.find("to"), std::string::npos) << taken.err;
  EXPECT_EQ(run_custody({"key", "seal", dir().string()}).exit_code, 2);
  // The environment would override the file given: refused rather than sealed with another.
  ::setenv("CUSTODY_KEY_PASSPHRASE_FILE", (secrets / "empty").c_str(), 1);
  auto overridden =
      run_custody({"key", "seal", dir().string(), "--passphrase-file", pass.string()});
  ::unsetenv("CUSTODY_KEY_PASSPHRASE_FILE");
  EXPECT_EQ(overridden.exit_code, 2);
  EXPECT_NE(overridden.err.find("CUSTODY_KEY_PASSPHRASE_FILE"), std::string::npos)
      << overridden.err;
  EXPECT_EQ(read_text(dir() / "config.json"), config_before);
  EXPECT_TRUE(fs::exists(dir() / "node.key"));

  const fs::path key = secrets / "plant.key";
  auto sealed = run_custody(
      {"key", "seal", dir().string(), "--passphrase-file", pass.string(), "--to", key.string()});
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  EXPECT_FALSE(fs::exists(dir() / "node.key")) << "no unsealed copy stays behind";
  const std::string text = read_text(key);
  EXPECT_EQ(text.rfind("custody-sealed-key v1 argon2id13 ", 0), 0u) << text;
  EXPECT_EQ(text.find("PRIVATE"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string config = read_text(dir() / "config.json");
  EXPECT_NE(config.find(key.string()), std::string::npos) << config;
  EXPECT_EQ(config.find("a long passphrase"), std::string::npos) << "the path, not the secret";

  // Writers open it through the configuration, and record that configuration.
  append("c", 1);
  auto log = run_custody({"log", dir().string()});
  EXPECT_NE(log.out.find("config.recorded"), std::string::npos);
  EXPECT_EQ(log.out.find("a long passphrase"), std::string::npos);
  EXPECT_EQ(log.out.find("PRIVATE"), std::string::npos);
  // A rotation keeps it sealed where it is.
  ASSERT_EQ(run_custody({"key", "rotate", dir().string()}).exit_code, 0);
  EXPECT_EQ(read_text(key).rfind("custody-sealed-key", 0), 0u);
  append("d", 1);

  // The wrong passphrase opens nothing and writes nothing.
  const auto head_before = run_custody({"log", dir().string()}).out;
  std::ofstream(pass, std::ios::trunc) << "not the passphrase\n";
  auto wrong = run_custody(
      {"append", dir().string()},
      R"({"type":"note.add","commandId":"w1","actor":"user:qa","data":{"subject":"s","text":"w"}})"
      "\n");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("passphrase"), std::string::npos) << wrong.err;
  EXPECT_EQ(run_custody({"log", dir().string()}).out, head_before);
}

}  // namespace
}  // namespace custody
