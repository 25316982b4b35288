// Projections are disposable: rebuilding them from the log gives byte-identical state, for a
// scripted shift and for random command streams (most of whose commands are rejected).
#include <random>

#include "custody/domain/plant.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

class Rebuild : public PlantTest {
 protected:
  // Closes the ledger, rebuilds it, reopens it, and returns the digest after.
  std::string rebuilt_digest() {
    ledger_.reset();
    auto machine = domain::make_state_machine();
    auto r = ledger::rebuild_ledger(dir_, *machine);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    reopen();
    return digest();
  }
};

TEST_F(Rebuild, ScriptedShiftRebuildsIdentically) {
  master_data();
  receive("R-1", 100);
  receive("R-2", 100);
  running_order();
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":50})");
  ok("reading.record", R"({"equipment":"washer-1","param":"chlorine","value":10})");
  ok("lot.split", R"({"lot":"R-2","into":[{"lot":"R-2a","qty":20}]})");
  ok("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"W-1","qty":40,"material":"romaine"})");
  ok("op.report", R"({"wo":"WO-1","step":"wash","good":40,"scrap":1})");
  ok("record.correct", R"({"seq":9,"reason":"r","data":{"qty":90}})");
  ok("lot.ship", R"({"lot":"W-1","qty":5,"customer":"dc","shipment":"B1"})");
  const std::string before = digest();
  EXPECT_EQ(rebuilt_digest(), before);
}

// Random commands over small id spaces: realistic mixes of valid and invalid work.
std::string random_command(std::mt19937& rng, std::string& type, std::uint64_t head) {
  auto pick = [&](int n) {
    return static_cast<int>(rng() % static_cast<unsigned>(n));
  };
  auto id = [&](const char* p, int n) {
    return std::string(p) + std::to_string(pick(n));
  };
  auto qty = [&] {
    return std::to_string(pick(40) + 1) + (pick(2) ? ".5" : "");
  };
  switch (pick(27)) {
    case 0:
      type = "material.define";
      return R"({"material":")" + id("m", 3) + R"(","name":"n","uom":"kg","requiresRelease":)" +
             (pick(3) == 0 ? "true" : "false") + "}";
    case 1:
      type = "party.define";
      return R"({"party":")" + id("p", 3) + R"(","name":"n","role":")" +
             (pick(2) ? "supplier" : "customer") + "\"}";
    case 2:
      type = "equipment.define";
      return R"({"equipment":")" + id("e", 3) + R"(","name":"n","workCenter":")" + id("w", 2) +
             R"(","params":[{"name":"t","min":0,"max":5}])" +
             (pick(2) ? R"(,"idealRate":30})" : "}");
    case 3:
      type = "routing.define";
      return R"({"routing":")" + id("r", 3) + R"(","material":")" + id("m", 3) +
             R"(","steps":[{"step":"s0","workCenter":")" + id("w", 2) +
             R"(","params":[{"name":"c","min":1,"max":9}]},{"step":"s1","workCenter":")" +
             id("w", 2) + "\"}]}";
    case 4:
    case 5:
      type = "lot.receive";
      return R"({"lot":")" + id("l", 12) + R"(","material":")" + id("m", 3) + R"(","qty":)" +
             qty() + R"(,"uom":"kg","supplier":")" + id("p", 3) + R"(","supplierLot":")" +
             id("S", 4) + "\"}";
    case 6:
      type = "lot.split";
      return R"({"lot":")" + id("l", 12) + R"(","into":[{"lot":")" + id("x", 20) + R"(","qty":)" +
             qty() + "}]}";
    case 7:
      type = "lot.merge";
      return R"({"lots":[")" + id("l", 12) + R"(",")" + id("l", 12) + R"("],"into":")" +
             id("y", 20) + "\"}";
    case 8: {
      static const char* kinds[] = {"lot.hold", "lot.release", "lot.reject", "lot.move"};
      type = kinds[pick(4)];
      return R"({"lot":")" + id("l", 12) + R"(","reason":"r","location":"q"})";
    }
    case 9:
      type = "lot.ship";
      return R"({"lot":")" + id(pick(2) ? "l" : "f", 12) + R"(","qty":)" + qty() +
             R"(,"customer":")" + id("p", 3) + R"(","shipment":")" + id("B", 3) + "\"}";
    case 10:
      type = "wo.create";
      return R"({"wo":")" + id("o", 5) + R"(","material":")" + id("m", 3) +
             R"(","qty":10,"routing":")" + id("r", 3) + R"(","due":"2026-11-22"})";
    case 11: {
      static const char* kinds[] = {"wo.release", "wo.complete", "wo.close"};
      type = kinds[pick(3)];
      return R"({"wo":")" + id("o", 5) + "\"}";
    }
    case 12:
    case 13:
      type = "op.start";
      return R"({"wo":")" + id("o", 5) + R"(","step":")" + id("s", 2) + R"(","equipment":")" +
             id("e", 3) + "\"}";
    case 14:
      type = "op.complete";
      return R"({"wo":")" + id("o", 5) + R"(","step":")" + id("s", 2) + "\"}";
    case 15:
    case 16:
      type = "lot.consume";
      return R"({"wo":")" + id("o", 5) + R"(","step":")" + id("s", 2) + R"(","lot":")" +
             id("l", 12) + R"(","qty":)" + qty() + "}";
    case 17:
      type = "lot.produce";
      return R"({"wo":")" + id("o", 5) + R"(","step":")" + id("s", 2) + R"(","lot":")" +
             id("f", 12) + R"(","qty":)" + qty() + "}";
    case 18:
      type = "op.report";
      return R"({"wo":")" + id("o", 5) + R"(","step":")" + id("s", 2) + R"(","good":)" + qty() +
             R"(,"scrap":1})";
    case 19:
      type = "reading.record";
      return R"({"equipment":")" + id("e", 3) + R"(","param":")" + (pick(2) ? "c" : "t") +
             R"(","value":)" + std::to_string(pick(12)) + "}";
    case 20:
      type = "inspection.record";
      return R"({"lot":")" + id("l", 12) + R"(","characteristic":"w","value":)" +
             std::to_string(pick(10)) + R"(,"min":2,"max":8})";
    case 21:
      type = "exception.raise";
      return R"({"exception":")" + id("X", 6) + R"(","category":")" +
             (pick(2) ? "equipment" : "quality") +
             R"(","severity":"high","description":"d","equipment":")" + id("e", 3) +
             R"(","deadline":"2026-11-21T)" + (pick(2) ? "09" : "20") + ":00:00Z\"}";
    case 22: {
      static const char* kinds[] = {"exception.assign", "exception.acknowledge",
                                    "exception.resolve", "exception.close", "exception.escalate"};
      type = kinds[pick(5)];
      return R"({"exception":")" + id(pick(3) ? "X" : "auto:t-", pick(3) ? 6 : 300) +
             R"(","assignee":"u","rootCause":"r","action":"a"})";
    }
    case 23:
      type = "wo.schedule";
      return R"({"wo":")" + id("o", 5) + R"(","plan":")" + id("p", 9) + R"(","steps":[{"step":")" +
             id("s", 2) + R"(","start":"2026-11-21T1)" + std::to_string(pick(5)) +
             R"(:00:00Z","end":"2026-11-21T16:00:00Z","equipment":")" + id("e", 3) + "\"}]}";
    case 24: {
      // Deviations on the exceptions above, their lots counted and cleared, approved by a
      // second person (the line below gives deviation.approve another actor), lots released.
      const std::string dev = R"({"deviation":")" + id("D", 3) + "\"";
      switch (pick(4)) {
        case 0:
          type = "deviation.open";
          return dev + R"(,"exception":")" + id(pick(2) ? "X" : "auto:t-", pick(2) ? 6 : 300) +
                 R"(","classification":"minor","description":"d"})";
        case 1:
          type = "deviation.assess";
          return dev + R"(,"impact":"i","rootCause":"r","cleared":[")" + id("l", 12) + "\"]}";
        case 2:
          type = "deviation.approve";
          return dev + R"(,"conclusion":"c"})";
        default:
          type = "lot.release";
          return R"({"lot":")" + id(pick(2) ? "l" : "f", 12) + "\"}";
      }
    }
    case 25:
      // OEE spans as equipment stops and starts again; piece rates for the routings' steps.
      if (pick(2)) {
        type = "equipment.set_status";
        static constexpr const char* kStatus[] = {"plannedStop", "inService", "maintenance"};
        return R"({"equipment":")" + id("e", 3) + R"(","status":")" + kStatus[pick(3)] +
               R"(","reason":"r"})";
      }
      type = "piece_rate.define";
      return R"({"material":")" + id("m", 3) + R"(","step":")" + id("s", 2) +
             R"(","effective":"2026-11-2)" + std::to_string(pick(3)) + R"(T00:00:00Z","rate":)" +
             qty() + R"(,"currency":"EUR","scrap":")" + (pick(2) ? "deducted" : "paid") + "\"}";
    default:
      type = "record.correct";
      return R"({"seq":)" + std::to_string(head > 0 ? rng() % head + 1 : 1) +
             R"(,"reason":"r","data":{"qty":)" + qty() + "}}";
  }
}

