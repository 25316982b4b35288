#include "custody/ledger/config.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "custody/codec/json_parse.h"
#include "custody/common/files.h"
#include "custody/common/time_zone.h"

namespace custody::ledger {
namespace {

namespace fs = std::filesystem;

// Every key config.json may hold ("site" is read by the FSMA 204 export, "plugins" by the
// plugin host), and those of its objects.
constexpr std::string_view kConfigKeys[] = {
    "groupCommit",    "checkpointIntervalMs", "tickIntervalMs",   "idempotency",      "site",
    "plugins",        "maxFutureSkewSeconds", "clockStepSeconds", "lateEntrySeconds", "nodeKey",
    "genealogyGraph", "blockCacheMegabytes"};
constexpr std::string_view kNodeKeyKeys[] = {"file", "passphraseFile"};
constexpr std::string_view kGroupCommitKeys[] = {"maxCommands", "maxWaitMicros"};
constexpr std::string_view kIdempotencyKeys[] = {"spillAt"};
constexpr std::string_view kGraphKeys[] = {"saveEveryRecords", "saveIntervalSeconds"};
constexpr std::string_view kSiteKeys[] = {"name",    "address",          "gln", "timeZone", "phone",
                                          "contact", "expiryHorizonDays"};

template <std::size_t N>
Result<void> only_known(const boost::json::object& obj, const std::string_view (&known)[N],
                        const std::string& path) {
  for (const auto& member : obj) {
    if (std::find(std::begin(known), std::end(known), member.key()) == std::end(known)) {
      return fail(ErrorCode::kInvalidArgument, "is not a setting custody knows (misspelt?)",
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

Result<LedgerConfig> load_config(const fs::path& dir, SequencerOptions defaults) {
  LedgerConfig out;
  out.sequencer = defaults;
  SequencerOptions& o = out.sequencer;
  auto text = read_file(dir / "config.json");
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) return out;
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
    std::uint64_t max_group = o.max_group;
    std::uint64_t wait = static_cast<std::uint64_t>(o.max_wait.count());
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
    o.max_group = max_group;
    o.max_wait = std::chrono::microseconds(wait);
  }
  std::uint64_t cp = static_cast<std::uint64_t>(o.checkpoint_interval.count());
  if (auto r =
          read_uint(obj, "checkpointIntervalMs", "config.checkpointIntervalMs", 86'400'000, cp);
      !r) {
    return std::unexpected(r.error());
  }
  o.checkpoint_interval = std::chrono::milliseconds(cp);
  std::uint64_t tick = static_cast<std::uint64_t>(o.tick_interval.count());
  if (auto r = read_uint(obj, "tickIntervalMs", "config.tickIntervalMs", 86'400'000, tick); !r) {
    return std::unexpected(r.error());
  }
  o.tick_interval = std::chrono::milliseconds(tick);
  std::uint64_t skew = static_cast<std::uint64_t>(o.max_future_skew.count());
  if (auto r = read_uint(obj, "maxFutureSkewSeconds", "config.maxFutureSkewSeconds", 86'400, skew);
      !r) {
    return std::unexpected(r.error());
  }
  o.max_future_skew = std::chrono::seconds(skew);
  std::uint64_t step = static_cast<std::uint64_t>(o.clock_step.count());
  if (auto r = read_uint(obj, "clockStepSeconds", "config.clockStepSeconds", 86'400, step); !r) {
    return std::unexpected(r.error());
  }
  if (step == 0) {
    return fail(ErrorCode::kInvalidArgument, "must be at least 1", "config.clockStepSeconds");
  }
  o.clock_step = std::chrono::seconds(step);
  std::uint64_t late = static_cast<std::uint64_t>(o.late_entry.count());
  if (auto r =
          read_uint(obj, "lateEntrySeconds", "config.lateEntrySeconds", 10ull * 366 * 86'400, late);
      !r) {
    return std::unexpected(r.error());
  }
  o.late_entry = std::chrono::seconds(late);
  if (const auto* site = obj.if_contains("site")) {
    if (!site->is_object())
      return fail(ErrorCode::kInvalidArgument, "must be an object", "config.site");
    if (auto r = only_known(site->as_object(), kSiteKeys, "config.site"); !r) {
      return std::unexpected(r.error());
    }
    for (const auto& member : site->as_object()) {
      if (member.key() == "expiryHorizonDays") {
        // How far ahead the expiry board looks: lots expiring within it show there.
        const auto& v = member.value();
        if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > 3660) {
          return fail(ErrorCode::kInvalidArgument, "must be a whole number of days from 1 to 3660",
                      "config.site.expiryHorizonDays");
        }
        out.site.expiry_horizon_days = static_cast<std::uint32_t>(v.as_int64());
        continue;
      }
      if (!member.value().is_string()) {
        return fail(ErrorCode::kInvalidArgument, "must be a string",
                    "config.site." + std::string(member.key()));
      }
      const std::string value(member.value().as_string());
      if (member.key() == "name") out.site.name = value;
      if (member.key() == "address") out.site.address = value;
      if (member.key() == "gln") out.site.gln = value;
      if (member.key() == "phone") out.site.phone = value;
      if (member.key() == "contact") out.site.contact = value;
      if (member.key() == "timeZone") {
        // An IANA zone name ("Europe/Paris", "Asia/Shanghai", "UTC"): what people read times
        // in. It must be in the system's zone database, or reports could not show it.
        if (auto zone = TimeZone::load(value); !zone) {
          return fail(ErrorCode::kInvalidArgument, zone.error().message, "config.site.timeZone");
        }
        out.site.time_zone = value;
      }
    }
  }
  if (const auto* key = obj.if_contains("nodeKey")) {
    if (!key->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "must be an object", "config.nodeKey");
    }
    if (auto r = only_known(key->as_object(), kNodeKeyKeys, "config.nodeKey"); !r) {
      return std::unexpected(r.error());
    }
    for (const auto& member : key->as_object()) {
      const std::string path = "config.nodeKey." + std::string(member.key());
      if (!member.value().is_string() || member.value().as_string().empty() ||
          member.value().as_string().size() > 4096 ||
          std::string_view(member.value().as_string()).find('\0') != std::string_view::npos) {
        return fail(ErrorCode::kInvalidArgument, "must be a file path", path);
      }
      const std::string value(member.value().as_string());
      if (member.key() == "file") out.node_key.file = value;
      if (member.key() == "passphraseFile") out.node_key.passphrase_file = value;
    }
  }
  if (const auto* plugins = obj.if_contains("plugins")) {
    if (!plugins->is_array()) {
      return fail(ErrorCode::kInvalidArgument, "must be an array", "config.plugins");
    }
    out.plugins_json = boost::json::serialize(*plugins);
  }
  if (const auto* idem = obj.if_contains("idempotency")) {
    if (!idem->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "must be an object", "config.idempotency");
    }
    if (auto r = only_known(idem->as_object(), kIdempotencyKeys, "config.idempotency"); !r) {
      return std::unexpected(r.error());
    }
    std::uint64_t spill = o.idem_spill_at;
    if (auto r =
            read_uint(idem->as_object(), "spillAt", "config.idempotency.spillAt", 1 << 24, spill);
        !r) {
      return std::unexpected(r.error());
    }
    if (spill == 0) {
      return fail(ErrorCode::kInvalidArgument, "must be at least 1", "config.idempotency.spillAt");
    }
    o.idem_spill_at = spill;
  }
  if (const auto* graph = obj.if_contains("genealogyGraph")) {
    if (!graph->is_object()) {
      return fail(ErrorCode::kInvalidArgument, "must be an object", "config.genealogyGraph");
    }
    if (auto r = only_known(graph->as_object(), kGraphKeys, "config.genealogyGraph"); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = read_uint(graph->as_object(), "saveEveryRecords",
                           "config.genealogyGraph.saveEveryRecords", 1ull << 40,
                           out.graph_save.every_records);
        !r) {
      return std::unexpected(r.error());
    }
    std::uint64_t seconds = static_cast<std::uint64_t>(out.graph_save.interval.count());
    if (auto r = read_uint(graph->as_object(), "saveIntervalSeconds",
                           "config.genealogyGraph.saveIntervalSeconds", 86'400, seconds);
        !r) {
      return std::unexpected(r.error());
    }
    out.graph_save.interval = std::chrono::seconds(seconds);
  }
  if (auto r = read_uint(obj, "blockCacheMegabytes", "config.blockCacheMegabytes", kMaxBlockCacheMb,
                         out.block_cache_mb);
      !r) {
    return std::unexpected(r.error());
  }
  if (out.block_cache_mb < kMinBlockCacheMb) {
    return fail(ErrorCode::kInvalidArgument, "must be at least " + std::to_string(kMinBlockCacheMb),
                "config.blockCacheMegabytes");
  }
  return out;
}

}  // namespace custody::ledger
