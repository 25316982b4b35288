// Identifiers: command ids, actors, types and every `$id` field (lots, orders, materials,
// equipment, exceptions). They become keys and stream names, appear on labels and in
// recalls, and are compared byte for byte, so two ids that look the same must be the same
// bytes. The alphabet:
//
//   - 1 to 128 bytes of valid UTF-8, not starting or ending with a space;
//   - no control characters (C0, DEL, C1), no invisible or format characters (zero-width
//     spaces and joiners, bidirectional controls such as U+202E, soft hyphen, BOM), no
//     spaces other than U+0020;
//   - in Unicode normalization form NFC, and free of compatibility characters (those NFKC
//     would change: fullwidth "：" for ":", ligatures, superscripts);
//   - letters from one script, or the combinations people write with Latin in one id:
//     Latin with Han and Japanese kana, with Han and Bopomofo, or with Han and Hangul
//     (so "批次-A1" is fine, but a Latin id with one Cyrillic "а" is not).
//
// ASCII identifiers need only the first rule and the control characters.
#pragma once

#include <string>
#include <string_view>

namespace custody::codec {

// Returns a message saying what is wrong, or empty when `s` is a valid identifier.
[[nodiscard]] std::string check_identifier(std::string_view s);

}  // namespace custody::codec
