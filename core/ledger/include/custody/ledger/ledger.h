// Ledger: one ledger directory, opened for writing (with its sequencer) or for reading.
//
//   auto ledger = Ledger::open(dir, OpenMode::kReadWrite, domain::make_state_machine(), {});
//   ledger->submit(std::move(command), [](Result<CommandResult> r) { ... });
//
// Thread rules: submit(), checkpoint(), snapshot() and the accessors may be called from any
// thread. Destroying the ledger finishes every submitted command first.
#pragma once

#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/crypto/note.h"
#include "custody/ledger/command.h"
#include "custody/ledger/config.h"
#include "custody/ledger/node_key.h"
#include "custody/ledger/sequencer.h"
#include "custody/ledger/snapshot.h"
#include "custody/ledger/state_machine.h"
#include "custody/ledger/store.h"

namespace custody::ledger {

struct InitOptions {
  // Checkpoint origin and signing key name; default "custody/<ledger id>". No whitespace
  // and no '+'.
  std::string origin;
  const Clock* clock = nullptr;              // default: the system clock
  std::string_view config = kDefaultConfig;  // the config.json to write
};

struct InitResult {
  std::string ledger_id;
  std::string origin;
  std::string vkey;  // the node's verifier key, for auditors
};

// How a ledger is opened: its sequencer's settings (DIR/config.json, custody/ledger/config.h)
// and its clock.
struct LedgerOptions {
  SequencerOptions sequencer;
  const Clock* clock = nullptr;  // default: the system clock; must outlive the ledger
  NodeKeyConfig node_key;        // where a writer finds the node key (node_key.h)
  std::uint64_t block_cache_mb = kDefaultBlockCacheMb;  // Store::reserve_block_cache
};

// The sequencer settings of DIR/config.json (load_config) over `defaults`.
[[nodiscard]] Result<LedgerOptions> load_options(const std::filesystem::path& dir,
                                                 LedgerOptions defaults = {});

class Ledger {
 public:
  // Creates a ledger in `dir`, which must not exist or be empty. kAlreadyExists otherwise.
  [[nodiscard]] static Result<InitResult> init(const std::filesystem::path& dir,
                                               const InitOptions& options,
                                               const StateMachine& machine);

  // Opens a ledger. Read-write starts the sequencer (and takes the directory's exclusive
  // lock); read-only takes a shared lock and allows snapshots only.
  [[nodiscard]] static Result<std::unique_ptr<Ledger>> open(const std::filesystem::path& dir,
                                                            OpenMode mode,
                                                            std::unique_ptr<StateMachine> machine,
                                                            LedgerOptions options);

  // Opens a ledger directory the way commands and hosts do: not a ledger, too new and locked
  // are answered before anything else, and a writer takes its settings from DIR/config.json
  // (readers read no settings). `clock` as in LedgerOptions.
  [[nodiscard]] static Result<std::unique_ptr<Ledger>> open_dir(
      const std::filesystem::path& dir, OpenMode mode, std::unique_ptr<StateMachine> machine,
      const Clock* clock = nullptr);

  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Read-write only (a read-only ledger completes with kPermissionDenied).
  void submit(Command command, Completion done);
  [[nodiscard]] std::future<Result<CommandResult>> submit(Command command);
  // A signed checkpoint covering every record committed so far (writes one if needed).
  [[nodiscard]] Result<std::string> checkpoint();
  // Rotates the node key (node_key.h): writes a new key beside the current one (sealed under
  // the same passphrase), records the rotation signed by the current key, and moves the new
  // key into place. A crash between the record and the move is finished at the next open.
  // Returns the new verifier key.
  [[nodiscard]] Result<std::string> rotate_key();

  [[nodiscard]] std::unique_ptr<Snapshot> snapshot();
  [[nodiscard]] Head head() const;
  // See Sequencer::add_commit_listener. A read-only ledger never calls it (returns 0).
  [[nodiscard]] std::uint64_t add_commit_listener(Sequencer::CommitListener fn);
  void remove_commit_listener(std::uint64_t id);
  [[nodiscard]] bool writable() const { return sequencer_ != nullptr; }
  // Sequencer counters (zeros for a read-only ledger).
  [[nodiscard]] Sequencer::Stats stats() const;
  // The newest stored checkpoint note, "" when there is none.
  [[nodiscard]] std::string latest_checkpoint() const;
  [[nodiscard]] const LedgerMeta& meta() const { return store_->meta(); }
  // The key that signs checkpoints now (it changes with rotate_key()).
  [[nodiscard]] Result<crypto::NoteVerifier> verifier() const;
  [[nodiscard]] Store& store() { return *store_; }
  [[nodiscard]] StateMachine& machine() { return *machine_; }
  [[nodiscard]] const Clock& clock() const { return *clock_; }

 private:
  Ledger() = default;
  std::filesystem::path dir_;
  NodeKeyConfig node_key_;
  std::unique_ptr<SystemClock> own_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StateMachine> machine_;
  std::unique_ptr<Sequencer> sequencer_;  // declared last: stopped first
};

}  // namespace custody::ledger
