// Audit packages end to end: written by `custody export`, checked by the package verifier
// (the code of `custody-verify`) and by the binary itself; and every kind of tampering an
// inspector must catch is caught.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "custody/common/clock.h"
#include "custody/common/encoding.h"
#include "custody/crypto/note.h"
#include "custody/crypto/sha256.h"
#include "support/test_support.h"
#include "verify/package_verifier.h"

namespace custody::verify {
namespace {

namespace fs = std::filesystem;
using testing::run_custody;

using Files = std::map<std::string, std::string>;

Files read_folder(const fs::path& dir) {
  Files out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    out[fs::relative(e.path(), dir).generic_string()] =
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

PackageReport check(Files files, VerifyOptions options = {}) {
  auto src = memory_source(std::move(files));
  return verify_package(*src, options);
}

class Packages : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_custody({"init", dir(), "--import-history"}).exit_code, 0);
    // A generated plant day in three appends: three checkpoints, so a lot's records are
    // first covered by an older checkpoint than the newest.
    auto plant = run_custody({"gen", "plant", "--days", "2", "--seed", "3"});
    ASSERT_EQ(plant.exit_code, 0);
    const auto lines = split_lines(plant.out);
    const std::size_t third = lines.size() / 3;
    for (std::size_t part = 0; part < 3; ++part) {
      const auto first = lines.begin() + static_cast<long>(part * third);
      const auto last = part == 2 ? lines.end() : first + static_cast<long>(third);
      auto r = run_custody({"append", dir()}, join_lines({first, last}));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    std::ifstream(tmp_ / "ledger" / "node.pub") >> key_;
    // The first lot received.
    for (const auto& l : lines) {
      auto v = boost::json::parse(l);
      if (v.at("type") == "lot.receive") {
        lot_ = std::string(v.at("data").at("lot").as_string());
        break;
      }
    }
    ASSERT_FALSE(lot_.empty());
    // Later records, so that the newest checkpoint is younger than the lot's.
    std::string notes;
    for (int i = 0; i < 20; ++i) {
      notes += R"({"type":"note.add","commandId":"later-)" + std::to_string(i) +
               R"(","actor":"user:ann","data":{"subject":"line-1","text":"later"}})" + "\n";
    }
    ASSERT_EQ(run_custody({"append", dir()}, notes).exit_code, 0);
  }

  [[nodiscard]] std::string dir() const { return (tmp_ / "ledger").string(); }

  Files exported(const std::vector<std::string>& selection, const std::string& name) {
    std::vector<std::string> args = {"export", dir(), "--out", (tmp_ / name).string()};
    args.insert(args.end(), selection.begin(), selection.end());
    auto r = run_custody(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return read_folder(tmp_ / name);
  }

  testing::TempDir tmp_;
  std::string key_;
  std::string lot_;
};

TEST_F(Packages, ALotPackageIsProvenWithTheTrustedKey) {
  const Files pkg = exported({"--lot", lot_}, "lot");
  VerifyOptions trusted;
  trusted.trusted_key = key_;
  const auto rep = check(pkg, trusted);
  ASSERT_TRUE(rep.proven) << rep.failure;
  EXPECT_TRUE(rep.key_trusted);
  EXPECT_GT(rep.records, 1u);
  EXPECT_EQ(rep.complete, "lot:" + lot_ + " versions 1-" + std::to_string(rep.records));
  EXPECT_LT(rep.first_tree_size, rep.tree_size);  // held since an older checkpoint
  EXPECT_TRUE(pkg.contains("checkpoints/" + std::to_string(rep.first_tree_size) + ".txt"));
  EXPECT_NE(pkg.at("index.html").find("custody-verify"), std::string::npos);
}

TEST_F(Packages, AnOffsetASenderGaveIsCheckedAsWritten) {
  const std::string at = format_rfc3339(SystemClock().now() - 3'600'000'000'000LL, 330);
  auto r = run_custody({"append", dir()},
                       R"({"type":"note.add","commandId":"tz-1","actor":"user:qa","occurredAt":")" +
                           at + R"(","data":{"subject":"s","text":"t"}})" + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(run_custody({"checkpoint", dir()}).exit_code, 0);
  const Files pkg = exported({"--all"}, "all-tz");
  EXPECT_NE(pkg.at("records.ndjson").find("\"occurredAt\":\"" + at + "\""), std::string::npos)
      << "the time as its sender wrote it, +05:30";
  VerifyOptions trusted;
  trusted.trusted_key = key_;
  const auto rep = check(pkg, trusted);
  EXPECT_TRUE(rep.proven) << rep.failure;
}

