// The write path: group commit, idempotency and optimistic concurrency, also across
// restarts, and that a rejected command writes nothing.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "custody/common/encoding.h"
#include "custody/ledger/checkpoint.h"
#include "custody/ledger/head_file.h"
#include "custody/ledger/record.h"
#include "custody/ledger/verifier.h"
#include "support/test_support.h"

namespace custody::ledger {
namespace {

using testing::append;
using testing::note;
using testing::TempDir;

LedgerOptions every_group_checkpoints() {
  LedgerOptions o;
  o.sequencer.checkpoint_interval = std::chrono::milliseconds(0);
  return o;
}

TEST(Sequencer, AssignsContiguousSeqsAndChainsThem) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  crypto::Digest prev{};
  for (int i = 1; i <= 5; ++i) {
    auto r = append(*ledger, note("c" + std::to_string(i), "line-1", "n" + std::to_string(i)));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->seq, static_cast<std::uint64_t>(i));
    EXPECT_FALSE(r->duplicate);
    auto snap = ledger->snapshot();
    auto rec = decode_record(*snap->record(r->seq));
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->prev_hash, prev);
    EXPECT_EQ(rec->stream, "note:line-1");
    EXPECT_EQ(rec->stream_version, static_cast<std::uint64_t>(i));
    EXPECT_EQ(rec->stream_prev_seq, static_cast<std::uint64_t>(i - 1));
    prev = r->hash;
  }
  EXPECT_EQ(ledger->head().seq, 5u);
  EXPECT_EQ(ledger->head().leaf, prev);
}

TEST(Sequencer, RetryReturnsTheOriginalResultAndWritesNothing) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  auto first = append(*ledger, note("same", "s", "first"));
  ASSERT_TRUE(first);
  auto again = append(*ledger, note("same", "s", "first"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->hash, first->hash);
  EXPECT_EQ(ledger->head().seq, 1u);
}

// Hardening finding 3: a reused commandId with a different body was answered as a duplicate
// and the new command silently dropped. Whatever differs (data, type, actor, times), it is
// an idempotency conflict, in memory, from `idem`, and after a crash.
TEST(Sequencer, TheSameIdForADifferentCommandIsAConflict) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  const auto first_cmd = note("same", "s", "first");
  auto variants = [&] {
    std::vector<Command> v;
    v.push_back(note("same", "s", "changed"));
    v.push_back(note("same", "other", "first"));
    Command actor = first_cmd;
    actor.actor = "user:mallory";
    v.push_back(actor);
    Command when = first_cmd;
    when.occurred_at = 1'700'000'000'000'000'000;
    v.push_back(when);
    Command version = first_cmd;
    version.expected_version = 0;
    v.push_back(version);
    return v;
  };
  auto expect_conflicts = [&](Ledger& ledger) {
    for (auto& c : variants()) {
      auto r = append(ledger, c);
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ErrorCode::kIdempotencyConflict) << r.error().message;
      EXPECT_EQ(r.error().field, "commandId");
    }
    EXPECT_EQ(ledger.head().seq, 1u);
    auto same = append(ledger, first_cmd);
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->duplicate);
  };
  {
    auto ledger = testing::open_ledger(tmp / "l");
    ASSERT_TRUE(append(*ledger, first_cmd));
    expect_conflicts(*ledger);  // from memory
  }
  auto ledger = testing::open_ledger(tmp / "l");
  expect_conflicts(*ledger);  // from `idem`, after a clean close spilled it
}

TEST(Sequencer, AConflictIsCaughtAfterACrashBeforeAnySpill) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto ledger = testing::open_ledger(tmp / "l");
    for (int i = 0; i < 50; ++i) {
      if (!append(*ledger, note("c" + std::to_string(i), "s", "t"))) ::_exit(1);
    }
    ::_exit(0);  // no clean close: `idem` was never written
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto ledger = testing::open_ledger(tmp / "l");
  for (int i = 0; i < 50; ++i) {
    auto same = append(*ledger, note("c" + std::to_string(i), "s", "t"));
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->duplicate);
    auto other = append(*ledger, note("c" + std::to_string(i), "s", "not t"));
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::kIdempotencyConflict);
  }
  EXPECT_EQ(ledger->head().seq, 50u);
}

