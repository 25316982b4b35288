// Opening ledger directories: what is not a ledger, what is locked, what is too new. Each
// refusal leaves every file as it was.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "custody/domain/plant.h"
#include "support/test_support.h"

namespace custody::ledger {
namespace {

using testing::TempDir;

Result<std::unique_ptr<Ledger>> try_open(const std::filesystem::path& dir, OpenMode mode) {
  return Ledger::open(dir, mode, domain::make_state_machine(), {});
}

TEST(Store, MissingOrEmptyDirectoryIsNotALedger) {
  TempDir tmp;
  for (const auto& dir : {tmp / "absent", tmp.path()}) {
    const auto before = testing::snapshot_files(tmp.path());
    auto r = try_open(dir, OpenMode::kReadWrite);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kNotALedger);
    EXPECT_EQ(testing::snapshot_files(tmp.path()), before);
    EXPECT_FALSE(std::filesystem::exists(tmp / "absent"));
  }
}

TEST(Store, DirectoryWithoutFormatIsNotALedger) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  std::filesystem::remove(tmp / "l" / "FORMAT");
  const auto before = testing::snapshot_files(tmp.path());
  auto r = try_open(tmp / "l", OpenMode::kReadOnly);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotALedger);
  EXPECT_EQ(testing::snapshot_files(tmp.path()), before);
}

TEST(Store, NewerSchemaVersionIsRefusedUntouched) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  {
    std::ofstream f(tmp / "l" / "FORMAT", std::ios::trunc);
    f << "custody-ledger " << kSchemaVersion + 1 << "\n";
  }
  const auto before = testing::snapshot_files(tmp.path());
  for (auto mode : {OpenMode::kReadWrite, OpenMode::kReadOnly}) {
    auto r = try_open(tmp / "l", mode);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnsupportedVersion);
    EXPECT_NE(r.error().message.find("newer"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(testing::snapshot_files(tmp.path()), before);
}

TEST(Store, OneWriterAtATime) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto writer = testing::open_ledger(tmp / "l");
  ASSERT_TRUE(writer);
  auto r = try_open(tmp / "l", OpenMode::kReadWrite);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kLedgerLocked);
  writer.reset();
  EXPECT_TRUE(try_open(tmp / "l", OpenMode::kReadWrite));
}

// The dataset of the genealogy benchmark kept 3.6 GB of write-ahead log: a column family
// written once (meta, checkpoints) holds on to every log file after its write until it is
// flushed, and every open, a reader's too, replays them all (18 s to open that ledger). The
// log now stays near a bound, the families holding its oldest file being flushed.
// The bytes of a ledger's write-ahead log files.
std::uint64_t wal_bytes(const std::filesystem::path& ledger_dir) {
  std::uint64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(ledger_dir / "db")) {
    if (e.path().extension() == ".log") n += e.file_size();
  }
  return n;
}

TEST(Store, TheWriteAheadLogStaysNearItsBound) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  constexpr std::uint64_t kBound = 1 << 20;
  auto store = Store::open(tmp / "l", {.mode = OpenMode::kReadWrite, .max_wal_bytes = kBound},
                           domain::make_state_machine()->column_families());
  ASSERT_TRUE(store) << store.error().message;
  rocksdb::DB& db = (*store)->db();
  const rocksdb::WriteOptions wo;
  ASSERT_TRUE(db.Put(wo, (*store)->cf(Cf::kMeta), "wal-test", "written once").ok());
  // 24 MiB into the log's family, far below what fills its memtable: unbounded, all of it
  // stays in the write-ahead log, held there by meta's one write.
  constexpr std::uint64_t kWritten = 24 << 20;
  const std::string value(4096, 'x');
  for (std::uint64_t i = 0; i < kWritten / value.size(); ++i) {
    ASSERT_TRUE(db.Put(wo, (*store)->cf(Cf::kLog), "wal-test-" + std::to_string(i), value).ok());
  }
  // The bound is met by flushes in the background, and the log grows by what is written
  // while one runs (several MiB on a loaded machine); the next write after it switches the
  // log again. Keep writing a little while waiting for that, a bound on waiting.
  for (int i = 0; i < 200 && wal_bytes(tmp / "l") >= kWritten / 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(db.Put(wo, (*store)->cf(Cf::kLog), "wal-test-tick", std::to_string(i)).ok());
  }
  EXPECT_LT(wal_bytes(tmp / "l"), kWritten / 3);
  std::string value_back;
  ASSERT_TRUE(db.Get({}, (*store)->cf(Cf::kMeta), "wal-test", &value_back).ok());
  EXPECT_EQ(value_back, "written once");
}

