// Loading plugin libraries and reading their manifests, without initialising them: what
// `custody plugins check` reports and what the host refuses.
#include "custody/plugin/library.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "support/test_support.h"

namespace custody::testing {
namespace {

using plugin::PluginLibrary;

TEST(PluginLibrary, ReadsTheManifestOfAGoodPlugin) {
  auto lib = PluginLibrary::open(CUSTODY_PLUGIN_CONTRACT_PLUGIN);
  ASSERT_TRUE(lib) << lib.error().message;
  const auto& m = (*lib)->manifest();
  EXPECT_EQ(m.id, "contract");
  EXPECT_EQ(m.version, "0.0.1");
  EXPECT_EQ(m.kind, plugin::PluginKind::kOther);
  EXPECT_EQ(m.capabilities,
            (std::vector<std::string>{"read", "subscribe", "submit:note", "submit:lot"}));
  EXPECT_TRUE(plugin::check_abi(m));
  EXPECT_NE((*lib)->init(), nullptr);
}

TEST(PluginLibrary, AnotherMajorIsRefused) {
  auto lib = PluginLibrary::open(CUSTODY_PLUGIN_CONTRACT_WRONG_MAJOR);
  ASSERT_TRUE(lib) << lib.error().message;  // readable: only the leading fields are used
  EXPECT_EQ((*lib)->manifest().abi_major, CUSTODY_ABI_MAJOR + 1);
  auto abi = plugin::check_abi((*lib)->manifest());
  ASSERT_FALSE(abi);
  EXPECT_EQ(abi.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(abi.error().field, "manifest.abi_major");
  EXPECT_NE(abi.error().message.find("major"), std::string::npos);
}

TEST(PluginLibrary, ANewerMinorIsRefused) {
  auto lib = PluginLibrary::open(CUSTODY_PLUGIN_CONTRACT_NEWER_MINOR);
  ASSERT_TRUE(lib) << lib.error().message;
  auto abi = plugin::check_abi((*lib)->manifest());
  ASSERT_FALSE(abi);
  EXPECT_EQ(abi.error().code, ErrorCode::kUnsupportedVersion);
  EXPECT_EQ(abi.error().field, "manifest.abi_minor");
  EXPECT_NE(abi.error().message.find("newer"), std::string::npos);
}

TEST(PluginLibrary, AMissingExportIsRefused) {
  auto lib = PluginLibrary::open(CUSTODY_PLUGIN_CONTRACT_NO_INIT);
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(lib.error().message.find("custody_plugin_init"), std::string::npos);
}

TEST(PluginLibrary, AnUnreadableManifestIsRefused) {
  auto lib = PluginLibrary::open(CUSTODY_PLUGIN_CONTRACT_BAD_MANIFEST);
  ASSERT_FALSE(lib);
  EXPECT_EQ(lib.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(lib.error().message.find("unreadable manifest"), std::string::npos);
  EXPECT_EQ(lib.error().field, "manifest");
}

TEST(PluginLibrary, MissingFilesAndNonLibrariesAreRefused) {
  TempDir tmp;
  auto missing = PluginLibrary::open(tmp / "nothing.so");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  std::ofstream(tmp / "text.so") << "not an ELF file\n";
  auto text = PluginLibrary::open(tmp / "text.so");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kInvalidArgument);
}

TEST(PluginLibrary, ReadManifestChecksEveryField) {
  static const char* const caps[] = {"read", "teleport"};
  custody_manifest m{sizeof(custody_manifest),
                     CUSTODY_ABI_MAJOR,
                     CUSTODY_ABI_MINOR,
                     "ok-id",
                     "1",
                     "d",
                     CUSTODY_KIND_OTHER,
                     2,
                     caps};
  auto bad_cap = plugin::read_manifest(&m);
  ASSERT_FALSE(bad_cap);
  EXPECT_NE(bad_cap.error().message.find("teleport"), std::string::npos);
  m.capability_count = 1;
  EXPECT_TRUE(plugin::read_manifest(&m));
  m.kind = 99;
  EXPECT_FALSE(plugin::read_manifest(&m));
  m.kind = CUSTODY_KIND_OTHER;
  m.id = nullptr;
  EXPECT_FALSE(plugin::read_manifest(&m));
  m.id = "ok-id";
  m.struct_size = 12;
  EXPECT_FALSE(plugin::read_manifest(&m));
  EXPECT_FALSE(plugin::read_manifest(nullptr));
}

// Found by fuzz_manifest: a description of any bytes made `custody plugins check` print
// invalid JSON, and a control character could rewrite the operator's terminal.
TEST(PluginLibrary, ManifestTextsArePrintableUtf8) {
  custody_manifest m{sizeof(custody_manifest),
                     CUSTODY_ABI_MAJOR,
                     CUSTODY_ABI_MINOR,
                     "ok-id",
                     "1",
                     "Planificación ✓ 計画",
                     CUSTODY_KIND_OTHER,
                     0,
                     nullptr};
  auto good = plugin::read_manifest(&m);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->description, "Planificación ✓ 計画");
  for (const char* bad : {"reads \xff registers", "\x1b[2Jcleared", "tab\there", "\xc0\xaf",
                          "\xed\xa0\x80", "\xf4\x90\x80\x80", "cut \xe2\x9c", "\xc2\x85"}) {
    m.description = bad;
    auto r = plugin::read_manifest(&m);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("printable UTF-8"), std::string::npos) << r.error().message;
  }
  m.description = "d";
  m.version = "1\n2";
  EXPECT_FALSE(plugin::read_manifest(&m));
}

// `custody plugins check`: JSON on stdout; exit 0 compatible, 1 incompatible, 2 unloadable.
TEST(PluginsCheck, ReportsCompatibilityAndCapabilitiesAsJson) {
  auto good = run_custody({"plugins", "check", CUSTODY_PLUGIN_CONTRACT_PLUGIN});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  auto g = boost::json::parse(good.out).as_object();
  EXPECT_EQ(g["ok"], true);
  EXPECT_EQ(g["manifest"].at("id"), "contract");
  EXPECT_EQ(g["manifest"].at("abi").at("compatible"), true);
  EXPECT_EQ(g["manifest"].at("capabilities").as_array().size(), 4u);

  auto major = run_custody({"plugins", "check", CUSTODY_PLUGIN_CONTRACT_WRONG_MAJOR});
  EXPECT_EQ(major.exit_code, 1);
  auto j = boost::json::parse(major.out).as_object();
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["manifest"].at("abi").at("compatible"), false);
  EXPECT_EQ(j["manifest"].at("error").at("code"), "unsupported_version");

  auto minor = run_custody({"plugins", "check", CUSTODY_PLUGIN_CONTRACT_NEWER_MINOR});
  EXPECT_EQ(minor.exit_code, 1);

  auto no_init = run_custody({"plugins", "check", CUSTODY_PLUGIN_CONTRACT_NO_INIT});
  EXPECT_EQ(no_init.exit_code, 2);
  auto n = boost::json::parse(no_init.out).as_object();
  EXPECT_EQ(n["ok"], false);
  EXPECT_EQ(n["error"].at("code"), "invalid_argument");
}

}  // namespace
}  // namespace custody::testing
