// A follower's copy of a site's ledger (custody/ledger/replica.h), fed the batches the site's
// store gives, without a broker: the copy ends byte for byte the site's log, with the same
// projections; a batch that is forged, reordered, duplicated, cut or a rewrite of history is
// refused and changes nothing; the copy resumes after a restart; no command writes to it.
#include "custody/ledger/replica.h"

#include "custody/domain/plant.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/verifier.h"
#include "domain/replication_fixture.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;
using ledger::Batch;
using ledger::Replica;

class ReplicaTest : public ReplicationTest {
 protected:
  // The site's batches after `after`: small ones, so that a checkpoint's records span many.
  std::vector<Batch> batches(std::uint64_t after, std::size_t max_bytes = 1500) {
    auto b = ledger::read_batches(ledger_->store(), after, max_bytes, 1000);
    EXPECT_TRUE(b) << b.error().message;
    return b ? *b : std::vector<Batch>{};
  }
  // Every batch up to the site's head (with a checkpoint there).
  std::vector<Batch> all_batches(std::uint64_t after = 0) {
    EXPECT_TRUE(ledger_->checkpoint());
    std::vector<Batch> out;
    while (after < ledger_->head().seq) {
      auto next = batches(after);
      if (next.empty()) break;
      after = next.back().last();
      for (auto& b : next) out.push_back(std::move(b));
    }
    return out;
  }

  std::unique_ptr<Replica> open_copy() {
    auto r = Replica::open(copy_, "plant-a", ledger_->meta().node_public_key,
                           domain::make_state_machine());
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }

  void offer_all(Replica& r, const std::vector<Batch>& bs) {
    for (std::size_t i = 0; i < bs.size(); ++i) {
      auto o = r.offer(bs[i], std::to_string(i + 2));
      ASSERT_TRUE(o) << "batch " << i << ": " << o.error().message;
    }
  }

  // Expects `b` refused with `code`, and the copy as it was.
  void expect_refused(Replica& r, const Batch& b, ErrorCode code) {
    const auto head = r.head();
    const auto kept = r.held();
    const std::string position = r.position();
    auto o = r.offer(b, "999");
    ASSERT_FALSE(o) << "a bad batch was taken";
    EXPECT_EQ(code_name(o.error().code), code_name(code)) << o.error().message;
    EXPECT_FALSE(o.error().message.empty());
    EXPECT_EQ(r.head().seq, head.seq);
    EXPECT_EQ(r.head().leaf, head.leaf);
    EXPECT_EQ(r.held(), kept);
    EXPECT_EQ(r.position(), position);
  }

  fs::path copy_ = tmp_ / "copy";
};

TEST_F(ReplicaTest, TheCopyHoldsTheSitesRecordsAndProjectionsAndVerifies) {
  raise(40);
  auto bs = all_batches();
  ASSERT_GT(bs.size(), 3u) << "the test wants a checkpoint's records in several batches";
  EXPECT_TRUE(bs.front().checkpoint.empty());
  EXPECT_FALSE(bs.back().checkpoint.empty());
  {
    auto r = open_copy();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->exists());
    // Held, not written, until the checkpoint comes: the copy does not exist yet.
    for (std::size_t i = 0; i + 1 < bs.size(); ++i) {
      auto o = r->offer(bs[i], "x");
      ASSERT_TRUE(o) << o.error().message;
      EXPECT_EQ(o->outcome, Replica::Outcome::kHeld);
    }
    EXPECT_FALSE(fs::exists(copy_));
    auto o = r->offer(bs.back(), "next");
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->outcome, Replica::Outcome::kWritten);
    EXPECT_EQ(o->written, ledger_->head().seq);
    EXPECT_EQ(r->head().seq, ledger_->head().seq);
    EXPECT_EQ(r->position(), "next");
    EXPECT_EQ(r->checkpoint(), bs.back().checkpoint);
  }
  EXPECT_EQ(contents(copy_), site());

  // The copy verifies as a ledger: chain, tree, the site's checkpoints, projections.
  auto store = ledger::Store::open(copy_, ledger::OpenMode::kReadOnly,
                                   domain::make_state_machine()->column_families());
  ASSERT_TRUE(store);
  auto report = ledger::verify_ledger(**store, ledger::VerifyOptions{});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->checkpoints_checked, 1u);
}

