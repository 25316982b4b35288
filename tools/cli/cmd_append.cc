// custody append DIR [FILE]: NDJSON commands in, one JSON result line out per command, in
// input order, each printed only once the command's outcome is durable.
#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/cli_common.h"
#include "cli/progress.h"
#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/server/client.h"

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

  // Printer thread. Returns the exit code the outcomes call for: kExitOk, kExitRejected
  // when a command was refused for what it said, kExitUsage when the ledger could not write
  // (disk full, I/O) and kExitTampered when it found damage.
  int print_all(std::ostream& out, Progress& progress) {
    int exit_code = kExitOk;
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
        if (!*slot.result) exit_code = std::max(exit_code, exit_code_of(slot.result->error()));
        buffer += domain::result_json(slot.command_id, *slot.result);
        buffer += '\n';
        progress.add(1);
      }
      room_.notify_all();
      // Print what is ready now; a waiting producer must see its acknowledgement promptly.
      lock.unlock();
      out << buffer << std::flush;
      buffer.clear();
      lock.lock();
    }
    return exit_code;
  }

 private:
  static int exit_code_of(const Error& e) {
    switch (e.code) {
      case ErrorCode::kCorruption:
        return kExitTampered;
      case ErrorCode::kIoError:
      case ErrorCode::kUnavailable:
      case ErrorCode::kInternal:
        return kExitUsage;
      default:
        return kExitRejected;
    }
  }

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

// Lines in a file, for the progress total: a quick pass over the bytes.
std::uint64_t count_lines(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::uint64_t n = 0;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    n += static_cast<std::uint64_t>(std::count(buf, buf + in.gcount(), '\n'));
  }
  return n;
}

enum class Line { kRead, kTooLong, kEnd };

// The next line of `in`, at most `max` bytes: a longer one is skipped to its end without
// being held in memory (a 1 GB line must not cost 1 GB).
Line next_line(std::streambuf& in, std::string& line, std::size_t max) {
  line.clear();
  bool too_long = false;
  bool any = false;
  for (int c; (c = in.sbumpc()) != std::char_traits<char>::eof();) {
    any = true;
    if (c == '\n') return too_long ? Line::kTooLong : Line::kRead;
    if (too_long) continue;
    if (line.size() == max) {
      too_long = true;
      line.clear();
      line.shrink_to_fit();
      continue;
    }
    line.push_back(static_cast<char>(c));
  }
  if (!any) return Line::kEnd;
  return too_long ? Line::kTooLong : Line::kRead;
}

// FILE, or stdin for "" and "-"; nullptr when FILE cannot be read.
std::istream* open_input(const std::string& file, std::ifstream& in_file) {
  if (file.empty() || file == "-") return &std::cin;
  in_file.open(file);
  return in_file ? &in_file : nullptr;
}

int append(const std::string& dir, const std::string& file) {
  std::ifstream in_file;
  std::istream* in = open_input(file, in_file);
  if (in == nullptr) return report(Error::io("cannot read " + file));
  auto ledger = open_ledger(dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());

  OrderedResults results(1 << 16);
  int exit_code = kExitOk;
  Progress progress("append", "commands", file.empty() || file == "-" ? 0 : count_lines(file));
  std::thread printer([&] { exit_code = results.print_all(std::cout, progress); });

  std::string line;
  for (Line got; (got = next_line(*in->rdbuf(), line, domain::kMaxCommandBytes)) != Line::kEnd;) {
    if (got == Line::kTooLong) {
      results.fill(results.push({}),
                   fail(ErrorCode::kOutOfRange, "the command is longer than " +
                                                    std::to_string(domain::kMaxCommandBytes) +
                                                    " bytes; it was skipped"));
      continue;
    }
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
  return exit_code;
}

// The exit code a result line calls for, as OrderedResults::exit_code_of does for outcomes.
int exit_code_of_line(std::string_view line) {
  if (line.find("\"ok\":true") != std::string_view::npos) return kExitOk;
  for (std::string_view code : {"\"io_error\"", "\"unavailable\"", "\"internal\""}) {
    if (line.find(code) != std::string_view::npos) return kExitUsage;
  }
  if (line.find("\"corruption\"") != std::string_view::npos) return kExitTampered;
  return kExitRejected;
}

struct Remote {
  std::string url, token_file, ca_file;
};

// The token: the first line of --token-file, or $CUSTODY_TOKEN. Never a command-line value,
// which anyone on the machine could read in the process list.
Result<std::string> read_token(const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return std::unexpected(Error::io("cannot read " + file));
    std::string t;
    std::getline(in, t);
    while (!t.empty() && (t.back() == '\r' || t.back() == ' ')) t.pop_back();
    return t;
  }
  if (const char* env = std::getenv("CUSTODY_TOKEN"); env != nullptr && *env != '\0') return env;
  return fail(ErrorCode::kUnauthenticated,
              "--server needs a token: --token-file FILE or the CUSTODY_TOKEN variable",
              "token-file");
}

