// Files the CLI writes for people (`--out`): reports, FSMA 204 spreadsheets.
//
// Such a path comes from a user and may point anywhere, so writing is careful: never inside
// a ledger directory (a report once overwrote node.key), never over an existing file
// without --force, and never through a half-written file: the text goes to a new temporary
// file beside the target, is fsynced and renamed over it. A symbolic link at the target is
// replaced, not followed.
#pragma once

#include <filesystem>
#include <string_view>

#include "custody/common/error.h"

namespace custody::cli {

enum class Overwrite { kRefuse, kAllow };

// Writes `text` to `path`. Errors name `field` ("out"): kPermissionDenied inside a ledger
// directory, kAlreadyExists when the file exists and `overwrite` is kRefuse, kIoError.
[[nodiscard]] Result<void> write_output_file(const std::filesystem::path& path,
                                             std::string_view text, Overwrite overwrite,
                                             std::string_view field = "out");

// The same checks for a directory that files will be written into (created if missing).
[[nodiscard]] Result<void> prepare_output_dir(const std::filesystem::path& dir,
                                              std::string_view field = "out");

}  // namespace custody::cli
