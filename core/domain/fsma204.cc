// The FDA's electronic sortable spreadsheet for FSMA 204 (21 CFR 1.1455(c)): the key data
// elements of each critical tracking event, as CSV files (docs/recall.md, "FSMA 204").
#include "custody/domain/fsma204.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/common/time_zone.h"
#include "custody/domain/projections.h"
#include "custody/ledger/record.h"
#include "names.h"
#include "partners.h"
#include "state_access.h"
#include "values.h"

namespace custody::domain {
namespace {

// A lot as the spreadsheet needs it.
struct LotFacts {
  std::string lot, material, uom, wo, supplier, supplier_lot;
  s::LotOrigin origin = s::LotOrigin::RECEIVED;
  std::int64_t created = 0;
  TimeNs created_at = 0;
  std::uint64_t created_seq = 0;
};

// A lot's traceability lot code and who assigned it, and what is missing to say so.
struct LotCode {
  std::string code;
  std::string source;  // party id (here == false)
  bool here = true;
  std::string root;              // the lot the code is read from (a split part's ancestor)
  bool no_supplier_lot = false;  // received without one: the internal id stands in
  bool no_supplier = false;
  bool lost_parent = false;  // a split part whose parent cannot be found
};

// One row of an event file, with the time it sorts by.
struct Row {
  TimeNs at = 0;
  std::vector<std::string> cells;
};

constexpr std::string_view kReceivingHeader =
    "Traceability Lot Code,Internal Lot,Quantity,Unit of Measure,Product Description,"
    "Immediate Previous Source Location,Receiving Location,Date Received,"
    "Traceability Lot Code Source Location,Reference Document Type,Reference Document Number\n";
constexpr std::string_view kTransformationHeader =
    "Event ID,New Traceability Lot Code,New Product Description,New Quantity,New Unit of Measure,"
    "Transformation Location,Date Transformation Completed,Input Traceability Lot Code,"
    "Input Internal Lot,Input Product Description,Input Quantity,Input Unit of Measure,"
    "Input Quantity Basis,Reference Document Type,Reference Document Number\n";
constexpr std::string_view kShippingHeader =
    "Traceability Lot Code,Internal Lot,Quantity,Unit of Measure,Product Description,"
    "Immediate Subsequent Recipient Location,Ship From Location,Date Shipped,"
    "Traceability Lot Code Source Location,Reference Document Type,Reference Document Number\n";

std::string missing(std::string_view what) {
  return "[missing: " + std::string(what) + "]";
}

class Spreadsheet {
 public:
  Spreadsheet(const ledger::Snapshot& snap, const SiteInfo& site)
      : snap_(snap),
        site_(site),
        entities_(snap.family(kEntitiesCf)),
        fwd_(snap.family(kGenealogyFwdCf)),
        bwd_(snap.family(kGenealogyBwdCf)),
        index_(snap.family(kIndexCf)),
        names_(snap, entities_) {
    if (auto zone = TimeZone::load(site.time_zone)) zone_ = std::move(*zone);
    here_ = describe_site();
  }

  Result<Fsma204Export> run(const Fsma204Scope& scope);

