// The plugin bench_plugins drives (built with the SDK only, like any plugin). Config:
//   {"mode": "count"}                        subscribe from 1 and take every record
//   {"mode": "submit", "threads": T, "count": N, "json": false, "text": 50}
//        T threads submit N note.add commands in all, each waiting for its outcome, as
//        Cap'n Proto (host->submit) or as JSON (host->submit_json)
#include <capnp/serialize.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "custody/plugin.hpp"
#include "schema/commands.capnp.h"

namespace {

long setting(const std::string& json, const std::string& key, long fallback) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return fallback;
  const std::string rest = json.substr(at + key.size() + 3);
  if (rest.rfind("true", 0) == 0) return 1;
  if (rest.rfind("false", 0) == 0) return 0;
  return std::stol(rest);
}

class Bench : public custody::sdk::Plugin {
 public:
  explicit Bench(custody::sdk::Host host) : Plugin(host) {
    const std::string c = host.config();
    submit_ = c.find("\"submit\"") != std::string::npos;
    threads_ = setting(c, "threads", 8);
    count_ = setting(c, "count", 1000);
    json_ = setting(c, "json", 0) != 0;
    text_ = std::string(static_cast<std::size_t>(setting(c, "text", 50)), 'x');
  }

  void start() override {
    if (!submit_) {
      host().subscribe(1);
      return;
    }
    for (long t = 0; t < threads_; ++t) {
      workers_.emplace_back([this, t] {
        for (long k = t; k < count_; k += threads_) submit(k);
      });
    }
  }

  void on_records(custody::sdk::Records records) override { seen_ += records.size(); }

  void stop() override {
    for (auto& w : workers_) w.join();
  }

 private:
  void submit(long k) {
    const std::string id = "b-" + std::to_string(k);
    const std::string subject = "line-" + std::to_string(k % 64);
    custody::sdk::Outcome r;
    if (json_) {
      r = host().submit_json(R"({"type":"note.add","commandId":")" + id +
                             R"(","data":{"subject":")" + subject + R"(","text":")" + text_ +
                             R"("}})");
    } else {
      capnp::MallocMessageBuilder message;
      auto n = message.initRoot<custody::schema::NoteAdd>();
      n.setSubject(subject);
      n.setText(text_);
      const auto words = capnp::messageToFlatArray(message);
      const auto bytes = words.asBytes();
      r = host().submit("note.add", id, bytes.begin(), bytes.size());
    }
    if (!r) host().error("submit " + id + ": " + r.code + " " + r.message);
  }

  bool submit_ = false;
  long threads_ = 8, count_ = 1000;
  bool json_ = false;
  std::string text_;
  std::size_t seen_ = 0;
  std::vector<std::thread> workers_;
};

const char* const kCapabilities[] = {"subscribe", "submit:note"};

}  // namespace

CUSTODY_PLUGIN(Bench, "bench", "1.0.0", "custody's benchmark plugin", CUSTODY_KIND_OTHER,
               kCapabilities)
