// Small durable-file helpers for the ledger directory's own files (FORMAT, node.key, ...).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "custody/common/error.h"

namespace custody {

// Creates `path` (failing if it exists) with `mode`, writes `text` and fsyncs it.
[[nodiscard]] Result<void> write_new_file(const std::filesystem::path& path, std::string_view text,
                                          mode_t mode);

// Replaces `path` atomically: writes a temporary file beside it, fsyncs it, renames it over
// `path` and fsyncs the directory. A crash leaves the old file or the new one, never half.
[[nodiscard]] Result<void> replace_file(const std::filesystem::path& path, std::string_view text,
                                        mode_t mode);

// Reads a whole file of at most `max_bytes`. kNotFound when it does not exist, kOutOfRange
// when it is larger (nothing beyond the cap is read), kIoError otherwise.
inline constexpr std::size_t kDefaultMaxFileBytes = 1 << 20;
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path,
                                            std::size_t max_bytes = kDefaultMaxFileBytes);

// fsyncs a directory so that entries created in it survive a crash.
[[nodiscard]] Result<void> sync_dir(const std::filesystem::path& dir);

}  // namespace custody