TEST_F(Packages, WholeLogAndTimeRangePackagesAreCompleteRanges) {
  const auto all = check(exported({"--all"}, "all/"));  // a trailing slash names the folder
  ASSERT_TRUE(all.proven) << all.failure;
  EXPECT_EQ(all.first_seq, 1u);
  EXPECT_EQ(all.last_seq, all.tree_size);
  EXPECT_EQ(all.complete, "seqs 1-" + std::to_string(all.tree_size));
  const auto range = check(exported({"--from", "2000-01-01", "--to", "2100-01-01"}, "range"));
  ASSERT_TRUE(range.proven) << range.failure;
  EXPECT_EQ(range.records, all.records);
}

TEST_F(Packages, AWorkOrdersPackageIsProvenAndComplete) {
  std::string wo;
  auto log = run_custody({"log", dir(), "--limit", "0"});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  for (const auto& l : split_lines(log.out)) {
    auto v = boost::json::parse(l);
    if (v.as_object().contains("type") && v.at("type") == "wo.released") {
      wo = std::string(v.at("stream").as_string()).substr(3);  // "wo:<id>"
      break;
    }
  }
  ASSERT_FALSE(wo.empty());
  const Files pkg = exported({"--wo", wo}, "wo");
  VerifyOptions trusted;
  trusted.trusted_key = key_;
  const auto rep = check(pkg, trusted);
  ASSERT_TRUE(rep.proven) << rep.failure;
  EXPECT_GE(rep.records, 2u);  // created and released at least
  EXPECT_EQ(rep.complete, "wo:" + wo + " versions 1-" + std::to_string(rep.records));
}

