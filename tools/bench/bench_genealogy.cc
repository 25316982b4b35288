// Genealogy and recall against PostgreSQL and SQLite, in the same run.
//
//   bench_genealogy     env: CUSTODY_BENCH_SCALE (default 1 = 2M lots), CUSTODY_BENCH_QUERIES
//                       (default 200), CUSTODY_BENCH_DIR (default /tmp/custody-bench),
//                       CUSTODY_BENCH_SKIP_SQL=1 to leave the databases out,
//                       CUSTODY_BENCH_CACHE_MB for the ledgers' block cache (what config.json's
//                       blockCacheMegabytes sets; default 256; PostgreSQL gets 2048 of
//                       shared_buffers)
//
// Dataset (scale 1): 20k raw lots received; 180k intermediates from 3-7 raw lots each; 100k
// batches from 3-7 intermediates; 1M packed lots from 1-3 batches; 700k shipment units from
// 3-7 packed lots; inputs drawn at random from the whole previous level. 2M lots, ~6.9M
// edges, appended through the ledger (lot.receive, lot.transform), kept in
// $CUSTODY_BENCH_DIR/genealogy-<scale> for later runs.
//
// Timed, p50 and p99 over CUSTODY_BENCH_QUERIES start lots each:
//   forward from a raw lot (reaches ~10k lots) and backward from a shipment unit (~300):
//   custody's in-memory graph (warm), custody's RocksDB walk (warm, and cold in a freshly
//   started process), the full recall report (lots, orders, shipments, balance), and the
//   recursive CTE in PostgreSQL 15 (a throwaway cluster on 127.0.0.1, started and stopped
//   here) and in SQLite, both with the edges indexed both ways.
//
//   bench_genealogy --walk DIR    the RocksDB walk alone on a built dataset, warm, in a few
//                                 seconds (CUSTODY_BENCH_WALK=forward or backward for one
//                                 direction): for comparing storage settings run against run.
//   bench_genealogy --postgres-start BASE, --postgres-walk, --postgres-stop BASE
//                                 PostgreSQL loaded once and left running, its recursive
//                                 query timed as --walk times the walk: the two alternate
//                                 run by run.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "bench_support.h"
#include "custody/codec/capnp_util.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/genealogy.h"
#include "custody/domain/plant.h"
#include "custody/domain/recall.h"
#include "custody/ledger/ledger.h"
#include "genealogy_dataset.h"
#include "schema/commands.capnp.h"

namespace custody::bench {
namespace {

// ---------------------------------------------------------------- results

struct Timing {
  std::vector<double> ms;
  double reached = 0;
  void add(double m, std::size_t n) {
    ms.push_back(m);
    reached += static_cast<double>(n);
  }
  [[nodiscard]] double p(double q) {
    auto copy = ms;
    return percentile(copy, q);
  }
  [[nodiscard]] double mean_reached() const {
    return ms.empty() ? 0 : reached / static_cast<double>(ms.size());
  }
};

std::map<std::string, Timing> g_results;
std::map<std::string, double> g_facts;

// ---------------------------------------------------------------- PostgreSQL

struct Postgres {
  std::filesystem::path dir;
  std::string bin = "/usr/lib/postgresql/15/bin";
  std::string as_user;
  PGconn* conn = nullptr;
  int port = 55432;

  bool sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

  bool start(const std::filesystem::path& base) {
    if (!std::filesystem::exists(bin + "/initdb")) return false;
    dir = base / "pg";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    if (::geteuid() == 0) {  // PostgreSQL refuses to run as root
      as_user = "runuser -u postgres -- ";
      sh("chown -R postgres " + dir.string() + " && chmod 700 " + dir.string());
    }
    if (!sh(as_user + bin + "/initdb -D " + dir.string() +
            " -A trust -U custody --no-sync >/dev/null 2>&1"))
      return false;
    if (!sh(as_user + bin + "/pg_ctl -D " + dir.string() + " -w -l " + dir.string() +
            "/log -o \"-p " + std::to_string(port) +
            " -k /tmp -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c fsync=off " +
            "-c synchronous_commit=off -c max_wal_size=8GB -c maintenance_work_mem=1GB\" start "
            ">/dev/null")) {
      return false;
    }
    return connect();
  }

