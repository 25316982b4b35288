// The enterprise view: many sites' copies, one recall (enterprise.h, docs/enterprise.md).
#include "custody/domain/enterprise.h"

#include <algorithm>
#include <boost/json.hpp>
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
  std::string catch_up_error;  // why the last catch-up failed ("" when it did not)
};

Enterprise::~Enterprise() = default;

Result<std::unique_ptr<Enterprise>> Enterprise::open(const fs::path& dir, const Clock& clock) {
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
    auto ledger =
        ledger::Ledger::open_dir(held->dir, ledger::OpenMode::kReadOnly, make_state_machine());
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
  for (auto& held : held_) {
    auto r = held->ledger->store().catch_up();
    held->catch_up_error = r ? std::string() : r.error().message;
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
  std::size_t first = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (config_.sites[i].site == site) first = i;
  }
  if (first == n) {
    return fail(ErrorCode::kNotFound, "the enterprise has no site " + std::string(site), "site");
  }
  std::vector<std::unique_ptr<ledger::Snapshot>> snaps;
  for (auto& held : held_) snaps.push_back(held->ledger->snapshot());

  // Which of each site's parties are sister sites: by the ids the enterprise names, or the GLN.
  std::vector<std::map<std::string, std::size_t, std::less<>>> sister(n);
  return ledger::reading([&]() -> Result<EnterpriseRecall> {
    for (std::size_t b = 0; b < n; ++b) {
      const std::string prefix = keys::entity("party", "");
      auto entities = snaps[b]->scanner(snaps[b]->family(kEntitiesCf));
      entities->scan_prefix(prefix, [&](std::string_view key, std::string_view value) {
        const std::string id(key.substr(prefix.size()));
        codec::MessageView view(value);
        const std::string gln = str(view.root<s::Party>().getGln());
        for (std::size_t a = 0; a < n; ++a) {
          const auto& c = config_.sites[a];
          if (a == b) continue;
          if (std::find(c.parties.begin(), c.parties.end(), id) != c.parties.end() ||
              (!gln.empty() && gln == c.gln)) {
            sister[b].emplace(id, a);
          }
        }
        return true;
      });
    }

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
        auto report = build_recall(*snaps[a], scope, nullptr);
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