TEST(Sequencer, DuplicatesInsideOneGroupAreCaught) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  LedgerOptions o;
  o.sequencer.max_wait = std::chrono::milliseconds(50);  // let the three land in one group
  auto ledger = testing::open_ledger(tmp / "l", OpenMode::kReadWrite, o);
  auto a = ledger->submit(note("x", "s", "1"));
  auto b = ledger->submit(note("x", "s", "1"));
  auto b2 = ledger->submit(note("x", "s", "2"));
  auto c = ledger->submit(note("y", "s", "3"));
  auto ra = a.get(), rb = b.get(), rb2 = b2.get(), rc = c.get();
  ASSERT_TRUE(ra && rb && rc);
  EXPECT_FALSE(ra->duplicate);
  EXPECT_TRUE(rb->duplicate);
  EXPECT_EQ(rb->seq, ra->seq);
  ASSERT_FALSE(rb2);
  EXPECT_EQ(rb2.error().code, ErrorCode::kIdempotencyConflict);
  EXPECT_EQ(rc->seq, ra->seq + 1);
  EXPECT_EQ(ledger->head().seq, 2u);
}

TEST(Sequencer, IdempotencySurvivesRestart) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  Result<CommandResult> first;
  {
    auto ledger = testing::open_ledger(tmp / "l");
    first = append(*ledger, note("persist", "s", "t"));
    ASSERT_TRUE(first);
  }
  auto ledger = testing::open_ledger(tmp / "l");
  auto again = append(*ledger, note("persist", "s", "t"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->hash, first->hash);
  EXPECT_EQ(ledger->head().seq, 1u);
}

// A crash leaves accepted commands in the log but not (yet) in `idem`; reopening must find
// them from the log. The crash is reproduced by removing the spilled entries by hand.
TEST(Sequencer, IdempotencyIsRebuiltFromTheLogAfterACrash) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  std::vector<CommandResult> firsts;
  {
    LedgerOptions o;
    o.sequencer.idem_spill_at = 8;  // spill early and often
    auto ledger = testing::open_ledger(tmp / "l", OpenMode::kReadWrite, o);
    for (int i = 0; i < 100; ++i) {
      auto r = append(*ledger, note("c" + std::to_string(i), "s" + std::to_string(i % 3), "t"));
      ASSERT_TRUE(r);
      firsts.push_back(*r);
    }
  }
  {
    auto store = Store::open(tmp / "l", OpenMode::kReadWrite, {});
    ASSERT_TRUE(store);
    std::string through;
    ASSERT_TRUE((*store)->db().Get({}, (*store)->cf(Cf::kMeta), "idem_through", &through).ok());
    EXPECT_EQ(get_be64(through.data()), 100u);  // a clean stop spilled everything
    rocksdb::WriteBatch b;
    for (int i = 40; i < 100; ++i) b.Delete((*store)->cf(Cf::kIdem), "c" + std::to_string(i));
    b.Put((*store)->cf(Cf::kMeta), "idem_through", be64(40));
    ASSERT_TRUE((*store)->write(b));
  }
  auto ledger = testing::open_ledger(tmp / "l");
  for (int i = 0; i < 100; ++i) {
    auto r = append(*ledger, note("c" + std::to_string(i), "s" + std::to_string(i % 3), "t"));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->duplicate) << i;
    EXPECT_EQ(r->seq, firsts[i].seq);
    EXPECT_EQ(r->hash, firsts[i].hash);
  }
  EXPECT_EQ(ledger->head().seq, 100u);
}

TEST(Sequencer, ExpectedVersionConflictsAreRejectedAndWriteNothing) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  {
    auto ledger = testing::open_ledger(tmp / "l");
    auto c = note("a", "line-1", "t");
    c.expected_version = 0;  // the stream must not exist yet
    ASSERT_TRUE(append(*ledger, c));
    auto stale = note("b", "line-1", "t");
    stale.expected_version = 0;
    auto r = append(*ledger, stale);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kConflict);
    EXPECT_EQ(r.error().field, "expectedVersion");
    EXPECT_EQ(ledger->head().seq, 1u);
  }
  auto ledger = testing::open_ledger(tmp / "l");
  auto stale = note("b", "line-1", "t");
  stale.expected_version = 2;
  auto r = append(*ledger, stale);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  auto fresh = note("b", "line-1", "t");  // the rejected id is not remembered
  fresh.expected_version = 1;
  auto ok = append(*ledger, fresh);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->seq, 2u);
}

