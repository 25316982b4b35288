// Internal to core/domain: what a received lot's receipt says now, for readers: its
// lot.received (the first record of the lot's stream) with the latest correction of it in
// force. The enterprise view matches on it, the EPCIS trace reads its SSCC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "custody/common/clock.h"
#include "custody/ledger/snapshot.h"

namespace custody::domain {

struct Received {
  std::uint64_t seq = 0;
  TimeNs recorded_at = 0;
  std::string payload;  // schema::LotReceived, as corrected
};

// nullopt for a lot that was not received (made here, split, merged), or whose receipt's
// payload was redacted. Throws StorageError (use inside ledger::reading()).
[[nodiscard]] std::optional<Received> received_in_force(const ledger::Snapshot& snap,
                                                        std::string_view lot);

}  // namespace custody::domain
