// The FDA's electronic sortable spreadsheet for FSMA 204 (21 CFR 1.1455(c)(3)(ii)): the key
// data elements of each critical tracking event (receiving §1.1345, transformation §1.1350,
// shipping §1.1340) as CSV files, one row per lot line, for a recall, for a product over a
// date range, or for a list of traceability lot codes; with a glossary of the codes used, the
// data gaps found, and the parts of the traceability plan (§1.1315) the ledger can state.
//
// The traceability lot code (TLC) of a received lot is its supplier's lot code and its source
// is the supplier; a lot split off another keeps its parent's TLC (a split is not a
// transformation); a lot made here (produced, transformed, merged) has its own lot id as TLC
// and this site as source. Dates are the site's local dates (config.json site.timeZone).
// Missing site or party data is never papered over: the cell says "[missing: ...]" and the
// gap is listed in fsma204-data-gaps.csv and in `warnings`.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/clock.h"
#include "custody/common/error.h"
#include "custody/domain/recall.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

// Which events an export covers.
struct Fsma204Scope {
  enum class By { kRecall, kProduct, kLotCodes };
  By by = By::kRecall;
  const RecallReport* recall = nullptr;  // kRecall: every lot it reached, with its shipments
  std::string product;                   // kProduct: a material id
  std::vector<std::string> lot_codes;    // kLotCodes: traceability lot codes
  // Events at or after `from` and before `to` (any scope; the whole history by default).
  TimeNs from = std::numeric_limits<TimeNs>::min();
  TimeNs to = std::numeric_limits<TimeNs>::max();
};

struct Fsma204Export {
  // fsma204-receiving.csv, -transformation.csv, -shipping.csv, -glossary.csv,
  // -data-gaps.csv and -traceability-plan.txt, as (file name, contents).
  std::vector<NamedFile> files;
  std::vector<std::string> warnings;  // one sentence per data gap
  std::size_t events = 0;             // rows of the three event files
};

// A time as a person asking for records means it: RFC 3339 as written, and a bare date
// (YYYY-MM-DD) as midnight at the site (site.timeZone), the start of the day the spreadsheet
// dates by. kInvalidArgument for anything else (the caller names the field).
[[nodiscard]] Result<TimeNs> parse_site_time(std::string_view text, const SiteInfo& site);

// The short names of the files ("receiving", ..., "traceability-plan"), in `files` order.
[[nodiscard]] const std::vector<std::string>& fsma204_file_names();

// Errors: kInvalidArgument (field "to") for an empty window, (field "tlc") for an empty
// list; kNotFound (field "product") for a material that does not exist, (field "tlc") for a
// lot code no lot carries.
[[nodiscard]] Result<Fsma204Export> fsma204_export(const ledger::Snapshot& snap,
                                                   const Fsma204Scope& scope, const SiteInfo& site);

}  // namespace custody::domain
