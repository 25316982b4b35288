// The enterprise view: many sites' copies, one recall (enterprise.h, docs/enterprise.md).
#include "custody/domain/enterprise.h"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_parse.h"
#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/domain/plant.h"
#include "custody/domain/projections.h"
#include "custody/ledger/record.h"
#include "custody/ledger/replica.h"
#include "received.h"
#include "state_access.h"

namespace custody::domain {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

Result<void> only(const json::object& obj, std::initializer_list<std::string_view> known,
                  const std::string& path) {
  for (const auto& member : obj) {
    if (std::find(known.begin(), known.end(), member.key()) == known.end()) {
      return fail(ErrorCode::kInvalidArgument, "is not an enterprise setting (misspelt?)",
                  path + "." + std::string(member.key()));
    }
  }
  return {};
}

Result<std::string> text_at(const json::object& obj, std::string_view key, const std::string& path,
                            bool required) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) {
    if (!required) return std::string();
    return fail(ErrorCode::kInvalidArgument, "is required", path + "." + std::string(key));
  }
  if (!v->is_string() || (required && v->as_string().empty())) {
    return fail(ErrorCode::kInvalidArgument, "must be a non-empty string",
                path + "." + std::string(key));
  }
  return std::string(v->as_string());
}

bool plain_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

Result<EnterpriseSiteConfig> site_config(const json::value& v, const std::string& path) {
  if (!v.is_object()) return fail(ErrorCode::kInvalidArgument, "must be an object", path);
  const auto& obj = v.as_object();
  if (auto ok = only(obj, {"site", "dir", "gln", "parties", "own"}, path); !ok) {
    return std::unexpected(ok.error());
  }
  EnterpriseSiteConfig site;
  auto name = text_at(obj, "site", path, true);
  if (!name) return std::unexpected(name.error());
  if (!plain_name(*name)) {
    return fail(ErrorCode::kInvalidArgument,
                "must be 1 to 64 letters, digits, '-' or '_' (the name the site publishes under)",
                path + ".site");
  }
  site.site = *name;
  auto dir = text_at(obj, "dir", path, false);
  if (!dir) return std::unexpected(dir.error());
  site.dir = dir->empty() ? site.site : *dir;
  auto gln = text_at(obj, "gln", path, false);
  if (!gln) return std::unexpected(gln.error());
  if (!gln->empty() && (gln->size() != 13 || !std::all_of(gln->begin(), gln->end(), [](char c) {
                          return c >= '0' && c <= '9';
                        }))) {
    return fail(ErrorCode::kInvalidArgument, "must be a GLN: 13 digits", path + ".gln");
  }
  site.gln = *gln;
  if (const auto* own = obj.if_contains("own")) {
    if (!own->is_bool()) {
      return fail(ErrorCode::kInvalidArgument, "must be true or false", path + ".own");
    }
    site.own = own->as_bool();
  }
  if (const auto* parties = obj.if_contains("parties")) {
    if (!parties->is_array()) {
      return fail(ErrorCode::kInvalidArgument, "must be an array of party ids", path + ".parties");
    }
    for (std::size_t i = 0; i < parties->as_array().size(); ++i) {
      const auto& p = parties->as_array()[i];
      if (!p.is_string() || p.as_string().empty()) {
        return fail(ErrorCode::kInvalidArgument, "must be a party id",
                    path + ".parties[" + std::to_string(i) + "]");
      }
      site.parties.emplace_back(p.as_string());
    }
  }
  return site;
}

// What a receipt said: the first record of the lot's stream.
struct Receipt {
  std::string supplier, supplier_lot, document, sscc;
  std::int64_t qty = 0;
  TimeNs at = 0;
  std::uint64_t seq = 0;
};

std::optional<Receipt> receipt_of(const ledger::Snapshot& snap, std::string_view lot) {
  auto in_force = received_in_force(snap, lot);
  if (!in_force) return std::nullopt;
  codec::MessageView view(in_force->payload);
  auto r = view.root<s::LotReceived>();
  return Receipt{
      str(r.getSupplier()), str(r.getSupplierLot()), str(r.getDocument()), str(r.getSscc()),
      r.getQty(),           in_force->recorded_at,   in_force->seq};
}

