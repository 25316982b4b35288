#include "ledger_source.h"

#include <algorithm>

namespace custody::plugin {

LedgerSource::LedgerSource(ledger::Ledger& ledger) : ledger_(ledger) {
  // Listen first, then read the head: a commit in between is seen either way.
  listener_ = ledger_.add_commit_listener([this](std::uint64_t seq) {
    {
      std::lock_guard lock(mu_);
      head_ = std::max(head_, seq);
    }
    cv_.notify_all();
  });
  const std::uint64_t head = ledger_.head().seq;
  std::lock_guard lock(mu_);
  head_ = std::max(head_, head);
}

LedgerSource::~LedgerSource() {
  ledger_.remove_commit_listener(listener_);
}

Result<void> LedgerSource::next(std::uint64_t from, std::size_t max,
                                std::chrono::steady_clock::time_point until,
                                std::vector<std::string>& out) {
  std::uint64_t head = 0;
  {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, until, [&] { return head_ >= from || woken_; });
    woken_ = false;
    if (head_ < from) return {};
    head = head_;
  }
  // Only what is committed: a snapshot also shows a group the sequencer has written but not
  // yet made durable and counted in Ledger::head(), which a plugin must not act on (or save
  // as its position) before it is.
  auto snap = ledger_.snapshot();
  return snap->records(from, std::min<std::uint64_t>(max, head - from + 1),
                       [&](std::uint64_t seq, std::string_view bytes) {
                         if (seq > head) return false;
                         out.emplace_back(bytes);
                         return true;
                       });
}

void LedgerSource::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace custody::plugin
