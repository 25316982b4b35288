#include "custody/ledger/ledger.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <sodium.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdio>

#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"

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

constexpr std::string_view kDefaultConfig = R"({
  "groupCommit": { "maxCommands": 1024, "maxWaitMicros": 0 },
  "checkpointIntervalMs": 1000,
  "tickIntervalMs": 1000
}
)";

// Every key config.json may hold ("site" is read by the FSMA 204 export, "plugins" by the
// plugin host), and those of its objects.
constexpr std::string_view kConfigKeys[] = {"groupCommit", "checkpointIntervalMs", "tickIntervalMs",
                                            "idempotency", "site",                 "plugins"};
constexpr std::string_view kGroupCommitKeys[] = {"maxCommands", "maxWaitMicros"};
constexpr std::string_view kIdempotencyKeys[] = {"spillAt"};
constexpr std::string_view kSiteKeys[] = {"name", "address", "gln"};

template <std::size_t N>
Result<void> only_known(const boost::json::object& obj, const std::string_view (&known)[N],
                        const std::string& path) {
  for (const auto& member : obj) {
    if (std::find(std::begin(known), std::end(known), member.key()) == std::end(known)) {
      return fail(ErrorCode::kInvalidArgument,
                  "is not a setting custody knows (misspelt?)",
                  path + "." + std::string(member.key()));
    }
  }
  return {};
}

// Reads a non-negative integer setting at obj[key] into out.
Result<void> read_uint(const boost::json::object& obj, std::string_view key, std::string path,
                       std::uint64_t max, std::uint64_t& out) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return {};
  std::uint64_t n = 0;
  if (v->is_uint64()) {
    n = v->as_uint64();
  } else if (v->is_int64() && v->as_int64() >= 0) {
    n = static_cast<std::uint64_t>(v->as_int64());
  } else {
    return fail(ErrorCode::kInvalidArgument, "must be a non-negative integer", std::move(path));
  }
  if (n > max) {
    return fail(ErrorCode::kInvalidArgument, "must be at most " + std::to_string(max),
                std::move(path));
  }
  out = n;
  return {};
}

}  // namespace

Result<LedgerOptions> load_options(const fs::path& dir, LedgerOptions o) {
  auto text = read_file(dir / "config.json");
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return o;
    return std::unexpected(text.error());
  }
  auto parsed = codec::parse_json(*text, "config");
  if (!parsed) return std::unexpected(parsed.error());
  const boost::json::value& root = *parsed;
  if (!root.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "config.json is not a JSON object", "config");
  }
  const auto& obj = root.as_object();
  // A misspelt setting would otherwise be ignored and its default silently used.
  if (auto r = only_known(obj, kConfigKeys, "config"); !r) return std::unexpected(r.error());
  if (const auto* gc = obj.if_contains("groupCommit")) {
    if (!gc->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "must be an object", "config.groupCommit");
    }
    if (auto r = only_known(gc->as_object(), kGroupCommitKeys, "config.groupCommit"); !r) {
      return std::unexpected(r.error());
    }
    std::uint64_t max_group = o.sequencer.max_group;
    std::uint64_t wait = static_cast<std::uint64_t>(o.sequencer.max_wait.count());
    if (auto r = read_uint(gc->as_object(), "maxCommands", "config.groupCommit.maxCommands",
                           1 << 20, max_group);
        !r) {
      return std::unexpected(r.error());
    }
    if (max_group == 0) {
      return fail(ErrorCode::kInvalidArgument, "must be at least 1",
                  "config.groupCommit.maxCommands");
    }
    if (auto r = read_uint(gc->as_object(), "maxWaitMicros", "config.groupCommit.maxWaitMicros",
                           1'000'000, wait);
        !r) {
      return std::unexpected(r.error());
    }
    o.sequencer.max_group = max_group;
    o.sequencer.max_wait = std::chrono::microseconds(wait);
  }
  std::uint64_t cp = static_cast<std::uint64_t>(o.sequencer.checkpoint_interval.count());
  if (auto r =
          read_uint(obj, "checkpointIntervalMs", "config.checkpointIntervalMs", 86'400'000, cp);
      !r) {
    return std::unexpected(r.error());
  }
  o.sequencer.checkpoint_interval = std::chrono::milliseconds(cp);
  std::uint64_t tick = static_cast<std::uint64_t>(o.sequencer.tick_interval.count());
  if (auto r = read_uint(obj, "tickIntervalMs", "config.tickIntervalMs", 86'400'000, tick); !r) {
    return std::unexpected(r.error());
  }
  o.sequencer.tick_interval = std::chrono::milliseconds(tick);
  if (const auto* site = obj.if_contains("site")) {
    if (!site->is_object()) return fail(ErrorCode::kInvalidArgument, "must be an object", "config.site");
    if (auto r = only_known(site->as_object(), kSiteKeys, "config.site"); !r) {
      return std::unexpected(r.error());
    }
    for (const auto& member : site->as_object()) {
      if (!member.value().is_string()) {
        return fail(ErrorCode::kInvalidArgument, "must be a string",
                    "config.site." + std::string(member.key()));
      }
    }
  }
  if (const auto* idem = obj.if_contains("idempotency")) {
    if (!idem->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "must be an object", "config.idempotency");
    }
    if (auto r = only_known(idem->as_object(), kIdempotencyKeys, "config.idempotency"); !r) {
      return std::unexpected(r.error());
    }
    std::uint64_t spill = o.sequencer.idem_spill_at;
    if (auto r =
            read_uint(idem->as_object(), "spillAt", "config.idempotency.spillAt", 1 << 24, spill);
        !r) {
      return std::unexpected(r.error());
    }
    if (spill == 0) {
      return fail(ErrorCode::kInvalidArgument, "must be at least 1", "config.idempotency.spillAt");
    }
    o.sequencer.idem_spill_at = spill;
  }
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
                    std::to_string(machine->projection_version()) +
                    "; run `custody rebuild " + dir.string() + "` before writing");
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
