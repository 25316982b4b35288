// The C2SP checkpoint text: exact body, signature round trip, and rejected inputs.
#include "custody/ledger/checkpoint.h"

#include <gtest/gtest.h>

#include "custody/common/encoding.h"

namespace custody::ledger {
namespace {

TEST(Checkpoint, BodyIsOriginSizeRoot) {
  Checkpoint cp{"custody/plant-1", 42, crypto::sha256(std::string_view("x")), {}};
  EXPECT_EQ(cp.body(), "custody/plant-1\n42\n" + to_base64(cp.root) + "\n");
}

TEST(Checkpoint, SignsAndOpens) {
  const auto signer = crypto::NoteSigner::generate("custody/plant-1");
  Checkpoint cp{"custody/plant-1", 7, crypto::sha256(std::string_view("y")), {"ext line"}};
  const std::string note = sign_checkpoint(cp, signer);
  auto opened = open_checkpoint(note, signer.verifier());
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->origin, cp.origin);
  EXPECT_EQ(opened->size, 7u);
  EXPECT_EQ(opened->root, cp.root);
  EXPECT_EQ(opened->extensions, cp.extensions);

  const auto other = crypto::NoteSigner::generate("custody/plant-1");
  EXPECT_EQ(open_checkpoint(note, other.verifier()).error().code, ErrorCode::kPermissionDenied);
}

TEST(Checkpoint, RejectsMalformedBodies) {
  const std::string root = to_base64(crypto::sha256(std::string_view("z")));
  for (const std::string& body : std::vector<std::string>{
           "o\n", "o\n12\n", "o\nx12\n" + root + "\n", "o\n012\n" + root + "\n",
           "o\n12\nnot-base64!\n", "o\n12\n" + root, "\n12\n" + root + "\n",
           "o\n12\n" + to_base64(as_bytes("short")) + "\n"}) {
    auto r = parse_checkpoint_body(body);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "checkpoint");
  }
}

}  // namespace
}  // namespace custody::ledger
