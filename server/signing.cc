// Electronic signatures over the API (21 CFR 11.50, 11.70, 11.100, 11.200). Two steps:
//
//   POST /v1/signatures/challenges              {"command": {...}, "meaning": "released"}
//     -> the text to show the signer, and a challenge id bound to this session;
//   POST /v1/signatures/challenges/{id}:confirm {"password": "...", "user": "..."}
//     -> the command submitted as the signer, carrying the signature's meaning; the domain
//        adds the signature.signed record that binds the signer's printed name, the meaning,
//        the server's time and the hash of what was signed.
//
// A challenge names either a command or (as "records") records already in the log, which
// signature.sign then signs.
//
// A signature needs a person: a session, never an API token. The first signature of a
// session needs the user id and the password, later ones the password. A wrong password is
// answered 401, recorded, counted toward the lockout like a failed sign-in, and writes nothing.
// The challenge pins the version of the command's stream: if the record changed in between,
// the ledger refuses the command and the answer is 409.
#include <sodium.h>

#include <array>
#include <boost/json.hpp>

#include "custody/codec/json_parse.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/identity.h"
#include "custody/domain/signatures.h"
#include "custody/server/api.h"
#include "responses.h"

namespace custody::server {
namespace {

constexpr std::string_view kUserPrefix = "user:";

std::string user_of(const Principal& p) {
  return p.actor.starts_with(kUserPrefix) ? p.actor.substr(kUserPrefix.size()) : std::string{};
}

bool listed(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

std::string new_challenge_id() {
  std::array<std::uint8_t, 16> r{};
  randombytes_buf(r.data(), r.size());
  return "ch_" + to_hex(r);
}

}  // namespace

Response Api::create_challenge(const Principal& p, const Request& r) {
  const std::string user = user_of(p);
  if (p.session.empty() || user.empty()) {
    return error(403, deny(p, r, "sign", "a person signed in with a password"));
  }
  auto body = codec::parse_json(r.body, "", 256 << 10);
  if (!body || !body->is_object()) {
    return error(400, ErrorCode::kInvalidArgument,
                 "a challenge is a JSON object {\"command\": {...}, \"meaning\": \"...\"}", "body");
  }
  const auto& o = body->as_object();
  const auto* given = o.if_contains("command");
  const auto* records = o.if_contains("records");
  const auto* meaning = o.if_contains("meaning");
  if ((given == nullptr) == (records == nullptr) || (given != nullptr && !given->is_object()) ||
      (records != nullptr && !records->is_array())) {
    return error(400, ErrorCode::kInvalidArgument,
                 "is required: the command to sign, or (as \"records\") the seqs of records to "
                 "sign; one of them",
                 records != nullptr && !records->is_array() ? "records"
                 : given != nullptr && records != nullptr   ? "records"
                                                            : "command");
  }
  if (meaning == nullptr || !meaning->is_string() ||
      !listed(domain::signature_meanings(), meaning->as_string())) {
    std::string all;
    for (const auto& m : domain::signature_meanings()) all += (all.empty() ? "" : ", ") + m;
    return error(400, ErrorCode::kInvalidArgument, "is required, one of " + all, "meaning");
  }
  // Records already in the log are signed by signature.sign, checked like any command.
  boost::json::value command = given != nullptr ? *given : boost::json::value{};
  if (records != nullptr) {
    std::array<std::uint8_t, 8> nonce{};
    randombytes_buf(nonce.data(), nonce.size());
    command = boost::json::object{{"type", "signature.sign"},
                                  {"commandId", "api-sign-" + to_hex(nonce)},
                                  {"data", boost::json::object{{"records", *records}}}};
  }
  std::string command_id;
  auto admitted = admit(p, r, boost::json::serialize(command), command_id);
  if (!admitted.command) {
    Error e = admitted.error;
    if (!e.field.empty() && e.code == ErrorCode::kInvalidArgument) {
      e.field = records != nullptr && e.field.starts_with("data.records") ? e.field.substr(5)
                                                                          : "command." + e.field;
    }
    return error(admitted.status, e);
  }
  ledger::Command cmd = std::move(*admitted.command);
  const std::string wanted(meaning->as_string());

  auto snap = ledger_.snapshot();
  auto policy = domain::find_signature_policy(*snap, cmd.type);
  if (!policy) return error(500, policy.error());
  if (*policy && !(*policy)->meanings.empty() && !listed((*policy)->meanings, wanted)) {
    std::string allowed;
    for (const auto& m : (*policy)->meanings) allowed += (allowed.empty() ? "" : ", ") + m;
    return error(422, ErrorCode::kInvalidArgument,
                 cmd.type + " may be signed as " + allowed + ", not " + wanted, "meaning");
  }
  auto person = domain::find_user(*snap, user);
  if (!person) return error(500, person.error());
  if (!*person) return error(403, deny(p, r, "sign", "a user record"));
  // What the signer is shown: the command, or each record (its type, stream and payload).
  std::string stream = domain::command_stream(cmd);
  std::string what;
  if (records != nullptr) {
    const auto& list = records->as_array();  // seqs: admit() checked their type
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto seq = list[i].to_number<std::uint64_t>();
      auto bytes = snap->record(seq);
      if (!bytes) {
        const bool missing = bytes.error().code == ErrorCode::kNotFound;
        return error(missing ? 422 : 500,
                     missing ? Error{ErrorCode::kNotFound,
                                     "record " + std::to_string(seq) + " does not exist",
                                     "records[" + std::to_string(i) + "]"}
                             : bytes.error());
      }
      auto rec = ledger::decode_record(*bytes);
      if (!rec) return error(500, rec.error());
      if (stream.empty()) stream = rec->stream;
      std::string json;
      if (auto j = domain::append_record_json(*bytes, json); !j) return error(500, j.error());
      what += (what.empty() ? "" : "; ") +
              ("#" + std::to_string(seq) + " " + rec->type + " of " + rec->stream + " " + json);
    }
  } else {
    what = given->as_object().if_contains("data") != nullptr
               ? boost::json::serialize(given->as_object().at("data"))
               : std::string("{}");
  }
  // The record must not change between what the signer read and what they sign.
  if (!cmd.expected_version && !stream.empty()) {
    auto version = snap->stream_version(stream);
    if (!version) return error(500, version.error());
    cmd.expected_version = *version;
  }

