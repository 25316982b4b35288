#include "custody/ledger/state.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "custody/ledger/store.h"
#include "rocksdb_options.h"

namespace custody::ledger {

namespace {
constexpr std::size_t kMaxCached = 1 << 20;
}  // namespace

std::optional<std::string> State::get(Cf cf, std::string_view key) const {
  if (auto layer = overlay_.find(cf); layer != overlay_.end()) {
    if (auto it = layer->second.find(key); it != layer->second.end()) return it->second.value;
  }
  Layer& cached = cache_[cf];
  if (auto it = cached.find(key); it != cached.end()) return it->second.value;
  std::string value;
  const auto s = db_.Get(rocksdb::ReadOptions(), cf, key, &value);
  if (!s.ok() && !s.IsNotFound()) throw StorageError(storage_error(s, "state read failed"));
  std::optional<std::string> out;
  if (s.ok()) out = std::move(value);
  if (cached_ >= kMaxCached) {
    cache_.clear();
    cached_ = 0;
  }
  cache_[cf].emplace(std::string(key), Entry{out, 0});
  ++cached_;
  return out;
}

void State::write(Cf cf, std::string_view key, std::optional<std::string_view> value) {
  if (cached_ != 0) {
    if (auto c = cache_.find(cf); c != cache_.end() && c->second.erase(key) != 0) --cached_;
  }
  if (detached_) {
    Layer& layer = overlay_[cf];
    auto it = layer.find(key);
    if (it == layer.end()) it = layer.emplace(std::string(key), Entry{}).first;
    it->second.value = value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
    return;
  }
  if (batch_ == nullptr) throw std::logic_error("State written outside a group");
  Layer& layer = overlay_[cf];
  auto it = layer.find(key);
  if (it == layer.end()) it = layer.emplace(std::string(key), Entry{}).first;
  it->second.value = value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
  // Groups count from 1, so a fresh entry (group 0) is a first write in this group too.
  if (it->second.group != group_) {
    if (written_.empty() || written_.back().first != group_) {
      written_.emplace_back(group_, std::vector<std::pair<Cf, std::string>>{});
    }
    written_.back().second.emplace_back(cf, std::string(key));
    it->second.group = group_;
  }
}

std::optional<std::string> State::record(std::uint64_t seq) const {
  if (!records_.empty() && seq >= std::get<1>(records_.front())) {
    const std::size_t i = seq - std::get<1>(records_.front());
    if (i < records_.size()) return std::get<2>(records_[i]);
    return std::nullopt;
  }
  std::string value;
  char key[8];
  for (int i = 7; i >= 0; --i) key[7 - i] = static_cast<char>(seq >> (8 * i));
  const auto s = log_db_.Get(rocksdb::ReadOptions(), log_, rocksdb::Slice(key, 8), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw StorageError(storage_error(s, "record read failed"));
  return value;
}

void State::add_record(std::uint64_t seq, std::string_view bytes) {
  records_.emplace_back(group_, seq, std::string(bytes));
}

void State::put(Cf cf, std::string_view key, std::string_view value) {
  write(cf, key, value);
}

void State::del(Cf cf, std::string_view key) {
  write(cf, key, std::nullopt);
}

void State::begin(std::uint64_t group, rocksdb::WriteBatch& batch) {
  group_ = group;
  batch_ = &batch;
}

void State::finish_group() {
  if (batch_ == nullptr || written_.empty() || written_.back().first != group_) return;
  auto& keys = written_.back().second;
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? std::less<Cf>{}(a.first, b.first) : a.second < b.second;
  });
  for (const auto& [cf, key] : keys) {
    const auto& entry = overlay_[cf].find(key)->second;
    if (entry.value) {
      batch_->Put(cf, key, *entry.value);
    } else {
      batch_->Delete(cf, key);
    }
  }
}

void State::retire(std::uint64_t group) {
  while (!written_.empty() && written_.front().first <= group) {
    for (const auto& [cf, key] : written_.front().second) {
      auto layer = overlay_.find(cf);
      if (layer == overlay_.end()) continue;
      auto it = layer->second.find(key);
      if (it != layer->second.end() && it->second.group <= group) layer->second.erase(it);
    }
    written_.erase(written_.begin());
  }
  while (!records_.empty() && std::get<0>(records_.front()) <= group) records_.pop_front();
}

void State::flush_sorted(const Sink& sink) {
  for (auto& [cf, layer] : overlay_) {
    std::vector<std::pair<std::string, std::optional<std::string>>> entries;
    entries.reserve(layer.size());
    for (auto& [key, entry] : layer) entries.emplace_back(key, std::move(entry.value));
    layer.clear();
    sink(cf, std::move(entries));
  }
  overlay_.clear();
}

std::size_t State::overlay_size() const {
  std::size_t n = 0;
  for (const auto& [cf, layer] : overlay_) n += layer.size();
  return n;
}

void State::clear() {
  cache_.clear();
  cached_ = 0;
  overlay_.clear();
  written_.clear();
  records_.clear();
}

void State::scan_prefix(Cf cf, std::string_view prefix, const Visit& fn,
                        std::string_view from) const {
  const std::string_view start = from > prefix ? from : prefix;
  // The overlay's keys under the prefix, in order (the overlay is hashed, and small).
  std::vector<std::pair<std::string_view, const Entry*>> ov_keys;
  if (auto l = overlay_.find(cf); l != overlay_.end()) {
    for (const auto& [key, entry] : l->second) {
      if (std::string_view(key).starts_with(prefix) && std::string_view(key) >= start) {
        ov_keys.emplace_back(key, &entry);
      }
    }
  }
  std::sort(ov_keys.begin(), ov_keys.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto ov = ov_keys.begin();
  std::unique_ptr<rocksdb::Iterator> it(db_.NewIterator(read_options(nullptr), cf));
  it->Seek(rocksdb::Slice(start.data(), start.size()));
  auto db_live = [&] {
    return it->Valid() && it->key().starts_with(prefix);
  };

  while (ov != ov_keys.end() || db_live()) {
    int order = 0;  // <0: overlay first, >0: database first, 0: same key (overlay wins)
    if (ov == ov_keys.end()) {
      order = 1;
    } else if (!db_live()) {
      order = -1;
    } else {
      order = ov->first.compare(it->key().ToStringView());
    }
    if (order <= 0) {
      if (ov->second->value && !fn(ov->first, *ov->second->value)) return;
      if (order == 0) it->Next();
      ++ov;
    } else {
      if (!fn(it->key().ToStringView(), it->value().ToStringView())) return;
      it->Next();
    }
  }
  if (!it->status().ok()) throw StorageError(storage_error(it->status(), "state scan failed"));
}

}  // namespace custody::ledger
