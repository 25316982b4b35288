#include "custody/domain/plant.h"

#include <malloc.h>

#include <thread>

#include "catalogue.h"
#include "custody/domain/genealogy.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/record.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/store.h"

namespace custody::domain {
namespace {

std::filesystem::path default_graph_file(const ledger::Store& store) {
  return store.dir() / "genealogy.graph";
}

std::uint64_t projections(const ledger::Store& store) {
  return GenealogyGraph::projections_stamp(PlantMachine::kProjectionVersion, store.generation());
}

class PlantStateMachine final : public PlantMachine {
 public:
  explicit PlantStateMachine(PlantOptions options) : options_(options) {}

  std::vector<std::string> column_families() const override { return projection_column_families(); }
  std::uint32_t projection_version() const override { return kProjectionVersion; }

  void attach(const ledger::ColumnFamilies& families) override {
    cf_.entities = families.cf(kEntitiesCf);
    cf_.history = families.cf(kHistoryCf);
    cf_.fwd = families.cf(kGenealogyFwdCf);
    cf_.bwd = families.cf(kGenealogyBwdCf);
    cf_.out = families.cf(kGenealogyOutCf);
    cf_.in = families.cf(kGenealogyInCf);
    cf_.index = families.cf(kIndexCf);
    cf_.facts = families.cf(kFactsCf);
    cf_.corrections = families.cf(kCorrectionsCf);
  }

  // The graph a clean close saved, and the records written since (the tail: a CLI's appends
  // while the server was down) applied to it; else it is built from the genealogy family. A
  // damaged or stale file is only a slower start, and is replaced at the next clean close.
  void opened(ledger::Store& store) override {
    if (!options_.genealogy_graph || graph_) return;
    load_graph(store);
    // The load's temporary arrays (hundreds of MB for millions of lots) are freed by now; give
    // their pages back rather than keep them in the heap for nothing.
    ::malloc_trim(0);
  }

  Result<std::uint64_t> catch_up_graph(ledger::Store& store) override {
    if (!graph_) return std::uint64_t{0};
    const std::uint64_t before = graph_seq_;
    graph_->begin_tail();
    auto last = ledger::apply_records_after(store, graph_seq_, *this);
    if (last) {
      // The lots the tail touched, as the projections hold them at its end.
      ledger::Snapshot snap(store);
      if (auto settled = graph_->end_tail(snap); !settled) last = std::unexpected(settled.error());
    }
    if (!last) {
      // It may hold part of the tail: dropped, so that nothing reads or saves it; answers walk
      // the column families from now on.
      graph_.reset();
      return std::unexpected(last.error());
    }
    graph_seq_ = *last;
    return *last - before;
  }

  // Saves the graph when it holds exactly the durable head: not after a failed commit, whose
  // records it may have applied, and not again when it is what the file already holds.
  void closing(ledger::Store& store) noexcept override {
    stop_saving();
    if (!graph_ || unchanged_since_saved()) return;
    try {
      auto head = store.read_head(nullptr);
      if (!head || graph_->last_seq() > head->seq) return;
      if (graph_->save(graph_file(store), *head, projections(store))) {
        saved_seq_.store(head->seq, std::memory_order_relaxed);
      }
    } catch (const std::exception&) {
      // best effort: without the file the next open builds the graph from the family
    }
  }

  Result<bool> save_graph(ledger::Store& store) override {
    if (!graph_ || unchanged_since_saved()) return false;
    auto head = store.read_head(nullptr);
    if (!head) return std::unexpected(head.error());
    if (graph_seq_ != head->seq) return false;  // not caught up with what the store sees
    if (auto r = graph_->save(graph_file(store), *head, projections(store)); !r) {
      return std::unexpected(r.error());
    }
    saved_seq_.store(head->seq, std::memory_order_relaxed);
    return true;
  }

  // The sequencer has applied up to `head`: when enough records and time have passed since
  // the last save, the graph is marked here and saved on a thread of its own, so that a
  // process that dies costs its next start only the records since (PlantOptions).
  void applied(ledger::Store& store, const ledger::Head& head) override {
    if (!graph_ || options_.graph_save_records == 0 || saving_.load(std::memory_order_acquire) ||
        head.seq < marked_seq_ + options_.graph_save_records) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (marked_seq_ != 0 && now - marked_at_ < options_.graph_save_interval) return;
    if (saver_.joinable()) saver_.join();  // it has finished: saving_ is false
    marked_seq_ = head.seq;
    marked_at_ = now;
    saving_.store(true, std::memory_order_relaxed);
    try {
      saver_ = std::jthread([this, &store, seq = head.seq, mark = graph_->mark(head),
                             file = graph_file(store),
                             stamp = projections(store)](std::stop_token stop) {
        pthread_setname_np(pthread_self(), "custody-graph");
        save_beside(store, seq, *mark, file, stamp, stop);
        saving_.store(false, std::memory_order_release);
      });
    } catch (const std::exception&) {
      // No thread, or no memory for the mark: tried again at the next mark.
      graph_->unmark();
      save_failures_.fetch_add(1, std::memory_order_relaxed);
      saving_.store(false, std::memory_order_relaxed);
    }
  }

  std::uint64_t graph_saved_seq() const override {
    return saved_seq_.load(std::memory_order_relaxed);
  }
  std::uint64_t graph_save_failures() const override {
    return save_failures_.load(std::memory_order_relaxed);
  }

  const GenealogyGraph* graph() const override { return graph_.get(); }

