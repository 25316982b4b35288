// How the modbus driver turns the 16-bit registers a device answers with into one number.
//
//   format   registers  reads as
//   uint16   1          0 .. 65535
//   int16    1          two's complement, -32768 .. 32767
//   uint32   2          0 .. 4294967295
//   int32    2          two's complement
//   float32  2          IEEE 754 single precision; NaN and infinities are refused
//
// A 32-bit value spans the register at `address` and the next one. Word order says which of
// the two holds the high 16 bits: kHighFirst (the Modbus convention, "ABCD") puts them at
// `address`, kLowFirst ("CDAB", common on PLCs) at `address + 1`. Bytes within a register are
// always big-endian, as the protocol sends them (libmodbus has already put them in host order).
//
// Pure functions: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace custody::modbus {

enum class RegisterType { kHolding, kInput };
enum class RegisterFormat { kUint16, kInt16, kUint32, kInt32, kFloat32 };
enum class WordOrder { kHighFirst, kLowFirst };

// The config names ("holding", "float32", "highFirst"); nullopt for an unknown name.
[[nodiscard]] std::optional<RegisterType> parse_register_type(std::string_view name);
[[nodiscard]] std::optional<RegisterFormat> parse_register_format(std::string_view name);
[[nodiscard]] std::optional<WordOrder> parse_word_order(std::string_view name);

// How many registers a value of `format` occupies: 1 or 2.
[[nodiscard]] int register_count(RegisterFormat format);

// The device's raw number from `words` (exactly register_count(format) registers, in address
// order). nullopt when the registers do not hold a number: a float32 NaN or infinity, which
// devices send to say "no valid measurement" and the ledger would refuse anyway.
[[nodiscard]] std::optional<double> decode_registers(RegisterFormat format, WordOrder order,
                                                     std::span<const std::uint16_t> words);

}  // namespace custody::modbus
