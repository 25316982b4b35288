// custody append DIR [FILE]: NDJSON commands in, one JSON result line out per command, in
// input order, each printed only once the command's outcome is durable.
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/cli_common.h"
#include "custody/domain/command_codec.h"

namespace custody::cli {
namespace {

// Results in input order. The reader thread pushes a slot per line; the sequencer fills
// them in; the printer thread prints the front slot once it is filled.
class OrderedResults {
 public:
  struct Slot {
    std::string command_id;
    std::optional<Result<ledger::CommandResult>> result;
  };

  explicit OrderedResults(std::size_t max_in_flight) : max_in_flight_(max_in_flight) {}

  Slot* push(std::string command_id) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return slots_.size() < max_in_flight_; });
    slots_.push_back(Slot{std::move(command_id), std::nullopt});
    return &slots_.back();  // deque::push_back keeps references to other elements valid
  }

  void fill(Slot* slot, Result<ledger::CommandResult> r) {
    {
      std::lock_guard lock(mu_);
      slot->result = std::move(r);
    }
    ready_.notify_one();
  }

  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    ready_.notify_one();
  }

  // Printer thread. Returns whether any command was rejected.
  bool print_all(std::ostream& out) {
    bool rejected = false;
    std::string buffer;
    std::unique_lock lock(mu_);
    for (;;) {
      ready_.wait(lock, [&] {
        return (!slots_.empty() && slots_.front().result) || (closed_ && slots_.empty());
      });
      if (slots_.empty()) break;
      while (!slots_.empty() && slots_.front().result) {
        Slot slot = std::move(slots_.front());
        slots_.pop_front();
        if (!*slot.result) rejected = true;
        buffer += domain::result_json(slot.command_id, *slot.result);
        buffer += '\n';
      }
      room_.notify_all();
      // Print what is ready now; a waiting producer must see its acknowledgement promptly.
      lock.unlock();
      out << buffer << std::flush;
      buffer.clear();
      lock.lock();
    }
    return rejected;
  }

 private:
  const std::size_t max_in_flight_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<Slot> slots_;
  bool closed_ = false;
};

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

int append(const std::string& dir, const std::string& file) {
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (!file.empty() && file != "-") {
    in_file.open(file);
    if (!in_file) return report(Error::io("cannot read " + file));
    in = &in_file;
  }
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());

  OrderedResults results(1 << 16);
  bool rejected = false;
  std::thread printer([&] { rejected = results.print_all(std::cout); });

  std::string line;
  while (std::getline(*in, line)) {
    if (blank(line)) continue;
    std::string command_id;
    auto cmd = domain::decode_command(line, &command_id);
    auto* slot = results.push(command_id);
    if (!cmd) {
      results.fill(slot, std::unexpected(std::move(cmd.error())));
      continue;
    }
    (*ledger)->submit(std::move(*cmd), [&results, slot](Result<ledger::CommandResult> r) {
      results.fill(slot, std::move(r));
    });
  }
  const bool read_failed = in->bad();
  ledger->reset();  // finishes every submitted command, writes the final checkpoint
  results.close();
  printer.join();
  if (read_failed) return report(Error::io("error reading input"));
  return rejected ? kExitRejected : kExitOk;
}

}  // namespace

void add_append(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("append", "Append NDJSON commands (from FILE or stdin)");
  auto dir = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Ledger directory")->required();
  cmd->add_option("FILE", *file, "NDJSON file of commands (default: stdin)");
  cmd->callback([&run, dir, file] {
    run = [dir, file] {
      return append(*dir, *file);
    };
  });
}

}  // namespace custody::cli
