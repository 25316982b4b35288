#include "custody/ledger/local_state.h"

#include <rocksdb/db.h>

#include <memory>

#include "custody/ledger/store.h"

namespace custody::ledger {
namespace {

Result<void> writable(const Store& store) {
  if (store.mode() != OpenMode::kReadWrite || store.local() == nullptr) {
    return std::unexpected(Error{ErrorCode::kPermissionDenied,
                                 "the ledger is open read-only; local state cannot change",
                                 {}});
  }
  return {};
}

rocksdb::Slice slice(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

Result<std::optional<std::string>> LocalState::get(std::string_view key) const {
  if (store_.local() == nullptr) return std::nullopt;
  std::string value;
  auto& db = const_cast<Store&>(store_).db();
  const auto s = db.Get(rocksdb::ReadOptions(), store_.local(), slice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return std::unexpected(storage_error(s, "cannot read local state"));
  return value;
}

Result<void> LocalState::put(std::string_view key, std::string_view value) {
  if (auto ok = writable(store_); !ok) return ok;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto s = store_.db().Put(wo, store_.local(), slice(key), slice(value));
  if (!s.ok()) return std::unexpected(storage_error(s, "cannot write local state"));
  return {};
}

Result<void> LocalState::erase(std::string_view key) {
  if (auto ok = writable(store_); !ok) return ok;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const auto s = store_.db().Delete(wo, store_.local(), slice(key));
  if (!s.ok()) return std::unexpected(storage_error(s, "cannot write local state"));
  return {};
}

Result<void> LocalState::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  if (store_.local() == nullptr) return {};
  auto& db = const_cast<Store&>(store_).db();
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), store_.local()));
  for (it->Seek(slice(prefix)); it->Valid() && it->key().starts_with(slice(prefix)); it->Next()) {
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  }
  if (!it->status().ok())
    return std::unexpected(storage_error(it->status(), "cannot read local state"));
  return {};
}

}  // namespace custody::ledger
