// Genealogy traversal against an independent reference: the test keeps its own list of the
// edges its commands should create and runs a plain BFS over it. Both implementations (the
// in-memory graph and the snapshot walk) must agree with it, for random genealogies with
// splits, merges, multi-level blends, partly consumed lots and diamonds, and for a cycle.
#include "custody/domain/genealogy.h"

#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <stop_token>
#include <thread>
#include <tuple>

#include "custody/domain/plant.h"
#include "custody/domain/projections.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/store.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Graph = std::map<std::string, std::set<std::string>>;

struct Expected {
  Graph fwd, bwd;
  void edge(const std::string& a, const std::string& b) {
    fwd[a].insert(b);
    bwd[b].insert(a);
  }
};

std::map<std::string, std::uint32_t> bfs(const Graph& g, const std::string& start,
                                         std::uint32_t max_depth = 0) {
  std::map<std::string, std::uint32_t> depth{{start, 0}};
  std::queue<std::string> q;
  q.push(start);
  while (!q.empty()) {
    const std::string u = q.front();
    q.pop();
    if (max_depth != 0 && depth[u] >= max_depth) continue;
    auto it = g.find(u);
    if (it == g.end()) continue;
    for (const auto& v : it->second) {
      if (depth.emplace(v, depth[u] + 1).second) q.push(v);
    }
  }
  return depth;
}

std::map<std::string, std::uint32_t> as_map(const domain::Trace& t) {
  std::map<std::string, std::uint32_t> out;
  for (const auto& l : t.lots)
    EXPECT_TRUE(out.emplace(std::string(l.lot), l.depth).second) << l.lot << " twice";
  return out;
}

// Every edge followed, with its kind and quantity.
std::set<std::tuple<std::string, std::string, int, std::int64_t>> edge_set(const domain::Trace& t) {
  std::set<std::tuple<std::string, std::string, int, std::int64_t>> out;
  for (const auto& e : t.edges) {
    out.emplace(std::string(e.from), std::string(e.to), static_cast<int>(e.kind), e.qty);
  }
  return out;
}

class Genealogy : public PlantTest {
 protected:
  // Both walks against the plain BFS, for every lot in `lots`. The graph is `live` (fed by
  // the sequencer since it was loaded) or, without one, loaded from the snapshot.
  void check_all(const Expected& ex, const std::vector<std::string>& lots,
                 const domain::GenealogyGraph* live = nullptr) {
    auto snap = ledger_->snapshot();
    auto loaded = domain::GenealogyGraph::load(*snap);
    ASSERT_TRUE(loaded);
    const domain::GenealogyGraph* graph = live != nullptr ? live : loaded->get();
    for (const auto& lot : lots) {
      for (auto dir : {domain::Direction::kForward, domain::Direction::kBackward}) {
        const Graph& g = dir == domain::Direction::kForward ? ex.fwd : ex.bwd;
        for (std::uint32_t depth : {0u, 1u, 2u}) {
          const auto want = bfs(g, lot, depth);
          const std::vector<std::string> starts{lot};
          auto from_snapshot = domain::trace_snapshot(*snap, starts, dir, depth);
          ASSERT_TRUE(from_snapshot);
          const auto from_graph = graph->trace(starts, dir, depth, snap->head().seq);
          ASSERT_EQ(as_map(*from_snapshot), want) << lot << " depth " << depth;
          ASSERT_EQ(as_map(from_graph), want) << lot << " depth " << depth;
          EXPECT_EQ(edge_set(*from_snapshot), edge_set(from_graph));
        }
      }
    }
  }
};

