// Electronic signatures through a real `custody serve`: the default policy a served ledger
// gets, the two-step challenge and confirmation, a wrong password (401, on record, nothing
// written, counted toward the lockout), a record changed in between (409), who may sign,
// and the manifestation wherever the signed record is read.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "server/server_support.h"
#include "support/test_support.h"

namespace custody::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kAlicePassword = "violet kettle marble 42";

// Two lots on hold, written before the server starts (no policy yet: nothing needs signing).
constexpr const char* kSetup =
    R"({"type":"material.define","commandId":"m1","actor":"user:setup","data":{"material":"romaine","name":"Romaine","uom":"kg","kind":"raw"}}
{"type":"party.define","commandId":"p1","actor":"user:setup","data":{"party":"farm","name":"Green Farms","role":"supplier"}}
{"type":"lot.receive","commandId":"r1","actor":"user:setup","data":{"lot":"R-1","material":"romaine","qty":100,"uom":"kg","supplier":"farm","supplierLot":"GF-1"}}
{"type":"lot.receive","commandId":"r2","actor":"user:setup","data":{"lot":"R-2","material":"romaine","qty":100,"uom":"kg","supplier":"farm","supplierLot":"GF-1"}}
{"type":"lot.hold","commandId":"h1","actor":"user:setup","data":{"lot":"R-1","reason":"COA missing"}}
{"type":"lot.hold","commandId":"h2","actor":"user:setup","data":{"lot":"R-2","reason":"COA missing"}}
{"type":"material.define","commandId":"m2","actor":"user:setup","data":{"material":"salad","name":"Salad","uom":"case","kind":"finished"}}
{"type":"equipment.define","commandId":"e1","actor":"user:setup","data":{"equipment":"packer-1","name":"Packer 1","workCenter":"pack"}}
{"type":"routing.define","commandId":"rt1","actor":"user:setup","data":{"routing":"lc-r","material":"salad","steps":[{"step":"pack","workCenter":"pack","lineClearance":true,"labelling":true}]}}
{"type":"wo.create","commandId":"w1","actor":"user:setup","data":{"wo":"WO-L","material":"salad","qty":10,"routing":"lc-r","due":"2026-11-22T00:00:00Z"}}
{"type":"wo.release","commandId":"w2","actor":"user:setup","data":{"wo":"WO-L"}}
)";

std::string release(const std::string& id, const std::string& lot) {
  return R"({"type":"lot.release","commandId":")" + id + R"(","data":{"lot":")" + lot + R"("}})";
}

std::string challenge_body(const std::string& command, const std::string& meaning) {
  return R"({"command":)" + command + R"(,"meaning":")" + meaning + R"("})";
}

