// The FSMA 204 electronic sortable spreadsheet, one named test per property an FDA
// investigator checks: the key data elements of receiving, transformation and shipping, the
// traceability lot code source (a split keeps its parent's code), the sortable spreadsheet
// for a product and date range or for lot codes, and the traceability plan; with missing
// site and party data flagged, never replaced.
#include "custody/domain/fsma204.h"

#include <map>

#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Table = std::vector<std::vector<std::string>>;

// RFC 4180, as a spreadsheet reads it (no line breaks inside fields here).
Table parse_csv(const std::string& text) {
  Table rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n') {
      row.push_back(std::move(cell));
      cell.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      cell += c;
    }
  }
  return rows;
}

// A table's rows as {column name: value}.
std::vector<std::map<std::string, std::string>> records(const std::string& text) {
  const Table t = parse_csv(text);
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < t.size(); ++r) {
    EXPECT_EQ(t[r].size(), t[0].size()) << "row " << r << " has its own column count";
    std::map<std::string, std::string> m;
    for (std::size_t c = 0; c < t[0].size() && c < t[r].size(); ++c) m[t[0][c]] = t[r][c];
    out.push_back(std::move(m));
  }
  return out;
}

class Fsma204 : public PlantTest {
 protected:
  // Two farm lots washed into WO-1, which makes F-1 (30 kg) and F-2 (20 kg); F-1 ships to
  // two DCs; R-3 is split and one part ships as it is; WO-2 makes F-3 from R-2 alone.
  void SetUp() override {
    PlantTest::SetUp();
    master_data();
    ok("party.define", R"({"party":"dc2","name":"West DC","role":"customer",)"
                       R"("address":"400 Mill St, Reno, NV","gln":"0614141000029"})");
    receive("R-1", 100, "romaine", "GF-BAD");
    receive("R-2", 100, "romaine", "GF-OK");
    receive("R-3", 50, "romaine", "GF-SPLIT");
    running_order("WO-1");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-1","qty":60})");
    ok("lot.consume", R"({"wo":"WO-1","step":"wash","lot":"R-2","qty":40})");
    ok("op.complete", R"({"wo":"WO-1","step":"wash"})");
    ok("op.start", R"({"wo":"WO-1","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-1","qty":30,"material":"romaine"})");
    ok("lot.produce", R"({"wo":"WO-1","step":"pack","lot":"F-2","qty":20,"material":"romaine"})");
    ok("lot.ship", R"({"lot":"F-1","qty":10,"customer":"dc","shipment":"BOL-1"})");
    ok("lot.split", R"({"lot":"R-3","into":[{"lot":"R-3a","qty":30},{"lot":"R-3b","qty":20}]})");
    // 22:00 in Los Angeles on the 21st is already the 22nd in UTC.
    clock_.set(kStart + 22 * 3600LL * 1'000'000'000LL);
    ok("lot.ship", R"({"lot":"F-1","qty":5,"customer":"dc2","shipment":"BOL-2"})");
    ok("lot.ship", R"({"lot":"R-3a","qty":30,"customer":"dc2","shipment":"BOL-3"})");
    ok("op.complete", R"({"wo":"WO-1","step":"pack"})");
    running_order("WO-2");
    ok("lot.consume", R"({"wo":"WO-2","step":"wash","lot":"R-2","qty":10})");
    ok("op.complete", R"({"wo":"WO-2","step":"wash"})");
    ok("op.start", R"({"wo":"WO-2","step":"pack","equipment":"packer-1"})");
    ok("lot.produce", R"({"wo":"WO-2","step":"pack","lot":"F-3","qty":5,"material":"romaine"})");
  }

  domain::SiteInfo site() const {
    domain::SiteInfo s;
    s.name = "Salad plant";
    s.address = "1 Main St, Salinas, CA";
    s.gln = "0614141000005";
    s.time_zone = "America/Los_Angeles";
    s.phone = "+1 831 555 0100";
    s.contact = "Maria Lopez, QA manager, +1 831 555 0101, qa@salad.example";
    return s;
  }

