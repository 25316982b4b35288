// exception_notes: writes every exception raised on the floor into the shift log, so the
// next shift reads it in `custody log --stream note:shift-log` next to the other notes.
//
// What it shows a partner:
//   - the manifest and its capabilities (subscribe, submit:note);
//   - subscribing from where the plugin left off, found by asking the host (read);
//   - decoding event payloads with custody's Cap'n Proto schemas;
//   - submitting commands with idempotency keys derived from the record, so a restart that
//     sees a record twice never writes its note twice;
//   - configuration and a tick.
#include <capnp/serialize.h>

#include <cstdio>
#include <string>

#include "custody/plugin.hpp"
#include "schema/commands.capnp.h"

namespace {

using custody::sdk::Host;
using custody::sdk::Records;

const char* severity_name(custody::schema::Severity s) {
  switch (s) {
    case custody::schema::Severity::LOW:
      return "low";
    case custody::schema::Severity::MEDIUM:
      return "medium";
    case custody::schema::Severity::HIGH:
      return "high";
    case custody::schema::Severity::CRITICAL:
      return "critical";
  }
  return "unknown";
}

// The value of "key":"..." in a flat JSON object; enough for this plugin's one setting.
std::string json_string(const std::string& json, const std::string& key,
                        const std::string& fallback) {
  const std::string needle = "\"" + key + "\"";
  auto at = json.find(needle);
  if (at == std::string::npos) return fallback;
  at = json.find('"', json.find(':', at + needle.size()));
  if (at == std::string::npos) return fallback;
  const auto end = json.find('"', at + 1);
  return end == std::string::npos ? fallback : json.substr(at + 1, end - at - 1);
}

class ExceptionNotes : public custody::sdk::Plugin {
 public:
  explicit ExceptionNotes(Host host)
      : Plugin(host), subject_(json_string(host.config(), "subject", "shift-log")) {}

  void start() override {
    // Every record from the start of the log: the command ids make notes for exceptions
    // already noted come back as duplicates, which cost nothing.
    if (auto r = host().subscribe(1); !r) {
      host().error("cannot subscribe: " + r.message);
      return;
    }
    host().set_tick_interval(60'000);
    host().info("writing exceptions to note:" + subject_);
  }

  void on_records(Records records) override {
    for (const custody_record& r : records) {
      if (std::string(r.type) != "exception.raised") continue;
      // Payloads are canonical Cap'n Proto: one segment, no segment table.
      kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(r.payload),
                                            r.payload_size / sizeof(capnp::word));
      capnp::SegmentArrayMessageReader message(kj::arrayPtr(&words, 1));
      auto e = message.getRoot<custody::schema::ExceptionRaised>();
      note("n-" + std::to_string(r.seq), "Exception " + std::string(e.getException().cStr()) +
                                             " (" + severity_name(e.getSeverity()) +
                                             "): " + e.getDescription().cStr());
    }
  }

  void on_tick(std::int64_t) override {
    if (written_ > 0) host().info(std::to_string(written_) + " notes written so far");
  }

 private:
  void note(const std::string& key, const std::string& text) {
    capnp::MallocMessageBuilder message;
    auto n = message.initRoot<custody::schema::NoteAdd>();
    n.setSubject(subject_);
    n.setText(text);
    const auto words = capnp::messageToFlatArray(message);
    const auto bytes = words.asBytes();
    // The host records it as "plugin:exception-notes/<key>": keys need only be unique
    // among this plugin's own commands.
    auto r = host().submit("note.add", key, bytes.begin(), bytes.size());
    if (!r) {
      host().warn("note " + key + " rejected: " + r.code + ": " + r.message);
    } else if (!r.duplicate) {
      ++written_;
    }
  }

  std::string subject_;
  std::size_t written_ = 0;
};

const char* const kCapabilities[] = {"subscribe", "submit:note"};

}  // namespace

CUSTODY_PLUGIN(ExceptionNotes, "exception-notes", "1.0.0",
               "Writes every exception raised into the shift log", CUSTODY_KIND_OTHER,
               kCapabilities)
