// Errors as values.
//
// Every operation a caller can fail returns std::expected<T, Error>. An Error carries a
// stable machine code (printed as snake_case, part of the CLI and API contract), a message
// for people, and, for bad input, the path of the offending field ("data.qty",
// "data.steps[2].inputs[0].material"). Exceptions are reserved for bugs and broken
// invariants and are caught at the boundaries (CLI main, request handler, plugin ABI).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace custody {

// Stable codes. Append only; the names returned by code_name() are the wire contract.
enum class ErrorCode : std::uint8_t {
  kInvalidArgument,       // malformed input: bad JSON, missing or mistyped field
  kNotFound,              // a referenced id does not exist
  kAlreadyExists,         // an id is already in use
  kConflict,              // expectedVersion did not match the stream's version
  kInsufficientQuantity,  // consuming or shipping more than a lot holds
  kLotNotAvailable,       // lot is held, rejected or awaiting release
  kInvalidState,          // a transition not allowed from the current state
  kSequenceViolation,     // a routing step started before the previous one completed
  kPermissionDenied,      // caller lacks the capability or role
  kNotALedger,            // the directory holds no custody ledger
  kLedgerLocked,          // another process has the ledger open
  kUnsupportedVersion,    // written by a newer custody (schema version)
  kIoError,               // the disk or RocksDB failed
  kCorruption,            // stored data is not what custody wrote
  kUnavailable,           // the ledger is shutting down or failed earlier
  kInternal,              // a bug
  kIdempotencyConflict,   // a commandId already used by a different command
  kReserved,              // an id in a namespace custody keeps for itself
  kOutOfRange,            // a quantity or time beyond what custody can represent
  kProjectionsStale,      // projections were built by another version: rebuild first
  kUnauthenticated,       // no credentials, or credentials that do not check out
  kSignatureRequired,     // the command type needs an electronic signature it does not carry
  kLateEntry,             // occurredAt makes the command a late entry and it gives no reason
  kOverReceipt,           // more received against an expected receipt than its tolerance allows
  kReceiptMismatch,       // a receipt that does not match the expected receipt it names
  kLotExpired,            // using or shipping a lot past its expiry
  kFefoViolation,         // consuming a lot while one that expires sooner is released (enforced)
  kNotQualified,          // a critical step run, reported or verified by someone not qualified
  kEquipmentDirty,        // a step started on equipment not cleaned since a change or interval
  kOutOfCalibration,      // a step started on equipment whose calibration has lapsed
  kUnderMaintenance,      // a step started on equipment under maintenance
  kOutOfService,          // a step started on equipment out of service
  kReworkNotAllowed,      // rework sent to a step the routing does not allow it back to
  kLineNotCleared,        // a step started without the verified line clearance it needs
  kLabelsNotReconciled,   // a labelling step completed before its labels were reconciled
  kOpenDeviation,         // a lot released while an open deviation names it
  kPlannedStop,           // a step started on equipment in a planned stop
};

// The last code (for loops over every code).
inline constexpr ErrorCode kLastErrorCode = ErrorCode::kPlannedStop;

// "invalid_argument", "not_found", ...
[[nodiscard]] std::string_view code_name(ErrorCode code);

// The code code_name() names; kInternal for a name it does not know (a newer peer's code).
[[nodiscard]] ErrorCode code_from_name(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string field;  // JSON path of the offending field; empty when not about input

  [[nodiscard]] static Error invalid_argument(std::string field, std::string message) {
    return Error{ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
  }
  [[nodiscard]] static Error io(std::string message) {
    return Error{ErrorCode::kIoError, std::move(message), {}};
  }
  [[nodiscard]] static Error corruption(std::string message) {
    return Error{ErrorCode::kCorruption, std::move(message), {}};
  }
  [[nodiscard]] static Error internal(std::string message) {
    return Error{ErrorCode::kInternal, std::move(message), {}};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning an error from a function returning Result<T>.
[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string message,
                                                 std::string field = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(field)});
}

}  // namespace custody