// Why a shipment line and a receipt (from the shipping site, of its lot) are the same goods,
// strongest first. A receipt of the lot from the site is always followed: a recall rather
// reaches too much than too little.
std::string basis(const RecallShipment& shipped, const Receipt& received, bool customer_is_site) {
  const bool both_pallets = !shipped.sscc.empty() && !received.sscc.empty();
  if (both_pallets && shipped.sscc == received.sscc) return "sscc";
  if (!received.document.empty() && received.document == shipped.shipment) return "bol";
  if (customer_is_site && !both_pallets) return "lot";
  return "supplierLot";
}

// How strong a basis is: sscc 4, bol 3, lot 2, supplierLot 1.
int rank(std::string_view basis) {
  return basis == "sscc" ? 4 : basis == "bol" ? 3 : basis == "lot" ? 2 : 1;
}

}  // namespace

Result<EnterpriseConfig> load_enterprise_config(const fs::path& dir) {
  auto text = read_file(dir / kEnterpriseConfigFile);
  if (!text) {
    if (text.error().code == ErrorCode::kNotFound) {
      return fail(ErrorCode::kNotFound,
                  (dir / kEnterpriseConfigFile).string() +
                      " does not exist: an enterprise directory names its sites there",
                  "dir");
    }
    return std::unexpected(text.error());
  }
  auto parsed = codec::parse_json(*text, "enterprise");
  if (!parsed) return std::unexpected(parsed.error());
  if (!parsed->is_object()) {
    return fail(ErrorCode::kInvalidArgument, "enterprise.json is not a JSON object", "enterprise");
  }
  const auto& obj = parsed->as_object();
  if (auto ok = only(obj, {"sites", "staleAfterSeconds"}, "enterprise"); !ok) {
    return std::unexpected(ok.error());
  }
  EnterpriseConfig config;
  if (const auto* stale = obj.if_contains("staleAfterSeconds")) {
    constexpr std::int64_t kYear = 31'536'000;
    if (!stale->is_int64() || stale->as_int64() <= 0 || stale->as_int64() > kYear) {
      return fail(ErrorCode::kInvalidArgument, "must be a whole number of seconds, 1 to 31536000",
                  "enterprise.staleAfterSeconds");
    }
    config.stale_after_seconds = static_cast<std::uint64_t>(stale->as_int64());
  }
  const auto* sites = obj.if_contains("sites");
  if (sites == nullptr || !sites->is_array() || sites->as_array().empty()) {
    return fail(ErrorCode::kInvalidArgument, "must list the enterprise's sites",
                "enterprise.sites");
  }
  std::map<std::string, std::string> claimed;  // party id -> site
  for (std::size_t i = 0; i < sites->as_array().size(); ++i) {
    const std::string path = "enterprise.sites[" + std::to_string(i) + "]";
    auto site = site_config(sites->as_array()[i], path);
    if (!site) return std::unexpected(site.error());
    for (const auto& other : config.sites) {
      if (other.site == site->site) {
        return fail(ErrorCode::kInvalidArgument, "site " + site->site + " is named twice",
                    path + ".site");
      }
      if (!site->gln.empty() && other.gln == site->gln) {
        return fail(ErrorCode::kInvalidArgument,
                    "GLN " + site->gln + " is also site " + other.site + "'s", path + ".gln");
      }
    }
    for (const auto& party : site->parties) {
      if (auto [at, fresh] = claimed.emplace(party, site->site); !fresh) {
        return fail(ErrorCode::kInvalidArgument,
                    "party " + party + " is also site " + at->second + "'s", path + ".parties");
      }
    }
    config.sites.push_back(std::move(*site));
  }
  return config;
}

Result<void> write_synced(const fs::path& copy, std::uint64_t seq, TimeNs at) {
  return replace_file(copy / kSyncedFile, std::to_string(seq) + " " + std::to_string(at) + "\n",
                      0644);
}

