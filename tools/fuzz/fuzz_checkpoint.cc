// The checkpoint note parser (custody verify --checkpoint, witnesses, audit packages): any
// text parses or is refused, and none verifies under the node key unless it is exactly a
// note that key signed.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "custody/crypto/note.h"
#include "custody/ledger/checkpoint.h"

namespace {

// A fixed key for the fuzzer only (never a ledger's), and the one body it signed: the seed
// corpus holds that note.
const char* const kTestSigner =
    "PRIVATE+KEY+custody/fuzz+86f454a7+AUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
const char* const kSignedBody = "custody/fuzz\n42\nq83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto signer = custody::crypto::NoteSigner::parse(kTestSigner);
  if (!signer) std::abort();
  static const auto verifier = signer->verifier();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto body = custody::ledger::parse_checkpoint_body(text);
  if (body && custody::ledger::parse_checkpoint_body(body->body())->size != body->size) {
    std::abort();  // what parses, re-serialises to the same checkpoint
  }
  (void)custody::ledger::parse_checkpoint_note_unverified(text);
  auto opened = custody::ledger::open_checkpoint(text, verifier);
  if (opened && opened->body() != kSignedBody) std::abort();  // a forged note verified
  return 0;
}
