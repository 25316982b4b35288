#include "custody/ledger/ledger.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sodium.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdio>

#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/ledger/config.h"

namespace custody::ledger {
namespace fs = std::filesystem;

namespace {

std::string new_uuid() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  std::uint8_t b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string h = to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

bool valid_origin(std::string_view origin) {
  if (origin.empty() || origin.size() > 256) return false;
  for (unsigned char c : origin) {
    if (c <= ' ' || c == '+' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Result<LedgerOptions> load_options(const fs::path& dir, LedgerOptions o) {
  auto config = load_config(dir, o.sequencer);
  if (!config) return std::unexpected(config.error());
  o.sequencer = config->sequencer;
  return o;
}

Result<InitResult> Ledger::init(const fs::path& dir, const InitOptions& options,
                                const StateMachine& machine) {
  InitResult out;
  out.ledger_id = new_uuid();
  out.origin = options.origin.empty() ? "custody/" + out.ledger_id : options.origin;
  if (!valid_origin(out.origin)) {
    return fail(ErrorCode::kInvalidArgument,
                "origin must be 1..256 printable characters without spaces or '+'", "origin");
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return fail(ErrorCode::kAlreadyExists,
                  dir.string() + " already exists and is not an empty directory", "dir");
    }
  } else if (!fs::create_directories(dir, ec) || ec) {
    return fail(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + ec.message(), "dir");
  }

  const crypto::NoteSigner signer = crypto::NoteSigner::generate(out.origin);
  out.vkey = signer.verifier().vkey();

  SystemClock system;
  const Clock& clock = options.clock ? *options.clock : system;
  if (auto r = write_new_file(dir / "node.key", signer.skey() + "\n", 0600); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = write_new_file(dir / "node.pub", out.vkey + "\n", 0644); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = write_new_file(dir / "config.json", kDefaultConfig, 0644); !r) {
    return std::unexpected(r.error());
  }
  Store::InitInfo info{out.ledger_id, out.origin, out.vkey, clock.now(),
                       machine.projection_version()};
  if (auto r = Store::create(dir, info, machine.column_families()); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = write_new_file(dir / "FORMAT",
                              "custody-ledger " + std::to_string(kSchemaVersion) + "\n", 0644);
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = sync_dir(dir); !r) return std::unexpected(r.error());
  return out;
}

Result<std::unique_ptr<Ledger>> Ledger::open(const fs::path& dir, OpenMode mode,
                                             std::unique_ptr<StateMachine> machine,
                                             LedgerOptions options) {
  std::unique_ptr<Ledger> ledger(new Ledger());
  if (options.clock == nullptr) {
    ledger->own_clock_ = std::make_unique<SystemClock>();
    ledger->clock_ = ledger->own_clock_.get();
  } else {
    ledger->clock_ = options.clock;
  }
  auto store = Store::open(dir, mode, machine->column_families());
  if (!store) return std::unexpected(store.error());
  ledger->store_ = std::move(*store);
  if (mode == OpenMode::kReadWrite &&
      ledger->store_->projection_version() != machine->projection_version()) {
    return fail(ErrorCode::kProjectionsStale,
                dir.string() + ": its projections were built by projection version " +
                    std::to_string(ledger->store_->projection_version()) +
                    " and this build writes version " +
                    std::to_string(machine->projection_version()) + "; run `custody rebuild " +
                    dir.string() + "` before writing");
  }
  ledger->machine_ = std::move(machine);
  ledger->machine_->attach(*ledger->store_);
  try {
    ledger->machine_->opened(*ledger->store_);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kIoError, e.what());
  }
  if (mode == OpenMode::kReadWrite) {
    auto key_text = read_file(dir / "node.key");
    if (!key_text) {
      return fail(ErrorCode::kIoError, "cannot read the node key: " + key_text.error().message);
    }
    std::string_view k = *key_text;
    while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.remove_suffix(1);
    auto signer = crypto::NoteSigner::parse(k);
    if (!signer) return fail(ErrorCode::kCorruption, "node.key: " + signer.error().message);
    auto seq = Sequencer::start(*ledger->store_, *ledger->machine_, *ledger->clock_,
                                std::move(*signer), options.sequencer);
    if (!seq) return std::unexpected(seq.error());
    ledger->sequencer_ = std::move(*seq);
  }
  return ledger;
}

Result<std::unique_ptr<Ledger>> Ledger::open_dir(const fs::path& dir, OpenMode mode,
                                                 std::unique_ptr<StateMachine> machine,
                                                 const Clock* clock) {
  LedgerOptions options;
  options.clock = clock;
  if (mode == OpenMode::kReadWrite) {
    // A missing or foreign directory is "not a ledger", not a configuration problem.
    if (auto v = read_format_version(dir); !v) return std::unexpected(v.error());
    auto configured = load_options(dir, options);
    if (!configured) return std::unexpected(configured.error());
    options = *configured;
  }
  return open(dir, mode, std::move(machine), options);
}

Ledger::~Ledger() {
  sequencer_.reset();
}

void Ledger::submit(Command command, Completion done) {
  if (!sequencer_) {
    done(std::unexpected(Error{ErrorCode::kPermissionDenied, "the ledger is open read-only", {}}));
    return;
  }
  sequencer_->submit(std::move(command), std::move(done));
}

std::future<Result<CommandResult>> Ledger::submit(Command command) {
  auto promise = std::make_shared<std::promise<Result<CommandResult>>>();
  auto future = promise->get_future();
  submit(std::move(command),
         [promise](Result<CommandResult> r) { promise->set_value(std::move(r)); });
  return future;
}

Result<std::string> Ledger::checkpoint() {
  if (!sequencer_) {
    return fail(ErrorCode::kPermissionDenied, "the ledger is open read-only");
  }
  return sequencer_->checkpoint();
}

std::unique_ptr<Snapshot> Ledger::snapshot() {
  return std::make_unique<Snapshot>(*store_);
}

Head Ledger::head() const {
  if (sequencer_) return sequencer_->head();
  auto h = store_->read_head();
  return h ? *h : Head{};
}

std::uint64_t Ledger::add_commit_listener(Sequencer::CommitListener fn) {
  return sequencer_ ? sequencer_->add_commit_listener(std::move(fn)) : 0;
}

void Ledger::remove_commit_listener(std::uint64_t id) {
  if (sequencer_) sequencer_->remove_commit_listener(id);
}

Sequencer::Stats Ledger::stats() const {
  return sequencer_ ? sequencer_->stats() : Sequencer::Stats{};
}

std::string Ledger::latest_checkpoint() const {
  if (sequencer_) return sequencer_->latest_checkpoint();
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db().NewIterator(rocksdb::ReadOptions(), store_->cf(Cf::kCheckpoints)));
  it->SeekToLast();
  return it->Valid() ? it->value().ToString() : std::string();
}

Result<crypto::NoteVerifier> Ledger::verifier() const {
  return crypto::NoteVerifier::parse(store_->meta().node_public_key);
}

}  // namespace custody::ledger
