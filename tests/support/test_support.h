// Helpers for custody's tests: temporary directories, ledgers, commands, running the CLI.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "custody/common/clock.h"
#include "custody/ledger/ledger.h"

namespace custody::testing {

// A fresh directory removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

// Makes the ledger at `dir` one that takes history (config.json as `custody init
// --import-history` writes it): generated plant days are in the past.
void import_history(const std::filesystem::path& dir);

// Creates a ledger at `dir` with the plant domain. Fails the test on error.
void init_ledger(const std::filesystem::path& dir);

// Opens `dir` with the plant domain. Default options make every group write a checkpoint.
[[nodiscard]] std::unique_ptr<ledger::Ledger> open_ledger(
    const std::filesystem::path& dir, ledger::OpenMode mode = ledger::OpenMode::kReadWrite,
    ledger::LedgerOptions options = {});

// A note.add command.
[[nodiscard]] ledger::Command note(const std::string& command_id, const std::string& subject,
                                   const std::string& text);

// Submits and waits.
[[nodiscard]] Result<ledger::CommandResult> append(ledger::Ledger& ledger, ledger::Command cmd);

// A whole file's bytes ("" when it cannot be read).
[[nodiscard]] std::string read_text(const std::filesystem::path& file);
// Flips bit 4 of the byte at `at` in place: damage as a disk or an editor makes it.
void flip_byte(const std::filesystem::path& file, std::uint64_t at);

// Every file under `dir` with its contents, to prove that nothing was written.
[[nodiscard]] std::map<std::string, std::string> snapshot_files(const std::filesystem::path& dir);

struct CommandOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the `custody` binary with `args`, feeding `input` on stdin.
[[nodiscard]] CommandOutput run_custody(const std::vector<std::string>& args,
                                        const std::string& input = "");

// Splits text into lines (without the newlines), dropping a final empty line.
[[nodiscard]] std::vector<std::string> lines(const std::string& text);

}  // namespace custody::testing
