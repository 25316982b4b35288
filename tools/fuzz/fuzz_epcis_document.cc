// A partner's EPCIS 2.0 document (`custody epcis import`, POST /v1/epcis/capture): any bytes
// are JSON or not, a valid document or a refusal that says why and where (a JSON pointer),
// and every event of a valid document has an Event Hash ID or a clear error; never a crash,
// a leak or a hang.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "custody/epcis/event_hash.h"
#include "custody/epcis/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::json::error_code ec;
  const boost::json::value doc = boost::json::parse(text, ec);
  if (ec) return 0;
  auto valid = custody::epcis::validate_document(doc);
  if (!valid) {
    const auto& e = valid.error();
    if (e.message.empty()) std::abort();                           // every refusal says why
    if (!e.field.empty() && e.field.front() != '/') std::abort();  // ... and where
    return 0;
  }
  auto events = custody::epcis::document_events(doc);
  if (!events) std::abort();  // a valid document has its events where the schema says
  for (const auto& event : events->events) {
    if (auto v = custody::epcis::validate_event(event, events->context, "/e"); !v) std::abort();
    auto id = custody::epcis::event_hash_id(event, events->context, events->options);
    if (id ? !id->starts_with("ni:///sha-256;") : id.error().message.empty()) std::abort();
  }
  return 0;
}
