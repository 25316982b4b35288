// Electronic signatures in the domain: the policy as records, a command refused without the
// signature its type needs (nothing written), the signature.signed record and its binding,
// and the check that catches a signature moved to other records.
#include "custody/domain/signatures.h"

#include <rocksdb/db.h>

#include "custody/domain/plant.h"
#include "custody/ledger/store.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

class Signatures : public PlantTest {
 protected:
  void SetUp() override {
    PlantTest::SetUp();
    master_data();
    ok("user.add", R"({"user":"alice","name":"Alice Moreau","roles":["qa"]})");
    receive("R-1", 100);
    receive("R-2", 100);
    ok("lot.hold", R"({"lot":"R-1","reason":"COA missing"})");
    ok("lot.hold", R"({"lot":"R-2","reason":"COA missing"})");
  }

  // A command as the server submits it after the signer confirmed with their password.
  Result<ledger::CommandResult> signed_run(const std::string& type, const std::string& data,
                                           const std::string& meaning,
                                           const std::string& actor = "user:alice") {
    const std::string line = R"({"type":")" + type + R"(","commandId":"s-)" + std::to_string(++n_) +
                             R"(","actor":")" + actor + R"(","data":)" + data + "}";
    auto cmd = domain::decode_command(line);
    if (!cmd) return std::unexpected(cmd.error());
    cmd->signature = meaning;
    return ledger_->submit(std::move(*cmd)).get();
  }

  void signed_rejected(const std::string& type, const std::string& data, const std::string& meaning,
                       const std::string& actor, ErrorCode code, const std::string& field) {
    const auto head = ledger_->head().seq;
    const std::string before = digest();
    auto r = signed_run(type, data, meaning, actor);
    ASSERT_FALSE(r) << type << " signed " << meaning << " was accepted";
    EXPECT_EQ(code_name(r.error().code), code_name(code)) << r.error().message;
    EXPECT_EQ(r.error().field, field) << r.error().message;
    EXPECT_EQ(ledger_->head().seq, head) << "a rejected command wrote a record";
    EXPECT_EQ(digest(), before);
  }

  ledger::RecordFields record(std::uint64_t seq) {
    auto snap = ledger_->snapshot();
    auto bytes = snap->record(seq);
    EXPECT_TRUE(bytes);
    auto r = ledger::decode_record(*bytes);
    EXPECT_TRUE(r);
    return *r;
  }

  // The check `custody verify` runs: on the open ledger, or on the directory once it was
  // rewritten (which the ledger itself refuses to open).
  domain::SignatureCheck check() {
    if (ledger_) {
      auto snap = ledger_->snapshot();
      auto r = domain::check_signatures(*snap);
      EXPECT_TRUE(r) << r.error().message;
      return *r;
    }
    auto store = ledger::Store::open(
        dir_, ledger::Store::OpenOptions{ledger::OpenMode::kReadOnly, ledger::OnDamage::kReport},
        domain::make_state_machine()->column_families());
    EXPECT_TRUE(store) << store.error().message;
    ledger::Snapshot snap(**store);
    auto r = domain::check_signatures(snap);
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  }

  // Closes the ledger; `change` rewrites record `seq`, and every record after it is
  // re-chained, as someone who can write the database directly would do.
  void rewrite(std::uint64_t seq, const std::function<void(ledger::RecordFields&)>& change) {
    const std::uint64_t head = ledger_->head().seq;
    ledger_.reset();
    {
      auto store = ledger::Store::open(dir_, ledger::OpenMode::kReadWrite,
                                       domain::make_state_machine()->column_families());
      ASSERT_TRUE(store) << store.error().message;
      auto& s = **store;
      auto get = [&](std::uint64_t n) {
        std::string v;
        EXPECT_TRUE(s.db().Get({}, s.cf(ledger::Cf::kLog), ledger::keys::log(n), &v).ok());
        return v;
      };
      crypto::Digest prev = *ledger::record_leaf(get(seq - 1));
      for (std::uint64_t n = seq; n <= head; ++n) {
        auto rec = ledger::decode_record(get(n));
        ASSERT_TRUE(rec);
        if (n == seq) change(*rec);
        rec->prev_hash = prev;
        const std::string bytes = ledger::canonical_record(*rec, ledger::RecordForm::kStored);
        ASSERT_TRUE(s.db().Put({}, s.cf(ledger::Cf::kLog), ledger::keys::log(n), bytes).ok());
        prev = *ledger::record_leaf(bytes);
      }
    }
  }
};