TEST_F(Genealogy, RandomGenealogiesMatchAPlainBfs) {
  master_data();
  for (unsigned seed = 1; seed <= 5; ++seed) {
    std::mt19937 rng(seed);
    Expected ex;
    std::vector<std::string> lots;
    const std::string p = "g" + std::to_string(seed) + "-";
    // Level 0: received lots with plenty on hand.
    for (int i = 0; i < 12; ++i) {
      lots.push_back(p + "raw" + std::to_string(i));
      receive(lots.back(), 1000);
    }
    int made = 0;
    for (int step = 0; step < 120; ++step) {
      const std::string a = lots[rng() % lots.size()];
      const std::string b = lots[rng() % lots.size()];
      const std::string c = lots[rng() % lots.size()];
      const std::string out = p + "x" + std::to_string(made++);
      switch (rng() % 6) {
        case 0:
        case 1:
        case 3:
        case 4: {  // a blend of up to three inputs: diamonds appear when inputs share ancestors
          std::set<std::string> inputs{a, b, c};
          std::string list;
          for (const auto& in : inputs) {
            list += std::string(list.empty() ? "" : ",") + R"({"lot":")" + in + R"(","qty":1})";
          }
          auto r = run(
              "lot.transform",
              R"({"lot":")" + out + R"(","material":"romaine","qty":500,"inputs":[)" + list + "]}");
          if (r) {
            for (const auto& in : inputs) ex.edge(in, out);
            lots.push_back(out);
          }
          break;
        }
        case 2: {  // split off part of a lot
          auto r = run("lot.split",
                       R"({"lot":")" + a + R"(","into":[{"lot":")" + out + R"(","qty":2}]})");
          if (r) {
            ex.edge(a, out);
            lots.push_back(out);
          }
          break;
        }
        default: {  // merge two lots (each gives all it has)
          if (a == b) break;
          auto r = run("lot.merge",
                       R"({"lots":[")" + a + R"(",")" + b + R"("],"into":")" + out + R"("})");
          if (r) {
            ex.edge(a, out);
            ex.edge(b, out);
            lots.push_back(out);
          }
          break;
        }
      }
    }
    ASSERT_GT(lots.size(), 40u);
    check_all(ex, {lots[0], lots[3], lots[11], lots[20], lots[lots.size() / 2], lots.back()});
  }
}

// A lot made by an order goes into a second order, whose product the first order then
// consumes (a return reworked into the original order): a cycle, which must not loop.
TEST_F(Genealogy, CyclesEndTheWalk) {
  master_data();
  ok("material.define", R"({"material":"mix","name":"Mix","uom":"kg"})");
  ok("routing.define",
     R"({"routing":"mix-r","material":"mix","steps":[{"step":"wash","workCenter":"wash"}]})");
  ok("equipment.define", R"({"equipment":"washer-2","name":"W2","workCenter":"wash"})");
  receive("R-1", 100);
  ok("wo.create", R"({"wo":"A","material":"mix","qty":1,"routing":"mix-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"A"})");
  ok("op.start", R"({"wo":"A","step":"wash","equipment":"washer-1"})");
  ok("lot.consume", R"({"wo":"A","step":"wash","lot":"R-1","qty":10})");
  ok("lot.produce", R"({"wo":"A","step":"wash","lot":"P","qty":10})");
  ok("wo.create", R"({"wo":"B","material":"mix","qty":1,"routing":"mix-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"B"})");
  ok("op.start", R"({"wo":"B","step":"wash","equipment":"washer-2"})");
  ok("lot.consume", R"({"wo":"B","step":"wash","lot":"P","qty":5})");
  ok("lot.produce", R"({"wo":"B","step":"wash","lot":"Q","qty":5})");
  ok("lot.consume", R"({"wo":"A","step":"wash","lot":"Q","qty":1})");  // late: Q -> P
  Expected ex;
  ex.edge("R-1", "P");
  ex.edge("P", "Q");
  ex.edge("Q", "P");
  check_all(ex, {"R-1", "P", "Q"});
}