class Signing : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", dir().string()}).exit_code, 0);
    auto setup = run_custody({"append", dir().string()}, kSetup);
    ASSERT_EQ(setup.exit_code, 0) << setup.out << setup.err;
    add_person(dir(), tmp_.path(), "alice", "qa", kAlicePassword);
    add_person(dir(), tmp_.path(), "oscar", "operator", "amber harbor violin 3");
    auto au =
        run_custody({"token", "create", dir().string(), "--id", "audit", "--role", "auditor"});
    auditor_ = std::string(json::parse(au.out).at("token").as_string());
    auto qa = run_custody({"token", "create", dir().string(), "--id", "lims", "--role", "qa"});
    qa_token_ = std::string(json::parse(qa.out).at("token").as_string());
    server_ = std::make_unique<ServeProcess>(dir());
    ASSERT_TRUE(server_->started());
    http_ = std::make_unique<HttpClient>(server_->port());
  }

  [[nodiscard]] fs::path dir() const { return tmp_ / "ledger"; }

  // Signs `user` in; the headers a signed-in write sends.
  std::vector<std::string> sign_in(const std::string& user, const std::string& password) {
    auto in = http_->request("POST", "/v1/session",
                             R"({"user":")" + user + R"(","password":")" + password + R"("})");
    EXPECT_EQ(in.status, 200) << in.body;
    if (in.status != 200) return {};
    return {"Cookie: " + cookie_from(in),
            "X-CSRF-Token: " + std::string(in.json().at("csrfToken").as_string())};
  }

  std::uint64_t head() {
    auto r = http_->request("GET", "/v1/checkpoint", "", auditor_);
    return r.json().at("head").to_number<std::uint64_t>();
  }

  HttpResponse post(const std::string& target, const std::string& body,
                    const std::vector<std::string>& session) {
    return http_->request("POST", target, body, "", session);
  }

  // The access records of a principal with `action`, as the auditor reads the log. Access
  // records are written without the caller waiting; a command answered after them (the
  // sequencer takes commands in order) makes sure they are durable first.
  std::size_t denials_of(const std::string& principal, const std::string& action) {
    static int syncs = 0;
    auto sync =
        http_->request("POST", "/v1/commands",
                       R"({"type":"note.add","commandId":"sync-)" + std::to_string(++syncs) +
                           R"(","data":{"subject":"sync","text":"sync"}})",
                       qa_token_);
    EXPECT_EQ(sync.status, 200) << sync.body;
    auto r =
        http_->request("GET", "/v1/log?stream=access:" + principal + "&limit=1000", "", auditor_);
    std::size_t n = 0;
    const auto body = r.json();
    for (const auto& rec : body.at("records").as_array()) {
      if (rec.at("payload").at("action").as_string() == action) ++n;
    }
    return n;
  }

  TempDir tmp_;
  std::string auditor_, qa_token_;
  std::unique_ptr<ServeProcess> server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(Signing, TheServedLedgerGetsTheDefaultPolicy) {
  auto r = http_->request("GET", "/v1/signatures/policy", "", auditor_);
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, json::object> by_type;
  const auto body = r.json();
  for (const auto& p : body.at("policies").as_array()) {
    by_type[std::string(p.at("commandType").as_string())] = p.as_object();
  }
  ASSERT_EQ(by_type.size(), 10u);
  EXPECT_EQ(by_type["deviation.approve"].at("meanings"), json::parse(R"(["approved"])"));
  EXPECT_EQ(by_type["op.verify"].at("meanings"), json::parse(R"(["verified"])"));
  EXPECT_EQ(by_type["line.clear"].at("meanings"), json::parse(R"(["performed"])"));
  EXPECT_EQ(by_type["line.verify"].at("meanings"), json::parse(R"(["verified"])"));
  EXPECT_EQ(by_type["record.redact"].at("meanings"), json::parse(R"(["approved"])"));
  EXPECT_EQ(by_type["lot.release"].at("meanings"), json::parse(R"(["released"])"));
  EXPECT_EQ(by_type["exception.close"].at("criticalOnly"), true);
  EXPECT_EQ(by_type["wo.close"].at("setBy"), "system");
  // A restart records nothing more.
  const auto before = head();
  server_->stop(SIGTERM);
  server_ = std::make_unique<ServeProcess>(dir());
  ASSERT_TRUE(server_->started());
  http_ = std::make_unique<HttpClient>(server_->port());
  EXPECT_EQ(head(), before);
}