  const TimeNs now = ledger_.clock().now();
  const std::string text =
      "I, " + (*person)->name + " (" + user + "), sign " +
      (records != nullptr ? std::string("the records")
                          : cmd.type + (stream.empty() ? "" : " of " + stream)) +
      " with the meaning \"" + wanted + "\": " + what;
  const std::string id = new_challenge_id();
  const TimeNs expires = now + static_cast<TimeNs>(options_.challenge_ttl.count()) * 1'000'000'000;
  {
    std::lock_guard lock(challenges_mu_);
    std::erase_if(challenges_, [&](const auto& kv) { return kv.second.expires <= now; });
    const auto mine = std::count_if(challenges_.begin(), challenges_.end(),
                                    [&](const auto& kv) { return kv.second.session == p.session; });
    if (static_cast<std::size_t>(mine) >= options_.max_challenges_per_session) {
      return error(429, ErrorCode::kOutOfRange,
                   "too many open signature challenges in this session: confirm or let them "
                   "expire",
                   "command");
    }
    challenges_.emplace(id, Challenge{user, p.session, std::move(cmd), wanted, expires});
  }
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true);
  w.key("challengeId").string(id);
  w.key("text").string(text);
  w.key("signer").begin_object();
  w.key("user").string(user).key("name").string((*person)->name);
  w.end_object();
  w.key("meaning").string(wanted);
  w.key("commandId").string(command_id);
  w.key("needs").begin_array();
  if (!p.signed_once) w.string("user");
  w.string("password");
  w.end_array();
  w.key("expiresAt").string(format_rfc3339(expires));
  w.end_object();
  return json(200, std::move(out));
}

