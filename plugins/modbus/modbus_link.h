// One Modbus TCP connection to one device, over libmodbus, with every wait bounded.
//
// libmodbus is set up so that nothing here blocks longer than the configured timeout:
//   - connect() is a non-blocking connect that gives up after the response timeout;
//   - a read waits at most the response timeout for the whole answer (the byte timeout is
//     off, so a device that dribbles bytes cannot stretch it);
//   - error recovery is off, so libmodbus never sleeps, flushes or reconnects on its own.
// A read therefore costs at most one timeout, and connect plus read at most two.
//
// Failures come back classified, because an operator acts differently on each:
//   kSilent   nothing usable came back: refused, unreachable, reset, closed, timed out
//   kGarbage  the device answered, but not with the registers asked for: a Modbus exception
//             (illegal address, device failure, ...), a bad frame, a wrong length, a value
//             that is not a number
// After a failure that leaves the byte stream in doubt (anything but a well-formed Modbus
// exception answer) the connection is closed; the caller reconnects when it sees fit.
//
// Not thread-safe: the driver uses it from the plugin's thread only.
#pragma once

#include <modbus/modbus.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "register_format.h"

namespace custody::modbus {

enum class FaultKind { kSilent, kGarbage };

struct LinkFailure {
  FaultKind kind = FaultKind::kSilent;
  std::string reason;  // libmodbus's or the driver's words: "Connection timed out"
};

class ModbusLink {
 public:
  // A disconnected link to host:port (a numeric address) addressing unit `unit_id`.
  // The error says why libmodbus refused the parameters.
  [[nodiscard]] static std::expected<std::unique_ptr<ModbusLink>, std::string> create(
      const std::string& host, int port, int unit_id, std::chrono::milliseconds timeout);
  ~ModbusLink();
  ModbusLink(const ModbusLink&) = delete;
  ModbusLink& operator=(const ModbusLink&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] std::expected<void, LinkFailure> connect();
  void close();

  // Reads `count` consecutive registers from `address`. On failure the link may have closed
  // itself (see above).
  [[nodiscard]] std::expected<std::vector<std::uint16_t>, LinkFailure> read(RegisterType type,
                                                                            int address, int count);

  // "127.0.0.1:1502 unit 1", for people.
  [[nodiscard]] const std::string& endpoint() const { return endpoint_; }

 private:
  ModbusLink(modbus_t* context, std::string endpoint)
      : context_(context), endpoint_(std::move(endpoint)) {}

  modbus_t* context_;  // owned; freed by the destructor
  std::string endpoint_;
  bool connected_ = false;
};

}  // namespace custody::modbus
