#include "register_format.h"

#include <cmath>
#include <cstring>

namespace custody::modbus {

std::optional<RegisterType> parse_register_type(std::string_view name) {
  if (name == "holding") return RegisterType::kHolding;
  if (name == "input") return RegisterType::kInput;
  return std::nullopt;
}

std::optional<RegisterFormat> parse_register_format(std::string_view name) {
  if (name == "uint16") return RegisterFormat::kUint16;
  if (name == "int16") return RegisterFormat::kInt16;
  if (name == "uint32") return RegisterFormat::kUint32;
  if (name == "int32") return RegisterFormat::kInt32;
  if (name == "float32") return RegisterFormat::kFloat32;
  return std::nullopt;
}

std::optional<WordOrder> parse_word_order(std::string_view name) {
  if (name == "highFirst") return WordOrder::kHighFirst;
  if (name == "lowFirst") return WordOrder::kLowFirst;
  return std::nullopt;
}

int register_count(RegisterFormat format) {
  switch (format) {
    case RegisterFormat::kUint16:
    case RegisterFormat::kInt16:
      return 1;
    case RegisterFormat::kUint32:
    case RegisterFormat::kInt32:
    case RegisterFormat::kFloat32:
      return 2;
  }
  return 1;
}

std::optional<double> decode_registers(RegisterFormat format, WordOrder order,
                                       std::span<const std::uint16_t> words) {
  if (words.size() != static_cast<std::size_t>(register_count(format))) return std::nullopt;
  if (format == RegisterFormat::kUint16) return static_cast<double>(words[0]);
  if (format == RegisterFormat::kInt16) {
    return static_cast<double>(static_cast<std::int16_t>(words[0]));
  }
  const std::uint32_t high = order == WordOrder::kHighFirst ? words[0] : words[1];
  const std::uint32_t low = order == WordOrder::kHighFirst ? words[1] : words[0];
  const std::uint32_t bits = (high << 16) | low;
  switch (format) {
    case RegisterFormat::kUint32:
      return static_cast<double>(bits);
    case RegisterFormat::kInt32:
      return static_cast<double>(static_cast<std::int32_t>(bits));
    case RegisterFormat::kFloat32: {
      float f = 0;
      static_assert(sizeof f == sizeof bits);
      std::memcpy(&f, &bits, sizeof f);
      if (!std::isfinite(f)) return std::nullopt;
      return static_cast<double>(f);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace custody::modbus
