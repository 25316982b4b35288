// Retention policies are records; the report counts, per type, what is past its period, judged
// from when things happened, and for streamEnd from the last record of the stream.
#include "custody/domain/retention.h"

#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Retention = PlantTest;

constexpr TimeNs kDay = 86'400LL * 1'000'000'000LL;

TEST_F(Retention, ThePolicyIsARecordAndBadOnesAreRefused) {
  expect_rejected("retention.set_policy",
                  R"({"recordType":"reading.record","keepDays":30,"reason":"x"})",
                  ErrorCode::kInvalidArgument, "data.recordType");
  expect_rejected("retention.set_policy",
                  R"({"recordType":"reading.recorded","keepDays":0,"reason":"x"})",
                  ErrorCode::kInvalidArgument, "data.keepDays");
  expect_rejected("retention.set_policy",
                  R"({"recordType":"reading.recorded","keepDays":36501,"reason":"x"})",
                  ErrorCode::kInvalidArgument, "data.keepDays");
  expect_rejected("retention.set_policy",
                  R"({"recordType":"reading.recorded","keepDays":30,"reason":" "})",
                  ErrorCode::kInvalidArgument, "data.reason");
  expect_rejected("retention.set_policy", R"({"recordType":"reading.recorded","keepDays":30})",
                  ErrorCode::kInvalidArgument, "data.reason");
  ok("retention.set_policy",
     R"({"recordType":"reading.recorded","keepDays":30,"reason":"SOP-QA-12"})");
  ok("retention.set_policy",
     R"({"recordType":"reading.recorded","keepDays":60,"reason":"SOP-QA-12 rev 2"})");
  auto all = domain::list_retention_policies(*ledger_->snapshot());
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);  // the newer policy replaces the older
  EXPECT_EQ((*all)[0].keep_days, 60u);
  EXPECT_EQ((*all)[0].reason, "SOP-QA-12 rev 2");
}

TEST_F(Retention, TheReportCountsWhatIsPastItsPeriod) {
  import_history();
  master_data();
  // Two readings ten days apart (by when they were taken), one note.
  ok_at("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":100})",
        "2026-11-01T08:00:00Z");
  ok_at("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":110})",
        "2026-11-11T08:00:00Z");
  ok("note.add", R"({"subject":"s","text":"t"})");
  // A lot received on the 1st and shipped on the 10th: kept from its stream's end.
  ok_at(
      "lot.receive",
      R"({"lot":"R-1","material":"romaine","qty":10,"uom":"kg","supplier":"farm","supplierLot":"GF-1"})",
      "2026-11-01T08:00:00Z");
  ok_at("lot.ship", R"({"lot":"R-1","qty":1,"customer":"dc","shipment":"B1"})",
        "2026-11-10T08:00:00Z");
  ok("retention.set_policy",
     R"({"recordType":"reading.recorded","keepDays":15,"reason":"SOP-QA-12"})");
  ok("retention.set_policy",
     R"({"recordType":"lot.received","keepDays":5,"basis":"streamEnd","reason":"SOP-WH-3"})");

  const TimeNs nov1 = 1'793'491'200LL * 1'000'000'000LL;  // 2026-11-01T00:00:00Z
  const TimeNs nov20 = nov1 + 19 * kDay;
  auto r = domain::retention_report(*ledger_->snapshot(), nov20, 10);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->lines.size(), 2u);
  EXPECT_EQ(r->lines[0].policy.record_type, "lot.received");
  EXPECT_EQ(r->lines[0].records, 1u);
  EXPECT_EQ(r->lines[0].past, 1u);  // its stream ended on the 10th: kept until the 15th
  EXPECT_EQ(r->lines[1].policy.record_type, "reading.recorded");
  EXPECT_EQ(r->lines[1].records, 2u);
  EXPECT_EQ(r->lines[1].past, 1u);  // the 1st's is past (16th), the 11th's is not (26th)
  ASSERT_EQ(r->listed.size(), 2u);
  EXPECT_EQ(r->listed[0].type, "reading.recorded");
  EXPECT_EQ(r->listed[0].due, nov1 + 15 * kDay + 8 * 3600 * 1'000'000'000LL);
  EXPECT_FALSE(r->truncated);
  EXPECT_GT(r->without_policy, 0u);

  auto one = domain::retention_report(*ledger_->snapshot(), nov20, 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->listed.size(), 1u);
  EXPECT_TRUE(one->truncated);
  auto none = domain::retention_report(*ledger_->snapshot(), nov20, 0);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().field, "limit");
}

}  // namespace
}  // namespace custody::testing
