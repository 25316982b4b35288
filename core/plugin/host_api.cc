#include "host_api.h"

#include <cstring>
#include <exception>

#include "custody/domain/command_codec.h"
#include "schema/record.capnp.h"

namespace custody::plugin {
namespace {

void copy_text(char* dst, std::size_t size, std::string_view src) {
  const std::size_t n = std::min(src.size(), size - 1);
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

// Writes into the caller's result only what its declared size covers.
bool result_fits(const custody_result* r) {
  return r != nullptr && r->struct_size >= offsetof(custody_result, message) + sizeof(r->message);
}

void write_sink(const custody_sink* out, std::string_view bytes) {
  if (out != nullptr && out->write != nullptr && !bytes.empty()) {
    out->write(out->context, bytes.data(), bytes.size());
  }
}

HostApi* api(custody_context* ctx) {
  return ctx != nullptr ? ctx->api : nullptr;
}

// Runs f, turning a missing context or an escaping exception into a status (nothing may
// unwind into the plugin).
template <typename F>
custody_status guarded(custody_context* ctx, custody_result* result, F&& f) noexcept {
  try {
    if (api(ctx) == nullptr) {
      fill_result(Error{ErrorCode::kInvalidArgument, "no host context", "context"}, result);
      return CUSTODY_ERR_INVALID_ARGUMENT;
    }
    return f(*api(ctx));
  } catch (const std::exception& e) {
    fill_result(Error::internal(std::string("host error: ") + e.what()), result);
  } catch (...) {
    fill_result(Error::internal("host error"), result);
  }
  return CUSTODY_ERR_INTERNAL;
}

custody_status outcome(const Result<void>& r, custody_result* result) {
  if (r) {
    if (result_fits(result)) result->status = CUSTODY_OK;
    return CUSTODY_OK;
  }
  fill_result(r.error(), result);
  return status_of(r.error().code);
}

custody_status outcome(const Result<ledger::CommandResult>& r, custody_result* result) {
  if (r) {
    fill_result(*r, result);
    return CUSTODY_OK;
  }
  fill_result(r.error(), result);
  return status_of(r.error().code);
}

LogLevel level_of(std::int32_t level) {
  switch (level) {
    case CUSTODY_LOG_DEBUG:
      return LogLevel::kDebug;
    case CUSTODY_LOG_WARN:
      return LogLevel::kWarn;
    case CUSTODY_LOG_ERROR:
      return LogLevel::kError;
    default:
      return LogLevel::kInfo;
  }
}

void host_log(custody_context* ctx, std::int32_t level, const char* message,
              std::size_t size) noexcept {
  guarded(ctx, nullptr, [&](HostApi& a) {
    a.log(level_of(level), message ? std::string_view(message, size) : std::string_view());
    return CUSTODY_OK;
  });
}

custody_status host_config(custody_context* ctx, const custody_sink* out) noexcept {
  return guarded(ctx, nullptr, [&](HostApi& a) {
    write_sink(out, a.config());
    return CUSTODY_OK;
  });
}

custody_status host_query(custody_context* ctx, const char* request, std::size_t size,
                          const custody_sink* out, custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) {
    std::string answer;
    auto r = a.query(request ? std::string_view(request, size) : std::string_view(), answer);
    if (r) write_sink(out, answer);
    return outcome(r, result);
  });
}

custody_status host_subscribe(custody_context* ctx, std::uint64_t from_seq,
                              custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) { return outcome(a.subscribe(from_seq), result); });
}

custody_status host_submit(custody_context* ctx, const custody_command* command,
                           custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) {
    constexpr std::size_t kV1 = offsetof(custody_command, occurred_at) + sizeof(std::int64_t);
    if (command == nullptr || command->struct_size < kV1 || command->type == nullptr ||
        command->command_id == nullptr || (command->data == nullptr && command->data_size > 0)) {
      return outcome(Result<void>(std::unexpected(Error::invalid_argument(
                         "command", "a custody_command with type, command_id and data"))),
                     result);
    }
    SubmitRequest r;
    r.type = command->type;
    r.command_id = command->command_id;
    r.data = std::string_view(reinterpret_cast<const char*>(command->data), command->data_size);
    if (command->has_expected_version) r.expected_version = command->expected_version;
    r.occurred_at = command->occurred_at;
    return outcome(a.submit(r), result);
  });
}