struct Enterprise::Held {
  fs::path dir;
  bool copy = false;
  std::unique_ptr<ledger::Ledger> ledger;
  PlantMachine* plant = nullptr;  // with its genealogy graph, when the enterprise keeps graphs
  std::string catch_up_error;     // why the last catch-up failed ("" when it did not)
};

namespace {

struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// A lot at another site.
struct Far {
  std::size_t site = 0;
  std::string lot;
};

template <typename V>
using ByName = boost::unordered_flat_map<std::string, V, NameHash, std::equal_to<>>;

}  // namespace

// Every crossing between sites: per site, its shipped lots and the sister sites' lots that
// continue them, and its received lots and the sister site's lot each continues.
struct Enterprise::Links {
  std::vector<ByName<std::vector<Far>>> out, in;
  std::size_t count = 0;
};

// A clean close saves the graphs of the copies (in ENT/graphs; a site's own ledger's graph is
// its host's to save), so that the next open reads them and only the records after them.
Enterprise::~Enterprise() {
  for (auto& held : held_) {
    if (held->plant == nullptr || !held->copy) continue;
    std::error_code ec;
    fs::create_directories(dir_ / kGraphsDir, ec);
    (void)held->plant->save_graph(held->ledger->store());  // best effort: else a slower open
  }
}

namespace {

// The index of `site` in enterprise.json; kNotFound (field "site") for a site it does not name.
Result<std::size_t> site_index(const EnterpriseConfig& config, std::string_view site) {
  for (std::size_t i = 0; i < config.sites.size(); ++i) {
    if (config.sites[i].site == site) return i;
  }
  return fail(ErrorCode::kNotFound, "the enterprise has no site " + std::string(site), "site");
}

// Which of site `b`'s parties are sister sites (by the ids the enterprise names, or the GLN):
// party id -> site index.
std::map<std::string, std::size_t, std::less<>> sisters_at(const EnterpriseConfig& config,
                                                           const ledger::Snapshot& snap,
                                                           std::size_t b) {
  std::map<std::string, std::size_t, std::less<>> out;
  const std::string prefix = keys::entity("party", "");
  auto entities = snap.scanner(snap.family(kEntitiesCf));
  entities->scan_prefix(prefix, [&](std::string_view key, std::string_view value) {
    const std::string id(key.substr(prefix.size()));
    codec::MessageView view(value);
    const std::string gln = str(view.root<s::Party>().getGln());
    for (std::size_t a = 0; a < config.sites.size(); ++a) {
      const auto& c = config.sites[a];
      if (a == b) continue;
      if (std::find(c.parties.begin(), c.parties.end(), id) != c.parties.end() ||
          (!gln.empty() && gln == c.gln)) {
        out.emplace(id, a);
      }
    }
    return true;
  });
  return out;
}

}  // namespace

Result<void> Enterprise::read_links() {
  const std::size_t n = held_.size();
  auto links = std::make_unique<Links>();
  links->out.resize(n);
  links->in.resize(n);
  std::vector<std::unique_ptr<ledger::Snapshot>> snaps;
  for (auto& held : held_) snaps.push_back(held->ledger->snapshot());
  auto r = ledger::reading([&]() -> Result<void> {
    for (std::size_t b = 0; b < n; ++b) {
      auto index = snaps[b]->scanner(snaps[b]->family(kIndexCf));
      for (const auto& [party, a] : sisters_at(config_, *snaps[b], b)) {
        // supplier_lot/<party> 0x00 <supplier lot> 0x00 <lot>: every receipt from that site.
        std::string prefix = keys::supplier_lot_prefix(party, "");
        prefix.pop_back();
        std::vector<std::pair<std::string, std::string>> receipts;
        index->scan_prefix(prefix, [&](std::string_view key, std::string_view) {
          const std::string_view rest = key.substr(prefix.size());
          const auto cut = rest.find('\0');
          if (cut != std::string_view::npos) {
            receipts.emplace_back(rest.substr(0, cut), rest.substr(cut + 1));
          }
          return true;
        });
        for (const auto& [shipped_lot, received_lot] : receipts) {
          // As the recall matches: the receipt as corrected, of a lot that site shipped.
          const auto receipt = receipt_of(*snaps[b], received_lot);
          if (!receipt || receipt->supplier != party || receipt->supplier_lot != shipped_lot) {
            continue;
          }
          auto lot = snaps[a]->get(snaps[a]->family(kEntitiesCf), keys::entity("lot", shipped_lot));
          if (!lot) continue;
          codec::MessageView view(*lot);
          if (view.root<s::Lot>().getShipped() <= 0) continue;
          links->out[a][shipped_lot].push_back(Far{b, received_lot});
          links->in[b][received_lot].push_back(Far{a, shipped_lot});
          ++links->count;
        }
      }
    }
    return {};
  });
  if (!r) return r;
  links_ = std::move(links);
  return {};
}

