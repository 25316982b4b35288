// The enterprise view: one recall across many sites. An enterprise node holds a follower's
// copy of each site's ledger (docs/replication.md) in one directory, with enterprise.json
// saying which site each copy is and by which party ids and GLN the other sites know it.
// A shipment at one site and the receipt of that lot at another become a cross-site edge, so
// a recall that starts at one site follows the product into the others.
//
//   ENT/enterprise.json   {"staleAfterSeconds": 300,
//                          "sites": [{"site": "plant-a", "dir": "plant-a",
//                                     "gln": "0614141000005", "parties": ["PLANT-A"]}, ...]}
//                         ("own": true: the site's own ledger on this node, not a copy)
//   ENT/plant-a/          a follower's copy (custody follow ENT/plant-a --site plant-a ...)
//   ENT/plant-a/SYNCED    "<seq> <ns>": when the follower last found nothing newer to take
//   ENT/graphs/plant-a.graph  the copy's genealogy graph as the server's last close saved it
//
// Matching (docs/enterprise.md): a lot received at site B whose supplier is site A (a party
// whose id is one of A's `parties` or whose GLN is A's `gln`) and whose supplier lot is a lot
// A shipped is that lot's continuation. Each edge says on which grounds, the strongest of:
//   sscc         the shipment and the receipt name the same SSCC;
//   bol          the receipt's document is the shipment's number (its bill of lading);
//   lot          the shipment went to a customer that is site B (the lot code and both parties),
//                and they do not name two different pallets;
//   supplierLot  only the supplier and its lot code agree.
//
// Every answer says, for each site, how far its copy reaches (seq), when the follower last
// had everything the broker had (syncedAt), and whether that is older than staleAfterSeconds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/domain/recall.h"
#include "custody/ledger/ledger.h"

namespace custody::domain {

inline constexpr std::string_view kEnterpriseConfigFile = "enterprise.json";
inline constexpr std::string_view kSyncedFile = "SYNCED";
inline constexpr std::string_view kGraphsDir = "graphs";  // ENT/graphs/<site>.graph

struct EnterpriseSiteConfig {
  std::string site;                  // the name it publishes under
  std::filesystem::path dir;         // its copy; relative paths from the enterprise directory
  std::string gln;                   // the GLN of its location, as other sites' parties carry it
  std::vector<std::string> parties;  // the party ids other sites know it by
  bool own = false;  // `dir` is the site's own ledger on this node, not a follower's copy
};

struct EnterpriseConfig {
  std::vector<EnterpriseSiteConfig> sites;
  std::uint64_t stale_after_seconds = 300;
};

// Reads ENT/enterprise.json. Errors: kNotFound (field "dir") without one; kInvalidArgument
// with the JSON path of the setting at fault (unknown keys, a site named twice, a bad name).
[[nodiscard]] Result<EnterpriseConfig> load_enterprise_config(const std::filesystem::path& dir);

// A follower records that its copy had all the broker held, as of `at` (DIR/SYNCED).
[[nodiscard]] Result<void> write_synced(const std::filesystem::path& copy, std::uint64_t seq,
                                        TimeNs at);

// How current one site's copy is.
struct SiteStatus {
  std::string site;
  bool copy = false;  // a follower's copy; false: the site's own ledger, current by definition
  std::uint64_t seq = 0;
  TimeNs last_record_at = 0;  // recordedAt of its newest record
  TimeNs synced_at = 0;       // 0: never said (a copy); now (its own ledger)
  double age_seconds = 0;     // now - synced_at (or - last_record_at when never synced)
  bool stale = false;         // age_seconds > staleAfterSeconds, or never synced, or `error`
  std::string error;          // why the last catch-up with its follower failed
};

// A shipped lot at one site continued as a received lot at another.
struct CrossSiteEdge {
  std::string from_site, from_lot, to_site, to_lot;
  std::string basis;  // "sscc", "bol" or "lot"
  std::string shipment, sscc, uom;
  std::int64_t shipped = 0, received = 0;  // milli-units
  TimeNs shipped_at = 0, received_at = 0;
  std::uint64_t shipped_seq = 0, received_seq = 0;
};

// A shipment to a sister site that no receipt there continues (yet): in transit, not in a
// stale copy yet, or received under another lot code. The recall cannot follow it; people must.
struct UnfollowedTransfer {
  std::string from_site, to_site;
  RecallShipment shipment;
};

struct EnterpriseRecall {
  std::string site, lot;  // where it started
  struct Site {
    SiteStatus status;
    bool reached = false;
    RecallReport report;  // when reached
  };
  std::vector<Site> sites;  // every site of the enterprise, in enterprise.json's order
  std::vector<CrossSiteEdge> edges;
  std::vector<UnfollowedTransfer> unfollowed;
  double elapsed_ms = 0;
};

// A trace across sites: the lots reached from one lot, forward or backward, crossing from a
// site to a sister site wherever a receipt there continues a lot the first site shipped.
struct EnterpriseTrace {
  std::string site, lot;  // where it started
  Direction direction = Direction::kForward;
  struct Lot {
    std::size_t site = 0;  // index into `sites`
    std::string lot;
    std::uint32_t hops = 0;   // site crossings from the start
    std::uint32_t depth = 0;  // within its site, from the lots the trace entered it by
  };
  std::vector<Lot> lots;  // site by site as reached: the start's site first
  struct Link {
    // From the site the trace was at to the one it crossed into: forward, a shipped lot to the
    // lot a sister site received it as; backward, a received lot to the lot it was shipped as.
    std::size_t from_site = 0, to_site = 0;
    std::string from_lot, to_lot;
  };
  std::vector<Link> links;
  std::size_t edges = 0;             // the edges followed inside the sites
  std::vector<SiteStatus> sites;     // every site, in enterprise.json's order
  std::vector<std::size_t> reached;  // per site: how many of `lots` are there
  bool graphs = false;  // answered from the sites' in-memory graphs (else their column families)
  double elapsed_ms = 0;
};

struct EnterpriseOptions {
  // Keep each site's genealogy graph in memory (a saved graph and its tail, or the family),
  // kept current by refresh(), for the server: recalls and traces then take milliseconds.
  // A copy's graph is saved in ENT/graphs when the enterprise closes. Without: each answer
  // walks the sites' column families (one-shot CLI commands).
  bool graphs = false;
  // With the graphs, keep each site's lot table too (PlantOptions::lot_table): recall
  // reports read no lot projection, for about 50 bytes a lot more memory.
  bool lot_tables = true;
};

class Enterprise {
 public:
  // Opens every site's directory read-only. Errors: those of load_enterprise_config; a
  // site's directory that is not a ledger, or not a follower's copy without "own" (field
  // "sites[i].dir"); a copy of another site than the one named (kInvalidArgument, field
  // "sites[i].site"); "own" on a follower's copy (field "sites[i].own").
  [[nodiscard]] static Result<std::unique_ptr<Enterprise>> open(const std::filesystem::path& dir,
                                                                const Clock& clock,
                                                                EnterpriseOptions options = {});
  ~Enterprise();
  Enterprise(const Enterprise&) = delete;
  Enterprise& operator=(const Enterprise&) = delete;