  bool connect() {
    conn = PQconnectdb(
        ("host=127.0.0.1 port=" + std::to_string(port) + " user=custody dbname=postgres").c_str());
    return PQstatus(conn) == CONNECTION_OK;
  }

  bool exec(const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) std::fprintf(stderr, "postgres: %s: %s", sql.c_str(), PQerrorMessage(conn));
    PQclear(r);
    return ok;
  }

  bool load(const Dataset& d) {
    if (!exec("CREATE UNLOGGED TABLE edges (src bigint NOT NULL, dst bigint NOT NULL)"))
      return false;
    PGresult* r = PQexec(conn, "COPY edges FROM STDIN");
    PQclear(r);
    std::string buf;
    for (std::uint32_t lot = 0; lot < d.lots; ++lot) {
      for (std::uint32_t i = d.input_begin[lot]; i < d.input_begin[lot + 1]; ++i) {
        buf += std::to_string(d.inputs[i]);
        buf += '\t';
        buf += std::to_string(lot);
        buf += '\n';
      }
      if (buf.size() > (1 << 20)) {
        PQputCopyData(conn, buf.data(), static_cast<int>(buf.size()));
        buf.clear();
      }
    }
    PQputCopyData(conn, buf.data(), static_cast<int>(buf.size()));
    PQputCopyEnd(conn, nullptr);
    r = PQgetResult(conn);
    PQclear(r);
    return exec("CREATE INDEX edges_fwd ON edges (src, dst)") &&
           exec("CREATE INDEX edges_bwd ON edges (dst, src)") && exec("VACUUM ANALYZE edges") &&
           prepare();
  }

  // Connects to a cluster that `--postgres-start` left running.
  bool attach() { return connect() && prepare(); }

  bool prepare() {
    return exec(
               "PREPARE fwd(bigint) AS WITH RECURSIVE r(lot) AS (SELECT $1 UNION SELECT e.dst FROM "
               "edges e "
               "JOIN r ON e.src = r.lot) SELECT count(*) FROM r") &&
           exec(
               "PREPARE bwd(bigint) AS WITH RECURSIVE r(lot) AS (SELECT $1 UNION SELECT e.src FROM "
               "edges e "
               "JOIN r ON e.dst = r.lot) SELECT count(*) FROM r");
  }

  std::size_t reach(bool forward, std::uint32_t lot) {
    PGresult* r = PQexec(
        conn, ((forward ? "EXECUTE fwd(" : "EXECUTE bwd(") + std::to_string(lot) + ")").c_str());
    const std::size_t n = PQntuples(r) ? std::strtoull(PQgetvalue(r, 0, 0), nullptr, 10) : 0;
    PQclear(r);
    return n;
  }

  void stop() {
    if (conn) PQfinish(conn);
    conn = nullptr;
    if (!dir.empty()) {
      sh(as_user + bin + "/pg_ctl -D " + dir.string() + " -m fast -w stop >/dev/null 2>&1");
      std::filesystem::remove_all(dir);
    }
  }
};

// ---------------------------------------------------------------- SQLite

struct Sqlite {
  sqlite3* db = nullptr;
  sqlite3_stmt* fwd = nullptr;
  sqlite3_stmt* bwd = nullptr;

  bool exec(const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }

