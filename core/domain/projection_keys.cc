// The projection key grammar (custody/domain/projections.h), built and parsed.
#include <cstring>

#include "custody/common/encoding.h"
#include "custody/domain/projections.h"

namespace custody::domain {

const std::vector<std::string>& projection_column_families() {
  static const std::vector<std::string> all = {
      std::string(kEntitiesCf),     std::string(kHistoryCf),      std::string(kGenealogyFwdCf),
      std::string(kGenealogyBwdCf), std::string(kGenealogyOutCf), std::string(kGenealogyInCf),
      std::string(kIndexCf),        std::string(kFactsCf),        std::string(kCorrectionsCf)};
  return all;
}

namespace keys {
namespace {

constexpr std::string_view kSupplierLotPrefix = "supplier_lot/";
constexpr std::string_view kEquipmentLotPrefix = "equipment_lot/";
constexpr std::string_view kShipmentPrefix = "shipment/";
constexpr std::string_view kShipmentByIdPrefix = "shipment_by_id/";
constexpr std::string_view kConsumedByPrefix = "consumed_by/";
constexpr std::string_view kEpcisEventPrefix = "epcis_event/";
constexpr std::string_view kEpcisIdPrefix = "epcis_id/";
constexpr std::string_view kEpcisLotPrefix = "epcis_lot/";
constexpr std::string_view kEpcisErrorPrefix = "epcis_error/";
constexpr std::string_view kFefoPrefix = "fefo/";

// prefix id 0x00
std::string with_id(std::string_view prefix, std::string_view id) {
  std::string k(prefix);
  k += id;
  k.push_back('\0');
  return k;
}

std::string be64t(std::int64_t t) {
  return be64(static_cast<std::uint64_t>(t));
}

}  // namespace

std::string entity(std::string_view kind, std::string_view id) {
  std::string k(kind);
  k += '/';
  k += id;
  return k;
}

std::string qualification(std::string_view user, std::string_view routing, std::string_view step,
                          std::string_view work_center) {
  std::string k = qualification_prefix(user);
  if (work_center.empty()) {
    k += "step";
    k += '\0';
    k += routing;
    k += '\0';
    k += step;
  } else {
    k += "wc";
    k += '\0';
    k += work_center;
  }
  return k;
}

std::string qualification_prefix(std::string_view user) {
  std::string k = entity("qualification", user);
  if (!user.empty()) k += '\0';
  return k;
}

std::string reading_prefix(std::string_view equipment) {
  return with_id(entity("equipment", equipment), "") + "reading/";
}

std::string reading(std::string_view equipment, std::string_view param) {
  return reading_prefix(equipment) + std::string(param);
}

std::string history_prefix(std::string_view kind, std::string_view id) {
  return with_id(entity(kind, id), "");
}

std::string history(std::string_view kind, std::string_view id, std::uint64_t seq) {
  return history_prefix(kind, id) + be64(seq);
}

std::optional<std::uint64_t> parse_history(std::string_view key) {
  if (key.size() < 9 || key[key.size() - 9] != '\0') return std::nullopt;
  return get_be64(key.data() + key.size() - 8);
}

std::string edge_prefix(std::string_view a) {
  return with_id("", a);
}

std::string edge(std::string_view a, std::string_view b) {
  return edge_prefix(a) + std::string(b);
}

std::optional<std::pair<std::string_view, std::string_view>> parse_edge(std::string_view key) {
  const std::size_t sep = key.find('\0');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == key.size()) return std::nullopt;
  return std::pair{key.substr(0, sep), key.substr(sep + 1)};
}

namespace adjacency {
namespace {

constexpr char kList = 0;
constexpr char kTooMany = 1;

template <typename T>
T get_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // x86-64 and aarch64: little-endian
  return v;
}

template <typename T>
void put_le(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put_entry(std::string& out, std::string_view other, std::uint8_t kind, std::int64_t qty) {
  put_le(out, static_cast<std::uint32_t>(other.size()));
  out += other;
  out.push_back(static_cast<char>(kind));
  put_le(out, qty);
}

// Calls fn(entry) for each entry of `value`; false when it is malformed.
template <typename F>
bool for_each_entry(std::string_view value, F&& fn) {
  if (value.empty() || value[0] != kList) return false;
  std::size_t at = 1;
  while (at < value.size()) {
    if (value.size() - at < 4) return false;
    const auto len = get_le<std::uint32_t>(value.data() + at);
    at += 4;
    if (value.size() - at < std::size_t{len} + 9) return false;
    Entry e;
    e.other = value.substr(at, len);
    at += len;
    e.kind = static_cast<std::uint8_t>(value[at++]);
    e.qty = get_le<std::int64_t>(value.data() + at);
    at += 8;
    fn(e);
  }
  return true;
}

}  // namespace

std::optional<std::vector<Entry>> decode(std::string_view value) {
  std::vector<Entry> out;
  if (!for_each_entry(value, [&](const Entry& e) { out.push_back(e); })) return std::nullopt;
  return out;
}

bool too_many(std::string_view value) {
  return value.size() == 1 && value[0] == kTooMany;
}

std::string with(std::string_view value, std::string_view other, std::uint8_t kind,
                 std::int64_t qty) {
  if (too_many(value)) return std::string(value);
  std::size_t n = 0;
  std::size_t kind_at = std::string_view::npos;  // other's entry: where its kind is
  const bool whole = for_each_entry(value, [&](const Entry& e) {
    ++n;
    if (e.other == other)
      kind_at = static_cast<std::size_t>(e.other.data() - value.data()) + e.other.size();
  });
  // A value this function did not write (a bug elsewhere) starts again from this entry; the
  // verify of the projections against a replay of the log finds the edges it lost.
  std::string out = whole ? std::string(value) : std::string(1, kList);
  if (whole && kind_at != std::string_view::npos) {  // set in place
    out[kind_at] = static_cast<char>(kind);
    std::memcpy(out.data() + kind_at + 1, &qty, sizeof qty);
    return out;
  }
  if ((whole ? n : 0) + 1 > kMaxAdjacent) return std::string(1, kTooMany);
  put_entry(out, other, kind, qty);
  return out;
}

}  // namespace adjacency

std::string wip(std::string_view wo) {
  return std::string(kWipPrefix) + std::string(wo);
}

std::string_view parse_wip(std::string_view key) {
  return key.substr(kWipPrefix.size());
}

std::string open_exception(int severity, std::int64_t raised_at, std::string_view id) {
  std::string k(kOpenExceptionPrefix);
  k.push_back(static_cast<char>(3 - severity));
  k += be64t(raised_at);
  k += id;
  return k;
}

std::optional<std::string_view> parse_open_exception(std::string_view key) {
  const std::size_t at = kOpenExceptionPrefix.size() + 1 + 8;
  if (!key.starts_with(kOpenExceptionPrefix) || key.size() <= at) return std::nullopt;
  return key.substr(at);
}

namespace {

// "<prefix>" be64(at) id: ids by a time, for scans of those due before now.
std::optional<std::string_view> parse_timed(std::string_view prefix, std::string_view key) {
  const std::size_t at = prefix.size() + 8;
  if (!key.starts_with(prefix) || key.size() <= at) return std::nullopt;
  return key.substr(at);
}

}  // namespace

std::string deadline(std::int64_t at, std::string_view id) {
  return std::string(kDeadlinePrefix) + be64t(at) + std::string(id);
}

std::string deadline_before(std::int64_t now) {
  return std::string(kDeadlinePrefix) + be64t(now);
}

std::optional<std::string_view> parse_deadline(std::string_view key) {
  return parse_timed(kDeadlinePrefix, key);
}

std::string receipt_due(std::int64_t at, std::string_view receipt) {
  return std::string(kReceiptDuePrefix) + be64t(at) + std::string(receipt);
}

std::string receipt_due_before(std::int64_t now) {
  return std::string(kReceiptDuePrefix) + be64t(now);
}

std::optional<std::string_view> parse_receipt_due(std::string_view key) {
  return parse_timed(kReceiptDuePrefix, key);
}

std::string expiry(std::int64_t at, std::string_view lot) {
  return std::string(kExpiryPrefix) + be64t(at) + std::string(lot);
}

std::string expiry_before(std::int64_t at) {
  return std::string(kExpiryPrefix) + be64t(at);
}

std::optional<std::string_view> parse_expiry(std::string_view key) {
  return parse_timed(kExpiryPrefix, key);
}

std::string fefo_prefix(std::string_view material) {
  return with_id(kFefoPrefix, material);
}

std::string fefo(std::string_view material, std::int64_t at, std::string_view lot) {
  return fefo_prefix(material) + be64t(at) + std::string(lot);
}

std::optional<std::pair<std::string_view, std::int64_t>> parse_fefo(std::string_view key,
                                                                    std::size_t prefix_size) {
  if (key.size() <= prefix_size + 8) return std::nullopt;
  return std::pair{key.substr(prefix_size + 8),
                   static_cast<std::int64_t>(get_be64(key.data() + prefix_size))};
}

std::string supplier_lot_prefix(std::string_view supplier, std::string_view supplier_lot) {
  return with_id(with_id(kSupplierLotPrefix, supplier), supplier_lot);
}

std::string supplier_lot(std::string_view supplier, std::string_view supplier_lot,
                         std::string_view lot) {
  return supplier_lot_prefix(supplier, supplier_lot) + std::string(lot);
}

std::string_view parse_supplier_lot(std::string_view key, std::string_view prefix) {
  return key.substr(prefix.size());
}

std::string equipment_lot_prefix(std::string_view equipment) {
  return with_id(kEquipmentLotPrefix, equipment);
}

std::string equipment_lot_from(std::string_view equipment, std::int64_t time) {
  return equipment_lot_prefix(equipment) + be64t(time);
}

std::string equipment_lot(std::string_view equipment, std::int64_t time, std::uint64_t seq,
                          std::string_view lot) {
  return equipment_lot_from(equipment, time) + be64(seq) + std::string(lot);
}

std::optional<EquipmentLot> parse_equipment_lot(std::string_view key, std::string_view prefix) {
  if (key.size() <= prefix.size() + 16) return std::nullopt;
  const char* p = key.data() + prefix.size();
  return EquipmentLot{static_cast<std::int64_t>(get_be64(p)), get_be64(p + 8),
                      key.substr(prefix.size() + 16)};
}

std::string shipment_prefix(std::string_view lot) {
  return with_id(kShipmentPrefix, lot);
}

std::string shipment(std::string_view lot, std::uint64_t seq) {
  return shipment_prefix(lot) + be64(seq);
}

std::string shipment_by_id(std::string_view shipment, std::uint64_t seq) {
  return with_id(kShipmentByIdPrefix, shipment) + be64(seq);
}

std::string consumed_by_prefix(std::string_view lot) {
  return with_id(kConsumedByPrefix, lot);
}

std::string consumed_by(std::string_view lot, std::string_view wo) {
  return consumed_by_prefix(lot) + std::string(wo);
}

std::string epcis_event(std::string_view event_id) {
  return std::string(kEpcisEventPrefix) + std::string(event_id);
}

std::string epcis_identifier_prefix(std::string_view identifier) {
  return with_id(kEpcisIdPrefix, identifier);
}

std::string epcis_lot_prefix(std::string_view lot_code) {
  return with_id(kEpcisLotPrefix, lot_code);
}

std::string epcis_error(std::string_view event_id) {
  return std::string(kEpcisErrorPrefix) + std::string(event_id);
}

std::string fact(std::int64_t time, std::uint64_t seq, std::uint8_t n) {
  std::string k = be64t(time) + be64(seq);
  k.push_back(static_cast<char>(n));
  return k;
}

std::string fact_from(std::int64_t time) {
  return be64t(time);
}

std::optional<std::int64_t> parse_fact_time(std::string_view key) {
  if (key.size() < 8) return std::nullopt;
  return static_cast<std::int64_t>(get_be64(key.data()));
}

std::string correction(std::uint64_t seq) {
  return be64(seq);
}

std::string stream(std::string_view kind, std::string_view id) {
  std::string s(kind);
  s += ':';
  s += id;
  return s;
}

}  // namespace keys
}  // namespace custody::domain
