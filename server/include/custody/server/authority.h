// Who may do what: the one table of which role may submit which command type and call which
// query. docs/security.md shows the same table, and the server tests try every cell of that
// copy against a real server, so the two cannot drift apart.
//
// Roles follow the duties a food or pharma plant separates: operators run the floor,
// supervisors run the shift, QA decides on lots and batches (release, reject, close, and the
// approval of corrections are theirs alone), planners own orders and master data, maintenance
// owns equipment readings, auditors read everything and change nothing, admins manage people,
// tokens and plugins but not production data, and integration is for machines (ERP, WMS,
// scanners, PLC gateways).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace custody::server {

// What can be read, by kind.
enum class Read {
  kState,       // entities, boards, KPIs, trace and recall
  kLog,         // records and the log of a stream
  kAudit,       // checkpoints and verification
  kIdentity,    // users and tokens (without secrets)
  kMetrics,     // GET /metrics
  kPay,         // piecework pay per operator (GET /v1/pay)
  kEnterprise,  // the enterprise view: other sites' copies and the cross-site recall
};

[[nodiscard]] std::string_view read_name(Read r);
[[nodiscard]] std::span<const Read> all_reads();

// The roles that may submit `command_type` (empty for an unknown type, and for access.deny,
// which only custody itself writes).
[[nodiscard]] const std::vector<std::string_view>& roles_for_command(std::string_view command_type);
// The roles that may read `what`.
[[nodiscard]] const std::vector<std::string_view>& roles_for_read(Read what);

// Whether any of `roles` may.
[[nodiscard]] bool may_submit(std::span<const std::string> roles, std::string_view command_type);
// Every command type the table names, in name order.
[[nodiscard]] std::vector<std::string_view> all_command_types();
[[nodiscard]] bool may_read(std::span<const std::string> roles, Read what);

}  // namespace custody::server