// A graph loaded from half a genealogy and fed the rest by the sequencer (edges in its loaded
// rows and in chunks added later, quantities grown in both) answers as a fresh load and the
// snapshot walk do, kinds and quantities included.
TEST_F(Genealogy, EdgesAddedAfterTheLoadMatchTheSnapshotWalk) {
  master_data();
  ok("material.define", R"({"material":"mix","name":"Mix","uom":"kg"})");
  ok("routing.define",
     R"({"routing":"mix-r","material":"mix","steps":[{"step":"wash","workCenter":"wash"}]})");
  Expected ex;
  std::vector<std::string> lots;
  for (int i = 0; i < 6; ++i) {
    lots.push_back("raw" + std::to_string(i));
    receive(lots.back(), 1000);
  }
  std::map<std::string, int> on_hand;
  for (const auto& lot : lots) on_hand[lot] = 1000;
  std::mt19937 rng(11);
  int made = 0;
  // Blends, splits and work orders; a work order consumes its lot twice, the second time
  // after its output exists, so that edge's quantity grows. Only lots with enough on hand
  // are picked.
  auto pick = [&](int need) {
    for (;;) {
      const std::string& lot = lots[rng() % lots.size()];
      if (on_hand[lot] >= need) return lot;
    }
  };
  auto grow = [&](int steps) {
    for (int step = 0; step < steps; ++step) {
      const std::string out = "x" + std::to_string(made++);
      if (step % 3 == 2) {
        const std::string a = pick(3);
        const std::string wo = "wo-" + out;
        const std::string at = R"({"wo":")" + wo + R"(","step":"wash",)";
        ok("wo.create", R"({"wo":")" + wo +
                            R"(","material":"mix","qty":1,"routing":"mix-r","due":"2026-11-22"})");
        ok("wo.release", R"({"wo":")" + wo + R"("})");
        ok("op.start", at + R"("equipment":"washer-1"})");
        ok("lot.consume", at + R"("lot":")" + a + R"(","qty":1})");
        ok("lot.produce", at + R"("lot":")" + out + R"(","qty":100})");
        ok("lot.consume", at + R"("lot":")" + a + R"(","qty":2})");
        ok("op.complete", R"({"wo":")" + wo + R"(","step":"wash"})");
        on_hand[a] -= 3;
        ex.edge(a, out);
      } else if (step % 3 == 1) {
        const std::string a = pick(1);
        const std::string b = pick(1);
        if (a == b) continue;
        ok("lot.transform", R"({"lot":")" + out +
                                R"(","material":"romaine","qty":100,"inputs":[{"lot":")" + a +
                                R"(","qty":1},{"lot":")" + b + R"(","qty":1}]})");
        on_hand[a] -= 1;
        on_hand[b] -= 1;
        ex.edge(a, out);
        ex.edge(b, out);
      } else {
        const std::string a = pick(10);
        ok("lot.split", R"({"lot":")" + a + R"(","into":[{"lot":")" + out + R"(","qty":10}]})");
        on_hand[a] -= 10;
        ex.edge(a, out);
      }
      on_hand[out] = step % 3 == 0 ? 10 : 100;
      lots.push_back(out);
    }
  };
  grow(30);
  // An order that spans the reopen: its edge is loaded, then grows.
  const std::string span = R"({"wo":"wo-span","step":"wash",)";
  ok("wo.create",
     R"({"wo":"wo-span","material":"mix","qty":1,"routing":"mix-r","due":"2026-11-22"})");
  ok("wo.release", R"({"wo":"wo-span"})");
  ok("op.start", span + R"("equipment":"washer-1"})");
  ok("lot.consume", span + R"("lot":"raw0","qty":1})");
  ok("lot.produce", span + R"("lot":"span-out","qty":100})");
  ex.edge("raw0", "span-out");
  // Reopen with the graph in memory: what is there now is its load.
  const domain::PlantMachine* plant = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  const std::size_t loaded_edges = plant->graph()->edge_count();
  ok("lot.consume", span + R"("lot":"raw0","qty":2})");
  ok("op.complete", R"({"wo":"wo-span","step":"wash"})");
  grow(30);
  EXPECT_GT(plant->graph()->edge_count(), loaded_edges);
  const std::vector<std::string> checked{
      "raw0", lots[1], lots[5], lots[10], lots[lots.size() / 2], lots.back()};
  check_all(ex, checked, plant->graph());

  // Its clean close saves it, loaded rows and later chunks alike; the saved graph answers the
  // same, for the head it was saved at and a build of the same projection version only.
  const auto file = dir_ / "genealogy.graph";
  ledger_.reset();
  ASSERT_TRUE(std::filesystem::exists(file));
  auto head = [&] {
    auto reader =
        ledger::Ledger::open(dir_, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    EXPECT_TRUE(reader);
    return (*reader)->head();
  };
  const ledger::Head at_close = head();
  constexpr std::uint32_t kVersion = domain::PlantMachine::kProjectionVersion;
  const auto stamp = domain::GenealogyGraph::projections_stamp(kVersion, 0);
  auto saved = domain::GenealogyGraph::load_saved(file, at_close, stamp);
  ASSERT_TRUE(saved) << saved.error().message;
  ASSERT_NE(saved->get(), nullptr);
  reopen();
  check_all(ex, checked, saved->get());
  ledger_.reset();
  auto other_build = domain::GenealogyGraph::load_saved(
      file, at_close, domain::GenealogyGraph::projections_stamp(kVersion + 1, 0));
  ASSERT_TRUE(other_build);
  EXPECT_EQ(other_build->get(), nullptr);

  // A damaged file is refused, not trusted: a flipped quantity byte, a cut, a header that
  // claims 2^29 lots (its sizes do not add up) or one lot more or less (its checksum).
  auto damaged = [&](const std::string& name, auto&& harm) {
    const auto copy = dir_ / name;
    std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
    harm(copy);
    auto r = domain::GenealogyGraph::load_saved(copy, at_close, stamp);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, ErrorCode::kCorruption) << name;
  };
  auto flip = [](std::streamoff at, std::ios::seekdir from, char bits) {
    return [=](const std::filesystem::path& p) {
      std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(at, from);
      const char c = static_cast<char>(f.get() ^ bits);
      f.seekp(at, from);
      f.put(c);
    };
  };
  damaged("flipped.graph", flip(-3, std::ios::end, 0x10));
  damaged("cut.graph", [](const std::filesystem::path& p) {
    std::filesystem::resize_file(p, std::filesystem::file_size(p) - 8);
  });
  // The header: magic (16 bytes), seq (8), leaf (32), projections (8), then lots.
  damaged("lots.graph", flip(16 + 8 + 32 + 8 + 3, std::ios::beg, 0x20));
  damaged("one-lot.graph", flip(16 + 8 + 32 + 8, std::ios::beg, 0x01));

  // A ledger whose file is damaged still opens with a correct graph, built from the family.
  flip(-1, std::ios::end, 0x7f)(file);
  const domain::PlantMachine* again = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  check_all(ex, checked, again->graph());

  // Written to since: the saved graph is stale (and the next clean close replaces it).
  ok("lot.split", R"({"lot":"raw1","into":[{"lot":"after-save","qty":1}]})");
  ledger_.reset();
  auto stale = domain::GenealogyGraph::load_saved(file, at_close, stamp);
  ASSERT_TRUE(stale) << stale.error().message;  // replaced: a good file, for a later head
  EXPECT_EQ(stale->get(), nullptr);
  auto fresh = domain::GenealogyGraph::load_saved(file, head(), stamp);
  ASSERT_TRUE(fresh) << fresh.error().message;
  ASSERT_NE(fresh->get(), nullptr);
  ex.edge("raw1", "after-save");

  // A host that starts from the saved graph and is fed more edges answers as the walks do.
  const domain::PlantMachine* fed = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  ok("lot.split", R"({"lot":"after-save","into":[{"lot":"after-load","qty":1}]})");
  ok("lot.split", R"({"lot":"raw1","into":[{"lot":"after-load-2","qty":1}]})");
  ex.edge("after-save", "after-load");
  ex.edge("raw1", "after-load-2");
  check_all(ex, {"raw1", "after-save", lots[1]}, fed->graph());

  // A rebuild makes a new projection generation: the file saved from the old one (at the
  // close before the rebuild, the same head) is stale.
  expect_rebuild_gives_the_same_state();
  const ledger::Head rebuilt_at = head();
  const auto generation = ledger_->store().generation();
  ledger_.reset();
  ASSERT_NE(generation, 0u);
  auto after_rebuild = domain::GenealogyGraph::load_saved(
      file, rebuilt_at, domain::GenealogyGraph::projections_stamp(kVersion, generation));
  ASSERT_TRUE(after_rebuild) << after_rebuild.error().message;
  EXPECT_EQ(after_rebuild->get(), nullptr);
  // The next host builds its graph from the rebuilt family and saves it for the new one.
  reopen_with_graph();
  ASSERT_TRUE(ledger_);
  ledger_.reset();
  auto resaved = domain::GenealogyGraph::load_saved(
      file, head(), domain::GenealogyGraph::projections_stamp(kVersion, generation));
  ASSERT_TRUE(resaved) << resaved.error().message;
  ASSERT_NE(resaved->get(), nullptr);
  reopen();
  check_all(ex, {"raw1", "after-save"}, resaved->get());
}

