#include "custody/codec/identifier.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <vector>

namespace custody::codec {
namespace {

std::string code_point(UChar32 c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

std::string_view script_name(UScriptCode sc) {
  const char* name = uscript_getName(sc);
  return name ? name : "unknown";
}

// Scripts that may share one identifier (UTS #39, "highly restrictive").
bool allowed_together(const std::vector<UScriptCode>& scripts) {
  if (scripts.size() <= 1) return true;
  for (const auto& allowed :
       {std::initializer_list<UScriptCode>{USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_HIRAGANA,
                                           USCRIPT_KATAKANA},
        std::initializer_list<UScriptCode>{USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_BOPOMOFO},
        std::initializer_list<UScriptCode>{USCRIPT_LATIN, USCRIPT_HAN, USCRIPT_HANGUL}}) {
    if (std::all_of(scripts.begin(), scripts.end(), [&](UScriptCode sc) {
          return std::find(allowed.begin(), allowed.end(), sc) != allowed.end();
        })) {
      return true;
    }
  }
  return false;
}

std::string check_unicode(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return "cannot be checked (Unicode data unavailable)";
  std::vector<UScriptCode> scripts;
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const auto length = static_cast<int32_t>(s.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return "is not valid UTF-8";
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return "must not contain control characters";
    const auto category = static_cast<UCharCategory>(u_charType(c));
    if (category == U_FORMAT_CHAR || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) {
      return "must not contain invisible or direction-changing characters (" + code_point(c) + ")";
    }
    if ((category == U_SPACE_SEPARATOR && c != ' ') || category == U_LINE_SEPARATOR ||
        category == U_PARAGRAPH_SEPARATOR) {
      return "must not contain spaces other than U+0020 (" + code_point(c) + ")";
    }
    const icu::UnicodeString one(c);
    if (!nfkc->isNormalized(one, status)) {
      icu::UnicodeString plain;
      nfkc->normalize(one, plain, status);
      std::string plain_utf8;
      plain.toUTF8String(plain_utf8);
      return "contains " + code_point(c) + ", a compatibility form of \"" + plain_utf8 +
             "\"; use the plain character";
    }
    const UScriptCode sc = uscript_getScript(c, &status);
    if (U_SUCCESS(status) && sc != USCRIPT_COMMON && sc != USCRIPT_INHERITED &&
        std::find(scripts.begin(), scripts.end(), sc) == scripts.end()) {
      scripts.push_back(sc);
    }
  }
  if (!nfc->isNormalized(icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), length)),
                         status)) {
    return "must be in Unicode normalization form NFC (composed characters)";
  }
  if (!allowed_together(scripts)) {
    std::string names;
    for (auto sc : scripts) names += (names.empty() ? "" : " and ") + std::string(script_name(sc));
    return "mixes scripts (" + names + "); letters that look alike across scripts are refused";
  }
  return {};
}

}  // namespace

std::string check_identifier(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 128) return "must be at most 128 bytes";
  if (s.front() == ' ' || s.back() == ' ') return "must not start or end with a space";
  bool ascii = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
    ascii = ascii && c < 0x80;
  }
  return ascii ? std::string() : check_unicode(s);
}

}  // namespace custody::codec
