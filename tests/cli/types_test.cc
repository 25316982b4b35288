// The type map exists once, in the declarations: `custody types` prints it, and the docs'
// type map, the docs' headings and the SDK's custody/types.h must all agree with it.
#include "custody/types.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "custody/domain/registry.h"
#include "schema/commands.capnp.h"
#include "support/test_support.h"

namespace custody {
namespace {

using testing::run_custody;

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(CUSTODY_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string types(const std::string& format) {
  auto r = run_custody({"types", "--format", format});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(TypeMap, TheDocsTableIsTheGeneratedOne) {
  const std::string doc = read_source("docs/commands.md");
  const std::string begin = "<!-- custody types: begin -->\n";
  const auto from = doc.find(begin);
  const auto to = doc.find("<!-- custody types: end -->");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), types("markdown"))
      << "regenerate with: custody types --format markdown";
}

TEST(TypeMap, TheSdkHeaderIsTheGeneratedOne) {
  EXPECT_EQ(read_source("sdk/include/custody/types.h"), types("header"))
      << "regenerate with: custody types --format header > sdk/include/custody/types.h";
}

// Every heading of docs/commands.md names declared types, and every declared type has one:
// a command leads its heading, an event follows the arrow.
TEST(TypeMap, EveryDeclaredTypeHasItsSectionAndEverySectionADeclaredType) {
  const std::string doc = read_source("docs/commands.md");
  std::set<std::string> leading, named;
  // `a.b` spans of a "### " heading that look like types: lower-case words around one dot.
  auto types_in = [](std::string_view heading) {
    std::vector<std::string> out;
    for (std::size_t at = heading.find('`'); at != std::string_view::npos;) {
      const std::size_t end = heading.find('`', at + 1);
      if (end == std::string_view::npos) break;
      const std::string_view span = heading.substr(at + 1, end - at - 1);
      const auto dot = span.find('.');
      const bool word = span.find_first_not_of("abcdefghijklmnopqrstuvwxyz._") == std::string::npos;
      if (word && dot != std::string_view::npos && dot > 0 && dot + 1 < span.size() &&
          span.find('.', dot + 1) == std::string_view::npos) {
        out.emplace_back(span);
      }
      at = heading.find('`', end + 1);
    }
    return out;
  };
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("### ")) continue;
    bool first = true;
    for (const std::string& name : types_in(line)) {
      EXPECT_TRUE(domain::find_command(name) || domain::find_event(name))
          << "docs/commands.md names " << name << ", which no area declares";
      if (first) leading.insert(name);
      named.insert(name);
      first = false;
    }
  }
  for (const auto& c : domain::command_types()) {
    EXPECT_TRUE(leading.contains(std::string(c.name)))
        << c.name << " has no section in docs/commands.md";
    EXPECT_TRUE(named.contains(std::string(c.emits.front())))
        << c.emits.front() << " is named in no heading of docs/commands.md";
  }
  for (const auto& e : domain::event_types()) {
    EXPECT_TRUE(named.contains(std::string(e.name)))
        << e.name << " is named in no heading of docs/commands.md";
  }
}

TEST(TypeMap, JsonListsEveryTypeWithItsStructAndId) {
  const auto root = boost::json::parse(types("json")).as_object();
  const auto& commands = root.at("commands").as_array();
  const auto& events = root.at("events").as_array();
  EXPECT_EQ(commands.size(), domain::command_types().size());
  EXPECT_EQ(events.size(), domain::event_types().size());
  bool seen = false;
  for (const auto& e : events) {
    if (e.at("type") != "lot.received") continue;
    seen = true;
    EXPECT_EQ(e.at("payload"), "LotReceived");
    EXPECT_EQ(e.at("schemaFile"), "commands.capnp");
    EXPECT_EQ(e.at("correctable"), boost::json::parse(R"(["qty","document","supplierLot"])"));
  }
  EXPECT_TRUE(seen);
}

// The ids in the SDK header are the ones Cap'n Proto generates, so a plugin can check that
// the struct it decodes with is the record's.
TEST(TypeMap, TheSdkHeaderIdsAreCapnProtoTypeIds) {
  const custody_type_info* received = custody_find_event_type("lot.received");
  ASSERT_NE(received, nullptr);
  EXPECT_STREQ(received->capnp_struct, "LotReceived");
  EXPECT_EQ(received->schema_id, capnp::typeId<schema::LotReceived>());
  const custody_type_info* add = custody_find_command_type("note.add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->schema_id, capnp::typeId<schema::NoteAdd>());
  EXPECT_EQ(custody_find_event_type("note.add"), nullptr);
  EXPECT_EQ(custody_find_command_type("no.such"), nullptr);
  EXPECT_EQ(std::size(custody_event_types), domain::event_types().size());
}

TEST(TypeMap, AnUnknownFormatIsAUsageErrorWithNothingPrinted) {
  auto r = run_custody({"types", "--format", "yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("--format"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace custody
