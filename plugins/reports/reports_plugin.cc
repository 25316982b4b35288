// reports: custody's report plugin. Renders, on request (custody report DIR NAME ...):
//
//   batch-record   {"wo": "WO-1"}                        the electronic batch record, HTML
//   piecework      {"from": "<RFC 3339>", "to": "..."}   piecework and KPIs, CSV
//
// It needs only "read": every figure comes from the host's read views of one ledger.
#include <ctime>

#include "batch_record.h"
#include "custody/plugin.hpp"
#include "piecework.h"

namespace {

using custody::reports::ReportError;
using custody::sdk::Outcome;

custody_status status_of(const std::string& code) {
  if (code == "not_found") return CUSTODY_ERR_NOT_FOUND;
  if (code == "invalid_argument") return CUSTODY_ERR_INVALID_ARGUMENT;
  if (code == "permission_denied") return CUSTODY_ERR_PERMISSION_DENIED;
  return CUSTODY_ERR_INTERNAL;
}

std::string rfc3339(std::int64_t ns) {
  const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class Reports : public custody::sdk::Plugin {
 public:
  explicit Reports(custody::sdk::Host host) : Plugin(host) {}

  Outcome render(const std::string& report, const std::string& params, std::string& out) override {
    if (report != "batch-record" && report != "piecework") {
      return Plugin::render(report, params, out);  // unsupported: another plugin may make it
    }
    try {
      boost::system::error_code ec;
      auto p = boost::json::parse(params, ec);
      if (ec || !p.is_object()) {
        throw ReportError("invalid_argument", "report parameters must be a JSON object");
      }
      const auto& o = p.as_object();
      const custody::reports::Fetch fetch = [this](const std::string& request) {
        std::string answer;
        auto r = host().query(request, answer);
        if (!r) throw ReportError(r.code, r.message, r.field);
        return answer;
      };
      if (report == "batch-record") {
        out = custody::reports::batch_record_html(custody::reports::text(o, "wo"), fetch,
                                                  rfc3339(host().now()));
      } else {
        out = custody::reports::piecework_csv(custody::reports::text(o, "from"),
                                              custody::reports::text(o, "to"), fetch);
      }
      return Outcome{};
    } catch (const ReportError& e) {
      return Outcome::failure(status_of(e.code()), e.code(), e.what(), e.field());
    }
  }
};

const char* const kCapabilities[] = {"read"};

}  // namespace

CUSTODY_PLUGIN(Reports, "reports", "1.0.0",
               "Electronic batch record (HTML) and piecework/KPI report (CSV)", CUSTODY_KIND_REPORT,
               kCapabilities)
