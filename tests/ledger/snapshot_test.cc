// Reading: by seq range and by stream, from a snapshot that later writes do not change.
#include <gtest/gtest.h>

#include "custody/ledger/record.h"
#include "support/test_support.h"

namespace custody::ledger {
namespace {

using testing::append;
using testing::note;

std::vector<std::uint64_t> seqs_of_range(const Snapshot& snap, std::uint64_t from,
                                         std::uint64_t limit) {
  std::vector<std::uint64_t> out;
  EXPECT_TRUE(snap.records(from, limit, [&](std::uint64_t seq, std::string_view) {
    out.push_back(seq);
    return true;
  }));
  return out;
}

std::vector<std::uint64_t> seqs_of_stream(const Snapshot& snap, const std::string& stream,
                                          std::uint64_t from, std::uint64_t limit) {
  std::vector<std::uint64_t> out;
  EXPECT_TRUE(snap.stream_records(stream, from, limit, [&](std::uint64_t seq, std::string_view b) {
    auto rec = decode_record(b);
    EXPECT_TRUE(rec && rec->stream == stream);
    out.push_back(seq);
    return true;
  }));
  return out;
}

TEST(Snapshot, ReadsRangesAndStreams) {
  testing::TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(append(*ledger, note("c" + std::to_string(i), i % 2 ? "odd" : "even", "t")));
  }
  auto snap = ledger->snapshot();
  EXPECT_EQ(snap->head().seq, 10u);
  EXPECT_EQ(seqs_of_range(*snap, 1, 0).size(), 10u);
  EXPECT_EQ(seqs_of_range(*snap, 4, 3), (std::vector<std::uint64_t>{4, 5, 6}));
  EXPECT_TRUE(seqs_of_range(*snap, 11, 0).empty());
  EXPECT_EQ(seqs_of_stream(*snap, "note:odd", 1, 0), (std::vector<std::uint64_t>{1, 3, 5, 7, 9}));
  EXPECT_EQ(seqs_of_stream(*snap, "note:even", 3, 0), (std::vector<std::uint64_t>{6, 8, 10}));
  EXPECT_EQ(seqs_of_stream(*snap, "note:even", 2, 2), (std::vector<std::uint64_t>{4, 6}));
  EXPECT_TRUE(seqs_of_stream(*snap, "note:none", 1, 0).empty());
  EXPECT_EQ(snap->record(11).error().code, ErrorCode::kNotFound);
}

TEST(Snapshot, DoesNotSeeLaterWrites) {
  testing::TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  ASSERT_TRUE(append(*ledger, note("a", "s", "t")));
  auto snap = ledger->snapshot();
  ASSERT_TRUE(append(*ledger, note("b", "s", "t")));
  EXPECT_EQ(snap->head().seq, 1u);
  EXPECT_EQ(seqs_of_range(*snap, 1, 0), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(seqs_of_stream(*snap, "note:s", 1, 0), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(ledger->snapshot()->head().seq, 2u);
}

}  // namespace
}  // namespace custody::ledger