  domain::Fsma204Export from_recall(const domain::SiteInfo& s, const std::string& lot) {
    auto snap = ledger_->snapshot();
    domain::RecallScope scope;
    scope.lot = lot;
    auto r = domain::build_recall(*snap, scope, nullptr);
    EXPECT_TRUE(r);
    domain::Fsma204Scope sheet;
    sheet.recall = &*r;
    auto e = domain::fsma204_export(*snap, sheet, s);
    EXPECT_TRUE(e) << e.error().message;
    return std::move(*e);
  }

  domain::Fsma204Export sheet(const domain::Fsma204Scope& scope) {
    auto snap = ledger_->snapshot();
    auto e = domain::fsma204_export(*snap, scope, site());
    EXPECT_TRUE(e) << e.error().message;
    return e ? std::move(*e) : domain::Fsma204Export{};
  }

  static const std::string& file(const domain::Fsma204Export& e, const std::string& name) {
    for (const auto& [n, text] : e.files) {
      if (n == "fsma204-" + name) return text;
    }
    static const std::string none;
    ADD_FAILURE() << "no file " << name;
    return none;
  }

  const std::string here_ =
      "Salad plant, 1 Main St, Salinas, CA; phone +1 831 555 0100; GLN 0614141000005";
};

// §1.1345: TLC, quantity and unit, product, immediate previous source, where received, date,
// TLC source, reference document.
TEST_F(Fsma204, ReceivingHasEveryKeyDataElement) {
  const auto e = from_recall(site(), "R-1");
  const auto rows = records(file(e, "receiving.csv"));
  ASSERT_EQ(rows.size(), 1u);
  const auto& r = rows[0];
  EXPECT_EQ(r.at("Traceability Lot Code"), "GF-BAD");
  EXPECT_EQ(r.at("Internal Lot"), "R-1");
  EXPECT_EQ(r.at("Quantity"), "100");
  EXPECT_EQ(r.at("Unit of Measure"), "kg");
  EXPECT_EQ(r.at("Product Description"), "Romaine");
  EXPECT_EQ(r.at("Immediate Previous Source Location"), "Green Farms, [missing: address]");
  EXPECT_EQ(r.at("Receiving Location"), here_);
  EXPECT_EQ(r.at("Date Received"), "2026-11-21");
  EXPECT_EQ(r.at("Traceability Lot Code Source Location"), "Green Farms, [missing: address]");
  EXPECT_EQ(r.at("Reference Document Type"), "Receiving record");
  EXPECT_FALSE(r.at("Reference Document Number").empty());
}

// §1.1350: for the new lot and each input, with each output showing only its share of what
// the order consumed: 60 kg of R-1 into 30 + 20 kg of output is 36 and 24 kg, not 60 twice.
TEST_F(Fsma204, TransformationHasEveryKeyDataElementWithEachOutputsShareOfTheInputs) {
  const auto e = from_recall(site(), "R-2");
  const auto rows = records(file(e, "transformation.csv"));
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> by;
  for (const auto& r : rows) by[{r.at("Event ID"), r.at("Input Internal Lot")}] = r;
  ASSERT_EQ(by.size(), 5u) << file(e, "transformation.csv");  // F-1, F-2 x R-1, R-2; F-3 x R-2
  const auto& f1 = by.at({"F-1", "R-1"});
  EXPECT_EQ(f1.at("New Traceability Lot Code"), "F-1");
  EXPECT_EQ(f1.at("New Product Description"), "Romaine");
  EXPECT_EQ(f1.at("New Quantity"), "30");
  EXPECT_EQ(f1.at("New Unit of Measure"), "kg");
  EXPECT_EQ(f1.at("Transformation Location"), here_);
  EXPECT_EQ(f1.at("Date Transformation Completed"), "2026-11-21");
  EXPECT_EQ(f1.at("Input Traceability Lot Code"), "GF-BAD");
  EXPECT_EQ(f1.at("Input Product Description"), "Romaine");
  EXPECT_EQ(f1.at("Input Unit of Measure"), "kg");
  EXPECT_EQ(f1.at("Reference Document Type"), "Work order");
  EXPECT_EQ(f1.at("Reference Document Number"), "WO-1");
  EXPECT_EQ(f1.at("Input Quantity"), "36");
  EXPECT_EQ(by.at({"F-2", "R-1"}).at("Input Quantity"), "24");
  EXPECT_EQ(by.at({"F-1", "R-2"}).at("Input Quantity"), "24");
  EXPECT_EQ(by.at({"F-2", "R-2"}).at("Input Quantity"), "16");
  EXPECT_EQ(f1.at("Input Quantity Basis"), "allocated by output share: 30 of 50 kg the order made");
  // An order with one output: what the record says, as measured.
  EXPECT_EQ(by.at({"F-3", "R-2"}).at("Input Quantity"), "10");
  EXPECT_EQ(by.at({"F-3", "R-2"}).at("Input Quantity Basis"), "measured");
}

