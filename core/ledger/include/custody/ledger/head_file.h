// DIR/HEAD: the last acknowledged head, kept outside RocksDB.
//
// RocksDB recovers its write-ahead log as well as it can; a damaged log can lose records
// silently (point-in-time recovery drops everything after the damage). The head file holds
// a head that was durable and acknowledged, so a database whose head is behind it (or
// disagrees with it at that seq) lost records that someone was told were safe. It is
// checked every time a ledger is opened.
//
// The sequencer records each group's head as soon as the group is durable, on a thread of
// its own, so that this fsync runs beside the next group's write rather than after it; a
// group is acknowledged only once the head before it is recorded. The file therefore lags
// the acknowledged head by at most the last group, for as long as one fdatasync takes, and
// holds the exact head once the writer closes.
//
//   file  = slot slot                       128 bytes, written in place (pwrite + fdatasync)
//   slot  = "CUSTHEAD" be64(seq) leaf(32) be64(recordedAt) check(8)
//   check = first 8 bytes of SHA-256 of the 56 bytes before it
//
// Writes alternate between the two slots, so a write torn by a crash damages at most the
// slot being written; the valid slot with the higher seq is the head. It never leads the
// database.
#pragma once

#include <filesystem>
#include <optional>

#include "custody/common/error.h"
#include "custody/ledger/head.h"

namespace custody::ledger {

class HeadFile {
 public:
  static constexpr const char* kName = "HEAD";

  // Creates DIR/HEAD holding `head` (fsynced with its directory). kAlreadyExists if present.
  [[nodiscard]] static Result<void> create(const std::filesystem::path& dir, const Head& head);
  // The head it records; nullopt when the file does not exist (a ledger made before it).
  // kCorruption when it exists and neither slot is valid.
  [[nodiscard]] static Result<std::optional<Head>> read(const std::filesystem::path& dir);
  // Opens DIR/HEAD for writing, creating it with `head` when missing.
  [[nodiscard]] static Result<HeadFile> open(const std::filesystem::path& dir, const Head& head);

  HeadFile(HeadFile&& other) noexcept;
  HeadFile& operator=(HeadFile&& other) noexcept;
  HeadFile(const HeadFile&) = delete;
  HeadFile& operator=(const HeadFile&) = delete;
  ~HeadFile();

  // Records `head` durably. One thread at a time (the sequencer's writer).
  [[nodiscard]] Result<void> write(const Head& head);

 private:
  HeadFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
  unsigned next_slot_ = 0;
};

}  // namespace custody::ledger
