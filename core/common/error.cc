#include "custody/common/error.h"

namespace custody {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kInsufficientQuantity:
      return "insufficient_quantity";
    case ErrorCode::kLotNotAvailable:
      return "lot_not_available";
    case ErrorCode::kInvalidState:
      return "invalid_state";
    case ErrorCode::kSequenceViolation:
      return "sequence_violation";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kNotALedger:
      return "not_a_ledger";
    case ErrorCode::kLedgerLocked:
      return "ledger_locked";
    case ErrorCode::kUnsupportedVersion:
      return "unsupported_version";
    case ErrorCode::kIoError:
      return "io_error";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kIdempotencyConflict:
      return "idempotency_conflict";
    case ErrorCode::kReserved:
      return "reserved";
    case ErrorCode::kOutOfRange:
      return "out_of_range";
    case ErrorCode::kProjectionsStale:
      return "projections_stale";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kSignatureRequired:
      return "signature_required";
    case ErrorCode::kLateEntry:
      return "late_entry";
    case ErrorCode::kOverReceipt:
      return "over_receipt";
    case ErrorCode::kReceiptMismatch:
      return "receipt_mismatch";
    case ErrorCode::kLotExpired:
      return "lot_expired";
    case ErrorCode::kFefoViolation:
      return "fefo_violation";
    case ErrorCode::kNotQualified:
      return "not_qualified";
    case ErrorCode::kEquipmentDirty:
      return "equipment_dirty";
    case ErrorCode::kOutOfCalibration:
      return "out_of_calibration";
    case ErrorCode::kUnderMaintenance:
      return "under_maintenance";
    case ErrorCode::kOutOfService:
      return "out_of_service";
    case ErrorCode::kReworkNotAllowed:
      return "rework_not_allowed";
    case ErrorCode::kLineNotCleared:
      return "line_not_cleared";
    case ErrorCode::kLabelsNotReconciled:
      return "labels_not_reconciled";
    case ErrorCode::kOpenDeviation:
      return "open_deviation";
    case ErrorCode::kPlannedStop:
      return "planned_stop";
  }
  return "internal";
}

ErrorCode code_from_name(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(kLastErrorCode); ++c) {
    if (code_name(static_cast<ErrorCode>(c)) == name) return static_cast<ErrorCode>(c);
  }
  return ErrorCode::kInternal;
}

}  // namespace custody
