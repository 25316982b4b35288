// Tamper detection. Each test builds a small ledger, closes it, changes it through RocksDB
// directly (as someone with disk access would), and checks that verification fails with
// the right first bad seq.
#include "custody/ledger/verifier.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "custody/common/encoding.h"
#include "custody/domain/plant.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/record.h"
#include "support/test_support.h"

namespace custody::ledger {
namespace {

using testing::append;
using testing::note;

constexpr std::uint64_t kRecords = 20;

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::init_ledger(dir());
    LedgerOptions o;
    o.sequencer.checkpoint_interval = std::chrono::hours(1);  // only explicit checkpoints
    auto ledger = testing::open_ledger(dir(), OpenMode::kReadWrite, o);
    for (std::uint64_t i = 1; i <= kRecords; ++i) {
      ASSERT_TRUE(append(*ledger, note("c" + std::to_string(i), "line-" + std::to_string(i % 3),
                                       "reading " + std::to_string(i))));
      if (i == 8) mid_checkpoint_ = *ledger->checkpoint();
    }
    checkpoint_ = *ledger->checkpoint();
  }

  std::filesystem::path dir() const { return tmp_ / "l"; }

  // Runs `change` against the raw database with the ledger closed.
  void tamper(const std::function<void(Store&)>& change) {
    auto store = Store::open(dir(), OpenMode::kReadWrite, {});
    ASSERT_TRUE(store) << store.error().message;
    change(**store);
  }

  std::string get(Store& s, std::uint64_t seq) {
    std::string v;
    EXPECT_TRUE(s.db().Get({}, s.cf(Cf::kLog), keys::log(seq), &v).ok());
    return v;
  }
  void put(Store& s, std::uint64_t seq, const std::string& v) {
    ASSERT_TRUE(s.db().Put({}, s.cf(Cf::kLog), keys::log(seq), v).ok());
  }
  void del(Store& s, std::uint64_t seq) {
    ASSERT_TRUE(s.db().Delete({}, s.cf(Cf::kLog), keys::log(seq)).ok());
  }

  VerifyReport verify(std::optional<std::string> checkpoint = std::nullopt) {
    auto store = Store::open(dir(), Store::OpenOptions{OpenMode::kReadOnly, OnDamage::kReport},
                             domain::make_state_machine()->column_families());
    EXPECT_TRUE(store) << store.error().message;
    VerifyOptions o;
    o.checkpoint = std::move(checkpoint);
    auto r = verify_ledger(**store, o);
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  }

  static void flip(const std::filesystem::path& file, std::size_t at) {
    testing::flip_byte(file, at);
  }

  void expect_bad(const VerifyReport& r, std::uint64_t seq) {
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.first_bad_seq.has_value()) << r.reason;
    EXPECT_EQ(*r.first_bad_seq, seq) << r.reason;
  }

  testing::TempDir tmp_;
  std::string checkpoint_;
  std::string mid_checkpoint_;
};

TEST_F(VerifierTest, IntactLedgerVerifiesAgainstItsCheckpoints) {
  const auto r = verify(checkpoint_);
  EXPECT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.records, kRecords);
  EXPECT_EQ(r.head_seq, kRecords);
  EXPECT_GE(r.checkpoints_checked, 3u);  // two stored, one given
  auto ledger = testing::open_ledger(dir(), OpenMode::kReadOnly);
  auto cp = open_checkpoint(checkpoint_, *ledger->verifier());
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->root, r.root);
  EXPECT_TRUE(verify(mid_checkpoint_).ok);
}

// Every single changed byte of a record in the middle of the log is found, at that record.
// One store stays open for all of them (opening RocksDB per byte made this the slowest test);
// the verifier reads what that store holds, as it would after a reopen.
TEST_F(VerifierTest, AnyChangedByteInAMiddleRecord) {
  auto store = Store::open(dir(), Store::OpenOptions{OpenMode::kReadWrite, OnDamage::kReport},
                           domain::make_state_machine()->column_families());
  ASSERT_TRUE(store) << store.error().message;
  const std::string original = get(**store, 9);
  ASSERT_FALSE(original.empty());
  for (std::size_t i = 0; i < original.size(); ++i) {
    std::string bad = original;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    put(**store, 9, bad);
    auto r = verify_ledger(**store, VerifyOptions{});
    ASSERT_TRUE(r) << r.error().message;
    expect_bad(*r, 9);
    if (HasFatalFailure()) return;
  }
  put(**store, 9, original);
  auto r = verify_ledger(**store, VerifyOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->ok) << r->reason;  // the same store, with the record back, verifies
}