TEST_F(Packages, EveryKindOfTamperingIsCaught) {
  const Files pkg = exported({"--lot", lot_}, "lot");
  ASSERT_TRUE(check(pkg).proven);
  const auto evidence = split_lines(pkg.at("evidence.ndjson"));
  const auto records = split_lines(pkg.at("records.ndjson"));
  ASSERT_GE(evidence.size(), 3u);
  auto expect_caught = [](const Files& f, const std::string& says, VerifyOptions o = {}) {
    const auto rep = check(f, o);
    EXPECT_FALSE(rep.proven) << says;
    EXPECT_NE(rep.failure.find(says), std::string::npos) << rep.failure;
  };

  {  // A flipped bit in any byte of a proof.
    auto ev = evidence;
    const std::size_t at = ev[1].find("\"path\":[\"") + 9;
    for (std::size_t i = 0; i < 64; i += 7) {
      auto f = pkg;
      auto e = ev;
      e[1][at + i] = e[1][at + i] == '0' ? '1' : '0';
      f["evidence.ndjson"] = join_lines(e);
      expect_caught(f, "is not proven in the tree of checkpoint");
    }
  }
  {  // A record removed (from both files).
    auto f = pkg;
    auto e = evidence;
    auto r = records;
    e.erase(e.begin() + 1);
    r.erase(r.begin() + 1);
    f["evidence.ndjson"] = join_lines(e);
    f["records.ndjson"] = join_lines(r);
    expect_caught(f, "is missing from the package");
    // The last one removed leaves no gap, but the signed manifest counts it.
    e = evidence;
    r = records;
    e.pop_back();
    r.pop_back();
    f["evidence.ndjson"] = join_lines(e);
    f["records.ndjson"] = join_lines(r);
    expect_caught(f, "versions 1-");
  }
  {  // A record added twice, or two swapped.
    auto f = pkg;
    auto e = evidence;
    auto r = records;
    e.insert(e.begin() + 1, e[1]);
    r.insert(r.begin() + 1, r[1]);
    f["evidence.ndjson"] = join_lines(e);
    f["records.ndjson"] = join_lines(r);
    expect_caught(f, "out of order or repeated");
    e = evidence;
    r = records;
    std::swap(e[0], e[1]);
    std::swap(r[0], r[1]);
    f["evidence.ndjson"] = join_lines(e);
    f["records.ndjson"] = join_lines(r);
    expect_caught(f, "out of order or repeated");
  }
  {  // A record outside the checkpoint the package says holds them: a record of the newest
     // tree but after the oldest checkpoint, with its own valid proof, appended.
    const Files all = exported({"--all"}, "all");
    const auto rep = check(pkg);
    ASSERT_LT(rep.first_tree_size, rep.tree_size);
    const auto all_evidence = split_lines(all.at("evidence.ndjson"));
    const auto all_records = split_lines(all.at("records.ndjson"));
    ASSERT_GT(all_evidence.size(), rep.first_tree_size);
    auto f = pkg;
    auto e = evidence;
    auto r = records;
    e.push_back(all_evidence[rep.first_tree_size]);  // seq first_tree_size + 1
    r.push_back(all_records[rep.first_tree_size]);
    f["evidence.ndjson"] = join_lines(e);
    f["records.ndjson"] = join_lines(r);
    expect_caught(f, "is beyond checkpoint " + std::to_string(rep.first_tree_size));
  }
  {  // The manifest edited to match a removal: its signature no longer holds.
    auto f = pkg;
    auto m = boost::json::parse(f["manifest.json"]).as_object();
    m["records"] = m["records"].as_int64() - 1;
    f["manifest.json"] = boost::json::serialize(m) + "\n";
    expect_caught(f, "manifest.sig signs another manifest");
  }
  {  // A payload changed; a readable field changed; a checkpoint edited; a file added.
    auto f = pkg;
    auto e = evidence;
    auto v = boost::json::parse(e[0]).as_object();
    auto payload = *from_base64(v["payloadBytes"].as_string());
    payload[payload.size() - 1] ^= 1;
    v["payloadBytes"] = to_base64(as_bytes(payload));
    e[0] = boost::json::serialize(v);
    f["evidence.ndjson"] = join_lines(e);
    expect_caught(f, "the payload is not the one its digest names");

    f = pkg;
    auto r = records;
    const std::size_t actor = r[0].find("\"actor\":\"") + 9;
    r[0].insert(actor, "x");
    f["records.ndjson"] = join_lines(r);
    expect_caught(f, "\"actor\" differs from the hashed bytes");

    f = pkg;
    const std::string newest = "checkpoints/" + std::to_string(check(pkg).tree_size) + ".txt";
    std::string note = f[newest];
    note[note.find('\n') + 1] = note[note.find('\n') + 1] == '9' ? '8' : '9';
    f[newest] = note;
    expect_caught(f, newest);

    f = pkg;
    f["extra.ndjson"] = evidence[0] + "\n";
    expect_caught(f, "does not list: extra.ndjson");
  }
  {  // The consistency proof with a flipped byte.
    auto f = pkg;
    std::string c = f["consistency.json"];
    const std::size_t at = c.find("\"path\":[\"") + 9;
    if (c.find("\"path\":[]") == std::string::npos) {
      c[at] = c[at] == 'a' ? 'b' : 'a';
      f["consistency.json"] = c;
      expect_caught(f, "consistency.json");
    }
  }
  {  // Another key: the whole package re-signed by someone else's key verifies only as
     // theirs, and not at all against the key the auditor trusts.
    auto other = crypto::NoteSigner::generate(
        std::string(boost::json::parse(pkg.at("manifest.json")).at("origin").as_string()));
    auto f = pkg;
    f["node.pub"] = other.verifier().vkey() + "\n";
    VerifyOptions trusted;
    trusted.trusted_key = key_;
    expect_caught(f, "is not the key you trust", trusted);
    expect_caught(f, "manifest.sig is not signed by the node key");
  }
  {  // Witnesses required but none cosigned.
    VerifyOptions w;
    w.witness_keys = {crypto::NoteSigner::generate("witness-a").verifier().vkey()};
    w.min_witnesses = 1;
    expect_caught(pkg, "witness signatures required", w);
    // Nor does the node's own key count as a witness.
    w.witness_keys = {key_};
    expect_caught(pkg, "cannot be a witness", w);
  }
  {  // A manifest signed by the node but claiming another selection than the records prove
     // (an exporter's bug, or a key holder's lie) is caught by the records themselves.
    std::string skey;
    std::ifstream(tmp_ / "ledger" / "node.key") >> skey;
    auto node = crypto::NoteSigner::parse(skey);
    ASSERT_TRUE(node);
    auto resign = [&](boost::json::object m) {
      Files f = pkg;
      f["manifest.json"] = boost::json::serialize(m) + "\n";
      const std::string origin(m["origin"].as_string());
      f["manifest.sig"] = node->sign("custody-audit-package/1\n" + origin + "\n" +
                                     to_hex(crypto::sha256(f["manifest.json"])) + "\n");
      return f;
    };
    auto m = boost::json::parse(pkg.at("manifest.json")).as_object();
    ASSERT_TRUE(check(resign(m)).proven);  // re-signing itself changes nothing
    auto other = m;
    other["selection"].as_object()["lot"] = "ANOTHER-LOT";
    expect_caught(resign(other), "proves another stream complete");
    other = m;
    other["selection"] = boost::json::object{{"kind", "all"}};
    expect_caught(resign(other), "the selection is every record");
  }
}

