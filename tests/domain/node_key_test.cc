// The node key: rotation is a record signed by the old key, verification follows the key
// history, a key from before a rotation signs nothing any more, and a sealed key opens only
// with its passphrase (custody/ledger/node_key.h).
#include "custody/ledger/node_key.h"

#include <rocksdb/db.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "custody/common/files.h"
#include "custody/domain/plant.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/config.h"
#include "custody/ledger/store.h"
#include "custody/ledger/verifier.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;

class NodeKey : public PlantTest {
 protected:
  void notes(int n) {
    for (int i = 0; i < n; ++i) ok("note.add", R"({"subject":"line-1","text":"n"})");
  }
  ledger::VerifyReport verify(std::optional<std::string> trusted = std::nullopt) {
    ledger::VerifyOptions o;
    if (trusted) {
      auto k = crypto::NoteVerifier::parse(*trusted);
      EXPECT_TRUE(k);
      o.key = *k;
    }
    auto r = ledger::verify_ledger(ledger_->store(), o);
    EXPECT_TRUE(r);
    return *r;
  }
  std::string first_key() { return ledger_->meta().node_public_key; }
};

TEST_F(NodeKey, ARotationIsSignedByTheOldKeyAndVerifyFollowsIt) {
  notes(3);
  const std::string old_key = first_key();
  auto next = ledger_->rotate_key();
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_NE(*next, old_key);
  EXPECT_EQ(ledger_->store().current_public_key(), *next);
  EXPECT_EQ(read_text(dir_ / "node.pub"), *next + "\n");
  notes(3);
  ASSERT_TRUE(ledger_->checkpoint());

  // The rotation is a record of the log, custody's own, naming the new key.
  auto snap = ledger_->snapshot();
  std::optional<ledger::RecordFields> rotation;
  for (std::uint64_t s = 1; s <= snap->head().seq; ++s) {
    auto r = ledger::decode_record(*snap->record(s));
    if (r && r->type == "ledger.key_rotated") rotation = *r;
  }
  ASSERT_TRUE(rotation);
  EXPECT_EQ(rotation->actor, "system");
  EXPECT_EQ(rotation->stream, "ledger:key");

  // The newest checkpoint is the new key's; the one just before the rotation the old key's.
  auto now_key = crypto::NoteVerifier::parse(*next);
  auto before_key = crypto::NoteVerifier::parse(old_key);
  EXPECT_TRUE(ledger::open_checkpoint(ledger_->latest_checkpoint(), *now_key));
  EXPECT_FALSE(ledger::open_checkpoint(ledger_->latest_checkpoint(), *before_key));

  auto own = verify();
  EXPECT_TRUE(own.ok) << own.reason;
  EXPECT_EQ(own.key_rotations, 1u);
  // An auditor who holds the first key is led to the new one by the log itself; one who
  // holds only the new key is vouched for from the rotation on, which covers the head.
  auto by_old = verify(old_key);
  EXPECT_TRUE(by_old.ok) << by_old.reason;
  auto by_new = verify(*next);
  EXPECT_TRUE(by_new.ok) << by_new.reason;
  // A stranger's key is not in the history: nothing it signed covers the records.
  auto stranger = crypto::NoteSigner::generate(ledger_->meta().origin).verifier().vkey();
  auto by_stranger = verify(stranger);
  EXPECT_FALSE(by_stranger.ok);
}