TEST_F(Signatures, WithoutAPolicyNothingNeedsASignature) {
  ok("lot.release", R"({"lot":"R-1"})");
  EXPECT_EQ(check().checked, 0u);
}

TEST_F(Signatures, APolicyRefusesTheUnsignedCommandAndWritesNothing) {
  ok("signature.set_policy",
     R"({"commandType":"lot.release","required":true,"meanings":["released"]})");
  expect_rejected("lot.release", R"({"lot":"R-1"})", ErrorCode::kSignatureRequired, "signature");
  // The meaning must be one the policy allows.
  signed_rejected("lot.release", R"({"lot":"R-1"})", "reviewed", "user:alice",
                  ErrorCode::kInvalidArgument, "signature");
  signed_rejected("lot.release", R"({"lot":"R-1"})", "blessed", "user:alice",
                  ErrorCode::kInvalidArgument, "signature");
  // Only a person the ledger knows, and who is enabled, signs.
  signed_rejected("lot.release", R"({"lot":"R-1"})", "released", "token:erp",
                  ErrorCode::kPermissionDenied, "actor");
  signed_rejected("lot.release", R"({"lot":"R-1"})", "released", "user:nobody",
                  ErrorCode::kPermissionDenied, "actor");
  ok("user.disable", R"({"user":"alice"})");
  signed_rejected("lot.release", R"({"lot":"R-1"})", "released", "user:alice",
                  ErrorCode::kPermissionDenied, "actor");
  ok("user.enable", R"({"user":"alice"})");
  // The command's own rules still come first.
  signed_rejected("lot.release", R"({"lot":"R-9"})", "released", "user:alice", ErrorCode::kNotFound,
                  "data.lot");
  // Lifting the need: a signature is then allowed, not required.
  ok("signature.set_policy", R"({"commandType":"lot.release","required":false})");
  ok("lot.release", R"({"lot":"R-1"})");
}

TEST_F(Signatures, ASignedCommandWritesItsSignatureAfterItsRecords) {
  ok("signature.set_policy",
     R"({"commandType":"lot.release","required":true,"meanings":["released"]})");
  clock_.advance(5'000'000'000);
  auto r = signed_run("lot.release", R"({"lot":"R-1"})", "released");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->records, 2u);
  const auto released = record(r->seq);
  const auto sig_record = record(r->seq + 1);
  EXPECT_EQ(released.type, "lot.released");
  EXPECT_EQ(sig_record.type, "signature.signed");
  EXPECT_EQ(sig_record.stream, "lot:R-1");
  EXPECT_EQ(sig_record.actor, "user:alice");
  EXPECT_EQ(sig_record.command_id, released.command_id);
  auto sig = domain::signature_view(sig_record);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->signer, "alice");
  EXPECT_EQ(sig->name, "Alice Moreau");
  EXPECT_EQ(sig->meaning, "released");
  EXPECT_EQ(sig->signed_at, clock_.now());
  EXPECT_EQ(sig->records, 1u);
  EXPECT_EQ(sig->hash, domain::signature_hash("alice", "Alice Moreau", "released", sig->signed_at,
                                              {{released.command_id, released.type, released.stream,
                                                released.payload_digest}}));
  EXPECT_EQ(state("lot", "R-1")["status"], "released");
  const auto c = check();
  EXPECT_TRUE(c.ok) << c.reason;
  EXPECT_EQ(c.checked, 1u);
}

