// `custody verify` replays the projections from the records its log check reads (the log is
// read once): ProjectionReplay fed by verify_ledger must agree with the stored projections'
// own digest on an intact ledger, name the key of a forged projection entry, and report a
// record that does not replay.
#include <rocksdb/db.h>

#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/domain/projections.h"
#include "custody/ledger/projection_check.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/verifier.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

class ProjectionReplayTest : public PlantTest {
 protected:
  // A plant's worth of records of many types, one of them redacted.
  void some_history() {
    master_data();
    receive("R-1", 500);
    running_order();
    ok("exception.raise", R"({"exception":"EX-1","category":"personnel","severity":"medium",)"
                          R"("description":"call the line lead at home"})");
    const std::uint64_t raised = ledger_->head().seq;
    for (int i = 0; i < 50; ++i) {
      ok("note.add", R"({"subject":"line-)" + std::to_string(i % 3) + R"(","text":"n"})");
    }
    ok("record.redact",
       R"({"seq":)" + std::to_string(raised) +
           R"(,"reason":"GDPR erasure request","fields":["description"]})",
       "user:qa");
    ledger_.reset();  // verify reads a closed ledger, as the CLI does
  }

  struct Opened {
    std::unique_ptr<ledger::StateMachine> machine;
    std::unique_ptr<ledger::Store> store;
  };
  Opened open_read_only() {
    Opened o;
    o.machine = domain::make_state_machine();
    auto store = ledger::Store::open(
        dir_, ledger::Store::OpenOptions{ledger::OpenMode::kReadOnly, ledger::OnDamage::kReport},
        o.machine->column_families());
    EXPECT_TRUE(store) << store.error().message;
    if (store) o.store = std::move(*store);
    return o;
  }

  // The projection check as `custody verify` runs it: fed by the log check.
  ledger::ProjectionCheck fed_by_the_log_check(Opened& o, std::uint64_t* fed = nullptr) {
    auto replay = ledger::ProjectionReplay::start(*o.store, *o.machine);
    EXPECT_TRUE(replay) << replay.error().message;
    ledger::VerifyOptions options;
    std::uint64_t n = 0;
    options.each_record = [&](std::string_view record) {
      ++n;
      (*replay)->feed(record);
    };
    auto report = ledger::verify_ledger(*o.store, options);
    EXPECT_TRUE(report && report->ok);
    if (fed != nullptr) *fed = n;
    auto check = (*replay)->finish();
    EXPECT_TRUE(check) << check.error().message;
    return *check;
  }
};

TEST_F(ProjectionReplayTest, FedByTheLogCheckItAgreesWithTheStoredProjections) {
  some_history();
  auto o = open_read_only();
  std::uint64_t fed = 0;
  const auto fused = fed_by_the_log_check(o, &fed);
  auto head = o.store->read_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(fed, head->seq);  // every record, each once
  EXPECT_TRUE(fused.ok) << fused.reason;
  // The digest of what is stored, read without any replay: what the check says it compared.
  auto stored = ledger::state_digest(*o.store, *o.machine);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_GT(fused.entries, 10u);
  EXPECT_EQ(fused.entries, stored->entries);
  EXPECT_EQ(fused.digest, stored->digest);
}

TEST_F(ProjectionReplayTest, AForgedProjectionEntryIsNamed) {
  some_history();
  std::string forged;
  {
    auto machine = domain::make_state_machine();
    auto store =
        ledger::Store::open(dir_, ledger::OpenMode::kReadWrite, machine->column_families());
    ASSERT_TRUE(store);
    auto* entities = (*store)->cf(domain::kEntitiesCf);
    std::unique_ptr<rocksdb::Iterator> it((*store)->db().NewIterator({}, entities));
    it->Seek("lot/");
    ASSERT_TRUE(it->Valid() && it->key().starts_with("lot/"));
    forged = it->key().ToString();
    std::string value = it->value().ToString();
    value.back() = static_cast<char>(value.back() ^ 1);
    ASSERT_TRUE((*store)->db().Put({}, entities, forged, value).ok());
  }
  auto o = open_read_only();
  const auto fused = fed_by_the_log_check(o);
  EXPECT_FALSE(fused.ok);
  EXPECT_EQ(fused.family, domain::kEntitiesCf);
  EXPECT_EQ(fused.key, forged);
  EXPECT_NE(fused.reason.find("differs from what the log says"), std::string::npos) << fused.reason;
}

TEST_F(ProjectionReplayTest, ARecordThatDoesNotReplayIsTheFinding) {
  some_history();
  auto o = open_read_only();
  auto replay = ledger::ProjectionReplay::start(*o.store, *o.machine);
  ASSERT_TRUE(replay);
  (*replay)->feed(std::string(64, '\x07'));  // no record at all
  std::string first;
  ASSERT_TRUE(o.store->db().Get({}, o.store->cf(ledger::Cf::kLog), be64(1), &first).ok());
  (*replay)->feed(first);  // a good record after it does not undo the finding
  auto check = (*replay)->finish();
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_FALSE(check->ok);
  EXPECT_NE(check->reason.find("the log does not replay"), std::string::npos) << check->reason;
  EXPECT_EQ(check->entries, 0u);
}

}  // namespace
}  // namespace custody::testing