TEST_F(NodeKey, TheOldKeyAfterARotationIsRefused) {
  notes(2);
  const std::string old_text = read_text(dir_ / "node.key");
  auto old_signer = ledger::read_node_key(dir_ / "node.key", std::nullopt);
  ASSERT_TRUE(old_signer);
  ASSERT_TRUE(ledger_->rotate_key());
  notes(2);
  const auto head = ledger_->head().seq;

  // A checkpoint the old key signs over the records after the rotation fails verification.
  {
    ledger::Checkpoint cp{ledger_->meta().origin, head, {}, {}};
    cp.root = ledger::parse_checkpoint_note_unverified(ledger_->latest_checkpoint())->root;
    const std::string forged = ledger::sign_checkpoint(cp, *old_signer);
    ledger_.reset();
    auto store = ledger::Store::open(dir_, ledger::OpenMode::kReadWrite,
                                     domain::make_state_machine()->column_families());
    ASSERT_TRUE(store) << store.error().message;
    const std::string be = be64(head);
    ASSERT_TRUE((*store)->db().Put({}, (*store)->cf(ledger::Cf::kCheckpoints), be, forged).ok());
    auto r = ledger::verify_ledger(**store, {});
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->ok);
    EXPECT_NE(r->reason.find("stored checkpoint at size " + std::to_string(head)),
              std::string::npos)
        << r->reason;
    ASSERT_TRUE((*store)->db().Delete({}, (*store)->cf(ledger::Cf::kCheckpoints), be).ok());
  }

  // A writer given the old key back (a restored file, a copy someone kept) is refused.
  fs::remove(dir_ / "node.key");
  ASSERT_TRUE(write_new_file(dir_ / "node.key", old_text, 0600));
  ledger::LedgerOptions o;
  o.clock = &clock_;
  auto refused =
      ledger::Ledger::open(dir_, ledger::OpenMode::kReadWrite, domain::make_state_machine(), o);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("not this ledger's current node key"), std::string::npos)
      << refused.error().message;
}

TEST_F(NodeKey, ARotationCutShortBeforeTheKeyMovedIsFinishedAtOpen) {
  notes(1);
  const std::string old_text = read_text(dir_ / "node.key");
  auto next = ledger_->rotate_key();
  ASSERT_TRUE(next);
  ledger_.reset();
  // As if the process died after the record was durable and before node.key.next moved.
  fs::rename(dir_ / "node.key", dir_ / "node.key.next");
  ASSERT_TRUE(write_new_file(dir_ / "node.key", old_text, 0600));
  reopen();
  EXPECT_FALSE(fs::exists(dir_ / "node.key.next"));
  auto now_key = ledger::read_node_key(dir_ / "node.key", std::nullopt);
  ASSERT_TRUE(now_key);
  EXPECT_EQ(now_key->verifier().vkey(), *next);
  notes(1);
  EXPECT_TRUE(verify().ok);
}

TEST_F(NodeKey, ARotationNoteSignedByAnyOtherKeyIsRefused) {
  const std::string origin = ledger_->meta().origin;
  auto current = crypto::NoteSigner::generate(origin);
  auto stranger = crypto::NoteSigner::generate(origin);
  auto next = crypto::NoteSigner::generate(origin);
  const std::string good = ledger::key_rotation_note(origin, current, next.verifier());
  auto opened = ledger::open_key_rotation(good, origin, current.verifier());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->vkey(), next.verifier().vkey());
  const std::string forged = ledger::key_rotation_note(origin, stranger, next.verifier());
  auto refused = ledger::open_key_rotation(forged, origin, current.verifier());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  // Signed by the right key, but for another ledger.
  auto elsewhere = ledger::open_key_rotation(
      ledger::key_rotation_note("custody/other", current, next.verifier()), origin,
      current.verifier());
  EXPECT_FALSE(elsewhere);
}

TEST_F(NodeKey, ASealedKeyOpensOnlyWithItsPassphrase) {
  auto signer = crypto::NoteSigner::generate("custody/test");
  const fs::path key = tmp_ / "sealed.key";
  ASSERT_TRUE(ledger::write_node_key(key, signer, std::string("correct horse battery")));
  const std::string text = read_text(key);
  EXPECT_TRUE(ledger::is_sealed(text));
  EXPECT_EQ(text.find("PRIVATE+KEY"), std::string::npos) << "the secret is not in the file";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto opened = ledger::read_node_key(key, std::string("correct horse battery"));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->verifier().vkey(), signer.verifier().vkey());
  auto wrong = ledger::read_node_key(key, std::string("correct horse battery!"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kPermissionDenied);
  auto none = ledger::read_node_key(key, std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kPermissionDenied);
  // A flipped byte in the box does not open (the MAC), whatever the passphrase.
  std::string damaged = text;
  damaged[damaged.size() - 6] = damaged[damaged.size() - 6] == 'A' ? 'B' : 'A';
  fs::remove(key);
  ASSERT_TRUE(write_new_file(key, damaged, 0600));
  EXPECT_FALSE(ledger::read_node_key(key, std::string("correct horse battery")));
  // A sealed header that is not one (cut short, limits out of range) is corruption.
  for (const std::string& bad : {std::string("custody-sealed-key v1 argon2id13 2\n"),
                                 std::string("custody-sealed-key v1 argon2id13 0 1 a b c\n")}) {
    fs::remove(key);
    ASSERT_TRUE(write_new_file(key, bad, 0600));
    auto malformed = ledger::read_node_key(key, std::string("correct horse battery"));
    ASSERT_FALSE(malformed) << bad;
    EXPECT_EQ(malformed.error().code, ErrorCode::kCorruption) << bad;
  }
  // A key others may read is refused before it is read.
  fs::permissions(key, fs::perms::group_read, fs::perm_options::add);
  auto open_to_group = ledger::read_node_key(key, std::string("correct horse battery"));
  ASSERT_FALSE(open_to_group);
  EXPECT_NE(open_to_group.error().message.find("mode 0640"), std::string::npos)
      << open_to_group.error().message;
}

