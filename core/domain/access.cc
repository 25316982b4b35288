// Access records: custody's own account of calls it refused (a plugin without the
// capability for what it tried). Written by the plugin host as the system actor; nobody else
// may write them, so an auditor can trust that each one came from custody.
#include "catalogue.h"

namespace custody::domain {
namespace {

Result<void> decide_deny(Decide& d, s::AccessDeny::Reader) {
  if (d.cmd.actor != kSystem) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 "access records are written by custody itself", "actor"});
  }
  d.emit_data("access.denied");
  return {};
}

void apply_denied(Apply&, s::AccessDeny::Reader) {
  // The record in its stream is the whole story; nothing to project.
}

}  // namespace

const Area& access_area() {
  static const Area area{"access",
                         {command<s::AccessDeny, decide_deny>("access.deny", {"access.denied"},
                                                              stream("access", "principal"))},
                         {event<s::AccessDeny, apply_denied>("access.denied")}};
  return area;
}

}  // namespace custody::domain
