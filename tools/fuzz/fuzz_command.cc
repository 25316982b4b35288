// The JSON command decoder (`custody append`, POST /v1/commands): any bytes give a command or
// a clear error, never a crash, a leak or a hang; an accepted command has a type, an id and
// an actor that clients may use.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "custody/domain/command_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::string id;
  auto cmd = custody::domain::decode_command(json, &id);
  if (cmd) {
    if (cmd->type.empty() || cmd->command_id.empty() || cmd->actor.empty()) std::abort();
    if (cmd->actor == custody::domain::kSystemActor) std::abort();
    if (!custody::domain::reserved_prefix(cmd->command_id).empty()) std::abort();
    // A late entry's reason is shown to people: some text, without control characters.
    const std::string& why = cmd->late_reason;
    if (!why.empty() && (why.size() > 1000 || why.find_first_not_of(' ') == std::string::npos))
      std::abort();
    for (char c : why) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    }
  } else if (cmd.error().message.empty()) {
    std::abort();  // every refusal says why
  }
  // As the plugin host decodes it: the actor is the plugin's.
  auto hosted = custody::domain::decode_command(json, nullptr, "plugin:fuzz");
  if (hosted && hosted->actor != "plugin:fuzz") std::abort();
  return 0;
}