TEST_F(NodeKey, AWriterOpensASealedKeyKeptOutsideTheLedger) {
  notes(1);
  const fs::path outside = tmp_ / "secrets";
  fs::create_directories(outside);
  const fs::path pass = outside / "passphrase";
  std::ofstream(pass) << "s3cret passphrase\n";
  auto signer = ledger::read_node_key(dir_ / "node.key", std::nullopt);
  ASSERT_TRUE(signer);
  ASSERT_TRUE(
      ledger::write_node_key(outside / "plant.key", *signer, std::string("s3cret passphrase")));
  ledger_.reset();
  fs::remove(dir_ / "node.key");
  std::ofstream(dir_ / "config.json", std::ios::trunc)
      << R"({"nodeKey":{"file":")" + (outside / "plant.key").string() + R"(","passphraseFile":")" +
             pass.string() + R"("}})";
  ledger::LedgerOptions o;
  o.clock = &clock_;
  auto configured = ledger::load_options(dir_, o);
  ASSERT_TRUE(configured) << configured.error().message;
  auto reopened = ledger::Ledger::open(dir_, ledger::OpenMode::kReadWrite,
                                       domain::make_state_machine(), *configured);
  ASSERT_TRUE(reopened) << reopened.error().message;
  ledger_ = std::move(*reopened);
  notes(1);
  auto rotated = ledger_->rotate_key();
  ASSERT_TRUE(rotated) << rotated.error().message;
  // The rotated key is sealed under the same passphrase, in the same place.
  EXPECT_TRUE(ledger::is_sealed(read_text(outside / "plant.key")));
  EXPECT_FALSE(fs::exists(dir_ / "node.key"));
  ledger_.reset();
  std::ofstream(pass, std::ios::trunc) << "not it\n";
  auto refused = ledger::Ledger::open(dir_, ledger::OpenMode::kReadWrite,
                                      domain::make_state_machine(), *configured);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("passphrase"), std::string::npos);
  // The environment names the passphrase file over the configuration.
  const fs::path right = outside / "right";
  std::ofstream(right) << "s3cret passphrase\n";
  ::setenv(std::string(ledger::kPassphraseEnv).c_str(), right.c_str(), 1);
  auto opened = ledger::Ledger::open(dir_, ledger::OpenMode::kReadWrite,
                                     domain::make_state_machine(), *configured);
  ::unsetenv(std::string(ledger::kPassphraseEnv).c_str());
  ASSERT_TRUE(opened) << opened.error().message;
}

TEST_F(NodeKey, BadKeySettingsAreRefused) {
  for (const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"nodeKey":"node.key"})", "config.nodeKey"},
           {R"({"nodeKey":{"file":""}})", "config.nodeKey.file"},
           {R"({"nodeKey":{"passphrase":"hunter2"}})", "config.nodeKey.passphrase"},
           {R"({"nodeKey":{"passphraseFile":7}})", "config.nodeKey.passphraseFile"}}) {
    std::ofstream(dir_ / "config.json", std::ios::trunc) << text;
    auto c = ledger::load_config(dir_);
    ASSERT_FALSE(c) << text;
    EXPECT_EQ(c.error().field, field) << text;
  }
}

}  // namespace
}  // namespace custody::testing