Response Api::confirm_challenge(const Principal& p, const Request& r, const std::string& id) {
  const std::string user = user_of(p);
  if (p.session.empty() || user.empty()) {
    return error(403, deny(p, r, "sign", "a person signed in with a password"));
  }
  auto body = codec::parse_json(r.body, "", 64 << 10);
  const auto* pw = body && body->is_object() ? body->as_object().if_contains("password") : nullptr;
  if (pw == nullptr || !pw->is_string() || pw->as_string().empty()) {
    return error(400, ErrorCode::kInvalidArgument, "is required", "password");
  }
  const auto* named = body->as_object().if_contains("user");
  if (!p.signed_once && (named == nullptr || !named->is_string())) {
    return error(400, ErrorCode::kInvalidArgument,
                 "the first signature of a session needs the user id as well as the password",
                 "user");
  }
  const TimeNs now = ledger_.clock().now();
  std::optional<Challenge> challenge;
  {
    std::lock_guard lock(challenges_mu_);
    auto it = challenges_.find(id);
    if (it != challenges_.end() && it->second.session == p.session && it->second.expires > now) {
      challenge = it->second;
    }
  }
  if (!challenge) {
    return error(404, ErrorCode::kNotFound,
                 "no open signature challenge " + id +
                     " in this session (expired or used): ask "
                     "for a new one",
                 "challenge");
  }
  // The same answer for a wrong id and a wrong password: a signature is the person's own.
  const bool right_user = named == nullptr || !named->is_string() || named->as_string() == user;
  const auto hash = credentials_.password_hash(user);
  if (!right_user || !hash || !verify_password(*hash, pw->as_string())) {
    failed_sign_in(user, true, r.peer, "confirm a signature");
    return error(401, ErrorCode::kUnauthenticated,
                 "wrong user id or password: nothing was signed; after " +
                     std::to_string(options_.max_failures) + " failures the account is locked",
                 "password");
  }
  {
    std::lock_guard lock(challenges_mu_);
    if (challenges_.erase(id) == 0) {
      return error(404, ErrorCode::kNotFound, "the challenge was used meanwhile", "challenge");
    }
  }
  {
    std::lock_guard lock(failures_mu_);
    failures_.erase(user);
  }
  sessions_.mark_signed(p.session);
  if (stopping_) {
    return error(503, ErrorCode::kUnavailable, "the server is stopping; retry elsewhere");
  }
  ledger::Command cmd = std::move(challenge->command);
  cmd.signature = challenge->meaning;
  const std::string command_id = cmd.command_id;
  auto result = ledger_.submit(std::move(cmd)).get();
  if (!result) {
    Error e = result.error();
    if (e.code == ErrorCode::kConflict) {
      e.message = "the record changed after the challenge was given (" + e.message +
                  "): read it again and ask for a new challenge";
    }
    return error(status_of(e), e);
  }
  const std::uint64_t sig_seq = result->seq + result->records - 1;
  auto snap = ledger_.snapshot();
  auto bytes = snap->record(sig_seq);
  if (!bytes) return error(500, bytes.error());
  auto rec = ledger::decode_record(*bytes);
  if (!rec) return error(500, rec.error());
  auto sig = domain::signature_view(*rec);
  if (!sig) return error(500, sig.error());
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true);
  w.key("commandId").string(command_id);
  w.key("seq").uint64(result->seq);
  w.key("records").uint64(result->records);
  w.key("duplicate").boolean(result->duplicate);
  w.key("signature").begin_object();
  w.key("seq").uint64(sig->seq);
  w.key("signer").string(sig->signer);
  w.key("name").string(sig->name);
  w.key("meaning").string(sig->meaning);
  w.key("signedAt").string(format_rfc3339(sig->signed_at));
  w.key("hash").string(to_hex(sig->hash));
  w.end_object();
  w.end_object();
  return json(200, std::move(out));
}

Response Api::get_signature_policy() {
  auto snap = ledger_.snapshot();
  auto policies = domain::list_signature_policies(*snap);
  if (!policies) return error(500, policies.error());
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true);
  w.key("policies").begin_array();
  for (const auto& p : *policies) {
    w.begin_object();
    w.key("commandType").string(p.command_type);
    w.key("required").boolean(p.required);
    w.key("meanings").begin_array();
    for (const auto& m : p.meanings) w.string(m);
    w.end_array();
    w.key("criticalOnly").boolean(p.critical_only);
    w.key("setAt").string(format_rfc3339(p.set_at));
    w.key("setBy").string(p.set_by);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return json(200, std::move(out));
}

Result<std::size_t> record_default_signature_policy(ledger::Ledger& ledger) {
  auto snap = ledger.snapshot();
  auto existing = domain::list_signature_policies(*snap);
  if (!existing) return std::unexpected(existing.error());
  if (!existing->empty()) return 0;
  std::size_t n = 0;
  for (const auto& line : domain::default_signature_policies()) {
    auto parsed = codec::parse_json(line, "", 4096);
    if (!parsed) return std::unexpected(parsed.error());
    auto& o = parsed->as_object();
    o["commandId"] = "system:signature-policy:" +
                     std::string(o.at("data").as_object().at("commandType").as_string());
    auto cmd =
        domain::decode_command(boost::json::serialize(*parsed), nullptr, domain::kSystemActor);
    if (!cmd) return std::unexpected(cmd.error());
    auto r = ledger.submit(std::move(*cmd)).get();
    if (!r) return std::unexpected(r.error());
    if (!r->duplicate) ++n;
  }
  return n;
}

}  // namespace custody::server
