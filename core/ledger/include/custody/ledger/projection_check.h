// Are the stored projections what the log says? `custody verify` replays the whole log into a
// scratch database beside nothing the ledger owns and compares every projection entry with
// the stored one, so a value changed, added or removed in the projections directly (which
// `show`, `recall` and the FSMA 204 export would otherwise serve) is found and named.
//
// Memory is bounded by the replay's chunk size, not by the ledger; the scratch database
// lives in a temporary directory that is removed afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/error.h"
#include "custody/crypto/sha256.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

struct ProjectionCheck {
  bool ok = true;
  std::uint64_t entries = 0;  // entries compared
  crypto::Digest digest{};    // state digest of the stored projections (as state_digest())
  std::string family;         // where the first difference is, when not ok
  std::string key;            // its key, printable (bytes outside ASCII as \xNN)
  std::string reason;         // what differs
};

class LogReplay;

// Compares `store`'s projections with a replay of its log by `machine`, in three steps: the
// caller reads the log and feeds the records. `custody verify` hands each record its log
// check has just read (and folded into the chain) to feed(), so that the log is read and
// decoded once and the replay runs beside the checking. The projections must have been built
// by machine's projection version (else not ok, saying so). `machine` is attached to the
// scratch database while this runs, and left so: attach it again to use it on `store`. The
// scratch database lives as long as this object.
class ProjectionReplay {
 public:
  // Errors only when the check cannot run (the scratch database cannot be made).
  [[nodiscard]] static Result<std::unique_ptr<ProjectionReplay>> start(
      Store& store, StateMachine& machine,
      const std::filesystem::path& tmp_parent = std::filesystem::temp_directory_path());
  ProjectionReplay(const ProjectionReplay&) = delete;
  ProjectionReplay& operator=(const ProjectionReplay&) = delete;
  ~ProjectionReplay();

  // The next record of the log, as stored. A record that does not replay is the finding;
  // what comes after it is ignored.
  void feed(std::string_view stored);
  // Compares the stored projections with what the records fed replayed into. Errors only
  // when the check could not run.
  [[nodiscard]] Result<ProjectionCheck> finish();

 private:
  struct Scratch;
  ProjectionReplay(Store& store, StateMachine& machine);

  Store& store_;
  StateMachine& machine_;
  std::unique_ptr<Scratch> scratch_;
  std::unique_ptr<LogReplay> replay_;
  std::optional<ProjectionCheck> decided_;  // known before the comparison (not ok)
  std::optional<Error> failed_;             // the replay could not run
};

}  // namespace custody::ledger