  bool load(const std::filesystem::path& base, const Dataset& d) {
    const auto path = base / "edges.sqlite";
    std::filesystem::remove(path);
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return false;
    exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-2000000;");
    exec("CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL)");
    exec("BEGIN");
    sqlite3_stmt* ins = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO edges VALUES (?, ?)", -1, &ins, nullptr);
    for (std::uint32_t lot = 0; lot < d.lots; ++lot) {
      for (std::uint32_t i = d.input_begin[lot]; i < d.input_begin[lot + 1]; ++i) {
        sqlite3_bind_int64(ins, 1, d.inputs[i]);
        sqlite3_bind_int64(ins, 2, lot);
        sqlite3_step(ins);
        sqlite3_reset(ins);
      }
    }
    sqlite3_finalize(ins);
    exec("COMMIT");
    exec("CREATE INDEX edges_fwd ON edges (src, dst)");
    exec("CREATE INDEX edges_bwd ON edges (dst, src)");
    exec("ANALYZE");
    sqlite3_prepare_v2(db,
                       "WITH RECURSIVE r(lot) AS (SELECT ?1 UNION SELECT e.dst FROM edges e JOIN r "
                       "ON e.src = r.lot) "
                       "SELECT count(*) FROM r",
                       -1, &fwd, nullptr);
    sqlite3_prepare_v2(db,
                       "WITH RECURSIVE r(lot) AS (SELECT ?1 UNION SELECT e.src FROM edges e JOIN r "
                       "ON e.dst = r.lot) "
                       "SELECT count(*) FROM r",
                       -1, &bwd, nullptr);
    return fwd && bwd;
  }

  std::size_t reach(bool forward, std::uint32_t lot) {
    sqlite3_stmt* s = forward ? fwd : bwd;
    sqlite3_bind_int64(s, 1, lot);
    std::size_t n = 0;
    if (sqlite3_step(s) == SQLITE_ROW) n = static_cast<std::size_t>(sqlite3_column_int64(s, 0));
    sqlite3_reset(s);
    return n;
  }

  ~Sqlite() {
    sqlite3_finalize(fwd);
    sqlite3_finalize(bwd);
    if (db) sqlite3_close(db);
  }
};

// ---------------------------------------------------------------- the run

struct Samples {
  std::vector<std::uint32_t> forward;   // raw lots
  std::vector<std::uint32_t> backward;  // shipment units
};

Samples pick(const Dataset& d, std::size_t n) {
  std::mt19937 rng(7);
  Samples s;
  const Level& raw = d.levels.front();
  const Level& unit = d.levels.back();
  for (std::size_t i = 0; i < n; ++i) {
    s.forward.push_back(raw.first + static_cast<std::uint32_t>(rng() % raw.count));
    s.backward.push_back(unit.first + static_cast<std::uint32_t>(rng() % unit.count));
  }
  return s;
}

// The ledger opened read-only as a host opens it, with the graph in memory: how long that
// took and how much the process's RSS grew.
struct GraphOpen {
  std::unique_ptr<ledger::Ledger> ledger;
  const domain::PlantMachine* plant = nullptr;
  double load_s = 0;
  double rss_mb = 0;
};

GraphOpen open_with_graph(const std::filesystem::path& dir) {
  GraphOpen g;
  const std::size_t rss0 = rss_bytes();
  g.load_s = time_ms([&] {
               auto machine = domain::make_state_machine({.genealogy_graph = true});
               g.plant = machine.get();
               auto r =
                   ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, std::move(machine), {});
               if (r) g.ledger = std::move(*r);
             }) /
             1000;
  g.rss_mb = rss_growth_mb(rss0);
  return g;
}

// One RocksDB walk from `lot` (trace_snapshot, what one-shot CLI commands use): its time in
// ms; `reached` gets how many lots it reached.
double timed_walk(const ledger::Snapshot& snap, std::uint32_t lot, bool forward,
                  std::size_t& reached) {
  const std::vector<std::string> start{Dataset::name(lot)};
  return time_ms([&] {
    auto t = domain::trace_snapshot(
        snap, start, forward ? domain::Direction::kForward : domain::Direction::kBackward, 0);
    reached = t ? t->lots.size() : 0;
  });
}

