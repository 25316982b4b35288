// A ledger written by an earlier build (tests/fixtures/ledger-format-1) still opens, verifies
// with the same root and projection digest, answers queries and proves records. A build
// that fails this must bring `custody upgrade` (tests/fixtures/README.md).
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
  auto v = run_custody({"verify", dir.string()});
  ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
  auto report = boost::json::parse(v.out);
  EXPECT_EQ(report.at("records"), 400);
  EXPECT_EQ(report.at("rootHex"),
            "124aa10278feccf95e0fd8e616a88e5a839079dcb4262008f3124a5dffe15f62");
  EXPECT_EQ(report.at("projections").at("digest"),
            "b3d519db1687a7a46bfe975627fbeae3a3f03fe2157b17113442a51b782d3489");
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
