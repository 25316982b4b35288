// Signed notes, checked against golang.org/x/mod/sumdb/note's published test vectors so
// that checkpoints interoperate with the Go tooling (and any C2SP verifier).
#include "custody/crypto/note.h"

#include <gtest/gtest.h>

namespace custody::crypto {
namespace {

constexpr std::string_view kVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kSigned =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

TEST(Note, SignsExactlyAsGoDoes) {
  auto signer = NoteSigner::parse(kSkey);
  ASSERT_TRUE(signer) << signer.error().message;
  EXPECT_EQ(signer->sign(kText), kSigned);
  EXPECT_EQ(signer->verifier().vkey(), kVkey);
  EXPECT_EQ(signer->skey(), kSkey);
}

TEST(Note, OpensGoSignedNote) {
  auto v = NoteVerifier::parse(kVkey);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->key_id(), 0xc74f20a3u);
  auto text = v->open(kSigned);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ(*text, kText);
}

TEST(Note, IgnoresOtherSignersButNeedsOurs) {
  auto v = NoteVerifier::parse(kVkey);
  ASSERT_TRUE(v);
  const std::string enoch =
      "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
      "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
  EXPECT_TRUE(v->open(std::string(kSigned) + enoch));
  const auto only_enoch = v->open(std::string(kText) + "\n" + enoch);
  ASSERT_FALSE(only_enoch);
  EXPECT_EQ(only_enoch.error().code, ErrorCode::kPermissionDenied);
}

TEST(Note, RejectsChangedTextAndSignature) {
  auto v = NoteVerifier::parse(kVkey);
  ASSERT_TRUE(v);
  std::string changed(kSigned);
  changed[3] = 'X';
  EXPECT_EQ(v->open(changed).error().code, ErrorCode::kPermissionDenied);
  std::string bad_sig(kSigned);
  bad_sig[bad_sig.size() - 10] = bad_sig[bad_sig.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(v->open(bad_sig));
  EXPECT_EQ(v->open(kText).error().code, ErrorCode::kInvalidArgument);  // no signatures
}

TEST(Note, RejectsMangledKeys) {
  const std::string vkey(kVkey);
  for (std::size_t i = 0; i < vkey.size(); ++i) {
    std::string k = vkey;
    k[i] = static_cast<char>(k[i] + 1);
    EXPECT_FALSE(NoteVerifier::parse(k)) << k;
  }
  EXPECT_FALSE(NoteVerifier::parse(vkey.substr(0, vkey.size() - 1)));
  EXPECT_FALSE(NoteSigner::parse(
      "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"));
}

TEST(Note, GeneratedKeysRoundTrip) {
  const NoteSigner s = NoteSigner::generate("custody/test");
  auto again = NoteSigner::parse(s.skey());
  ASSERT_TRUE(again);
  const std::string note = again->sign("hello\n");
  auto v = NoteVerifier::parse(s.verifier().vkey());
  ASSERT_TRUE(v);
  EXPECT_EQ(*v->open(note), "hello\n");
}

}  // namespace
}  // namespace custody::crypto