TEST(Sequencer, ManyProducersGroupTheirCommits) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  constexpr int kThreads = 8, kEach = 250;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<std::pair<std::string, std::uint64_t>> acknowledged;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<std::string, std::future<Result<CommandResult>>>> futures;
      for (int i = 0; i < kEach; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto f = ledger->submit(note(id, "s" + std::to_string(t), "x"));
        futures.emplace_back(std::move(id), std::move(f));
        // Half the producers wait for each command, as an interactive client would.
        if (t % 2 == 0) {
          auto r = futures.back().second.get();
          if (!r) ++failures;
          std::lock_guard lock(mu);
          if (r) acknowledged.emplace_back(futures.back().first, r->seq);
          futures.pop_back();
        }
      }
      for (auto& [id, f] : futures) {
        auto r = f.get();
        if (!r) ++failures;
        std::lock_guard lock(mu);
        if (r) acknowledged.emplace_back(id, r->seq);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Every acknowledgement names the record its own command wrote.
  auto snap = ledger->snapshot();
  ASSERT_EQ(acknowledged.size(), static_cast<std::size_t>(kThreads * kEach));
  for (const auto& [id, seq] : acknowledged) {
    auto bytes = snap->record(seq);
    ASSERT_TRUE(bytes);
    auto rec = decode_record(*bytes);
    ASSERT_TRUE(rec);
    ASSERT_EQ(rec->command_id, id) << "seq " << seq;
  }
  EXPECT_EQ(ledger->head().seq, static_cast<std::uint64_t>(kThreads * kEach));
  const auto stats = ledger->stats();
  EXPECT_EQ(stats.records, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_LT(stats.groups, stats.records);  // commits were shared
  auto report = verify_ledger(ledger->store(), {});
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
}

// Waiting callers whose commands arrive while the disk is busy share the next group: it is
// cut when the writer can take it, not as soon as one command is queued. With a writer that
// takes 20 ms a group (a commit listener runs on its thread) and 64 callers each waiting for
// its command, groups cut as soon as anything is queued hold about a quarter of the callers
// (one group written, one waiting, one prepared, one queued): 40-41 groups for these 640
// commands when tried. Cut when the writer can take them, 23-25; 23-29 with three busy loops
// competing for two cores.
TEST(Sequencer, GroupsAreCutWhenTheWriterCanTakeThem) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  const auto id = ledger->add_commit_listener(
      [](std::uint64_t) { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  constexpr int kCallers = 64, kEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = append(*ledger, note("c" + std::to_string(t) + "-" + std::to_string(i),
                                      "line-" + std::to_string(t % 8), "waiting"));
        if (!r) ++failures;
      }
    });
  }
  for (auto& c : callers) c.join();
  ledger->remove_commit_listener(id);
  EXPECT_EQ(failures.load(), 0);
  const auto stats = ledger->stats();
  ASSERT_EQ(stats.records, static_cast<std::uint64_t>(kCallers * kEach));
  EXPECT_GT(stats.records, 18 * stats.groups) << stats.groups << " groups";
}

TEST(Sequencer, CheckpointCoversTheHeadAndVerifies) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto ledger = testing::open_ledger(tmp / "l");
  auto empty = ledger->checkpoint();
  ASSERT_TRUE(empty) << empty.error().message;
  auto verifier = ledger->verifier();
  ASSERT_TRUE(verifier);
  auto cp0 = open_checkpoint(*empty, *verifier);
  ASSERT_TRUE(cp0);
  EXPECT_EQ(cp0->size, 0u);
  EXPECT_EQ(cp0->root, crypto::empty_tree_root());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(append(*ledger, note("c" + std::to_string(i), "s", "t")));
  auto note_text = ledger->checkpoint();
  ASSERT_TRUE(note_text);
  auto cp = open_checkpoint(*note_text, *verifier);
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->size, 3u);
  EXPECT_EQ(cp->origin, ledger->meta().origin);
  EXPECT_EQ(ledger->latest_checkpoint(), *note_text);
  // Asking again without new records returns the same checkpoint.
  EXPECT_EQ(*ledger->checkpoint(), *note_text);
}