const GenealogyGraph* Enterprise::graph_of(std::size_t i) const {
  return held_[i]->plant != nullptr ? held_[i]->plant->graph() : nullptr;
}

Result<std::unique_ptr<Enterprise>> Enterprise::open(const fs::path& dir, const Clock& clock,
                                                     EnterpriseOptions options) {
  auto config = load_enterprise_config(dir);
  if (!config) return std::unexpected(config.error());
  std::unique_ptr<Enterprise> e(new Enterprise());
  e->dir_ = dir;
  e->config_ = std::move(*config);
  e->clock_ = &clock;
  for (std::size_t i = 0; i < e->config_.sites.size(); ++i) {
    const auto& site = e->config_.sites[i];
    const std::string path = "sites[" + std::to_string(i) + "]";
    auto held = std::make_unique<Held>();
    held->dir = site.dir.is_absolute() ? site.dir : dir / site.dir;
    auto info = ledger::read_replica_info(held->dir);
    if (!info) return fail(info.error().code, info.error().message, path + ".dir");
    if (*info && (*info)->site != site.site) {
      return fail(ErrorCode::kInvalidArgument,
                  held->dir.string() + " is a copy of site " + (*info)->site + ", not " + site.site,
                  path + ".site");
    }
    held->copy = info->has_value();
    PlantOptions plant{.genealogy_graph = options.graphs, .lot_table = options.lot_tables};
    // A copy's graph is kept here, not in the copy, which only its follower writes.
    if (info->has_value()) plant.graph_file = dir / kGraphsDir / (site.site + ".graph");
    auto machine = make_state_machine(plant);
    if (options.graphs) held->plant = machine.get();
    auto ledger =
        ledger::Ledger::open_dir(held->dir, ledger::OpenMode::kReadOnly, std::move(machine));
    if (!ledger) {
      return fail(ledger.error().code, held->dir.string() + ": " + ledger.error().message,
                  path + ".dir");
    }
    if (held->copy && site.own) {
      return fail(ErrorCode::kInvalidArgument,
                  held->dir.string() + " is a follower's copy, not the site's own ledger",
                  path + ".own");
    }
    if (!held->copy && !site.own) {
      return fail(ErrorCode::kInvalidArgument,
                  held->dir.string() +
                      " is not a follower's copy; say \"own\": true if it is the site's own "
                      "ledger on this node",
                  path + ".dir");
    }
    held->ledger = std::move(*ledger);
    e->held_.push_back(std::move(held));
  }
  if (auto r = e->read_links(); !r) return std::unexpected(r.error());
  return e;
}

void Enterprise::refresh() {
  // At most once a second, and never behind a recall: a reader's snapshot of a secondary
  // instance is no RocksDB snapshot, so a catch-up must not run while one reads (mu_). A
  // refresh skipped here is taken by a later request.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refresh_.load() < std::chrono::seconds(1)) return;
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  last_refresh_ = now;
  bool moved = false;
  for (auto& held : held_) {
    const std::uint64_t before = held->ledger->head().seq;
    auto r = held->ledger->store().catch_up();
    held->catch_up_error = r ? std::string() : r.error().message;
    if (r && held->plant != nullptr) {
      // The copy's new records, into its graph (the follower projected them already).
      auto g = held->plant->catch_up_graph(held->ledger->store());
      if (!g) held->catch_up_error = "its genealogy graph: " + g.error().message;
    }
    moved = moved || held->ledger->head().seq != before;
  }
  if (moved) {
    if (auto r = read_links(); !r) {
      for (auto& held : held_) held->catch_up_error = "cross-site links: " + r.error().message;
    }
  }
}

