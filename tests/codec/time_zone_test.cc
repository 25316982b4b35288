// The site time zone reader: Debian's zone files, their footer rules beyond the last
// transition, and the same answers glibc's localtime_r gives from the same files.
#include "custody/common/time_zone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <random>

#include "custody/common/encoding.h"

namespace custody {
namespace {

std::int64_t at(std::string_view rfc3339) {
  auto t = parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t ? *t / 1'000'000'000 : 0;
}

TimeZone zone(std::string_view name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z) << name << ": " << z.error().message;
  return z ? *z : TimeZone{};
}

// A TZif version 2 file with no transitions, one type and `footer` as its rule: what a
// "slim" zone file is for a zone whose rule has not changed.
std::string slim_tzif(std::string_view footer, int utoff_seconds, std::string_view abbrev) {
  auto be32 = [](std::uint32_t v) {
    std::string s(4, '\0');
    for (int i = 3; i >= 0; --i, v >>= 8) s[static_cast<std::size_t>(i)] = static_cast<char>(v);
    return s;
  };
  auto header = [&](std::uint32_t chars) {
    return std::string("TZif2") + std::string(15, '\0') + be32(0) + be32(0) + be32(0) + be32(0) +
           be32(1) + be32(chars);
  };
  const std::string chars = std::string(abbrev) + '\0';
  const std::string type =
      be32(static_cast<std::uint32_t>(utoff_seconds)) + std::string(1, '\0') + std::string(1, '\0');
  return header(static_cast<std::uint32_t>(chars.size())) + type + chars +
         header(static_cast<std::uint32_t>(chars.size())) + type + chars + "\n" +
         std::string(footer) + "\n";
}

TEST(TimeZone, ParisChangesOnTheLastSundaysOfMarchAndOctober) {
  const TimeZone paris = zone("Europe/Paris");
  EXPECT_EQ(paris.at(at("2026-03-29T00:59:59Z")), (ZoneOffset{60, "CET", false}));
  EXPECT_EQ(paris.at(at("2026-03-29T01:00:00Z")), (ZoneOffset{120, "CEST", true}));
  EXPECT_EQ(paris.at(at("2026-10-25T00:59:59Z")).minutes, 120);
  EXPECT_EQ(paris.at(at("2026-10-25T01:00:00Z")).minutes, 60);
  // Far beyond the file's last transition, from its footer rule.
  EXPECT_EQ(paris.at(at("2100-03-28T00:59:59Z")).abbreviation, "CET");
  EXPECT_EQ(paris.at(at("2100-03-28T01:00:00Z")).abbreviation, "CEST");
  // Before 1911 Paris kept its own mean time.
  EXPECT_EQ(paris.at(at("1971-01-01T00:00:00Z")).minutes, 60);

  auto periods = paris.periods(at("2026-01-01T00:00:00Z"), at("2026-12-31T00:00:00Z"));
  ASSERT_TRUE(periods) << periods.error().message;
  ASSERT_EQ(periods->size(), 3u);
  EXPECT_EQ((*periods)[0].from, at("2026-01-01T00:00:00Z"));
  EXPECT_EQ((*periods)[0].offset.abbreviation, "CET");
  EXPECT_EQ((*periods)[1].from, at("2026-03-29T01:00:00Z"));
  EXPECT_EQ((*periods)[1].offset.minutes, 120);
  EXPECT_EQ((*periods)[2].from, at("2026-10-25T01:00:00Z"));
  // The same from the rule alone, in a year no transition lists.
  auto later = paris.periods(at("2200-01-01T00:00:00Z"), at("2200-12-31T00:00:00Z"));
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 3u);
  EXPECT_EQ((*later)[1].from, at("2200-03-30T01:00:00Z"));
  EXPECT_EQ((*later)[2].from, at("2200-10-26T01:00:00Z"));
}

TEST(TimeZone, ShanghaiAndSydneyAndUtc) {
  const TimeZone shanghai = zone("Asia/Shanghai");
  EXPECT_EQ(shanghai.at(at("2026-07-01T00:00:00Z")), (ZoneOffset{480, "CST", false}));
  EXPECT_EQ(shanghai.at(at("1990-07-01T00:00:00Z")), (ZoneOffset{540, "CDT", true}));
  // The southern hemisphere: daylight time spans the new year.
  const TimeZone sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney.at(at("2150-01-15T00:00:00Z")), (ZoneOffset{660, "AEDT", true}));
  EXPECT_EQ(sydney.at(at("2150-07-15T00:00:00Z")), (ZoneOffset{600, "AEST", false}));
  const TimeZone utc = zone("UTC");
  EXPECT_EQ(utc.at(at("2026-07-01T00:00:00Z")), (ZoneOffset{0, "UTC", false}));
  auto one = utc.periods(0, at("2262-01-01T00:00:00Z"));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1u);
}

