#include "custody/domain/plant.h"

#include "custody/codec/capnp_util.h"
#include "schema/commands.capnp.h"

namespace custody::domain {
namespace {

namespace s = custody::schema;
using ledger::Command;
using ledger::Event;

class PlantStateMachine final : public ledger::StateMachine {
 public:
  std::vector<std::string> column_families() const override { return {}; }
  void attach(ledger::Store&) override {}

  Result<std::vector<Event>> decide(const Command& cmd, const ledger::State&, TimeNs) override {
    if (cmd.type == "note.add") {
      codec::MessageView view(cmd.data);
      auto note = view.root<s::NoteAdd>();
      std::vector<Event> out;
      out.push_back(
          Event{"note:" + std::string(codec::view(note.getSubject())), "note.added", cmd.data, {}});
      return out;
    }
    return fail(ErrorCode::kInvalidArgument, "unknown command type '" + cmd.type + "'", "type");
  }

  void apply(const ledger::RecordRef&, ledger::State&) override {}
};

}  // namespace

std::unique_ptr<ledger::StateMachine> make_state_machine() {
  return std::make_unique<PlantStateMachine>();
}

}  // namespace custody::domain
