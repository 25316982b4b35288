// Helpers for Cap'n Proto messages kept as canonical bytes in std::string (record payloads,
// command data, projection values).
#pragma once

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace custody::codec {

// Reads canonical bytes. Zero-copy when the bytes are word-aligned (std::string heap
// storage is); otherwise keeps an aligned copy. Holds a borrowed view of `bytes` in the
// zero-copy case: the bytes must outlive the MessageView. Throws kj::Exception for bytes
// that do not parse (callers treat stored data as trusted; input is bound by the codec).
class MessageView {
 public:
  explicit MessageView(std::string_view bytes) {
    constexpr std::size_t kWord = sizeof(capnp::word);
    const bool aligned =
        reinterpret_cast<std::uintptr_t>(bytes.data()) % kWord == 0 && bytes.size() % kWord == 0;
    if (aligned) {
      segment_ =
          kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), bytes.size() / kWord);
    } else {
      copy_.resize((bytes.size() + kWord - 1) / kWord);
      if (!bytes.empty()) std::memcpy(copy_.data(), bytes.data(), bytes.size());
      segment_ = kj::arrayPtr(reinterpret_cast<const capnp::word*>(copy_.data()), copy_.size());
    }
    segments_[0] = segment_;
    reader_.emplace(kj::arrayPtr(segments_, 1), options());
  }
  MessageView(const MessageView&) = delete;
  MessageView& operator=(const MessageView&) = delete;

  template <typename T>
  [[nodiscard]] typename T::Reader root() {
    return reader_->getRoot<T>();
  }
  [[nodiscard]] capnp::MessageReader& reader() { return *reader_; }

 private:
  static capnp::ReaderOptions options() {
    capnp::ReaderOptions o;
    o.traversalLimitInWords = 1u << 28;
    return o;
  }
  // Words as integers: capnp::word is not copyable under clang, which std::vector needs.
  std::vector<std::uint64_t> copy_;
  kj::ArrayPtr<const capnp::word> segment_;
  kj::ArrayPtr<const capnp::word> segments_[1];
  std::optional<capnp::SegmentArrayMessageReader> reader_;
};

// The canonical bytes of a struct (a typed reader or an AnyStruct reader).
[[nodiscard]] inline std::string canonical_bytes(capnp::AnyStruct::Reader reader) {
  const auto words = reader.canonicalize();
  return std::string(reinterpret_cast<const char*>(words.begin()),
                     words.size() * sizeof(capnp::word));
}

inline capnp::Text::Reader text(std::string_view s) {
  // capnp Text readers need a NUL after the bytes; std::string provides one, a view may not.
  return capnp::Text::Reader(s.data(), s.size());
}

inline std::string_view view(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

// The schema's name of an enum value ("inProgress"): the name JSON input is bound by and
// JSON output writes (json_binding.h), so every JSON view says the same. "unknown" for a value
// the schema does not define (written by a newer custody). The name lives in the compiled-in
// schema, so the view never dangles.
template <typename E>
[[nodiscard]] std::string_view enum_name(E value) {
  const auto enumerants = capnp::Schema::from<E>().getEnumerants();
  const auto i = static_cast<std::uint16_t>(value);
  if (i >= enumerants.size()) return "unknown";
  const auto name = enumerants[i].getProto().getName();
  return {name.cStr(), name.size()};
}

// Every name of an enum, in the schema's order.
template <typename E>
[[nodiscard]] std::vector<std::string> enum_names() {
  std::vector<std::string> out;
  for (auto e : capnp::Schema::from<E>().getEnumerants()) {
    out.emplace_back(e.getProto().getName().cStr());
  }
  return out;
}

// The value an enum name stands for; nullopt for a name the schema does not define.
template <typename E>
[[nodiscard]] std::optional<E> enum_value(std::string_view name) {
  for (auto e : capnp::Schema::from<E>().getEnumerants()) {
    if (name == e.getProto().getName().cStr()) return static_cast<E>(e.getOrdinal());
  }
  return std::nullopt;
}

}  // namespace custody::codec
