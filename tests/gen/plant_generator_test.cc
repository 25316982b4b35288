// The demo plant generator: the same options always give the same bytes, and everything a
// plant writes is accepted by a fresh ledger, alone or next to another plant.
#include "gen/plant_generator.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <future>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/queries.h"
#include "support/test_support.h"

namespace custody {
namespace {

using testing::TempDir;

std::string plant(int days, std::uint64_t seed, const std::string& prefix = "") {
  gen::PlantOptions options;
  options.days = days;
  options.seed = seed;
  options.prefix = prefix;
  std::ostringstream out;
  auto summary = gen::generate_plant(options, out);
  EXPECT_TRUE(summary.has_value()) << summary.error().message;
  return out.str();
}

std::vector<boost::json::object> parse_lines(const std::string& text) {
  std::vector<boost::json::object> out;
  for (const auto& line : testing::lines(text)) out.push_back(boost::json::parse(line).as_object());
  return out;
}

std::string str(const boost::json::value& v) {
  return std::string(v.as_string());
}

// A fresh ledger whose clock stands at the plant's start, so that no exception is escalated
// while the test runs (escalation compares deadlines with the ledger's clock). The plant's
// days are then ahead of that clock, so the bound on future-dated commands is lifted.
class PlantLedger {
 public:
  PlantLedger() : clock_(gen::kDefaultPlantStart) {
    testing::init_ledger(dir_ / "ledger");
    ledger::LedgerOptions options;
    options.clock = &clock_;
    options.sequencer.max_future_skew = std::chrono::hours(24 * 3650);
    ledger_ = testing::open_ledger(dir_ / "ledger", ledger::OpenMode::kReadWrite, options);
  }

  // Submits every line in order without waiting between them (as `custody append` does)
  // and returns how many were rejected, reporting the first few.
  int append(const std::vector<std::string>& lines) {
    std::vector<std::pair<std::string, std::future<Result<ledger::CommandResult>>>> pending;
    int rejected = 0;
    for (const auto& line : lines) {
      std::string id;
      auto cmd = domain::decode_command(line, &id);
      if (!cmd) {
        if (++rejected <= 5) ADD_FAILURE() << id << ": " << cmd.error().message;
        continue;
      }
      pending.emplace_back(id, ledger_->submit(std::move(*cmd)));
    }
    for (auto& [id, result] : pending) {
      auto r = result.get();
      if (!r && ++rejected <= 5) {
        ADD_FAILURE() << id << ": " << code_name(r.error().code) << ": " << r.error().message
                      << " (" << r.error().field << ")";
      }
    }
    return rejected;
  }

  // The JSON a query writes.
  template <typename F>
  boost::json::object query(F&& f) {
    auto snap = ledger_->snapshot();
    domain::Queries q(*snap);
    std::string out;
    codec::JsonWriter w(out);
    auto r = f(q, w);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? boost::json::parse(out).as_object() : boost::json::object{};
  }

  // The `custody show` JSON of an entity.
  boost::json::object show(domain::EntityKind kind, const std::string& id) {
    return query(
        [&](const domain::Queries& q, codec::JsonWriter& w) { return q.show(kind, id, 0, w); });
  }

  std::size_t stream_length(const std::string& stream) {
    auto snap = ledger_->snapshot();
    std::size_t n = 0;
    auto r = snap->stream_records(stream, 1, 0, [&](std::uint64_t, std::string_view) {
      ++n;
      return true;
    });
    EXPECT_TRUE(r.has_value());
    return n;
  }

