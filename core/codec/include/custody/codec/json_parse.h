// Parsing JSON that people and machines send custody: commands, settings, queries.
//
// Boost.JSON keeps the last of two members with the same key, so
// {"actor":"system","actor":"user:a"} would read as one actor to custody and another to a
// reviewer or a second parser. custody refuses duplicate keys at any depth, and input larger
// than a cap, instead of choosing.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "custody/common/error.h"

namespace custody::codec {

// kInvalidArgument (field `field`) for malformed JSON or a key repeated within an object
// (the message names the key); kOutOfRange for text longer than `max_bytes`. The value's
// memory comes from `storage` (Boost.JSON's default heap when null).
[[nodiscard]] Result<boost::json::value> parse_json(std::string_view text, std::string_view field,
                                                    std::size_t max_bytes = 1 << 20,
                                                    boost::json::storage_ptr storage = {});

}  // namespace custody::codec
