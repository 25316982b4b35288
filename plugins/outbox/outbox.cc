// custody_outbox: delivers the ledger's records, in log order, to one HTTP endpoint (a
// webhook of an ERP, a WMS, a data platform), at least once (docs/plugins/outbox.md).
//
// Each selected record is one POST of custody's JSON record (what `custody log` prints), or in
// the "epcis" format of its GS1 EPCIS 2.0 events as an EPCISDocument (the host's "epcis" view;
// a record with no EPCIS meaning is passed over), with its seq, type and an idempotency key (the
// SHA-256 of the record's canonical bytes, the same however often it is sent) in headers, and, when
// a secret is configured, an HMAC-SHA256 signature of the time and the body that the receiver can
// check.
//
// Order and position. Records go one at a time, in seq order; the next is sent only once the
// endpoint answered 2xx. After each batch the outbox saves the seq of the last record done as
// its position (host local state), so a restart resumes after it: no record is skipped, and a
// record is sent twice only after a crash between its answer and that save, which the
// idempotency key lets the receiver absorb.
//
// Failures. An answer other than 2xx, a refused connection or a timeout fails the delivery:
// the outbox subscribes again from that record (the backlog stays visible as the host's
// position, in `custody run` and /metrics) and retries with exponential backoff and jitter
// (retryInitialMs doubling to retryMaxMs, each wait drawn from its upper half). The plugin's
// thread never waits more than 200 ms at a time, so the host's heartbeat goes on. When the
// endpoint has failed for alertAfterMs, one exception is raised (category process, severity
// high); when it answers again, delivery resumes where it stopped and the exception stays
// open for people to close.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "custody/plugin.hpp"
#include "http_client.h"
#include "outbox_config.h"
#include "schema/commands.capnp.h"

namespace custody::outbox {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kBatchBudget{1000};  // delivering, per call, before yielding
constexpr milliseconds kMaxWait{200};       // one wait for a retry, before yielding
constexpr std::int64_t kDueNs = 3'600'000'000'000;

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string sha256_hex(const void* data, std::size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr);
  return hex(digest, length);
}

std::string hmac_hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return hex(digest, length);
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_secret(const std::string& path) {
  std::ifstream in(path);
  if (!in) sdk::refuse_config(sdk::ConfigError{"secretFile", "cannot read " + path});
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() < 16) {
    sdk::refuse_config(sdk::ConfigError{
        "secretFile", path + " must hold a secret of at least 16 bytes on its first line"});
  }
  return line;
}

class Outbox : public sdk::Plugin {
 public:
  explicit Outbox(sdk::Host host) : Plugin(host) {}

  static void check_config(const std::string& json) {
    if (auto config = parse_outbox_config(json); !config) sdk::refuse_config(config.error());
  }

  void start() override {
    auto config = parse_outbox_config(host().config());
    if (!config) sdk::refuse_config(config.error());
    config_ = std::move(*config);
    if (!config_.secret_file.empty()) secret_ = read_secret(config_.secret_file);
    if (config_.epcis) {
      std::string answer;
      if (auto r = host().query(R"({"view":"head"})", answer); !r) {
        sdk::refuse_config(sdk::ConfigError{
            "format",
            "\"epcis\" reads each record's events from the host, and the query was "
            "refused (" +
                r.message + "): grant the outbox the read capability"});
      }
    }
    client_ = std::make_unique<HttpClient>(config_.url, config_.ca_file, config_.timeout);
    url_digest_ = sha256_hex(config_.url_text.data(), config_.url_text.size()).substr(0, 8);
    std::uint64_t position = 0;
    if (auto p = host().position(position); !p) {
      throw sdk::Refusal(p.status, "cannot read the saved position: " + p.message);
    }
    if (auto r = host().subscribe(position + 1); !r) {
      throw sdk::Refusal(r.status, "cannot subscribe: " + r.message);
    }
    host().info("delivering " +
                (config_.types.empty() && config_.prefixes.empty()
                     ? std::string("every record")
                     : std::string("selected records")) +
                " to " + config_.url_text + " from seq " + std::to_string(position + 1) +
                (secret_.empty() ? ", unsigned" : ", signed (HMAC-SHA256)"));
  }

  void on_records(sdk::Records records) override {
    const auto begin = Steady::now();
    std::uint64_t done = 0;
    for (const custody_record& r : records) {
      if (!config_.wants(r.type)) {
        done = r.seq;
        continue;
      }
      if (failing_ && Steady::now() < retry_at_) {
        wait_for_retry(r.seq);
        break;
      }
      if (Steady::now() - begin >= kBatchBudget) {
        (void)host().subscribe(r.seq);  // the rest on the next call, after a heartbeat
        break;
      }
      if (auto sent = deliver(r); sent) {
        done = r.seq;
        delivered(r.seq);
      } else {
        failed(r.seq, sent.error());
        (void)host().subscribe(r.seq);
        break;
      }
    }
    if (done != 0) {
      if (auto saved = host().save_position(done); !saved) {
        host().warn("cannot save the position " + std::to_string(done) + ": " + saved.message);
      }
    }
  }

  void stop() override {
    if (!client_) return;
    host().info("stopping: " + std::to_string(sent_) + " records delivered to " + config_.url_text +
                " in this run" +
                (failing_ ? "; failing since seq " + std::to_string(failing_seq_) : std::string()));
    client_->close();
  }

 private:
  // The body of record `r`: custody's JSON record, or its EPCIS document; nullopt for a record
  // with no EPCIS events (nothing to send).
  std::expected<std::optional<std::string>, std::string> body_of(const custody_record& r) {
    if (!config_.epcis) return host().record_json(r);
    std::string document;
    const std::string request = R"({"view":"epcis","seq":)" + std::to_string(r.seq) + "}";
    if (auto q = host().query(request, document); !q) {
      return std::unexpected("its EPCIS events could not be read: " + q.message);
    }
    if (document.find(R"("eventList":[])") != std::string::npos) return std::nullopt;
    return document;
  }

