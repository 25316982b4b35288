// Expected receipts: the purchase order lines and advance shipping notices an ERP announces
// (receipt.expect), the lots received against them (lot.receive with `receipt`, checked in
// lots.cc through check_receipt), the ERP closing a line short (receipt.cancel), and the
// exception custody raises when one is not received in full by its date (receipt.late).
#include <algorithm>

#include "catalogue.h"
#include "custody/common/encoding.h"

namespace custody::domain {
namespace {

// Custody names the late exception after the receipt ("auto:system:receipt-late:<id>"), and
// exception ids are at most 128 bytes.
constexpr std::size_t kMaxReceiptId = 96;
constexpr std::string_view kLateCommandPrefix = "system:receipt-late:";
constexpr std::int64_t kMaxTolerance = 100'000;  // 100 %, in thousandths

std::string receipt_key(std::string_view id) {
  return keys::entity("receipt", id);
}

std::unique_ptr<Loaded<s::Receipt>> find_receipt(const Decide& d, std::string_view id) {
  return load<s::Receipt>(d.state, d.cf.entities, receipt_key(id));
}

// The most that may be received against `r` in all: its quantity and tolerance.
std::int64_t receipt_limit(s::Receipt::Reader r) {
  // qty * (100 % + tolerance), rounded down, without overflow (qty < 10^15, tolerance <= 10^5).
  const std::int64_t qty = r.getQty(), tol = r.getTolerance();
  const std::int64_t over = qty / kMaxTolerance * tol + qty % kMaxTolerance * tol / kMaxTolerance;
  return std::min(qty + over, kMaxQuantity);
}

std::string receipt_amount(std::int64_t qty, capnp::Text::Reader uom) {
  return qty_text(qty) + " " + str(uom);
}

// ---- receipt.expect

Result<void> decide_expect(Decide& d, s::ReceiptExpect::Reader r) {
  if (r.getReceipt().size() > kMaxReceiptId) {
    return invalid("data.receipt", "is longer than " + std::to_string(kMaxReceiptId) + " bytes");
  }
  if (find_receipt(d, sv(r.getReceipt()))) {
    return already_exists("data.receipt", "expected receipt " + str(r.getReceipt()));
  }
  auto supplier = find_party(d, sv(r.getSupplier()));
  if (!supplier) return not_found("data.supplier", "party " + str(r.getSupplier()));
  if (supplier->get().getRole() != s::PartyRole::SUPPLIER) {
    return invalid("data.supplier", "party " + str(r.getSupplier()) + " is not a supplier");
  }
  auto material = find_material(d, sv(r.getMaterial()));
  if (!material) return not_found("data.material", "material " + str(r.getMaterial()));
  if (r.getUom() != material->get().getUom()) {
    return invalid("data.uom", "material " + str(r.getMaterial()) + " is counted in " +
                                   str(material->get().getUom()));
  }
  if (r.getQty() <= 0) return invalid("data.qty", "must be greater than zero");
  if (r.getTolerance() < 0 || r.getTolerance() > kMaxTolerance) {
    return invalid("data.tolerance", "must be a percentage from 0 to 100");
  }
  d.emit_data("receipt.expected");
  return {};
}

void apply_expected(Apply& a, s::ReceiptExpect::Reader r) {
  capnp::MallocMessageBuilder msg(256);
  auto e = msg.initRoot<s::Receipt>();
  e.setReceipt(r.getReceipt());
  e.setKind(r.getKind());
  e.setSupplier(r.getSupplier());
  e.setMaterial(r.getMaterial());
  e.setQty(r.getQty());
  e.setUom(r.getUom());
  e.setExpected(r.getExpected());
  e.setTolerance(r.getTolerance());
  e.setSupplierLot(r.getSupplierLot());
  e.setDocument(r.getDocument());
  e.setStatus(s::ReceiptStatus::OPEN);
  put_struct(a.state, a.cf.entities, receipt_key(sv(r.getReceipt())), e);
  a.index(keys::receipt_due(r.getExpected(), sv(r.getReceipt())));
}

// ---- receipt.cancel

Result<void> decide_cancel(Decide& d, s::ReceiptCancel::Reader r) {
  auto receipt = find_receipt(d, sv(r.getReceipt()));
  if (!receipt) return not_found("data.receipt", "expected receipt " + str(r.getReceipt()));
  if (receipt->get().getStatus() != s::ReceiptStatus::OPEN) {
    return bad_state("data.receipt", "expected receipt " + str(r.getReceipt()) + " is " +
                                         std::string(codec::enum_name(receipt->get().getStatus())));
  }
  d.emit_data("receipt.cancelled");
  return {};
}

void apply_cancelled(Apply& a, s::ReceiptCancel::Reader r) {
  update<s::Receipt>(a.state, a.cf.entities, receipt_key(sv(r.getReceipt())),
                     [&](s::Receipt::Builder b, s::Receipt::Reader old) {
                       b.setStatus(s::ReceiptStatus::CANCELLED);
                       b.setCancelReason(r.getReason());
                       a.unindex(keys::receipt_due(old.getExpected(), sv(r.getReceipt())));
                     });
}

// ---- receipt.late (custody's own)

Result<void> decide_late(Decide& d, s::ReceiptLate::Reader r) {
  if (auto ok = written_by_custody(d, "when an expected receipt's date passes"); !ok) return ok;
  auto receipt = find_receipt(d, sv(r.getReceipt()));
  if (!receipt) return not_found("data.receipt", "expected receipt " + str(r.getReceipt()));
  auto x = receipt->get();
  if (x.getStatus() != s::ReceiptStatus::OPEN || x.getLate()) {
    return bad_state("data.receipt", "expected receipt " + str(r.getReceipt()) + " is " +
                                         std::string(codec::enum_name(x.getStatus())) +
                                         (x.getLate() ? " and late already" : ""));
  }
  d.emit_data("receipt.late");
  std::string what = std::string(x.getKind() == s::ReceiptKind::ASN ? "Advance shipping notice "
                                                                    : "Purchase order line ") +
                     str(x.getReceipt());
  if (x.getDocument().size() != 0) what += " (" + str(x.getDocument()) + ")";
  std::string description = what + ": " + receipt_amount(x.getQty(), x.getUom()) + " of " +
                            str(x.getMaterial()) + " from " + str(x.getSupplier()) +
                            " was expected by " + format_rfc3339(x.getExpected()) + "; ";
  description += x.getReceived() == 0 ? std::string("nothing has been received against it.")
                                      : receipt_amount(x.getReceived(), x.getUom()) +
                                            " received in " + std::to_string(x.getLots().size()) +
                                            (x.getLots().size() == 1 ? " lot." : " lots.");
  description +=
      " Ask the supplier; receive what arrives against it, or have the ERP cancel the line.";
  raise_automatic_exception(d, s::ExceptionCategory::MATERIAL, std::move(description), 24 * kHour,
                            [&](s::ExceptionRaised::Builder e) {
                              if (x.getLots().size() != 0) e.setLots(x.getLots());
                            });
  return {};
}

void apply_late(Apply& a, s::ReceiptLate::Reader r) {
  update<s::Receipt>(a.state, a.cf.entities, receipt_key(sv(r.getReceipt())),
                     [&](s::Receipt::Builder b, s::Receipt::Reader old) {
                       b.setLate(true);
                       a.unindex(keys::receipt_due(old.getExpected(), sv(r.getReceipt())));
                     });
}

}  // namespace

Result<void> check_receipt(const Decide& d, s::LotReceive::Reader r) {
  if (r.getReceipt().size() == 0) return {};
  auto receipt = find_receipt(d, sv(r.getReceipt()));
  if (!receipt) return not_found("data.receipt", "expected receipt " + str(r.getReceipt()));
  auto x = receipt->get();
  const std::string name = "expected receipt " + str(r.getReceipt());
  if (x.getStatus() == s::ReceiptStatus::CANCELLED) {
    return bad_state("data.receipt", name + " was cancelled: " + str(x.getCancelReason()));
  }
  auto mismatch = [&](std::string field, std::string_view what, capnp::Text::Reader expected,
                      capnp::Text::Reader got) {
    return std::unexpected(
        Error{ErrorCode::kReceiptMismatch,
              name + " is for " + std::string(what) + " " + str(expected) + ", not " + str(got),
              std::move(field)});
  };
  if (r.getMaterial() != x.getMaterial()) {
    return mismatch("data.material", "material", x.getMaterial(), r.getMaterial());
  }
  if (r.getSupplier() != x.getSupplier()) {
    return mismatch("data.supplier", "supplier", x.getSupplier(), r.getSupplier());
  }
  if (x.getSupplierLot().size() != 0 && r.getSupplierLot() != x.getSupplierLot()) {
    return mismatch("data.supplierLot", "the supplier's lot", x.getSupplierLot(),
                    r.getSupplierLot());
  }
  const std::int64_t limit = receipt_limit(x);
  if (r.getQty() > limit - x.getReceived()) {
    std::string message = name + " is for " + receipt_amount(x.getQty(), x.getUom());
    if (x.getTolerance() != 0) {
      message += " (at most " + receipt_amount(limit, x.getUom()) + " with its tolerance of " +
                 qty_text(x.getTolerance()) + " %)";
    }
    message += "; " + receipt_amount(x.getReceived(), x.getUom()) + " received so far, " +
               receipt_amount(r.getQty(), x.getUom()) + " more is too much";
    return std::unexpected(Error{ErrorCode::kOverReceipt, std::move(message), "data.qty"});
  }
  return {};
}

Result<void> check_receipt_change(const Decide& d, std::string_view receipt, std::int64_t delta,
                                  const std::string& field) {
  if (receipt.empty() || delta <= 0) return {};
  auto x = find_receipt(d, receipt);
  if (!x) return {};
  const std::int64_t limit = receipt_limit(x->get());
  if (delta > limit - x->get().getReceived()) {
    return std::unexpected(Error{ErrorCode::kOverReceipt,
                                 "expected receipt " + std::string(receipt) + " allows at most " +
                                     receipt_amount(limit, x->get().getUom()) + "; " +
                                     receipt_amount(x->get().getReceived(), x->get().getUom()) +
                                     " are received against it",
                                 field});
  }
  return {};
}

void receive_against(Apply& a, std::string_view receipt, std::string_view lot, std::int64_t delta) {
  if (receipt.empty()) return;
  update<s::Receipt>(a.state, a.cf.entities, receipt_key(receipt),
                     [&](s::Receipt::Builder b, s::Receipt::Reader old) {
                       b.setReceived(old.getReceived() + delta);
                       if (!lot.empty()) {
                         auto lots = b.initLots(old.getLots().size() + 1);
                         for (unsigned i = 0; i < old.getLots().size(); ++i)
                           lots.set(i, old.getLots()[i]);
                         lots.set(old.getLots().size(),
                                  capnp::Text::Reader(lot.data(), lot.size()));
                       }
                       if (old.getStatus() == s::ReceiptStatus::CANCELLED) return;
                       const bool full = b.getReceived() >= old.getQty();
                       b.setStatus(full ? s::ReceiptStatus::RECEIVED : s::ReceiptStatus::OPEN);
                       const std::string due = keys::receipt_due(old.getExpected(), receipt);
                       if (full) {
                         a.unindex(due);
                       } else if (!old.getLate()) {
                         a.index(due);  // a correction took it below its quantity again
                       }
                     });
  a.history("receipt", receipt);
}

std::vector<Command> late_receipts(const State& state, const Cfs& cf, TimeNs now) {
  return due_commands(state, cf, keys::kReceiptDuePrefix, keys::receipt_due_before(now),
                      [](std::string_view key, std::string_view) -> std::optional<Command> {
                        const auto id = keys::parse_receipt_due(key);
                        if (!id) return std::nullopt;
                        capnp::MallocMessageBuilder msg(64);
                        auto late = msg.initRoot<s::ReceiptLate>();
                        late.setReceipt(capnp::Text::Reader(id->data(), id->size()));
                        // A reserved prefix ("system:"): once per receipt.
                        return system_command("receipt.late",
                                              std::string(kLateCommandPrefix) + std::string(*id),
                                              late);
                      });
}

const Area& receipts_area() {
  static const Area area{
      "receipts",
      {command<s::ReceiptExpect, decide_expect>("receipt.expect", {"receipt.expected"},
                                                stream("receipt", "receipt")),
       command<s::ReceiptCancel, decide_cancel>("receipt.cancel", {"receipt.cancelled"},
                                                stream("receipt", "receipt")),
       command<s::ReceiptLate, decide_late>("receipt.late", {"receipt.late", "exception.raised"},
                                            stream("receipt", "receipt"))},
      {event<s::ReceiptExpect, apply_expected>("receipt.expected"),
       event<s::ReceiptCancel, apply_cancelled>("receipt.cancelled"),
       event<s::ReceiptLate, apply_late>("receipt.late")}};
  return area;
}

}  // namespace custody::domain