// custody append --server URL: the same NDJSON, sent to a `custody serve` in batches of
// POST /v1/commands:batch; the answers are printed as they come, one line per command.
int append_remote(const Remote& remote, const std::string& file) {
  std::ifstream in_file;
  std::istream* in = open_input(file, in_file);
  if (in == nullptr) return report(Error::io("cannot read " + file));
  auto token = read_token(remote.token_file);
  if (!token) return report(token.error());
  auto client = server::Client::connect({remote.url, *token, remote.ca_file});
  if (!client) return report(client.error());
  constexpr std::size_t kBatchLines = 5000;
  constexpr std::size_t kBatchBytes = 8 << 20;
  int exit_code = kExitOk;
  std::string batch, line;
  std::size_t count = 0;
  auto send = [&]() -> int {
    if (count == 0) return kExitOk;
    auto r = (*client)->post("/v1/commands:batch", batch, "application/x-ndjson");
    batch.clear();
    count = 0;
    if (!r) return report(r.error());
    if (r->status != 200) {
      std::cerr << "custody: the server answered " << r->status << ": " << printable(r->body)
                << "\n";
      return kExitUsage;
    }
    std::cout << r->body << std::flush;
    for (std::size_t at = 0; at < r->body.size();) {
      const auto nl = r->body.find('\n', at);
      exit_code =
          std::max(exit_code, exit_code_of_line(std::string_view(r->body).substr(
                                  at, nl == std::string::npos ? std::string::npos : nl - at)));
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
    return kExitOk;
  };
  while (std::getline(*in, line)) {
    if (blank(line)) continue;
    batch += line;
    batch += '\n';
    if (++count == kBatchLines || batch.size() >= kBatchBytes) {
      if (int rc = send(); rc != kExitOk) return rc;
    }
  }
  if (int rc = send(); rc != kExitOk) return rc;
  if (in->bad()) return report(Error::io("error reading input"));
  return exit_code;
}

}  // namespace

void add_append(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("append", "Append NDJSON commands (from FILE or stdin)");
  auto dir = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir,
                  "Ledger directory (with --server: none; the first argument is FILE)");
  cmd->add_option("FILE", *file, "NDJSON file of commands (default: stdin)");
  auto remote = std::make_shared<Remote>();
  cmd->add_option("--server", remote->url,
                  "Send the commands to this `custody serve` (http(s)://HOST:PORT) instead; DIR "
                  "is then not opened");
  cmd->add_option("--token-file", remote->token_file,
                  "With --server: the API token, first line of this file (or $CUSTODY_TOKEN)");
  cmd->add_option("--ca-file", remote->ca_file,
                  "With an https --server: PEM certificates to trust (default: the system's)");
  cmd->callback([&run, dir, file, remote] {
    run = [dir, file, remote] {
      if (!remote->url.empty()) {
        if (!file->empty()) {
          return report(Error::invalid_argument(
              "DIR", "with --server there is no ledger directory: give only FILE"));
        }
        return append_remote(*remote, *dir);  // the one positional is the file
      }
      if (dir->empty()) return report(Error::invalid_argument("DIR", "is required"));
      return append(*dir, *file);
    };
  });
}

}  // namespace custody::cli
