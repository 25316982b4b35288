// The plugin manifest reader (every plugin load and `custody plugins check`): a manifest is a
// C struct a plugin's code fills in, so its fields are whatever that code says. Any manifest
// is refused with kInvalidArgument, or is read into one whose id follows the documented
// grammar, whose kind is a CUSTODY_KIND_*, with at most 64 capabilities that parse, and
// whose JSON form is valid JSON naming the same id.
//
// Input: struct_size (4 bytes), abi_major (2), abi_minor (2), kind (4), then NUL-separated
// strings: id, version, description, capabilities...
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "custody/codec/json_writer.h"
#include "custody/plugin/library.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 12) return 0;
  custody_manifest m{};
  std::memcpy(&m.struct_size, data, 4);
  std::memcpy(&m.abi_major, data + 4, 2);
  std::memcpy(&m.abi_minor, data + 6, 2);
  std::memcpy(&m.kind, data + 8, 4);
  // A claimed size beyond the real struct would make the reader look past it: a plugin
  // can claim that too, but then it owns the memory behind; here there is none.
  if (m.struct_size > sizeof(custody_manifest)) m.struct_size = sizeof(custody_manifest);
  std::vector<std::string> parts;
  std::string cur;
  for (std::size_t i = 12; i < size; ++i) {
    if (data[i] == 0) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  parts.push_back(cur);
  while (parts.size() < 3) parts.emplace_back();
  if (parts.size() > 80) parts.resize(80);
  std::vector<const char*> caps;
  for (std::size_t i = 3; i < parts.size(); ++i) caps.push_back(parts[i].c_str());
  m.id = parts[0].c_str();
  m.version = parts[1].c_str();
  m.description = parts[2].empty() ? nullptr : parts[2].c_str();
  m.capability_count = static_cast<std::uint32_t>(caps.size());
  m.capabilities = caps.empty() ? nullptr : caps.data();

  auto read = custody::plugin::read_manifest(&m);
  if (!read) {
    if (read.error().code != custody::ErrorCode::kInvalidArgument) std::abort();
    return 0;
  }
  if (read->abi_major != CUSTODY_ABI_MAJOR) return 0;  // only the leading fields are read
  if (!custody::plugin::valid_plugin_id(read->id)) std::abort();
  if (read->capabilities.size() > 64 || read->capabilities.size() != caps.size()) std::abort();
  (void)custody::plugin::check_abi(*read);
  std::string json;
  custody::codec::JsonWriter w(json);
  custody::plugin::write_manifest_json(*read, w);
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object() || v.as_object().at("id") != read->id.c_str()) std::abort();
  return 0;
}
