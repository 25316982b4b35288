// Record encoding: the direct canonical writer must produce exactly what capnp's
// canonicalize() does, and check_record must notice any change.
#include "custody/ledger/record.h"

#include <gtest/gtest.h>

#include <random>

#include "custody/common/encoding.h"

namespace custody::ledger {
namespace {

std::string random_text(std::mt19937_64& rng, std::size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

RecordFields random_record(std::mt19937_64& rng) {
  RecordFields r;
  auto maybe_zero = [&](std::uint64_t v) {
    return rng() % 4 == 0 ? 0 : v;
  };
  r.seq = maybe_zero(rng() % 1000000 + 1);
  r.recorded_at = static_cast<TimeNs>(maybe_zero(rng() >> 2));
  r.occurred_at = static_cast<TimeNs>(maybe_zero(rng() >> 2));
  // Offsets across RFC 3339's range, negative ones too (the Int16's sign bits).
  if (r.occurred_at != 0 && rng() % 2 == 0) {
    r.occurred_offset = static_cast<std::int16_t>(static_cast<int>(rng() % 2879) - 1439);
  }
  r.stream_version = maybe_zero(rng() % 1000);
  r.stream_prev_seq = maybe_zero(rng() % 1000);
  r.command_id = random_text(rng, 40);
  r.actor = random_text(rng, 20);
  r.stream = random_text(rng, 30);
  r.type = random_text(rng, 16);
  r.payload = random_text(rng, 600);
  if (r.payload.empty()) r.payload = "p";
  for (auto& b : r.prev_hash) b = static_cast<std::uint8_t>(rng());
  r.payload_digest = crypto::sha256(r.payload);
  return r;
}

TEST(Record, DirectCanonicalFormEqualsCapnp) {
  std::mt19937_64 rng(2026);
  for (int i = 0; i < 2000; ++i) {
    const RecordFields r = random_record(rng);
    ASSERT_EQ(canonical_record(r, RecordForm::kStored),
              canonical_record_via_capnp(r, RecordForm::kStored))
        << "case " << i;
    ASSERT_EQ(canonical_record(r, RecordForm::kLeaf),
              canonical_record_via_capnp(r, RecordForm::kLeaf))
        << "case " << i;
  }
}

// A client's UTC offset is kept with occurredAt and hashed; a record without one (or "Z") has
// the bytes it had before the field existed; an offset no clock has, or one without a time,
// is refused.
TEST(Record, TheOccurredOffsetIsKeptHashedAndChecked) {
  std::mt19937_64 rng(11);
  RecordFields r = random_record(rng);
  r.occurred_at = 1795248000LL * 1'000'000'000LL;
  r.stream_prev_seq = 7;  // the fifth data word set: only the offset's word can be dropped
  r.occurred_offset = 0;
  const std::string utc = canonical_record(r, RecordForm::kStored);
  // Five data words, as before the offset existed: the root pointer's data size.
  EXPECT_EQ(static_cast<unsigned char>(utc[4]), 5u);
  for (const int offset : {60, -480, 330, 1439, -1439}) {
    r.occurred_offset = static_cast<std::int16_t>(offset);
    const EncodedRecord enc = encode_record(r);
    EXPECT_EQ(enc.bytes, canonical_record_via_capnp(r, RecordForm::kStored)) << offset;
    EXPECT_NE(enc.bytes, utc) << offset;
    auto back = decode_record(enc.bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->occurred_offset, offset);
    auto check = check_record(enc.bytes);
    ASSERT_TRUE(check) << check.error().message;
    EXPECT_EQ(check->leaf, enc.leaf);
  }
  for (const int offset : {1440, -1440, 32767}) {
    r.occurred_offset = static_cast<std::int16_t>(offset);
    EXPECT_FALSE(check_record(canonical_record_via_capnp(r, RecordForm::kStored))) << offset;
  }
  r.occurred_offset = 60;
  r.occurred_at = 0;
  EXPECT_FALSE(check_record(canonical_record_via_capnp(r, RecordForm::kStored)));
}

TEST(Record, EncodeDecodeRoundTrip) {
  std::mt19937_64 rng(3);
  RecordFields r = random_record(rng);
  const EncodedRecord enc = encode_record(r);
  auto back = decode_record(enc.bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->seq, r.seq);
  EXPECT_EQ(back->command_id, r.command_id);
  EXPECT_EQ(back->stream_prev_seq, r.stream_prev_seq);
  EXPECT_EQ(back->payload, r.payload);
  EXPECT_EQ(back->payload_digest, crypto::sha256(r.payload));
  auto check = check_record(enc.bytes);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_EQ(check->leaf, enc.leaf);
  EXPECT_EQ(check->command_id, r.command_id);
  // The leaf commits to the payload through its digest only.
  const std::string leaf_form = canonical_record(r, RecordForm::kLeaf);
  EXPECT_EQ(enc.leaf, crypto::leaf_hash(as_bytes(leaf_form)));
}

// Found by fuzz_record (tools/fuzz/corpus/fuzz_record/regression-nul-in-text-*): a text
// with a NUL inside was decoded up to the NUL, so what was shown differed from what was
// hashed. Texts are now decoded whole, and the checker refuses such a record.
TEST(Record, ATextWithANulIsDecodedWholeAndRefusedByTheChecker) {
  std::mt19937_64 rng(5);
  RecordFields r = random_record(rng);
  for (std::string RecordFields::*field : {&RecordFields::command_id, &RecordFields::actor,
                                           &RecordFields::stream, &RecordFields::type}) {
    RecordFields bad = r;
    bad.*field = std::string("use-\x01", 5) + std::string(1, '\0') + "2";
    const EncodedRecord enc = encode_record(bad);
    auto back = decode_record(enc.bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ((*back).*field, bad.*field);
    auto check = check_record(enc.bytes);
    ASSERT_FALSE(check);
    EXPECT_EQ(check.error().code, ErrorCode::kCorruption);
    EXPECT_NE(check.error().message.find("NUL"), std::string::npos);
  }
}

// Found by fuzz_record (seed regression-missing-text-*): a record whose stream pointer was
// null decoded to the same fields as one with an empty stream, with another hash. The checker
// now refuses a missing envelope text.
TEST(Record, AMissingTextIsRefusedByTheChecker) {
  const std::string bytes = *from_hex(
      "00000000050007007203004fcf02ed180098cbb9cdda000018005d04181643a1fc7f0000000000"
      "006300000000000000190000004200000019000000020100000000000000000000210000006a"
      "000000250000000201000000000000000000002d000000020100007573652d35313100757365"
      "723a6d61726bf72c27e90e5b3a78844533fccf6e6fdd4792f33c7a14006c6f742e636f6e7375"
      "6d656400000000a9f056cb3c2e0a0ca11678a7f2ac4b3f71985e37196d9b2a7eae7db6f72c27"
      "e90e5b3a78844533fccf6e6fdd4792f33c7a14f590149ed8d5882789e9892758a0");
  ASSERT_TRUE(decode_record(bytes));  // it parses, and is canonical as capnp sees it
  auto check = check_record(bytes);
  ASSERT_FALSE(check);
  EXPECT_EQ(check.error().code, ErrorCode::kCorruption);
  EXPECT_NE(check.error().message.find("missing"), std::string::npos);
}

// Found by fuzz_record: a record with one more data word than the schema has was accepted,
// and the word was stored but not hashed (the leaf is built from the known fields).
TEST(Record, WordsBeyondTheKnownFieldsAreRefused) {
  std::mt19937_64 rng(9);
  RecordFields r = random_record(rng);
  r.seq = 5;
  r.recorded_at = 1;
  r.occurred_at = 2;
  r.stream_version = 3;
  r.stream_prev_seq = 4;
  r.occurred_offset = 60;  // every data word nonzero: the data section is whole
  const EncodedRecord enc = encode_record(r);
  ASSERT_TRUE(check_record(enc.bytes));
  // The root pointer's data size + 1, and a nonzero word after the data. Pointers are
  // relative to themselves, so those after the insertion still point where they did.
  std::string bad = enc.bytes;
  const std::uint16_t data_words =
      static_cast<std::uint8_t>(bad[4]) | (static_cast<std::uint8_t>(bad[5]) << 8);
  bad[4] = static_cast<char>((data_words + 1) & 0xff);
  bad[5] = static_cast<char>((data_words + 1) >> 8);
  bad.insert(8 + data_words * 8, std::string("\x42\0\0\0\0\0\0\0", 8));
  auto check = check_record(bad);
  ASSERT_FALSE(check) << "hidden data was accepted";
  EXPECT_EQ(check.error().code, ErrorCode::kCorruption);
  EXPECT_NE(check.error().message.find("does not know"), std::string::npos)
      << check.error().message;
  EXPECT_FALSE(decode_record(bad));
}

// Found by fuzz_record (seed regression-unused-offset-bits): the word that holds the 16-bit
// occurredOffset has 48 bits no field has; a record with data there was accepted, and the
// data was stored but not hashed.
TEST(Record, BitsNoFieldHasAreRefused) {
  std::mt19937_64 rng(13);
  RecordFields r = random_record(rng);
  r.occurred_at = 1795248000LL * 1'000'000'000LL;
  r.occurred_offset = 60;
  const EncodedRecord enc = encode_record(r);
  ASSERT_TRUE(check_record(enc.bytes));
  const std::size_t word5 = 8 + 5 * 8;  // after the root pointer and five data words
  for (std::size_t b = 2; b < 8; ++b) {
    std::string bad = enc.bytes;
    bad[word5 + b] = '\x5a';
    auto check = check_record(bad);
    ASSERT_FALSE(check) << "byte " << b;
    EXPECT_NE(check.error().message.find("no field has"), std::string::npos)
        << check.error().message;
    EXPECT_FALSE(decode_record(bad));
  }
}

TEST(Record, EveryChangedByteIsNoticed) {
  std::mt19937_64 rng(5);
  RecordFields r = random_record(rng);
  r.seq = 17;
  const EncodedRecord enc = encode_record(r);
  for (std::size_t i = 0; i < enc.bytes.size(); ++i) {
    std::string bad = enc.bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto check = check_record(bad);
    // Either the bytes no longer check, or they check but describe another record.
    if (check) {
      EXPECT_TRUE(check->leaf != enc.leaf || check->seq != r.seq) << "byte " << i;
    }
  }
}

TEST(Record, RejectsGarbage) {
  EXPECT_EQ(check_record("").error().code, ErrorCode::kCorruption);
  EXPECT_EQ(check_record("abc").error().code, ErrorCode::kCorruption);
  EXPECT_EQ(check_record(std::string(64, '\xff')).error().code, ErrorCode::kCorruption);
  EXPECT_EQ(decode_record(std::string(16, '\0')).error().code, ErrorCode::kCorruption);
}

}  // namespace
}  // namespace custody::ledger
