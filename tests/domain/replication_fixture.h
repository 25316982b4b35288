// What the replication tests share: a site (the plant fixture's ledger) that raises
// exceptions to have records, and a ledger directory's contents as an auditor compares two
// (every record's stored bytes, the head, the projections' digest).
#pragma once

#include <string>
#include <vector>

#include "custody/domain/plant.h"
#include "custody/ledger/rebuild.h"
#include "custody/ledger/snapshot.h"
#include "domain/plant_fixture.h"

namespace custody::testing {

class ReplicationTest : public PlantTest {
 protected:
  // `n` exception.raise commands at the site.
  void raise(int n) {
    for (int i = 0; i < n; ++i) {
      const std::string id = std::to_string(++raised_);
      ok("exception.raise", R"({"exception":"EX-)" + id +
                                R"(","category":"quality","severity":"low","description":"a )"
                                R"(torn bag on line 1, count )" +
                                id + "\"}");
    }
  }

  struct Contents {
    std::vector<std::string> records;
    std::string digest;
    std::uint64_t head = 0;
    bool operator==(const Contents&) const = default;
  };
  static Contents contents(const std::filesystem::path& dir) {
    Contents c;
    auto l =
        ledger::Ledger::open(dir, ledger::OpenMode::kReadOnly, domain::make_state_machine(), {});
    EXPECT_TRUE(l) << l.error().message;
    if (!l) return c;
    auto snap = (*l)->snapshot();
    c.head = (*l)->head().seq;
    for (std::uint64_t s = 1; s <= c.head; ++s) c.records.push_back(snap->record(s).value_or(""));
    auto d = ledger::state_digest((*l)->store(), (*l)->machine());
    EXPECT_TRUE(d);
    if (d) c.digest = to_hex(d->digest);
    return c;
  }
  // The site's contents (its ledger is closed for the read and opened again).
  Contents site() {
    const std::uint64_t head = ledger_->head().seq;
    ledger_.reset();
    Contents c = contents(dir_);
    EXPECT_EQ(c.head, head);
    reopen();
    return c;
  }

  int raised_ = 0;
};

}  // namespace custody::testing