SiteStatus Enterprise::status_of(std::size_t i, const ledger::Snapshot& snap) const {
  SiteStatus s;
  s.site = config_.sites[i].site;
  s.copy = held_[i]->copy;
  s.error = held_[i]->catch_up_error;
  s.seq = snap.head().seq;
  s.last_record_at = snap.head().recorded_at;
  const TimeNs now = clock_->now();
  if (!s.copy) {  // the site's own ledger, as enterprise.json says
    s.synced_at = now;
    s.stale = !s.error.empty();
    return s;
  }
  if (auto text = read_file(held_[i]->dir / kSyncedFile, 256)) {
    std::uint64_t seq = 0;
    long long at = 0;
    if (std::sscanf(text->c_str(), "%lu %lld", &seq, &at) == 2 && at > 0) s.synced_at = at;
  }
  const TimeNs since = s.synced_at != 0 ? s.synced_at : s.last_record_at;
  s.age_seconds = since > 0 && now > since ? static_cast<double>(now - since) / 1e9 : 0;
  s.stale = s.synced_at == 0 || !s.error.empty() ||
            s.age_seconds > static_cast<double>(config_.stale_after_seconds);
  return s;
}

std::vector<SiteStatus> Enterprise::status() const {
  std::shared_lock lock(mu_);
  std::vector<SiteStatus> out;
  for (std::size_t i = 0; i < held_.size(); ++i) {
    auto snap = held_[i]->ledger->snapshot();
    out.push_back(status_of(i, *snap));
  }
  return out;
}