TEST_F(Signing, AReleaseIsSignedInTwoStepsAndShowsItsManifestation) {
  const auto alice = sign_in("alice", kAlicePassword);
  // Unsigned: refused, nothing written.
  const auto before = head();
  auto unsigned_release = post("/v1/commands", release("rel-1", "R-1"), alice);
  EXPECT_EQ(unsigned_release.status, 422) << unsigned_release.body;
  EXPECT_EQ(code_of(unsigned_release), "signature_required");
  EXPECT_EQ(unsigned_release.json().at("error").at("field"), "signature");
  EXPECT_EQ(head(), before);

  // The challenge: what the signer is shown.
  auto ch =
      post("/v1/signatures/challenges", challenge_body(release("rel-1", "R-1"), "released"), alice);
  ASSERT_EQ(ch.status, 200) << ch.body;
  const std::string id(ch.json().at("challengeId").as_string());
  const std::string text(ch.json().at("text").as_string());
  EXPECT_NE(text.find("Printed alice (alice)"), std::string::npos) << text;
  EXPECT_NE(text.find("lot.release of lot:R-1"), std::string::npos) << text;
  EXPECT_NE(text.find("\"released\""), std::string::npos) << text;
  EXPECT_EQ(ch.json().at("needs"), json::parse(R"(["user","password"])"));
  EXPECT_EQ(head(), before) << "a challenge writes nothing";

  const std::string confirm = "/v1/signatures/challenges/" + id + ":confirm";
  // No password, or a body that is not JSON: 400, nothing written.
  auto no_password = post(confirm, R"({"user":"alice"})", alice);
  EXPECT_EQ(no_password.status, 400);
  EXPECT_EQ(no_password.json().at("error").at("field"), "password");
  EXPECT_EQ(post(confirm, "not json", alice).status, 400);
  EXPECT_EQ(head(), before);
  // The first signature of the session needs the user id too.
  auto no_user = post(confirm, R"({"password":"violet kettle marble 42"})", alice);
  EXPECT_EQ(no_user.status, 400);
  EXPECT_EQ(no_user.json().at("error").at("field"), "user");
  // A wrong password: 401, nothing written, on record.
  auto wrong = post(confirm, R"({"user":"alice","password":"not her passphrase"})", alice);
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_EQ(code_of(wrong), "unauthenticated");
  EXPECT_EQ(denials_of("user:alice", "confirm a signature"), 1u);
  EXPECT_EQ(head(), before + 2) << "only the access record (and the note that waited for it)";

  auto good = post(confirm, R"({"user":"alice","password":"violet kettle marble 42"})", alice);
  ASSERT_EQ(good.status, 200) << good.body;
  const auto g = good.json();
  EXPECT_EQ(g.at("records"), 2);
  EXPECT_EQ(g.at("signature").at("name"), "Printed alice");
  EXPECT_EQ(g.at("signature").at("meaning"), "released");
  const auto seq = g.at("seq").to_number<std::uint64_t>();
  // Used: it cannot be confirmed twice.
  EXPECT_EQ(post(confirm, R"({"password":"violet kettle marble 42"})", alice).status, 404);

  // The manifestation on the record, in the lot's history and on the signature record.
  auto rec = http_->request("GET", "/v1/records/" + std::to_string(seq), "", auditor_);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(rec.json().at("record").at("actor"), "user:alice");
  const auto manifest = rec.json().at("signatures").at(0);
  EXPECT_EQ(manifest.at("name"), "Printed alice");
  EXPECT_EQ(manifest.at("meaning"), "released");
  EXPECT_TRUE(std::string(manifest.at("signedAt").as_string()).ends_with("Z"));
  auto lot = http_->request("GET", "/v1/lots/R-1", "", qa_token_);
  ASSERT_EQ(lot.status, 200) << lot.body;
  EXPECT_EQ(lot.json().at("state").at("status"), "released");
  bool shown = false;
  const auto shown_lot = lot.json();
  for (const auto& h : shown_lot.at("history").as_array()) {
    if (h.at("type") == "lot.released") {
      shown = h.as_object().contains("signatures") &&
              h.at("signatures").at(0).at("meaning") == "released";
    }
  }
  EXPECT_TRUE(shown) << lot.body;

  // Later signatures of the session need the password only.
  auto ch2 =
      post("/v1/signatures/challenges", challenge_body(release("rel-2", "R-2"), "released"), alice);
  ASSERT_EQ(ch2.status, 200);
  EXPECT_EQ(ch2.json().at("needs"), json::parse(R"(["password"])"));
  // The lot changes before the confirmation: 409, nothing written.
  auto hold_note =
      post("/v1/commands",
           R"({"type":"lot.move","commandId":"mv-2","data":{"lot":"R-2","location":"cold-2"}})",
           sign_in("oscar", "amber harbor violin 3"));
  ASSERT_EQ(hold_note.status, 200) << hold_note.body;
  const auto before_stale = head();
  auto stale = post("/v1/signatures/challenges/" +
                        std::string(ch2.json().at("challengeId").as_string()) + ":confirm",
                    R"({"password":"violet kettle marble 42"})", alice);
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(code_of(stale), "conflict");
  EXPECT_EQ(head(), before_stale);

  // Verify checks the signature, once the server has stopped or while it runs.
  auto v = run_custody({"verify", dir().string()});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  auto report = json::parse(v.out);
  EXPECT_EQ(report.at("signatures").at("checked"), 1) << v.out;

  // An audit package of the lot, written while the server runs, carries the signature's
  // record beside the lot's own, and custody-verify proves them.
  // (A proof asked of the server signs a checkpoint covering everything so far.)
  ASSERT_EQ(http_->request("GET", "/v1/proofs/consistency?from=0", "", qa_token_).status, 200);
  const auto pkg = (tmp_.path() / "lot-R-1").string();
  auto ex = run_custody({"export", dir().string(), "--lot", "R-1", "--out", pkg});
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  std::ifstream in(tmp_.path() / "lot-R-1" / "records.ndjson");
  std::set<std::string> types;
  for (std::string line; std::getline(in, line);) {
    types.insert(std::string(json::parse(line).at("type").as_string()));
  }
  EXPECT_TRUE(types.contains("lot.released")) << ex.out;
  EXPECT_TRUE(types.contains("signature.signed")) << ex.out;
  const std::string verifier =
      (std::filesystem::path(CUSTODY_BINARY).parent_path() / "custody-verify").string();
  EXPECT_EQ(std::system((verifier + " " + pkg + " --key-file " + (dir() / "node.pub").string() +
                         " > /dev/null")
                            .c_str()),
            0);
}

