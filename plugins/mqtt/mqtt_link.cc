#include "mqtt_link.h"

#include <MQTTClient.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace custody::mqtt {
namespace {

// Paho's synchronous client keeps process-wide state (one socket set for all its clients) that
// is not safe to use from two threads at once. Two instances of this driver in one process (two
// brokers, run in process) would do exactly that, and share this library, so every call into
// Paho holds this lock. Out of process, each runner has its own.
std::mutex& paho() {
  static std::mutex m;
  return m;
}

MQTTClient handle(void* p) {
  return static_cast<MQTTClient>(p);
}

std::string connack_words(int rc) {
  switch (rc) {
    case 1:
      return "connection refused: the broker does not speak MQTT 3.1.1";
    case 2:
      return "connection refused: the broker rejected the client id";
    case 3:
      return "connection refused: the broker is unavailable";
    case 4:
      return "connection refused: bad user name or password";
    case 5:
      return "connection refused: not authorised";
    default:
      break;
  }
  const char* words = MQTTClient_strerror(rc);
  return std::string("cannot connect: ") +
         (words != nullptr ? words : "error " + std::to_string(rc));
}

int on_tls_error(const char* text, std::size_t len, void* context) {
  auto* out = static_cast<std::string*>(context);
  std::string line(text, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  *out = line;
  return 0;
}

}  // namespace

MqttLink::MqttLink(void* client, const DriverConfig& config, std::string password)
    : client_(client), config_(config), password_(std::move(password)) {
  for (const TopicMap& m : config_.topics) {
    if (std::find(topics_.begin(), topics_.end(), m.topic) == topics_.end()) {
      topics_.push_back(m.topic);
    }
  }
}

std::expected<std::unique_ptr<MqttLink>, std::string> MqttLink::create(const DriverConfig& config,
                                                                       std::string password) {
  MQTTClient client = nullptr;
  std::lock_guard lock(paho());
  const int rc = MQTTClient_create(&client, config.broker.c_str(), config.client_id.c_str(),
                                   MQTTCLIENT_PERSISTENCE_NONE, nullptr);
  if (rc != MQTTCLIENT_SUCCESS) {
    const char* words = MQTTClient_strerror(rc);
    return std::unexpected("the MQTT client refused " + config.broker + ": " +
                           (words != nullptr ? words : std::to_string(rc)));
  }
  return std::unique_ptr<MqttLink>(new MqttLink(client, config, std::move(password)));
}

MqttLink::~MqttLink() {
  disconnect();
  std::lock_guard lock(paho());
  MQTTClient c = handle(client_);
  MQTTClient_destroy(&c);
}

bool MqttLink::connected() const {
  std::lock_guard lock(paho());
  return MQTTClient_isConnected(handle(client_)) != 0;
}

std::expected<void, std::string> MqttLink::connect() {
  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
  options.keepAliveInterval = static_cast<int>(config_.keep_alive.count());
  options.cleansession = config_.clean_session ? 1 : 0;
  options.connectTimeout =
      static_cast<int>(std::max<std::int64_t>(1, (config_.timeout.count() + 999) / 1000));
  options.retryInterval = 0;
  if (!config_.username.empty()) options.username = config_.username.c_str();
  if (!password_.empty()) options.password = password_.c_str();
  MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
  if (config_.secure) {
    ssl.trustStore = config_.tls.ca_file.c_str();
    if (!config_.tls.cert_file.empty()) ssl.keyStore = config_.tls.cert_file.c_str();
    if (!config_.tls.key_file.empty()) ssl.privateKey = config_.tls.key_file.c_str();
    ssl.enableServerCertAuth = 1;
    ssl.verify = 1;  // the broker's certificate must name the host in `broker`
    ssl.disableDefaultTrustStore = 1;
    ssl.ssl_error_cb = on_tls_error;
    ssl.ssl_error_context = &tls_error_;
    options.ssl = &ssl;
  }
  tls_error_.clear();
  std::unique_lock lock(paho());
  const int rc = MQTTClient_connect(handle(client_), &options);
  if (rc != MQTTCLIENT_SUCCESS) {
    std::string why = connack_words(rc);
    if (!tls_error_.empty()) why += " (TLS: " + tls_error_ + ")";
    return std::unexpected(why);
  }
  std::vector<char*> filters;
  for (std::string& t : topics_) filters.push_back(t.data());
  std::vector<int> qos(filters.size(), 1);
  const int sub = MQTTClient_subscribeMany(handle(client_), static_cast<int>(filters.size()),
                                           filters.data(), qos.data());
  lock.unlock();
  if (sub != MQTTCLIENT_SUCCESS) {
    disconnect();
    return std::unexpected("the broker refused the subscription (" + connack_words(sub) + ")");
  }
  for (std::size_t i = 0; i < qos.size(); ++i) {
    if (qos[i] == 0x80) {
      const std::string topic = topics_[i];
      disconnect();
      return std::unexpected("the broker refused the subscription to " + topic);
    }
  }
  return {};
}

void MqttLink::disconnect() {
  if (!connected()) return;
  std::lock_guard lock(paho());
  MQTTClient_disconnect(handle(client_), 100);
}

std::expected<std::optional<Message>, std::string> MqttLink::receive(
    std::chrono::milliseconds wait) {
  char* topic = nullptr;
  int topic_len = 0;
  MQTTClient_message* message = nullptr;
  std::unique_lock lock(paho());
  const int rc = MQTTClient_receive(handle(client_), &topic, &topic_len, &message,
                                    static_cast<unsigned long>(wait.count()));
  lock.unlock();
  if (rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED) {
    if (message != nullptr) MQTTClient_freeMessage(&message);
    if (topic != nullptr) MQTTClient_free(topic);
    disconnect();
    const char* words = MQTTClient_strerror(rc);
    return std::unexpected(std::string("lost the broker: ") +
                           (words != nullptr ? words : "error " + std::to_string(rc)));
  }
  if (message == nullptr) {
    if (topic != nullptr) MQTTClient_free(topic);
    if (!connected()) return std::unexpected(std::string("lost the broker: connection closed"));
    return std::optional<Message>();
  }
  Message m;
  m.topic =
      topic_len > 0 ? std::string(topic, static_cast<std::size_t>(topic_len)) : std::string(topic);
  m.payload.assign(static_cast<const char*>(message->payload),
                   static_cast<std::size_t>(std::max(0, message->payloadlen)));
  m.duplicate = message->dup != 0;
  MQTTClient_freeMessage(&message);
  MQTTClient_free(topic);
  return std::optional<Message>(std::move(m));
}

}  // namespace custody::mqtt