Result<EnterpriseRecall> Enterprise::recall(std::string_view site, std::string_view lot) const {
  const auto started = std::chrono::steady_clock::now();
  std::shared_lock lock(mu_);
  const std::size_t n = held_.size();
  auto start = site_index(config_, site);
  if (!start) return std::unexpected(start.error());
  const std::size_t first = *start;
  std::vector<std::unique_ptr<ledger::Snapshot>> snaps;
  for (auto& held : held_) snaps.push_back(held->ledger->snapshot());

  // Which of each site's parties are sister sites.
  std::vector<std::map<std::string, std::size_t, std::less<>>> sister(n);
  return ledger::reading([&]() -> Result<EnterpriseRecall> {
    for (std::size_t b = 0; b < n; ++b) sister[b] = sisters_at(config_, *snaps[b], b);

    EnterpriseRecall out;
    out.site = std::string(site);
    out.lot = std::string(lot);
    out.sites.resize(n);
    std::vector<std::set<std::string>> starts(n);
    std::vector<bool> pending(n, false);
    starts[first].insert(std::string(lot));
    pending[first] = true;
    std::set<std::tuple<std::uint64_t, std::size_t, std::string>> seen;  // shipped seq, to
    std::set<std::pair<std::size_t, std::uint64_t>> followed;            // site, shipped seq
    // The edges from site a's shipment `lines` of one lot to lot `received_lot` of site b:
    // those of the strongest basis any line has (every line matches at least on the lot code).
    const auto connect = [&](std::size_t a, std::size_t b,
                             const std::vector<const RecallShipment*>& lines,
                             const std::string& received_lot, const Receipt& receipt) {
      const auto customer_is = [&](const RecallShipment& line) {
        const auto c = sister[a].find(line.customer);
        return c != sister[a].end() && c->second == b;
      };
      int best = 0;
      for (const auto* line : lines) {
        best = std::max(best, rank(basis(*line, receipt, customer_is(*line))));
      }
      for (const auto* line : lines) {
        const std::string why = basis(*line, receipt, customer_is(*line));
        if (rank(why) != best || !seen.emplace(line->seq, b, received_lot).second) continue;
        followed.emplace(a, line->seq);
        out.edges.push_back(CrossSiteEdge{
            config_.sites[a].site, line->lot, config_.sites[b].site, received_lot, why,
            line->shipment, why == "sscc" ? line->sscc : std::string(), line->uom, line->qty,
            receipt.qty, line->at, receipt.at, line->seq, receipt.seq});
      }
    };
    // A site's recall runs again, from more lots, when a receipt reaches it: its shipped lots
    // already matched are not matched again.
    std::set<std::pair<std::size_t, std::string>> matched;  // site, shipped lot
    for (bool more = true; more;) {
      more = false;
      for (std::size_t a = 0; a < n; ++a) {
        if (!pending[a]) continue;
        pending[a] = false;
        RecallScope scope;
        scope.from = RecallScope::From::kLots;
        scope.lots.assign(starts[a].begin(), starts[a].end());
        auto report = build_recall(*snaps[a], scope, graph_of(a));
        if (!report) {
          if (a == first && report.error().code == ErrorCode::kNotFound) {
            return fail(ErrorCode::kNotFound,
                        "lot " + std::string(lot) + " does not exist at site " + out.site +
                            " (as far as its copy reaches)",
                        "lot");
          }
          return std::unexpected(report.error());
        }
        out.sites[a].reached = true;
        out.sites[a].report = std::move(*report);
        // Each shipped lot, received at a sister site: that site's lot carries on from it,
        // through the shipment lines that match its receipt best.
        std::map<std::string, std::vector<const RecallShipment*>> by_lot;
        for (const auto& shipped : out.sites[a].report.shipments) {
          by_lot[shipped.lot].push_back(&shipped);
        }
        for (const auto& [shipped_lot, lines] : by_lot) {
          if (!matched.emplace(a, shipped_lot).second) continue;
          for (std::size_t b = 0; b < n; ++b) {
            if (b == a) continue;
            auto index = snaps[b]->scanner(snaps[b]->family(kIndexCf));
            for (const auto& [party, of] : sister[b]) {
              if (of != a) continue;
              const std::string prefix = keys::supplier_lot_prefix(party, shipped_lot);
              std::vector<std::string> received_lots;
              index->scan_prefix(prefix, [&](std::string_view key, std::string_view) {
                received_lots.emplace_back(keys::parse_supplier_lot(key, prefix));
                return true;
              });
              for (const auto& received_lot : received_lots) {
                const auto receipt = receipt_of(*snaps[b], received_lot);
                if (!receipt) continue;
                connect(a, b, lines, received_lot, *receipt);
                if (starts[b].insert(received_lot).second) {
                  pending[b] = true;
                  more = true;
                }
              }
            }
          }
        }
      }
    }
    for (std::size_t i = 0; i < n; ++i) out.sites[i].status = status_of(i, *snaps[i]);
    // Transfers to a sister site that no receipt there continues: said, not dropped.
    for (std::size_t a = 0; a < n; ++a) {
      for (const auto& shipped : out.sites[a].report.shipments) {
        const auto to = sister[a].find(shipped.customer);
        if (to == sister[a].end() || followed.contains({a, shipped.seq})) continue;
        out.unfollowed.push_back(
            UnfollowedTransfer{config_.sites[a].site, config_.sites[to->second].site, shipped});
      }
    }
    // Shipments to sister sites are transfers inside the enterprise, not customers to call.
    for (std::size_t a = 0; a < n; ++a) {
      std::erase_if(out.sites[a].report.customers,
                    [&](const RecallCustomer& c) { return sister[a].contains(c.customer); });
    }
    out.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return out;
  });
}

