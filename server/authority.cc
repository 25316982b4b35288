#include "custody/server/authority.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "custody/domain/identity.h"
#include "custody/domain/registry.h"

namespace custody::server {
namespace {

using Roles = std::vector<std::string_view>;

// Shorthands for the table below.
const Roles kFloor = {"operator", "supervisor", "integration"};
const Roles kEveryoneWhoWorks = {"operator", "supervisor",  "qa",
                                 "planner",  "maintenance", "integration"};
const Roles kPlanning = {"planner", "supervisor", "integration"};
const Roles kMasterData = {"planner", "integration"};
const Roles kQa = {"qa"};
const Roles kAdmin = {"admin"};
const Roles kNobody = {};

// command type -> the roles that may submit it. Every command type custody knows must be
// here: the table is checked against the registry when it is first used.
const std::map<std::string_view, Roles, std::less<>>& command_table() {
  static const std::map<std::string_view, Roles, std::less<>> table = [] {
    std::map<std::string_view, Roles, std::less<>> t{
        {"note.add", kEveryoneWhoWorks},
        {"material.define", kMasterData},
        {"party.define", kMasterData},
        {"equipment.define", {"planner", "maintenance", "integration"}},
        {"routing.define", kMasterData},
        {"lot.receive", kFloor},
        {"lot.split", kFloor},
        {"lot.merge", kFloor},
        {"lot.transform", kFloor},
        {"lot.move", kFloor},
        {"lot.hold", {"operator", "supervisor", "qa", "integration"}},
        {"lot.release", kQa},
        {"lot.reject", kQa},
        {"lot.ship", kFloor},
        {"wo.create", kPlanning},
        {"wo.release", kPlanning},
        {"wo.schedule", {"planner", "integration"}},
        {"op.start", kFloor},
        {"lot.consume", kFloor},
        {"lot.produce", kFloor},
        {"op.report", kFloor},
        {"op.complete", kFloor},
        {"op.verify", {"operator", "supervisor", "qa"}},
        {"wo.complete", {"supervisor", "integration"}},
        {"wo.close", kQa},
        {"inspection.record", {"qa", "operator", "supervisor"}},
        {"reading.record", {"operator", "maintenance", "integration"}},
        {"exception.raise", kEveryoneWhoWorks},
        {"exception.assign", {"supervisor", "qa"}},
        {"exception.acknowledge", {"operator", "supervisor", "qa", "maintenance"}},
        {"exception.resolve", {"operator", "supervisor", "qa", "maintenance"}},
        {"exception.close", {"supervisor", "qa"}},
        {"exception.escalate", {"supervisor", "qa"}},
        {"exception.comment", {"operator", "supervisor", "qa", "planner", "maintenance"}},
        {"record.correct", kQa},
        {"record.redact", {"qa", "admin"}},
        {"retention.set_policy", {"qa", "admin"}},
        {"config.record", kNobody},
        {"access.deny", kNobody},
        {"user.add", kAdmin},
        {"user.set_roles", kAdmin},
        {"user.disable", kAdmin},
        {"user.enable", kAdmin},
        {"user.set_password", kAdmin},
        {"user.lock", kNobody},
        {"user.unlock", kAdmin},
        {"token.create", kAdmin},
        {"token.revoke", kAdmin},
        {"signature.set_policy", kQa},
        {"signature.sign", {"operator", "supervisor", "qa", "planner", "maintenance"}},
        // Partners' EPCIS events: sent by their systems (the integration role), or filed by QA
        // from a document a supplier mailed.
        {"epcis.capture", {"integration", "qa"}},
        // Expected receipts come from the ERP's purchasing (or a planner keying one in);
        // receipt.late is custody's own.
        {"receipt.expect", kMasterData},
        {"receipt.cancel", kMasterData},
        {"receipt.late", kNobody},
        // A lot reaching its expiry is recorded by custody itself.
        {"lot.expire", kNobody},
        // Training records: kept by QA and the supervisors who sign off training on the job,
        // or sent by the learning management system.
        {"qualification.grant", {"supervisor", "qa", "integration"}},
        {"qualification.revoke", {"supervisor", "qa", "integration"}},
        // Equipment status: the sanitation crew (operators) and maintenance clean; maintenance
        // and QA's metrology calibrate; maintenance and supervisors take equipment out and
        // put it back.
        {"equipment.clean", {"operator", "supervisor", "maintenance", "integration"}},
        {"equipment.calibrate", {"maintenance", "qa", "integration"}},
        {"equipment.set_status", {"supervisor", "maintenance", "integration"}},
        // The defect catalogue is QA's (and master data's); shifts are planning's. Rework is
        // sent back on the floor, as scrap is reported.
        {"defect.define", {"qa", "planner", "integration"}},
        {"shift.define", kMasterData},
        // Piece rates are pay: planning and the supervisors set them (an ERP may load them), not
        // the people they pay.
        {"piece_rate.define", {"supervisor", "planner", "integration"}},
        {"op.rework", kFloor},
        // A line clearance is walked and signed by people on the floor, and verified by a
        // second one as a step is; label counts may come from the label printer's system.
        {"line.clear", {"operator", "supervisor"}},
        {"line.verify", {"operator", "supervisor", "qa"}},
        {"label.reconcile", kFloor},
        // Deviations are opened and investigated by QA with the supervisors of the line, and
        // approved by QA alone. CAPA actions are given out by them; their owner, whoever that
        // is, records each done; QA checks that it worked. All of them are people's.
        {"deviation.open", {"supervisor", "qa"}},
        {"deviation.assess", {"supervisor", "qa"}},
        {"deviation.approve", kQa},
        {"capa.open", {"supervisor", "qa"}},
        {"capa.complete", {"operator", "supervisor", "qa", "planner", "maintenance"}},
        {"capa.check", kQa},
    };
    for (const auto& c : domain::command_types()) {
      if (!t.contains(c.name)) {
        throw std::logic_error("the authority table does not say who may submit " +
                               std::string(c.name));
      }
    }
    const auto& known = domain::role_names();
    for (const auto& [type, roles] : t) {
      if (domain::find_command(type) == nullptr) {
        throw std::logic_error("the authority table names an unknown command " + std::string(type));
      }
      for (auto r : roles) {
        if (std::find(known.begin(), known.end(), r) == known.end()) {
          throw std::logic_error("the authority table names an unknown role " + std::string(r));
        }
      }
    }
    return t;
  }();
  return table;
}

constexpr Read kReads[] = {Read::kState,   Read::kLog, Read::kAudit,     Read::kIdentity,
                           Read::kMetrics, Read::kPay, Read::kEnterprise};

bool any_of(std::span<const std::string> have, const Roles& allowed) {
  return std::any_of(have.begin(), have.end(), [&](const std::string& r) {
    return std::find(allowed.begin(), allowed.end(), r) != allowed.end();
  });
}

}  // namespace

std::string_view read_name(Read r) {
  switch (r) {
    case Read::kState:
      return "state";
    case Read::kLog:
      return "log";
    case Read::kAudit:
      return "audit";
    case Read::kIdentity:
      return "identity";
    case Read::kMetrics:
      return "metrics";
    case Read::kPay:
      return "pay";
    case Read::kEnterprise:
      return "enterprise";
  }
  return "state";
}

std::span<const Read> all_reads() {
  return kReads;
}

const std::vector<std::string_view>& roles_for_command(std::string_view command_type) {
  const auto& t = command_table();
  auto it = t.find(command_type);
  return it == t.end() ? kNobody : it->second;
}

const std::vector<std::string_view>& roles_for_read(Read what) {
  static const Roles everyone = {"operator",    "supervisor", "qa",    "planner",
                                 "maintenance", "auditor",    "admin", "integration"};
  static const Roles log = {"supervisor", "qa", "auditor", "integration"};
  static const Roles audit = {"qa", "auditor", "admin"};
  static const Roles identity = {"admin", "auditor"};
  static const Roles metrics = {"admin", "auditor", "integration"};
  // What each operator earns is personal: their supervisors, payroll (through an integration
  // token), the auditor and the admin, not the floor at large.
  static const Roles pay = {"supervisor", "auditor", "admin", "integration"};
  // Every site's lots, shipments and customers: the recall team (QA, supervisors), the
  // auditor, and the ERP that scopes a recall (integration).
  static const Roles enterprise = {"supervisor", "qa", "auditor", "integration"};
  switch (what) {
    case Read::kState:
      return everyone;
    case Read::kLog:
      return log;
    case Read::kAudit:
      return audit;
    case Read::kIdentity:
      return identity;
    case Read::kMetrics:
      return metrics;
    case Read::kPay:
      return pay;
    case Read::kEnterprise:
      return enterprise;
  }
  return kNobody;
}

std::vector<std::string_view> all_command_types() {
  std::vector<std::string_view> out;
  for (const auto& [type, roles] : command_table()) out.push_back(type);
  return out;
}

bool may_submit(std::span<const std::string> roles, std::string_view command_type) {
  return any_of(roles, roles_for_command(command_type));
}

bool may_read(std::span<const std::string> roles, Read what) {
  return any_of(roles, roles_for_read(what));
}

}  // namespace custody::server
