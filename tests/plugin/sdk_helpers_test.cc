// The C++ helpers of SDK 1.1 on their own, against host tables made here: what a plugin built
// with 1.1 sees on an older host, and decoding and building Cap'n Proto with the type map.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "custody/codec/capnp_util.h"
#include "custody/plugin.hpp"
#include "schema/commands.capnp.h"

namespace custody {
namespace {

// A host table as a 1.0 host hands it over: ends after record_json.
custody_host host_10() {
  custody_host h;
  std::memset(&h, 0, sizeof h);
  h.struct_size = offsetof(custody_host, record_json) + sizeof h.record_json;
  h.abi_major = 1;
  h.abi_minor = 0;
  return h;
}

TEST(SdkHelpers, OnA10HostLocalStateIsUnsupportedNotACrash) {
  custody_host h = host_10();
  // Whatever lies beyond the 1.0 table must not be called, even if it looks like a pointer.
  h.position = reinterpret_cast<decltype(h.position)>(0x1);
  EXPECT_FALSE(CUSTODY_HOST_HAS(&h, position));
  const sdk::Host host(&h);
  std::uint64_t seq = 7;
  std::string value;
  for (const sdk::Outcome& o :
       {host.position(seq), host.save_position(1), host.state_get("k", value),
        host.state_put("k", "v"), host.state_erase("k"), host.resume()}) {
    EXPECT_EQ(o.status, CUSTODY_ERR_UNSUPPORTED);
    EXPECT_EQ(o.code, "unsupported");
    EXPECT_NE(o.message.find("older than ABI 1.1"), std::string::npos) << o.message;
  }
  EXPECT_EQ(seq, 7u);
}

std::string canonical_note(const std::string& subject, const std::string& text) {
  capnp::MallocMessageBuilder m;
  auto n = m.initRoot<schema::NoteAdd>();
  n.setSubject(subject);
  n.setText(text);
  return codec::canonical_bytes(n.asReader());
}

custody_record record_of(const char* type, const std::string& payload) {
  custody_record r;
  std::memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.type = type;
  r.payload = reinterpret_cast<const std::uint8_t*>(payload.data());
  r.payload_size = payload.size();
  return r;
}

TEST(SdkHelpers, PayloadsDecodeInPlaceOrFromAnAlignedCopy) {
  const std::string bytes = canonical_note("line-1", "sanitised");
  std::vector<capnp::word> aligned(bytes.size() / sizeof(capnp::word));
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  // std::string's buffer is not guaranteed 8-aligned; make one that is certainly not.
  std::vector<char> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());

  const custody_record r = record_of("note.added", bytes);
  auto p = sdk::payload<schema::NoteAdd>(r);
  EXPECT_STREQ(p->getSubject().cStr(), "line-1");
  EXPECT_STREQ((*p).getText().cStr(), "sanitised");

  auto a = sdk::decode<schema::NoteAdd>(aligned.data(), bytes.size());
  EXPECT_FALSE(a.copied());
  EXPECT_STREQ(a->getText().cStr(), "sanitised");
  auto u = sdk::decode<schema::NoteAdd>(shifted.data() + 1, bytes.size());
  EXPECT_TRUE(u.copied());
  EXPECT_STREQ(u->getText().cStr(), "sanitised");

  // Nested: a correction carries the corrected payload as Data.
  capnp::MallocMessageBuilder m;
  auto c = m.initRoot<schema::RecordCorrected>();
  c.setType("note.added");
  c.setPayload(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  const std::string outer = codec::canonical_bytes(c.asReader());
  auto corrected = sdk::payload<schema::RecordCorrected>(record_of("record.corrected", outer));
  auto inner = sdk::decode<schema::NoteAdd>(corrected->getPayload());
  EXPECT_STREQ(inner->getSubject().cStr(), "line-1");
}

TEST(SdkHelpers, TheWrongStructIsRefusedRatherThanMisread) {
  const std::string bytes = canonical_note("s", "t");
  try {
    (void)sdk::payload<schema::LotReceived>(record_of("note.added", bytes));
    FAIL() << "decoded a note as a receipt";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "a note.added record's payload is NoteAdd, not the struct asked for");
  }
  EXPECT_THROW(sdk::payload<schema::NoteAdd>(record_of("no.such", bytes)), std::invalid_argument);
  EXPECT_THROW(sdk::decode<schema::NoteAdd>(bytes.data(), 5), std::invalid_argument);
  EXPECT_THROW(sdk::decode<schema::NoteAdd>(nullptr, 0), std::invalid_argument);
}

// A host whose submit records what reached it.
struct Captured {
  int calls = 0;
  std::string type, id, data;
};

custody_status capture_submit(custody_context* ctx, const custody_command* c, custody_result* r) {
  auto* cap = reinterpret_cast<Captured*>(ctx);
  ++cap->calls;
  cap->type = c->type;
  cap->id = c->command_id;
  cap->data.assign(reinterpret_cast<const char*>(c->data), c->data_size);
  r->status = CUSTODY_OK;
  r->seq = 42;
  return CUSTODY_OK;
}

TEST(SdkHelpers, SubmitBuildsTheStructTheTypeMapNames) {
  Captured cap;
  custody_host h = host_10();
  h.context = reinterpret_cast<custody_context*>(&cap);
  h.submit = &capture_submit;
  const sdk::Host host(&h);

  auto ok = sdk::submit<schema::NoteAdd>(host, "note.add", "n-1", [](schema::NoteAdd::Builder n) {
    n.setSubject("shift");
    n.setText("hello");
  });
  ASSERT_TRUE(ok) << ok.message;
  EXPECT_EQ(ok.seq, 42u);
  ASSERT_EQ(cap.calls, 1);
  EXPECT_EQ(cap.type, "note.add");
  EXPECT_EQ(cap.id, "n-1");
  // Standard serialization (segment table first), as the host's submit expects.
  std::vector<capnp::word> words(cap.data.size() / sizeof(capnp::word));
  std::memcpy(words.data(), cap.data.data(), cap.data.size());
  capnp::FlatArrayMessageReader reader(kj::arrayPtr(words.data(), words.size()));
  EXPECT_STREQ(reader.getRoot<schema::NoteAdd>().getText().cStr(), "hello");

  auto wrong =
      sdk::submit<schema::NoteAdd>(host, "lot.hold", "n-2", [](schema::NoteAdd::Builder) {});
  EXPECT_EQ(wrong.status, CUSTODY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(wrong.field, "type");
  EXPECT_NE(wrong.message.find("LotReason"), std::string::npos) << wrong.message;
  auto unknown = sdk::submit<schema::NoteAdd>(host, "note.shout", "n-3", [](auto) {});
  EXPECT_EQ(unknown.status, CUSTODY_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(cap.calls, 1) << "a refused submit reached the host";
}

}  // namespace
}  // namespace custody
