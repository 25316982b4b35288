// Shelf life: custody's own lot.expire when a lot with something on hand reaches its expiry
// (lot.expired, and an exception for whoever decides what becomes of the stock). The dates
// themselves are set where lots are made (lots.cc, work_orders.cc) and checked where they are
// used (check_lot_available, first-expired-first-out in work_orders.cc).
#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/crypto/sha256.h"

namespace custody::domain {
namespace {

constexpr std::string_view kExpireCommandPrefix = "system:lot-expired:";

// Custody names the exception after the command ("auto:system:lot-expired:<lot>"), and
// exception ids are at most 128 bytes; a longer lot id is named by its digest instead.
constexpr std::size_t kMaxNamedLot = 128 - 5 - kExpireCommandPrefix.size();

std::string expire_command_id(std::string_view lot) {
  if (lot.size() <= kMaxNamedLot) return std::string(kExpireCommandPrefix) + std::string(lot);
  return std::string(kExpireCommandPrefix) + "sha256-" + to_hex(crypto::sha256(lot)).substr(0, 32);
}

Result<void> decide_expire(Decide& d, s::LotRef::Reader r) {
  if (auto ok = written_by_custody(d, "when a lot in stock reaches its expiry"); !ok) return ok;
  auto lot = existing_lot(d, sv(r.getLot()), "data.lot");
  if (!lot) return std::unexpected(lot.error());
  auto l = (*lot)->get();
  if (l.getExpires() == 0 || l.getExpired() || d.now < l.getExpires()) {
    return bad_state("data.lot",
                     "lot " + str(r.getLot()) +
                         (l.getExpires() == 0 ? std::string(" has no expiry")
                          : l.getExpired()    ? std::string(" is recorded expired already")
                                              : " expires at " + format_rfc3339(l.getExpires())));
  }
  d.emit_data("lot.expired");
  if (l.getOnHand() <= 0 || l.getStatus() == s::LotStatus::REJECTED) return {};
  std::string description =
      "Lot " + str(l.getLot()) + " of " + str(l.getMaterial()) + " expired at " +
      format_rfc3339(l.getExpires()) + " with " + qty_text(l.getOnHand()) + " " + str(l.getUom()) +
      " on hand at " + str(l.getLocation()) + " (" + std::string(lot_status_name(l.getStatus())) +
      "). It can no longer be consumed or shipped: decide what becomes of the stock (reject "
      "it, destroy it) and record it.";
  raise_automatic_exception(d, s::ExceptionCategory::QUALITY, std::move(description), 24 * kHour,
                            [&](s::ExceptionRaised::Builder e) {
                              auto lots = e.initLots(1);
                              lots.set(0, l.getLot());
                            });
  return {};
}

void apply_expired(Apply& a, s::LotRef::Reader r) {
  update_lot(a, sv(r.getLot()), [&](s::Lot::Builder b, s::Lot::Reader old) {
    b.setExpired(true);
    if (old.getOnHand() > 0) {
      a.index(keys::expiry(old.getExpires(), sv(r.getLot())), keys::kExpiredMark);
    }
  });
}

}  // namespace

std::vector<Command> expired_lots(const State& state, const Cfs& cf, TimeNs now) {
  return due_commands(state, cf, keys::kExpiryPrefix, keys::expiry_before(now + 1),  // <= now
                      [](std::string_view key, std::string_view value) -> std::optional<Command> {
                        const auto lot = keys::parse_expiry(key);
                        if (!lot || value == keys::kExpiredMark) return std::nullopt;
                        capnp::MallocMessageBuilder msg(64);
                        auto ref = msg.initRoot<s::LotRef>();
                        ref.setLot(capnp::Text::Reader(lot->data(), lot->size()));
                        return system_command("lot.expire", expire_command_id(*lot), ref);
                      });
}

const Area& expiry_area() {
  static const Area area{
      "expiry",
      {command<s::LotRef, decide_expire>("lot.expire", {"lot.expired", "exception.raised"},
                                         stream("lot", "lot"))},
      {event<s::LotRef, apply_expired>("lot.expired")}};
  return area;
}

}  // namespace custody::domain