 private:
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST(PlantGenerator, SameOptionsGiveTheSameBytes) {
  const std::string a = plant(2, 9);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, plant(2, 9));
  EXPECT_EQ(plant(2, 9, "P7"), plant(2, 9, "P7"));
}

TEST(PlantGenerator, DifferentSeedsGiveDifferentPlants) {
  EXPECT_NE(plant(2, 9), plant(2, 10));
}

TEST(PlantGenerator, RejectsDaysOutOfRangeWritingNothing) {
  for (int days : {0, -1, gen::kMaxPlantDays + 1}) {
    gen::PlantOptions options;
    options.days = days;
    std::ostringstream out;
    auto r = gen::generate_plant(options, out);
    ASSERT_FALSE(r.has_value()) << days;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "days");
    EXPECT_TRUE(out.str().empty());
  }
}

TEST(PlantGenerator, TimesNeverGoBackAndCommandIdsAreUnique) {
  std::string last;
  std::set<std::string> ids;
  for (const auto& c : parse_lines(plant(3, 5))) {
    const std::string at = str(c.at("occurredAt"));
    EXPECT_GE(at, last);
    EXPECT_EQ(at.find('.'), std::string::npos) << at;  // whole seconds: strings sort as times
    last = at;
    EXPECT_TRUE(ids.insert(str(c.at("commandId"))).second) << c.at("commandId");
    EXPECT_NE(str(c.at("actor")), "system");
  }
}

// A prefix namespaces every id the plant defines or refers to.
TEST(PlantGenerator, PrefixNamespacesIdsCommandIdsAndActors) {
  const std::set<std::string> id_fields = {"lot",      "wo",       "material", "equipment",
                                           "party",    "routing",  "shipment", "subject",
                                           "customer", "supplier", "location", "workCenter"};
  for (const auto& c : parse_lines(plant(2, 3, "A"))) {
    EXPECT_EQ(str(c.at("commandId")).rfind("A-", 0), 0u) << c;
    const std::string actor = str(c.at("actor"));
    EXPECT_NE(actor.find(":A-"), std::string::npos) << actor;
    for (const auto& [key, value] : c.at("data").as_object()) {
      if (id_fields.contains(key) && value.is_string()) {
        EXPECT_EQ(str(value).rfind("A-", 0), 0u) << key << " in " << c;
      }
      if (key == "exception") {
        const std::string id = str(value);
        EXPECT_TRUE(id.rfind("A-", 0) == 0 || id.rfind("auto:A-", 0) == 0) << id;
      }
    }
  }
}

TEST(PlantGenerator, ThreeDaysAreAcceptedAndTellTheWholeStory) {
  const std::string text = plant(3, 7);
  PlantLedger ledger;
  ASSERT_EQ(ledger.append(testing::lines(text)), 0);

  // What happened, from the commands.
  std::vector<std::string> closed_auto;  // automatic exceptions worked to closed
  std::map<std::string, std::set<std::string>> shipments_of;  // finished lot -> BOLs
  std::map<std::pair<std::string, std::string>, std::set<std::string>> lots_of;  // supplier lot
  std::map<std::string, std::set<std::string>> consumed_by;  // lot -> work orders
  std::map<std::string, std::set<std::string>> made_by;      // work order -> lots
  std::vector<std::string> harvested;  // raw lots received with their harvest date
  std::string recall;
  std::size_t reports = 0, with_reasons = 0;
  std::string reworked;                 // a work order that sent cases back to the wash
  std::string labelled;                 // a work order whose case labels were counted
  std::vector<std::string> label_gaps;  // label.reconcile commands that do not add up
  for (const auto& c : parse_lines(text)) {
    const std::string type = str(c.at("type"));
    const auto& d = c.at("data").as_object();
    if (type == "exception.close" && str(d.at("exception")).rfind("auto:", 0) == 0) {
      closed_auto.push_back(str(d.at("exception")));
    } else if (type == "lot.ship") {
      shipments_of[str(d.at("lot"))].insert(str(d.at("shipment")));
    } else if (type == "lot.receive") {
      lots_of[{str(d.at("supplier")), str(d.at("supplierLot"))}].insert(str(d.at("lot")));
      if (d.contains("produced")) harvested.push_back(str(d.at("lot")));
    } else if (type == "lot.split") {
      for (const auto& [key, lots] : lots_of) {
        if (!lots.contains(str(d.at("lot")))) continue;
        for (const auto& child : d.at("into").as_array()) {
          lots_of[key].insert(str(child.as_object().at("lot")));
        }
        break;
      }
    } else if (type == "lot.consume") {
      consumed_by[str(d.at("lot"))].insert(str(d.at("wo")));
    } else if (type == "lot.produce") {
      made_by[str(d.at("wo"))].insert(str(d.at("lot")));
    } else if (type == "note.add" && str(d.at("subject")) == "recall-alert") {
      recall = str(d.at("text"));
    } else if (type == "op.report") {
      ++reports;
      if (d.contains("defects")) ++with_reasons;
    } else if (type == "op.rework") {
      reworked = str(d.at("wo"));
    } else if (type == "label.reconcile") {
      labelled = str(d.at("wo"));
      const auto n = [&](const char* k) {
        return d.at(k).to_number<std::int64_t>();
      };
      if (n("issued") != n("used") + n("destroyed") + n("returned"))
        label_gaps.push_back(str(c.at("commandId")));
    }
  }

  // The packing line was cleared by one person and verified by another before the order
  // started there, and its labels were counted back.
  ASSERT_FALSE(labelled.empty());
  auto packed = ledger.show(domain::EntityKind::kWorkOrder, labelled);
  const auto& pack = packed["state"].at("steps").as_array().back().as_object();
  EXPECT_EQ(pack.at("step"), "pack");
  const auto& clearance = pack.at("clearance").as_object();
  EXPECT_FALSE(clearance.at("verifiedBy").as_string().empty()) << packed;
  EXPECT_NE(clearance.at("verifiedBy"), clearance.at("by"));
  EXPECT_GT(pack.at("labels").at("issued").to_number<double>(), 0) << packed;
  // Labels that did not add up (once in these three days) raised an exception custody's own.
  ASSERT_FALSE(label_gaps.empty());
  for (const auto& id : label_gaps) {
    auto x = ledger.show(domain::EntityKind::kException, "auto:" + id);
    EXPECT_EQ(x["state"].at("category"), "quality") << id;
  }

  // Most scrap comes with its reasons; soil sends cases back to the wash now and then.
  EXPECT_GT(with_reasons, reports / 4) << with_reasons << " of " << reports;
  ASSERT_FALSE(reworked.empty());
  // The dryer sent cases back to the wash; each step's yield counts them once, so no step of
  // that order shows a gain or loss from the rework alone.
  auto order = ledger.show(domain::EntityKind::kWorkOrder, reworked);
  for (const auto& step : order["state"].at("steps").as_array()) {
    const auto& name = step.at("step");
    EXPECT_EQ(step.at("reworkIn").to_number<double>() > 0, name == "wash") << order;
    EXPECT_EQ(step.at("reworkOut").to_number<double>() > 0, name == "dry") << order;
  }
  auto yields = ledger.query([&](const domain::Queries& q, codec::JsonWriter& w) {
    return q.work_order_yield(reworked, w);
  });
  for (const auto& step : yields.at("steps").as_array()) {
    if (step.at("basis") != "previousStep") continue;  // a step after the wash
    EXPECT_EQ(step.at("actual").to_number<double>() + step.at("scrap").to_number<double>(),
              step.at("theoretical").to_number<double>())
        << step;
  }

  // An automatic exception custody raised was worked to closed.
  ASSERT_FALSE(closed_auto.empty());
  auto exception = ledger.show(domain::EntityKind::kException, closed_auto.front());
  EXPECT_EQ(exception["state"].at("status"), "closed");
  EXPECT_EQ(exception["state"].at("automatic"), true);

  // Finished lots went out on shipments, and the ledger agrees.
  ASSERT_FALSE(shipments_of.empty());
  const std::string shipped_lot = shipments_of.begin()->first;
  auto lot = ledger.show(domain::EntityKind::kLot, shipped_lot);
  EXPECT_NE(lot["state"].at("shipped"), 0) << lot;
  // Made with the 14-day use-by of the salads, and their 12-day best-before.
  const std::string made_at(str(lot["state"].at("createdAt")));
  ASSERT_TRUE(lot["state"].as_object().contains("expires")) << lot;
  EXPECT_EQ(*parse_rfc3339(str(lot["state"].at("expires"))) - *parse_rfc3339(made_at),
            14LL * 86'400 * 1'000'000'000);
  EXPECT_EQ(*parse_rfc3339(str(lot["state"].at("bestBefore"))) - *parse_rfc3339(made_at),
            12LL * 86'400 * 1'000'000'000);
  // Raw lots come with the grower's harvest date and expire 7 days after it.
  ASSERT_FALSE(harvested.empty());
  auto raw = ledger.show(domain::EntityKind::kLot, harvested.front());
  ASSERT_TRUE(raw["state"].as_object().contains("produced")) << raw;
  EXPECT_EQ(*parse_rfc3339(str(raw["state"].at("expires"))) -
                *parse_rfc3339(str(raw["state"].at("produced"))),
            7LL * 86'400 * 1'000'000'000);

  // The recall drill names a supplier lot that reaches shipped output of several orders.
  ASSERT_EQ(ledger.stream_length("note:recall-alert"), 1u);
  ASSERT_EQ(recall.rfind("supplier=", 0), 0u) << recall;
  const auto space = recall.find(" supplierLot=");
  const auto colon = recall.find(':');
  ASSERT_NE(space, std::string::npos);
  ASSERT_NE(colon, std::string::npos);
  const std::string supplier = recall.substr(9, space - 9);
  const std::string supplier_lot = recall.substr(space + 13, colon - space - 13);
  ASSERT_TRUE(lots_of.contains({supplier, supplier_lot})) << recall;
  std::set<std::string> orders_shipped;
  for (const auto& received : lots_of[{supplier, supplier_lot}]) {
    for (const auto& wo : consumed_by[received]) {
      for (const auto& made : made_by[wo]) {
        if (shipments_of.contains(made)) orders_shipped.insert(wo);
      }
    }
  }
  EXPECT_GE(orders_shipped.size(), 2u) << recall;
}

TEST(PlantGenerator, TwoPrefixedPlantsShareOneLedger) {
  // Interleaved line by line, as two plants appending at the same time would be.
  const auto a = testing::lines(plant(2, 11, "A"));
  const auto b = testing::lines(plant(2, 12, "B"));
  std::vector<std::string> both;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    if (i < a.size()) both.push_back(a[i]);
    if (i < b.size()) both.push_back(b[i]);
  }
  PlantLedger ledger;
  EXPECT_EQ(ledger.append(both), 0);
  EXPECT_EQ(ledger.stream_length("note:A-recall-alert"), 1u);
  EXPECT_EQ(ledger.stream_length("note:B-recall-alert"), 1u);
}

// `custody gen plant`: the library's bytes on stdout; bad arguments exit 2.
TEST(PlantGenerator, CliPrintsThePlantAndRejectsBadArguments) {
  auto ok = testing::run_custody({"gen", "plant", "--days", "2", "--seed", "9"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, plant(2, 9));

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"gen", "plant", "--days", "0"},
           {"gen", "plant", "--days", "3651"},
           {"gen", "plant", "--start", "yesterday"},
       }) {
    auto r = testing::run_custody(bad);
    EXPECT_EQ(r.exit_code, 2) << bad.back();
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find("custody: invalid_argument"), std::string::npos) << r.err;
  }

  auto shifted = testing::run_custody(
      {"gen", "plant", "--days", "1", "--start", "2027-03-01T00:00:00Z", "--prefix", "Z"});
  EXPECT_EQ(shifted.exit_code, 0) << shifted.err;
  EXPECT_NE(shifted.out.find(R"("occurredAt":"2027-03-01T)"), std::string::npos);
  EXPECT_NE(shifted.out.find(R"("commandId":"Z-md-1")"), std::string::npos);
}

}  // namespace
}  // namespace custody