// A store closed with more log than its bound flushes first, so the next open replays
// nothing; below the bound (a short command), the log is left as it is.
TEST(Store, ALongLogIsFlushedAtClose) {
  TempDir tmp;
  constexpr std::uint64_t kWritten = 8 << 20;
  auto close_after_writing = [&](const std::filesystem::path& dir, std::uint64_t bound) {
    testing::init_ledger(dir);
    auto store = Store::open(
        dir, {.mode = OpenMode::kReadWrite, .check_files = false, .flush_at_close_bytes = bound},
        domain::make_state_machine()->column_families());
    ASSERT_TRUE(store) << store.error().message;
    const std::string value(4096, 'x');
    for (std::uint64_t i = 0; i < kWritten / value.size(); ++i) {
      ASSERT_TRUE((*store)
                      ->db()
                      .Put({}, (*store)->cf(Cf::kLog), "close-test-" + std::to_string(i), value)
                      .ok());
    }
  };
  close_after_writing(tmp / "long", 1 << 20);
  close_after_writing(tmp / "short", kWritten * 2);
  EXPECT_LT(wal_bytes(tmp / "long"), std::uint64_t{1} << 20);
  EXPECT_GE(wal_bytes(tmp / "short"), kWritten);
  for (const char* name : {"long", "short"}) {
    auto store = Store::open(tmp / name, {.mode = OpenMode::kReadOnly},
                             domain::make_state_machine()->column_families());
    ASSERT_TRUE(store) << store.error().message;
    std::string v;
    ASSERT_TRUE((*store)->db().Get({}, (*store)->cf(Cf::kLog), "close-test-7", &v).ok()) << name;
    EXPECT_EQ(v.size(), 4096u);
  }
}

// Hardening finding 11: a stalled reader made writers fail at once, and an open writer made
// reads fail, although readers are documented never to block writers. Readers take no lock.
TEST(Store, ReadersAndTheWriterNeverBlockEachOther) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto reader = try_open(tmp / "l", OpenMode::kReadOnly);  // a reader that stays open
  ASSERT_TRUE(reader) << reader.error().message;
  auto writer = try_open(tmp / "l", OpenMode::kReadWrite);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE(testing::append(**writer, testing::note("c1", "s", "while a reader is open")));
  auto late_reader = try_open(tmp / "l", OpenMode::kReadOnly);  // while the writer is open
  ASSERT_TRUE(late_reader) << late_reader.error().message;
  EXPECT_EQ((*late_reader)->snapshot()->head().seq, 1u);
  EXPECT_EQ((*reader)->snapshot()->head().seq, 0u);  // a reader's view is where it opened
}

TEST(Store, InitRefusesNonEmptyDirectoryAndBadOrigin) {
  TempDir tmp;
  std::filesystem::create_directories(tmp / "busy");
  std::ofstream(tmp / "busy" / "something") << "x";
  auto machine = domain::make_state_machine();
  auto r = Ledger::init(tmp / "busy", {}, *machine);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);

  InitOptions bad;
  bad.origin = "has space";
  auto r2 = Ledger::init(tmp / "fresh", bad, *machine);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r2.error().field, "origin");
  EXPECT_FALSE(std::filesystem::exists(tmp / "fresh"));
}

TEST(Store, InitWritesKeyPrivately) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  const auto perms = std::filesystem::status(tmp / "l" / "node.key").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(Store, BadConfigIsReportedWithItsField) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  std::ofstream(tmp / "l" / "config.json", std::ios::trunc)
      << R"({"groupCommit": {"maxCommands": -3}})";
  auto r = load_options(tmp / "l");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "config.groupCommit.maxCommands");
}

