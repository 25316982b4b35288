// What `custody-verify` checks in an audit package (docs/audit-package.md), apart from its
// command line so that tests and the fuzzer call it directly. It reads the package through a
// PackageSource (a folder, or files in memory) and trusts nothing in it: every claim is
// checked against SHA-256, Ed25519 signatures and RFC 9162 proofs.
//
// Depends on custody's hash-and-signature layer (custody/crypto), the record schema's
// generated Cap'n Proto code and Boost.JSON only: no RocksDB, no ledger, no domain.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace custody::verify {

// Reads a package's files by their names in the manifest ("records.ndjson",
// "checkpoints/12.txt", ...).
class PackageSource {
 public:
  virtual ~PackageSource() = default;
  // A whole small file; nullopt when it is missing or larger than `max_bytes`.
  [[nodiscard]] virtual std::optional<std::string> read(const std::string& name,
                                                        std::size_t max_bytes) = 0;
  // Reads a file line by line.
  class Lines {
   public:
    virtual ~Lines() = default;
    // The next line without its "\n"; false at the end (or on a line over the limit, which
    // is then reported by too_long()).
    virtual bool next(std::string& line) = 0;
    [[nodiscard]] virtual bool too_long() const = 0;
  };
  [[nodiscard]] virtual std::unique_ptr<Lines> lines(const std::string& name) = 0;
  // Every file's name, relative, with "/" separators.
  [[nodiscard]] virtual std::vector<std::string> list() = 0;
};

[[nodiscard]] std::unique_ptr<PackageSource> folder_source(const std::filesystem::path& dir);
[[nodiscard]] std::unique_ptr<PackageSource> memory_source(
    std::map<std::string, std::string> files);

struct VerifyOptions {
  // The node key the auditor trusts (a note verifier key, "name+hash+base64"); empty: take
  // the package's own node.pub and say so.
  std::string trusted_key;
  std::vector<std::string> witness_keys;  // verifier keys of witnesses
  std::uint64_t min_witnesses = 0;        // cosignatures the newest checkpoint needs
};

struct PackageReport {
  bool proven = false;
  std::string failure;  // what did not hold, when not proven

  std::string format, origin, selection;  // selection as JSON
  std::string key;                        // the node key that signed
  bool key_trusted = false;               // given by the auditor, not only by the package
  std::uint64_t tree_size = 0, first_tree_size = 0;
  std::string root_hex, first_root_hex;
  std::uint64_t records = 0, redacted = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string complete;  // what is proven complete: "seqs 1-9678" or "lot:L versions 1-7"
  std::vector<std::string> witnesses;  // names of the witnesses whose cosignature verified
  std::uint64_t files = 0;

  // The report as one JSON object.
  [[nodiscard]] std::string json() const;
  // The report for a person.
  [[nodiscard]] std::string text() const;
};

[[nodiscard]] PackageReport verify_package(PackageSource& source, const VerifyOptions& options);

}  // namespace custody::verify
