// One MQTT 3.1.1 session with one broker, over Eclipse Paho's synchronous C client
// (libpaho-mqtt3cs: TCP and TLS), subscribed at QoS 1 to the configured topics.
//
// Paho is used without callbacks, so it starts no thread of its own: everything happens on
// the plugin's thread, inside connect() (bounded by the configured timeout) and receive()
// (bounded by the wait it is given). receive() also answers the broker's acknowledgements and
// sends keep-alive pings. Paho acknowledges a QoS 1 message when it hands it over, so a
// message received and not yet recorded when the process dies is not redelivered.
//
// Not thread-safe: the driver uses it from the plugin's thread only.
#pragma once

#include <chrono>
#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "mqtt_config.h"

namespace custody::mqtt {

struct Message {
  std::string topic;
  std::string payload;
  bool duplicate = false;  // the broker says it may have sent it before
};

class MqttLink {
 public:
  // A disconnected session; `password` may be empty. The error says why Paho refused the
  // broker's address or the client id.
  [[nodiscard]] static std::expected<std::unique_ptr<MqttLink>, std::string> create(
      const DriverConfig& config, std::string password);
  ~MqttLink();
  MqttLink(const MqttLink&) = delete;
  MqttLink& operator=(const MqttLink&) = delete;

  [[nodiscard]] bool connected() const;
  // Connects and subscribes to every distinct topic at QoS 1; the error says why not
  // ("connection refused: not authorised", "TLS handshake failed: ...").
  [[nodiscard]] std::expected<void, std::string> connect();
  void disconnect();

  // The next message, waiting at most `wait`: nullopt when none came. An error means the
  // session was lost (the link is disconnected then).
  [[nodiscard]] std::expected<std::optional<Message>, std::string> receive(
      std::chrono::milliseconds wait);

  // "tcp://127.0.0.1:1883", for people.
  [[nodiscard]] const std::string& broker() const { return config_.broker; }

 private:
  MqttLink(void* client, const DriverConfig& config, std::string password);

  void* client_;  // MQTTClient, owned
  DriverConfig config_;
  std::string password_;
  std::vector<std::string> topics_;  // distinct, in configured order
  std::string tls_error_;            // the last TLS error OpenSSL reported, for connect()'s error
};

}  // namespace custody::mqtt