TEST_F(Rebuild, RandomCommandStreamsRebuildIdentically) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    dir_ = tmp_ / ("plant-" + std::to_string(seed));
    reopen(true);
    std::mt19937 rng(seed);
    std::uint64_t accepted = 0;
    for (int batch = 0; batch < 40; ++batch) {
      // Submit a batch without waiting, so commit groups hold many commands that depend on
      // each other; move the clock now and then so escalations happen too.
      std::vector<std::future<Result<ledger::CommandResult>>> futures;
      for (int i = 0; i < 25; ++i) {
        std::string type;
        const std::string data = random_command(rng, type, ledger_->head().seq);
        const std::string line = R"({"type":")" + type + R"(","commandId":"t-)" +
                                 std::to_string(++n_) + R"(","actor":")" +
                                 (type == "deviation.approve" ? "user:q" : "user:r") +
                                 R"(","data":)" + data + "}";
        auto cmd = domain::decode_command(line);
        if (!cmd) continue;  // a shape error: nothing to submit
        futures.push_back(ledger_->submit(std::move(*cmd)));
      }
      for (auto& f : futures) accepted += f.get().has_value() ? 1 : 0;
      if (rng() % 4 == 0) clock_.advance(3600LL * 1'000'000'000LL);
    }
    EXPECT_GT(accepted, 50u);
    const std::string before = digest();
    EXPECT_EQ(rebuilt_digest(), before);
  }
}

}  // namespace
}  // namespace custody::testing
