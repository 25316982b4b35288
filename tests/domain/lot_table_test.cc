// The lots' recall facts kept beside the genealogy graph: the table on its own (versions,
// snapshots, its saved form and damage to it), and a recall report that takes its lots from
// the table against the same report read from the projections, for a plant whose lots were
// received, produced, held, moved, split, merged, blended, shipped, corrected and rejected,
// with the table loaded from the projections, kept by the sequencer, and saved with a tail.
#include "custody/domain/lot_table.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "custody/domain/genealogy.h"
#include "custody/domain/plant.h"
#include "custody/domain/recall.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

domain::LotFacts facts(std::string_view material, std::int64_t on_hand) {
  domain::LotFacts f;
  f.material = material;
  f.uom = "kg";
  f.location = "cooler";
  f.supplier = "farm";
  f.supplier_lot = "GF-7";
  f.status = schema::LotStatus::HELD;
  f.origin = schema::LotOrigin::RECEIVED;
  f.shipped = true;
  f.on_hand = on_hand;
  return f;
}

std::string describe(const domain::LotFacts& f) {
  std::ostringstream o;
  o << f.material << '|' << f.uom << '|' << f.location << '|' << f.supplier << '|' << f.supplier_lot
    << '|' << f.wo << '|' << static_cast<int>(f.status) << '|' << static_cast<int>(f.origin) << '|'
    << f.consumed << f.shipped << '|' << f.on_hand;
  return o.str();
}

// The table's saved form for ids [0, lots) at `mark`, checked against the size it announces.
std::string saved(const domain::LotTable& t, std::uint32_t lots,
                  const domain::LotTable::Mark& mark) {
  std::string bytes;
  t.save(lots, mark,
         [&](const void* p, std::size_t n) { bytes.append(static_cast<const char*>(p), n); });
  EXPECT_EQ(bytes.size(), domain::LotTable::saved_bytes(lots, mark));
  return bytes;
}