  // Sent, or nothing to send: true; failed: the reason.
  std::expected<void, std::string> deliver(const custody_record& r) {
    auto made = body_of(r);
    if (!made) return std::unexpected(made.error());
    if (!*made) return {};
    const std::string& body = **made;
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", config_.epcis ? "application/ld+json" : "application/json"},
        {"User-Agent", "custody-outbox/1.0"},
        {"Custody-Seq", std::to_string(r.seq)},
        {"Custody-Type", r.type},
        {"Idempotency-Key", sha256_hex(r.record, r.record_size)},
    };
    if (config_.epcis) headers.emplace_back("GS1-EPCIS-Version", "2.0.0");
    if (!secret_.empty()) {
      const std::string t = std::to_string(wall_ns() / 1'000'000'000);
      headers.emplace_back("Custody-Signature",
                           "t=" + t + ",v1=" + hmac_hex(secret_, t + "." + body));
    }
    for (const auto& h : config_.headers) headers.push_back(h);
    auto answer = client_->post(headers, body);
    if (!answer) return std::unexpected(answer.error());
    if (answer->status < 200 || answer->status > 299) {
      return std::unexpected("HTTP " + std::to_string(answer->status) +
                             (answer->reason.empty() ? std::string() : " " + answer->reason));
    }
    return {};
  }

  void delivered(std::uint64_t seq) {
    ++sent_;
    if (!failing_) return;
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - failing_since_).count();
    host().info("deliveries to " + config_.url_text + " resumed at seq " + std::to_string(seq) +
                " after " + std::to_string(attempts_) + " failed attempts over " +
                std::to_string(seconds) + " s" +
                (raised_.empty() ? std::string()
                                 : "; exception " + raised_ + " stays open until people close it"));
    failing_ = false;
    raised_.clear();
    attempts_ = 0;
    last_error_.clear();
  }

  void failed(std::uint64_t seq, const std::string& why) {
    if (!failing_) {
      failing_ = true;
      failing_since_ = Steady::now();
      failing_began_ns_ = wall_ns();
      failing_seq_ = seq;
      attempts_ = 0;
    }
    ++attempts_;
    if (why != last_error_) {
      host().warn("delivering seq " + std::to_string(seq) + " to " + config_.url_text +
                  " failed: " + why + "; retrying with backoff (attempt " +
                  std::to_string(attempts_) + ")");
      last_error_ = why;
    }
    // Exponential backoff with jitter: the wait is drawn from the upper half of
    // min(retryMaxMs, retryInitialMs * 2^(attempts - 1)).
    const auto shift = std::min<std::uint64_t>(attempts_ - 1, 30);
    const auto cap =
        std::min<std::int64_t>(config_.retry_max.count(), config_.retry_initial.count() << shift);
    std::uniform_int_distribution<std::int64_t> draw(cap / 2, cap);
    retry_at_ = Steady::now() + milliseconds(draw(random_));
    alert_if_due();
  }

  void wait_for_retry(std::uint64_t seq) {
    alert_if_due();
    const auto left = retry_at_ - Steady::now();
    std::this_thread::sleep_for(std::min<Steady::duration>(left, kMaxWait));
    (void)host().subscribe(seq);
  }

  void alert_if_due() {
    if (!failing_ || !raised_.empty() || Steady::now() - failing_since_ < config_.alert_after) {
      return;
    }
    const std::string exception = "outbox-" + url_digest_ + "-" + std::to_string(failing_began_ns_);
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - failing_since_).count();
    const std::string description = "Outbox deliveries to " + config_.url_text + " failing for " +
                                    std::to_string(seconds) + " s: records from seq " +
                                    std::to_string(failing_seq_) +
                                    " on are waiting (last: " + last_error_ + ")";
    auto r = sdk::submit<schema::ExceptionRaise>(
        host(), "exception.raise", "outbox:" + exception, [&](schema::ExceptionRaise::Builder e) {
          e.setException(exception);
          e.setCategory(schema::ExceptionCategory::PROCESS);
          e.setSeverity(schema::Severity::HIGH);
          e.setDescription(description);
          e.setDeadline(failing_began_ns_ + kDueNs);
        });
    if (r.ok()) {
      raised_ = exception;
      host().warn("raised exception " + exception + ": " + description);
    } else if (!alert_refusal_logged_) {
      alert_refusal_logged_ = true;
      host().error("the exception " + exception + " was refused (" + r.code + ": " + r.message +
                   "); retrying while deliveries fail");
    }
  }

  OutboxConfig config_;
  std::string secret_;
  std::string url_digest_;
  std::unique_ptr<HttpClient> client_;
  std::uint64_t sent_ = 0;
  bool failing_ = false;
  Steady::time_point failing_since_;
  std::int64_t failing_began_ns_ = 0;
  std::uint64_t failing_seq_ = 0;
  std::uint64_t attempts_ = 0;
  std::string last_error_;
  std::string raised_;
  bool alert_refusal_logged_ = false;
  Steady::time_point retry_at_;
  std::mt19937_64 random_{std::random_device{}()};
};

// read: the "epcis" format asks the host for each record's EPCIS events.
const char* const kCapabilities[] = {"subscribe", "submit:exception", "read"};

}  // namespace
}  // namespace custody::outbox

CUSTODY_PLUGIN(
    custody::outbox::Outbox, "outbox", "1.0.0",
    "Delivers the ledger's records to an HTTP endpoint (webhook), in order, at least once",
    CUSTODY_KIND_OTHER, custody::outbox::kCapabilities)
