// exception_notes: writes every exception raised on the floor into the shift log, so the
// next shift reads it in `custody log --stream note:shift-log` next to the other notes.
//
// What it shows a partner:
//   - the manifest and its capabilities (subscribe, submit:note);
//   - reading its settings with the SDK's reader, refusing a bad one with a reason the
//     operator sees (`custody plugins check --config`, `custody run`);
//   - resuming from the position it saved last time (host local state, SDK 1.1), and saving
//     it once a batch's notes are durable;
//   - decoding event payloads with payload<T> and building command data with submit<T>;
//   - idempotency keys derived from the record, so a record seen twice (a crash between a
//     note and the save) never writes its note twice;
//   - a tick.
#include <cstring>
#include <string>

#include "custody/plugin.hpp"
#include "custody/settings.hpp"
#include "schema/commands.capnp.h"

namespace {

using custody::sdk::Host;
using custody::sdk::Records;
namespace schema = custody::schema;

const char* severity_name(schema::Severity s) {
  switch (s) {
    case schema::Severity::LOW:
      return "low";
    case schema::Severity::MEDIUM:
      return "medium";
    case schema::Severity::HIGH:
      return "high";
    case schema::Severity::CRITICAL:
      return "critical";
  }
  return "unknown";
}

// {"subject": "<note subject>"}; default "shift-log". Refuses anything else.
std::string read_subject(const std::string& config_json) {
  using custody::sdk::Form;
  using custody::sdk::Need;
  const auto root = custody::sdk::parse_settings(config_json);
  if (!root) custody::sdk::refuse_config(*root.error);
  custody::sdk::SettingsReader r(root.object, "", "exception-notes");
  r.only({"subject"});
  std::string subject = r.text("subject", Need::kOptional, Form::kIdentifier, "shift-log");
  if (r.error()) custody::sdk::refuse_config(*r.error());
  return subject;
}

class ExceptionNotes : public custody::sdk::Plugin {
 public:
  explicit ExceptionNotes(Host host) : Plugin(host), subject_(read_subject(host.config())) {}

  // `custody plugins check --config` and `custody plugins add` call this before anything
  // runs, so a bad setting is refused at once rather than when the plugin starts.
  static void check_config(const std::string& json) { read_subject(json); }

  void start() override {
    // From the record after the last one this plugin saved as done (the whole log the first
    // time).
    if (auto r = host().resume(); !r) {
      throw custody::sdk::Refusal(r.status, "cannot subscribe: " + r.message);
    }
    host().set_tick_interval(60'000);
    host().info("writing exceptions to note:" + subject_);
  }

  void on_records(Records records) override {
    for (const custody_record& r : records) {
      if (std::strcmp(r.type, "exception.raised") != 0) continue;
      auto e = custody::sdk::payload<schema::ExceptionRaised>(r);
      const std::string text = "Exception " + std::string(e->getException().cStr()) + " (" +
                               severity_name(e->getSeverity()) + "): " + e->getDescription().cStr();
      // A note the host could not take (it is stopping, say): save no position from here
      // on, so the next start comes back to this record.
      if (!note("n-" + std::to_string(r.seq), text)) unsaved_ = true;
    }
    // Every note of this batch is durable (submit waits), so a restart may begin after it.
    if (records.size() > 0 && !unsaved_) {
      if (auto saved = host().save_position(records[records.size() - 1].seq); !saved) {
        host().warn("cannot save the position: " + saved.message);
      }
    }
  }

  void on_tick(std::int64_t) override {
    if (written_ > 0) host().info(std::to_string(written_) + " notes written so far");
  }

 private:
  bool note(const std::string& key, const std::string& text) {
    // The host records it as "plugin:exception-notes/<key>": keys need only be unique
    // among this plugin's own commands.
    auto r = custody::sdk::submit<schema::NoteAdd>(host(), "note.add", key,
                                                   [&](schema::NoteAdd::Builder n) {
                                                     n.setSubject(subject_);
                                                     n.setText(text);
                                                   });
    if (!r) {
      host().warn("note " + key + " rejected: " + r.code + ": " + r.message);
      return r.status == CUSTODY_ERR_REJECTED;  // a rule said no: move on; else retry later
    }
    if (!r.duplicate) ++written_;
    return true;
  }

  std::string subject_;
  std::size_t written_ = 0;
  bool unsaved_ = false;
};

const char* const kCapabilities[] = {"subscribe", "submit:note"};

}  // namespace

CUSTODY_PLUGIN(ExceptionNotes, "exception-notes", "1.1.0",
               "Writes every exception raised into the shift log", CUSTODY_KIND_OTHER,
               kCapabilities)