TEST_F(VerifierTest, ChangedByteInTheLastRecord) {
  tamper([&](Store& s) {
    std::string v = get(s, kRecords);
    v[v.size() - 40] ^= 0x01;  // inside prevHash or payload: either way, this record
    put(s, kRecords, v);
  });
  expect_bad(verify(), kRecords);
}

TEST_F(VerifierTest, ChangedPrevHashIsBlamedOnItsOwnRecord) {
  tamper([&](Store& s) {
    auto rec = decode_record(get(s, 12));
    ASSERT_TRUE(rec);
    rec->prev_hash[0] ^= 0xff;
    put(s, 12, canonical_record(*rec, RecordForm::kStored));
  });
  expect_bad(verify(), 12);
}

TEST_F(VerifierTest, ChangedPayloadWithItsDigestRecomputed) {
  tamper([&](Store& s) {
    auto rec = decode_record(get(s, 5));
    ASSERT_TRUE(rec);
    rec->actor = "user:mallory";
    put(s, 5, canonical_record(*rec, RecordForm::kStored));  // well-formed, but its leaf moved
  });
  expect_bad(verify(), 5);
}

TEST_F(VerifierTest, RemovedRecord) {
  tamper([&](Store& s) { del(s, 7); });
  expect_bad(verify(), 7);
}

TEST_F(VerifierTest, SwappedRecords) {
  tamper([&](Store& s) {
    const std::string a = get(s, 10), b = get(s, 11);
    put(s, 10, b);
    put(s, 11, a);
  });
  expect_bad(verify(), 10);
}

// Records 6.. shifted up by one and a forged record, chained carefully, put at 6.
TEST_F(VerifierTest, InsertedRecord) {
  tamper([&](Store& s) {
    for (std::uint64_t seq = kRecords; seq >= 6; --seq) put(s, seq + 1, get(s, seq));
    auto prev = decode_record(get(s, 5));
    ASSERT_TRUE(prev);
    auto forged = decode_record(get(s, 6));
    ASSERT_TRUE(forged);
    forged->command_id = "forged";
    forged->payload = "forged payload";
    forged->payload_digest = crypto::sha256(forged->payload);
    forged->prev_hash = *record_leaf(get(s, 5));
    put(s, 6, canonical_record(*forged, RecordForm::kStored));
  });
  expect_bad(verify(), 6);
}

TEST_F(VerifierTest, RecordAppendedBehindCustodysBack) {
  tamper([&](Store& s) {
    auto last = decode_record(get(s, kRecords));
    ASSERT_TRUE(last);
    last->seq = kRecords + 1;
    last->prev_hash = *record_leaf(get(s, kRecords));
    put(s, kRecords + 1, canonical_record(*last, RecordForm::kStored));
  });
  expect_bad(verify(), kRecords + 1);
}

TEST_F(VerifierTest, TruncatedTailAgainstAnEarlierCheckpoint) {
  // Remove the last three records and make the meta head agree, as a careful truncation
  // would; only the auditor's checkpoint still remembers them.
  tamper([&](Store& s) {
    const std::string keep = get(s, kRecords - 3);
    for (std::uint64_t seq = kRecords - 2; seq <= kRecords; ++seq) del(s, seq);
    rocksdb::WriteBatch b;
    b.Put(s.cf(Cf::kMeta), "head", keys::head_value(Head{kRecords - 3, *record_leaf(keep), 0}));
    b.Delete(s.cf(Cf::kCheckpoints), be64(kRecords));  // and the stored checkpoint
    ASSERT_TRUE(s.write(b));
  });
  expect_bad(verify(), kRecords - 2);  // DIR/HEAD remembers what was acknowledged
  // Someone who can also remove the head file leaves a shorter log that is consistent in
  // itself: only evidence kept outside the ledger (a checkpoint) shows what is gone.
  std::filesystem::remove(dir() / HeadFile::kName);
  EXPECT_TRUE(verify().ok);
  expect_bad(verify(checkpoint_), kRecords - 2);
}

