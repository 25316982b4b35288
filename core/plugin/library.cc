#include "custody/plugin/library.h"

#include <dlfcn.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstddef>
#include <cstring>

namespace custody::plugin {
namespace {

std::unexpected<Error> unreadable(std::string message) {
  return std::unexpected(
      Error{ErrorCode::kInvalidArgument, "unreadable manifest: " + message, "manifest"});
}

// A manifest string: present, NUL-terminated within a sane length.
// Well-formed UTF-8 (no overlong forms, no surrogates, nothing beyond U+10FFFF) without
// control characters: what a manifest shows operators, in a terminal, JSON and the web UI.
bool printable_utf8(std::string_view t) {
  for (std::size_t i = 0; i < t.size();) {
    const auto c = static_cast<unsigned char>(t[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    const std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || i + len > t.size()) return false;
    std::uint32_t cp = c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(t[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0x80 && cp < 0xa0)) {
      return false;
    }
    i += len;
  }
  return true;
}

Result<std::string> manifest_text(const char* s, std::string_view what, std::size_t max) {
  if (s == nullptr) return unreadable(std::string(what) + " is null");
  const std::size_t n = strnlen(s, max + 1);
  if (n > max) return unreadable(std::string(what) + " is longer than " + std::to_string(max));
  // Found by fuzz_manifest: other bytes made `custody plugins check` print invalid JSON, and
  // a control character could rewrite an operator's terminal.
  if (!printable_utf8(std::string_view(s, n))) {
    return unreadable(std::string(what) + " is not printable UTF-8 text");
  }
  return std::string(s, n);
}

constexpr std::size_t kLeadingSize = offsetof(custody_manifest, abi_minor) + sizeof(std::uint16_t);
constexpr std::size_t kV1Size =
    offsetof(custody_manifest, capabilities) + sizeof(const char* const*);

}  // namespace

std::string_view kind_name(PluginKind kind) {
  switch (kind) {
    case PluginKind::kScheduler:
      return "scheduler";
    case PluginKind::kDeviceDriver:
      return "device_driver";
    case PluginKind::kReport:
      return "report";
    case PluginKind::kOther:
      return "other";
  }
  return "other";
}

bool valid_plugin_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(id.front())) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

Result<Manifest> read_manifest(const custody_manifest* m) {
  if (m == nullptr) return unreadable("custody_plugin_manifest() returned null");
  if (m->struct_size < kLeadingSize) {
    return unreadable("struct_size " + std::to_string(m->struct_size) + " is too small");
  }
  Manifest out;
  out.abi_major = m->abi_major;
  out.abi_minor = m->abi_minor;
  if (out.abi_major != CUSTODY_ABI_MAJOR) return out;  // the rest may be laid out otherwise
  if (m->struct_size < kV1Size) {
    return unreadable("struct_size " + std::to_string(m->struct_size) + " is smaller than ABI " +
                      std::to_string(CUSTODY_ABI_MAJOR) + ".0's " + std::to_string(kV1Size));
  }
  auto id = manifest_text(m->id, "id", 64);
  if (!id) return std::unexpected(id.error());
  if (!valid_plugin_id(*id)) {
    return unreadable("id '" + *id + "' is not [a-z0-9][a-z0-9._-]{0,63}");
  }
  out.id = std::move(*id);
  auto version = manifest_text(m->version, "version", 64);
  if (!version) return std::unexpected(version.error());
  out.version = std::move(*version);
  auto description = m->description ? manifest_text(m->description, "description", 1024)
                                    : Result<std::string>(std::string());
  if (!description) return std::unexpected(description.error());
  out.description = std::move(*description);
  if (m->kind < CUSTODY_KIND_SCHEDULER || m->kind > CUSTODY_KIND_OTHER) {
    return unreadable("kind " + std::to_string(m->kind) + " is not a CUSTODY_KIND_*");
  }
  out.kind = static_cast<PluginKind>(m->kind);
  if (m->capability_count > 64) return unreadable("more than 64 capabilities");
  if (m->capability_count > 0 && m->capabilities == nullptr) {
    return unreadable("capabilities is null");
  }
  for (std::uint32_t i = 0; i < m->capability_count; ++i) {
    auto c = manifest_text(m->capabilities[i], "capabilities[" + std::to_string(i) + "]", 64);
    if (!c) return std::unexpected(c.error());
    out.capabilities.push_back(std::move(*c));
  }
  auto requested = Capabilities::parse(out.capabilities, "manifest.capabilities");
  if (!requested) return unreadable(requested.error().message);
  out.requested = std::move(*requested);
  return out;
}

Result<void> check_abi(const Manifest& m) {
  const std::string plugin = std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor);
  const std::string host =
      std::to_string(CUSTODY_ABI_MAJOR) + "." + std::to_string(CUSTODY_ABI_MINOR);
  if (m.abi_major != CUSTODY_ABI_MAJOR) {
    return std::unexpected(Error{ErrorCode::kUnsupportedVersion,
                                 "plugin ABI " + plugin +
                                     " has another major version than this "
                                     "host's ABI " +
                                     host +
                                     "; rebuild the plugin against a "
                                     "matching SDK",
                                 "manifest.abi_major"});
  }
  if (m.abi_minor > CUSTODY_ABI_MINOR) {
    return std::unexpected(Error{ErrorCode::kUnsupportedVersion,
                                 "plugin ABI " + plugin + " is newer than this host's ABI " + host +
                                     "; upgrade custody or build against an older SDK",
                                 "manifest.abi_minor"});
  }
  return {};
}