TEST_F(Signatures, OnlyACriticalExceptionsClosingNeedsOne) {
  ok("signature.set_policy",
     R"({"commandType":"exception.close","required":true,"meanings":["approved"],"criticalOnly":true})");
  for (const std::string sev : {"high", "critical"}) {
    const std::string id = "EX-" + sev;
    ok("exception.raise", R"({"exception":")" + id + R"(","category":"quality","severity":")" +
                              sev + R"(","description":"d"})");
    ok("exception.assign", R"({"exception":")" + id + R"(","assignee":"user:alice"})");
    ok("exception.acknowledge", R"({"exception":")" + id + R"("})");
    ok("exception.resolve",
       R"({"exception":")" + id + R"(","rootCause":"worn seal","action":"replaced"})");
  }
  ok("exception.close", R"({"exception":"EX-high"})");
  expect_rejected("exception.close", R"({"exception":"EX-critical"})",
                  ErrorCode::kSignatureRequired, "signature");
  auto r = signed_run("exception.close", R"({"exception":"EX-critical"})", "approved");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(state("exception", "EX-critical")["status"], "closed");
}

TEST_F(Signatures, PolicyRulesRefuseAndWriteNothing) {
  expect_rejected("signature.set_policy", R"({"commandType":"lot.eat","required":true})",
                  ErrorCode::kInvalidArgument, "data.commandType");
  expect_rejected("signature.set_policy",
                  R"({"commandType":"signature.set_policy","required":false})",
                  ErrorCode::kInvalidArgument, "data.commandType");
  expect_rejected("signature.set_policy",
                  R"({"commandType":"reading.record","required":true,"meanings":["performed"]})",
                  ErrorCode::kInvalidArgument, "data.commandType");
  expect_rejected("signature.set_policy", R"({"commandType":"lot.release","required":true})",
                  ErrorCode::kInvalidArgument, "data.meanings");
  expect_rejected(
      "signature.set_policy",
      R"({"commandType":"lot.release","required":true,"meanings":["released","released"]})",
      ErrorCode::kInvalidArgument, "data.meanings[1]");
  expect_rejected(
      "signature.set_policy",
      R"({"commandType":"lot.release","required":true,"meanings":["approved"],"criticalOnly":true})",
      ErrorCode::kInvalidArgument, "data.criticalOnly");
  expect_rejected("signature.set_policy",
                  R"({"commandType":"lot.release","required":true,"meanings":["blessed"]})",
                  ErrorCode::kInvalidArgument, "data.meanings[0]");
}

TEST_F(
    Signatures,
    DefaultsCoverReleaseRejectCloseCorrectionRedactionVerificationClearanceAndCriticalExceptions) {
  for (const auto& line : domain::default_signature_policies()) {
    auto v = boost::json::parse(line).as_object();
    ok("signature.set_policy", boost::json::serialize(v.at("data")));
  }
  auto snap = ledger_->snapshot();
  auto all = domain::list_signature_policies(*snap);
  ASSERT_TRUE(all);
  std::vector<std::string> types;
  for (const auto& p : *all) {
    types.push_back(p.command_type);
    EXPECT_TRUE(p.required);
    EXPECT_EQ(p.set_by, "user:test");
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"deviation.approve", "exception.close", "line.clear",
                                      "line.verify", "lot.reject", "lot.release", "op.verify",
                                      "record.correct", "record.redact", "wo.close"}));
}

// A signature moved under other records, or records changed under a signature, no longer
// match: the check names the signature's seq even when the chain was rebuilt around them.
TEST_F(Signatures, ASignatureMovedToOtherRecordsIsCaught) {
  ok("signature.set_policy",
     R"({"commandType":"lot.release","required":false,"meanings":["released"]})");
  auto first = signed_run("lot.release", R"({"lot":"R-1"})", "released");
  ASSERT_TRUE(first);
  auto second = run("lot.release", R"({"lot":"R-2"})");
  ASSERT_TRUE(second);
  ASSERT_TRUE(check().ok);
  const auto other = record(second->seq);

  // The signed record now says it released R-2.
  rewrite(first->seq, [&](ledger::RecordFields& r) {
    r.payload = other.payload;
    r.payload_digest = crypto::sha256(r.payload);
  });
  auto c = check();
  EXPECT_FALSE(c.ok);
  ASSERT_TRUE(c.first_bad_seq.has_value());
  EXPECT_EQ(*c.first_bad_seq, first->seq + 1);
  EXPECT_NE(c.reason.find("does not match"), std::string::npos) << c.reason;
}