// §1.1340: TLC, quantity and unit, product, immediate subsequent recipient, ship-from
// location, date (the site's local date), TLC source, reference document.
TEST_F(Fsma204, ShippingHasEveryKeyDataElement) {
  const auto e = from_recall(site(), "R-1");
  const auto rows = records(file(e, "shipping.csv"));
  ASSERT_EQ(rows.size(), 2u);
  const auto& r = rows[1];
  EXPECT_EQ(r.at("Traceability Lot Code"), "F-1");
  EXPECT_EQ(r.at("Internal Lot"), "F-1");
  EXPECT_EQ(r.at("Quantity"), "5");
  EXPECT_EQ(r.at("Unit of Measure"), "kg");
  EXPECT_EQ(r.at("Product Description"), "Romaine");
  EXPECT_EQ(r.at("Immediate Subsequent Recipient Location"),
            "West DC, 400 Mill St, Reno, NV; GLN 0614141000029");
  EXPECT_EQ(r.at("Ship From Location"), here_);
  EXPECT_EQ(r.at("Date Shipped"), "2026-11-21") << "22:00 PST, 06:00 UTC the next day";
  EXPECT_EQ(r.at("Traceability Lot Code Source Location"), here_);
  EXPECT_EQ(r.at("Reference Document Type"), "Bill of lading");
  EXPECT_EQ(r.at("Reference Document Number"), "BOL-2");
}

// A received lot's code is the supplier's and its source the supplier; a split is not a
// transformation, so its parts keep the parent's code and source; a lot made here has its
// own id, with this site as source.
TEST_F(Fsma204, TraceabilityLotCodeSource) {
  const auto e = from_recall(site(), "R-3");
  for (const auto& r : records(file(e, "transformation.csv"))) {
    ADD_FAILURE() << "a split is not a transformation: " << r.at("Event ID");
  }
  const auto shipped = records(file(e, "shipping.csv"));
  ASSERT_EQ(shipped.size(), 1u);
  EXPECT_EQ(shipped[0].at("Traceability Lot Code"), "GF-SPLIT");
  EXPECT_EQ(shipped[0].at("Internal Lot"), "R-3a");
  EXPECT_EQ(shipped[0].at("Traceability Lot Code Source Location"),
            "Green Farms, [missing: address]");
  const auto made = records(file(from_recall(site(), "F-1"), "shipping.csv"));
  ASSERT_FALSE(made.empty());
  EXPECT_EQ(made[0].at("Traceability Lot Code Source Location"), here_);
  // By lot code: the parent's code finds the part split from it, and where it went.
  domain::Fsma204Scope scope;
  scope.by = domain::Fsma204Scope::By::kLotCodes;
  scope.lot_codes = {"GF-SPLIT"};
  const auto by_code = sheet(scope);
  EXPECT_EQ(records(file(by_code, "receiving.csv")).size(), 1u);
  EXPECT_EQ(records(file(by_code, "shipping.csv")).size(), 1u);
}