Result<EnterpriseTrace> Enterprise::trace(std::string_view site, std::string_view lot,
                                          Direction direction) const {
  const auto started = std::chrono::steady_clock::now();
  std::shared_lock lock(mu_);
  const std::size_t n = held_.size();
  auto start = site_index(config_, site);
  if (!start) return std::unexpected(start.error());
  const std::size_t first = *start;
  std::vector<std::unique_ptr<ledger::Snapshot>> snaps;
  for (auto& held : held_) snaps.push_back(held->ledger->snapshot());
  return ledger::reading([&]() -> Result<EnterpriseTrace> {
    if (!snaps[first]->get(snaps[first]->family(kEntitiesCf), keys::entity("lot", lot))) {
      return fail(ErrorCode::kNotFound,
                  "lot " + std::string(lot) + " does not exist at site " + std::string(site) +
                      " (as far as its copy reaches)",
                  "lot");
    }
    EnterpriseTrace out;
    out.site = std::string(site);
    out.lot = std::string(lot);
    out.direction = direction;
    out.graphs = true;
    out.reached.assign(n, 0);
    const auto& crossings = direction == Direction::kForward ? links_->out : links_->in;
    std::vector<boost::unordered_flat_set<std::string, NameHash, std::equal_to<>>> seen(n);
    std::vector<std::vector<std::string>> starts(n);
    starts[first].emplace_back(lot);
    // Round by round: each round traces every site some crossing entered in the last one.
    for (std::uint32_t hops = 0;; ++hops) {
      std::vector<std::vector<std::string>> next(n);
      bool any = false;
      for (std::size_t a = 0; a < n; ++a) {
        if (starts[a].empty()) continue;
        Trace t;
        if (const auto* graph = graph_of(a)) {
          t = graph->trace(starts[a], direction, 0, snaps[a]->head().seq);
        } else {
          out.graphs = false;
          auto walked = trace_snapshot(*snaps[a], starts[a], direction, 0);
          if (!walked) return std::unexpected(walked.error());
          t = std::move(*walked);
        }
        out.edges += t.edges.size();
        for (const auto& reached : t.lots) {
          if (!seen[a].emplace(reached.lot).second) continue;
          out.lots.push_back(
              EnterpriseTrace::Lot{a, std::string(reached.lot), hops, reached.depth});
          ++out.reached[a];
          const auto far = crossings[a].find(reached.lot);
          if (far == crossings[a].end()) continue;
          for (const auto& to : far->second) {
            if (seen[to.site].contains(to.lot)) continue;
            out.links.push_back(
                EnterpriseTrace::Link{a, to.site, std::string(reached.lot), to.lot});
            next[to.site].push_back(to.lot);
            any = true;
          }
        }
      }
      if (!any) break;
      starts = std::move(next);
    }
    for (std::size_t i = 0; i < n; ++i) out.sites.push_back(status_of(i, *snaps[i]));
    out.elapsed_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    return out;
  });
}

Enterprise::GraphSize Enterprise::graph_size() const {
  std::shared_lock lock(mu_);
  GraphSize size;
  for (std::size_t i = 0; i < held_.size(); ++i) {
    if (const auto* graph = graph_of(i)) {
      size.lots += graph->lot_count();
      size.edges += graph->edge_count();
      size.bytes += graph->memory_bytes();
      size.table_lots += graph->lots().size();
    }
  }
  size.links = links_->count;
  return size;
}

void write_site_status_json(const SiteStatus& s, codec::JsonWriter& out) {
  out.begin_object();
  out.key("site").string(s.site);
  out.key("copy").boolean(s.copy);
  out.key("seq").uint64(s.seq);
  out.key("lastRecordAt");
  if (s.last_record_at != 0) {
    out.string(format_rfc3339(s.last_record_at));
  } else {
    out.null();
  }
  out.key("syncedAt");
  if (s.synced_at != 0) {
    out.string(format_rfc3339(s.synced_at));
  } else {
    out.null();
  }
  out.key("ageSeconds").number(std::round(s.age_seconds * 10) / 10);
  out.key("stale").boolean(s.stale);
  if (!s.error.empty()) out.key("error").string(s.error);
  out.end_object();
}

