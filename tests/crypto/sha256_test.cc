// SHA-256 and the RFC 6962 hashes against published vectors.
#include "custody/crypto/sha256.h"

#include <gtest/gtest.h>

#include "custody/common/encoding.h"

namespace custody::crypto {
namespace {

TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(to_hex(sha256(std::string_view(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256(std::string_view("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  const std::string text(1000, 'q');
  Sha256 h;
  h.update(std::string_view(text).substr(0, 333));
  h.update(std::string_view(text).substr(333));
  EXPECT_EQ(h.finish(), sha256(text));
  h.update(std::string_view("abc"));  // finish() reset it
  EXPECT_EQ(h.finish(), sha256(std::string_view("abc")));
}

TEST(Sha256, Rfc6962LeafAndNodePrefixes) {
  // Leaf hash of the empty entry is SHA-256(0x00); RFC 6962 test data gives it.
  EXPECT_EQ(to_hex(leaf_hash({})),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  const Digest l = leaf_hash({});
  const std::uint8_t zero = 0;
  const Digest r = leaf_hash({&zero, 1});
  // Tree of size 2 over ["", "\x00"] from the certificate-transparency reference.
  EXPECT_EQ(to_hex(node_hash(l, r)),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
  EXPECT_EQ(to_hex(empty_tree_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace custody::crypto
