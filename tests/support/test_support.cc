#include "support/test_support.h"

#include <capnp/message.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <thread>

#include "custody/codec/capnp_util.h"
#include "custody/domain/plant.h"
#include "custody/ledger/config.h"
#include "schema/commands.capnp.h"

namespace custody::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  const char* base = std::getenv("TMPDIR");
  path_ = fs::path(base ? base : "/tmp") /
          ("custody-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void init_ledger(const fs::path& dir) {
  auto machine = domain::make_state_machine();
  auto r = ledger::Ledger::init(dir, {}, *machine);
  ASSERT_TRUE(r.has_value()) << r.error().message;
}

void import_history(const fs::path& dir) {
  std::ofstream(dir / "config.json", std::ios::trunc) << ledger::kImportConfig;
}

std::unique_ptr<ledger::Ledger> open_ledger(const fs::path& dir, ledger::OpenMode mode,
                                            ledger::LedgerOptions options) {
  auto r = ledger::Ledger::open(dir, mode, domain::make_state_machine(), options);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? std::move(*r) : nullptr;
}

ledger::Command note(const std::string& command_id, const std::string& subject,
                     const std::string& text) {
  capnp::MallocMessageBuilder msg;
  auto n = msg.initRoot<schema::NoteAdd>();
  n.setSubject(subject);
  n.setText(text);
  ledger::Command c;
  c.type = "note.add";
  c.command_id = command_id;
  c.actor = "user:test";
  c.data = codec::canonical_bytes(n.asReader());
  return c;
}

Result<ledger::CommandResult> append(ledger::Ledger& ledger, ledger::Command cmd) {
  return ledger.submit(std::move(cmd)).get();
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void flip_byte(const fs::path& file, std::uint64_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x10));
}

std::map<std::string, std::string> snapshot_files(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    out[fs::relative(e.path(), dir).string()] = read_text(e.path());
  }
  return out;
}

namespace {
std::string drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}
}  // namespace

CommandOutput run_custody(const std::vector<std::string>& args, const std::string& input) {
  // A command that ends before reading all its input must not take the test down with it.
  static const bool ignore_sigpipe = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)ignore_sigpipe;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return {};
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> argv;
    std::string bin = CUSTODY_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  auto out = std::async(std::launch::async, drain, out_pipe[0]);
  auto err = std::async(std::launch::async, drain, err_pipe[0]);
  std::size_t off = 0;
  while (off < input.size()) {
    const ssize_t n = ::write(in_pipe[1], input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(in_pipe[1]);
  CommandOutput r;
  r.out = out.get();
  r.err = err.get();
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

}  // namespace custody::testing
