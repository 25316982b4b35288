// `--format table`: JSON output rendered for people. Scalars of an object print as
// "key: value" lines, nested objects indent, and arrays of objects become aligned tables
// of their scalar members.
#pragma once

#include <string>
#include <string_view>

namespace custody::cli {

[[nodiscard]] std::string render_table(std::string_view json);

// The output format of commands that support both.
enum class Format { kJson, kTable };

}  // namespace custody::cli
