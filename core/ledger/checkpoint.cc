#include "custody/ledger/checkpoint.h"

#include <charconv>
#include <cstring>

#include "custody/common/encoding.h"

namespace custody::ledger {

std::string Checkpoint::body() const {
  std::string out = origin;
  out += '\n';
  out += std::to_string(size);
  out += '\n';
  out += to_base64(root);
  out += '\n';
  for (const auto& ext : extensions) {
    out += ext;
    out += '\n';
  }
  return out;
}

std::string sign_checkpoint(const Checkpoint& cp, const crypto::NoteSigner& signer) {
  return signer.sign(cp.body());
}

Result<Checkpoint> parse_checkpoint_body(std::string_view text) {
  auto bad = [](std::string msg) {
    return fail(ErrorCode::kInvalidArgument, std::move(msg), "checkpoint");
  };
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return bad("checkpoint line without newline");
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < 3) return bad("checkpoint needs origin, size and root lines");
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  if (cp.origin.empty()) return bad("checkpoint origin is empty");
  const std::string_view size = lines[1];
  if (size.empty() || (size.size() > 1 && size[0] == '0') ||
      std::from_chars(size.data(), size.data() + size.size(), cp.size).ptr !=
          size.data() + size.size()) {
    return bad("checkpoint size is not a decimal number");
  }
  const auto root = from_base64(lines[2]);
  if (!root || root->size() != 32) return bad("checkpoint root is not a base64 SHA-256 hash");
  std::memcpy(cp.root.data(), root->data(), 32);
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return bad("blank line inside checkpoint body");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<Checkpoint> open_checkpoint(std::string_view note, const crypto::NoteVerifier& verifier) {
  auto text = verifier.open(note);
  if (!text) return std::unexpected(text.error());
  return parse_checkpoint_body(*text);
}

Result<Checkpoint> parse_checkpoint_note_unverified(std::string_view note) {
  const std::size_t blank = note.find("\n\n");
  if (blank == std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument,
                "a signed note needs a blank line before its signatures", "checkpoint");
  }
  return parse_checkpoint_body(note.substr(0, blank + 1));
}

}  // namespace custody::ledger