 private:
  const LotFacts* facts(std::string_view lot);
  const LotCode& code_of(std::string_view lot);
  const LotCode& use(std::string_view lot);
  std::string describe_site();
  const std::string& party(const std::string& id);
  std::string source_of(const LotCode& c) {
    if (c.no_supplier_lot || c.lost_parent) return missing("traceability lot code source");
    return c.here ? here_ : party(c.source);
  }
  std::string date(TimeNs t) const {
    return date_of(t +
                   static_cast<TimeNs>(zone_.at(t / 1'000'000'000).minutes) * 60 * 1'000'000'000LL);
  }
  void gap(const std::string& subject, const std::string& field, const std::string& problem,
           const std::string& fix) {
    if (gap_keys_.insert(subject + '\0' + field).second) {
      gaps_.push_back({subject, field, problem, fix});
    }
  }
  void receiving(const LotFacts& l);
  void transformation(const LotFacts& out, const std::set<std::string>* only_inputs);
  void shipping(const LotFacts& l, std::string_view shipment, std::string_view customer,
                std::int64_t qty, TimeNs at);
  bool in_window(TimeNs t) const { return t >= from_ && t < to_; }
  std::string glossary();
  std::string plan();

  const ledger::Snapshot& snap_;
  const SiteInfo& site_;
  ledger::Reader::Cf entities_, fwd_, bwd_, index_;
  Names names_;
  TimeZone zone_;
  std::string here_;
  TimeNs from_ = 0, to_ = 0;
  std::map<std::string, std::optional<LotFacts>, std::less<>> lots_;
  std::map<std::string, LotCode, std::less<>> codes_;
  std::map<std::string, std::string, std::less<>> parties_;  // id -> location description
  std::set<std::string> party_ids_, materials_;
  std::set<std::string> gap_keys_;
  std::vector<std::array<std::string, 4>> gaps_;
  std::vector<Row> receiving_, transformation_, shipping_;
};

const LotFacts* Spreadsheet::facts(std::string_view lot) {
  auto it = lots_.find(lot);
  if (it == lots_.end()) {
    std::optional<LotFacts> f;
    if (auto v = snap_.get(entities_, keys::entity("lot", lot))) {
      codec::MessageView view(*v);
      auto l = view.root<s::Lot>();
      f.emplace();
      f->lot = std::string(lot);
      f->material = str(l.getMaterial());
      f->uom = str(l.getUom());
      f->wo = str(l.getWo());
      f->supplier = str(l.getSupplier());
      f->supplier_lot = str(l.getSupplierLot());
      f->origin = l.getOrigin();
      f->created = l.getCreated();
      f->created_at = l.getCreatedAt();
      f->created_seq = l.getCreatedSeq();
    }
    it = lots_.emplace(std::string(lot), std::move(f)).first;
  }
  return it->second ? &*it->second : nullptr;
}

// A received lot: its supplier's lot code. A lot split off another: its parent's code,
// whatever the parent's origin. Anything else: its own id, assigned here. Records no gap:
// matching lot codes reads every lot, and only the rows written report theirs (use()).
const LotCode& Spreadsheet::code_of(std::string_view lot) {
  if (auto it = codes_.find(lot); it != codes_.end()) return it->second;
  LotCode c{std::string(lot), "", true, std::string(lot)};
  std::string at(lot);
  for (int hops = 0;; ++hops) {
    const LotFacts* f = facts(at);
    if (f == nullptr || hops == 64) {  // a split of a split of ...; a cycle ends here
      c = {std::string(lot), "", false, at};
      c.lost_parent = true;
      break;
    }
    if (f->origin == s::LotOrigin::RECEIVED) {
      c = {f->supplier_lot.empty() ? f->lot : f->supplier_lot, f->supplier, false, f->lot};
      c.no_supplier_lot = f->supplier_lot.empty();
      c.no_supplier = f->supplier.empty();
      break;
    }
    if (f->origin != s::LotOrigin::SPLIT) {
      c = {f->lot, "", true, f->lot};
      break;
    }
    auto parent = split_parent(snap_, bwd_, f->lot);
    if (!parent) {
      c = {std::string(lot), "", false, f->lot};
      c.lost_parent = true;
      break;
    }
    at = std::move(*parent);
  }
  return codes_.emplace(std::string(lot), std::move(c)).first->second;
}

// The code of a lot a row is written for, with the gaps that row shows.
const LotCode& Spreadsheet::use(std::string_view lot) {
  const LotCode& c = code_of(lot);
  if (c.no_supplier_lot) {
    gap("lot " + c.root, "Traceability Lot Code",
        "received without the supplier's traceability lot code; the internal lot id is shown",
        "correct the receipt with the supplier's lot code (record.correct)");
  }
  if (c.no_supplier) {
    gap("lot " + c.root, "Immediate Previous Source Location", "received without a supplier",
        "correct the receipt with its supplier (record.correct)");
  }
  if (c.lost_parent) {
    gap("lot " + std::string(lot), "Traceability Lot Code",
        "a split part whose parent lot cannot be found (" + c.root + "); its own id is shown",
        "check the lot's genealogy (custody trace --direction backward)");
  }
  return c;
}

std::string Spreadsheet::describe_site() {
  auto need = [&](const std::string& value, const char* what, const char* key) {
    if (!value.empty()) return value;
    gap("site", what, "this site's " + std::string(what) + " is not in config.json",
        "set site." + std::string(key) + " in config.json");
    return missing("site " + std::string(what));
  };
  std::string text = need(site_.name, "name", "name") + ", " +
                     need(site_.address, "address", "address") + "; phone " +
                     need(site_.phone, "phone", "phone") + "; GLN " + need(site_.gln, "GLN", "gln");
  return text;
}

const std::string& Spreadsheet::party(const std::string& id) {
  auto it = parties_.find(id);
  if (it != parties_.end()) return it->second;
  std::string text;
  if (id.empty()) {
    text = missing("party");
  } else if (auto v = snap_.get(entities_, keys::entity("party", id))) {
    party_ids_.insert(id);
    codec::MessageView view(*v);
    auto p = view.root<s::Party>();
    if (p.getName().size()) {
      text = str(p.getName());
    } else {
      text = id + " " + missing("name");
      gap("party " + id, "name", "party " + id + " has no name",
          "correct its party.defined record with the name (record.correct)");
    }
    if (p.getAddress().size()) {
      text += ", " + str(p.getAddress());
    } else {
      text += ", " + missing("address");
      gap("party " + id, "address", "party " + id + " has no address",
          "correct its party.defined record with the address (record.correct)");
    }
    if (p.getGln().size()) text += "; GLN " + str(p.getGln());
  } else {
    text = id + ", " + missing("party record");
    gap("party " + id, "party", "party " + id + " is not defined", "define it (party.define)");
  }
  return parties_.emplace(id, std::move(text)).first->second;
}

std::string qty(std::int64_t q) {
  return codec::format_decimal(q, 3);
}

void Spreadsheet::receiving(const LotFacts& l) {
  if (!in_window(l.created_at)) return;
  materials_.insert(l.material);
  std::string doc_type = "Receiving record", doc = "seq " + std::to_string(l.created_seq);
  if (auto bytes = snap_.record(l.created_seq)) {
    if (auto rec = ledger::decode_record(*bytes); rec && rec->type == "lot.received") {
      codec::MessageView view(rec->payload);
      auto p = view.root<s::LotReceived>();
      if (p.getDocument().size()) {
        doc_type = "Bill of lading";
        doc = str(p.getDocument());
      }
    }
  }
  const LotCode& c = use(l.lot);
  receiving_.push_back({l.created_at,
                        {c.code, l.lot, qty(l.created), l.uom, names_.material(l.material),
                         l.supplier.empty() ? missing("supplier") : party(l.supplier), here_,
                         date(l.created_at), source_of(c), doc_type, doc}});
}

// One row per input line of a lot made here. A work order that made several lots does not
// record which part of each input went into which: its inputs are allocated to its outputs
// in proportion to their quantities, and the basis column says so.
void Spreadsheet::transformation(const LotFacts& out, const std::set<std::string>* only_inputs) {
  if (!in_window(out.created_at)) return;
  std::string doc_type = out.wo.empty() ? "Lot record" : "Work order";
  std::string doc = out.wo.empty() ? "seq " + std::to_string(out.created_seq) : out.wo;
  if (out.origin == s::LotOrigin::TRANSFORMED) {
    // lot.transform names its own document (a batch sheet, a pallet tag) when it has one.
    if (auto bytes = snap_.record(out.created_seq)) {
      if (auto rec = ledger::decode_record(*bytes); rec && rec->type == "lot.transformed") {
        codec::MessageView view(rec->payload);
        if (auto d = view.root<s::LotTransformed>().getDocument(); d.size()) {
          doc_type = "Transformation document";
          doc = str(d);
        }
      }
    }
  }
  std::int64_t total = out.created;
  std::string basis = "measured";
  bool allocate = false;
  if (!out.wo.empty()) {
    if (auto v = snap_.get(entities_, keys::entity("wo", out.wo))) {
      codec::MessageView view(*v);
      auto produced = view.root<s::WorkOrder>().getProduced();
      if (produced.size() > 1) {
        total = 0;
        bool same_unit = true;
        for (auto p : produced) {
          total += p.getQty();
          const LotFacts* f = facts(sv(p.getLot()));
          same_unit = same_unit && f != nullptr && f->uom == out.uom;
        }
        if (same_unit && total > 0) {
          allocate = true;
          basis = "allocated by output share: " + qty(out.created) + " of " + qty(total) + " " +
                  out.uom + " the order made";
        } else {
          basis = "not allocated: the order's " + std::to_string(produced.size()) +
                  " outputs are in different units; its whole input is shown";
        }
      }
    }
  }
  materials_.insert(out.material);
  const LotCode& new_code = use(out.lot);
  const std::string prefix = keys::edge_prefix(out.lot);
  std::vector<std::pair<std::string, std::int64_t>> inputs;
  snap_.scan_prefix(bwd_, prefix, [&](std::string_view key, std::string_view value) {
    codec::MessageView ev(value);
    inputs.emplace_back(key.substr(prefix.size()), ev.root<s::Edge>().getQty());
    return true;
  });
  for (const auto& [input, edge_qty] : inputs) {
    if (only_inputs != nullptr && only_inputs->count(input) == 0) continue;
    std::string input_desc = input, input_uom;
    if (const LotFacts* in = facts(input)) {
      input_uom = in->uom;
      input_desc = names_.material(in->material);
      materials_.insert(in->material);
    }
    std::int64_t used = edge_qty;
    if (allocate) {
      // long double keeps 64 bits of mantissa: exact to well below a thousandth here.
      used = std::llroundl(static_cast<long double>(edge_qty) * out.created / total);
    }
    const LotCode& in_code = use(input);
    transformation_.push_back(
        {out.created_at,
         {out.lot, new_code.code, names_.material(out.material), qty(out.created), out.uom, here_,
          date(out.created_at), in_code.code, input, input_desc, qty(used), input_uom, basis,
          doc_type, doc}});
  }
}

void Spreadsheet::shipping(const LotFacts& l, std::string_view shipment, std::string_view customer,
                           std::int64_t q, TimeNs at) {
  if (!in_window(at)) return;
  materials_.insert(l.material);
  const LotCode& c = use(l.lot);
  shipping_.push_back(
      {at,
       {c.code, l.lot, qty(q), l.uom, names_.material(l.material), party(std::string(customer)),
        here_, date(at), source_of(c), "Bill of lading", std::string(shipment)}});
}

bool made_here(s::LotOrigin o) {
  return o == s::LotOrigin::PRODUCED || o == s::LotOrigin::TRANSFORMED || o == s::LotOrigin::MERGED;
}

std::string Spreadsheet::glossary() {
  std::string out = "Code Type,Code,Description,Details\n";
  append_csv_row(
      out, {"Location", "site", site_.name.empty() ? missing("site name") : site_.name, here_});
  for (const auto& id : party_ids_) {
    append_csv_row(out, {"Party", id, names_.party(id), party(id)});
  }
  for (const auto& m : materials_) {
    std::string details;
    if (auto v = snap_.get(entities_, keys::entity("material", m))) {
      codec::MessageView view(*v);
      auto mm = view.root<s::Material>();
      details = "unit " + str(mm.getUom());
      if (mm.getGtin().size()) details += "; GTIN " + str(mm.getGtin());
    }
    append_csv_row(out, {"Product", m, names_.material(m), details});
  }
  append_csv_row(out, {"Lot code", "Traceability Lot Code",
                       "The supplier's lot code for received lots and the parts split from them; "
                       "this site's lot id for lots it made by transformation",
                       ""});
  append_csv_row(out,
                 {"Lot code", "Internal Lot", "custody's lot id (custody show DIR lot ID)", ""});
  append_csv_row(out, {"Reference document", "Work order",
                       "custody work order id (custody show DIR wo ID)", ""});
  append_csv_row(out, {"Reference document", "Lot record",
                       "the custody log record that created the lot (custody log DIR)", ""});
  append_csv_row(out, {"Quantity basis", "measured",
                       "the quantity of the input lot the record says went into this lot", ""});
  append_csv_row(out, {"Quantity basis", "allocated by output share",
                       "a work order that made several lots: each input is divided among them "
                       "in proportion to their quantities",
                       ""});
  append_csv_row(out,
                 {"Date", "all dates", "the site's local date", "time zone " + site_.time_zone});
  return out;
}

// What §1.1315(a) asks a traceability plan to state, as far as the ledger knows it.
std::string Spreadsheet::plan() {
  std::string out;
  out += "Traceability plan (21 CFR 1.1315): the parts custody keeps\n";
  out += "Site: " + here_ + "\n";
  out += "Records as of ledger seq " + std::to_string(snap_.head().seq) + ", dates in " +
         site_.time_zone + "\n\n";
  out +=
      "1. How the traceability records are kept (1.1315(a)(1))\n"
      "   Every receipt, transformation (work order output, transformation, merge), split and\n"
      "   shipment is a record in this site's custody ledger: append-only, hash-chained, signed\n"
      "   checkpoints, kept on the site's own disk (custody verify checks it). The key data\n"
      "   elements of 21 CFR 1.1340, 1.1345 and 1.1350 come from those records. The electronic\n"
      "   sortable spreadsheet is produced on request by `custody fsma204` (by product and date\n"
      "   range, or by traceability lot code) or `custody recall --format fsma204`, or from the\n"
      "   server's /v1/fsma204 and /v1/recall/fsma204 endpoints, within minutes.\n\n";
  out += "2. Foods this site keeps traceability records for (1.1315(a)(2))\n";
  std::vector<std::pair<std::string, std::string>> products;
  snap_.scan_prefix(entities_, "material/", [&](std::string_view key, std::string_view value) {
    if (key.find('\0') != std::string_view::npos) return true;
    codec::MessageView view(value);
    auto m = view.root<s::Material>();
    std::string line = str(m.getName()).empty() ? str(m.getMaterial()) : str(m.getName());
    line += " (" + str(m.getMaterial());
    if (m.getGtin().size()) line += ", GTIN " + str(m.getGtin());
    line += ")";
    products.emplace_back(str(m.getMaterial()), std::move(line));
    return true;
  });
  if (products.empty()) out += "   No material is defined yet.\n";
  for (const auto& [id, line] : products) out += "   - " + line + "\n";
  out +=
      "   Every material is traced the same way; which of them are on the Food Traceability\n"
      "   List is for the site's QA to mark here.\n\n";
  out +=
      "3. How traceability lot codes are assigned (1.1315(a)(3))\n"
      "   - A received lot keeps the lot code its supplier assigned (the TLC source is the\n"
      "     supplier).\n"
      "   - A lot split off another keeps its parent's traceability lot code: a split is not a\n"
      "     transformation.\n"
      "   - A lot this site makes (work order output, transformation, merge) gets a new code:\n"
      "     its custody lot id, with this site as the TLC source.\n\n";
  out += "4. Point of contact for questions about this plan and the records (1.1315(a)(4))\n";
  if (site_.contact.empty()) {
    gap("site", "contact", "no point of contact for the traceability plan",
        "set site.contact in config.json");
    out += "   " + missing("point of contact: set site.contact in config.json") + "\n";
  } else {
    out += "   " + site_.contact + "\n";
  }
  return out;
}

Result<Fsma204Export> Spreadsheet::run(const Fsma204Scope& scope) {
  from_ = scope.from;
  to_ = scope.to;
  if (to_ <= from_) return fail(ErrorCode::kInvalidArgument, "the time window is empty", "to");

  // The lots whose events are asked for.
  std::vector<std::string> chosen;
  std::vector<RecallShipment> shipments;
  bool with_shipments = false;
  switch (scope.by) {
    case Fsma204Scope::By::kRecall:
      if (scope.recall == nullptr) {
        return fail(ErrorCode::kInvalidArgument, "a recall export needs its recall", "recall");
      }
      for (const auto& t : scope.recall->trace.lots) chosen.emplace_back(t.lot);
      shipments = scope.recall->shipments;
      with_shipments = true;
      break;
    case Fsma204Scope::By::kProduct:
    case Fsma204Scope::By::kLotCodes: {
      if (scope.by == Fsma204Scope::By::kProduct &&
          !snap_.get(entities_, keys::entity("material", scope.product))) {
        return fail(ErrorCode::kNotFound, "material " + scope.product + " does not exist",
                    "product");
      }
      if (scope.by == Fsma204Scope::By::kLotCodes && scope.lot_codes.empty()) {
        return fail(ErrorCode::kInvalidArgument, "name at least one traceability lot code", "tlc");
      }
      const std::set<std::string> wanted(scope.lot_codes.begin(), scope.lot_codes.end());
      std::set<std::string> found;
      std::vector<std::string> all;
      snap_.scan_prefix(entities_, "lot/", [&](std::string_view key, std::string_view) {
        if (key.find('\0') == std::string_view::npos) all.emplace_back(key.substr(4));
        return true;
      });
      for (const auto& lot : all) {
        const LotFacts* f = facts(lot);
        if (f == nullptr) continue;
        if (scope.by == Fsma204Scope::By::kProduct) {
          if (f->material == scope.product) chosen.push_back(lot);
          continue;
        }
        const std::string& code = code_of(lot).code;
        if (wanted.count(code) != 0) {
          chosen.push_back(lot);
          found.insert(code);
        }
      }
      for (const auto& code : wanted) {
        if (found.count(code) == 0) {
          return fail(ErrorCode::kNotFound, "no lot carries traceability lot code " + code, "tlc");
        }
      }
      break;
    }
  }
  const std::set<std::string> chosen_set(chosen.begin(), chosen.end());

  // Receiving and transformations of the chosen lots; the transformations that consumed
  // them, with their row for each chosen input.
  std::set<std::string> consumers;
  for (const auto& lot : chosen) {
    const LotFacts* f = facts(lot);
    if (f == nullptr) continue;
    if (f->origin == s::LotOrigin::RECEIVED) receiving(*f);
    if (made_here(f->origin)) transformation(*f, nullptr);
    if (scope.by != Fsma204Scope::By::kRecall) {
      snap_.scan_prefix(fwd_, keys::edge_prefix(lot),
                        [&](std::string_view key, std::string_view value) {
                          codec::MessageView ev(value);
                          if (ev.root<s::Edge>().getKind() == s::EdgeKind::SPLIT) return true;
                          std::string to(key.substr(keys::edge_prefix(lot).size()));
                          if (chosen_set.count(to) == 0) consumers.insert(std::move(to));
                          return true;
                        });
    }
    if (!with_shipments) {
      snap_.scan_prefix(index_, keys::shipment_prefix(lot),
                        [&](std::string_view, std::string_view value) {
                          codec::MessageView view(value);
                          auto line = view.root<s::ShipmentLine>();
                          shipping(*f, sv(line.getShipment()), sv(line.getCustomer()),
                                   line.getQty(), line.getAt());
                          return true;
                        });
    }
  }
  for (const auto& lot : consumers) {
    if (const LotFacts* f = facts(lot); f != nullptr && made_here(f->origin)) {
      transformation(*f, &chosen_set);
    }
  }
  for (const auto& sh : shipments) {
    if (const LotFacts* f = facts(sh.lot)) shipping(*f, sh.shipment, sh.customer, sh.qty, sh.at);
  }

  // Sorted by date (then as found), one header row, one row per lot line.
  Fsma204Export out;
  auto file = [&](std::string_view header, std::vector<Row>& rows) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.at < b.at; });
    std::string text(header);
    for (const auto& r : rows) {
      bool first = true;
      for (const auto& cell : r.cells) {
        if (!first) text += ',';
        text += csv_field(cell);
        first = false;
      }
      text += '\n';
    }
    out.events += rows.size();
    return text;
  };
  out.files.emplace_back("fsma204-receiving.csv", file(kReceivingHeader, receiving_));
  out.files.emplace_back("fsma204-transformation.csv",
                         file(kTransformationHeader, transformation_));
  out.files.emplace_back("fsma204-shipping.csv", file(kShippingHeader, shipping_));
  out.files.emplace_back("fsma204-glossary.csv", glossary());
  std::string plan_text = plan();
  std::string gaps = "Subject,Field,Problem,How to fix\n";
  for (const auto& g : gaps_) {
    append_csv_row(gaps, {g[0], g[1], g[2], g[3]});
    out.warnings.push_back(g[0] + ": " + g[2] + " (" + g[3] + ")");
  }
  out.files.emplace_back("fsma204-data-gaps.csv", std::move(gaps));
  out.files.emplace_back("fsma204-traceability-plan.txt", std::move(plan_text));
  return out;
}

}  // namespace

Result<TimeNs> parse_site_time(std::string_view text, const SiteInfo& site) {
  auto t = parse_rfc3339(text);
  if (!t || text.size() != 10) return t;  // a full timestamp carries its own offset
  auto zone = TimeZone::load(site.time_zone);
  if (!zone) return t;
  // The date's 00:00 read as UTC, moved by the offset in force at the site's midnight (found
  // from the offset at the UTC guess, then once more from the first answer).
  const std::int64_t midnight = *t / 1'000'000'000;
  std::int64_t utc = midnight - std::int64_t{zone->at(midnight).minutes} * 60;
  utc = midnight - std::int64_t{zone->at(utc).minutes} * 60;
  return utc * 1'000'000'000;
}

const std::vector<std::string>& fsma204_file_names() {
  static const std::vector<std::string> names{"receiving", "transformation", "shipping",
                                              "glossary",  "data-gaps",      "traceability-plan"};
  return names;
}

Result<Fsma204Export> fsma204_export(const ledger::Snapshot& snap, const Fsma204Scope& scope,
                                     const SiteInfo& site) {
  return ledger::reading([&]() -> Result<Fsma204Export> {
    Spreadsheet sheet(snap, site);
    return sheet.run(scope);
  });
}

}  // namespace custody::domain
