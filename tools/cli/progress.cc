#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace custody::cli {
namespace {

std::atomic<bool> g_quiet{false};

std::string count(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", s);
  }
  return buf;
}

}  // namespace

void set_quiet(bool quiet) {
  g_quiet = quiet;
}

Progress::Progress(std::string label, std::string what, std::uint64_t total)
    : label_(std::move(label)), what_(std::move(what)), total_(total) {
  if (g_quiet || ::isatty(STDERR_FILENO) == 0) return;
  // For tests on a pseudo-terminal: draw at once and often.
  if (const char* ms = std::getenv("CUSTODY_PROGRESS_INTERVAL_MS")) {
    first_ = every_ = std::chrono::milliseconds(std::max(1, std::atoi(ms)));
  }
  thread_ = std::thread([this] { loop(); });
}

Progress::~Progress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Progress::loop() {
  std::unique_lock lock(mu_);
  if (cv_.wait_for(lock, first_, [&] { return stop_; })) return;  // quick work: say nothing
  for (;;) {
    draw(Line::kRedraw);
    if (cv_.wait_for(lock, every_, [&] { return stop_; })) break;
  }
  draw(Line::kLast);
}

void Progress::draw(Line kind) {
  const bool last = kind == Line::kLast;
  const std::uint64_t done = done_.load(std::memory_order_relaxed);
  const std::uint64_t total = total_.load(std::memory_order_relaxed);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = seconds > 0 ? done / seconds : 0;
  std::string line = label_ + ": " + count(done);
  if (total > 0) line += " of " + count(total);
  line += " " + what_ + ", " + count(static_cast<std::uint64_t>(rate)) + "/s";
  if (last) {
    line += ", " + duration(seconds);
  } else if (total > done && rate > 0) {
    line += ", about " + duration(static_cast<double>(total - done) / rate) + " left";
  }
  // \r and erase-line redraw in place; the last draw ends the line.
  std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), last ? "\n" : "");
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace custody::cli