// A redaction over the API: an operator may not; QA must sign it; the text is then gone from
// every read, and the record still proves.
TEST_F(Signing, ARedactionIsQaSignedAndErasesTheTextFromEveryRead) {
  auto note = http_->request(
      "POST", "/v1/commands",
      R"({"type":"note.add","commandId":"pd-1","data":{"subject":"line-1","text":"ring Jana Novak 601 555 010"}})",
      qa_token_);
  ASSERT_EQ(note.status, 200) << note.body;
  const auto seq = note.json().at("seq").to_number<std::uint64_t>();
  const std::string redact = R"({"type":"record.redact","commandId":"rd-1","data":{"seq":)" +
                             std::to_string(seq) +
                             R"(,"reason":"GDPR erasure request 2026-17","fields":["text"]}})";
  const auto oscar = sign_in("oscar", "amber harbor violin 3");
  const auto before = head();
  auto denied = post("/v1/commands", redact, oscar);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(code_of(denied), "permission_denied");
  const auto alice = sign_in("alice", kAlicePassword);
  auto unsigned_redact = post("/v1/commands", redact, alice);
  EXPECT_EQ(unsigned_redact.status, 422) << unsigned_redact.body;
  EXPECT_EQ(code_of(unsigned_redact), "signature_required");
  EXPECT_EQ(head(), before + 1) << "only oscar's access record";

  auto ch = post("/v1/signatures/challenges", challenge_body(redact, "approved"), alice);
  ASSERT_EQ(ch.status, 200) << ch.body;
  auto good = post("/v1/signatures/challenges/" +
                       std::string(ch.json().at("challengeId").as_string()) + ":confirm",
                   R"({"user":"alice","password":"violet kettle marble 42"})", alice);
  ASSERT_EQ(good.status, 200) << good.body;

  auto rec = http_->request("GET", "/v1/records/" + std::to_string(seq), "", auditor_);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(rec.json().at("record").at("redacted"), true);
  EXPECT_EQ(rec.body.find("Novak"), std::string::npos) << rec.body;
  auto stream = http_->request("GET", "/v1/log?stream=note:line-1&limit=100", "", auditor_);
  ASSERT_EQ(stream.status, 200);
  EXPECT_EQ(stream.body.find("Novak"), std::string::npos) << stream.body;
  auto proof =
      http_->request("GET", "/v1/proofs/inclusion?seq=" + std::to_string(seq), "", auditor_);
  EXPECT_EQ(proof.status, 200) << proof.body;
}

TEST_F(Signing, OnlyAPersonWhoMaySubmitItSignsAndOnlyWithAnAllowedMeaning) {
  // An API token cannot sign: a machine has no password to confirm with.
  auto token = http_->request("POST", "/v1/signatures/challenges",
                              challenge_body(release("t-1", "R-1"), "released"), qa_token_);
  EXPECT_EQ(token.status, 403) << token.body;
  EXPECT_EQ(code_of(token), "permission_denied");
  // An operator may not release, signed or not.
  const auto oscar = sign_in("oscar", "amber harbor violin 3");
  auto op =
      post("/v1/signatures/challenges", challenge_body(release("o-1", "R-1"), "released"), oscar);
  EXPECT_EQ(op.status, 403) << op.body;
  EXPECT_GE(denials_of("user:oscar", "submit lot.release"), 1u);
  // The meaning must be one the policy allows for the type; bad bodies say which field. None
  // of them writes anything.
  const auto alice = sign_in("alice", kAlicePassword);
  const auto before = head();
  auto meaning =
      post("/v1/signatures/challenges", challenge_body(release("a-1", "R-1"), "reviewed"), alice);
  EXPECT_EQ(meaning.status, 422) << meaning.body;
  EXPECT_EQ(meaning.json().at("error").at("field"), "meaning");
  auto unknown =
      post("/v1/signatures/challenges", challenge_body(release("a-1", "R-1"), "blessed"), alice);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.json().at("error").at("field"), "meaning");
  auto no_command = post("/v1/signatures/challenges", R"({"meaning":"released"})", alice);
  EXPECT_EQ(no_command.status, 400);
  EXPECT_EQ(no_command.json().at("error").at("field"), "command");
  auto bad_command =
      post("/v1/signatures/challenges",
           R"({"command":{"type":"lot.release","commandId":"x"},"meaning":"released"})", alice);
  EXPECT_EQ(bad_command.status, 400) << bad_command.body;
  EXPECT_EQ(bad_command.json().at("error").at("field"), "command.data");
  EXPECT_EQ(head(), before);
  // Another session cannot confirm alice's challenge; the lot stays on hold.
  auto ch =
      post("/v1/signatures/challenges", challenge_body(release("a-2", "R-1"), "released"), alice);
  ASSERT_EQ(ch.status, 200);
  auto theirs = post("/v1/signatures/challenges/" +
                         std::string(ch.json().at("challengeId").as_string()) + ":confirm",
                     R"({"user":"oscar","password":"amber harbor violin 3"})", oscar);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  EXPECT_EQ(head(), before);
  EXPECT_EQ(http_->request("GET", "/v1/lots/R-1", "", qa_token_).json().at("state").at("status"),
            "held");
}

