// Redaction: record.redact erases personal data from a record's free text. The payload bytes
// leave the log (and the disk), the digest stays, so the chain, the tree and every proof are
// as they were; the projections show the text blank, live and after a rebuild alike.
#include <rocksdb/db.h>
#include <rocksdb/sst_file_reader.h>

#include <fstream>

#include "custody/domain/plant.h"
#include "custody/ledger/projection_check.h"
#include "custody/ledger/proof.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/verifier.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "call Jana Novak on +420 601 555 010";

std::string redact(std::uint64_t seq, const std::string& fields,
                   const std::string& reason = "GDPR erasure request 2026-17") {
  return R"({"seq":)" + std::to_string(seq) + R"(,"reason":")" + reason + R"(","fields":)" +
         fields + "}";
}

class Redaction : public PlantTest {
 protected:
  // Raises EX-1 whose description holds the secret; returns its seq.
  std::uint64_t raise_with_secret() {
    ok("exception.raise", std::string(R"({"exception":"EX-1","category":"personnel",)") +
                              R"("severity":"medium","description":")" + kSecret + "\"}");
    return ledger_->head().seq;
  }
  std::string leaf_of(std::uint64_t seq) {
    auto bytes = ledger_->snapshot()->record(seq);
    EXPECT_TRUE(bytes);
    auto leaf = ledger::record_leaf(*bytes);
    EXPECT_TRUE(leaf);
    return to_hex(*leaf);
  }
  // Every place under the ledger directory that still holds `text`: table files read through
  // RocksDB (they are compressed), everything else as raw bytes.
  std::vector<std::string> files_holding(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      if (!e.is_regular_file()) continue;
      if (e.path().extension() == ".sst") {
        rocksdb::Options o;
        rocksdb::SstFileReader reader(o);
        if (!reader.Open(e.path().string()).ok()) continue;
        std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          if (it->value().ToStringView().find(text) != std::string_view::npos) {
            out.push_back(e.path().filename().string() + " (" +
                          reader.GetTableProperties()->column_family_name + ")");
            break;
          }
        }
        continue;
      }
      if (read_text(e.path()).find(text) != std::string::npos) {
        out.push_back(e.path().filename().string());
      }
    }
    return out;
  }
};

TEST_F(Redaction, TheTextIsBlankTheProofsStandAndARebuildAgrees) {
  const std::uint64_t seq = raise_with_secret();
  ok("exception.comment", R"({"exception":"EX-1","text":"covered by the night shift"})");
  const std::string leaf = leaf_of(seq);
  ASSERT_TRUE(ledger_->checkpoint());
  const std::uint64_t size = ledger_->head().seq;
  auto proof_before = ledger::prove_inclusion(*ledger_->snapshot(), seq, size);
  ASSERT_TRUE(proof_before) << proof_before.error().message;

  ok("record.redact", redact(seq, R"(["description"])"), "user:qa");
  const std::uint64_t by = ledger_->head().seq;
  EXPECT_EQ(state("exception", "EX-1")["description"], "");
  EXPECT_EQ(state("exception", "EX-1")["severity"], "medium");  // the rest is untouched
  auto history = show("exception", "EX-1")["history"].as_array();
  ASSERT_GE(history.size(), 3u);
  EXPECT_EQ(history[0].at("redacted"), true);
  EXPECT_EQ(history[0].at("payload").at("description"), "");
  EXPECT_EQ(history[0].at("payload").at("category"), "personnel");
  EXPECT_EQ(history.back().at("type"), "record.redacted");
  EXPECT_EQ(history.back().at("payload").at("seq").to_number<std::uint64_t>(), seq);
  EXPECT_EQ(history.back().at("payload").at("remainder").at("description"), "");
  EXPECT_EQ(boost::json::serialize(history).find("Novak"), std::string::npos);

  // The record hashes as before: the same leaf, the same proof in the same tree.
  EXPECT_EQ(leaf_of(seq), leaf);
  auto bytes = ledger_->snapshot()->record(seq);
  auto fields = ledger::decode_record(*bytes);
  ASSERT_TRUE(fields);
  EXPECT_FALSE(fields->payload_present);
  auto proof_after = ledger::prove_inclusion(*ledger_->snapshot(), seq, size);
  ASSERT_TRUE(proof_after) << proof_after.error().message;
  EXPECT_EQ(proof_after->leaf, proof_before->leaf);
  EXPECT_EQ(proof_after->path, proof_before->path);

  auto report = ledger::verify_ledger(ledger_->store(), {});
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->redacted, 1u);

  // Rebuilt from the log, the projections are what the live ones became.
  expect_rebuild_gives_the_same_state();
  EXPECT_EQ(state("exception", "EX-1")["description"], "");
  EXPECT_GT(by, seq);
}