void write_enterprise_recall_json(const EnterpriseRecall& r, codec::JsonWriter& out) {
  out.begin_object();
  out.key("start").begin_object().key("site").string(r.site).key("lot").string(r.lot).end_object();
  out.key("elapsedMs").number(std::round(r.elapsed_ms * 100) / 100);
  std::size_t sites = 0, lots = 0, shipments = 0, customers = 0, stale = 0;
  for (const auto& s : r.sites) {
    if (!s.reached) continue;
    ++sites;
    lots += s.report.lots.size();
    shipments += s.report.shipments.size();
    customers += s.report.customers.size();
    if (s.status.stale) ++stale;
  }
  out.key("summary").begin_object();
  out.key("sitesReached").uint64(sites).key("lots").uint64(lots);
  out.key("shipments").uint64(shipments).key("customers").uint64(customers);
  out.key("crossSiteEdges").uint64(r.edges.size()).key("staleSitesReached").uint64(stale);
  out.key("unfollowedTransfers").uint64(r.unfollowed.size());
  out.end_object();
  out.key("sites").begin_array();
  for (const auto& s : r.sites) {
    out.begin_object();
    out.key("status");
    write_site_status_json(s.status, out);
    out.key("reached").boolean(s.reached);
    if (s.reached) {
      out.key("recall");
      write_recall_json(s.report, out);
    }
    out.end_object();
  }
  out.end_array();
  out.key("edges").begin_array();
  for (const auto& e : r.edges) {
    out.begin_object();
    out.key("fromSite").string(e.from_site).key("fromLot").string(e.from_lot);
    out.key("toSite").string(e.to_site).key("toLot").string(e.to_lot);
    out.key("basis").string(e.basis).key("shipment").string(e.shipment);
    if (!e.sscc.empty()) out.key("sscc").string(e.sscc);
    out.key("shipped").decimal(e.shipped, 3).key("received").decimal(e.received, 3);
    out.key("uom").string(e.uom);
    out.key("shippedAt").string(format_rfc3339(e.shipped_at));
    out.key("receivedAt").string(format_rfc3339(e.received_at));
    out.key("shippedSeq").uint64(e.shipped_seq).key("receivedSeq").uint64(e.received_seq);
    out.end_object();
  }
  out.end_array();
  out.key("unfollowedTransfers").begin_array();
  for (const auto& u : r.unfollowed) {
    out.begin_object();
    out.key("fromSite").string(u.from_site).key("toSite").string(u.to_site);
    out.key("lot").string(u.shipment.lot).key("shipment").string(u.shipment.shipment);
    if (!u.shipment.sscc.empty()) out.key("sscc").string(u.shipment.sscc);
    out.key("qty").decimal(u.shipment.qty, 3).key("uom").string(u.shipment.uom);
    out.key("shippedAt").string(format_rfc3339(u.shipment.at));
    out.key("shippedSeq").uint64(u.shipment.seq);
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

}  // namespace custody::domain

namespace custody::domain {

void write_enterprise_trace_json(const EnterpriseTrace& t, codec::JsonWriter& out) {
  out.begin_object();
  out.key("start").begin_object().key("site").string(t.site).key("lot").string(t.lot).end_object();
  out.key("direction").string(t.direction == Direction::kForward ? "forward" : "backward");
  out.key("elapsedMs").number(std::round(t.elapsed_ms * 100) / 100);
  out.key("fromGraphs").boolean(t.graphs);
  std::size_t sites = 0, stale = 0;
  for (std::size_t i = 0; i < t.sites.size(); ++i) {
    if (t.reached[i] == 0) continue;
    ++sites;
    if (t.sites[i].stale) ++stale;
  }
  out.key("summary").begin_object();
  out.key("sitesReached").uint64(sites).key("lots").uint64(t.lots.size());
  out.key("edges").uint64(t.edges).key("crossSiteLinks").uint64(t.links.size());
  out.key("staleSitesReached").uint64(stale);
  out.end_object();
  out.key("sites").begin_array();
  for (std::size_t i = 0; i < t.sites.size(); ++i) {
    out.begin_object();
    out.key("status");
    write_site_status_json(t.sites[i], out);
    out.key("lots").uint64(t.reached[i]);
    out.end_object();
  }
  out.end_array();
  out.key("lots").begin_array();
  for (const auto& l : t.lots) {
    out.begin_object();
    out.key("site").string(t.sites[l.site].site).key("lot").string(l.lot);
    out.key("hops").uint64(l.hops).key("depth").uint64(l.depth);
    out.end_object();
  }
  out.end_array();
  out.key("links").begin_array();
  for (const auto& l : t.links) {
    out.begin_object();
    out.key("fromSite").string(t.sites[l.from_site].site).key("fromLot").string(l.from_lot);
    out.key("toSite").string(t.sites[l.to_site].site).key("toLot").string(l.to_lot);
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

}  // namespace custody::domain