TEST_F(Signing, ALineClearanceIsSignedByOnePersonAndVerifiedByAnother) {
  const std::string clear =
      R"({"type":"line.clear","commandId":"lc-1","data":{"wo":"WO-L","step":"pack",)"
      R"("equipment":"packer-1","materialsRemoved":true,"labelsRemoved":true}})";
  const std::string verify =
      R"({"type":"line.verify","commandId":"lv-1","data":{"wo":"WO-L","step":"pack"}})";
  const auto oscar = sign_in("oscar", "amber harbor violin 3");
  const auto alice = sign_in("alice", kAlicePassword);
  const auto before = head();
  // Unsigned: refused, nothing written. QA may not clear a line at all.
  auto unsigned_clear = post("/v1/commands", clear, oscar);
  EXPECT_EQ(unsigned_clear.status, 422) << unsigned_clear.body;
  EXPECT_EQ(code_of(unsigned_clear), "signature_required");
  auto by_qa = post("/v1/signatures/challenges", challenge_body(clear, "performed"), alice);
  EXPECT_EQ(by_qa.status, 403) << by_qa.body;
  EXPECT_GE(denials_of("user:alice", "submit line.clear"), 1u);
  // Who cleared (or verified) the order's pack step, "" for nobody.
  auto clearance = [&](const char* who) {
    auto r = http_->request("GET", "/v1/work-orders/WO-L", "", qa_token_);
    EXPECT_EQ(r.status, 200) << r.body;
    const auto body = r.json();
    const auto* c = body.at("state").at("steps").at(0).as_object().if_contains("clearance");
    const auto* v = c != nullptr && c->is_object() ? c->as_object().if_contains(who) : nullptr;
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  EXPECT_EQ(clearance("by"), "");
  auto sign = [&](const std::string& command, const std::string& meaning,
                  const std::vector<std::string>& session, const std::string& user,
                  const std::string& password) {
    auto ch = post("/v1/signatures/challenges", challenge_body(command, meaning), session);
    EXPECT_EQ(ch.status, 200) << ch.body;
    return post("/v1/signatures/challenges/" +
                    std::string(ch.json().at("challengeId").as_string()) + ":confirm",
                R"({"user":")" + user + R"(","password":")" + password + R"("})", session);
  };
  auto cleared = sign(clear, "performed", oscar, "oscar", "amber harbor violin 3");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.json().at("signature").at("meaning"), "performed");
  EXPECT_EQ(clearance("by"), "user:oscar");
  // The person who cleared it cannot verify it, signed or not; the clearance stays unverified.
  auto own = sign(verify, "verified", oscar, "oscar", "amber harbor violin 3");
  EXPECT_EQ(code_of(own), "permission_denied") << own.body;
  EXPECT_EQ(own.json().at("error").at("field"), "actor");
  EXPECT_EQ(clearance("verifiedBy"), "");
  auto verified = sign(verify, "verified", alice, "alice", kAlicePassword);
  ASSERT_EQ(verified.status, 200) << verified.body;
  EXPECT_EQ(clearance("verifiedBy"), "user:alice");
  EXPECT_GT(head(), before);
}

