// A ledger with the plant domain and a manual clock, and helpers that read like a shift:
// run("lot.receive", R"({...})") submits a command; expect_rejected() also proves that the
// rejected command wrote nothing (same head, same projection digest).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>

#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/plant.h"
#include "custody/domain/queries.h"
#include "custody/ledger/rebuild.h"
#include "support/test_support.h"

namespace custody::testing {

class PlantTest : public ::testing::Test {
 protected:
  static constexpr TimeNs kStart = 1795248000LL * 1'000'000'000LL;  // 2026-11-21T08:00:00Z

  void SetUp() override { reopen(true); }

  void reopen(bool fresh = false) {
    ledger_.reset();
    if (fresh) init_ledger(dir_);
    ledger::LedgerOptions o;
    o.clock = &clock_;
    o.sequencer.tick_interval = std::chrono::milliseconds(1000);
    if (importing_) o.sequencer.late_entry = std::chrono::seconds(0);
    ledger_ = open_ledger(dir_, ledger::OpenMode::kReadWrite, o);
    ASSERT_TRUE(ledger_);
  }

  // Reopens the ledger as a host does, with the genealogy graph in memory (loaded from the
  // saved file or the projections, then fed by the sequencer); returns its machine.
  const domain::PlantMachine* reopen_with_graph(domain::PlantOptions options = {
                                                    .genealogy_graph = true}) {
    ledger_.reset();
    ledger::LedgerOptions o;
    o.clock = &clock_;
    auto machine = domain::make_state_machine(options);
    const domain::PlantMachine* plant = machine.get();
    auto r = ledger::Ledger::open(dir_, ledger::OpenMode::kReadWrite, std::move(machine), o);
    EXPECT_TRUE(r) << r.error().message;
    if (r) ledger_ = std::move(*r);
    return plant;
  }

  // Reopens the ledger as one that takes history (`custody init --import-history`): nothing
  // is a late entry however long ago it happened.
  void import_history() {
    importing_ = true;
    reopen();
  }

