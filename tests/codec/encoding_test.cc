// Hex, base64 and RFC 3339 helpers.
#include "custody/common/encoding.h"

#include <gtest/gtest.h>

#include <limits>

namespace custody {
namespace {

TEST(Encoding, HexRoundTrip) {
  const std::string raw("\x00\x01\xab\xff", 4);
  EXPECT_EQ(to_hex(as_bytes(raw)), "0001abff");
  EXPECT_EQ(*from_hex("0001ABff"), raw);
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
}

TEST(Encoding, Base64RoundTrip) {
  EXPECT_EQ(to_base64(as_bytes("hello")), "aGVsbG8=");
  EXPECT_EQ(*from_base64("aGVsbG8="), "hello");
  EXPECT_FALSE(from_base64("aGVsbG8"));
  EXPECT_FALSE(from_base64("a*b="));
}

TEST(Encoding, Rfc3339) {
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00.000000001Z"), 1);
  EXPECT_EQ(*parse_rfc3339("2026-11-21T08:00:00Z"), 1795248000LL * 1'000'000'000LL);
  EXPECT_EQ(*parse_rfc3339("2026-11-21T09:00:00+01:00"), *parse_rfc3339("2026-11-21T08:00:00Z"));
  EXPECT_EQ(*parse_rfc3339("2026-11-21"), *parse_rfc3339("2026-11-21T00:00:00Z"));
  EXPECT_EQ(*parse_rfc3339("2026-11-21T08:00:00.25Z") - *parse_rfc3339("2026-11-21T08:00:00Z"),
            250'000'000);
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-21T08:00:00.25Z")), "2026-11-21T08:00:00.25Z");
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  // The offset a sender wrote in is read back, and the same instant written in it again.
  for (const std::string t : {"2026-11-21T09:00:00+01:00", "2026-11-20T23:30:00.5-08:30",
                              "2026-11-21T13:30:00+05:30", "2026-11-21T08:00:00Z"}) {
    auto at = parse_rfc3339(t);
    ASSERT_TRUE(at) << t;
    EXPECT_EQ(format_rfc3339(*at, rfc3339_offset_minutes(t)), t);
  }
  EXPECT_EQ(rfc3339_offset_minutes("2026-11-21T13:30:00+05:30"), 330);
  EXPECT_EQ(rfc3339_offset_minutes("2026-11-21T00:00:00-08:00"), -480);
  EXPECT_EQ(rfc3339_offset_minutes("2026-11-21T00:00:00-00:00"), 0);
  EXPECT_EQ(rfc3339_offset_minutes("2026-11-21"), 0);
  for (const char* bad : {"", "2026-13-01", "2026-02-30", "2026-11-21T25:00:00Z",
                          "2026-11-21T08:00:00", "2026-11-21T08:00Z", "yesterday"}) {
    ASSERT_FALSE(parse_rfc3339(bad)) << bad;
    EXPECT_EQ(parse_rfc3339(bad).error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

// Hardening finding 8: times outside what 64-bit nanoseconds hold wrapped silently (9999 was
// stored as 1816, 2300 as 1715), and the epoch itself was stored as "not given".
TEST(Encoding, TimesCustodyCannotRecordAreOutOfRange) {
  for (const char* bad :
       {"9999-12-31T23:59:59Z", "2300-01-01", "2262-04-11T23:47:17Z", "1970-01-01T00:00:00Z",
        "1970-01-01", "1969-12-31T23:59:59Z", "1677-09-21T00:12:44Z", "0001-01-01T00:00:00Z",
        "1970-01-01T01:00:00+01:00"}) {
    auto t = parse_rfc3339(bad);
    ASSERT_FALSE(t) << bad << " parsed as " << *t;
    EXPECT_EQ(t.error().code, ErrorCode::kOutOfRange) << bad;
  }
  EXPECT_EQ(format_rfc3339(*parse_rfc3339(std::string(kMaxTimeText))), kMaxTimeText);
  EXPECT_EQ(*parse_rfc3339("2262-04-11T23:47:16.854775807Z"), std::numeric_limits<TimeNs>::max());
}

}  // namespace
}  // namespace custody