TEST(Sequencer, CleanStopSignsTheHead) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  LedgerOptions o;
  o.sequencer.checkpoint_interval = std::chrono::hours(1);  // never by time
  {
    auto ledger = testing::open_ledger(tmp / "l", OpenMode::kReadWrite, o);
    for (int i = 0; i < 4; ++i)
      ASSERT_TRUE(append(*ledger, note("c" + std::to_string(i), "s", "t")));
  }
  auto reader = testing::open_ledger(tmp / "l", OpenMode::kReadOnly);
  auto verifier = reader->verifier();
  auto cp = open_checkpoint(reader->latest_checkpoint(), *verifier);
  ASSERT_TRUE(cp) << reader->latest_checkpoint();
  EXPECT_EQ(cp->size, 4u);
}

// DIR/HEAD is recorded beside the next group's write: once a command is acknowledged, the
// file holds at least the head before its group, and after a clean stop the exact head.
TEST(Sequencer, TheHeadFileFollowsTheAcknowledgedHead) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  Head last;
  {
    auto ledger = testing::open_ledger(tmp / "l");
    std::uint64_t previous = 0;
    for (int i = 0; i < 20; ++i) {
      auto r = append(*ledger, note("h" + std::to_string(i), "s", "t"));
      ASSERT_TRUE(r) << r.error().message;
      auto recorded = HeadFile::read(tmp / "l");
      ASSERT_TRUE(recorded && *recorded);
      EXPECT_GE((*recorded)->seq, previous);
      EXPECT_LE((*recorded)->seq, r->seq);
      previous = r->seq;
    }
    last = ledger->head();
  }
  auto recorded = HeadFile::read(tmp / "l");
  ASSERT_TRUE(recorded && *recorded);
  EXPECT_EQ((*recorded)->seq, last.seq);
  EXPECT_EQ((*recorded)->leaf, last.leaf);
  EXPECT_EQ((*recorded)->recorded_at, last.recorded_at);

  // A ledger whose head file lags (a writer killed before recording its last group) is
  // brought up to date by the next writer, before its first acknowledgement.
  const Head before_last = [&] {
    auto reader = testing::open_ledger(tmp / "l", OpenMode::kReadOnly);
    const std::string bytes = *reader->snapshot()->record(last.seq - 1);
    return Head{last.seq - 1, *record_leaf(bytes), decode_record(bytes)->recorded_at};
  }();
  std::filesystem::remove(tmp / "l" / HeadFile::kName);
  ASSERT_TRUE(HeadFile::create(tmp / "l", before_last));
  {
    auto ledger = testing::open_ledger(tmp / "l");
    ASSERT_TRUE(append(*ledger, note("after", "s", "t")));
    auto now = HeadFile::read(tmp / "l");
    ASSERT_TRUE(now && *now);
    EXPECT_GE((*now)->seq, last.seq);
  }
}

TEST(Sequencer, ReopenContinuesTheChainAndTree) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  // Sizes that leave frontier subtrees both above and below the stored Merkle level.
  for (int round = 0; round < 3; ++round) {
    auto ledger = testing::open_ledger(tmp / "l", OpenMode::kReadWrite, every_group_checkpoints());
    for (int i = 0; i < 23; ++i) {
      ASSERT_TRUE(
          append(*ledger, note("r" + std::to_string(round) + "-" + std::to_string(i), "s", "t")));
    }
  }
  auto reader = testing::open_ledger(tmp / "l", OpenMode::kReadOnly);
  auto report = verify_ledger(reader->store(), {});
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_EQ(report->records, 69u);
  EXPECT_GT(report->checkpoints_checked, 60u);
}

TEST(Sequencer, ReadOnlyLedgerRefusesWrites) {
  TempDir tmp;
  testing::init_ledger(tmp / "l");
  auto reader = testing::open_ledger(tmp / "l", OpenMode::kReadOnly);
  auto r = append(*reader, note("c", "s", "t"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(reader->checkpoint());
}

}  // namespace
}  // namespace custody::ledger