  Result<std::vector<Event>> decide(const Command& cmd, const ledger::State& state,
                                    TimeNs now) override {
    const CommandSpec* spec = find_command_spec(cmd.type);
    if (spec == nullptr) {
      return fail(ErrorCode::kInvalidArgument, "unknown command type '" + cmd.type + "'", "type");
    }
    Decide d(cmd, state, cf_, now, *spec);
    if (auto r = spec->decide(d); !r) return std::unexpected(std::move(r.error()));
    if (auto r = sign_or_require(d); !r) return std::unexpected(std::move(r.error()));
    return std::move(d.events);
  }

  std::uint64_t erased_by(const RecordRef& record) const override {
    if (record.type != "record.redacted" || record.payload.empty()) return 0;
    const std::uint64_t seq = redacted_seq(record.payload);
    return seq < record.seq ? seq : 0;
  }

  void apply(const RecordRef& record, ledger::State& state) override {
    graph_seq_ = record.seq;
    const EventSpec* spec = find_event_spec(record.type);
    if (spec == nullptr) return;  // a type this build does not project (from a newer one)
    if (record.redacted_by != 0) {
      // A replay of a redacted record: it is applied as what is left of it, which is what
      // the live projections moved to when it was redacted.
      const std::string remainder = redacted_remainder(state, record.seq, record.redacted_by);
      RecordRef whole = record;
      whole.payload = remainder;
      Apply a{whole, state, cf_, graph_.get()};
      spec->apply(a);
      return;
    }
    Apply a{record, state, cf_, graph_.get()};
    spec->apply(a);
  }

  std::vector<Command> on_tick(const ledger::State& state, TimeNs now) override {
    auto due = overdue_exceptions(state, cf_, now);
    for (auto more : {late_receipts(state, cf_, now), expired_lots(state, cf_, now)}) {
      due.insert(due.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
    }
    return due;
  }

  std::vector<Command> on_clock_step(const ledger::State&, TimeNs expected, TimeNs now) override {
    return {clock_step_exception(expected, now)};
  }

  std::optional<Event> on_late_entry(const LateEntry& late) override {
    return late_entry_event(late);
  }

 private:
  std::filesystem::path graph_file(const ledger::Store& store) const {
    return options_.graph_file.empty() ? default_graph_file(store) : options_.graph_file;
  }

  bool unchanged_since_saved() const {
    return graph_->unchanged_since_saved() ||
           graph_seq_ == saved_seq_.load(std::memory_order_relaxed);
  }

  // The saving thread: once the store holds the mark's head (its group is durable; a group
  // that never becomes durable is waited for until the close stops the thread), the graph as
  // it was at the mark, while the sequencer goes on.
  void save_beside(ledger::Store& store, std::uint64_t seq, const GenealogyGraph::Mark& mark,
                   const std::filesystem::path& file, std::uint64_t stamp, std::stop_token stop) {
    while (!stop.stop_requested()) {
      auto head = store.read_head(nullptr);
      if (head && head->seq >= seq) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Called even when stopped: it ends the mark, so the sequencer stops keeping quantities.
    if (auto saved = graph_->save_marked(mark, file, stamp, stop)) {
      saved_seq_.store(seq, std::memory_order_relaxed);
    } else if (saved.error().code != ErrorCode::kUnavailable) {
      save_failures_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void stop_saving() {
    if (!saver_.joinable()) return;
    saver_.request_stop();
    saver_.join();
  }

  void load_graph(ledger::Store& store) {
    ledger::Snapshot snap(store);
    try {
      if (load_saved_graph(store, snap)) return;
    } catch (const std::exception&) {
      // as damaged: scan below
    }
    graph_.reset();
    auto g = GenealogyGraph::load(snap, options_.lot_table);
    if (!g) throw std::runtime_error("cannot load the genealogy graph: " + g.error().message);
    graph_ = std::move(*g);
    graph_seq_ = snap.head().seq;
  }

  // A saved graph whose head is this log's record at the same seq, and the tail after it.
  bool load_saved_graph(ledger::Store& store, const ledger::Snapshot& snap) {
    auto saved = GenealogyGraph::saved_head(graph_file(store), projections(store));
    if (!saved || !*saved || (*saved)->seq > snap.head().seq) return false;
    const ledger::Head at = **saved;
    if (at.seq > 0) {
      auto bytes = snap.record(at.seq);
      if (!bytes) return false;
      auto leaf = ledger::record_leaf(*bytes);
      if (!leaf || *leaf != at.leaf) return false;  // another history than this log's
    }
    auto graph =
        GenealogyGraph::load_saved(graph_file(store), at, projections(store), options_.lot_table);
    if (!graph || !*graph) return false;
    graph_ = std::move(*graph);
    graph_seq_ = at.seq;
    saved_seq_.store(at.seq, std::memory_order_relaxed);
    marked_seq_ = at.seq;
    if (at.seq == snap.head().seq) return true;
    auto tail = catch_up_graph(store);
    return tail.has_value();
  }

  PlantOptions options_;
  Cfs cf_;
  std::unique_ptr<GenealogyGraph> graph_;
  std::uint64_t graph_seq_ = 0;  // the last record the graph has taken
  // Saves beside the sequencer. The last mark's seq (or the file's read at the open) and when
  // it was taken: the sequencer's. What the file holds, and failed saves: any thread's.
  std::uint64_t marked_seq_ = 0;
  std::chrono::steady_clock::time_point marked_at_;
  std::atomic<bool> saving_{false};
  std::atomic<std::uint64_t> saved_seq_{0};
  std::atomic<std::uint64_t> save_failures_{0};
  std::jthread saver_;  // last: stopped and joined before the graph goes
};

}  // namespace

std::unique_ptr<PlantMachine> make_state_machine(PlantOptions options) {
  return std::make_unique<PlantStateMachine>(options);
}

}  // namespace custody::domain