TEST_F(VerifierTest, TruncatedTailAgainstTheMetaHead) {
  tamper([&](Store& s) {
    for (std::uint64_t seq = kRecords - 1; seq <= kRecords; ++seq) del(s, seq);
  });
  expect_bad(verify(), kRecords - 1);
}

TEST_F(VerifierTest, ForgedCheckpointIsRejected) {
  // An edited tree size keeps the old signature, which no longer verifies.
  std::string edited = checkpoint_;
  const std::size_t at = edited.find("\n" + std::to_string(kRecords) + "\n");
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, std::to_string(kRecords).size() + 2,
                 "\n" + std::to_string(kRecords + 5) + "\n");
  auto r = verify(edited);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.first_bad_seq.has_value());
  EXPECT_NE(r.reason.find("checkpoint"), std::string::npos) << r.reason;

  // A checkpoint signed by some other key, for this ledger's origin.
  auto ledger = testing::open_ledger(dir(), OpenMode::kReadOnly);
  const auto mallory = crypto::NoteSigner::generate(ledger->meta().origin);
  ledger.reset();
  auto body = parse_checkpoint_body(checkpoint_.substr(0, checkpoint_.find("\n\n") + 1));
  ASSERT_TRUE(body);
  auto forged = verify(sign_checkpoint(*body, mallory));
  EXPECT_FALSE(forged.ok);
  EXPECT_FALSE(forged.first_bad_seq.has_value());
}

TEST_F(VerifierTest, StoredCheckpointWithBadSignature) {
  tamper([&](Store& s) {
    std::string v;
    ASSERT_TRUE(s.db().Get({}, s.cf(Cf::kCheckpoints), be64(8), &v).ok());
    v[2] ^= 0x01;
    ASSERT_TRUE(s.db().Put({}, s.cf(Cf::kCheckpoints), be64(8), v).ok());
  });
  auto r = verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("stored checkpoint at size 8"), std::string::npos) << r.reason;
}

// Someone rewrites record 14 and re-chains everything after it, fixing the meta head: every
// link holds, but the tree heads that were signed before do not.
TEST_F(VerifierTest, ConsistentRewriteIsCaughtByCheckpoints) {
  tamper([&](Store& s) {
    crypto::Digest prev = *record_leaf(get(s, 13));
    for (std::uint64_t seq = 14; seq <= kRecords; ++seq) {
      auto rec = decode_record(get(s, seq));
      ASSERT_TRUE(rec);
      if (seq == 14) {
        rec->payload = "rewritten";
        rec->payload_digest = crypto::sha256(rec->payload);
      }
      rec->prev_hash = prev;
      const std::string bytes = canonical_record(*rec, RecordForm::kStored);
      put(s, seq, bytes);
      prev = *record_leaf(bytes);
    }
    ASSERT_TRUE(
        s.db().Put({}, s.cf(Cf::kMeta), "head", keys::head_value(Head{kRecords, prev, 0})).ok());
  });
  // The stored checkpoint at size 8 still matches; the one at 20 does not.
  expect_bad(verify(), 9);
  expect_bad(verify(mid_checkpoint_), 9);
  EXPECT_FALSE(verify(checkpoint_).ok);
}

// The records of a flipped bit in the write-ahead log are missing after recovery; DIR/HEAD
// still says they were acknowledged.
TEST_F(VerifierTest, FlippedBitInTheWriteAheadLog) {
  std::filesystem::path wal;
  for (const auto& e : std::filesystem::directory_iterator(dir() / "db")) {
    if (e.path().extension() == ".log" && e.file_size() > 0) wal = e.path();
  }
  ASSERT_FALSE(wal.empty());
  flip(wal, std::filesystem::file_size(wal) / 2);
  const auto r = verify();
  EXPECT_FALSE(r.ok);
  ASSERT_TRUE(r.first_bad_seq.has_value()) << r.reason;
  EXPECT_LE(*r.first_bad_seq, kRecords);
  EXPECT_NE(r.reason.find("acknowledged"), std::string::npos) << r.reason;
}