TEST(LotTable, AnswersAsOfTheRecordThatWroteIt) {
  domain::LotTable t;
  EXPECT_FALSE(t.get(0, 100));  // nothing held
  t.set(3, facts("romaine", 5000), 20);
  EXPECT_FALSE(t.get(3, 19));  // a snapshot older than the record: read the projection
  ASSERT_TRUE(t.get(3, 20));
  EXPECT_EQ(describe(*t.get(3, 20)), describe(facts("romaine", 5000)));
  EXPECT_FALSE(t.get(2, 100));
  EXPECT_FALSE(t.get(70'000, 100));  // a block never written
  auto later = facts("iceberg", 1000);
  later.wo = "WO-9";
  later.supplier_lot = "";
  t.set(3, later, 25);
  EXPECT_FALSE(t.get(3, 24));
  EXPECT_EQ(describe(*t.get(3, 25)), describe(later));
  EXPECT_EQ(t.size(), 1u);
  t.forget(3);
  EXPECT_FALSE(t.get(3, 1000));
  EXPECT_EQ(t.size(), 0u);
}

TEST(LotTable, AnEmptyTableReadsBack) {
  domain::LotTable t;  // a ledger without lots: no strings, no rows
  const std::string bytes = saved(t, 0, t.mark(0));
  auto back = domain::LotTable::load(bytes, 0);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ((*back)->size(), 0u);
  (*back)->set(0, facts("romaine", 1), 3);
  EXPECT_EQ((*back)->get(0, 3)->material, "romaine");
}

// A checkpoint's save runs beside the writer: what the writer does after the mark (new
// strings, rewritten rows) stays out of the file, and the file still reads back whole.
TEST(LotTable, ASaveAtAMarkHoldsTheTableAsItWasThen) {
  domain::LotTable t;
  for (std::uint32_t id = 0; id < 10; ++id) t.set(id, facts("romaine", id * 10), 100 + id);
  const auto mark = t.mark(109);
  auto later = facts("a material first seen after the mark", 7);
  later.wo = "WO-after-the-mark";
  t.set(2, later, 110);   // rewritten after the mark
  t.set(12, later, 111);  // a new lot after the mark
  const std::string bytes = saved(t, 13, mark);
  EXPECT_EQ(bytes.find("first seen after"), std::string::npos);
  auto back = domain::LotTable::load(bytes, 13);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ((*back)->size(), 9u);
  EXPECT_FALSE((*back)->get(2, 1000));  // the tail's replay reads it again
  EXPECT_FALSE((*back)->get(12, 1000));
  for (std::uint32_t id : {0u, 1u, 3u, 9u}) {
    EXPECT_EQ(describe(*(*back)->get(id, 1000)), describe(*t.get(id, 1000))) << id;
  }
}

TEST(LotTable, ItsSavedFormReadsBackAndDamageIsCaught) {
  domain::LotTable t;
  for (std::uint32_t id = 0; id < 200; id += 3) {
    auto f = facts(id % 2 ? "romaine" : "iceberg", id * 10);
    const std::string wo = "WO-" + std::to_string(id);
    if (id % 5 == 0) f.wo = wo;
    t.set(id, f, 100 + id);
  }
  const std::string bytes = saved(t, 201, t.mark(300));
  auto back = domain::LotTable::load(bytes, 201);
  ASSERT_TRUE(back) << back.error().message;
  for (std::uint32_t id = 0; id < 201; ++id) {
    const auto a = t.get(id, 1000), b = (*back)->get(id, 1000);
    ASSERT_EQ(a.has_value(), b.has_value()) << id;
    if (a) EXPECT_EQ(describe(*a), describe(*b)) << id;
  }
  // The loaded table interns as the saved one did, and takes new rows.
  (*back)->set(0, facts("iceberg", 1), 500);
  EXPECT_EQ((*back)->get(0, 500)->material, "iceberg");

  auto damaged = [](std::string b, std::uint32_t lots) {
    auto r = domain::LotTable::load(b, lots);
    return !r && r.error().code == ErrorCode::kCorruption;
  };
  EXPECT_TRUE(damaged(bytes.substr(0, bytes.size() - 1), 201));  // a row cut
  EXPECT_TRUE(damaged(bytes, 202));                              // rows for other lots
  EXPECT_TRUE(damaged(bytes.substr(0, 2), 201));                 // no block count
  // The first row's refs point outside what the strings hold.
  const std::size_t rows = bytes.size() - 201 * 32;
  for (const std::size_t field : {0u, 4u}) {
    std::string b = bytes;
    const std::uint32_t far = 0x3ff00000;
    std::memcpy(b.data() + rows + field, &far, sizeof far);
    EXPECT_TRUE(damaged(b, 201)) << field;
  }
  std::string bad_count = bytes;
  const std::uint32_t many = 5000;
  std::memcpy(bad_count.data(), &many, sizeof many);
  EXPECT_TRUE(damaged(bad_count, 201));
}

// Every part of a recall report, in an order that does not depend on how the walk ordered
// the lots of one depth.
std::string describe(const domain::RecallReport& r) {
  std::vector<std::string> lines;
  for (const auto& l : r.lots) {
    lines.push_back("lot " + l.lot + "|" + std::to_string(l.depth) + "|" + l.material + "|" +
                    l.material_name + "|" + l.uom + "|" + l.status + "|" + l.location + "|" +
                    l.origin + "|" + l.wo + "|" + l.supplier + "|" + l.supplier_lot + "|" +
                    std::to_string(l.on_hand));
  }
  for (const auto& b : r.balance) {
    lines.push_back("balance " + b.lot + "|" + std::to_string(b.received) + "|" +
                    std::to_string(b.consumed) + "|" + std::to_string(b.shipped) + "|" +
                    std::to_string(b.on_hand) + "|" + std::to_string(b.scrapped));
  }
  for (const auto& s : r.shipments) {
    lines.push_back("shipment " + s.shipment + "|" + s.lot + "|" + s.customer + "|" +
                    std::to_string(s.qty));
  }
  for (const auto& c : r.customers) {
    lines.push_back("customer " + c.customer + "|" + c.uom + "|" + std::to_string(c.qty));
  }
  for (const auto& wo : r.work_orders) lines.push_back("wo " + wo);
  std::sort(lines.begin(), lines.end());
  std::string out = "reached " + std::to_string(r.lots_reached) + "\n";
  for (const auto& l : lines) out += l + "\n";
  return out;
}

class LotTableRecall : public PlantTest {
 protected:
  // The report through the graph and its lot table, and the report read from the
  // projections alone, for each start, at `snap` (now when null); the lots of depth > 0 that
  // the table answered for are counted in `from_table`.
  void expect_same_reports(const domain::GenealogyGraph& graph,
                           const std::vector<std::string>& starts,
                           const ledger::Snapshot* at = nullptr,
                           std::size_t* from_table = nullptr) {
    auto now = ledger_->snapshot();
    const ledger::Snapshot& snap = at != nullptr ? *at : *now;
    for (const auto& start : starts) {
      domain::RecallScope scope;
      scope.lot = start;
      auto with = domain::build_recall(snap, scope, &graph);
      auto without = domain::build_recall(snap, scope, nullptr);
      ASSERT_TRUE(with) << with.error().message;
      ASSERT_TRUE(without) << without.error().message;
      EXPECT_EQ(describe(*with), describe(*without)) << "from " << start;
      EXPECT_GT(with->lots.size(), 0u);
      if (from_table == nullptr) continue;
      for (const auto& l : with->trace.lots) {
        if (l.depth > 0 && graph.lots().get(l.id, snap.head().seq)) ++*from_table;
      }
    }
  }

  // A plant where every kind of record that writes a lot has written one.
  void plant() {
    master_data();
    ok("party.define", R"({"party":"dc2","name":"West DC","role":"customer"})");
    receive("R-1", 100, "romaine", "GF-BAD");
    receive("R-2", 100, "romaine", "GF-OK");
    receive("R-3", 50, "iceberg", "GF-ICE");
    running_order("WO-1");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":60})");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":40})");
    ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-1","qty":30})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-2","qty":20})");
    ok("lot.release", R"({"lot":"F-1"})");
    ok("lot.ship", R"({"lot":"F-1","qty":10,"customer":"dc","shipment":"BOL-1"})");
    ok("lot.move", R"({"lot":"F-2","location":"quarantine"})");
    ok("lot.hold", R"({"lot":"F-2","reason":"label check"})");
    ok("lot.split", R"({"lot":"R-1","into":[{"lot":"R-1a","qty":10},{"lot":"R-1b","qty":5}]})");
    ok("lot.transform",
       R"({"lot":"T-1","material":"romaine","qty":12,"inputs":[{"lot":"R-1a","qty":4},{"lot":"R-3","qty":8}]})");
    ok("lot.merge", R"({"lots":["R-1b","T-1"],"into":"M-1"})");
    ok("lot.reject", R"({"lot":"R-3","reason":"temperature"})");
  }
};