void run_all(const std::filesystem::path& base, const std::filesystem::path& dir, const Dataset& d,
             const Samples& s) {
  // Custody, in-memory graph, warm, built from the genealogy family (a graph saved by an
  // earlier run is removed first; the saved graph is measured below).
  {
    std::filesystem::remove(dir / "genealogy.graph");
    auto [ledger, plant, load_s, rss_mb] = open_with_graph(dir);
    if (!ledger) return;
    g_facts["graph_load_s"] = load_s;
    g_facts["graph_rss_mb"] = rss_mb;
    const auto* graph = plant->graph();
    g_facts["graph_lots"] = static_cast<double>(graph->lot_count());
    g_facts["graph_edges"] = static_cast<double>(graph->edge_count());
    g_facts["graph_bytes_mb"] = static_cast<double>(graph->memory_bytes()) / (1 << 20);
    auto snap = ledger->snapshot();
    std::size_t forward_reached = 0;
    for (std::uint32_t lot : s.forward) {
      const std::vector<std::string> start{Dataset::name(lot)};
      forward_reached +=
          graph->trace(start, domain::Direction::kForward, 0, snap->head().seq).lots.size();
    }
    g_facts["graph_forward_lots_reached"] = static_cast<double>(forward_reached);
    for (int pass = 0; pass < 2; ++pass) {
      for (bool forward : {true, false}) {
        for (std::uint32_t lot : forward ? s.forward : s.backward) {
          const std::vector<std::string> start{Dataset::name(lot)};
          std::size_t n = 0;
          const double ms = time_ms([&] {
            n = graph
                    ->trace(start,
                            forward ? domain::Direction::kForward : domain::Direction::kBackward, 0,
                            snap->head().seq)
                    .lots.size();
          });
          if (pass == 1)
            g_results[forward ? "custody graph forward" : "custody graph backward"].add(ms, n);
        }
      }
    }
    // The full recall report: lots with their state, orders, shipments, balance; with the
    // graph's lot table, and with a graph loaded without one (each lot's projection read in
    // one batched read), query by query in turn.
    g_facts["lot_table_mb"] = static_cast<double>(graph->lots().memory_bytes()) / (1 << 20);
    auto bare = domain::GenealogyGraph::load(*snap, false);
    if (!bare) return;
    g_facts["graph_without_lot_table_mb"] =
        static_cast<double>((*bare)->memory_bytes()) / (1 << 20);
    const domain::GenealogyGraph* without = bare->get();
    for (std::uint32_t lot : s.forward) {
      domain::RecallScope scope;
      scope.lot = Dataset::name(lot);
      for (const domain::GenealogyGraph* g : {graph, without}) {
        std::size_t n = 0;
        const double ms = time_ms([&] {
          auto r = domain::build_recall(*snap, scope, g);
          n = r ? r->lots_reached : 0;
        });
        g_results[g == graph ? "custody recall report (graph)"
                             : "custody recall report (graph, no lot table)"]
            .add(ms, n);
      }
    }
    bare->reset();
    // The RocksDB walk, warm (the block cache holds what the first pass read).
    for (int pass = 0; pass < 2; ++pass) {
      for (bool forward : {true, false}) {
        for (std::uint32_t lot : forward ? s.forward : s.backward) {
          std::size_t n = 0;
          const double ms = timed_walk(*snap, lot, forward, n);
          if (pass == 1)
            g_results[forward ? "custody rocksdb forward" : "custody rocksdb backward"].add(ms, n);
        }
      }
    }
  }
  // Saved: the writer's clean close saves the graph (genealogy.graph); a fresh process loads
  // it from there.
  {
    double save_ms = 0;
    {
      auto w = ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite,
                                    domain::make_state_machine({.genealogy_graph = true}), {});
      if (w) save_ms = time_ms([&] { w->reset(); });
    }
    g_facts["saved_graph_close_s"] = save_ms / 1000;
    const std::string out = (base / "saved.txt").string();
    const std::string cmd =
        "/proc/" + std::to_string(::getpid()) + "/exe --saved " + dir.string() + " > " + out;
    double load_s = 0, rss_mb = 0, store_mb = 0;
    std::size_t reached = 0;
    if (std::system(cmd.c_str()) == 0 &&
        (std::ifstream(out) >> load_s >> rss_mb >> reached >> store_mb)) {
      g_facts["saved_graph_load_s"] = load_s;
      g_facts["saved_graph_rss_mb"] = rss_mb;
      g_facts["saved_graph_store_open_rss_mb"] = store_mb;
      g_facts["saved_graph_forward_lots_reached"] = static_cast<double>(reached);
    }
  }
  // Cold: a fresh process opens the ledger (empty block cache, OS cache dropped if allowed)
  // and walks from each start once.
  {
    std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
    const std::string out = (base / "cold.txt").string();
    const std::string cmd =
        "/proc/" + std::to_string(::getpid()) + "/exe --cold " + dir.string() + " > " + out;
    if (std::system(cmd.c_str()) == 0) {
      std::ifstream in(out);
      std::string which;
      double ms = 0;
      std::size_t n = 0;
      while (in >> which >> ms >> n) g_results[which].add(ms, n);
    }
  }
  if (std::getenv("CUSTODY_BENCH_SKIP_SQL")) return;
  // PostgreSQL, warm.
  {
    Postgres pg;
    std::fprintf(stderr, "  loading PostgreSQL\n");
    if (pg.start(base) && pg.load(d)) {
      for (int pass = 0; pass < 2; ++pass) {
        for (bool forward : {true, false}) {
          for (std::uint32_t lot : forward ? s.forward : s.backward) {
            std::size_t n = 0;
            const double ms = time_ms([&] { n = pg.reach(forward, lot); });
            if (pass == 1)
              g_results[forward ? "postgresql forward" : "postgresql backward"].add(ms, n);
          }
        }
      }
    } else {
      std::fprintf(stderr, "  PostgreSQL unavailable; skipped\n");
    }
    pg.stop();
  }
  // SQLite, warm.
  {
    Sqlite lite;
    std::fprintf(stderr, "  loading SQLite\n");
    if (lite.load(base, d)) {
      for (int pass = 0; pass < 2; ++pass) {
        for (bool forward : {true, false}) {
          for (std::uint32_t lot : forward ? s.forward : s.backward) {
            std::size_t n = 0;
            const double ms = time_ms([&] { n = lite.reach(forward, lot); });
            if (pass == 1) g_results[forward ? "sqlite forward" : "sqlite backward"].add(ms, n);
          }
        }
      }
    }
    std::filesystem::remove(base / "edges.sqlite");
  }
}

