// Master data: defined once, referenced by id, and checked when defined.
#include "domain/plant_fixture.h"

namespace custody::testing {
namespace {

using MasterData = PlantTest;

TEST_F(MasterData, DefinesAndShowsEverything) {
  master_data();
  EXPECT_EQ(state("material", "salad")["requiresRelease"], true);
  EXPECT_EQ(state("party", "dc")["role"], "customer");
  EXPECT_EQ(state("equipment", "washer-1")["state"], "idle");
}

TEST_F(MasterData, IdsAreDefinedOnce) {
  master_data();
  expect_rejected("material.define", R"({"material":"romaine","name":"again","uom":"kg"})",
                  ErrorCode::kAlreadyExists, "data.material");
  expect_rejected("party.define", R"({"party":"farm","name":"again"})", ErrorCode::kAlreadyExists,
                  "data.party");
  expect_rejected("equipment.define", R"({"equipment":"washer-1","name":"x","workCenter":"w"})",
                  ErrorCode::kAlreadyExists, "data.equipment");
  expect_rejected(
      "routing.define",
      R"({"routing":"salad-r","material":"salad","steps":[{"step":"a","workCenter":"w"}]})",
      ErrorCode::kAlreadyExists, "data.routing");
}

TEST_F(MasterData, RoutingsAreChecked) {
  master_data();
  expect_rejected("routing.define",
                  R"({"routing":"r2","material":"ghost","steps":[{"step":"a","workCenter":"w"}]})",
                  ErrorCode::kNotFound, "data.material");
  expect_rejected(
      "routing.define",
      R"({"routing":"r2","material":"salad","steps":[{"step":"a","workCenter":"w"},{"step":"a","workCenter":"w"}]})",
      ErrorCode::kInvalidArgument, "data.steps[1].step");
  expect_rejected(
      "routing.define",
      R"({"routing":"r2","material":"salad","steps":[{"step":"a","workCenter":"w","inputs":[{"material":"ghost","qtyPerUnit":1}]}]})",
      ErrorCode::kNotFound, "data.steps[0].inputs[0].material");
  expect_rejected(
      "routing.define",
      R"({"routing":"r2","material":"salad","steps":[{"step":"a","workCenter":"w","params":[{"name":"t","min":5,"max":1}]}]})",
      ErrorCode::kInvalidArgument, "data.steps[0].params[0].max");
  expect_rejected("routing.define", R"({"routing":"r2","material":"salad","steps":[]})",
                  ErrorCode::kInvalidArgument, "data.steps");
  expect_rejected("material.define", R"({"material":"m","name":"x","uom":"kg","kind":"gas"})",
                  ErrorCode::kInvalidArgument, "data.kind");
  expect_rejected(
      "equipment.define",
      R"({"equipment":"cold-1","name":"x","workCenter":"cold","params":[{"name":"t","min":9,"max":1}]})",
      ErrorCode::kInvalidArgument, "data.params[0].max");
}

}  // namespace
}  // namespace custody::testing
