// A ledger written by an earlier build (tests/fixtures/ledger-format-1) still opens, verifies
// with the same root, answers queries and proves records. A build that fails this must bring
// `custody upgrade` (tests/fixtures/README.md). Its projections were built by projection
// version 1: verify says so until `custody rebuild` builds them as this build does, with the
// projection digest that version gives.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
using testing::run_custody;

TEST(Format, TheFormat1FixtureOpensVerifiesAndAnswers) {
  testing::TempDir tmp;
  const fs::path dir = tmp / "ledger";
  fs::copy(fs::path(CUSTODY_SOURCE_DIR) / "tests/fixtures/ledger-format-1", dir,
           fs::copy_options::recursive);
  auto stale = run_custody({"verify", dir.string()});
  EXPECT_EQ(stale.exit_code, 3) << stale.out << stale.err;
  auto report = boost::json::parse(stale.out);
  EXPECT_EQ(report.at("rootHex"),
            "124aa10278feccf95e0fd8e616a88e5a839079dcb4262008f3124a5dffe15f62");
  EXPECT_EQ(report.at("projections").at("ok"), false);
  EXPECT_NE(report.at("projections").at("reason").as_string().find("projection version 1"),
            std::string::npos);
  // Writing waits for the rebuild, and is refused before anything is written.
  auto note = run_custody(
      {"append", dir.string()},
      R"({"type":"note.add","commandId":"n-1","actor":"user:qa","data":{"stream":"wo:x","text":"t"}})"
      "\n");
  EXPECT_NE(note.exit_code, 0);
  EXPECT_NE((note.out + note.err).find("custody rebuild"), std::string::npos)
      << note.out << note.err;
  EXPECT_EQ(run_custody({"log", dir.string(), "--from", "401"}).out, "");
  auto rebuilt = run_custody({"rebuild", dir.string()});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  auto v = run_custody({"verify", dir.string()});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  report = boost::json::parse(v.out);
  EXPECT_EQ(report.at("records"), 400);
  EXPECT_EQ(report.at("rootHex"),
            "124aa10278feccf95e0fd8e616a88e5a839079dcb4262008f3124a5dffe15f62");
  EXPECT_EQ(report.at("projections").at("digest"),
            "cf53a71f637d5fcf2de6c0ff465243f7685a74871182969c81b6b9be29b0d4de");
  auto board = run_custody({"board", dir.string(), "wip", "--format", "json"});
  EXPECT_EQ(board.exit_code, 0) << board.err;
  auto proof = run_custody({"prove", dir.string(), "--seq", "200"});
  ASSERT_EQ(proof.exit_code, 0) << proof.err;
  EXPECT_EQ(boost::json::parse(proof.out).at("rootHash"),
            "124aa10278feccf95e0fd8e616a88e5a839079dcb4262008f3124a5dffe15f62");
  auto log = run_custody({"log", dir.string(), "--from", "400"});
  ASSERT_EQ(log.exit_code, 0);
  EXPECT_EQ(boost::json::parse(testing::lines(log.out).at(0)).at("seq"), 400);
}

}  // namespace
}  // namespace custody