custody_status host_submit_json(custody_context* ctx, const char* command, std::size_t size,
                                custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) {
    return outcome(a.submit_json(command ? std::string_view(command, size) : std::string_view()),
                   result);
  });
}

std::int64_t host_now(custody_context* ctx) noexcept {
  try {
    return api(ctx) ? api(ctx)->now() : 0;
  } catch (...) {
    return 0;
  }
}

custody_status host_set_tick_interval(custody_context* ctx, std::uint64_t interval_ms) noexcept {
  return guarded(ctx, nullptr, [&](HostApi& a) {
    a.set_tick_interval(interval_ms);
    return CUSTODY_OK;
  });
}

custody_status host_record_json(custody_context* ctx, const custody_record* record,
                                const custody_sink* out) noexcept {
  return guarded(ctx, nullptr, [&](HostApi&) {
    if (record == nullptr || record->record == nullptr) return CUSTODY_ERR_INVALID_ARGUMENT;
    std::string json;
    auto r = domain::append_record_json(
        std::string_view(reinterpret_cast<const char*>(record->record), record->record_size), json);
    if (!r) return CUSTODY_ERR_INVALID_ARGUMENT;
    write_sink(out, json);
    return CUSTODY_OK;
  });
}

std::string_view bytes(const void* data, std::size_t size) {
  return data != nullptr ? std::string_view(static_cast<const char*>(data), size)
                         : std::string_view();
}

custody_status host_position(custody_context* ctx, std::uint64_t* seq,
                             custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) {
    if (seq == nullptr) {
      return outcome(Result<void>(std::unexpected(
                         Error::invalid_argument("seq", "needs somewhere to write the position"))),
                     result);
    }
    auto p = a.position();
    if (p) *seq = *p;
    return outcome(p ? Result<void>() : std::unexpected(p.error()), result);
  });
}

custody_status host_save_position(custody_context* ctx, std::uint64_t seq,
                                  custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) { return outcome(a.save_position(seq), result); });
}

custody_status host_state_get(custody_context* ctx, const char* key, std::size_t key_size,
                              const custody_sink* out, custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) {
    auto v = a.state_get(bytes(key, key_size));
    if (v) write_sink(out, *v);
    return outcome(v ? Result<void>() : std::unexpected(v.error()), result);
  });
}

custody_status host_state_put(custody_context* ctx, const char* key, std::size_t key_size,
                              const std::uint8_t* value, std::size_t value_size,
                              custody_result* result) noexcept {
  return guarded(ctx, result, [&](HostApi& a) {
    return outcome(a.state_put(bytes(key, key_size), bytes(value, value_size)), result);
  });
}

custody_status host_state_erase(custody_context* ctx, const char* key, std::size_t key_size,
                                custody_result* result) noexcept {
  return guarded(ctx, result,
                 [&](HostApi& a) { return outcome(a.state_erase(bytes(key, key_size)), result); });
}

}  // namespace

custody_host make_host_table(custody_context* context) {
  custody_host h;
  std::memset(&h, 0, sizeof h);
  h.struct_size = sizeof h;
  h.abi_major = CUSTODY_ABI_MAJOR;
  h.abi_minor = CUSTODY_ABI_MINOR;
  h.context = context;
  h.log = &host_log;
  h.config = &host_config;
  h.query = &host_query;
  h.subscribe = &host_subscribe;
  h.submit = &host_submit;
  h.submit_json = &host_submit_json;
  h.now = &host_now;
  h.set_tick_interval = &host_set_tick_interval;
  h.record_json = &host_record_json;
  h.position = &host_position;
  h.save_position = &host_save_position;
  h.state_get = &host_state_get;
  h.state_put = &host_state_put;
  h.state_erase = &host_state_erase;
  return h;
}