// The graph a clean close saved: a fresh process opens the ledger with the graph (read from
// the file) and prints its load time, its RSS growth and the lots its forward traces reach.
int saved_child(const std::string& dir, const Samples& s) {
  // The ledger opened once without the graph first, as the main process's probe does, so that
  // the growth measured below is the graph's rather than RocksDB's own (its table readers and
  // the blocks the open reads into the shared cache), which is reported apart.
  const std::size_t rss0 = rss_bytes();
  {
    auto probe =
        ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    if (!probe) return 1;
  }
  const double store_mb = rss_growth_mb(rss0);
  auto [ledger, plant, load_s, rss_mb] = open_with_graph(dir);
  if (!ledger) return 1;
  std::size_t reached = 0;
  const std::uint64_t as_of = ledger->head().seq;
  for (std::uint32_t lot : s.forward) {
    const std::vector<std::string> start{Dataset::name(lot)};
    reached += plant->graph()->trace(start, domain::Direction::kForward, 0, as_of).lots.size();
  }
  std::printf("%.3f %.1f %zu %.1f\n", load_s, rss_mb, reached, store_mb);
  return 0;
}

// A host opens the ledger with its graph and closes it, which saves the graph
// (tools/bench/bench_graph_tail.sh).
int host_child(const std::string& dir) {
  auto host = ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite,
                                   domain::make_state_machine({.genealogy_graph = true}), {});
  if (!host) return 1;
  host->reset();
  return 0;
}

