// SHA-256 through OpenSSL (it uses the CPU's SHA extensions), plus the RFC 6962 / RFC 9162
// Merkle tree hashes built on it:
//
//   leaf_hash(data)    = SHA-256(0x00 || data)
//   node_hash(l, r)    = SHA-256(0x01 || l || r)
//   empty tree root    = SHA-256("")
//
// All free functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace custody::crypto {

using Digest = std::array<std::uint8_t, 32>;

// An incremental SHA-256. A value type (no heap); not thread-safe.
class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  void update(std::span<const std::uint8_t> bytes);
  void update(std::string_view bytes);
  [[nodiscard]] Digest finish();  // resets for the next use

 private:
  // Storage for OpenSSL's SHA256_CTX (112 bytes on every platform OpenSSL supports).
  alignas(8) unsigned char ctx_[112];
};

[[nodiscard]] Digest sha256(std::span<const std::uint8_t> bytes);
[[nodiscard]] Digest sha256(std::string_view bytes);
[[nodiscard]] Digest leaf_hash(std::span<const std::uint8_t> leaf_input);
[[nodiscard]] Digest node_hash(const Digest& left, const Digest& right);
[[nodiscard]] Digest empty_tree_root();

[[nodiscard]] inline std::string_view as_view(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace custody::crypto