TEST_F(ReplicaTest, ACopyResumesWhereItsLastWriteEndedAndNoCommandWritesToIt) {
  raise(10);
  auto first = all_batches();
  {
    auto r = open_copy();
    offer_all(*r, first);
  }
  raise(10);
  auto second = all_batches(first.back().last());
  ASSERT_FALSE(second.empty());
  {
    auto r = open_copy();
    ASSERT_TRUE(r->exists());
    EXPECT_EQ(r->head().seq, first.back().last());
    EXPECT_EQ(r->position(), std::to_string(first.size() + 1));
    // A batch it already wrote comes again (a publisher that resumed early): nothing changes.
    auto again = r->offer(first.back(), "again");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->outcome, Replica::Outcome::kDuplicate);
    EXPECT_EQ(r->position(), std::to_string(first.size() + 1));
    offer_all(*r, second);
    EXPECT_EQ(r->head().seq, ledger_->head().seq);
  }
  EXPECT_EQ(contents(copy_), site());

  auto writer =
      ledger::Ledger::open_dir(copy_, ledger::OpenMode::kReadWrite, domain::make_state_machine());
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(writer.error().field, "dir");
  // Another site's name, or another key, does not open it either.
  auto other = Replica::open(copy_, "plant-b", ledger_->meta().node_public_key,
                             domain::make_state_machine());
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  EXPECT_EQ(other.error().field, "site");
  auto bad_key = Replica::open(copy_, "plant-a", "not a key", domain::make_state_machine());
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().field, "key");
  // A site ledger is not a copy: a follower does not write into it.
  auto into_site =
      Replica::open(dir_, "plant-a", ledger_->meta().node_public_key, domain::make_state_machine());
  ASSERT_FALSE(into_site);
  EXPECT_EQ(into_site.error().code, ErrorCode::kNotALedger);
}