// A host that dies (tools/bench/bench_graph_crash.sh): opens the ledger with its graph, saved
// beside the sequencer every `every` records (0: only at a close, which never comes), appends
// `n` lot splits (`first` numbers the first) with up to 512 in flight, and ends without
// closing, as kill -9 would. Prints its append rate (records/s), the head, the seq of the
// graph's file, and how many saves failed.
int crash_child(const std::string& dir, std::uint64_t first, std::uint64_t n, std::uint64_t every) {
  auto machine = domain::make_state_machine(
      {.genealogy_graph = true, .graph_save_records = every, .graph_save_interval = {}});
  const domain::PlantMachine* plant = machine.get();
  auto ledger = ledger::Ledger::open(dir, ledger::OpenMode::kReadWrite, std::move(machine), {});
  if (!ledger) return 1;
  std::vector<ledger::Command> commands;
  for (std::uint64_t i = first; i < first + n; ++i) {
    const std::string line = R"({"type":"lot.split","commandId":"crash-)" + std::to_string(i) +
                             R"(","actor":"user:bench","data":{"lot":"L)" +
                             std::to_string(i % 20000) + R"(","into":[{"lot":"C-)" +
                             std::to_string(i) + R"(","qty":1}]}})";
    auto cmd = domain::decode_command(line);
    if (!cmd) return 1;
    commands.push_back(std::move(*cmd));
  }
  constexpr int kWindow = 512;
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::uint64_t failures = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto& cmd : commands) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < kWindow; });
      ++in_flight;
    }
    (*ledger)->submit(std::move(cmd), [&](Result<ledger::CommandResult> r) {
      std::lock_guard lock(mu);
      if (!r) ++failures;
      --in_flight;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.0f %llu %llu %llu %llu\n", static_cast<double>(n) / secs,
              static_cast<unsigned long long>((*ledger)->head().seq),
              static_cast<unsigned long long>(plant->graph_saved_seq()),
              static_cast<unsigned long long>(plant->graph_save_failures()),
              static_cast<unsigned long long>(failures));
  std::fflush(stdout);
  std::_Exit(failures == 0 ? 0 : 1);
}

// An experiment on storage settings (docs/BENCHMARKS.md, "The RocksDB walk, a wide level on
// two threads"): rewrites the genealogy families of a ledger copy's database with `block`-byte
// blocks and LZ4 (or ZSTD) at the bottommost level, by a forced compaction. custody itself
// opens the copy afterwards with its own settings; only the files change.
int recompact_child(const std::string& dir, int block, const std::string& compression) {
  const std::string db_path = dir + "/db";
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db_path, &names).ok()) return 1;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) {
    rocksdb::ColumnFamilyOptions o;
    rocksdb::BlockBasedTableOptions t;
    t.block_size = static_cast<std::size_t>(block);
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    o.compression = rocksdb::kLZ4Compression;
    o.bottommost_compression = compression == "lz4" ? rocksdb::kLZ4Compression : rocksdb::kZSTD;
    descs.emplace_back(n, o);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(rocksdb::DBOptions(), db_path, descs, &handles, &raw).ok()) return 1;
  std::unique_ptr<rocksdb::DB> db(raw);
  int rc = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].starts_with("genealogy")) {
      rocksdb::CompactRangeOptions c;
      c.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      const auto st = db->CompactRange(c, handles[i], nullptr, nullptr);
      std::printf("%s %s\n", names[i].c_str(), st.ToString().c_str());
      if (!st.ok()) rc = 1;
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  return rc;
}

// --rewrite DIR: every projection family's files written again with this build's table
// options (what a compaction or `custody rebuild` does in time), e.g. the genealogy families'
// entity-prefix filters on a dataset built before them.
int rewrite_child(const std::string& dir) {
  auto machine = domain::make_state_machine();
  auto store = ledger::Store::open(dir, ledger::OpenMode::kReadWrite, machine->column_families());
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    return 1;
  }
  auto r = (*store)->purge({});
  if (!r) std::fprintf(stderr, "%s\n", r.error().message.c_str());
  return r ? 0 : 1;
}

int cold_child(const std::string& dir, const Samples& s) {
  auto ledger =
      ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
  if (!ledger) return 1;
  auto snap = (*ledger)->snapshot();
  for (bool forward : {true, false}) {
    for (std::uint32_t lot : forward ? s.forward : s.backward) {
      std::size_t n = 0;
      const double ms = timed_walk(*snap, lot, forward, n);
      std::printf("%s %.4f %zu\n",
                  forward ? "custody_rocksdb_cold_forward" : "custody_rocksdb_cold_backward", ms,
                  n);
    }
  }
  return 0;
}