// A witness cosigns the newest checkpoint; once the ledger keeps the note it sent back
// (`custody witness keep`), export puts it in the package and custody-verify names the
// witness. Before that, a package cannot meet --min-witnesses; a note that is not one of
// this ledger's checkpoints is refused and keeps nothing.
TEST_F(Packages, AWitnessesCosignatureKeptByTheLedgerTravelsInThePackage) {
  const fs::path witness = tmp_ / "witness";
  auto init = run_custody({"witness", "init", witness.string(), "--name", "witness.example",
                           "--log-key-file", (tmp_ / "ledger" / "node.pub").string()});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const std::string witness_key(boost::json::parse(init.out).at("key").as_string());
  auto cp = run_custody({"checkpoint", dir()});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  std::ofstream(tmp_ / "cp.txt") << cp.out;
  auto cosigned = run_custody(
      {"witness", "cosign", witness.string(), "--checkpoint", (tmp_ / "cp.txt").string()});
  ASSERT_EQ(cosigned.exit_code, 0) << cosigned.err;
  std::ofstream(tmp_ / "cosigned.txt") << cosigned.out;

  VerifyOptions witnessed;
  witnessed.trusted_key = key_;
  witnessed.witness_keys = {witness_key};
  witnessed.min_witnesses = 1;
  const auto before = check(exported({"--lot", lot_}, "before"), witnessed);
  EXPECT_FALSE(before.proven);
  EXPECT_NE(before.failure.find("0 of the 1 witness signatures"), std::string::npos)
      << before.failure;

  // Bad notes: refused with the field, nothing kept.
  std::ofstream(tmp_ / "garbage.txt") << "not a note\n";
  std::string other = cosigned.out;
  other.replace(other.find('\n') + 1, 1, other[other.find('\n') + 1] == '1' ? "2" : "1");
  std::ofstream(tmp_ / "other.txt") << other;  // another tree size than the ledger signed
  std::string mangled = cosigned.out;          // the witness's line cut short
  mangled.erase(mangled.rfind(' ') + 1);
  mangled += "!!\n";
  std::ofstream(tmp_ / "mangled.txt") << mangled;
  for (const auto& [bad, code] : std::vector<std::pair<std::string, int>>{
           {"garbage.txt", 3}, {"other.txt", 3}, {"mangled.txt", 3}, {"missing.txt", 2}}) {
    auto r = run_custody({"witness", "keep", dir(), "--note", (tmp_ / bad).string()});
    EXPECT_EQ(r.exit_code, code) << bad << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("(field note)"), std::string::npos) << bad << ": " << r.err;
    EXPECT_FALSE(fs::exists(tmp_ / "ledger" / "cosigned")) << bad;
  }

  auto kept = run_custody({"witness", "keep", dir(), "--note", (tmp_ / "cosigned.txt").string()});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(boost::json::parse(kept.out).at("kept"), 1);
  const Files pkg = exported({"--lot", lot_}, "after");
  const auto after = check(pkg, witnessed);
  ASSERT_TRUE(after.proven) << after.failure;
  EXPECT_EQ(after.witnesses, std::vector<std::string>{"witness.example"});
  // The same package without the witness's key proves the records as before.
  VerifyOptions plain;
  plain.trusted_key = key_;
  EXPECT_TRUE(check(pkg, plain).proven);

  // A kept note changed by hand (a line no reader takes) is left out of the next package,
  // which carries the checkpoint as the ledger signed it.
  fs::path kept_file;
  for (const auto& e : fs::directory_iterator(tmp_ / "ledger" / "cosigned")) kept_file = e.path();
  std::ofstream(kept_file, std::ios::app) << "\u2014 broken\n";
  const auto broken = check(exported({"--lot", lot_}, "broken"), witnessed);
  EXPECT_FALSE(broken.proven);
  EXPECT_NE(broken.failure.find("0 of the 1 witness signatures"), std::string::npos)
      << broken.failure;
  EXPECT_TRUE(check(exported({"--lot", lot_}, "broken-plain"), plain).proven);
}