TEST_F(ReplicaTest, ForgedReorderedCutAndDuplicatedBatchesAreRefusedAndChangeNothing) {
  raise(30);
  auto bs = all_batches();
  ASSERT_GT(bs.size(), 3u);
  auto r = open_copy();
  ASSERT_TRUE(r->offer(bs[0], "1"));

  // Reordered: the third before the second is a gap.
  expect_refused(*r, bs[2], ErrorCode::kInvalidState);
  // A changed payload: the record's digest no longer matches.
  {
    Batch b = bs[1];
    auto f = ledger::decode_record(b.records[0]);
    ASSERT_TRUE(f);
    f->payload[f->payload.size() / 2] ^= 0x20;
    b.records[0] = ledger::canonical_record(*f, ledger::RecordForm::kStored);
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  // A record re-encoded with its digest recomputed: the chain breaks at the next one.
  {
    Batch b = bs[1];
    auto f = ledger::decode_record(b.records[0]);
    ASSERT_TRUE(f);
    f->actor = "user:mallory";
    b.records[0] = ledger::encode_record(*f).bytes;
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  // A record left out in the middle: the second and third batches as one, less the first
  // record of the third.
  {
    Batch b = bs[1];
    b.records.insert(b.records.end(), bs[2].records.begin() + 1, bs[2].records.end());
    ASSERT_GT(b.records.size(), bs[1].records.size());
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  // Another ledger's batch.
  {
    Batch b = bs[1];
    b.ledger_id = "00000000-0000-0000-0000-000000000000";
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  // A duplicate of what is held is taken as such and changes nothing.
  auto dup = r->offer(bs[0], "again");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->outcome, Replica::Outcome::kDuplicate);

  for (std::size_t i = 1; i + 1 < bs.size(); ++i) ASSERT_TRUE(r->offer(bs[i], "h"));
  // The last batch, cut short but with its checkpoint: the checkpoint covers another size.
  {
    Batch b = bs.back();
    if (b.records.size() > 1) {
      b.records.pop_back();
      expect_refused(*r, b, ErrorCode::kCorruption);
    }
  }
  // A checkpoint signed by another key.
  {
    Batch b = bs.back();
    auto cp = ledger::parse_checkpoint_note_unverified(b.checkpoint);
    ASSERT_TRUE(cp);
    b.checkpoint = ledger::sign_checkpoint(*cp, crypto::NoteSigner::generate(cp->origin));
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  // A checkpoint whose root is not the records' (signed by the site's key: a different tree).
  {
    Batch b = bs.back();
    auto cp = ledger::parse_checkpoint_note_unverified(b.checkpoint);
    ASSERT_TRUE(cp);
    cp->root[0] ^= 1;
    auto signer = ledger::load_node_key(dir_);
    ASSERT_TRUE(signer);
    b.checkpoint = ledger::sign_checkpoint(*cp, *signer);
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  // A record sent without its payload that no record up to the checkpoint erased: its leaf
  // is the same (a redacted record keeps its payload's digest), so only the copy's own
  // reading of the redactions can refuse it.
  {
    Batch b = bs.back();
    auto f = ledger::decode_record(b.records.front());
    ASSERT_TRUE(f);
    f->payload.clear();
    f->payload_present = false;
    b.records.front() = ledger::canonical_record(*f, ledger::RecordForm::kLeaf);
    expect_refused(*r, b, ErrorCode::kCorruption);
  }
  EXPECT_FALSE(fs::exists(copy_)) << "nothing is written before a checkpoint verifies";
  auto o = r->offer(bs.back(), "end");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(r->head().seq, ledger_->head().seq);
  r.reset();
  EXPECT_EQ(contents(copy_), site());
}

TEST_F(ReplicaTest, ASiteThatRewroteWhatTheCopyHoldsIsRefused) {
  raise(10);
  auto bs = all_batches();
  {
    auto r = open_copy();
    offer_all(*r, bs);
  }
  // A site that rewrote its history sends a record the copy holds, changed: a batch that
  // starts before the copy's head and differs there is refused, whatever follows.
  const std::uint64_t fork_at = bs.front().last();
  Batch b = bs.front();
  auto f = ledger::decode_record(b.records.back());
  ASSERT_TRUE(f);
  f->actor = "user:mallory";
  b.records.back() = ledger::encode_record(*f).bytes;
  auto r = open_copy();
  expect_refused(*r, b, ErrorCode::kConflict);
  EXPECT_EQ(fork_at, b.last());
}

TEST_F(ReplicaTest, ARedactionReachesTheCopyAndRecordsComeRedactedToANewOne) {
  raise(3);
  ok("exception.raise", R"({"exception":"EX-S","category":"personnel","severity":"medium",)"
                        R"("description":"call Jana Novak on +420 601 555 010"})");
  const std::uint64_t secret = ledger_->head().seq;
  auto before = all_batches();
  {
    auto r = open_copy();
    offer_all(*r, before);
  }
  ok("record.redact",
     R"({"seq":)" + std::to_string(secret) +
         R"(,"reason":"GDPR erasure request","fields":["description"]})",
     "user:qa");
  raise(2);
  auto after = all_batches(before.back().last());
  {
    auto r = open_copy();
    offer_all(*r, after);
  }
  EXPECT_EQ(contents(copy_), site());
  {
    auto l =
        ledger::Ledger::open(copy_, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    ASSERT_TRUE(l);
    auto rec = ledger::decode_record(*(*l)->snapshot()->record(secret));
    ASSERT_TRUE(rec);
    EXPECT_FALSE(rec->payload_present) << "the erased payload stayed in the copy";
  }
  // A copy made from scratch now gets the record already redacted.
  fs::remove_all(copy_);
  {
    auto r = open_copy();
    offer_all(*r, all_batches());
  }
  EXPECT_EQ(contents(copy_), site());
}

TEST_F(ReplicaTest, ABatchIsDecodedExactlyOrRefused) {
  raise(5);
  auto bs = all_batches();
  ASSERT_FALSE(bs.empty());
  const std::string bytes = ledger::encode_batch(bs.back());
  auto back = ledger::decode_batch(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(ledger::encode_batch(*back), bytes);
  EXPECT_EQ(back->records, bs.back().records);
  EXPECT_EQ(back->checkpoint, bs.back().checkpoint);
  for (std::size_t cut : {std::size_t{0}, std::size_t{10}, std::size_t{40}, bytes.size() - 1}) {
    auto d = ledger::decode_batch(std::string_view(bytes).substr(0, cut));
    ASSERT_FALSE(d) << "a batch cut at " << cut << " was read";
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(d.error().field, "batch");
  }
  auto extra = ledger::decode_batch(bytes + "x");
  ASSERT_FALSE(extra);
  EXPECT_EQ(extra.error().field, "batch");
  // A count far beyond the bytes is refused before anything is allocated for it.
  std::string huge = bytes;
  for (int i = 0; i < 8; ++i) huge[16 + 8 + i] = '\x7f';
  EXPECT_FALSE(ledger::decode_batch(huge));
}

}  // namespace
}  // namespace custody::testing
