// The two sites of tests/fixtures/enterprise as an enterprise directory, for the CLI and API
// tests: each site's own ledger (custody init and append), and enterprise.json saying so.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/test_support.h"

namespace custody::testing {

// Makes `ent` (plant-a, plant-b, enterprise.json) and returns it.
inline std::filesystem::path make_enterprise(const std::filesystem::path& ent) {
  const auto fixtures =
      std::filesystem::path(CUSTODY_SOURCE_DIR) / "tests" / "fixtures" / "enterprise";
  for (const std::string site : {"plant-a", "plant-b"}) {
    EXPECT_EQ(run_custody({"init", (ent / site).string()}).exit_code, 0);
    auto r =
        run_custody({"append", (ent / site).string(), (fixtures / (site + ".ndjson")).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  // The fixture names followers' copies; here the sites are their own ledgers.
  std::string config = read_text(fixtures / "enterprise.json");
  for (std::size_t at = 0; (at = config.find("\"gln\"", at)) != std::string::npos; at += 20) {
    config.insert(at, "\"own\": true, ");
  }
  std::ofstream(ent / "enterprise.json") << config;
  return ent;
}

}  // namespace custody::testing
