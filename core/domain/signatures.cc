// Electronic signatures: the policy of which command types need one, and the signature.signed
// record a signed command writes after its own records. The password was checked by the
// server before the command got here (ledger::Command::signature is set by nothing else); the
// rules here decide whether a signature is needed, whether its meaning fits, and bind it.
#include "custody/domain/signatures.h"

#include "catalogue.h"
#include "custody/common/encoding.h"
#include "custody/ledger/reader.h"

namespace custody::domain {
namespace {

constexpr std::string_view kSignatureIndex = "sig/";   // sig/<seq>: every signature
constexpr std::string_view kSignedByIndex = "sigof/";  // sigof/<signed seq><signature seq>
constexpr std::string_view kPolicyKind = "sigpolicy";

std::string meaning_name(s::SignatureMeaning m) {
  return std::string(codec::enum_name(m));
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// Types no person signs: what devices record, what custody writes itself, and the signature
// configuration. They take no policy, so deciding them reads none (readings are most of what
// a plant records).
bool signable(std::string_view type) {
  return type != "reading.record" && type != "user.lock" && type != "access.deny" &&
         !type.starts_with("signature.");
}

void hash_part(crypto::Sha256& h, std::string_view part) {
  h.update(be64(part.size()));
  h.update(part);
}

// What every signature's hash starts with: which kind, who, as whom, meaning what, when, and
// how many records follow.
void hash_signer(crypto::Sha256& h, std::string_view kind, std::string_view signer,
                 std::string_view name, std::string_view meaning, TimeNs signed_at,
                 std::size_t records) {
  hash_part(h, kind);
  hash_part(h, signer);
  hash_part(h, name);
  hash_part(h, meaning);
  h.update(be64(static_cast<std::uint64_t>(signed_at)));
  h.update(be64(records));
}

Result<void> decide_policy_set(Decide& d, s::SignaturePolicySet::Reader p) {
  const std::string type = str(p.getCommandType());
  if (find_command_spec(type) == nullptr) {
    return invalid("data.commandType", "unknown command type '" + type + "'");
  }
  if (!signable(type)) {
    return invalid("data.commandType", type +
                                           " cannot be signed (devices or custody write it, "
                                           "or it configures signatures themselves)");
  }
  if (p.getRequired() && p.getMeanings().size() == 0) {
    return invalid("data.meanings", "a required signature needs at least one meaning");
  }
  for (unsigned i = 0; i < p.getMeanings().size(); ++i) {
    for (unsigned j = 0; j < i; ++j) {
      if (p.getMeanings()[i] == p.getMeanings()[j]) {
        return invalid("data.meanings[" + std::to_string(i) + "]", "names a meaning twice");
      }
    }
  }
  if (p.getCriticalOnly() && type != "exception.close") {
    return invalid("data.criticalOnly", "applies to exception.close only");
  }
  d.emit_data("signature.policy_set");
  return {};
}

void apply_policy_set(Apply& a, s::SignaturePolicySet::Reader p) {
  capnp::MallocMessageBuilder msg(128);
  auto e = msg.initRoot<s::SignaturePolicy>();
  e.setCommandType(p.getCommandType());
  e.setRequired(p.getRequired());
  e.setMeanings(p.getMeanings());
  e.setCriticalOnly(p.getCriticalOnly());
  e.setSetAt(a.time());
  e.setSetBy(std::string(a.rec.actor));
  put_struct(a.state, a.cf.entities, keys::entity(kPolicyKind, sv(p.getCommandType())), e);
}

void apply_signed(Apply& a, s::SignatureSigned::Reader sig) {
  a.index(std::string(kSignatureIndex) + be64(a.rec.seq));
  // Each signed record -> this signature, for showing it with the record.
  auto signed_by = [&](std::uint64_t seq) {
    a.index(std::string(kSignedByIndex) + be64(seq) + be64(a.rec.seq));
  };
  for (std::uint64_t seq = a.rec.seq - sig.getRecords(); seq < a.rec.seq; ++seq) signed_by(seq);
  for (auto seq : sig.getSigns()) signed_by(seq);
}

// exception.close of a critical exception: what a criticalOnly policy is about.
bool closes_critical(const Decide& d) {
  if (d.cmd.type != "exception.close") return false;
  codec::MessageView v(d.cmd.data);
  auto e = find_exception(d, sv(v.root<s::ExceptionRef>().getException()));
  return e && e->get().getSeverity() == s::Severity::CRITICAL;
}

SignaturePolicyView policy_view(std::string_view bytes) {
  codec::MessageView v(bytes);
  auto p = v.root<s::SignaturePolicy>();
  SignaturePolicyView out;
  out.command_type = str(p.getCommandType());
  out.required = p.getRequired();
  for (auto m : p.getMeanings()) out.meanings.push_back(meaning_name(m));
  out.critical_only = p.getCriticalOnly();
  out.set_at = p.getSetAt();
  out.set_by = str(p.getSetBy());
  return out;
}

}  // namespace

namespace {

// The meaning a signed command carries, checked against `allowed` (empty: any).
Result<s::SignatureMeaning> checked_meaning(const Decide& d,
                                            const std::vector<std::string>& allowed) {
  const auto meaning = codec::enum_value<s::SignatureMeaning>(d.cmd.signature);
  if (!meaning) {
    return invalid("signature", "'" + d.cmd.signature + "' is not a signature meaning (" +
                                    listed(signature_meanings()) + ")");
  }
  if (!allowed.empty() &&
      std::find(allowed.begin(), allowed.end(), d.cmd.signature) == allowed.end()) {
    return invalid("signature", d.cmd.type + " may be signed as " + listed(allowed) + ", not " +
                                    d.cmd.signature);
  }
  return *meaning;
}

// Who signs: an enabled person ("user:<id>"); their id and printed name.
Result<std::pair<std::string, std::string>> signer_of(const Decide& d) {
  constexpr std::string_view kUser = "user:";
  const std::string signer =
      d.cmd.actor.starts_with(kUser) ? d.cmd.actor.substr(kUser.size()) : std::string{};
  auto user = signer.empty() ? nullptr
                             : load<s::User>(d.state, d.cf.entities, keys::entity("user", signer));
  if (!user || user->get().getDisabled()) {
    return std::unexpected(Error{
        ErrorCode::kPermissionDenied,
        "only an enabled person (user:<id>) can sign; " + d.cmd.actor + " is not one", "actor"});
  }
  return std::pair{signer, str(user->get().getName())};
}

void emit_signature(Decide& d, std::string stream, s::SignatureMeaning meaning,
                    const std::pair<std::string, std::string>& signer, std::uint32_t records,
                    const std::vector<std::uint64_t>& signs, const crypto::Digest& hash) {
  capnp::MallocMessageBuilder msg(128);
  auto s = msg.initRoot<s::SignatureSigned>();
  s.setSigner(signer.first);
  s.setName(signer.second);
  s.setMeaning(meaning);
  s.setSignedAt(d.now);
  s.setRecords(records);
  s.setHash(capnp::Data::Reader(hash.data(), hash.size()));
  auto list = s.initSigns(static_cast<unsigned>(signs.size()));
  for (unsigned i = 0; i < signs.size(); ++i) list.set(i, signs[i]);
  d.emit_struct(std::move(stream), "signature.signed", s);
}

Result<void> decide_sign(Decide& d, s::SignatureSign::Reader r) {
  if (d.cmd.signature.empty()) {
    return invalid("signature",
                   "signature.sign is itself a signature: give it through the server (POST "
                   "/v1/signatures/challenges with the records)");
  }
  auto meaning = checked_meaning(d, {});
  if (!meaning) return std::unexpected(meaning.error());
  auto signer = signer_of(d);
  if (!signer) return std::unexpected(signer.error());
  const auto seqs = r.getRecords();
  if (seqs.size() == 0) return invalid("data.records", "names no record");
  std::vector<std::uint64_t> signs;
  std::vector<SignedLeaf> leaves;
  std::string stream;
  for (unsigned i = 0; i < seqs.size(); ++i) {
    const std::string field = "data.records[" + std::to_string(i) + "]";
    const std::uint64_t seq = seqs[i];
    if (std::find(signs.begin(), signs.end(), seq) != signs.end()) {
      return invalid(field, "names record " + std::to_string(seq) + " twice");
    }
    auto bytes = seq == 0 ? std::nullopt : d.state.record(seq);
    if (!bytes) return not_found(field, "record " + std::to_string(seq));
    auto rec = ledger::decode_record(*bytes);
    if (!rec) return std::unexpected(rec.error());
    if (!rec->payload_present) {
      return invalid(field, "record " + std::to_string(seq) + " has been redacted");
    }
    if (rec->type == "signature.signed") {
      return invalid(field, "record " + std::to_string(seq) + " is a signature itself");
    }
    auto leaf = ledger::record_leaf(*bytes);
    if (!leaf) return std::unexpected(leaf.error());
    if (stream.empty()) stream = rec->stream;
    signs.push_back(seq);
    leaves.push_back({seq, *leaf});
  }
  const auto hash =
      record_signature_hash(signer->first, signer->second, d.cmd.signature, d.now, leaves);
  emit_signature(d, stream, *meaning, *signer, 0, signs, hash);
  return {};
}

}  // namespace

Result<void> sign_or_require(Decide& d) {
  if (d.cmd.type == "signature.sign") return {};  // its rule wrote the signature
  if (!signable(d.cmd.type)) {
    if (d.cmd.signature.empty()) return {};
    return invalid("signature", d.cmd.type + " cannot be signed");
  }
  const auto policy =
      load<s::SignaturePolicy>(d.state, d.cf.entities, keys::entity(kPolicyKind, d.cmd.type));
  std::vector<std::string> meanings;
  bool required = false;
  if (policy) {
    auto p = policy->get();
    for (auto m : p.getMeanings()) meanings.push_back(meaning_name(m));
    required = p.getRequired() && (!p.getCriticalOnly() || closes_critical(d));
  }
  if (d.cmd.signature.empty()) {
    if (!required) return {};
    return fail(ErrorCode::kSignatureRequired,
                d.cmd.type + " needs an electronic signature (" + listed(meanings) +
                    "): sign it through the server (POST /v1/signatures/challenges)",
                "signature");
  }
  auto meaning = checked_meaning(d, meanings);
  if (!meaning) return std::unexpected(meaning.error());
  if (d.events.empty()) return invalid("signature", d.cmd.type + " cannot be signed");
  auto signer = signer_of(d);
  if (!signer) return std::unexpected(signer.error());
  std::vector<SignedRecord> signed_records;
  std::vector<crypto::Digest> digests;  // kept alive for the views above
  digests.reserve(d.events.size());
  for (const auto& e : d.events) digests.push_back(crypto::sha256(e.payload));
  for (std::size_t i = 0; i < d.events.size(); ++i) {
    signed_records.push_back({d.cmd.command_id, d.events[i].type, d.events[i].stream, digests[i]});
  }
  const auto hash =
      signature_hash(signer->first, signer->second, d.cmd.signature, d.now, signed_records);
  emit_signature(d, d.events.front().stream, *meaning, *signer,
                 static_cast<std::uint32_t>(d.events.size()), {}, hash);
  return {};
}

const Area& signatures_area() {
  static const Area area{"signatures",
                         {command<s::SignaturePolicySet, decide_policy_set>(
                              "signature.set_policy", {"signature.policy_set"},
                              stream("signature-policy", "commandType")),
                          command<s::SignatureSign, decide_sign>(
                              "signature.sign", {"signature.signed"},
                              stream_described("the stream of the first record it signs"))},
                         {event<s::SignaturePolicySet, apply_policy_set>("signature.policy_set"),
                          event<s::SignatureSigned, apply_signed>("signature.signed")}};
  return area;
}

// ---- reading

const std::vector<std::string>& signature_meanings() {
  static const std::vector<std::string> names = codec::enum_names<s::SignatureMeaning>();
  return names;
}

Result<std::optional<SignaturePolicyView>> find_signature_policy(const ledger::Snapshot& snap,
                                                                 std::string_view command_type) {
  return ledger::reading([&]() -> Result<std::optional<SignaturePolicyView>> {
    auto bytes = snap.get(snap.family(kEntitiesCf), keys::entity(kPolicyKind, command_type));
    if (!bytes) return std::optional<SignaturePolicyView>{};
    return std::optional<SignaturePolicyView>(policy_view(*bytes));
  });
}

Result<std::vector<SignaturePolicyView>> list_signature_policies(const ledger::Snapshot& snap) {
  return ledger::reading([&]() -> Result<std::vector<SignaturePolicyView>> {
    std::vector<SignaturePolicyView> out;
    snap.scan_prefix(snap.family(kEntitiesCf), keys::entity(kPolicyKind, ""),
                     [&](std::string_view, std::string_view value) {
                       out.push_back(policy_view(value));
                       return true;
                     });
    return out;
  });
}

const std::vector<std::string>& default_signature_policies() {
  static const std::vector<std::string> lines = {
      R"j({"type":"signature.set_policy","data":{"commandType":"lot.release","required":true,"meanings":["released"],"reason":"default: QA release (21 CFR 211.192)"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"lot.reject","required":true,"meanings":["approved"],"reason":"default: QA rejection"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"wo.close","required":true,"meanings":["approved","reviewed"],"reason":"default: batch record review and closing (21 CFR 211.192)"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"record.correct","required":true,"meanings":["approved"],"reason":"default: approval of a correction"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"record.redact","required":true,"meanings":["approved"],"reason":"default: authorising the erasure of personal data"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"op.verify","required":true,"meanings":["verified"],"reason":"default: second-person verification of a step (21 CFR 211.188(b)(11))"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"exception.close","required":true,"meanings":["approved"],"criticalOnly":true,"reason":"default: closing a critical exception"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"line.clear","required":true,"meanings":["performed"],"reason":"default: the person who cleared the line signs it (21 CFR 211.130(e))"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"line.verify","required":true,"meanings":["verified"],"reason":"default: second-person verification of a line clearance"}})j",
      R"j({"type":"signature.set_policy","data":{"commandType":"deviation.approve","required":true,"meanings":["approved"],"reason":"default: QA approval of a deviation investigation (21 CFR 211.192)"}})j",
  };
  return lines;
}

std::string command_stream(const ledger::Command& command) {
  const CommandSpec* spec = find_command_spec(command.type);
  return spec == nullptr ? std::string{} : own_stream(*spec, command.data);
}

Result<SignatureView> signature_view(const ledger::RecordFields& record) {
  if (record.type != "signature.signed" || !record.payload_present) {
    return fail(ErrorCode::kInvalidArgument, "not a signature record", "seq");
  }
  return ledger::reading([&]() -> Result<SignatureView> {
    codec::MessageView v(record.payload);
    auto s = v.root<s::SignatureSigned>();
    SignatureView out;
    out.seq = record.seq;
    out.signer = str(s.getSigner());
    out.name = str(s.getName());
    out.meaning = meaning_name(s.getMeaning());
    out.signed_at = s.getSignedAt();
    out.records = s.getRecords();
    for (auto seq : s.getSigns()) out.signs.push_back(seq);
    const auto h = s.getHash();
    if (h.size() != out.hash.size()) {
      return fail(ErrorCode::kCorruption, "a signature's hash is not 32 bytes", "hash");
    }
    std::copy(h.begin(), h.end(), out.hash.begin());
    return out;
  });
}

Result<std::vector<SignatureView>> signatures_of(const ledger::Snapshot& snap, std::uint64_t seq) {
  std::vector<std::uint64_t> found;
  const std::string prefix = std::string(kSignedByIndex) + be64(seq);
  auto listed_ok = ledger::reading([&]() -> Result<void> {
    snap.scan_prefix(snap.family(kIndexCf), prefix, [&](std::string_view key, std::string_view) {
      found.push_back(get_be64(key.data() + prefix.size()));
      return true;
    });
    return {};
  });
  if (!listed_ok) return std::unexpected(listed_ok.error());
  std::vector<SignatureView> out;
  for (const std::uint64_t s : found) {
    auto bytes = snap.record(s);
    if (!bytes) return std::unexpected(bytes.error());
    auto rec = ledger::decode_record(*bytes);
    if (!rec) return std::unexpected(rec.error());
    auto sig = signature_view(*rec);
    if (!sig) return std::unexpected(sig.error());
    out.push_back(std::move(*sig));
  }
  return out;
}

void write_signature_json(const SignatureView& s, codec::JsonWriter& w) {
  w.begin_object();
  w.key("signer").string(s.signer);
  w.key("name").string(s.name);
  w.key("meaning").string(s.meaning);
  w.key("signedAt").string(format_rfc3339(s.signed_at));
  w.key("seq").uint64(s.seq);
  w.end_object();
}

crypto::Digest signature_hash(std::string_view signer, std::string_view name,
                              std::string_view meaning, TimeNs signed_at,
                              const std::vector<SignedRecord>& signed_records) {
  crypto::Sha256 h;
  hash_signer(h, "custody.esig.v1", signer, name, meaning, signed_at, signed_records.size());
  for (const auto& r : signed_records) {
    hash_part(h, r.command_id);
    hash_part(h, r.type);
    hash_part(h, r.stream);
    h.update(std::string_view(reinterpret_cast<const char*>(r.payload_digest.data()),
                              r.payload_digest.size()));
  }
  return h.finish();
}

crypto::Digest record_signature_hash(std::string_view signer, std::string_view name,
                                     std::string_view meaning, TimeNs signed_at,
                                     const std::vector<SignedLeaf>& leaves) {
  crypto::Sha256 h;
  hash_signer(h, "custody.esig.records.v1", signer, name, meaning, signed_at, leaves.size());
  for (const auto& l : leaves) {
    h.update(be64(l.seq));
    h.update(std::string_view(reinterpret_cast<const char*>(l.leaf.data()), l.leaf.size()));
  }
  return h.finish();
}

namespace {

// The hash signature `sig` (record `seq`) should carry, recomputed from the records it signs,
// or why those records cannot stand for it. Errors: the log could not be read.
struct Recomputed {
  crypto::Digest hash{};
  std::string problem;  // empty: `hash` holds
};
Result<Recomputed> recomputed_hash(const ledger::Snapshot& snap, std::uint64_t seq,
                                   const ledger::RecordFields& rec, const SignatureView& sig) {
  auto problem = [](std::string why) {
    return Recomputed{{}, std::move(why)};
  };
  if (!sig.signs.empty()) {  // signature.sign: the named earlier records, by leaf hash
    std::vector<SignedLeaf> leaves;
    for (const std::uint64_t s : sig.signs) {
      if (s == 0 || s >= seq)
        return problem("names record " + std::to_string(s) + ", not before it");
      auto b = snap.record(s);
      if (!b) return std::unexpected(b.error());
      auto leaf = ledger::record_leaf(*b);
      if (!leaf) return problem("signs seq " + std::to_string(s) + ", which cannot be read");
      leaves.push_back({s, *leaf});
    }
    return Recomputed{
        record_signature_hash(sig.signer, sig.name, sig.meaning, sig.signed_at, leaves), {}};
  }
  // A signed command: the records before it, all of the same command.
  if (sig.records == 0 || sig.records >= seq) return problem("signs no records");
  std::vector<ledger::RecordFields> fields;
  for (std::uint64_t s = seq - sig.records; s < seq; ++s) {
    auto b = snap.record(s);
    if (!b) return std::unexpected(b.error());
    auto r = ledger::decode_record(*b);
    if (!r) return problem("signs seq " + std::to_string(s) + ", which cannot be read");
    if (r->command_id != rec.command_id) {
      return problem("does not belong to the records before it (seq " + std::to_string(s) +
                     " is of command " + r->command_id + ", the signature of " + rec.command_id +
                     ")");
    }
    fields.push_back(std::move(*r));
  }
  std::vector<SignedRecord> signed_records;
  for (const auto& r : fields) {
    signed_records.push_back({r.command_id, r.type, r.stream, r.payload_digest});
  }
  return Recomputed{
      signature_hash(sig.signer, sig.name, sig.meaning, sig.signed_at, signed_records), {}};
}

}  // namespace

Result<SignatureCheck> check_signatures(const ledger::Snapshot& snap) {
  std::vector<std::uint64_t> seqs;
  auto listed_ok = ledger::reading([&]() -> Result<void> {
    snap.scan_prefix(snap.family(kIndexCf), kSignatureIndex,
                     [&](std::string_view key, std::string_view) {
                       seqs.push_back(get_be64(key.data() + kSignatureIndex.size()));
                       return true;
                     });
    return {};
  });
  if (!listed_ok) return std::unexpected(listed_ok.error());
  SignatureCheck out;
  auto bad = [&](std::uint64_t seq, std::string reason) {
    out.ok = false;
    out.first_bad_seq = seq;
    out.reason = "the signature at seq " + std::to_string(seq) + " " + std::move(reason);
    return out;
  };
  for (const std::uint64_t seq : seqs) {
    auto bytes = snap.record(seq);
    if (!bytes) return std::unexpected(bytes.error());
    auto rec = ledger::decode_record(*bytes);
    if (!rec) return bad(seq, "cannot be read: " + rec.error().message);
    auto sig = signature_view(*rec);
    if (!sig) return bad(seq, "is not a signature record: " + sig.error().message);
    auto expected = recomputed_hash(snap, seq, *rec, *sig);
    if (!expected) return std::unexpected(expected.error());
    if (!expected->problem.empty()) return bad(seq, std::move(expected->problem));
    if (expected->hash != sig->hash) {
      return bad(seq, "does not match the records it signs (moved, or they changed)");
    }
    if (rec->actor != "user:" + sig->signer) {
      return bad(seq, "names signer " + sig->signer + " but was recorded by " + rec->actor);
    }
    ++out.checked;
  }
  return out;
}

}  // namespace custody::domain
