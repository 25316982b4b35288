// Percent-encoding (RFC 3986 §2.1): what may not stand as it is in a URI's path segment, a
// URN's part or a query value.
#pragma once

#include <string>
#include <string_view>

namespace custody {

// Every byte but the unreserved characters (letters, digits, "-", ".", "_", "~") as %XX, in
// upper-case hex: "lot/7 a" -> "lot%2F7%20a".
[[nodiscard]] std::string percent_encode(std::string_view s);

}  // namespace custody