TEST_F(Redaction, TheErasedBytesLeaveTheDisk) {
  const std::uint64_t seq = raise_with_secret();
  for (int i = 0; i < 20; ++i) ok("note.add", R"({"subject":"line-1","text":"filler"})");
  ledger_.reset();  // the secret is flushed into table files
  reopen();
  ASSERT_FALSE(files_holding("Novak").empty()) << "the test would prove nothing";
  ok("record.redact", redact(seq, R"(["description"])"), "user:qa");
  EXPECT_EQ(files_holding("Novak"), std::vector<std::string>{});
  ledger_.reset();
  EXPECT_EQ(files_holding("Novak"), std::vector<std::string>{});
  reopen();
}

TEST_F(Redaction, Rules) {
  master_data();
  const std::uint64_t material = 1;  // material.defined: no free text to erase
  const std::uint64_t seq = raise_with_secret();
  auto note = run("note.add", R"({"subject":"s","text":"t"})");
  ASSERT_TRUE(note);
  expect_rejected("record.redact", redact(999, R"(["text"])"), ErrorCode::kNotFound, "data.seq");
  expect_rejected("record.redact", redact(0, R"(["text"])"), ErrorCode::kNotFound, "data.seq");
  expect_rejected("record.redact", redact(material, R"(["name"])"), ErrorCode::kInvalidArgument,
                  "data.seq");
  expect_rejected("record.redact", redact(seq, R"(["severity"])"), ErrorCode::kInvalidArgument,
                  "data.fields[0]");
  expect_rejected("record.redact", redact(seq, R"(["description","description"])"),
                  ErrorCode::kInvalidArgument, "data.fields[1]");
  expect_rejected("record.redact", redact(seq, R"([])"), ErrorCode::kInvalidArgument,
                  "data.fields");
  expect_rejected("record.redact", redact(seq, R"(["description"])", "  "),
                  ErrorCode::kInvalidArgument, "data.reason");
  expect_rejected("record.redact", R"({"seq":1,"fields":["text"]})", ErrorCode::kInvalidArgument,
                  "data.reason");
  // A corrected record: its correction holds the text too.
  ok("record.correct",
     R"({"seq":)" + std::to_string(note->seq) + R"(,"reason":"typo","data":{"text":"u"}})");
  expect_rejected("record.redact", redact(note->seq, R"(["text"])"), ErrorCode::kInvalidArgument,
                  "data.seq");
  ok("record.redact", redact(seq, R"(["description"])"), "user:qa");
  const std::uint64_t redaction = ledger_->head().seq;
  expect_rejected("record.redact", redact(seq, R"(["description"])"), ErrorCode::kInvalidArgument,
                  "data.seq");
  // Neither a redaction nor a correction of a redacted record.
  expect_rejected("record.redact", redact(redaction, R"(["reason"])"), ErrorCode::kInvalidArgument,
                  "data.seq");
  expect_rejected(
      "record.correct",
      R"({"seq":)" + std::to_string(seq) + R"(,"reason":"r","data":{"description":"x"}})",
      ErrorCode::kInvalidArgument, "data.seq");
}

}  // namespace
}  // namespace custody::testing