// 21 CFR 1.1455(c)(3)(ii): the sortable spreadsheet for the foods and dates asked for, at
// once, from the records alone: one header row, one row per event with the same columns,
// sorted by date, and nothing outside the request.
TEST_F(Fsma204, SortableSpreadsheetWithin24HoursForAProductAndDates) {
  domain::Fsma204Scope scope;
  scope.by = domain::Fsma204Scope::By::kProduct;
  scope.product = "romaine";
  const auto all = sheet(scope);
  EXPECT_EQ(records(file(all, "receiving.csv")).size(), 3u);
  EXPECT_EQ(records(file(all, "shipping.csv")).size(), 3u);
  const auto shipped = records(file(all, "shipping.csv"));
  for (std::size_t i = 1; i < shipped.size(); ++i) {
    EXPECT_LE(shipped[i - 1].at("Date Shipped"), shipped[i].at("Date Shipped"));
  }
  // Only what happened from 21:00 PST on: the last two shipments and WO-2's output.
  scope.from = *parse_rfc3339("2026-11-21T21:00:00-08:00");
  const auto late = sheet(scope);
  EXPECT_EQ(records(file(late, "receiving.csv")).size(), 0u);
  const auto late_shipped = records(file(late, "shipping.csv"));
  ASSERT_EQ(late_shipped.size(), 2u);
  EXPECT_EQ(late_shipped[0].at("Reference Document Number"), "BOL-2");
  const auto late_made = records(file(late, "transformation.csv"));
  ASSERT_EQ(late_made.size(), 1u);
  EXPECT_EQ(late_made[0].at("Event ID"), "F-3");
  EXPECT_EQ(late.events, 3u);
  // A product with no events in the window is an empty sheet, not an error.
  scope.from = *parse_rfc3339("2027-01-01T00:00:00Z");
  scope.to = *parse_rfc3339("2027-02-01T00:00:00Z");
  EXPECT_EQ(sheet(scope).events, 0u);
}

