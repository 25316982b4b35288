// Capabilities: what a plugin may do through the host. The manifest requests them, the
// operator's configuration grants them, and a plugin holds what is both requested and
// granted.
//
//   capability := "read" | "subscribe" | "submit:" family | "submit:*"
//   family     := [a-z]+          the part of a command type before the dot ("wo" for
//                                 wo.schedule, "reading" for reading.record)
//
// The family "access" is reserved: access.deny records are written by the host itself, and
// "submit:*" does not cover it.
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"

namespace custody::plugin {

class Capabilities {
 public:
  Capabilities() = default;

  // kInvalidArgument naming "<field>[i]" for a string that is not a capability.
  [[nodiscard]] static Result<Capabilities> parse(std::span<const std::string> names,
                                                  std::string_view field);

  // What both allow.
  [[nodiscard]] Capabilities intersect(const Capabilities& other) const;

  [[nodiscard]] bool read() const { return read_; }
  [[nodiscard]] bool subscribe() const { return subscribe_; }
  [[nodiscard]] bool may_submit(std::string_view command_type) const;

  // Canonical names, sorted ("read", "submit:wo", "subscribe").
  [[nodiscard]] std::vector<std::string> names() const;

  // "submit:wo" for "wo.schedule".
  [[nodiscard]] static std::string submit_capability(std::string_view command_type);

 private:
  bool read_ = false;
  bool subscribe_ = false;
  bool submit_all_ = false;
  std::set<std::string, std::less<>> families_;
};

}  // namespace custody::plugin
