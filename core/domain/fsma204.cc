// The FDA's electronic sortable spreadsheet for FSMA 204 (21 CFR 1.1455(c)): the key data
// elements of each critical tracking event of a recall, as CSV files (docs/recall.md).
#include <map>
#include <set>

#include "custody/codec/capnp_util.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/projections.h"
#include "custody/domain/recall.h"
#include "custody/ledger/record.h"
#include "names.h"
#include "state_access.h"
#include "values.h"

namespace custody::domain {
namespace {

std::vector<NamedFile> fsma204(const ledger::Snapshot& snap, const RecallReport& r,
                               const SiteInfo& site) {
  auto* entities = snap.family(kEntitiesCf);
  auto inputs = snap.scanner(snap.family(kGenealogyBwdCf));
  Names names(snap, entities);

  // Descriptions of parties (name, address) and the codes the glossary lists.
  std::map<std::string, std::pair<std::string, std::string>> parties;  // id -> (name, address/GLN)
  auto party = [&](const std::string& id) -> std::string {
    auto it = parties.find(id);
    if (it == parties.end()) {
      std::string name = id, where;
      if (auto v = snap.get(entities, keys::entity("party", id))) {
        codec::MessageView view(*v);
        auto p = view.root<s::Party>();
        name = str(p.getName());
        where = str(p.getAddress());
        if (p.getGln().size())
          where += (where.empty() ? "" : "; ") + std::string("GLN ") + str(p.getGln());
      }
      it = parties.emplace(id, std::pair{name, where}).first;
    }
    return it->second.first + (it->second.second.empty() ? "" : ", " + it->second.second);
  };
  const std::string site_name = site.name.empty() ? "this facility" : site.name;
  const std::string here = site_name + (site.address.empty() ? "" : ", " + site.address) +
                           (site.gln.empty() ? "" : "; GLN " + site.gln);
  std::map<std::string, std::string> lot_tlc;  // internal lot -> traceability lot code
  std::map<std::string, const RecallLot*> by_lot;
  for (const auto& l : r.lots) by_lot[l.lot] = &l;
  auto tlc = [&](const RecallLot& l) {
    return l.origin == "received" && !l.supplier_lot.empty() ? l.supplier_lot : l.lot;
  };
  auto tlc_source = [&](const RecallLot& l) {
    return l.origin == "received" && !l.supplier.empty() ? party(l.supplier) : here;
  };

  std::string receiving =
      "Traceability Lot Code,Internal Lot,Quantity,Unit of Measure,Product Description,"
      "Immediate Previous Source Location,Receiving Location,Date Received,"
      "Traceability Lot Code Source Location,Reference Document Type,Reference Document Number\n";
  std::string transformation =
      "Event ID,New Traceability Lot Code,New Product Description,New Quantity,New Unit of Measure,"
      "Transformation Location,Date Transformation Completed,Input Traceability Lot Code,"
      "Input Product Description,Input Quantity,Input Unit of Measure,Reference Document Type,"
      "Reference Document Number\n";
  std::string shipping =
      "Traceability Lot Code,Internal Lot,Quantity,Unit of Measure,Product Description,"
      "Immediate Subsequent Recipient Location,Ship From Location,Date Shipped,"
      "Traceability Lot Code Source Location,Reference Document Type,Reference Document Number\n";
  const auto add = append_csv_row;
  const auto d = [](std::int64_t q) {
    return codec::format_decimal(q, 3);
  };

  // Every lot reached, including those left out of r.lots by exclude_consumed.
  std::vector<RecallLot> all;
  {
    std::set<std::string> listed;
    for (const auto& l : r.lots) listed.insert(l.lot);
    all = r.lots;
    for (const auto& t : r.trace.lots) {
      if (listed.count(std::string(t.lot))) continue;
      auto v = snap.get(entities, keys::entity("lot", t.lot));
      if (!v) continue;
      codec::MessageView view(*v);
      auto l = view.root<s::Lot>();
      RecallLot x;
      x.lot = std::string(t.lot);
      x.material = str(l.getMaterial());
      x.material_name = names.material(x.material);
      x.uom = str(l.getUom());
      x.origin = codec::enum_name(l.getOrigin());
      x.wo = str(l.getWo());
      x.supplier = str(l.getSupplier());
      x.supplier_lot = str(l.getSupplierLot());
      x.created_at = l.getCreatedAt();
      x.created_seq = l.getCreatedSeq();
      x.on_hand = l.getCreated();
      all.push_back(std::move(x));
    }
    for (const auto& l : all) by_lot[l.lot] = &l;
  }
  std::set<std::string> materials;
  for (const auto& l : all) {
    materials.insert(l.material);
    if (l.origin == "received") {
      std::string doc_type = "Receiving record", doc = "seq " + std::to_string(l.created_seq);
      if (auto bytes = snap.record(l.created_seq)) {
        if (auto rec = ledger::decode_record(*bytes); rec && rec->type == "lot.received") {
          codec::MessageView view(rec->payload);
          auto p = view.root<s::LotReceived>();
          if (p.getDocument().size()) {
            doc_type = "Bill of lading";
            doc = str(p.getDocument());
          }
        }
      }
      std::int64_t received = 0;
      if (auto v = snap.get(entities, keys::entity("lot", l.lot))) {
        codec::MessageView view(*v);
        received = view.root<s::Lot>().getCreated();
      }
      add(receiving, {tlc(l), l.lot, d(received), l.uom, l.material_name, party(l.supplier), here,
                      date_of(l.created_at), tlc_source(l), doc_type, doc});
      if (!l.supplier.empty()) party(l.supplier);
      continue;
    }
    // A transformation: one row per input lot line.
    std::int64_t created = 0;
    if (auto v = snap.get(entities, keys::entity("lot", l.lot))) {
      codec::MessageView view(*v);
      created = view.root<s::Lot>().getCreated();
    }
    const std::string doc_type = l.wo.empty() ? "Lot record" : "Work order";
    const std::string doc = l.wo.empty() ? "seq " + std::to_string(l.created_seq) : l.wo;
    const std::string prefix = keys::edge_prefix(l.lot);
    inputs->scan_prefix(prefix, [&](std::string_view key, std::string_view value) {
      const std::string input(key.substr(prefix.size()));
      codec::MessageView ev(value);
      const auto qty = ev.root<s::Edge>().getQty();
      std::string input_tlc = input, input_desc = input, input_uom;
      if (auto v = snap.get(entities, keys::entity("lot", input))) {
        codec::MessageView view(*v);
        auto in = view.root<s::Lot>();
        input_uom = str(in.getUom());
        input_desc = names.material(sv(in.getMaterial()));
        materials.insert(str(in.getMaterial()));
        if (in.getOrigin() == s::LotOrigin::RECEIVED && in.getSupplierLot().size()) {
          input_tlc = str(in.getSupplierLot());
        }
      }
      add(transformation,
          {l.lot, tlc(l), l.material_name, d(created), l.uom, here, date_of(l.created_at),
           input_tlc, input_desc, d(qty), input_uom, doc_type, doc});
      return true;
    });
  }
  for (const auto& s : r.shipments) {
    auto it = by_lot.find(s.lot);
    const RecallLot* l = it == by_lot.end() ? nullptr : it->second;
    add(shipping, {l ? tlc(*l) : s.lot, s.lot, d(s.qty), s.uom, l ? l->material_name : s.material,
                   party(s.customer), here, date_of(s.at), l ? tlc_source(*l) : here,
                   "Bill of lading", s.shipment});
  }

  std::string glossary = "Code Type,Code,Description,Details\n";
  add(glossary, {"Location", "site", site_name,
                 site.address + (site.gln.empty() ? "" : "; GLN " + site.gln)});
  for (const auto& [id, p] : parties) add(glossary, {"Party", id, p.first, p.second});
  for (const auto& m : materials) {
    std::string details;
    if (auto v = snap.get(entities, keys::entity("material", m))) {
      codec::MessageView view(*v);
      auto mm = view.root<s::Material>();
      details = "unit " + str(mm.getUom());
      if (mm.getGtin().size()) details += "; GTIN " + str(mm.getGtin());
    }
    add(glossary, {"Product", m, names.material(m), details});
  }
  add(glossary,
      {"Lot code", "Traceability Lot Code",
       "Supplier-assigned lot code for received lots; this site's lot id for lots it made", ""});
  add(glossary,
      {"Reference document", "Work order", "custody work order id (custody show DIR wo ID)", ""});
  add(glossary,
      {"Reference document", "Lot record", "the custody log record that created the lot", ""});

  return {{"fsma204-receiving.csv", std::move(receiving)},
          {"fsma204-transformation.csv", std::move(transformation)},
          {"fsma204-shipping.csv", std::move(shipping)},
          {"fsma204-glossary.csv", std::move(glossary)}};
}

}  // namespace

std::vector<NamedFile> fsma204_files(const ledger::Snapshot& snap, const RecallReport& r,
                                     const SiteInfo& site) {
  return fsma204(snap, r, site);
}

}  // namespace custody::domain
