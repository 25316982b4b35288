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
#include "custody/ledger/replica.h"

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

// The node key a writer signs with. It must be the ledger's current key; when it is not, a
// rotation may have been recorded and its new key not yet moved into place (a crash between
// the two): the key beside it (".next") is then the current one, and the move is finished.
Result<crypto::NoteSigner> open_signer(const fs::path& dir, const NodeKeyConfig& config,
                                       Store& store) {
  auto passphrase = node_key_passphrase(dir, config);
  if (!passphrase) return std::unexpected(passphrase.error());
  const fs::path path = node_key_path(dir, config);
  auto signer = read_node_key(path, *passphrase);
  if (!signer) {
    return fail(signer.error().code, "cannot open the node key: " + signer.error().message);
  }
  const std::string current = store.current_public_key();
  if (signer->verifier().vkey() == current) return signer;
  fs::path next_path = path;
  next_path += ".next";
  std::error_code ec;
  if (fs::exists(next_path, ec)) {
    auto next = read_node_key(next_path, *passphrase);
    if (next && next->verifier().vkey() == current) {
      fs::rename(next_path, path, ec);
      if (ec) return fail(ErrorCode::kIoError, "cannot finish the key rotation: " + ec.message());
      if (auto r = sync_dir(path.parent_path()); !r) return std::unexpected(r.error());
      return next;
    }
  }
  return fail(ErrorCode::kPermissionDenied,
              path.string() + " is not this ledger's current node key (" + current +
                  "): a key from before a rotation, or another ledger's");
}

}  // namespace

Result<LedgerOptions> load_options(const fs::path& dir, LedgerOptions o) {
  auto config = load_config(dir, o.sequencer);
  if (!config) return std::unexpected(config.error());
  o.sequencer = config->sequencer;
  o.node_key = config->node_key;
  o.block_cache_mb = config->block_cache_mb;
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
  if (auto r = write_new_file(dir / "config.json", options.config, 0644); !r) {
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
  if (mode == OpenMode::kReadWrite) {
    // A follower's copy is written by `custody follow` alone (replica.h), never as a ledger.
    auto replica = read_replica_info(dir);
    if (!replica) return std::unexpected(replica.error());
    if (*replica) {
      return fail(ErrorCode::kPermissionDenied,
                  dir.string() + " is a follower's copy of site " + (*replica)->site +
                      "; only `custody follow` writes to it",
                  "dir");
    }
  }
  std::unique_ptr<Ledger> ledger(new Ledger());
  if (options.clock == nullptr) {
    ledger->own_clock_ = std::make_unique<SystemClock>();
    ledger->clock_ = ledger->own_clock_.get();
  } else {
    ledger->clock_ = options.clock;
  }
  Store::reserve_block_cache(static_cast<std::size_t>(options.block_cache_mb) << 20);
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
  ledger->dir_ = dir;
  ledger->node_key_ = options.node_key;
  if (mode == OpenMode::kReadWrite) {
    auto signer = open_signer(dir, options.node_key, *ledger->store_);
    if (!signer) return std::unexpected(signer.error());
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
  } else if (auto configured = load_options(dir, options)) {
    // A reader takes the cache size too; a config.json the writer would refuse is the
    // writer's to report, and does not stop anyone reading.
    options = *configured;
  }
  return open(dir, mode, std::move(machine), options);
}

Ledger::~Ledger() {
  if (sequencer_) {
    sequencer_.reset();
    machine_->closing(*store_);
  }
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
  return crypto::NoteVerifier::parse(store_->current_public_key());
}

Result<std::string> Ledger::rotate_key() {
  if (!sequencer_) return fail(ErrorCode::kPermissionDenied, "the ledger is open read-only");
  auto passphrase = node_key_passphrase(dir_, node_key_);
  if (!passphrase) return std::unexpected(passphrase.error());
  const fs::path path = node_key_path(dir_, node_key_);
  fs::path next_path = path;
  next_path += ".next";
  std::error_code ec;
  fs::remove(next_path, ec);  // a rotation that never reached the log (open finishes others)
  crypto::NoteSigner next = crypto::NoteSigner::generate(store_->meta().origin);
  const std::string vkey = next.verifier().vkey();
  if (auto r = write_node_key(next_path, next, *passphrase); !r) return std::unexpected(r.error());
  auto cp = sequencer_->rotate_key(std::move(next));
  if (!cp) {
    fs::remove(next_path, ec);
    return std::unexpected(cp.error());
  }
  fs::rename(next_path, path, ec);
  if (ec) {
    return fail(ErrorCode::kIoError, "the rotation is recorded but " + next_path.string() +
                                         " could not replace " + path.string() + ": " +
                                         ec.message() + " (the next open finishes it)");
  }
  if (auto r = sync_dir(path.parent_path()); !r) return std::unexpected(r.error());
  // node.pub is what people copy to check the ledger's checkpoints with: the key in force.
  if (auto r = replace_file(dir_ / "node.pub", vkey + "\n", 0644); !r) {
    return std::unexpected(r.error());
  }
  return vkey;
}

}  // namespace custody::ledger