TEST_F(LotTableRecall, ReportsFromTheTableAreTheReportsFromTheProjections) {
  plant();
  const std::vector<std::string> starts{"R-1", "R-2", "R-3", "F-1", "R-1a", "T-1"};
  // Loaded from the projections.
  const domain::PlantMachine* machine = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  const domain::GenealogyGraph* graph = machine->graph();
  ASSERT_NE(graph, nullptr);
  EXPECT_TRUE(graph->keeps_lots());
  EXPECT_EQ(graph->lots().size(), 9u);
  std::size_t from_table = 0;
  expect_same_reports(*graph, starts, nullptr, &from_table);
  EXPECT_GT(from_table, 10u);

  // Kept by the sequencer: more of everything, including a correction of a shipment.
  auto snap_before = ledger_->snapshot();
  auto shipped = run("lot.ship", R"({"lot":"F-1","qty":5,"customer":"dc2","shipment":"BOL-2"})");
  ASSERT_TRUE(shipped);
  ok("record.correct", R"({"seq":)" + std::to_string(shipped->seq) +
                           R"(,"reason":"counted twice","data":{"qty":4}})");
  ok("lot.release", R"({"lot":"F-2"})");
  ok("lot.move", R"({"lot":"F-2","location":"dock"})");
  running_order("WO-2");
  ok("lot.consume", R"({"wo":"WO-2","step":"wash","lot":"R-2","qty":10})");
  ok("lot.produce", R"({"wo":"WO-2","step":"wash","lot":"F-3","qty":5})");
  ok("lot.split", R"({"lot":"F-3","into":[{"lot":"F-3a","qty":1}]})");
  expect_same_reports(*graph, starts);
  // A snapshot taken before those: rows written since are read from it instead.
  expect_same_reports(*graph, starts, snap_before.get());
  auto f1 = graph->trace(std::vector<std::string>{"F-1"}, domain::Direction::kForward, 0,
                         ledger_->head().seq);
  ASSERT_EQ(f1.lots.size(), 1u);
  const auto now = graph->lots().get(f1.lots[0].id, ledger_->head().seq);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->on_hand, 16'000);  // 30 made, 10 and then 4 (corrected from 5) shipped
  EXPECT_FALSE(graph->lots().get(f1.lots[0].id, snap_before->head().seq));

  // A reader beside the writer (an enterprise node's copy): its table takes what the writer
  // added when it catches up, as the projections hold it.
  auto reader_machine = domain::make_state_machine({.genealogy_graph = true});
  domain::PlantMachine* reader_plant = reader_machine.get();
  auto reader =
      ledger::Ledger::open(dir_, ledger::OpenMode::kReadOnly, std::move(reader_machine), {});
  ASSERT_TRUE(reader) << reader.error().message;
  ok("lot.ship", R"({"lot":"F-1","qty":1,"customer":"dc","shipment":"BOL-5"})");
  ok("lot.ship", R"({"lot":"F-1","qty":2,"customer":"dc","shipment":"BOL-6"})");
  ok("lot.hold", R"({"lot":"F-3a","reason":"seal"})");
  ASSERT_TRUE((*reader)->store().catch_up());
  ASSERT_TRUE(reader_plant->catch_up_graph((*reader)->store()));
  auto reader_snap = (*reader)->snapshot();
  std::size_t reader_from_table = 0;
  expect_same_reports(*reader_plant->graph(), starts, reader_snap.get(), &reader_from_table);
  EXPECT_GT(reader_from_table, 10u);
  const auto caught_up = reader_plant->graph()->lots().get(
      reader_plant->graph()
          ->trace(std::vector<std::string>{"F-1"}, domain::Direction::kForward, 0,
                  reader_snap->head().seq)
          .lots[0]
          .id,
      reader_snap->head().seq);
  ASSERT_TRUE(caught_up);
  EXPECT_EQ(caught_up->on_hand, 13'000);
}

TEST_F(LotTableRecall, ASavedTableTakesTheTailAsTheProjectionsHoldIt) {
  plant();
  reopen_with_graph();
  ledger_.reset();  // a clean close saves the graph and its lot table
  ASSERT_TRUE(std::filesystem::exists(dir_ / "genealogy.graph"));

  // Written without the graph (a CLI while the server is down): the same lots twice, so that
  // a replay against the later projections would get them wrong.
  reopen();
  ok("lot.ship", R"({"lot":"F-1","qty":3,"customer":"dc","shipment":"BOL-3"})");
  ok("lot.ship", R"({"lot":"F-1","qty":2,"customer":"dc2","shipment":"BOL-4"})");
  ok("lot.split", R"({"lot":"R-2","into":[{"lot":"R-2a","qty":7}]})");
  ok("lot.split", R"({"lot":"R-2","into":[{"lot":"R-2b","qty":8}]})");
  ok("lot.hold", R"({"lot":"R-2a","reason":"swab"})");

  const domain::PlantMachine* machine = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  const domain::GenealogyGraph* graph = machine->graph();
  ASSERT_TRUE(graph->from_saved());
  std::size_t from_table = 0;
  expect_same_reports(*graph, {"R-1", "R-2", "F-1", "R-3"}, nullptr, &from_table);
  EXPECT_GT(from_table, 5u);
  auto f1 = graph->trace(std::vector<std::string>{"F-1"}, domain::Direction::kForward, 0,
                         ledger_->head().seq);
  const auto row = graph->lots().get(f1.lots[0].id, ledger_->head().seq);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->on_hand, 15'000);  // 30 - 10 - 3 - 2

  // A graph kept without the table saves a file without one: a host that wants the table
  // does not take it, and builds the graph (and the table) from the projections instead.
  {
    const domain::PlantMachine* p =
        reopen_with_graph({.genealogy_graph = true, .lot_table = false});
    ASSERT_TRUE(ledger_);
    EXPECT_TRUE(p->graph()->from_saved());  // the file's table read past, not kept
    EXPECT_FALSE(p->graph()->keeps_lots());
    EXPECT_EQ(p->graph()->lots().size(), 0u);
    ok("lot.split", R"({"lot":"R-2","into":[{"lot":"R-2c","qty":1}]})");
    ledger_.reset();  // saved, without a table
  }
  machine = reopen_with_graph();
  EXPECT_FALSE(machine->graph()->from_saved());
  EXPECT_TRUE(machine->graph()->keeps_lots());
  expect_same_reports(*machine->graph(), {"R-2", "F-1"});
}

}  // namespace
}  // namespace custody::testing
