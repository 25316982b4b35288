// custody-verify PKG (--key-file F | --key VKEY | --package-key) [--witness-key VKEY ...]
// [--min-witnesses K] [--json]: checks an audit package alone (docs/audit-package.md).
// Exit 0: proven; 3: not proven (says what failed); 2: usage.
//
// A package carries its own node.pub, and a forger would carry theirs: proving a package
// against the key in it proves only that it is self-consistent. So the key must be given,
// or --package-key must say, on purpose, that the package's own will do.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "verify/package_verifier.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Check a custody audit package without custody: its manifest, checkpoints, "
      "proofs and records"};
  std::string dir, key, key_file;
  bool as_json = false;
  bool package_key = false;
  custody::verify::VerifyOptions options;
  app.add_option("PKG", dir, "The audit package folder")->required()->check(CLI::ExistingDirectory);
  auto* k = app.add_option("--key", key, "The node's verifier key you trust");
  auto* kf = app.add_option("--key-file", key_file, "A file holding that key (node.pub)")
                 ->check(CLI::ExistingFile);
  auto* pk = app.add_flag("--package-key", package_key,
                          "Check against the package's own node.pub (self-consistency only)");
  k->excludes(kf);
  pk->excludes(k);
  pk->excludes(kf);
  app.add_option("--witness-key", options.witness_keys, "A witness's verifier key (repeatable)");
  app.add_option("--min-witnesses", options.min_witnesses,
                 "Cosignatures by those witnesses the newest checkpoint must carry");
  app.add_flag("--json", as_json, "Print the report as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    std::getline(in, key);
    if (key.empty()) {
      std::cerr << "custody-verify: " << key_file << " holds no key\n";
      return 2;
    }
  }
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ')) key.pop_back();
  if (key.empty() && !package_key) {
    std::cerr << "custody-verify: give the ledger's key you trust (--key-file node.pub or --key "
                 "VKEY), or --package-key to check against the package's own key\n";
    return 2;
  }
  options.trusted_key = key;
  auto source = custody::verify::folder_source(dir);
  const auto report = custody::verify::verify_package(*source, options);
  std::cout << (as_json ? report.json() + "\n" : report.text());
  return report.proven ? 0 : 3;
}