// Three passes over the sample's start lots in each direction (the first fills the caches),
// timing `walk(forward, lot, reached)` in the last two; prints each direction's p50 and p99 as
// `label forward|backward p50 ... ms`. CUSTODY_BENCH_WALK=forward or backward: one of them.
template <typename Walk>
void timed_passes(const Samples& s, const char* label, Walk walk) {
  const char* only = std::getenv("CUSTODY_BENCH_WALK");
  for (bool forward : {true, false}) {
    if (only != nullptr && std::string(only) != (forward ? "forward" : "backward")) continue;
    std::vector<double> times;
    std::size_t reached = 0;
    for (int pass = 0; pass < 3; ++pass) {
      for (std::uint32_t lot : forward ? s.forward : s.backward) {
        std::size_t n = 0;
        const double ms = walk(forward, lot, n);
        if (pass > 0) {
          times.push_back(ms);
          reached += n;
        }
      }
    }
    std::sort(times.begin(), times.end());
    std::printf("%s%s p50 %.3f ms, p99 %.3f ms, %zu lots reached\n", label,
                forward ? "forward" : "backward", times[times.size() / 2],
                times[std::min(times.size() - 1, times.size() * 99 / 100)], reached / 2);
  }
}

// `--walk DIR`: the RocksDB walk alone, warm, in this process. For comparing storage settings
// quickly, build against build.
int walk_child(const std::string& dir, const Samples& s) {
  auto ledger =
      ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
  if (!ledger) return 1;
  auto snap = (*ledger)->snapshot();
  timed_passes(s, "", [&](bool forward, std::uint32_t lot, std::size_t& n) {
    return timed_walk(*snap, lot, forward, n);
  });
  return 0;
}

// `--postgres-start BASE`: a PostgreSQL cluster under BASE/pg loaded with the dataset's edges
// (as the full run loads it), left running for `--postgres-walk`, which runs the same passes
// as `--walk` on its recursive query: the two alternate run by run, on one machine's load.
// `--postgres-stop BASE` stops it and removes it.
int postgres_start(const std::filesystem::path& base, const Dataset& d) {
  Postgres pg;
  const bool ok = pg.start(base) && pg.load(d);
  if (pg.conn != nullptr) PQfinish(pg.conn);
  if (!ok) {
    pg.stop();
    return 1;
  }
  std::printf("PostgreSQL on 127.0.0.1:%d, data in %s\n", pg.port, pg.dir.c_str());
  return 0;
}

int postgres_walk(const Samples& s) {
  Postgres pg;
  if (!pg.attach()) {
    std::fprintf(stderr, "no PostgreSQL on 127.0.0.1:%d: run --postgres-start first\n", pg.port);
    return 1;
  }
  timed_passes(s, "postgresql ", [&](bool forward, std::uint32_t lot, std::size_t& n) {
    return time_ms([&] { n = pg.reach(forward, lot); });
  });
  PQfinish(pg.conn);
  return 0;
}

int postgres_stop(const std::filesystem::path& base) {
  Postgres pg;
  pg.dir = base / "pg";
  if (!std::filesystem::exists(pg.dir)) return 0;
  if (::geteuid() == 0) pg.as_user = "runuser -u postgres -- ";
  pg.stop();
  return 0;
}

}  // namespace
}  // namespace custody::bench