void write_manifest_json(const Manifest& m, codec::JsonWriter& out) {
  const auto abi = check_abi(m);
  out.begin_object();
  if (!m.id.empty()) out.key("id").string(m.id);
  if (!m.version.empty()) out.key("version").string(m.version);
  if (!m.description.empty()) out.key("description").string(m.description);
  if (m.abi_major == CUSTODY_ABI_MAJOR) out.key("kind").string(kind_name(m.kind));
  out.key("abi").begin_object();
  out.key("plugin").string(std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor));
  out.key("host").string(std::to_string(CUSTODY_ABI_MAJOR) + "." +
                         std::to_string(CUSTODY_ABI_MINOR));
  out.key("compatible").boolean(abi.has_value());
  out.end_object();
  out.key("capabilities").begin_array();
  for (const auto& c : m.capabilities) out.string(c);
  out.end_array();
  if (!abi) {
    out.key("error").begin_object();
    out.key("code").string(code_name(abi.error().code));
    out.key("message").string(abi.error().message);
    out.key("field").string(abi.error().field);
    out.end_object();
  }
  out.end_object();
}

struct PluginLibrary::Handle {
  boost::dll::shared_library library;
};

PluginLibrary::~PluginLibrary() = default;

Result<std::unique_ptr<PluginLibrary>> PluginLibrary::open(const std::filesystem::path& path) {
  std::error_code exists_ec;
  if (!std::filesystem::is_regular_file(path, exists_ec)) {
    return std::unexpected(
        Error{ErrorCode::kNotFound, "plugin library " + path.string() + " does not exist", "path"});
  }
  std::unique_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = std::filesystem::absolute(path);
  lib->handle_ = std::make_unique<Handle>();
  boost::dll::fs::error_code ec;
  lib->handle_->library.load(
      lib->path_.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    const char* why = dlerror();
    return std::unexpected(Error{
        ErrorCode::kInvalidArgument,
        path.string() + " is not a loadable library: " + (why ? std::string(why) : ec.message()),
        "path"});
  }
  // Pin it: Boost.DLL unloads in its destructor, and a plugin's code must outlive every
  // thread that may still return into it.
  if (dlopen(lib->path_.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) == nullptr) {
    return std::unexpected(Error::internal("cannot pin " + path.string()));
  }
  auto& so = lib->handle_->library;
  for (const char* symbol : {CUSTODY_PLUGIN_MANIFEST_SYMBOL, CUSTODY_PLUGIN_INIT_SYMBOL}) {
    if (!so.has(symbol)) {
      return std::unexpected(Error{ErrorCode::kInvalidArgument,
                                   path.string() + " does not export " + symbol +
                                       " (build it with custody_add_plugin and the "
                                       "CUSTODY_PLUGIN macro)",
                                   "path"});
    }
  }
  auto manifest_fn = so.get<const custody_manifest*()>(CUSTODY_PLUGIN_MANIFEST_SYMBOL);
  if (so.has(CUSTODY_PLUGIN_CHECK_CONFIG_SYMBOL)) {
    lib->check_config_ = &so.get<custody_status(const char*, std::size_t, custody_result*)>(
        CUSTODY_PLUGIN_CHECK_CONFIG_SYMBOL);
  }
  lib->init_ =
      &so.get<custody_status(const custody_host*, custody_plugin*)>(CUSTODY_PLUGIN_INIT_SYMBOL);
  auto manifest = read_manifest(manifest_fn());
  if (!manifest) {
    auto e = manifest.error();
    e.message = path.string() + ": " + e.message;
    return std::unexpected(std::move(e));
  }
  lib->manifest_ = std::move(*manifest);
  return lib;
}

ConfigCheck PluginLibrary::check_config(std::string_view config_json) const {
  ConfigCheck out;
  if (check_config_ == nullptr) {
    out.why = Error{ErrorCode::kUnsupportedVersion,
                    "the plugin does not check a configuration before it starts (it exports "
                    "no " CUSTODY_PLUGIN_CHECK_CONFIG_SYMBOL "); it is checked when it starts",
                    "config"};
    return out;
  }
  custody_result r;
  std::memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  const custody_status s = check_config_(config_json.data(), config_json.size(), &r);
  r.code[sizeof r.code - 1] = r.field[sizeof r.field - 1] = r.message[sizeof r.message - 1] = '\0';
  if (s == CUSTODY_OK) {
    out.verdict = ConfigVerdict::kAccepted;
  } else if (s == CUSTODY_ERR_UNSUPPORTED) {
    out.why = Error{ErrorCode::kUnsupportedVersion, r.message, "config"};
  } else {
    out.verdict = ConfigVerdict::kRefused;
    out.why = Error{
        s == CUSTODY_ERR_INVALID_ARGUMENT ? ErrorCode::kInvalidArgument : ErrorCode::kInternal,
        r.message[0] ? std::string(r.message) : "the plugin refused its configuration",
        r.field[0] ? std::string(r.field) : "config"};
  }
  return out;
}

bool is_bundled(const std::filesystem::path& path) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return false;
  const auto bundled = std::filesystem::weakly_canonical(self.parent_path() / ".." / "plugins", ec);
  if (ec) return false;
  const auto lib = std::filesystem::weakly_canonical(path, ec);
  if (ec) return false;
  const auto rel = lib.lexically_relative(bundled);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace custody::plugin