TEST_F(Signatures, ASignatureClaimingAnotherCommandIsCaught) {
  auto first = signed_run("lot.release", R"({"lot":"R-1"})", "released");
  ASSERT_TRUE(first);
  ASSERT_TRUE(run("note.add", R"({"subject":"line-1","text":"after"})"));
  rewrite(first->seq + 1, [&](ledger::RecordFields& r) { r.command_id = "t-somebody-else"; });
  auto c = check();
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.reason.find("does not belong"), std::string::npos) << c.reason;
}

TEST_F(Signatures, ARebuildGivesTheSameState) {
  ok("signature.set_policy",
     R"({"commandType":"lot.release","required":true,"meanings":["released"]})");
  ASSERT_TRUE(signed_run("lot.release", R"({"lot":"R-1"})", "released"));
  expect_rebuild_gives_the_same_state();
  EXPECT_TRUE(check().ok);
}

TEST_F(Signatures, RecordsInTheLogAreSignedByTheirLeafHash) {
  const std::uint64_t held = ledger_->head().seq;  // R-2's hold
  signed_rejected("signature.sign", R"({"records":[]})", "reviewed", "user:alice",
                  ErrorCode::kInvalidArgument, "data.records");
  signed_rejected("signature.sign", R"({"records":[999]})", "reviewed", "user:alice",
                  ErrorCode::kNotFound, "data.records[0]");
  signed_rejected("signature.sign",
                  R"({"records":[)" + std::to_string(held) + "," + std::to_string(held) + "]}",
                  "reviewed", "user:alice", ErrorCode::kInvalidArgument, "data.records[1]");
  signed_rejected("signature.sign", R"({"records":[1]})", "reviewed", "token:erp",
                  ErrorCode::kPermissionDenied, "actor");
  // Unsigned, it is nothing.
  expect_rejected("signature.sign", R"({"records":[1]})", ErrorCode::kInvalidArgument, "signature");
  auto r = signed_run(
      "signature.sign",
      R"({"records":[)" + std::to_string(held - 1) + "," + std::to_string(held) + "]}", "reviewed");
  ASSERT_TRUE(r) << r.error().message;
  const auto sig_record = record(r->seq);
  EXPECT_EQ(sig_record.type, "signature.signed");
  EXPECT_EQ(sig_record.stream, record(held - 1).stream);
  auto sig = domain::signature_view(sig_record);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->signs, (std::vector<std::uint64_t>{held - 1, held}));
  EXPECT_EQ(sig->records, 0u);
  // A signature of a signature is refused.
  signed_rejected("signature.sign", R"({"records":[)" + std::to_string(r->seq) + "]}", "approved",
                  "user:alice", ErrorCode::kInvalidArgument, "data.records[0]");
  {
    auto snap = ledger_->snapshot();
    auto of = domain::signatures_of(*snap, held);
    ASSERT_TRUE(of);
    ASSERT_EQ(of->size(), 1u);
    EXPECT_EQ((*of)[0].meaning, "reviewed");
  }
  EXPECT_TRUE(check().ok);
  // The signed record changed (re-chained around it): caught.
  rewrite(held, [](ledger::RecordFields& rec) { rec.recorded_at += 1; });
  auto c = check();
  EXPECT_FALSE(c.ok);
  ASSERT_TRUE(c.first_bad_seq.has_value());
  EXPECT_EQ(*c.first_bad_seq, r->seq);
}

}  // namespace
}  // namespace custody::testing
