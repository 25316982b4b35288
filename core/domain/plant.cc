#include "custody/domain/plant.h"

#include "catalogue.h"
#include "custody/domain/genealogy.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/store.h"

namespace custody::domain {
namespace {

std::filesystem::path graph_file(const ledger::Store& store) {
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
    cf_.index = families.cf(kIndexCf);
    cf_.facts = families.cf(kFactsCf);
    cf_.corrections = families.cf(kCorrectionsCf);
  }

  // The graph a clean close saved, when nothing was written since; else it is built from the
  // genealogy family (a damaged or stale file is only a slower start, and is replaced at the
  // next clean close).
  void opened(ledger::Store& store) override {
    if (!options_.genealogy_graph || graph_) return;
    ledger::Snapshot snap(store);
    try {
      auto saved = GenealogyGraph::load_saved(graph_file(store), snap.head(), projections(store));
      if (saved && *saved) {
        graph_ = std::move(*saved);
        return;
      }
    } catch (const std::exception&) {
      // as damaged: scan below
    }
    auto g = GenealogyGraph::load(snap);
    if (!g) throw std::runtime_error("cannot load the genealogy graph: " + g.error().message);
    graph_ = std::move(*g);
  }

  // Saves the graph when it holds exactly the durable head: not after a failed commit, whose
  // records it may have applied, and not again when it is what the file already holds.
  void closing(ledger::Store& store) noexcept override {
    if (!graph_ || graph_->unchanged_since_saved()) return;
    try {
      auto head = store.read_head(nullptr);
      if (!head || graph_->last_seq() > head->seq) return;
      (void)graph_->save(graph_file(store), *head, projections(store));
    } catch (const std::exception&) {
      // best effort: without the file the next open builds the graph from the family
    }
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
  PlantOptions options_;
  Cfs cf_;
  std::unique_ptr<GenealogyGraph> graph_;
};

}  // namespace

std::unique_ptr<PlantMachine> make_state_machine(PlantOptions options) {
  return std::make_unique<PlantStateMachine>(options);
}

}  // namespace custody::domain