// §1.1315(a): how records are kept, the foods, how lot codes are assigned, a point of contact.
TEST_F(Fsma204, TraceabilityPlan) {
  const auto e = from_recall(site(), "R-1");
  const std::string& plan = file(e, "traceability-plan.txt");
  EXPECT_NE(plan.find("1.1315(a)(1)"), std::string::npos);
  EXPECT_NE(plan.find("Romaine (romaine)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("A lot split off another keeps its parent's traceability lot code"),
            std::string::npos);
  EXPECT_NE(plan.find("Maria Lopez, QA manager"), std::string::npos);
  EXPECT_EQ(plan.find("[missing"), std::string::npos) << plan;
  auto no_contact = site();
  no_contact.contact.clear();
  const auto gap = from_recall(no_contact, "R-1");
  EXPECT_NE(file(gap, "traceability-plan.txt").find("[missing: point of contact"),
            std::string::npos);
  EXPECT_NE(file(gap, "data-gaps.csv").find("site,contact,"), std::string::npos);
}

// The site's and parties' missing data is marked where it is missing and listed; "this
// facility" or any other stand-in is never written.
TEST_F(Fsma204, MissingSiteAndPartyDataAreFlaggedNotReplaced) {
  domain::SiteInfo nothing;
  const auto e = from_recall(nothing, "R-1");
  for (const auto& [name, text] : e.files) {
    EXPECT_EQ(text.find("this facility"), std::string::npos) << name;
  }
  const auto rows = records(file(e, "receiving.csv"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("Receiving Location"),
            "[missing: site name], [missing: site address]; phone [missing: site phone]; "
            "GLN [missing: site GLN]");
  std::set<std::string> gaps;
  for (const auto& g : records(file(e, "data-gaps.csv"))) {
    gaps.insert(g.at("Subject") + "/" + g.at("Field"));
  }
  EXPECT_EQ(gaps,
            (std::set<std::string>{"site/name", "site/address", "site/phone", "site/GLN",
                                   "site/contact", "party farm/address", "party dc/address"}));
  EXPECT_EQ(e.warnings.size(), gaps.size());
  // With everything known, there is nothing to flag.
  ok("party.define", R"({"party":"farm2","name":"Sun Farms","role":"supplier",)"
                     R"("address":"Yuma, AZ"})");
  ok("lot.receive", R"({"lot":"R-9","material":"romaine","qty":5,"uom":"kg",)"
                    R"("supplier":"farm2","supplierLot":"SF-9"})");
  const auto full = from_recall(site(), "R-9");
  EXPECT_TRUE(full.warnings.empty()) << full.warnings.front();
  EXPECT_EQ(records(file(full, "data-gaps.csv")).size(), 0u);
}

// A bare date is the site's midnight, in winter and in summer; a timestamp is as written.
TEST_F(Fsma204, ABareDateIsTheSitesMidnight) {
  EXPECT_EQ(*domain::parse_site_time("2026-11-21", site()),
            *parse_rfc3339("2026-11-21T00:00:00-08:00"));
  EXPECT_EQ(*domain::parse_site_time("2026-07-01", site()),
            *parse_rfc3339("2026-07-01T00:00:00-07:00"));
  EXPECT_EQ(*domain::parse_site_time("2026-07-01T12:00:00Z", site()),
            *parse_rfc3339("2026-07-01T12:00:00Z"));
  EXPECT_EQ(*domain::parse_site_time("2026-07-01", domain::SiteInfo{}),
            *parse_rfc3339("2026-07-01T00:00:00Z"));
  EXPECT_FALSE(domain::parse_site_time("July", site()));
  // The 22:00 PST shipment is in the 21st's export, not the 22nd's.
  domain::Fsma204Scope day;
  day.by = domain::Fsma204Scope::By::kProduct;
  day.product = "romaine";
  day.from = *domain::parse_site_time("2026-11-21", site());
  day.to = *domain::parse_site_time("2026-11-22", site());
  EXPECT_EQ(records(file(sheet(day), "shipping.csv")).size(), 3u);
}

// A lot named like a formula stays text in the FDA's copy.
TEST_F(Fsma204, CellsAreNeverFormulas) {
  receive("=HYPERLINK(\\\"http://x\\\")", 5, "romaine", "@SUM(A1)");  // JSON-escaped quotes
  domain::Fsma204Scope scope;
  scope.by = domain::Fsma204Scope::By::kLotCodes;
  scope.lot_codes = {"@SUM(A1)"};
  const auto e = sheet(scope);
  const std::string& text = file(e, "receiving.csv");
  EXPECT_NE(text.find("\n'@SUM(A1),\"'=HYPERLINK(\"\"http://x\"\")\","), std::string::npos) << text;
}

TEST_F(Fsma204, BadScopesAreRefusedWithTheirField) {
  auto snap = ledger_->snapshot();
  auto refused = [&](const domain::Fsma204Scope& scope, ErrorCode code, const std::string& field) {
    auto e = domain::fsma204_export(*snap, scope, site());
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, code);
    EXPECT_EQ(e.error().field, field);
  };
  domain::Fsma204Scope scope;
  scope.by = domain::Fsma204Scope::By::kProduct;
  scope.product = "kale";
  refused(scope, ErrorCode::kNotFound, "product");
  scope.product = "romaine";
  scope.from = 10;
  scope.to = 10;
  refused(scope, ErrorCode::kInvalidArgument, "to");
  domain::Fsma204Scope codes;
  codes.by = domain::Fsma204Scope::By::kLotCodes;
  refused(codes, ErrorCode::kInvalidArgument, "tlc");
  codes.lot_codes = {"GF-BAD", "GF-NEVER"};
  refused(codes, ErrorCode::kNotFound, "tlc");
}

}  // namespace
}  // namespace custody::testing