TEST(TimeZone, AgreesWithGlibcOnTheSameFiles) {
  const char* saved = std::getenv("TZ");
  const std::string restore = saved != nullptr ? saved : "";
  std::mt19937_64 random(20261201);
  std::uniform_int_distribution<std::int64_t> instant(0, at("2099-12-31T00:00:00Z"));
  for (const char* name :
       {"Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo",
        "Europe/Dublin", "Pacific/Chatham", "America/Nuuk", "Asia/Jerusalem"}) {
    const TimeZone z = zone(name);
    ::setenv("TZ", (std::string(":") + name).c_str(), 1);
    ::tzset();
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t t = instant(random);
      const std::time_t tt = t;
      std::tm tm{};
      ASSERT_NE(::localtime_r(&tt, &tm), nullptr);
      const ZoneOffset o = z.at(t);
      ASSERT_EQ(o.minutes, tm.tm_gmtoff / 60) << name << " at " << t;
      ASSERT_EQ(o.abbreviation, tm.tm_zone) << name << " at " << t;
      ASSERT_EQ(o.dst, tm.tm_isdst > 0) << name << " at " << t;
    }
  }
  if (saved != nullptr) {
    ::setenv("TZ", restore.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
}

TEST(TimeZone, ASlimFileIsReadFromItsRule) {
  auto z = TimeZone::parse("Test/Slim", slim_tzif("CET-1CEST,M3.5.0,M10.5.0/3", 3600, "CET"));
  ASSERT_TRUE(z) << z.error().message;
  EXPECT_EQ(z->at(at("2026-03-29T01:00:00Z")), (ZoneOffset{120, "CEST", true}));
  EXPECT_EQ(z->at(at("2026-12-01T00:00:00Z")), (ZoneOffset{60, "CET", false}));
  // Israel: Friday before the last Sunday of March at 02:00 ("M3.4.4/26": Thursday 26:00).
  auto il = TimeZone::parse("Test/IL", slim_tzif("IST-2IDT,M3.4.4/26,M10.5.0", 7200, "IST"));
  ASSERT_TRUE(il) << il.error().message;
  EXPECT_EQ(il->at(at("2030-03-28T23:59:59Z")).abbreviation, "IST");
  EXPECT_EQ(il->at(at("2030-03-29T00:00:00Z")).abbreviation, "IDT");
  // Negative change times and quoted numeric abbreviations.
  auto nuuk = TimeZone::parse_rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  ASSERT_TRUE(nuuk) << nuuk.error().message;
  EXPECT_EQ(nuuk->standard, (ZoneOffset{-120, "-02", false}));
  EXPECT_EQ(nuuk->daylight, (ZoneOffset{-60, "-01", true}));
  auto fixed = TimeZone::parse_rule("<+08>-8");
  ASSERT_TRUE(fixed);
  EXPECT_FALSE(fixed->has_daylight);
  EXPECT_EQ(fixed->standard.minutes, 480);
}

TEST(TimeZone, BadNamesAndFilesAreRefused) {
  for (const char* name : {"../etc/passwd", "/etc/localtime", "", "Europe/Par is"}) {
    auto z = TimeZone::load(name);
    ASSERT_FALSE(z) << name;
    EXPECT_EQ(z.error().code, ErrorCode::kInvalidArgument) << name;
  }
  auto missing = TimeZone::load("Mars/Olympus_Mons");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("Mars/Olympus_Mons"), std::string::npos);

  const std::string good = slim_tzif("CET-1CEST,M3.5.0,M10.5.0/3", 3600, "CET");
  ASSERT_TRUE(TimeZone::parse("x", good));
  std::string magic = good;
  magic[0] = 'X';
  std::string no_footer = good.substr(0, good.size() - 1);
  std::string bad_rule = slim_tzif("CET-1CEST,M13.5.0,M10.5.0/3", 3600, "CET");
  std::string bad_offset = slim_tzif("CET-1", 90000, "CET");
  for (const auto& bytes :
       {magic, no_footer, bad_rule, bad_offset, good.substr(0, 50), std::string()}) {
    auto z = TimeZone::parse("x", bytes);
    ASSERT_FALSE(z) << bytes.size();
    EXPECT_EQ(z.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(z.error().message.find("not a TZif file"), std::string::npos) << z.error().message;
  }
  for (const char* rule : {"C-1", "CET", "CET-25", "CET-1CEST,M3.5.0", "CET-1CEST,J0,J365",
                           "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5.0/168,M10.5.0", "<CET-1"}) {
    EXPECT_FALSE(TimeZone::parse_rule(rule)) << rule;
  }
  // More changes than asked for is an error, not a silent cut.
  const TimeZone paris = zone("Europe/Paris");
  auto many = paris.periods(at("1990-01-01T00:00:00Z"), at("2200-01-01T00:00:00Z"), 10);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().code, ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace custody