// A flipped bit in a table file shows when its block is read: the first record that cannot
// be read is to blame.
TEST_F(VerifierTest, FlippedBitInATableFile) {
  // A writer's open moves the write-ahead log into table files. In another process, so that
  // this one's block cache never holds the block about to be damaged.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = Store::open(dir(), OpenMode::kReadWrite, {});
    if (!s) ::_exit(1);
    std::vector<rocksdb::LiveFileMetaData> files;
    (*s)->db().GetLiveFilesMetaData(&files);
    for (const auto& f : files) {
      if (f.column_family_name == "log") std::ofstream(tmp_ / "log-table") << f.relative_filename;
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::string name;
  std::ifstream(tmp_ / "log-table") >> name;
  ASSERT_FALSE(name.empty());
  const std::filesystem::path log_table = dir() / "db" / name;
  flip(log_table, 64);  // inside the first data block
  const auto r = verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.reason.find("orruption"), std::string::npos) << r.reason;
}

TEST_F(VerifierTest, CheckpointOfAnotherLedger) {
  testing::TempDir other;
  testing::init_ledger(other / "l");
  std::string foreign;
  {
    auto ledger = testing::open_ledger(other / "l");
    ASSERT_TRUE(append(*ledger, note("c", "s", "t")));
    foreign = *ledger->checkpoint();
  }
  auto r = verify(foreign);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.first_bad_seq.has_value());
}

}  // namespace
}  // namespace custody::ledger

namespace custody::ledger {
namespace {

// More records than one batch of the verifier (8192), so reading, checking and folding run
// on three batches at once: the result is the same with one thread as with several, and a
// record changed in a later batch is found at its seq.
TEST(VerifierBatches, ALongLogIsCheckedTheSameWithAnyThreadCount) {
  testing::TempDir tmp;
  const auto dir = tmp / "l";
  constexpr std::uint64_t kLong = 3 * 8192 + 100;
  testing::init_ledger(dir);
  {
    auto ledger = testing::open_ledger(dir, OpenMode::kReadWrite);
    std::atomic<std::uint64_t> failed{0};
    for (std::uint64_t i = 1; i <= kLong; ++i) {
      ledger->submit(testing::note("c" + std::to_string(i), "line-" + std::to_string(i % 7),
                                   "reading " + std::to_string(i)),
                     [&](Result<CommandResult> r) {
                       if (!r) failed.fetch_add(1);
                     });
    }
    ASSERT_TRUE(ledger->checkpoint());
    ASSERT_EQ(failed.load(), 0u);
  }
  auto run = [&](unsigned threads) {
    auto store = Store::open(dir, Store::OpenOptions{OpenMode::kReadOnly, OnDamage::kReport},
                             domain::make_state_machine()->column_families());
    EXPECT_TRUE(store) << store.error().message;
    VerifyOptions o;
    o.threads = threads;
    auto r = verify_ledger(**store, o);
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  };
  const VerifyReport one = run(1);
  ASSERT_TRUE(one.ok) << one.reason;
  EXPECT_EQ(one.records, kLong);
  for (unsigned threads : {2u, 3u}) {
    const VerifyReport many = run(threads);
    EXPECT_TRUE(many.ok) << many.reason;
    EXPECT_EQ(many.records, kLong);
    EXPECT_EQ(many.root, one.root);
  }
  {
    auto store = Store::open(dir, OpenMode::kReadWrite, {});
    ASSERT_TRUE(store) << store.error().message;
    std::string v;
    ASSERT_TRUE((*store)->db().Get({}, (*store)->cf(Cf::kLog), keys::log(20000), &v).ok());
    v[v.size() / 2] = static_cast<char>(v[v.size() / 2] ^ 0x01);
    ASSERT_TRUE((*store)->db().Put({}, (*store)->cf(Cf::kLog), keys::log(20000), v).ok());
  }
  for (unsigned threads : {1u, 2u}) {
    const VerifyReport bad = run(threads);
    EXPECT_FALSE(bad.ok);
    ASSERT_TRUE(bad.first_bad_seq.has_value()) << bad.reason;
    EXPECT_EQ(*bad.first_bad_seq, 20000u) << bad.reason;
  }
}

}  // namespace
}  // namespace custody::ledger
