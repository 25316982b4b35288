// Proofs built from a real ledger's stored tree: each one verifies against the root of the
// checkpoint the node signed, and a damaged tree is reported rather than proven.
#include "custody/ledger/proof.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "custody/crypto/merkle_proof.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/merkle.h"
#include "support/test_support.h"

namespace custody::ledger {
namespace {

using testing::append;
using testing::note;

class Proofs : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::init_ledger(tmp_ / "l");
    LedgerOptions options;
    options.sequencer.checkpoint_interval = std::chrono::milliseconds(0);  // one per group
    ledger_ = testing::open_ledger(tmp_ / "l", OpenMode::kReadWrite, options);
    for (int i = 1; i <= 300; ++i) {
      auto r = append(*ledger_, note("c" + std::to_string(i), "s" + std::to_string(i % 7), "t"));
      ASSERT_TRUE(r) << r.error().message;
      hashes_.push_back(r->hash);
    }
    verifier_ = std::make_unique<crypto::NoteVerifier>(*ledger_->verifier());
  }

  // The root a signed checkpoint note carries, after checking the node's signature.
  crypto::Digest signed_root(const std::string& note, std::uint64_t size) const {
    auto cp = open_checkpoint(note, *verifier_);
    EXPECT_TRUE(cp) << (cp ? "" : cp.error().message);
    EXPECT_EQ(cp->size, size);
    return cp->root;
  }

  testing::TempDir tmp_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<crypto::NoteVerifier> verifier_;
  std::vector<crypto::Digest> hashes_;
};

TEST_F(Proofs, InclusionVerifiesAgainstTheSignedCheckpoint) {
  auto snap = ledger_->snapshot();
  for (std::uint64_t tree : {1, 2, 15, 16, 17, 31, 32, 33, 150, 256, 257, 300}) {
    for (std::uint64_t seq : {1, 2, 16, 17, 32, 33, 129, 256, 257, 300}) {
      if (seq > tree) continue;
      auto p = prove_inclusion(*snap, seq, tree);
      ASSERT_TRUE(p) << p.error().message;
      EXPECT_EQ(p->leaf, hashes_[seq - 1]);
      ASSERT_FALSE(p->checkpoint.empty()) << tree;
      EXPECT_EQ(p->root, signed_root(p->checkpoint, tree));
      EXPECT_TRUE(crypto::verify_inclusion(seq - 1, tree, p->leaf, p->path, p->root))
          << seq << " in " << tree;
    }
  }
  // Without a tree size: the newest checkpoint.
  auto p = prove_inclusion(*snap, 7, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->tree_size, 300u);
  EXPECT_EQ(p->checkpoint, ledger_->latest_checkpoint());
}

TEST_F(Proofs, ConsistencyVerifiesBetweenSignedCheckpoints) {
  auto snap = ledger_->snapshot();
  const std::vector<std::uint64_t> sizes = {0, 1, 2, 3, 16, 17, 100, 255, 256, 257, 300};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    for (std::size_t j = std::max<std::size_t>(i, 1); j < sizes.size(); ++j) {
      auto p = prove_consistency(*snap, sizes[i], sizes[j]);
      ASSERT_TRUE(p) << p.error().message;
      if (sizes[i] > 0) {
        EXPECT_EQ(p->from_root, signed_root(p->from_checkpoint, sizes[i]));
      }
      EXPECT_EQ(p->to_root, signed_root(p->to_checkpoint, sizes[j]));
      EXPECT_TRUE(crypto::verify_consistency(sizes[i], sizes[j], p->from_root, p->to_root, p->path))
          << sizes[i] << " -> " << sizes[j];
    }
  }
}

TEST_F(Proofs, BadRequestsSayWhichField) {
  auto snap = ledger_->snapshot();
  auto expect = [](const auto& r, ErrorCode code, const char* field) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().field, field);
  };
  expect(prove_inclusion(*snap, 0, 100), ErrorCode::kInvalidArgument, "seq");
  expect(prove_inclusion(*snap, 101, 100), ErrorCode::kInvalidArgument, "seq");
  expect(prove_inclusion(*snap, 1, 301), ErrorCode::kInvalidArgument, "treeSize");
  expect(prove_consistency(*snap, 200, 100), ErrorCode::kInvalidArgument, "from");
  expect(prove_consistency(*snap, 1, 301), ErrorCode::kInvalidArgument, "to");
}

TEST_F(Proofs, ADamagedStoredTreeIsReportedNotProven) {
  // A stored interior node (level 4, index 2: records 33..48) rewritten behind the ledger's
  // back.
  auto& db = ledger_->store().db();
  auto* merkle = ledger_->store().cf(Cf::kMerkle);
  ASSERT_TRUE(db.Put(rocksdb::WriteOptions(), merkle, keys::merkle(kStoredMinLevel, 2),
                     std::string(32, 'x'))
                  .ok());
  auto snap = ledger_->snapshot();
  auto expect_damage = [](const auto& r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kCorruption);
  };
  // A root built on it disagrees with the signed checkpoint of its size ...
  expect_damage(prove_inclusion(*snap, 20, 48));
  // ... and a path that needs it does not verify, so it is not handed out.
  expect_damage(prove_inclusion(*snap, 55, 300));
  expect_damage(prove_consistency(*snap, 50, 300));
  // Once the node is gone, nothing that needs it can be proven ...
  ASSERT_TRUE(db.Delete(rocksdb::WriteOptions(), merkle, keys::merkle(kStoredMinLevel, 2)).ok());
  snap = ledger_->snapshot();
  expect_damage(prove_inclusion(*snap, 55, 300));
  // ... while what does not reach it still proves.
  EXPECT_TRUE(prove_inclusion(*snap, 3, 300));
  EXPECT_TRUE(prove_consistency(*snap, 40, 300));
}

}  // namespace
}  // namespace custody::ledger