TEST_F(Packages, TheVerifierBinaryExitsZeroOrThree) {
  (void)exported({"--lot", lot_}, "lot");
  const std::string bin = fs::path(CUSTODY_BINARY).parent_path() / "custody-verify";
  auto run = [&](const std::string& args) {
    const std::string cmd = bin + " " + args + " > " + (tmp_ / "out.txt").string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(tmp_ / "out.txt");
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  };
  auto [ok, out] =
      run((tmp_ / "lot").string() + " --key-file " + (tmp_ / "ledger" / "node.pub").string());
  EXPECT_EQ(ok, 0) << out;
  EXPECT_NE(out.find("PROVEN"), std::string::npos) << out;
  EXPECT_NE(out.find("(the key you gave)"), std::string::npos) << out;
  // Without a key of one's own, only on purpose.
  auto [no_key, says] = run((tmp_ / "lot").string());
  EXPECT_EQ(no_key, 2) << says;
  EXPECT_NE(says.find("--key-file"), std::string::npos) << says;
  auto [own, text_own] = run((tmp_ / "lot").string() + " --package-key");
  EXPECT_EQ(own, 0) << text_own;
  EXPECT_NE(text_own.find("the package's own key"), std::string::npos) << text_own;
  EXPECT_EQ(run((tmp_ / "lot").string() + " --key ' '").first, 2);
  { std::ofstream(tmp_ / "lot" / "records.ndjson", std::ios::app) << "{}\n"; }
  auto [bad, why] =
      run((tmp_ / "lot").string() + " --key-file " + (tmp_ / "ledger" / "node.pub").string());
  EXPECT_EQ(bad, 3) << why;
  EXPECT_NE(why.find("NOT PROVEN"), std::string::npos) << why;
  auto [usage, text] = run((tmp_ / "nowhere").string() + " --package-key");
  EXPECT_EQ(usage, 2) << text;
}

TEST_F(Packages, BadSelectionsExitTwoAndWriteNothing) {
  const auto before = testing::snapshot_files(tmp_.path());
  for (const auto& [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--lot", "NO-SUCH-LOT"}, "field lot"},
           {{"--lot", ""}, "field lot"},
           {{"--wo", ""}, "field workOrder"},
           {{"--wo", "NO-SUCH-WO"}, "field workOrder"},
           {{"--from", "2026-01-02", "--to", "2026-01-01"}, "field to"},
           {{"--from", "1990-01-01", "--to", "1990-01-02"}, "field from"},
           {{"--from", "yesterday", "--to", "2026-01-01"}, "field from"},
           {{"--all", "--lot", "X"}, "excludes"},
           {{}, "choose --all"}}) {
    std::vector<std::string> a = {"export", dir(), "--out", (tmp_ / "pkg").string()};
    a.insert(a.end(), args.begin(), args.end());
    auto r = run_custody(a);
    EXPECT_EQ(r.exit_code, 2) << says;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  }
  EXPECT_EQ(testing::snapshot_files(tmp_.path()), before);
  // An existing folder is never overwritten.
  fs::create_directory(tmp_ / "taken");
  auto r = run_custody({"export", dir(), "--all", "--out", (tmp_ / "taken").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("field out"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(tmp_ / "taken"));
}

}  // namespace
}  // namespace custody::verify