// What was written while no host kept the graph (a CLI's appends, a follower's batches): the
// saved graph takes it as a tail of records, with the same lots, edges and quantities as a
// graph built from the family, a consumption's later correction included.
TEST_F(Genealogy, SavedGraphTakesTheRecordsWrittenAfterIt) {
  master_data();
  receive("R-1", 100);
  receive("R-2", 100);
  Expected ex;
  ok("lot.split", R"({"lot":"R-1","into":[{"lot":"S-1","qty":10}]})");
  ex.edge("R-1", "S-1");
  reopen_with_graph();
  ledger_.reset();  // a clean close saves the graph
  const auto file = dir_ / "genealogy.graph";
  ASSERT_TRUE(std::filesystem::exists(file));

  reopen();  // without the graph, as a CLI appends
  running_order();
  auto consumed = run("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":40})");
  ASSERT_TRUE(consumed);
  ok("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"W-1","qty":10,"material":"romaine"})");
  ex.edge("R-2", "W-1");
  ok("record.correct", R"({"seq":)" + std::to_string(consumed->seq) +
                           R"(,"reason":"scale misread","data":{"qty":45}})");
  ok("lot.split", R"({"lot":"S-1","into":[{"lot":"S-2","qty":1}]})");
  ex.edge("S-1", "S-2");
  const std::vector<std::string> checked{"R-1", "R-2", "S-1", "S-2", "W-1"};

  const domain::PlantMachine* plant = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  EXPECT_TRUE(plant->graph()->from_saved());
  check_all(ex, checked, plant->graph());
  const auto edge_qty = [&](const domain::GenealogyGraph& g) {
    const std::vector<std::string> start{"R-2"};
    const auto t = g.trace(start, domain::Direction::kForward, 1, ledger_->head().seq);
    return t.edges.size() == 1 ? t.edges[0].qty : -1;
  };
  EXPECT_EQ(edge_qty(*plant->graph()), 45'000);  // the corrected consumption, in milli-units

  // A reader beside the writer (as an enterprise node reads a follower's copy): after its
  // store catches up, its graph takes the records the writer added, and nothing twice.
  auto machine = domain::make_state_machine({.genealogy_graph = true});
  domain::PlantMachine* reader_plant = machine.get();
  auto reader = ledger::Ledger::open(dir_, ledger::OpenMode::kReadOnly, std::move(machine), {});
  ASSERT_TRUE(reader) << reader.error().message;
  ok("lot.split", R"({"lot":"S-2","into":[{"lot":"S-3","qty":1}]})");
  ok("lot.merge", R"({"lots":["S-3","R-1"],"into":"M-1"})");
  ex.edge("S-2", "S-3");
  ex.edge("S-3", "M-1");
  ex.edge("R-1", "M-1");
  ASSERT_TRUE((*reader)->store().catch_up());
  auto took = reader_plant->catch_up_graph((*reader)->store());
  ASSERT_TRUE(took) << took.error().message;
  EXPECT_EQ(*took, 2u);
  auto again = reader_plant->catch_up_graph((*reader)->store());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);
  check_all(ex, {"R-1", "S-1", "S-3", "M-1"}, reader_plant->graph());
  EXPECT_EQ(edge_qty(*reader_plant->graph()), 45'000);
}