custody_status status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
      return CUSTODY_ERR_INVALID_ARGUMENT;
    case ErrorCode::kNotFound:
      return CUSTODY_ERR_NOT_FOUND;
    case ErrorCode::kPermissionDenied:
      return CUSTODY_ERR_PERMISSION_DENIED;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
    case ErrorCode::kInsufficientQuantity:
    case ErrorCode::kLotNotAvailable:
    case ErrorCode::kInvalidState:
    case ErrorCode::kSequenceViolation:
    case ErrorCode::kIdempotencyConflict:
    case ErrorCode::kReserved:
    case ErrorCode::kOverReceipt:
    case ErrorCode::kReceiptMismatch:
    case ErrorCode::kLotExpired:
    case ErrorCode::kFefoViolation:
    case ErrorCode::kNotQualified:
    case ErrorCode::kEquipmentDirty:
    case ErrorCode::kOutOfCalibration:
    case ErrorCode::kUnderMaintenance:
    case ErrorCode::kOutOfService:
    case ErrorCode::kReworkNotAllowed:
    case ErrorCode::kLineNotCleared:
    case ErrorCode::kLabelsNotReconciled:
    case ErrorCode::kOpenDeviation:
    case ErrorCode::kPlannedStop:
      return CUSTODY_ERR_REJECTED;
    case ErrorCode::kProjectionsStale:
    case ErrorCode::kUnavailable:
    case ErrorCode::kLedgerLocked:
    case ErrorCode::kIoError:
      return CUSTODY_ERR_UNAVAILABLE;
    case ErrorCode::kUnsupportedVersion:
      return CUSTODY_ERR_UNSUPPORTED;
    default:
      return CUSTODY_ERR_INTERNAL;
  }
}

ErrorCode code_of(custody_status status) {
  switch (status) {
    case CUSTODY_ERR_INVALID_ARGUMENT:
      return ErrorCode::kInvalidArgument;
    case CUSTODY_ERR_NOT_FOUND:
      return ErrorCode::kNotFound;
    case CUSTODY_ERR_PERMISSION_DENIED:
      return ErrorCode::kPermissionDenied;
    case CUSTODY_ERR_UNAVAILABLE:
      return ErrorCode::kUnavailable;
    case CUSTODY_ERR_UNSUPPORTED:
      return ErrorCode::kUnsupportedVersion;
    default:
      return ErrorCode::kInternal;
  }
}

void fill_result(const Error& error, custody_result* result) {
  if (!result_fits(result)) return;
  result->status = status_of(error.code);
  copy_text(result->code, sizeof result->code, code_name(error.code));
  copy_text(result->field, sizeof result->field, error.field);
  copy_text(result->message, sizeof result->message, error.message);
}

void fill_result(const ledger::CommandResult& ok, custody_result* result) {
  if (!result_fits(result)) return;
  result->status = CUSTODY_OK;
  result->seq = ok.seq;
  result->records = ok.records;
  result->duplicate = ok.duplicate ? 1 : 0;
  std::memcpy(result->hash, ok.hash.data(), sizeof result->hash);
  result->code[0] = result->field[0] = result->message[0] = '\0';
}

Result<void> RecordBatch::assign(std::vector<std::string> records) {
  bytes_ = std::move(records);
  messages_.clear();
  views_.clear();
  messages_.reserve(bytes_.size());
  views_.reserve(bytes_.size());
  try {
    for (const std::string& b : bytes_) {
      messages_.push_back(std::make_unique<codec::MessageView>(b));
      auto r = messages_.back()->root<schema::Record>();
      custody_record v;
      std::memset(&v, 0, sizeof v);
      v.struct_size = sizeof v;
      v.seq = r.getSeq();
      v.recorded_at = r.getRecordedAt();
      v.occurred_at = r.getOccurredAt();
      v.type = r.getType().cStr();
      v.stream = r.getStream().cStr();
      v.actor = r.getActor().cStr();
      v.command_id = r.getCommandId().cStr();
      auto payload = r.getPayload();
      v.payload = payload.begin();
      v.payload_size = payload.size();
      v.record = reinterpret_cast<const std::uint8_t*>(b.data());
      v.record_size = b.size();
      views_.push_back(v);
    }
  } catch (const kj::Exception& e) {
    return std::unexpected(
        Error::corruption(std::string("record does not parse: ") + e.getDescription().cStr()));
  }
  return {};
}

}  // namespace custody::plugin
