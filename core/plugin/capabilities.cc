#include "custody/plugin/capabilities.h"

#include <algorithm>

namespace custody::plugin {
namespace {

constexpr std::string_view kSubmit = "submit:";
constexpr std::string_view kReserved = "access";

std::string_view family_of(std::string_view command_type) {
  return command_type.substr(0, command_type.find('.'));
}

bool valid_family(std::string_view f) {
  return !f.empty() && f.size() <= 32 &&
         std::all_of(f.begin(), f.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

Result<Capabilities> Capabilities::parse(std::span<const std::string> names,
                                         std::string_view field) {
  Capabilities c;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    const std::string path = std::string(field) + "[" + std::to_string(i) + "]";
    if (n == "read") {
      c.read_ = true;
    } else if (n == "subscribe") {
      c.subscribe_ = true;
    } else if (n == "submit:*") {
      c.submit_all_ = true;
    } else if (n.starts_with(kSubmit) && valid_family(std::string_view(n).substr(kSubmit.size()))) {
      const std::string_view family = std::string_view(n).substr(kSubmit.size());
      if (family == kReserved) {
        return std::unexpected(Error::invalid_argument(
            path, "'submit:access' is reserved: access records are written by custody itself"));
      }
      c.families_.emplace(family);
    } else {
      return std::unexpected(Error::invalid_argument(
          path, "'" + n +
                    "' is not a capability (read, subscribe, submit:<family> such as "
                    "submit:wo, or submit:*)"));
    }
  }
  return c;
}

Capabilities Capabilities::intersect(const Capabilities& other) const {
  Capabilities c;
  c.read_ = read_ && other.read_;
  c.subscribe_ = subscribe_ && other.subscribe_;
  c.submit_all_ = submit_all_ && other.submit_all_;
  for (const auto& f : families_) {
    if (other.submit_all_ || other.families_.contains(f)) c.families_.insert(f);
  }
  for (const auto& f : other.families_) {
    if (submit_all_) c.families_.insert(f);
  }
  return c;
}

bool Capabilities::may_submit(std::string_view command_type) const {
  const std::string_view family = family_of(command_type);
  if (family == kReserved) return false;
  return submit_all_ || families_.contains(family);
}

std::vector<std::string> Capabilities::names() const {
  std::vector<std::string> out;
  if (read_) out.emplace_back("read");
  if (submit_all_) out.emplace_back("submit:*");
  for (const auto& f : families_) out.push_back(std::string(kSubmit) + f);
  if (subscribe_) out.emplace_back("subscribe");
  std::sort(out.begin(), out.end());
  return out;
}

std::string Capabilities::submit_capability(std::string_view command_type) {
  return std::string(kSubmit) + std::string(family_of(command_type));
}

}  // namespace custody::plugin
