// The head of the log: its last record.
#pragma once

#include <cstdint>

#include "custody/common/clock.h"
#include "custody/crypto/sha256.h"

namespace custody::ledger {

struct Head {
  std::uint64_t seq = 0;
  crypto::Digest leaf{};  // leaf hash of record `seq`; zeros when the log is empty
  TimeNs recorded_at = 0;

  friend bool operator==(const Head&, const Head&) = default;
};

}  // namespace custody::ledger
