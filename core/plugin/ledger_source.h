// Internal to core/plugin: records for a plugin's thread straight from the ledger. Waits on
// a commit listener (the writer thread only bumps a number and notifies), then reads the
// records from a snapshot, so a slow plugin never holds up the sequencer.
#pragma once

#include <condition_variable>
#include <mutex>

#include "custody/ledger/ledger.h"
#include "plugin_thread.h"

namespace custody::plugin {

class LedgerSource : public RecordSource {
 public:
  explicit LedgerSource(ledger::Ledger& ledger);
  ~LedgerSource() override;
  LedgerSource(const LedgerSource&) = delete;
  LedgerSource& operator=(const LedgerSource&) = delete;

  [[nodiscard]] Result<void> next(std::uint64_t from, std::size_t max,
                                  std::chrono::steady_clock::time_point until,
                                  std::vector<std::string>& out) override;
  void wake() override;

 private:
  ledger::Ledger& ledger_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t head_ = 0;
  bool woken_ = false;
  std::uint64_t listener_ = 0;
};

}  // namespace custody::plugin