int main(int argc, char** argv) {
  using namespace custody::bench;
  const double scale = env_double("CUSTODY_BENCH_SCALE", 1.0);
  const auto queries = static_cast<std::size_t>(env_double("CUSTODY_BENCH_QUERIES", 200));
  const Dataset d = make_dataset(scale);
  const Samples s = pick(d, queries);
  const auto cache_mb = static_cast<std::size_t>(
      env_double("CUSTODY_BENCH_CACHE_MB", custody::ledger::kDefaultBlockCacheMb));
  custody::ledger::Store::reserve_block_cache(cache_mb << 20);
  g_facts["block_cache_mb"] =
      static_cast<double>(custody::ledger::Store::block_cache_capacity() >> 20);
  const char* base_env = std::getenv("CUSTODY_BENCH_DIR");
  const std::filesystem::path base = base_env ? base_env : "/tmp/custody-bench";
  char scale_name[32];
  std::snprintf(scale_name, sizeof scale_name, "%g", scale);
  const std::filesystem::path dir = base / ("genealogy-" + std::string(scale_name));
  if (argc == 3 && std::string(argv[1]) == "--cold") return cold_child(argv[2], s);
  if (argc == 3 && std::string(argv[1]) == "--walk") return walk_child(argv[2], s);
  if (argc == 3 && std::string(argv[1]) == "--postgres-start") return postgres_start(argv[2], d);
  if (argc == 2 && std::string(argv[1]) == "--postgres-walk") return postgres_walk(s);
  if (argc == 3 && std::string(argv[1]) == "--postgres-stop") return postgres_stop(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "--saved") return saved_child(argv[2], s);
  if (argc == 3 && std::string(argv[1]) == "--host") return host_child(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "--rewrite") return rewrite_child(argv[2]);
  if (argc == 5 && std::string(argv[1]) == "--recompact") {
    return recompact_child(argv[2], std::stoi(argv[3]), argv[4]);
  }
  if (argc == 6 && std::string(argv[1]) == "--crash") {
    return crash_child(argv[2], std::stoull(argv[3]), std::stoull(argv[4]), std::stoull(argv[5]));
  }

  // The ledger, built once per scale.
  {
    auto probe = custody::ledger::Ledger::open(dir, custody::ledger::OpenMode::kReadOnly,
                                               custody::domain::make_state_machine(), {});
    const bool ready = probe && (*probe)->head().seq == d.lots + 2;
    probe = std::unexpected(custody::Error{});
    if (!ready) {
      std::fprintf(stderr, "building a %u-lot, %zu-edge genealogy in %s ...\n", d.lots, d.edges(),
                   dir.c_str());
      const double secs = build(dir, d);
      if (secs < 0) {
        std::fprintf(stderr, "building the genealogy failed\n");
        return 1;
      }
      g_facts["build_s"] = secs;
      g_facts["build_commands_per_s"] = d.lots / secs;
    }
  }
  run_all(base, dir, d, s);

  // Report through Google Benchmark, one entry per measurement.
  for (auto& [name, t] : g_results) {
    benchmark::RegisterBenchmark(name.c_str(),
                                 [&t](benchmark::State& st) {
                                   for (auto _ : st) st.SetIterationTime(t.p(50) / 1000);
                                   st.counters["p50_ms"] = t.p(50);
                                   st.counters["p99_ms"] = t.p(99);
                                   st.counters["lots_reached"] = t.mean_reached();
                                 })
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  std::printf("\nsummary: %s; %u lots, %zu edges\n", machine_description().c_str(), d.lots,
              d.edges());
  for (const auto& [k, v] : g_facts) std::printf("  %s = %.3f\n", k.c_str(), v);
  auto ratio = [&](const char* a, const char* b) {
    if (!g_results.count(a) || !g_results.count(b)) return;
    const double r = g_results[a].p(50) / g_results[b].p(50);
    std::printf("  p50 %s / %s = %.4f (%.1fx %s)\n", a, b, r, r <= 1 ? 1 / r : r,
                r <= 1 ? "faster" : "slower");
  };
  ratio("custody graph forward", "postgresql forward");
  ratio("custody graph forward", "sqlite forward");
  ratio("custody graph backward", "postgresql backward");
  ratio("custody graph backward", "sqlite backward");
  ratio("custody rocksdb forward", "postgresql forward");
  ratio("custody recall report (graph)", "postgresql forward");
  ratio("custody recall report (graph)", "custody recall report (graph, no lot table)");
  return 0;
}
