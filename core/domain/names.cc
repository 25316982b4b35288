#include "names.h"

#include "custody/domain/projections.h"
#include "state_access.h"

namespace custody::domain {

const std::string& Names::material(std::string_view id) {
  if (auto it = materials_.find(id); it != materials_.end()) return it->second;
  std::string name(id);
  if (auto v = reader_.get(entities_, keys::entity("material", id))) {
    codec::MessageView view(*v);
    name = str(view.root<s::Material>().getName());
  }
  return materials_.emplace(std::string(id), name).first->second;
}

const std::string& Names::party(std::string_view id) {
  if (auto it = parties_.find(id); it != parties_.end()) return it->second;
  std::string name(id);
  if (auto v = reader_.get(entities_, keys::entity("party", id))) {
    codec::MessageView view(*v);
    name = str(view.root<s::Party>().getName());
  }
  return parties_.emplace(std::string(id), name).first->second;
}

}  // namespace custody::domain
