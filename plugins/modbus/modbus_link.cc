#include "modbus_link.h"

#include <arpa/inet.h>

#include <cerrno>

namespace custody::modbus {
namespace {

// Well-formed Modbus exception answers: the device understood the frame and said no. The
// byte stream is intact, so the connection can stay open.
bool is_exception_answer(int error) {
  return error >= EMBXILFUN && error <= EMBXGTAR;
}

// Everything libmodbus reports about a frame it could not accept.
bool is_bad_answer(int error) {
  return is_exception_answer(error) || error == EMBBADCRC || error == EMBBADDATA ||
         error == EMBBADEXC || error == EMBUNKEXC || error == EMBMDATA || error == EMBBADSLAVE;
}

LinkFailure failure(int error) {
  return LinkFailure{is_bad_answer(error) ? FaultKind::kGarbage : FaultKind::kSilent,
                     modbus_strerror(error)};
}

}  // namespace

std::expected<std::unique_ptr<ModbusLink>, std::string> ModbusLink::create(
    const std::string& host, int port, int unit_id, std::chrono::milliseconds timeout) {
  const std::string service = std::to_string(port);
  // IPv4 goes through modbus_new_tcp, which uses the address as it is; the _pi variant calls
  // getaddrinfo with AI_ADDRCONFIG, which refuses 127.0.0.1 on a host whose only IPv4
  // interface is loopback. IPv6 (the config allows only numeric addresses) needs _pi.
  in_addr v4{};
  modbus_t* context = inet_pton(AF_INET, host.c_str(), &v4) == 1
                          ? modbus_new_tcp(host.c_str(), port)
                          : modbus_new_tcp_pi(host.c_str(), service.c_str());
  if (context == nullptr) {
    return std::unexpected("libmodbus refused " + host + ":" + service + ": " +
                           modbus_strerror(errno));
  }
  std::unique_ptr<ModbusLink> link(
      new ModbusLink(context, host + ":" + service + " unit " + std::to_string(unit_id)));
  const auto ms = timeout.count();
  const auto sec = static_cast<std::uint32_t>(ms / 1000);
  const auto usec = static_cast<std::uint32_t>((ms % 1000) * 1000);
  if (modbus_set_slave(context, unit_id) != 0 ||
      modbus_set_response_timeout(context, sec, usec) != 0 ||
      // 0, 0: no separate byte timeout; the response timeout bounds the whole answer.
      modbus_set_byte_timeout(context, 0, 0) != 0 ||
      modbus_set_error_recovery(context, MODBUS_ERROR_RECOVERY_NONE) != 0) {
    return std::unexpected("libmodbus refused the settings for " + link->endpoint_ + ": " +
                           modbus_strerror(errno));
  }
  return link;
}

ModbusLink::~ModbusLink() {
  close();
  modbus_free(context_);
}

std::expected<void, LinkFailure> ModbusLink::connect() {
  close();
  if (modbus_connect(context_) != 0) {
    const int error = errno;
    modbus_close(context_);  // libmodbus may leave the half-open socket behind
    return std::unexpected(
        LinkFailure{FaultKind::kSilent, std::string("cannot connect: ") + modbus_strerror(error)});
  }
  connected_ = true;
  return {};
}

void ModbusLink::close() {
  if (connected_) modbus_close(context_);
  connected_ = false;
}

std::expected<std::vector<std::uint16_t>, LinkFailure> ModbusLink::read(RegisterType type,
                                                                        int address, int count) {
  if (!connected_) return std::unexpected(LinkFailure{FaultKind::kSilent, "not connected"});
  std::vector<std::uint16_t> words(static_cast<std::size_t>(count));
  const int got = type == RegisterType::kHolding
                      ? modbus_read_registers(context_, address, count, words.data())
                      : modbus_read_input_registers(context_, address, count, words.data());
  if (got < 0) {
    const int error = errno;
    if (!is_exception_answer(error)) close();
    return std::unexpected(failure(error));
  }
  if (got != count) {
    close();
    return std::unexpected(LinkFailure{
        FaultKind::kGarbage,
        "answered " + std::to_string(got) + " registers, not " + std::to_string(count)});
  }
  return words;
}

}  // namespace custody::modbus