  // Submits {"type", "commandId": auto, "actor", "data"} and waits for the outcome.
  Result<ledger::CommandResult> run(const std::string& type, const std::string& data,
                                    const std::string& actor = "user:test") {
    const std::string line = R"({"type":")" + type + R"(","commandId":"t-)" + std::to_string(++n_) +
                             R"(","actor":")" + actor + R"(","data":)" + data + "}";
    auto cmd = domain::decode_command(line);
    if (!cmd) return std::unexpected(cmd.error());
    return ledger_->submit(std::move(*cmd)).get();
  }

  // The same with "occurredAt" (RFC 3339): a command about something that happened earlier.
  // run() of a command that says when it happened.
  Result<ledger::CommandResult> run_at(const std::string& type, const std::string& data,
                                       const std::string& occurred_at,
                                       const std::string& actor = "user:test") {
    const std::string line = R"({"type":")" + type + R"(","commandId":"t-)" + std::to_string(++n_) +
                             R"(","actor":")" + actor + R"(","occurredAt":")" + occurred_at +
                             R"(","data":)" + data + "}";
    auto cmd = domain::decode_command(line);
    if (!cmd) return std::unexpected(cmd.error());
    return ledger_->submit(std::move(*cmd)).get();
  }

  void ok_at(const std::string& type, const std::string& data, const std::string& occurred_at,
             const std::string& actor = "user:test") {
    auto r = run_at(type, data, occurred_at, actor);
    ASSERT_TRUE(r) << type << ": " << r.error().message;
  }

  void ok(const std::string& type, const std::string& data,
          const std::string& actor = "user:test") {
    auto r = run(type, data, actor);
    ASSERT_TRUE(r) << type << " " << data << ": " << code_name(r.error().code) << " "
                   << r.error().message << " (" << r.error().field << ")";
  }

  std::string digest() {
    auto d = ledger::state_digest(ledger_->store(), ledger_->machine());
    EXPECT_TRUE(d);
    return to_hex(d->digest);
  }

  // Rebuilds the projections from the log (what `custody rebuild` does) and expects them
  // equal to the live ones the ledger had; the ledger is open again afterwards.
  void expect_rebuild_gives_the_same_state() {
    const std::string live = digest();
    ledger_.reset();
    auto machine = domain::make_state_machine();
    auto rebuilt = ledger::rebuild_ledger(dir_, *machine);
    ASSERT_TRUE(rebuilt) << rebuilt.error().message;
    reopen();
    EXPECT_EQ(digest(), live);
  }

  void expect_rejected(const std::string& type, const std::string& data, ErrorCode code,
                       const std::string& field, const std::string& actor = "user:test") {
    const auto head = ledger_->head().seq;
    const std::string before = digest();
    auto r = run(type, data, actor);
    ASSERT_FALSE(r) << type << " " << data << " was accepted";
    EXPECT_EQ(code_name(r.error().code), code_name(code)) << r.error().message;
    EXPECT_EQ(r.error().field, field) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
    EXPECT_EQ(ledger_->head().seq, head) << "a rejected command wrote a record";
    EXPECT_EQ(digest(), before) << "a rejected command changed projections";
  }

  // The `state` object of `custody show KIND ID`.
  boost::json::object show(const std::string& kind, const std::string& id) {
    auto snap = ledger_->snapshot();
    domain::Queries q(*snap);
    std::string out;
    codec::JsonWriter w(out);
    auto r = q.show(*domain::parse_entity_kind(kind), id, 0, w);
    EXPECT_TRUE(r) << kind << " " << id << ": " << (r ? "" : r.error().message);
    if (!r) return {};
    return boost::json::parse(out).as_object();
  }
  boost::json::object state(const std::string& kind, const std::string& id) {
    auto s = show(kind, id);
    return s.contains("state") ? s["state"].as_object() : boost::json::object{};
  }

  // Runs a query writing JSON and parses it.
  template <typename F>
  boost::json::object query(F&& f) {
    auto snap = ledger_->snapshot();
    domain::Queries q(*snap);
    std::string out;
    codec::JsonWriter w(out);
    auto r = f(q, w);
    EXPECT_TRUE(r);
    return boost::json::parse(out).as_object();
  }

  // Standard master data: romaine from a farm, a finished salad that needs release, a
  // washer and a packer, a two-step routing with chlorine limits, a customer.
  void master_data() {
    ok("material.define", R"({"material":"romaine","name":"Romaine","uom":"kg","kind":"raw"})");
    ok("material.define", R"({"material":"iceberg","name":"Iceberg","uom":"kg","kind":"raw"})");
    ok("material.define",
       R"({"material":"salad","name":"Chopped salad","uom":"case","kind":"finished","requiresRelease":true})");
    ok("party.define", R"({"party":"farm","name":"Green Farms","role":"supplier"})");
    ok("party.define", R"({"party":"dc","name":"East DC","role":"customer"})");
    ok("equipment.define", R"({"equipment":"washer-1","name":"Washer 1","workCenter":"wash"})");
    ok("equipment.define", R"({"equipment":"packer-1","name":"Packer 1","workCenter":"pack"})");
    ok("routing.define",
       R"({"routing":"salad-r","material":"salad","steps":[)"
       R"({"step":"wash","workCenter":"wash","inputs":[{"material":"romaine","qtyPerUnit":2}],)"
       R"("params":[{"name":"chlorine","min":50,"max":200,"unit":"ppm"}]},)"
       R"({"step":"pack","workCenter":"pack"}]})");
  }

  // master_data() plus routing rte-r whose wash step is critical (only the qualified may run
  // it), and work order WO-C on it, released.
  void critical_routing() {
    master_data();
    ok("routing.define",
       R"({"routing":"rte-r","material":"salad","steps":[)"
       R"({"step":"wash","workCenter":"wash","critical":true},{"step":"pack","workCenter":"pack"}]})");
    ok("wo.create",
       R"({"wo":"WO-C","material":"salad","qty":100,"routing":"rte-r","due":"2026-11-30T00:00:00Z"})");
    ok("wo.release", R"({"wo":"WO-C"})");
  }

  void receive(const std::string& lot, double qty, const std::string& material = "romaine",
               const std::string& supplier_lot = "GF-1") {
    ok("lot.receive", R"({"lot":")" + lot + R"(","material":")" + material + R"(","qty":)" +
                          std::to_string(qty) + R"(,"uom":"kg","supplier":"farm","supplierLot":")" +
                          supplier_lot + R"("})");
  }

  // A released work order WO (100 salad on `routing`, whose first step is wash) with its wash
  // step running on washer-1.
  void running_order(const std::string& wo = "WO-1", const std::string& routing = "salad-r") {
    ok("wo.create", R"({"wo":")" + wo + R"(","material":"salad","qty":100,"routing":")" + routing +
                        R"(","due":"2026-11-22T00:00:00Z"})");
    ok("wo.release", R"({"wo":")" + wo + R"("})");
    ok("op.start", R"({"wo":")" + wo + R"(","step":"wash","equipment":"washer-1"})");
  }

  bool importing_ = false;
  TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "plant";
  ManualClock clock_{kStart};
  std::unique_ptr<ledger::Ledger> ledger_;
  int n_ = 0;
};

// JSON numbers may come back as int64 or double.
inline double num(const boost::json::value& v) {
  return v.to_number<double>();
}

}  // namespace custody::testing
