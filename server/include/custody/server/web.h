// The web UI's files: served by `custody serve` at / and /ui/..., from the copy built into the
// binary, or from a folder while the UI is being worked on (--web-root). The UI is static
// files; everything it shows it asks the public /v1 API for, like any other client.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "custody/server/api.h"

namespace custody::server {

struct WebFile {
  std::string_view url;  // "/ui/app.js", "/ui/vendor/preact/dist/preact.module.js"
  std::string_view bytes;
};

// Every file built into the binary (generated from server/web/ and node_modules/).
[[nodiscard]] std::span<const WebFile> embedded_web_files();

class WebUi {
 public:
  // `root` empty: the embedded files. Otherwise /ui/<path> is read from root/<path> on each
  // request (a developer's copy of server/web/), except /ui/vendor/, which stays embedded.
  explicit WebUi(std::filesystem::path root = {});

  // The answer to GET `path` (no query) when it is the UI's: / is index.html; nullopt
  // otherwise. Each answer carries a Content-Security-Policy that lets the page load
  // scripts and styles from this server only (and its one inline import map, by hash).
  [[nodiscard]] std::optional<Response> get(std::string_view path) const;

 private:
  [[nodiscard]] std::optional<std::string> read(std::string_view url) const;
  std::filesystem::path root_;
};

}  // namespace custody::server