// A save beside the writer (a host's save at checkpoints): the writer marks the graph, then
// goes on adding lots, edges and lot facts and growing an edge before the save has run. The
// file holds the graph as it was at the mark, and reads back.
TEST_F(Genealogy, ASaveAtAMarkHoldsTheGraphAsItWasAtTheMark) {
  using K = schema::EdgeKind;
  using Edges = std::set<std::tuple<std::string, std::string, int, std::int64_t>>;
  const int consumed = static_cast<int>(K::CONSUMED_INTO), split = static_cast<int>(K::SPLIT);
  domain::GenealogyGraph g;
  domain::LotFacts facts;
  facts.material = "romaine";
  facts.uom = "kg";
  facts.on_hand = 5'000;
  g.add_edge("A", "B", K::CONSUMED_INTO, 10'000, 1);
  g.add_edge("B", "C", K::SPLIT, 4'000, 2);
  g.set_lot("A", facts, 1);
  g.set_lot("B", facts, 2);
  ledger::Head at;
  at.seq = 2;
  at.leaf.fill(7);
  const auto mark = g.mark(at);
  // After the mark, before the save.
  g.add_edge("A", "B", K::CONSUMED_INTO, 7'000, 3);  // grows an edge the mark holds
  g.add_edge("C", "D", K::SPLIT, 1'000, 4);          // a lot and an edge the mark does not
  facts.on_hand = 1'000;
  facts.material = "a material first seen after the mark";
  g.set_lot("A", facts, 4);
  g.set_lot("D", facts, 4);
  const auto file = dir_ / "marked.graph";
  ASSERT_TRUE(g.save_marked(*mark, file, 9));
  g.add_edge("A", "B", K::CONSUMED_INTO, 1'000, 5);  // the save is over: nothing kept for it

  const std::vector<std::string> a{"A"};
  auto back = domain::GenealogyGraph::load_saved(file, at, 9);
  ASSERT_TRUE(back && *back);
  const domain::GenealogyGraph& saved = **back;
  EXPECT_EQ(saved.lot_count(), 3u);
  EXPECT_EQ(saved.edge_count(), 2u);
  const auto then = saved.trace(a, domain::Direction::kForward, 0, at.seq);
  EXPECT_EQ(edge_set(then), (Edges{{"A", "B", consumed, 10'000}, {"B", "C", split, 4'000}}));
  // A's facts were rewritten after the mark: left out, for the tail's replay to read again.
  // B's were not.
  ASSERT_EQ(then.lots.size(), 3u);
  EXPECT_FALSE(saved.lots().get(then.lots[0].id, 100));
  ASSERT_TRUE(saved.lots().get(then.lots[1].id, 100));
  EXPECT_EQ(saved.lots().get(then.lots[1].id, 100)->on_hand, 5'000);
  const auto now = g.trace(a, domain::Direction::kForward, 0, 5);
  EXPECT_EQ(
      edge_set(now),
      (Edges{{"A", "B", consumed, 18'000}, {"B", "C", split, 4'000}, {"C", "D", split, 1'000}}));

  // A save stopped before it writes leaves the file as it was (and ends its mark).
  at.seq = 5;
  const auto second = g.mark(at);
  std::stop_source stop;
  stop.request_stop();
  auto stopped = g.save_marked(*second, file, 9, stop.get_token());
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kUnavailable);
  auto head = domain::GenealogyGraph::saved_head(file, 9);
  ASSERT_TRUE(head && *head);
  EXPECT_EQ((*head)->seq, 2u);
}

// A host that dies loses only the records since its last save beside the sequencer: its
// next start reads that file and replays the rest, including a grown edge, a corrected
// consumption and lots written again, and answers as a graph built from the projections does.
TEST_F(Genealogy, AGraphSavedBesideTheSequencerTakesTheTailAfterACrash) {
  master_data();
  receive("R-1", 100);
  receive("R-2", 100);
  Expected ex;
  const domain::PlantMachine* plant = reopen_with_graph(
      {.genealogy_graph = true, .graph_save_records = 1, .graph_save_interval = {}});
  ASSERT_TRUE(ledger_);
  ok("lot.split", R"({"lot":"R-1","into":[{"lot":"S-1","qty":10}]})");
  ex.edge("R-1", "S-1");
  running_order();
  ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":40})");
  ok("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"W-1","qty":10,"material":"romaine"})");
  ex.edge("R-2", "W-1");
  // Saved on the saving thread, without a close. A group that came while a save ran is not
  // marked: another lot gives the sequencer a group to mark.
  const auto file = dir_ / "genealogy.graph";
  const std::uint64_t before = ledger_->head().seq;
  for (int i = 0; i < 300 && plant->graph_saved_seq() < before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (i % 10 == 9) receive("X-" + std::to_string(i), 1);
  }
  ASSERT_GE(plant->graph_saved_seq(), before);
  EXPECT_EQ(plant->graph_save_failures(), 0u);
  const auto kept = dir_ / "kept.graph";
  std::filesystem::copy_file(file, kept);
  // What the copy holds: a clock tick's records may have made another save since.
  auto kept_head = domain::GenealogyGraph::saved_head(
      kept, domain::GenealogyGraph::projections_stamp(domain::PlantMachine::kProjectionVersion,
                                                      ledger_->store().generation()));
  ASSERT_TRUE(kept_head && *kept_head);
  const std::uint64_t saved = (*kept_head)->seq;
  ASSERT_GE(saved, before);

  // The records after it: the tail a start after a crash replays.
  auto again = run("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":5})");
  ASSERT_TRUE(again);
  ok("lot.produce", R"({"wo":"WO-1","step":"wash","lot":"W-2","qty":2,"material":"romaine"})");
  ex.edge("R-2", "W-2");
  ok("record.correct",
     R"({"seq":)" + std::to_string(again->seq) + R"(,"reason":"scale misread","data":{"qty":6}})");
  ok("lot.split", R"({"lot":"S-1","into":[{"lot":"S-2","qty":1}]})");
  ex.edge("S-1", "S-2");
  ok("lot.hold", R"({"lot":"W-1","reason":"swab"})");
  const std::uint64_t head = ledger_->head().seq;
  ASSERT_GT(head, saved);
  // As a crash leaves it: the file of that save, and the log beyond it.
  ledger_.reset();
  std::filesystem::rename(kept, file);

  plant = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  EXPECT_TRUE(plant->graph()->from_saved());
  EXPECT_EQ(plant->graph_saved_seq(), saved);
  check_all(ex, {"R-1", "R-2", "S-1", "S-2", "W-1", "W-2"}, plant->graph());
  const auto w1 =
      plant->graph()->trace(std::vector<std::string>{"W-1"}, domain::Direction::kForward, 0, head);
  const auto facts = plant->graph()->lots().get(w1.lots[0].id, head);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->status, schema::LotStatus::HELD);  // written again after the save
  EXPECT_EQ(facts->on_hand, 10'000);
}

// A breadth-first level of 512 lots or more is read by two threads, each over half of it: the
// walk's answer (lots, depths, edges and their order) is the one thread's. R-1 has more edges
// than its adjacency value holds (keys::adjacency::kMaxAdjacent): they are scanned from
// genealogy_fwd, in key order.
TEST_F(Genealogy, AWideLevelIsWalkedInTwoHalvesWithTheSameAnswer) {
  master_data();
  receive("R-1", 1000);
  Expected ex;
  std::string into, lots;
  for (int i = 0; i < 700; ++i) {
    const std::string lot = "S-" + std::to_string(i);
    into += std::string(i == 0 ? "" : ",") + R"({"lot":")" + lot + R"(","qty":1})";
    ex.edge("R-1", lot);
    if (i % 2 == 0) {  // half go on into one lot: each half of the level finds it
      lots += std::string(lots.empty() ? "" : ",") + "\"" + lot + "\"";
      ex.edge(lot, "M-1");
    }
  }
  ok("lot.split", R"({"lot":"R-1","into":[)" + into + "]}");
  ok("lot.merge", R"({"lots":[)" + lots + R"(],"into":"M-1"})");
  check_all(ex, {"R-1", "M-1", "S-0", "S-699"});
  // The same walk, once more: the split level's edges in the order one scan finds them.
  auto snap = ledger_->snapshot();
  const std::vector<std::string> start{"R-1"};
  auto walked = domain::trace_snapshot(*snap, start, domain::Direction::kForward, 0);
  ASSERT_TRUE(walked);
  ASSERT_EQ(walked->edges.size(), 700u + 350u);
  for (std::size_t i = 1; i < 700; ++i) {
    EXPECT_LT(walked->edges[i - 1].to, walked->edges[i].to) << i;  // R-1's edges, in key order
  }
  for (std::size_t i = 701; i < walked->edges.size(); ++i) {
    EXPECT_LT(walked->edges[i - 1].from, walked->edges[i].from) << i;  // then the level's
  }
  EXPECT_EQ(walked->lots.back().lot, "M-1");
  EXPECT_EQ(walked->lots.back().depth, 2u);
}

// A lot's adjacency value: each edge once, set where it is, in the order edges were made; a
// value past the limit says to scan instead, and stays so; a cut value does not decode.
TEST(Adjacency, ValuesHoldEachEdgeOnceAndGiveWayToAScanPastTheLimit) {
  namespace adj = domain::keys::adjacency;
  std::string v = adj::with("", "b", 1, 5);
  v = adj::with(v, "a", 2, 7);
  v = adj::with(v, "b", 1, 9);  // b's quantity grew: same place
  auto entries = adj::decode(v);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].other, "b");
  EXPECT_EQ((*entries)[0].qty, 9);
  EXPECT_EQ((*entries)[1].other, "a");
  EXPECT_EQ((*entries)[1].kind, 2);
  EXPECT_EQ((*entries)[1].qty, 7);
  EXPECT_FALSE(adj::too_many(v));
  ASSERT_EQ(v.size(), 1u + 2 * 14);  // the list byte, then 4 + 1 + 1 + 8 bytes an edge
  for (std::size_t cut = 0; cut < v.size(); ++cut) {
    const bool whole_edges = cut == 1 || cut == 15;
    EXPECT_EQ(adj::decode(std::string_view(v).substr(0, cut)).has_value(), whole_edges) << cut;
  }
  std::string many;
  for (std::size_t i = 0; i < adj::kMaxAdjacent; ++i)
    many = adj::with(many, std::to_string(i), 0, 1);
  ASSERT_FALSE(adj::too_many(many));
  EXPECT_EQ(adj::decode(many)->size(), adj::kMaxAdjacent);
  EXPECT_FALSE(adj::too_many(adj::with(many, "0", 0, 2)));  // an update is no new edge
  many = adj::with(many, "one more", 0, 1);
  EXPECT_TRUE(adj::too_many(many));
  EXPECT_FALSE(adj::decode(many));
  EXPECT_TRUE(adj::too_many(adj::with(many, "and another", 0, 1)));
}

// A ledger whose projections were built before the adjacency families (projection version 1)
// is still walked, by seeks, when it is opened to be read; it is refused for writing until
// `custody rebuild`, after which it is walked from its new families with the same answer. And a
// damaged adjacency value ends the walk with an error rather than a shorter answer.
TEST_F(Genealogy, ALedgerOfProjectionVersion1IsWalkedBySeeksUntilItIsRebuilt) {
  master_data();
  receive("R-1", 1000);
  receive("R-2", 1000);
  ok("lot.transform",
     R"({"lot":"B-1","material":"romaine","qty":500,"inputs":[{"lot":"R-1","qty":3},{"lot":"R-2","qty":4}]})");
  ok("lot.split", R"({"lot":"B-1","into":[{"lot":"S-1","qty":2},{"lot":"S-2","qty":3}]})");
  Expected ex;
  ex.edge("R-1", "B-1");
  ex.edge("R-2", "B-1");
  ex.edge("B-1", "S-1");
  ex.edge("B-1", "S-2");
  const std::vector<std::string> lots{"R-1", "R-2", "B-1", "S-2"};
  check_all(ex, lots);
  ledger_.reset();
  {  // what a version 1 ledger holds: neither family, and version 1 in its meta
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, (dir_ / "db").string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : names) descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open({}, (dir_ / "db").string(), descs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string projections;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "meta") {
        ASSERT_TRUE(db->Get({}, handles[i], "projections", &projections).ok());
        EXPECT_EQ(projections, "0 2");
        ASSERT_TRUE(db->Put({}, handles[i], "projections", "0 1").ok());
      }
      if (names[i] == domain::kGenealogyOutCf || names[i] == domain::kGenealogyInCf) {
        ASSERT_TRUE(db->DropColumnFamily(handles[i]).ok());
      }
    }
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  auto check_walks = [&](ledger::Ledger& l) {
    auto snap = l.snapshot();
    for (const auto& lot : lots) {
      for (auto dir : {domain::Direction::kForward, domain::Direction::kBackward}) {
        const std::vector<std::string> starts{lot};
        auto walked = domain::trace_snapshot(*snap, starts, dir, 0);
        ASSERT_TRUE(walked) << walked.error().message;
        EXPECT_EQ(as_map(*walked), bfs(dir == domain::Direction::kForward ? ex.fwd : ex.bwd, lot));
      }
    }
  };
  {
    auto reader =
        ledger::Ledger::open(dir_, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    ASSERT_TRUE(reader) << reader.error().message;
    EXPECT_EQ((*reader)->store().cf(domain::kGenealogyOutCf), nullptr);
    check_walks(**reader);
  }
  auto writer =
      ledger::Ledger::open(dir_, ledger::OpenMode::kReadWrite, domain::make_state_machine(), {});
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().code, ErrorCode::kProjectionsStale);
  auto machine = domain::make_state_machine();
  ASSERT_TRUE(ledger::rebuild_ledger(dir_, *machine));
  reopen();
  EXPECT_NE(ledger_->store().cf(domain::kGenealogyOutCf), nullptr);
  check_walks(*ledger_);
  check_all(ex, lots);

  // B-1's value, cut short: its forward walk fails, its backward one (from genealogy_in) not.
  auto* out = ledger_->store().cf(domain::kGenealogyOutCf);
  std::string value;
  ASSERT_TRUE(ledger_->store().db().Get({}, out, "B-1", &value).ok());
  ASSERT_TRUE(ledger_->store().db().Put({}, out, "B-1", value.substr(0, value.size() - 3)).ok());
  auto snap = ledger_->snapshot();
  const std::vector<std::string> start{"B-1"};
  auto damaged = domain::trace_snapshot(*snap, start, domain::Direction::kForward, 0);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, ErrorCode::kCorruption);
  EXPECT_NE(damaged.error().message.find("B-1"), std::string::npos);
  EXPECT_TRUE(domain::trace_snapshot(*snap, start, domain::Direction::kBackward, 0));
}

TEST_F(Genealogy, GraphSeesOnlyWhatItsSnapshotSees) {
  master_data();
  receive("R-1", 100);
  ok("lot.transform",
     R"({"lot":"T-1","material":"romaine","qty":1,"inputs":[{"lot":"R-1","qty":1}]})");
  // A ledger that keeps the graph in memory, fed by the sequencer as records are applied.
  const domain::PlantMachine* plant = reopen_with_graph();
  ASSERT_TRUE(ledger_);
  const auto* graph = plant->graph();
  ASSERT_NE(graph, nullptr);
  auto before = ledger_->snapshot();
  ok("lot.transform",
     R"({"lot":"T-2","material":"romaine","qty":1,"inputs":[{"lot":"R-1","qty":1}]})");
  const std::vector<std::string> start{"R-1"};
  EXPECT_EQ(graph->trace(start, domain::Direction::kForward, 0, before->head().seq).lots.size(),
            2u);
  EXPECT_EQ(graph->trace(start, domain::Direction::kForward, 0, ledger_->head().seq).lots.size(),
            3u);
  EXPECT_EQ(graph->edge_count(), 2u);
}

}  // namespace
}  // namespace custody::testing
