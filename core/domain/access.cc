// Access records: custody's own account of calls it refused (a plugin without the
// capability for what it tried). Written by the plugin host as the system actor; nobody else
// may write them, so an auditor can trust that each one came from custody.
#include "domain_state.h"

namespace custody::domain {
namespace {

Result<void> decide_deny(Decide& d) {
  if (d.cmd.actor != kSystem) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 "access records are written by custody itself", "actor"});
  }
  codec::MessageView v(d.cmd.data);
  auto r = v.root<s::AccessDeny>();
  d.emit("access:" + str(r.getPrincipal()), "access.denied", d.cmd.data);
  return {};
}

void apply_denied(Apply&) {
  // The record in its stream is the whole story; nothing to project.
}

}  // namespace

void register_access(Handlers& h) {
  h.decide.emplace_back("access.deny", &decide_deny);
  h.apply.emplace_back("access.denied", &apply_denied);
}

}  // namespace custody::domain
