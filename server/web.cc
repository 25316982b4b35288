#include "custody/server/web.h"

#include <algorithm>

#include "custody/common/encoding.h"
#include "custody/common/files.h"
#include "custody/crypto/sha256.h"

namespace custody::server {
namespace {

constexpr std::string_view kUi = "/ui/";
constexpr std::string_view kVendor = "/ui/vendor/";

std::string_view content_type(std::string_view url) {
  auto ends = [&](std::string_view ext) {
    return url.ends_with(ext);
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

// The page's inline import map is the one script that is not a file: the policy names it by
// its SHA-256, so no other inline script runs.
std::string policy_for(std::string_view html) {
  std::string scripts = "'self'";
  constexpr std::string_view open = "<script type=\"importmap\">";
  if (auto at = html.find(open); at != std::string_view::npos) {
    const auto begin = at + open.size();
    if (auto end = html.find("</script>", begin); end != std::string_view::npos) {
      const auto digest = crypto::sha256(html.substr(begin, end - begin));
      scripts += " 'sha256-" + to_base64(digest) + "'";
    }
  }
  return "default-src 'none'; script-src " + scripts +
         "; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
         "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
}

bool safe_relative(std::string_view rel) {
  if (rel.empty() || rel.front() == '/') return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    auto end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    const auto part = rel.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\\') != std::string_view::npos) {
      return false;
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

WebUi::WebUi(std::filesystem::path root) : root_(std::move(root)) {}

std::optional<std::string> WebUi::read(std::string_view url) const {
  if (!root_.empty() && !url.starts_with(kVendor)) {
    const auto rel = url.substr(kUi.size());
    if (!safe_relative(rel)) return std::nullopt;
    auto bytes = read_file(root_ / std::string(rel));
    if (!bytes) return std::nullopt;
    return std::move(*bytes);
  }
  const auto files = embedded_web_files();
  auto it =
      std::find_if(files.begin(), files.end(), [&](const WebFile& f) { return f.url == url; });
  if (it == files.end()) return std::nullopt;
  return std::string(it->bytes);
}

std::optional<Response> WebUi::get(std::string_view path) const {
  std::string url(path);
  if (url == "/" || url == "/ui" || url == "/ui/") url = "/ui/index.html";
  if (!url.starts_with(kUi)) return std::nullopt;
  auto bytes = read(url);
  if (!bytes) return std::nullopt;
  Response r{200, std::string(content_type(url)), std::move(*bytes), {}};
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (url.ends_with(".html")) {
    r.headers.emplace_back("Content-Security-Policy", policy_for(r.body));
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  return r;
}

}  // namespace custody::server
