// A payload deleted in the database directly is tampering, not a redaction: custody verify
// fails (exit 3) and names the seq. So does a forged redaction index entry.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <boost/json.hpp>

#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/ledger/record.h"
#include "custody/ledger/store.h"
#include "support/test_support.h"

namespace custody {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::lines;
using testing::run_custody;
using testing::TempDir;

std::string note_line(const std::string& id, const std::string& text) {
  return R"({"type":"note.add","commandId":")" + id +
         R"(","actor":"user:qa","data":{"subject":"line-1","text":")" + text + "\"}}\n";
}

class TamperRedaction : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", dir().string()}).exit_code, 0);
    auto r = run_custody({"append", dir().string()}, note_line("n1", "Jana Novak 601 555 010") +
                                                         note_line("n2", "second") +
                                                         note_line("n3", "third"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  [[nodiscard]] fs::path dir() const { return tmp_.path() / "ledger"; }

  // Rewrites record `seq` without its payload (what a redaction leaves), and optionally
  // writes a redaction index entry naming `by`, straight into the database.
  void strip_payload(std::uint64_t seq, std::uint64_t by = 0) {
    auto store = ledger::Store::open(dir(), ledger::OpenMode::kReadWrite,
                                     domain::make_state_machine()->column_families());
    ASSERT_TRUE(store) << store.error().message;
    auto* log = (*store)->cf(ledger::Cf::kLog);
    std::string bytes;
    ASSERT_TRUE((*store)->db().Get({}, log, ledger::keys::log(seq), &bytes).ok());
    auto rec = ledger::decode_record(bytes);
    ASSERT_TRUE(rec);
    rec->payload_present = false;
    rec->payload.clear();
    ASSERT_TRUE((*store)
                    ->db()
                    .Put({}, log, ledger::keys::log(seq),
                         ledger::canonical_record(*rec, ledger::RecordForm::kLeaf))
                    .ok());
    if (by != 0) {
      ASSERT_TRUE(
          (*store)
              ->db()
              .Put({}, (*store)->cf(ledger::Cf::kMeta), ledger::keys::redaction(seq), be64(by))
              .ok());
    }
  }

  json::object verify_failing() {
    auto v = run_custody({"verify", dir().string()});
    EXPECT_EQ(v.exit_code, 3) << v.out << v.err;
    auto l = lines(v.out);
    EXPECT_FALSE(l.empty());
    return l.empty() ? json::object{} : json::parse(l.at(0)).as_object();
  }

  TempDir tmp_;
};

TEST_F(TamperRedaction, APayloadRemovedWithoutARedactionRecordFailsVerifyNamingTheSeq) {
  ASSERT_EQ(run_custody({"verify", dir().string()}).exit_code, 0);
  strip_payload(1);
  const auto v = verify_failing();
  EXPECT_EQ(v.at("ok"), false);
  EXPECT_EQ(v.at("firstBadSeq").to_number<std::uint64_t>(), 1u) << v;
  EXPECT_NE(std::string(v.at("reason").as_string()).find("no redaction record"), std::string::npos)
      << v;
}

TEST_F(TamperRedaction, AnIndexEntryPointingAtAnotherRecordsRedactionFailsVerify) {
  // A real redaction of record 2, then record 1 stripped and "explained" by it.
  auto r = run_custody({"append", dir().string()},
                       R"({"type":"record.redact","commandId":"rd","actor":"user:qa","data":)"
                       R"({"seq":2,"reason":"erasure request","fields":["text"]}})"
                       "\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(run_custody({"verify", dir().string()}).exit_code, 0);
  strip_payload(1, 4);
  const auto v = verify_failing();
  EXPECT_EQ(v.at("ok"), false) << v;
  // The chain and tree hold (the digest stayed); the replay finds that record 4 redacts 2.
  EXPECT_NE(json::serialize(v).find("redacts record 2"), std::string::npos) << v;
}

TEST_F(TamperRedaction, AnIndexEntryPointingBackwardsFailsVerify) {
  strip_payload(2, 1);
  const auto v = verify_failing();
  EXPECT_EQ(v.at("firstBadSeq").to_number<std::uint64_t>(), 2u) << v;
}

}  // namespace
}  // namespace custody
