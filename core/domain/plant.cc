#include "custody/domain/plant.h"

#include <boost/unordered/unordered_flat_map.hpp>

#include "custody/domain/genealogy.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/store.h"
#include "domain_state.h"

namespace custody::domain {
namespace {

// A shift-log note: the command's data is the event's payload.
Result<void> decide_note(Decide& d) {
  codec::MessageView v(d.cmd.data);
  auto note = v.root<s::NoteAdd>();
  d.emit("note:" + str(note.getSubject()), "note.added", d.cmd.data);
  return {};
}

void apply_note(Apply& a) {
  codec::MessageView v(a.rec.payload);
  a.history("note", sv(v.root<s::NoteAdd>().getSubject()));
}

class PlantStateMachine final : public ledger::StateMachine {
 public:
  explicit PlantStateMachine(PlantOptions options) : options_(options) {
    Handlers h;
    h.decide.emplace_back("note.add", &decide_note);
    h.apply.emplace_back("note.added", &apply_note);
    register_master_data(h);
    register_lots(h);
    register_work_orders(h);
    register_scheduling(h);
    register_access(h);
    register_quality(h);
    register_exceptions(h);
    register_corrections(h);
    for (const auto& [name, fn] : h.decide) decide_.emplace(name, fn);
    for (const auto& [name, fn] : h.apply) apply_.emplace(name, fn);
  }

  std::vector<std::string> column_families() const override { return projection_column_families(); }

  void attach(const ledger::ColumnFamilies& families) override {
    cf_.entities = families.cf(kEntitiesCf);
    cf_.history = families.cf(kHistoryCf);
    cf_.fwd = families.cf(kGenealogyFwdCf);
    cf_.bwd = families.cf(kGenealogyBwdCf);
    cf_.index = families.cf(kIndexCf);
    cf_.facts = families.cf(kFactsCf);
    cf_.corrections = families.cf(kCorrectionsCf);
    auto* store = dynamic_cast<const ledger::Store*>(&families);
    if (options_.genealogy_graph && !graph_ && store != nullptr) {
      ledger::Snapshot snap(const_cast<ledger::Store&>(*store));
      auto g = GenealogyGraph::load(snap);
      if (!g) throw std::runtime_error("cannot load the genealogy graph: " + g.error().message);
      graph_ = std::move(*g);
    }
  }

  const GenealogyGraph* graph() const { return graph_.get(); }

  Result<std::vector<Event>> decide(const Command& cmd, const ledger::State& state,
                                    TimeNs now) override {
    auto it = decide_.find(cmd.type);
    if (it == decide_.end()) {
      return fail(ErrorCode::kInvalidArgument, "unknown command type '" + cmd.type + "'", "type");
    }
    Decide d{cmd, state, cf_, now, {}};
    if (auto r = it->second(d); !r) return std::unexpected(std::move(r.error()));
    return std::move(d.events);
  }

  void apply(const RecordRef& record, ledger::State& state) override {
    auto it = apply_.find(record.type);
    if (it == apply_.end()) return;  // a type this build does not project (from a newer one)
    Apply a{record, state, cf_, graph_.get()};
    it->second(a);
  }

  std::vector<Command> on_tick(const ledger::State& state, TimeNs now) override {
    return overdue_exceptions(state, cf_, now);
  }

 private:
  PlantOptions options_;
  Cfs cf_;
  std::unique_ptr<GenealogyGraph> graph_;
  boost::unordered_flat_map<std::string_view, DecideFn> decide_;
  boost::unordered_flat_map<std::string_view, ApplyFn> apply_;
};

}  // namespace

std::unique_ptr<ledger::StateMachine> make_state_machine(PlantOptions options) {
  return std::make_unique<PlantStateMachine>(options);
}

const GenealogyGraph* genealogy_graph(const ledger::StateMachine& machine) {
  const auto* plant = dynamic_cast<const PlantStateMachine*>(&machine);
  return plant ? plant->graph() : nullptr;
}

}  // namespace custody::domain
