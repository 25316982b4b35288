// Replication batches (`custody follow`, ledger/replica.h): the bytes a follower takes off the
// broker, where anyone with access to the subject can put anything. Any bytes are either
// refused as invalid_argument (field "batch") or are a batch that encodes back to exactly
// the same bytes, each of whose records is then checked or refused as corruption.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "custody/ledger/record.h"
#include "custody/ledger/replica.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto batch = custody::ledger::decode_batch(bytes);
  if (!batch) {
    if (batch.error().code != custody::ErrorCode::kInvalidArgument) std::abort();
    if (batch.error().field != "batch") std::abort();
    return 0;
  }
  if (batch->records.empty() || batch->first == 0) std::abort();
  if (custody::ledger::encode_batch(*batch) != bytes) std::abort();  // one encoding per batch
  for (const auto& r : batch->records) {
    auto check = custody::ledger::check_record(r);
    if (!check && check.error().code != custody::ErrorCode::kCorruption) std::abort();
  }
  return 0;
}
