// Internal to core/domain: the names of materials and parties, looked up once each, for
// recall reports and exports that print them beside the ids.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "custody/ledger/reader.h"

namespace custody::domain {

class Names {
 public:
  Names(const ledger::Reader& reader, ledger::Reader::Cf entities)
      : reader_(reader), entities_(entities) {}
  // The material's name, or its id when it has none.
  [[nodiscard]] const std::string& material(std::string_view id);
  [[nodiscard]] const std::string& party(std::string_view id);

 private:
  const ledger::Reader& reader_;
  ledger::Reader::Cf entities_;
  std::map<std::string, std::string, std::less<>> materials_, parties_;
};

}  // namespace custody::domain
