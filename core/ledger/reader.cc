#include "custody/ledger/reader.h"

namespace custody::ledger {
namespace {

class ForwardingScanner final : public Reader::Scanner {
 public:
  ForwardingScanner(const Reader& reader, Reader::Cf cf) : reader_(reader), cf_(cf) {}
  void scan_prefix(std::string_view prefix, const Reader::Visit& fn,
                   std::string_view from) override {
    reader_.scan_prefix(cf_, prefix, fn, from);
  }

 private:
  const Reader& reader_;
  Reader::Cf cf_;
};

}  // namespace

std::vector<std::optional<std::string>> Reader::multi_get(Cf cf,
                                                          std::span<const std::string> keys) const {
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  for (const auto& k : keys) out.push_back(get(cf, k));
  return out;
}

std::unique_ptr<Reader::Scanner> Reader::scanner(Cf cf) const {
  return std::make_unique<ForwardingScanner>(*this, cf);
}

}  // namespace custody::ledger
