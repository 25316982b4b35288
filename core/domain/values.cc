#include "values.h"

#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"

namespace custody::domain {

std::string qty_text(std::int64_t milli) {
  return codec::format_decimal(milli, 3);
}

std::string date_of(TimeNs t) {
  return format_rfc3339(t).substr(0, 10);
}

Result<std::int64_t> add_quantity(std::int64_t a, std::int64_t b, const std::string& field) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum) || sum > kMaxQuantity || sum < -kMaxQuantity) {
    return std::unexpected(
        Error{ErrorCode::kOutOfRange,
              "the total would exceed " + qty_text(kMaxQuantity) + ", more than custody can hold",
              field});
  }
  return sum;
}

std::string_view lot_status_name(s::LotStatus status) {
  switch (status) {
    case s::LotStatus::AWAITING_RELEASE:
      return "awaiting release";
    case s::LotStatus::RELEASED:
      return "released";
    case s::LotStatus::HELD:
      return "held";
    case s::LotStatus::REJECTED:
      return "rejected";
  }
  return "unknown";
}

std::string_view wo_status_name(s::WoStatus status) {
  switch (status) {
    case s::WoStatus::CREATED:
      return "created";
    case s::WoStatus::RELEASED:
      return "released";
    case s::WoStatus::IN_PROGRESS:
      return "in progress";
    case s::WoStatus::COMPLETED:
      return "completed";
    case s::WoStatus::CLOSED:
      return "closed";
  }
  return "unknown";
}

std::string_view exception_status_name(s::ExceptionStatus status) {
  switch (status) {
    case s::ExceptionStatus::OPEN:
      return "open";
    case s::ExceptionStatus::ASSIGNED:
      return "assigned";
    case s::ExceptionStatus::ACKNOWLEDGED:
      return "acknowledged";
    case s::ExceptionStatus::RESOLVED:
      return "resolved";
    case s::ExceptionStatus::CLOSED:
      return "closed";
  }
  return "unknown";
}

}  // namespace custody::domain