TEST(Store, TheBlockCacheSettingGrowsTheSharedCacheAndABadOneIsRefused) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  const auto head_before = [&] {
    auto l = Ledger::open_dir(tmp / "l", OpenMode::kReadOnly, domain::make_state_machine());
    return l ? (*l)->head().seq : ~0ULL;
  }();
  for (const char* bad : {R"(-1)", R"("big")", R"(4)", R"(1048577)"}) {
    SCOPED_TRACE(bad);
    std::ofstream(tmp / "l" / "config.json", std::ios::trunc)
        << R"({"blockCacheMegabytes": )" << bad << "}";
    auto r = Ledger::open_dir(tmp / "l", OpenMode::kReadWrite, domain::make_state_machine());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "config.blockCacheMegabytes");
    // A reader still reads; the writer wrote nothing.
    auto reader = Ledger::open_dir(tmp / "l", OpenMode::kReadOnly, domain::make_state_machine());
    ASSERT_TRUE(reader) << reader.error().message;
    EXPECT_EQ((*reader)->head().seq, head_before);
  }
  // One cache for the process: a ledger that asks for more grows it; one that asks for less
  // (or says nothing) leaves it.
  constexpr std::size_t kAsked = 264;
  ASSERT_LT(Store::block_cache_capacity(), kAsked << 20);
  std::ofstream(tmp / "l" / "config.json", std::ios::trunc)
      << R"({"blockCacheMegabytes": )" << kAsked << "}";
  {
    auto reader = Ledger::open_dir(tmp / "l", OpenMode::kReadOnly, domain::make_state_machine());
    ASSERT_TRUE(reader) << reader.error().message;
  }
  EXPECT_EQ(Store::block_cache_capacity(), kAsked << 20);
  std::ofstream(tmp / "l" / "config.json", std::ios::trunc) << R"({"blockCacheMegabytes": 16})";
  {
    auto writer = Ledger::open_dir(tmp / "l", OpenMode::kReadWrite, domain::make_state_machine());
    ASSERT_TRUE(writer) << writer.error().message;
  }
  EXPECT_EQ(Store::block_cache_capacity(), kAsked << 20);
}

// The genealogy's edge families hold each key's entity prefix in their table filters: a walk's
// scan for a lot without edges is answered by the filter, every other read stays in total
// order, and a prefix that is no entity's is refused by a prefix scanner.
TEST(Store, AnEntityWithoutKeysIsAnsweredByTheFilterAndOtherReadsStayInKeyOrder) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto machine = domain::make_state_machine();
  auto store = Store::open(tmp / "l", OpenMode::kReadWrite, machine->column_families());
  ASSERT_TRUE(store) << store.error().message;
  auto* fwd = (*store)->cf("genealogy_fwd");
  ASSERT_NE(fwd, nullptr);
  using namespace std::string_literals;
  const std::vector<std::string> keys = {"a\0x"s, "a\0y"s, "ab\0w"s, "c\0z"s};
  for (const auto& k : keys) ASSERT_TRUE((*store)->db().Put({}, fwd, k, "v").ok());
  ASSERT_TRUE((*store)->db().Flush({}, fwd).ok());  // into a table file, with its filter

  Snapshot snap(**store);
  auto scan = [](Reader::Scanner& s, std::string_view prefix) {
    std::vector<std::string> out;
    s.scan_prefix(prefix, [&](std::string_view k, std::string_view) {
      out.emplace_back(k);
      return true;
    });
    return out;
  };
  // Data blocks a scan touches, from the cache or the file (the filter's and the index's
  // partitions are not counted: the prefix test reads one of each).
  auto blocks_for = [&](Reader::Scanner& s, std::string_view prefix) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    const auto found = scan(s, prefix);
    const auto* pc = rocksdb::get_perf_context();
    const auto blocks = pc->block_cache_hit_count - pc->block_cache_index_hit_count -
                        pc->block_cache_filter_hit_count + pc->block_read_count -
                        pc->index_block_read_count - pc->filter_block_read_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    EXPECT_TRUE(found.empty());
    return blocks;
  };
  // Each from a fresh iterator, which holds no block yet.
  EXPECT_EQ(blocks_for(*snap.prefix_scanner(fwd), "b\0"s), 0u);  // the filter said no
  EXPECT_GT(blocks_for(*snap.scanner(fwd), "b\0"s), 0u);  // without it, the block is searched
  auto by_entity = snap.prefix_scanner(fwd);
  EXPECT_EQ(scan(*by_entity, "a\0"s), (std::vector<std::string>{"a\0x"s, "a\0y"s}));
  EXPECT_TRUE(scan(*by_entity, "b\0"s).empty());
  EXPECT_EQ(scan(*by_entity, "c\0"s), (std::vector<std::string>{"c\0z"s}));
  try {
    (void)scan(*by_entity, "a");
    ADD_FAILURE() << "a prefix that is no entity's was scanned";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.error().code, ErrorCode::kInternal);
  }

  // Other reads are in key order across entities.
  auto any = snap.scanner(fwd);
  EXPECT_EQ(scan(*any, "a"), (std::vector<std::string>{"a\0x"s, "a\0y"s, "ab\0w"s}));
  std::vector<std::string> all;
  snap.scan_all(fwd, [&](std::string_view k, std::string_view) {
    all.emplace_back(k);
    return true;
  });
  EXPECT_EQ(all, keys);
}

}  // namespace
}  // namespace custody::ledger
