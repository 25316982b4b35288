// People and API tokens as records: each rule's code and field, nothing written on a refusal,
// what the projection says, and that a rebuild gives the same state.
#include "custody/domain/identity.h"

#include "custody/domain/plant.h"
#include "custody/ledger/rebuild.h"
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using Identity = PlantTest;

TEST_F(Identity, PeopleAreAddedWithRolesAndChanged) {
  ok("user.add", R"({"user":"alice","name":"Alice Moreau","roles":["qa","auditor"]})");
  ok("user.set_roles", R"({"user":"alice","roles":["qa"]})");
  ok("user.set_password", R"({"user":"alice"})");
  ok("user.disable", R"({"user":"alice","reason":"left the company"})");
  auto snap = ledger_->snapshot();
  auto alice = domain::find_user(*snap, "alice");
  ASSERT_TRUE(alice && *alice);
  EXPECT_EQ((*alice)->name, "Alice Moreau");
  EXPECT_EQ((*alice)->roles, std::vector<std::string>{"qa"});
  EXPECT_TRUE((*alice)->disabled);
  EXPECT_GT((*alice)->password_set_at, 0);
  ok("user.enable", R"({"user":"alice"})");
  snap = ledger_->snapshot();
  EXPECT_FALSE((*domain::find_user(*snap, "alice"))->disabled);
  EXPECT_FALSE(*domain::find_user(*snap, "bob"));
}

TEST_F(Identity, PeopleRulesRefuseAndWriteNothing) {
  ok("user.add", R"({"user":"alice","name":"Alice","roles":["qa"]})");
  expect_rejected("user.add", R"({"user":"alice","name":"Again","roles":["qa"]})",
                  ErrorCode::kAlreadyExists, "data.user");
  expect_rejected("user.add", R"({"user":"bob","name":"Bob","roles":[]})",
                  ErrorCode::kInvalidArgument, "data.roles");
  expect_rejected("user.add", R"({"user":"bob","name":"Bob","roles":["qa","qa"]})",
                  ErrorCode::kInvalidArgument, "data.roles[1]");
  expect_rejected("user.add", R"({"user":"bob","name":"Bob","roles":["chief"]})",
                  ErrorCode::kInvalidArgument, "data.roles[0]");
  expect_rejected("user.add", R"({"user":"bob","roles":["qa"]})", ErrorCode::kInvalidArgument,
                  "data.name");
  expect_rejected("user.set_roles", R"({"user":"nobody","roles":["qa"]})", ErrorCode::kNotFound,
                  "data.user");
  expect_rejected("user.set_password", R"({"user":"nobody"})", ErrorCode::kNotFound, "data.user");
  expect_rejected("user.enable", R"({"user":"alice"})", ErrorCode::kInvalidState, "data.user");
  ok("user.disable", R"({"user":"alice"})");
  expect_rejected("user.disable", R"({"user":"alice"})", ErrorCode::kInvalidState, "data.user");
}

TEST_F(Identity, TokensAreCreatedScopedAndRevoked) {
  ok("token.create",
     R"({"token":"scanner-7","role":"operator","commandTypes":["lot.consume"],"description":"line 2"})",
     "os:root");
  auto snap = ledger_->snapshot();
  auto t = domain::find_token(*snap, "scanner-7");
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->role, "operator");
  EXPECT_EQ((*t)->command_types, std::vector<std::string>{"lot.consume"});
  EXPECT_EQ((*t)->created_by, "os:root");
  EXPECT_FALSE((*t)->revoked);
  expect_rejected("token.create", R"({"token":"scanner-7","role":"operator"})",
                  ErrorCode::kAlreadyExists, "data.token");
  expect_rejected("token.create", R"({"token":"scanner 8","role":"operator"})",
                  ErrorCode::kInvalidArgument, "data.token");
  expect_rejected("token.create", R"({"token":"批次","role":"operator"})",
                  ErrorCode::kInvalidArgument, "data.token");
  expect_rejected("token.create", R"({"token":"s9","role":"operator","commandTypes":["lot.eat"]})",
                  ErrorCode::kInvalidArgument, "data.commandTypes[0]");
  expect_rejected("token.revoke", R"({"token":"nope"})", ErrorCode::kNotFound, "data.token");
  ok("token.revoke", R"({"token":"scanner-7","reason":"lost"})");
  expect_rejected("token.revoke", R"({"token":"scanner-7"})", ErrorCode::kInvalidState,
                  "data.token");
  snap = ledger_->snapshot();
  auto all = domain::list_tokens(*snap);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].revoked);
}

TEST_F(Identity, RebuildGivesTheSameState) {
  ok("user.add", R"({"user":"alice","name":"Alice","roles":["qa","auditor"]})");
  ok("user.set_roles", R"({"user":"alice","roles":["supervisor"]})");
  ok("user.disable", R"({"user":"alice"})");
  ok("token.create", R"({"token":"erp","role":"integration"})");
  ok("token.revoke", R"({"token":"erp"})");
  expect_rebuild_gives_the_same_state();
}

}  // namespace
}  // namespace custody::testing