  [[nodiscard]] const EnterpriseConfig& config() const { return config_; }

  // Reads what the followers have written since the last refresh (any thread): at most once
  // a second, and skipped while a recall reads. A site whose catch-up fails says so in its
  // status (error, stale).
  void refresh();
  [[nodiscard]] std::vector<SiteStatus> status() const;
  // Forward from `lot` at `site`, across sites until nothing new is reached. Errors:
  // kNotFound (field "site") for a site the enterprise does not hold, (field "lot") for a lot
  // the site's copy does not hold.
  [[nodiscard]] Result<EnterpriseRecall> recall(std::string_view site, std::string_view lot) const;
  // From `lot` at `site`, across sites (the same matching as the recall: a receipt whose
  // supplier is a sister site and whose supplier lot is a lot that site shipped). Errors as
  // recall().
  [[nodiscard]] Result<EnterpriseTrace> trace(std::string_view site, std::string_view lot,
                                              Direction direction) const;
  // The lots and edges of the sites' in-memory graphs, and their bytes (zeros without).
  struct GraphSize {
    std::size_t lots = 0, edges = 0, bytes = 0, links = 0;
    std::size_t table_lots = 0;  // lots the graphs' lot tables hold
  };
  [[nodiscard]] GraphSize graph_size() const;

 private:
  Enterprise() = default;
  struct Held;
  struct Links;
  [[nodiscard]] SiteStatus status_of(std::size_t i, const ledger::Snapshot& snap) const;
  [[nodiscard]] const GenealogyGraph* graph_of(std::size_t i) const;
  // The crossings between sites, read again from every site's receipts (under mu_, exclusive).
  [[nodiscard]] Result<void> read_links();

  std::filesystem::path dir_;
  EnterpriseConfig config_;
  const Clock* clock_ = nullptr;
  std::vector<std::unique_ptr<Held>> held_;
  std::unique_ptr<Links> links_;
  std::atomic<std::chrono::steady_clock::time_point> last_refresh_{};
  // refresh() replays the writers' logs into the readers: not while a recall reads them.
  mutable std::shared_mutex mu_;
};

void write_site_status_json(const SiteStatus& s, codec::JsonWriter& out);
void write_enterprise_recall_json(const EnterpriseRecall& r, codec::JsonWriter& out);
void write_enterprise_trace_json(const EnterpriseTrace& t, codec::JsonWriter& out);

}  // namespace custody::domain
