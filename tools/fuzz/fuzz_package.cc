// The audit-package verifier (custody-verify): whatever a package folder holds, the verifier
// answers proven or not proven with a reason, never crashes, leaks or hangs.
//
// Input: the package's files, each as u8 name length, name, u32 little-endian length, bytes
// (tools/fuzz/pack_package.py packs a real package so; the seed corpus holds one).
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "verify/package_verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::map<std::string, std::string> files;
  std::size_t at = 0;
  while (at < size) {
    const std::size_t name_len = data[at++];
    if (at + name_len + 4 > size) break;
    std::string name(reinterpret_cast<const char*>(data + at), name_len);
    at += name_len;
    std::size_t len = std::size_t{data[at]} | std::size_t{data[at + 1]} << 8 |
                      std::size_t{data[at + 2]} << 16 | std::size_t{data[at + 3]} << 24;
    at += 4;
    len = std::min(len, size - at);
    files[name] = std::string(reinterpret_cast<const char*>(data + at), len);
    at += len;
  }
  auto source = custody::verify::memory_source(std::move(files));
  const auto report = custody::verify::verify_package(*source, {});
  if (!report.proven && report.failure.empty()) std::abort();  // a refusal always says why
  if (report.proven && (report.records == 0 || report.key.empty())) std::abort();
  (void)report.json();
  (void)report.text();
  return 0;
}