TEST_F(Signing, WrongPasswordsAtSigningLockTheAccount) {
  const auto alice = sign_in("alice", kAlicePassword);
  auto ch =
      post("/v1/signatures/challenges", challenge_body(release("l-1", "R-1"), "released"), alice);
  ASSERT_EQ(ch.status, 200);
  const std::string confirm = "/v1/signatures/challenges/" +
                              std::string(ch.json().at("challengeId").as_string()) + ":confirm";
  for (int i = 0; i < 5; ++i) {
    auto wrong = post(confirm, R"({"user":"alice","password":"guess"})", alice);
    if (wrong.status == 401 && i < 4) continue;
    EXPECT_EQ(wrong.status, 401) << i << wrong.body;
  }
  // Locked: the session is gone, and signing in is refused until an unlock.
  auto me = http_->request("GET", "/v1/whoami", "", "", {alice[0]});
  EXPECT_EQ(me.status, 401);
  auto again = http_->request("POST", "/v1/session",
                              R"({"user":"alice","password":"violet kettle marble 42"})");
  EXPECT_EQ(again.status, 401);
  EXPECT_NE(again.body.find("locked"), std::string::npos) << again.body;
}

// Every entity route answers with the entity, or 404 for an unknown id.
TEST_F(Signing, EveryEntityRouteAnswers) {
  EXPECT_EQ(http_->request("GET", "/v1/materials/romaine", "", qa_token_).status, 200);
  EXPECT_EQ(http_->request("GET", "/v1/parties/farm", "", qa_token_).status, 200);
  for (const char* c : {"work-orders", "exceptions", "equipment", "lots"}) {
    auto r = http_->request("GET", std::string("/v1/") + c + "/nothing-here", "", qa_token_);
    EXPECT_EQ(r.status, 404) << c;
    EXPECT_EQ(code_of(r), "not_found") << c;
  }
}

// Records already in the log are signed too (a review after the fact): the challenge names
// them, the text shows them, and the signature appears with each of them.
TEST_F(Signing, RecordsAlreadyInTheLogAreSignedAsReviewed) {
  const auto alice = sign_in("alice", kAlicePassword);
  // The two holds, seqs found through the lot's log.
  auto log = http_->request("GET", "/v1/log?stream=lot:R-1&limit=10", "", auditor_);
  ASSERT_EQ(log.status, 200) << log.body;
  std::uint64_t held = 0;
  const auto page = log.json();
  for (const auto& rec : page.at("records").as_array()) {
    if (rec.at("type") == "lot.held") held = rec.at("seq").to_number<std::uint64_t>();
  }
  ASSERT_GT(held, 0u);
  const auto before = head();
  // Bad input: no records, an unknown one, a list that is not of seqs, both kinds at once.
  for (const char* body :
       {R"({"records":[],"meaning":"reviewed"})", R"({"records":["x"],"meaning":"reviewed"})",
        R"({"records":[1],"command":{},"meaning":"reviewed"})"}) {
    auto bad = post("/v1/signatures/challenges", body, alice);
    EXPECT_GE(bad.status, 400) << body;
    EXPECT_LT(bad.status, 500) << body << bad.body;
  }
  auto unknown =
      post("/v1/signatures/challenges", R"({"records":[999999],"meaning":"reviewed"})", alice);
  EXPECT_EQ(unknown.status, 422) << unknown.body;
  EXPECT_EQ(unknown.json().at("error").at("field"), "records[0]");
  EXPECT_EQ(head(), before);

  auto ch = post("/v1/signatures/challenges",
                 R"({"records":[)" + std::to_string(held) + R"(],"meaning":"reviewed"})", alice);
  ASSERT_EQ(ch.status, 200) << ch.body;
  const std::string text(ch.json().at("text").as_string());
  EXPECT_NE(text.find("lot.held of lot:R-1"), std::string::npos) << text;
  EXPECT_NE(text.find("COA missing"), std::string::npos) << text;
  auto ok = post("/v1/signatures/challenges/" +
                     std::string(ch.json().at("challengeId").as_string()) + ":confirm",
                 R"({"user":"alice","password":"violet kettle marble 42"})", alice);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().at("signature").at("meaning"), "reviewed");
  auto rec = http_->request("GET", "/v1/records/" + std::to_string(held), "", auditor_);
  EXPECT_EQ(rec.json().at("signatures").at(0).at("name"), "Printed alice") << rec.body;
  auto v = run_custody({"verify", dir().string()});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(json::parse(v.out).at("signatures").at("checked"), 1) << v.out;
}

}  // namespace
}  // namespace custody::testing
