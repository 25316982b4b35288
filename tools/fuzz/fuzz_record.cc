// Stored-record checking and decoding (`custody verify`, every read of the log): any bytes
// are either refused as corruption or are a canonical record that decodes, re-encodes to
// the same bytes and hashes the same way each time.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "custody/ledger/record.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto check = custody::ledger::check_record(bytes);
  auto fields = custody::ledger::decode_record(bytes);
  if (check) {
    if (!fields) std::abort();  // checked bytes always decode
    auto leaf = custody::ledger::record_leaf(bytes);
    if (!leaf || *leaf != check->leaf) std::abort();
    if (check->seq != fields->seq || check->redacted == fields->payload_present) std::abort();
    // Canonical: encoding what was decoded gives the same bytes back (a record whose payload
    // was redacted is stored in its leaf form).
    const auto form = fields->payload_present ? custody::ledger::RecordForm::kStored
                                              : custody::ledger::RecordForm::kLeaf;
    if (custody::ledger::canonical_record(*fields, form) != bytes) std::abort();
  } else if (check.error().code != custody::ErrorCode::kCorruption) {
    std::abort();  // bad stored bytes are always reported as corruption
  }
  return 0;
}
